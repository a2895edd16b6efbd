#!/bin/sh
# with-lighttpd.sh [OPTIONS] -- COMMAND [ARGS...]
#
# Run COMMAND against a private lighttpd: its own configuration in a
# fresh temp directory, listening on a random port of 127.0.0.1 only.
# lighttpd and every process it started are stopped by PID on every exit
# path; the exit status is COMMAND's (99 when lighttpd cannot start, 129,
# 130 or 143 when this script gets SIGHUP, SIGINT or SIGTERM: COMMAND is
# then stopped too).  Every wait is bounded: 10 s for lighttpd to start,
# 5 s for it to stop, 3 s for what it started, then SIGKILL.
#
#   --fcgi URLPATH=PROGRAM  mod_fastcgi; lighttpd spawns PROGRAM itself
#                           ("bin-path", as in production).  URLPATH and
#                           URLPATH/anything go to it, the rest of the
#                           path as PATH_INFO (/cgi-bin/status/health:
#                           SCRIPT_NAME=/cgi-bin/status PATH_INFO=/health)
#   --cgi URLPATH=PROGRAM   the same through mod_cgi: one process a request
#   --docroot DIR           static files (default: an empty directory)
#   --max-request-size KB   server.max-request-size (default 1 GiB)
#   --procs N               FastCGI "max-procs" (default 2)
#   --basic-auth USERFILE   HTTP Basic authentication over the whole site
#                           (mod_auth, plain "user:password" lines): the
#                           programs see REMOTE_USER, as on a host where
#                           the web server authenticates users
#
# The programs get PATH=/usr/bin:/bin and every variable of this
# script's environment whose name starts with one of the prefixes in
# pass_re below (REDIS_, AUTH_, JWT_, PAIRSTORE_, ...); nothing else of
# it.  Request bodies stream to them (server.stream-request-body = 2).
# Their stderr goes to the error log.  A program that fails to start
# does not stop lighttpd: its requests get 503, as in production.
#
# Exported to COMMAND:
#   PS_TEST_BASE_URL          http://127.0.0.1:PORT
#   PS_TEST_LIGHTTPD_PID      lighttpd's PID
#   PS_TEST_LIGHTTPD_ERRORLOG lighttpd's and the programs' stderr
#   PS_TEST_LIGHTTPD_DIR      the temp directory (removed afterwards)
# The temp directory is made inside $PS_TEST_TMPDIR when that is set
# (under tests/with-redis.sh), else in $TMPDIR or /tmp.  LIGHTTPD names
# the binary (default: lighttpd from PATH, /usr/sbin or /sbin).
# PS_TEST_KEEP_TMPDIR=1 keeps the directory for a post-mortem.
#
# PS_TEST_ARTIFACTS (make check sets it to tests/artifacts of the build
# tree): every secret value handed to the programs (the settings
# flagged SECRET or URLSECRET in lib/ps_settings*.def, from this
# environment and PAIRSTORE_ENV_FILE) is appended to
# $PS_TEST_ARTIFACTS/secrets/values, and on exit the error log is
# copied to $PS_TEST_ARTIFACTS/logs/TEST-PID.log (TEST: PS_TEST_NAME,
# which tests/with-redis.sh sets), for tests/integration/test_secrets.sh.
#
# Linux only: it reads /proc to find what lighttpd started.
set -u

me=with-lighttpd.sh
pass_re='^(REDIS_|AUTH_|JWT_|PAIRING_|QUEUE_|JOB_|LOCK_|LOG_|PAIRSTORE_'
pass_re=$pass_re'|CLOUDINARY_|SUPABASE_|LOCAL_STORAGE_|UPLOAD_|PUBLIC_'
pass_re=$pass_re'|WORKER_|STORAGE_|BACKEND_|SPOOL_|MEDIA_|ASAN_|UBSAN_|LSAN_)'
pass_re=$pass_re'[A-Za-z0-9_]*$'
prog_path=/usr/bin:/bin
here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "$me: $*" >&2
	exit 99
}

usage() {
	sed -n '2,/^set -u/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

# ------------------------------------------------------------ arguments

maps=""		# lines "KIND URLPATH PROGRAM"
docroot=""
authfile=""
max_kb=1048576
procs=2

add_map() {	# add_map fcgi|cgi URLPATH=PROGRAM
	kind=$1
	case "$2" in
	*=*) ;;
	*) die "--$kind wants URLPATH=PROGRAM, not '$2'" ;;
	esac
	url=${2%%=*}
	prog=${2#*=}
	case "$url" in
	/*) ;;
	*) die "--$kind $url: URLPATH must start with /" ;;
	esac
	case "$url" in
	*[!A-Za-z0-9._~/-]* | *//*)
		die "--$kind $url: URLPATH may hold only A-Z a-z 0-9 . _ ~ - /"
		;;
	esac
	# "/cgi-bin/pair/" is "/cgi-bin/pair".
	while [ "$url" != / ] && [ "${url%/}" != "$url" ]; do
		url=${url%/}
	done
	if [ "$url" = / ] && [ "$kind" = cgi ]; then
		die "--cgi needs a URLPATH below /"
	fi
	case "$prog" in
	/*) ;;
	*) prog=$(pwd)/$prog ;;
	esac
	case "$prog" in
	*[!A-Za-z0-9._~/+,:@=-]*)
		die "--$kind $prog: no spaces or quotes in PROGRAM, please"
		;;
	esac
	[ -f "$prog" ] && [ -x "$prog" ] ||
	    die "--$kind $prog: not an executable file"
	case "
$maps" in
	*"
fcgi $url "* | *"
cgi $url "*)
		die "$url is mapped twice"
		;;
	esac
	maps="$maps$kind $url $prog
"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--fcgi | --cgi | --docroot | --max-request-size | --procs | --basic-auth)
		[ $# -ge 2 ] || die "$1 needs a value"
		opt=$1
		val=$2
		shift 2
		;;
	--fcgi=* | --cgi=* | --docroot=* | --max-request-size=* | --procs=* | \
	--basic-auth=*)
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
	--fcgi) add_map fcgi "$val" ;;
	--cgi) add_map cgi "$val" ;;
	--docroot) docroot=$val ;;
	--max-request-size) max_kb=$val ;;
	--procs) procs=$val ;;
	--basic-auth) authfile=$val ;;
	esac
done
[ $# -gt 0 ] || die "no COMMAND given (usage: $me [OPTIONS] -- COMMAND)"

case "$max_kb" in
'' | *[!0-9]*) die "--max-request-size wants kilobytes, not '$max_kb'" ;;
esac
case "$procs" in
[1-9] | [1-5][0-9] | 6[0-4]) ;;
*) die "--procs wants 1 to 64, not '$procs'" ;;
esac
if [ -n "$authfile" ]; then
	[ -r "$authfile" ] || die "--basic-auth $authfile: not readable"
	authfile=$(cd "$(dirname "$authfile")" && pwd)/$(basename "$authfile")
fi
if [ -n "$docroot" ]; then
	[ -d "$docroot" ] || die "--docroot $docroot: not a directory"
	docroot=$(cd "$docroot" && pwd) || die "--docroot $docroot: no access"
fi

LIGHTTPD=${LIGHTTPD:-$(PATH=$PATH:/usr/sbin:/sbin command -v lighttpd)}
[ -n "$LIGHTTPD" ] && [ -x "$LIGHTTPD" ] ||
    die "lighttpd not found (apt-get install lighttpd, or set LIGHTTPD)"

# Names to hand on, from awk's ENVIRON: never confused by values that
# hold newlines, as the output of env(1) would be.
pass_names=$(awk -v re="$pass_re" \
    'BEGIN { for (k in ENVIRON) if (k ~ re) print k }' </dev/null | sort)

# ------------------------------------------------------------ artifacts

# record_secrets, save_logs (PS_TEST_ARTIFACTS): tests/artifacts.sh.
. "$here/artifacts.sh"

# ------------------------------------------------------------ processes

# proc_stat, proc_alive, wait_gone, signal_list, descendants,
# socket_holders: tests/proc.sh.
. "$here/proc.sh"

lpid=""
lstart=""

# Stop lighttpd and everything it started.  It is frozen while its
# children are listed, so it cannot fork one more in between.
stop_lighttpd() {
	victims=""
	if [ -n "$lpid" ] && proc_alive "$lpid" "$lstart"; then
		kill -STOP "$lpid" 2>/dev/null
		victims=$(descendants "$lpid")
		kill -TERM "$lpid" 2>/dev/null
		kill -CONT "$lpid" 2>/dev/null
		if ! wait_gone 50 "$lpid $lstart"; then
			echo "# $me: lighttpd $lpid ignored SIGTERM;" \
			    "killing it" >&2
			kill -KILL "$lpid" 2>/dev/null
			wait_gone 20 "$lpid $lstart"
		fi
	fi
	# Reap it (a zombie is gone, but still a child of this shell).
	if [ -n "$lpid" ] && ! proc_alive "$lpid" "$lstart"; then
		wait "$lpid" 2>/dev/null
	fi
	lpid=""
	victims=$(printf '%s\n%s\n' "$victims" "$(socket_holders "$tmp")" | sort -u)
	# lighttpd sends its backends SIGTERM itself; the rest get it now.
	signal_list TERM "$victims"
	if ! wait_gone 30 "$victims"; then
		echo "# $me: killing what lighttpd left running" >&2
		signal_list KILL "$victims"
		wait_gone 20 "$victims" ||
		    echo "# $me: processes survived SIGKILL" >&2
	fi
}

# shellcheck disable=SC2086
record_secrets $pass_names

# ------------------------------------------------------------ temp dir

if [ -n "${PS_TEST_TMPDIR:-}" ]; then
	tmp=$(mktemp -d "$PS_TEST_TMPDIR/lighttpd.XXXXXX") || die "mktemp"
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/pairstore-lighttpd.XXXXXX") ||
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
	stop_lighttpd
	save_logs "${errlog:-}"
	if [ "${PS_TEST_KEEP_TMPDIR:-0}" = 1 ]; then
		echo "# $me: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

case "$tmp" in
*[!A-Za-z0-9._~/+,:@=-]*) die "$tmp: unusable characters in TMPDIR" ;;
esac
# A unix socket path must fit sun_path (108 bytes, NUL included).
[ ${#tmp} -le 80 ] || die "$tmp: path too long for unix sockets"
[ -n "$docroot" ] || { docroot=$tmp/docroot; mkdir "$docroot"; }
case "$docroot" in
*[!A-Za-z0-9._~/+,:@=-]*) die "--docroot $docroot: unusable characters" ;;
esac
mkdir "$tmp/upload" || die "mkdir $tmp/upload"
conf=$tmp/lighttpd.conf
errlog=$tmp/error.log

# ------------------------------------------------------------ configuration

# A quoted lighttpd list of the names to hand on, PATH first.
name_list() {
	printf '"PATH"'
	for n in $pass_names; do
		printf ', "%s"' "$n"
	done
}

# The same as NAME => value pairs, the values read by lighttpd from its
# own environment (env.NAME) so no secret is written to a file.
env_pairs() {
	printf '"PATH" => "%s"' "$prog_path"
	for n in $pass_names; do
		printf ',\n\t\t"%s" => env.%s' "$n" "$n"
	done
}

write_conf() {	# write_conf PORT
	cat <<EOF
# Written by tests/with-lighttpd.sh; removed when it exits.
server.modules = ( "mod_alias", "mod_setenv", "mod_auth", "mod_authn_file",
	"mod_fastcgi", "mod_cgi" )
server.document-root = "$docroot"
server.bind = "127.0.0.1"
server.port = $1
server.tag = "pairstore-test"
server.errorlog = "$errlog"
server.upload-dirs = ( "$tmp/upload" )
server.stream-request-body = 2
server.max-request-size = $max_kb
index-file.names = ( "index.html" )
mimetype.assign = (
	".html" => "text/html; charset=utf-8",
	".css" => "text/css; charset=utf-8",
	".js" => "text/javascript; charset=utf-8",
	".json" => "application/json",
	".txt" => "text/plain; charset=utf-8",
	".svg" => "image/svg+xml",
	".png" => "image/png",
	".jpg" => "image/jpeg",
	"" => "application/octet-stream"
)
EOF
	if [ -n "$authfile" ]; then
		cat <<EOF
auth.backend = "plain"
auth.backend.plain.userfile = "$authfile"
auth.require = ( "/" => ( "method" => "basic", "realm" => "pairstore-test",
	"require" => "valid-user" ) )
EOF
	fi
	# The catch-all "/" first: lighttpd lets a later matching block
	# override an earlier one, so the specific prefixes must follow it.
	n=0
	for pass in root prefix; do
		while read -r kind url prog; do
			[ -n "$kind" ] || continue
			case "$pass:$url" in
			root:/ | prefix:/?*) ;;
			*) continue ;;
			esac
			n=$((n + 1))
			write_map "$kind" "$url" "$prog" "$n"
		done <<EOF
$maps
EOF
	done
}

write_map() {	# write_map KIND URLPATH PROGRAM N
	if [ "$2" = / ]; then
		# Everything else, in the global scope; PATH_INFO is the
		# whole path and SCRIPT_NAME empty.
		fcgi_server "$2" "$3" "$4" \
		    ' "fix-root-scriptname" => "enable",'
		return
	fi
	# /x matches /x and /x/..., never /xy.
	re="^$(printf '%s' "$2" | sed 's/[.]/[.]/g')(/|\$)"
	echo "\$HTTP[\"url\"] =~ \"$re\" {"
	if [ "$1" = fcgi ]; then
		fcgi_server "$2" "$3" "$4" ""
	else
		# Not the catch-all FastCGI program.  The alias maps
		# /x/rest to PROGRAM/rest; lighttpd finds that PROGRAM is
		# a file and makes /rest the PATH_INFO.
		cat <<EOF
	fastcgi.server = ( )
	alias.url = ( "$2" => "$3" )
	cgi.assign = ( "" => "" )
	setenv.add-environment = (
		$(env_pairs)
	)
EOF
	fi
	echo "}"
}

# With a prefix that starts with "/" and "check-local" disabled,
# lighttpd sets SCRIPT_NAME to the prefix and PATH_INFO to the rest.
fcgi_server() {	# fcgi_server URLPATH PROGRAM N EXTRA
	cat <<EOF
	fastcgi.server = ( "$1" => ((
		"socket" => "$tmp/fcgi-$3.sock",
		"bin-path" => "$2",
		"max-procs" => $procs,
		"check-local" => "disable",$4
		"bin-copy-environment" => ( $(name_list) )
	)) )
EOF
}

# ------------------------------------------------------------ start

start_lighttpd() {	# start_lighttpd PORT; sets lpid
	write_conf "$1" >"$conf" || die "cannot write $conf"
	: >"$errlog"
	# A clean environment: PATH and the names to hand on, nothing else.
	# shellcheck disable=SC2086
	set -- env -i PATH="$prog_path"
	for n in $pass_names; do
		eval "set -- \"\$@\" \"$n=\${$n}\""
	done
	# stderr is the error log too: lighttpd hands its own stderr to
	# the programs it starts.
	"$@" "$LIGHTTPD" -D -f "$conf" </dev/null >>"$errlog" 2>&1 &
	lpid=$!
	lstart=$(proc_stat "$lpid") && lstart=${lstart##* }
}

tries=0
while :; do
	tries=$((tries + 1))
	# A port in 20000-59999 from the kernel's randomness.
	port=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))
	start_lighttpd "$port"
	ready=0
	i=0
	while [ $i -lt 100 ]; do
		if grep -q 'server started' "$errlog" 2>/dev/null; then
			ready=1
			break
		fi
		proc_alive "$lpid" "$lstart" || break
		sleep 0.1
		i=$((i + 1))
	done
	[ $ready -eq 1 ] && break
	stop_lighttpd
	if [ $tries -lt 10 ] && grep -q 'in use' "$errlog"; then
		continue
	fi
	sed 's/^/# /' "$errlog" >&2
	die "lighttpd did not start (configuration: $conf)"
done

export PS_TEST_BASE_URL="http://127.0.0.1:$port"
export PS_TEST_LIGHTTPD_PID="$lpid"
export PS_TEST_LIGHTTPD_ERRORLOG="$errlog"
export PS_TEST_LIGHTTPD_DIR="$tmp"

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
	echo "# $me: $1 exited $status; lighttpd error log:" >&2
	tail -n 30 "$errlog" | sed 's/^/#   /' >&2
fi
exit $status
