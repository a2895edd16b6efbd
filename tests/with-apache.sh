#!/bin/sh
# with-apache.sh [OPTIONS] -- COMMAND [ARGS...]
#
# Run COMMAND against a private Apache 2.4 (Debian's apache2 with
# mod_fcgid) serving the pairstore programs with the shipped
# configuration files from apache-conf/: its own ServerRoot and
# configuration in a fresh temp directory, listening on a random port
# of 127.0.0.1 only.  Apache and every process it started are stopped by
# PID on every exit path; the exit status is COMMAND's (99 when Apache
# cannot start, 129, 130 or 143 when this script gets SIGHUP, SIGINT or
# SIGTERM: COMMAND is then stopped too).  Every wait is bounded: 10 s
# for Apache to start, 10 s for it to stop, 3 s for what it started,
# then SIGKILL.  The system's apache2 service is never started or
# touched; apache2 and libapache2-mod-fcgid are installed when missing
# (root only, through scripts/deps.sh: no service starts on install).
#
#   --mode vhost        apache-conf/pairstore-vhost.conf as the virtual
#                       host (the default): ScriptAlias /cgi-bin/,
#                       mod_fcgid, FcgidInitialEnv PAIRSTORE_ENV_FILE
#   --mode htaccess     shared hosting: AllowOverride Options FileInfo on
#                       the document root, apache-conf/htaccess.example
#                       as public_html/cgi-bin/.htaccess, the FcgidWrapper
#                       apache-conf/pairstore-wrapper.sh and the .env
#                       outside public_html, under a fake home directory
#   --mode cgi          the same .htaccess, with mod_cgid loaded instead
#                       of mod_fcgid: its plain CGI fallback
#   --program NAME=PATH serve a copy of PROGRAM at /cgi-bin/NAME (NAME
#                       one of pair, status, upload; repeat)
#   --media DIR         vhost mode: the directory served at /media/
#                       (LOCAL_STORAGE_DIR); default an empty one
#
# Users.  Apache starts as root and runs its children, and so the
# programs, as PS_TEST_APACHE_USER (default www-data), as on Debian; it
# refuses to run them as root.  That user must reach everything it
# serves, and the build tree may be closed to it: the programs are
# copied into the temp directory, which is made traversable (711, no
# listing); when it lies inside $PS_TEST_TMPDIR (under with-redis.sh,
# mode 700), that directory gets o+x for the run and its mode back
# afterwards.  The redis-server socket there stays 700: the programs
# need REDIS_URL=redis://127.0.0.1:$PS_TEST_REDIS_PORT/0.  Not run as
# root, Apache and the programs run as the caller and no User is set.
#
# Settings.  Every variable of this script's environment whose name
# starts with one of the prefixes in pass_re below (REDIS_, AUTH_, JWT_,
# PAIRSTORE_, ...) is written to a .env file, mode 640, group of the
# Apache user, outside the document root: what the shipped configurations
# read through PAIRSTORE_ENV_FILE.  Apache itself gets PATH=/usr/bin:/bin
# and nothing else of this environment, nor a secret on its command line;
# the sanitizer variables (ASAN_, UBSAN_, LSAN_), which are no settings,
# reach the programs' environment through FcgidInitialEnv or PassEnv.
# Programs' stderr goes to the error log.  Whatever they start (an
# on-demand worker, WORKER_SPAWN) is stopped with Apache.
#
# Exported to COMMAND:
#   PS_TEST_BASE_URL         http://127.0.0.1:PORT
#   PS_TEST_APACHE_PID       Apache's parent process
#   PS_TEST_APACHE_ERRORLOG  Apache's and the programs' stderr
#   PS_TEST_APACHE_DIR       the temp directory (removed afterwards)
#   PS_TEST_APACHE_MODE      vhost, htaccess or cgi
#   PS_TEST_APACHE_USER      the user the programs run as
#   PS_TEST_APACHE_CGIBIN    the directory the programs are served from
#   PS_TEST_APACHE_ENV_FILE  the .env written for them
#   PS_TEST_APACHE_MEDIA     vhost mode: the directory served at /media/
# The temp directory is made inside $PS_TEST_TMPDIR when that is set,
# else in $TMPDIR or /tmp.  APACHE2 names the binary (/usr/sbin/apache2),
# APACHE_MODULES the module directory (/usr/lib/apache2/modules),
# APACHE_CONF the configuration files (apache-conf/ beside tests/).
# PS_TEST_KEEP_TMPDIR=1 keeps the directory for a post-mortem.
#
# PS_TEST_ARTIFACTS (make check sets it to tests/artifacts of the build
# tree): every secret value written to the programs' .env (the settings
# flagged SECRET or URLSECRET in lib/ps_settings*.def) is appended to
# $PS_TEST_ARTIFACTS/secrets/values, and on exit the error log and the
# access log are copied to $PS_TEST_ARTIFACTS/logs/TEST-PID.log and
# TEST-PID-access.log (TEST: PS_TEST_NAME, which tests/with-redis.sh
# sets), for tests/integration/test_secrets.sh.
#
# Linux only: it reads /proc to find what Apache started.
set -u

me=with-apache.sh
pass_re='^(REDIS_|AUTH_|JWT_|PAIRING_|QUEUE_|JOB_|LOCK_|LOG_|PAIRSTORE_'
pass_re=$pass_re'|CLOUDINARY_|SUPABASE_|LOCAL_STORAGE_|UPLOAD_|PUBLIC_'
pass_re=$pass_re'|WORKER_|STORAGE_|BACKEND_|SPOOL_|MEDIA_'
pass_re=$pass_re'|ASAN_|UBSAN_|LSAN_)[A-Za-z0-9_]*$'
san_re='^(ASAN|UBSAN|LSAN)_'
prog_path=/usr/bin:/bin
here=$(cd "$(dirname "$0")" && pwd) || exit 99
# shellcheck source=tests/proc.sh
. "$here/proc.sh"

die() {
	echo "$me: $*" >&2
	exit 99
}

usage() {
	sed -n '2,/^set -u/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# Characters a path may hold here: it is written into Apache's
# configuration (quoted or not) and into sed-free substitutions.
path_ok() {
	case "$1" in
	/*) ;;
	*) return 1 ;;
	esac
	case "$1" in
	*[!A-Za-z0-9._~/+,:@=-]*) return 1 ;;
	esac
	return 0
}

# ------------------------------------------------------------ arguments

mode=vhost
programs=""	# lines "NAME PATH"
media=""

while [ $# -gt 0 ]; do
	case "$1" in
	--mode | --program | --media)
		[ $# -ge 2 ] || die "$1 needs a value"
		opt=$1
		val=$2
		shift 2
		;;
	--mode=* | --program=* | --media=*)
		opt=${1%%=*}
		val=${1#*=}
		shift
		;;
	--)
		shift
		break
		;;
	-h | --help)
		usage
		;;
	*)
		echo "$me: unknown option '$1'" >&2
		usage
		;;
	esac
	case "$opt" in
	--mode)
		case "$val" in
		vhost | htaccess | cgi) mode=$val ;;
		*) die "--mode is vhost, htaccess or cgi, not '$val'" ;;
		esac
		;;
	--program)
		name=${val%%=*}
		prog=${val#*=}
		case "$val:$name" in
		*=*:pair | *=*:status | *=*:upload) ;;
		*) die "--program wants pair|status|upload=PATH, not '$val'" ;;
		esac
		case "$prog" in
		/*) ;;
		*) prog=$(pwd)/$prog ;;
		esac
		[ -f "$prog" ] && [ -x "$prog" ] ||
		    die "--program $name: $prog is not an executable file"
		case "
$programs" in
		*"
$name "*) die "--program $name given twice" ;;
		esac
		programs="$programs$name $prog
"
		;;
	--media)
		media=$val
		;;
	esac
done
[ $# -gt 0 ] || die "no COMMAND given (usage: $me [OPTIONS] -- COMMAND)"
[ -n "$programs" ] || die "no --program given"
if [ -n "$media" ]; then
	[ "$mode" = vhost ] || die "--media is for --mode vhost"
	[ -d "$media" ] || die "--media $media: not a directory"
	media=$(cd "$media" && pwd) || die "--media $media: no access"
	path_ok "$media" || die "--media $media: unusable characters"
fi
[ -z "${PAIRSTORE_ENV_FILE:-}" ] ||
    die "PAIRSTORE_ENV_FILE is set: this script writes the programs'" \
    ".env itself; put the settings in the environment instead"

APACHE2=${APACHE2:-/usr/sbin/apache2}
APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}
APACHE_CONF=${APACHE_CONF:-$here/../apache-conf}
APACHE_CONF=$(cd "$APACHE_CONF" && pwd) || die "no $APACHE_CONF"
for f in pairstore-vhost.conf htaccess.example pairstore-wrapper.sh; do
	[ -r "$APACHE_CONF/$f" ] || die "$APACHE_CONF/$f: not readable"
done

if [ ! -x "$APACHE2" ] || [ ! -r "$APACHE_MODULES/mod_fcgid.so" ]; then
	[ "$(id -u)" -eq 0 ] ||
	    die "apache2 or mod_fcgid missing: apt-get install apache2" \
	    "libapache2-mod-fcgid (as root)"
	# deps.sh holds services back with a policy-rc.d while it installs
	# (only when none exists, removed afterwards).
	# shellcheck source=scripts/deps.sh
	. "$here/../scripts/deps.sh" || die "no scripts/deps.sh"
	ps_need_packages apache2 libapache2-mod-fcgid >&2 ||
	    die "could not install apache2 libapache2-mod-fcgid"
	[ -x "$APACHE2" ] && [ -r "$APACHE_MODULES/mod_fcgid.so" ] ||
	    die "apache2 or mod_fcgid still missing after installing"
fi

# Who runs the programs.
if [ "$(id -u)" -eq 0 ]; then
	user=${PS_TEST_APACHE_USER:-www-data}
	id -u "$user" >/dev/null 2>&1 || die "no user $user"
	[ "$(id -u "$user")" -ne 0 ] ||
	    die "Apache will not run its children as root; pick another user"
	group=$(id -gn "$user") || die "no group for $user"
else
	user=$(id -un)
	group=$(id -gn)
fi

# True when the Apache user can do `test OP PATH`.
as_user_test() {	# as_user_test OP PATH
	if [ "$(id -u)" -ne 0 ]; then
		test "$1" "$2"
	elif command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid="$user" --regid="$group" --init-groups \
		    test "$1" "$2" 2>/dev/null
	else
		return 0	# cannot tell; Apache's log will
	fi
}

# Names to hand on, from awk's ENVIRON: never confused by values that
# hold newlines, as the output of env(1) would be.
pass_names=$(awk -v re="$pass_re" \
    'BEGIN { for (k in ENVIRON) if (k ~ re) print k }' </dev/null | sort)
san_names=""
env_names=""
for n in $pass_names; do
	if printf '%s\n' "$n" | grep -Eq "$san_re"; then
		san_names="$san_names $n"
	else
		env_names="$env_names $n"
	fi
done

# ------------------------------------------------------------ artifacts

# record_secrets, save_logs (PS_TEST_ARTIFACTS): tests/artifacts.sh.
. "$here/artifacts.sh"

# ------------------------------------------------------------ processes

spid=""		# what the shell started (setsid or apache2 itself)
sstart=""
apid=""		# Apache's parent, from its PidFile
astart=""
apgrp=""	# its process group, when it leads one of its own

# Apache's parent from its PidFile (setsid may have forked).
find_apache() {
	p=$(cat "$tmp/run/apache2.pid" 2>/dev/null) || return 1
	case "$p" in
	'' | *[!0-9]*) return 1 ;;
	esac
	s=$(proc_stat "$p") || return 1
	apid=$p
	astart=${s##* }
	# shellcheck disable=SC2086
	set -- $s
	[ "$3" = "$p" ] && apgrp=$p
	return 0
}

# Stop Apache and everything it started.  It is frozen while its
# children are listed, so it cannot fork one more in between; what
# outlives it is found by process group, by the FastCGI sockets in
# the temp directory on its stdin, by an executable inside it, and by
# PAIRSTORE_ENV_FILE naming our .env in its environment (an on-demand
# worker: a session of its own, not Apache's child, WORKER_BIN's
# executable, but started with the program's environment).
stop_apache() {
	victims=""
	[ -n "$apid" ] || find_apache
	# Without a PidFile yet, what the shell started is Apache (or the
	# setsid that forked it, whose descendants it then is).
	main="$apid $astart"
	[ -n "$apid" ] || main="$spid $sstart"
	# shellcheck disable=SC2086
	set -- $main
	if [ $# -eq 2 ] && proc_alive "$1" "$2"; then
		kill -STOP "$1" 2>/dev/null
		victims=$(descendants "$1")
		kill -TERM "$1" 2>/dev/null
		kill -CONT "$1" 2>/dev/null
		if ! wait_gone 100 "$main"; then
			echo "# $me: apache2 $1 ignored SIGTERM;" \
			    "killing it" >&2
			kill -KILL "$1" 2>/dev/null
			wait_gone 20 "$main"
		fi
	fi
	if [ -n "$spid" ]; then
		# setsid --wait ends with Apache.
		if ! wait_gone 20 "$spid $sstart"; then
			kill -KILL "$spid" 2>/dev/null
			wait_gone 20 "$spid $sstart"
		fi
		wait "$spid" 2>/dev/null
	fi
	victims=$(printf '%s\n%s\n%s\n%s\n%s\n' "$victims" \
	    "$(pgrp_members "$apgrp")" "$(socket_holders "$tmp")" \
	    "$(exe_under "$tmp")" \
	    "$(env_holders "PAIRSTORE_ENV_FILE=${envfile:-/nonexistent}")" |
	    awk -v me=$$ 'NF && $1 != me' | sort -u)
	if [ -n "$victims" ] && ! stop_list "$victims"; then
		echo "# $me: processes survived SIGKILL:" \
		    "$(echo "$victims" | awk '{ print $1 }' | tr '\n' ' ')" >&2
	fi
	spid=""
	apid=""
	apgrp=""
}

# ------------------------------------------------------------ temp dir

relaxed=""	# PS_TEST_TMPDIR's mode before o+x, to restore
envfile=""	# the programs' .env, once written
if [ -n "${PS_TEST_TMPDIR:-}" ]; then
	tmp=$(mktemp -d "$PS_TEST_TMPDIR/apache.XXXXXX") || die "mktemp"
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/pairstore-apache.XXXXXX") ||
	    die "mktemp"
fi
case "$tmp" in
/*) ;;
*) tmp=$(pwd)/$tmp ;;
esac

cmd_pid=""
cleanup() {
	trap '' INT TERM HUP
	if [ -n "$cmd_pid" ] && proc_alive "$cmd_pid"; then
		kill -TERM "$cmd_pid" 2>/dev/null
		wait_gone 50 "$cmd_pid" || kill -KILL "$cmd_pid" 2>/dev/null
	fi
	stop_apache
	save_logs "${errlog:-}" "$tmp/logs/access.log"
	if [ "${PS_TEST_KEEP_TMPDIR:-0}" = 1 ]; then
		echo "# $me: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	[ -z "$relaxed" ] || chmod "$relaxed" "$PS_TEST_TMPDIR"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

path_ok "$tmp" || die "$tmp: unusable characters in TMPDIR"
# A unix socket path must fit sun_path (108 bytes, NUL included).
[ ${#tmp} -le 70 ] || die "$tmp: path too long for unix sockets"

chmod 711 "$tmp" || die "chmod $tmp"
if [ -n "${PS_TEST_TMPDIR:-}" ] && [ "$(id -u)" -eq 0 ] &&
    ! as_user_test -x "$PS_TEST_TMPDIR"; then
	relaxed=$(stat -c %a "$PS_TEST_TMPDIR") || die "stat $PS_TEST_TMPDIR"
	chmod o+x "$PS_TEST_TMPDIR" || die "chmod $PS_TEST_TMPDIR"
fi
as_user_test -x "$tmp" ||
    die "$user cannot reach $tmp: set TMPDIR to a directory it can" \
    "(e.g. /tmp)"

mkdir -m 700 "$tmp/conf" && mkdir -m 755 "$tmp/run" "$tmp/logs" ||
    die "mkdir in $tmp"
conf=$tmp/conf/apache2.conf
errlog=$tmp/logs/pairstore-error.log

# mkdirs MODE DIR...: make them (and their parents) with that mode.
mkdirs() {
	m=$1
	shift
	for d in "$@"; do
		mkdir -p "$d" && chmod "$m" "$d" || die "mkdir $d"
	done
}

# put MODE SOURCE DEST: copy a file in with that mode.
put() {
	cp "$2" "$3" && chmod "$1" "$3" || die "cannot copy $2 to $3"
}

# subst FROM TO: copy stdin to stdout, every FROM replaced by TO as a
# plain string (no regular expression, no sed quoting).
subst() {
	awk -v from="$1" -v to="$2" '{
		out = ""
		while ((i = index($0, from)) > 0) {
			out = out substr($0, 1, i - 1) to
			$0 = substr($0, i + length(from))
		}
		print out $0
	}'
}

# The template must hold what is substituted, or the test would run a
# configuration other than the shipped one.
need() {	# need FILE STRING
	grep -qF -- "$2" "$1" ||
	    die "$1 no longer holds '$2': update $me to match"
}

# The .env the programs read: NAME="value" with dotenv's double-quote
# escapes (README, Configuration); empty values count as unset.
write_env() {	# write_env FILE
	# shellcheck disable=SC2086
	(umask 077 && awk 'BEGIN {
		for (i = 1; i < ARGC; i++) {
			v = ENVIRON[ARGV[i]]
			if (v == "")
				continue
			gsub(/\\/, "\\\\", v)
			gsub(/"/, "\\\"", v)
			gsub(/\n/, "\\n", v)
			gsub(/\r/, "\\r", v)
			printf "%s=\"%s\"\n", ARGV[i], v
		}
	}' $env_names </dev/null >"$1") || die "cannot write $1"
	if [ "$(id -u)" -eq 0 ]; then
		chgrp "$group" "$1" && chmod 640 "$1" || die "chmod $1"
	fi
}

case "$mode" in
vhost)
	cgibin=$tmp/libexec/cgi-bin
	envfile=$tmp/etc/pairstore.env
	docroot=$tmp/htdocs
	mkdirs 755 "$tmp/libexec" "$cgibin" "$docroot"
	mkdirs 711 "$tmp/etc"
	if [ -z "$media" ]; then
		media=$tmp/media
		mkdirs 755 "$media"
		[ "$(id -u)" -ne 0 ] || chown "$user:$group" "$media"
	fi
	;;
htaccess | cgi)
	home=$tmp/home
	cgibin=$home/public_html/cgi-bin
	envfile=$home/pairstore/pairstore.env
	docroot=$home/public_html
	mkdirs 711 "$home" "$home/pairstore"
	mkdirs 755 "$docroot" "$cgibin"
	;;
esac
echo "pairstore-test" >"$docroot/ping.txt"
chmod 644 "$docroot/ping.txt"
# shellcheck disable=SC2086
record_secrets $env_names
write_env "$envfile"
while read -r name prog; do
	[ -n "$name" ] || continue
	put 755 "$prog" "$cgibin/$name"
	as_user_test -x "$cgibin/$name" ||
	    die "$user cannot run $cgibin/$name"
done <<EOF
$programs
EOF
as_user_test -r "$envfile" || die "$user cannot read $envfile"

case "$mode" in
vhost)
	t=$APACHE_CONF/pairstore-vhost.conf
	need "$t" '<VirtualHost *:80>'
	need "$t" /usr/local/libexec/pairstore/cgi-bin
	need "$t" /etc/pairstore/pairstore.env
	need "$t" /var/lib/pairstore/media
	need "$t" /var/www/pairstore
	need "$t" 'ErrorLog ${APACHE_LOG_DIR}/pairstore-error.log'
	# The port is filled in by write_conf, per try.
	subst /usr/local/libexec/pairstore/cgi-bin "$cgibin" <"$t" |
	    subst /etc/pairstore/pairstore.env "$envfile" |
	    subst /var/lib/pairstore/media "$media" |
	    subst /var/www/pairstore "$docroot" >"$tmp/conf/vhost.in" ||
	    die "cannot write $tmp/conf/vhost.in"
	;;
htaccess | cgi)
	need "$APACHE_CONF/htaccess.example" /home/USER
	need "$APACHE_CONF/pairstore-wrapper.sh" /home/USER
	subst /home/USER "$home" <"$APACHE_CONF/htaccess.example" \
	    >"$cgibin/.htaccess" && chmod 644 "$cgibin/.htaccess" ||
	    die "cannot write $cgibin/.htaccess"
	subst /home/USER "$home" <"$APACHE_CONF/pairstore-wrapper.sh" \
	    >"$home/pairstore/pairstore-wrapper.sh" &&
	    chmod 755 "$home/pairstore/pairstore-wrapper.sh" ||
	    die "cannot write the wrapper"
	;;
esac

# ------------------------------------------------------------ configuration

write_conf() {	# write_conf PORT
	m=$APACHE_MODULES
	cat <<EOF
# Written by tests/with-apache.sh ($mode mode); removed when it exits.
ServerRoot "$tmp"
ServerName 127.0.0.1
Define APACHE_LOG_DIR $tmp/logs
Listen 127.0.0.1:$1
PidFile $tmp/run/apache2.pid
DefaultRuntimeDir $tmp/run
Mutex file:$tmp/run default
ErrorLog $errlog
LogLevel notice
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{User-Agent}i\"" combined
CustomLog $tmp/logs/access.log combined
EOF
	if [ "$(id -u)" -eq 0 ]; then
		echo "User $user"
		echo "Group $group"
	fi
	cat <<EOF
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule mime_module $m/mod_mime.so
LoadModule alias_module $m/mod_alias.so
LoadModule env_module $m/mod_env.so
LoadModule setenvif_module $m/mod_setenvif.so
LoadModule headers_module $m/mod_headers.so
EOF
	if [ "$mode" = cgi ]; then
		echo "LoadModule cgid_module $m/mod_cgid.so"
		echo "ScriptSock $tmp/run/cgid.sock"
		for n in $san_names; do
			echo "PassEnv $n"
		done
	else
		echo "LoadModule fcgid_module $m/mod_fcgid.so"
		echo "LogLevel notice fcgid:info"
		echo "FcgidIPCDir $tmp/fcgid"
		echo "FcgidProcessTableFile $tmp/run/fcgid_shm"
		for n in $san_names; do
			echo "FcgidInitialEnv $n \"\${$n}\""
		done
	fi
	cat <<EOF
# Small: this machine is shared.
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 8
Timeout 60
TypesConfig /etc/mime.types
AccessFileName .htaccess
DocumentRoot $docroot
<Directory />
    Options None
    AllowOverride None
    Require all denied
</Directory>
<FilesMatch "^\.ht">
    Require all denied
</FilesMatch>
EOF
	case "$mode" in
	vhost)
		subst '<VirtualHost *:80>' "<VirtualHost *:$1>" \
		    <"$tmp/conf/vhost.in"
		;;
	htaccess | cgi)
		# What a shared host typically grants: the minimum that
		# htaccess.example names.
		cat <<EOF
<Directory $docroot>
    Options None
    AllowOverride Options FileInfo
    Require all granted
</Directory>
EOF
		;;
	esac
}

# ------------------------------------------------------------ start

setsid=""
setsid --help 2>&1 | grep -q -- --wait && setsid="setsid --wait"

start_apache() {	# start_apache PORT; sets spid
	write_conf "$1" >"$conf" || die "cannot write $conf"
	: >"$errlog"
	rm -f "$tmp/run/apache2.pid"
	# A clean environment: PATH and the sanitizer variables (values
	# read by Apache from it, as \${NAME}), nothing else.  A session
	# of its own: its process group is all its own.
	set -- env -i PATH="$prog_path"
	for n in $san_names; do
		eval "set -- \"\$@\" \"$n=\${$n}\""
	done
	# shellcheck disable=SC2086
	"$@" $setsid "$APACHE2" -d "$tmp" -f "$conf" -DFOREGROUND \
	    </dev/null >>"$errlog" 2>&1 &
	spid=$!
	sstart=$(proc_stat "$spid") && sstart=${sstart##* }
}

tries=0
while :; do
	tries=$((tries + 1))
	# A port in 20000-59999 from the kernel's randomness.
	port=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))
	start_apache "$port"
	ready=0
	i=0
	while [ $i -lt 100 ]; do
		if [ -z "$apid" ]; then
			find_apache
		fi
		if [ -n "$apid" ] &&
		    grep -q 'resuming normal operations' "$errlog"; then
			ready=1
			break
		fi
		proc_alive "$spid" "$sstart" || break
		sleep 0.1
		i=$((i + 1))
	done
	[ $ready -eq 1 ] && break
	stop_apache
	if [ $tries -lt 10 ] && grep -q 'Address already in use' "$errlog"
	then
		continue
	fi
	sed 's/^/# /' "$errlog" >&2
	die "apache2 did not start (configuration: $conf)"
done

export PS_TEST_BASE_URL="http://127.0.0.1:$port"
export PS_TEST_APACHE_PID="$apid"
export PS_TEST_APACHE_ERRORLOG="$errlog"
export PS_TEST_APACHE_DIR="$tmp"
export PS_TEST_APACHE_MODE="$mode"
export PS_TEST_APACHE_USER="$user"
export PS_TEST_APACHE_CGIBIN="$cgibin"
export PS_TEST_APACHE_ENV_FILE="$envfile"
[ "$mode" != vhost ] || export PS_TEST_APACHE_MEDIA="$media"

# COMMAND runs in the background so that a signal to this script is
# acted on at once; a background job would get /dev/null as stdin and
# SIGINT ignored, so stdin is handed on and the signals reset.
dflt=""
env --default-signal=INT,QUIT true >/dev/null 2>&1 &&
    dflt="env --default-signal=INT,QUIT"
exec 3<&0
$dflt "$@" <&3 3<&- &
cmd_pid=$!
exec 3<&-
wait "$cmd_pid"
status=$?
cmd_pid=""
if [ $status -ne 0 ]; then
	echo "# $me: $1 exited $status; apache2 error log:" >&2
	tail -n 30 "$errlog" | sed 's/^/#   /' >&2
fi
exit $status
