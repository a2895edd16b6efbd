#!/bin/sh
# test_lighttpd_conf.sh - the shipped apache-conf/lighttpd-pairstore.conf,
# unmodified, included by a site file that sets its var.pairstore_*
# variables (the mechanism the file documents, and scripts/run uses):
# a real lighttpd on a free port of 127.0.0.1 spawns the built programs
# (bin-path), with a real redis-server (tests/with-redis.sh) and the real
# worker.
#
#   static  lighttpd -tt accepts it; its settings list names every
#           setting of lib/ps_settings*.def; its /media/ extensions and
#           types are exactly the media types of lib/ps_sniff.c
#   env     settings from the .env named by var.pairstore_env_file only
#           (lighttpd's environment holds PATH alone), AUTH_MODE=demo,
#           "pairstore worker" as a daemon: the page at /, pair -> 202 ->
#           status until completed -> an 8-character code, PATH_INFO
#           (/cgi-bin/status/health), a 5 MB upload stored locally and
#           served back intact through /media/ with the safety headers,
#           HTML stored raw and served as a download, every sample of
#           tests/data/media shown in place with its type, no listing,
#           no symlink, the size limits (lighttpd's 413 and the
#           program's), the programs' environment
#   jwt     AUTH_MODE=jwt and JWT_SECRET in lighttpd's environment
#           (bin-copy-environment wins over the .env), no worker running:
#           the one pair starts on demand runs the job
# Afterwards nothing that was started is left running (by PID), and
# lighttpd removed its sockets.
#
# Needs PAIR, STATUS, UPLOAD, PAIRSTORE, MKJWT (set by make check), curl,
# python3 and lighttpd (installed through scripts/deps.sh when missing
# and run as root; otherwise skipped).
. "${srcdir:-.}/tests/lib.sh"
set -u

: "${PAIR:?}" "${STATUS:?}" "${UPLOAD:?}" "${PAIRSTORE:?}" "${MKJWT:?}"
T=${PS_TEST_TMPDIR:?run under tests/with-redis.sh}
top=$(cd "${srcdir:-.}" && pwd)
PYTHON3=${PYTHON3:-python3}
CONF=$top/apache-conf/lighttpd-pairstore.conf
# shellcheck source=tests/proc.sh
. "$top/tests/proc.sh"
. "$top/tests/webtest.sh"

# ------------------------------------------------------------ helpers

# The status line of the answer to a POST that declares a body of
# LENGTH bytes and sends 7 of them; "timeout" after 10 s.
declared_body() {	# declared_body PATH LENGTH HEADER
	"$PYTHON3" - "$PORT" "$1" "$2" "$3" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.settimeout(10)
s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n"
           "Content-Type: multipart/form-data; boundary=xyz\r\n"
           "Content-Length: %s\r\nConnection: close\r\n\r\n--xyz\r\n"
           % (sys.argv[2], sys.argv[4], sys.argv[3])).encode())
try:
    print(s.recv(4096).split(b"\r\n")[0].decode())
except socket.timeout:
    print("timeout")
EOF
}
for tool in curl "$PYTHON3"; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "1..0 # SKIP $tool not found"
		exit 0
	}
done
LIGHTTPD=${LIGHTTPD:-$(PATH=$PATH:/usr/sbin:/sbin command -v lighttpd)}
if [ -z "$LIGHTTPD" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		# shellcheck source=scripts/deps.sh
		. "$top/scripts/deps.sh"
		ps_need_packages lighttpd >&2
		LIGHTTPD=$(PATH=$PATH:/usr/sbin:/sbin command -v lighttpd)
	fi
	[ -n "$LIGHTTPD" ] || {
		echo "1..0 # SKIP lighttpd not installed (apt-get install lighttpd)"
		exit 0
	}
fi

# ------------------------------------------------------------ layout

tmp=$(mktemp -d "$T/lt.XXXXXX") || exit 99
# The programs, as lighttpd finds them: var.pairstore_bin.
bindir=$(cd "$(dirname "$PAIR")" && pwd)
if [ "$(dirname "$STATUS")" != "$(dirname "$PAIR")" ] ||
    [ "$(dirname "$UPLOAD")" != "$(dirname "$PAIR")" ]; then
	bindir=$tmp/bin
	mkdir "$bindir" && ln -s "$PAIR" "$bindir/pair" &&
	    ln -s "$STATUS" "$bindir/status" && ln -s "$UPLOAD" "$bindir/upload"
fi
run=$tmp/run
media=$tmp/media
mkdir -p "$run" "$media" "$tmp/spool" "$tmp/upload"
# The browser page: web/ once it exists, else a stand-in here only.
if [ -f "$top/web/index.html" ]; then
	web=$top/web
else
	web=$tmp/web
	mkdir "$web" &&
	    echo '<!doctype html><title>pairstore</title><p>stand-in page' \
	    >"$web/index.html"
	diag "web/index.html does not exist yet: a stand-in page is served"
fi
envfile=$tmp/pairstore.env
errlog=$tmp/error.log
proglog=$tmp/programs.log
workerlog=$tmp/worker.log

export JWT_SECRET=test-only-jwt-secret-for-pairstore-0001
# The settings, in the .env the shipped file names (bin-environment).
cat >"$envfile" <<EOF
REDIS_URL=$REDIS_URL
AUTH_MODE=demo
WORKER_SPAWN=false
WORKER_BIN=$PAIRSTORE
WORKER_IDLE_EXIT_S=300
LOCAL_STORAGE_DIR=$media
LOCAL_STORAGE_URL=/media
SPOOL_DIR=$tmp/spool
LOG_LEVEL=info
EOF
chmod 600 "$envfile"

# The site file: what scripts/run writes, here with a random port.
write_site() {	# write_site PORT
	cat <<EOF
var.pairstore_bin      = "$bindir"
var.pairstore_web      = "$web"
var.pairstore_media    = "$media"
var.pairstore_run      = "$run"
var.pairstore_env_file = "$envfile"
var.pairstore_bind     = "127.0.0.1"
var.pairstore_port     = $1
server.errorlog        = "$errlog"
server.breakagelog     = "$proglog"
server.upload-dirs     = ( "$tmp/upload" )
include "$CONF"
EOF
}
site=$tmp/site.conf

# Every process this test started or saw started: "PID STARTTIME" lines.
started=$tmp/started
: >"$started"
remember() { for _p in "$@"; do proc_line "$_p" >>"$started"; done; }

lpid=""
lstart=""
stop_lighttpd() {
	[ -n "$lpid" ] || return 0
	# Frozen while its children are listed: it cannot fork another.
	kill -STOP "$lpid" 2>/dev/null
	descendants "$lpid" >>"$started"
	kill -TERM "$lpid" 2>/dev/null
	kill -CONT "$lpid" 2>/dev/null
	if ! wait_gone 50 "$lpid $lstart"; then
		kill -KILL "$lpid" 2>/dev/null
		wait_gone 20 "$lpid $lstart"
	fi
	wait "$lpid" 2>/dev/null
	lpid=""
	socket_holders "$run" >>"$started"
	stop_list "$(sort -u "$started")" || diag "processes survived SIGKILL"
}
wpid=""
stop_worker() {
	[ -n "$wpid" ] || return 0
	kill -TERM "$wpid" 2>/dev/null
	wait_gone 100 "$(proc_line "$wpid")" || kill -KILL "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	wpid=""
}
cleanup() {
	trap '' INT TERM HUP
	stop_worker
	stop_lighttpd
	# On-demand workers: a session of their own, found by their .env.
	stop_list "$(env_holders "PAIRSTORE_ENV_FILE=$envfile")" >/dev/null
	[ "${PS_TEST_KEEP_TMPDIR:-0}" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# start_lighttpd [NAME=VALUE...]: lighttpd with the site file and only
# PATH (and the given variables) in its environment; sets BASE, PORT.
start_lighttpd() {
	tries=0
	while :; do
		tries=$((tries + 1))
		PORT=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))
		write_site "$PORT" >"$site"
		: >"$errlog"
		env -i PATH=/usr/bin:/bin "$@" "$LIGHTTPD" -D -f "$site" \
		    </dev/null >>"$errlog" 2>&1 &
		lpid=$!
		lstart=$(proc_line "$lpid") && lstart=${lstart#* }
		remember "$lpid"
		if wait_for "$errlog" 'server started' 100; then
			BASE=http://127.0.0.1:$PORT
			return 0
		fi
		stop_lighttpd
		[ $tries -lt 10 ] && grep -q 'in use' "$errlog" && continue
		sed 's/^/# /' "$errlog"
		return 1
	done
}

# ------------------------------------------------------------ static

write_site 8080 >"$site"
out=$(env -i PATH=/usr/bin:/bin "$LIGHTTPD" -tt -f "$site" 2>&1)
ok $? "lighttpd -tt accepts the site file including the shipped config"
is "$out" "" "... without a warning"

# Every setting can come from lighttpd's environment.
names=$(sed -n 's/^X([A-Z_0-9]*, "\([A-Z_0-9]*\)".*/\1/p' \
    "$top"/lib/ps_settings*.def | grep -vx PAIRSTORE_ENV_FILE)
missing=""
for n in $names; do
	grep -q "\"$n\"" "$CONF" || missing="$missing $n"
done
[ -n "$names" ] && [ -z "$missing" ]
ok $? "var.pairstore_settings names every setting${missing:+ (missing:$missing)}"

# The /media/ lists: lib/ps_sniff.c's media extensions, no more, no less.
want=$(sniff_table)
got=$(sed -n '/^\$HTTP\["url"\] =^ "\/media\/"/,/^}/p' "$CONF" |
    sed -n 's/^[[:space:]]*"\.\([a-z0-9]*\)"[[:space:]]*=> "\([^"]*\)",\{0,1\}$/\1 \2/p' |
    sort)
is "$got" "$want" "/media/ mimetype.assign: exactly lib/ps_sniff.c's media types"
inline=$(sed -n 's/.*=~ "\\\.(\([a-z0-9|]*\))\$".*/\1/p' "$CONF" |
    tr '|' '\n' | sort)
is "$inline" "$(echo "$want" | cut -d' ' -f1)" \
    "/media/ shown in place: exactly those extensions"

# ------------------------------------------------------------ env phase

start_lighttpd
ok $? "lighttpd started with the shipped config on 127.0.0.1:$PORT"
[ -n "${BASE:-}" ] || { done_testing; exit 1; }

page_pair_health_flow
code=$(req GET /cgi-bin/status/nonsense)
is "$code" 404 "GET /cgi-bin/status/nonsense: the program's 404"
for p in /cgi-bin/pairx /cgi-bin/ /cgi-bin/other; do
	code=$(req GET "$p")
	is "$code" 404 "GET $p: 404 (not a program)"
done

grep -qF '[SessionLock] Lock acquired for user alice' "$proglog"
ok $? "the programs' log lines reach server.breakagelog"
grep -qF '[PairingQueue] Job pair:alice completed for user alice' \
    "$workerlog"
ok $? "the worker logged the job as completed"

# How the programs run: spawned by lighttpd, settings from the .env.
pid=$(socket_holders "$run" | head -1 | cut -d' ' -f1)
[ -n "$pid" ] && grep -q 'serving as FastCGI$' "$proglog"
ok $? "the programs serve FastCGI on lighttpd's sockets (pid $pid)"
tr '\0' '\n' <"/proc/$pid/environ" | grep -qxF "PAIRSTORE_ENV_FILE=$envfile"
ok $? "PAIRSTORE_ENV_FILE names the .env (bin-environment)"
extra=$(tr '\0' '\n' <"/proc/$pid/environ" | sed 's/=.*//' |
    grep -Evx 'PATH|PAIRSTORE_ENV_FILE|PWD|PHP_FCGI_CHILDREN' | tr '\n' ' ')
is "$extra" "" "nothing else in their environment (lighttpd's PHP_FCGI_CHILDREN aside)"

# --- uploads and /media/
head -c 5242880 /dev/urandom >"$T/5mb.bin"
code=$(req POST /cgi-bin/upload -H "$U" -F kind=view-once \
    -F "file=@$T/5mb.bin;type=application/octet-stream")
is "$code" 201 "a 5 MB upload (kind=view-once): 201"
[ "$code" = 201 ] || diag "answer: $(head -c 300 "$T/body")"
is "$(json backend)" local "stored by the local backend"
is "$(json bytes)" 5242880 "all 5242880 bytes"
url=$(json url)
case "$url" in
/media/view-once/alice/*.bin) st=0 ;;
*) st=1 ;;
esac
ok $st "its URL is under /media/ ($url)"
code=$(req GET "$url")
is "$code" 200 "GET its URL: 200"
cmp -s "$T/body" "$T/5mb.bin"
ok $? "the same bytes"
is "$(hdr X-Content-Type-Options)" nosniff "media: X-Content-Type-Options: nosniff"
hdr Content-Security-Policy | grep -Eq "(^|; *)sandbox(;|$)"
ok $? "media: Content-Security-Policy with sandbox"
hdr Content-Security-Policy | grep -q "default-src 'none'"
ok $? "media: ... and default-src 'none'"
is "$(hdr Content-Type)" application/octet-stream "raw data: application/octet-stream"
is "$(hdr Content-Disposition)" attachment "raw data: a download (attachment)"

printf '<!doctype html><script>alert(document.cookie)</script>\n' \
    >"$T/evil.html"
code=$(req POST /cgi-bin/upload -H "$U" -F kind=deleted-messages \
    -F "file=@$T/evil.html;type=text/html")
is "$code:$(json resource_type)" 201:raw "an HTML upload: 201, stored raw"
url=$(json url)
case "$url" in
*.bin) st=0 ;;
*) st=1 ;;
esac
ok $st "as .bin ($url)"
code=$(req GET "$url")
is "$code" 200 "GET the HTML upload: 200"
cmp -s "$T/body" "$T/evil.html"
ok $? "... the same bytes"
is "$(hdr Content-Type)" application/octet-stream "... not as text/html"
is "$(hdr Content-Disposition)" attachment "... as a download"
hdr Content-Security-Policy | grep -Eq "(^|; *)sandbox(;|$)"
ok $? "... sandboxed"

# Every sample format: stored under its extension, served with its type,
# in place (no Content-Disposition), nosniff and sandboxed.
samples_served "$U"

# Files planted by hand: only the extension decides.
mkdir -p "$media/planted"
printf '<script>alert(1)</script>' >"$media/planted/x.html"
printf '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>' \
    >"$media/planted/x.svg"
ln -s /etc/passwd "$media/planted/passwd.png"
for f in x.html x.svg; do
	code=$(req GET "/media/planted/$f")
	is "$code:$(hdr Content-Type):$(hdr Content-Disposition)" \
	    200:application/octet-stream:attachment \
	    "a planted $f: octet-stream, a download"
done
code=$(req GET /media/planted/passwd.png)
[ "$code" != 200 ] && ! grep -q root: "$T/body"
ok $? "a symlink in the media directory is not followed ($code)"
for p in /media/ /media/view-once/ /media/view-once/alice/; do
	code=$(req GET "$p")
	[ "$code" = 403 ] || [ "$code" = 404 ]
	st=$?
	grep -q '\.bin' "$T/body" && st=1
	ok $st "GET $p: $code, no listing"
done
code=$(req GET /media/../pairstore.env --path-as-is)
! grep -q REDIS_URL "$T/body"
ok $? "/media/../ reaches nothing outside ($code)"
code=$(req GET /.env)
is "$code" 403 "GET /.env: 403 (url.access-deny: never served)"

# --- size limits: 105906176 = UPLOAD_MAX_BYTES + 1 MiB
line=$(declared_body /cgi-bin/upload 105906177 "$U")
is "$line" "HTTP/1.1 413 Payload Too Large" \
    "a body declared over server.max-request-size: lighttpd's 413"
: >"$T/hdr"
# Just under lighttpd's limit, over UPLOAD_MAX_BYTES: the program's.
"$PYTHON3" - "$PORT" >"$T/resp" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.settimeout(10)
s.sendall(b"POST /cgi-bin/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          b"X-Pairstore-User: alice\r\n"
          b"Content-Type: multipart/form-data; boundary=xyz\r\n"
          b"Content-Length: 105906176\r\nConnection: close\r\n\r\n--xyz\r\n")
data = b""
try:
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
sys.stdout.write(data.decode("latin-1"))
EOF
head -1 "$T/resp" | tr -d '\r' | grep -q '^HTTP/1.1 413'
st=$?
grep -qi '^Content-Type: application/problem+json' "$T/resp" || st=1
ok $st "a body within it but over UPLOAD_MAX_BYTES: the program's 413 (problem+json)"

# --- stop: the worker (SIGTERM), then lighttpd and its programs
stop_worker
stop_lighttpd
ls "$run"/*.sock* >/dev/null 2>&1
ok $((!$?)) "lighttpd removed its sockets when it stopped"

# ------------------------------------------------------------ jwt phase
# Settings from lighttpd's environment win over the .env
# (bin-copy-environment); no worker runs, so pair starts one.
start_lighttpd AUTH_MODE=jwt JWT_SECRET="$JWT_SECRET" WORKER_SPAWN=true \
    WORKER_IDLE_EXIT_S=300
ok $? "lighttpd started again, AUTH_MODE=jwt in its environment"
code=$(req POST /cgi-bin/pair -H "$U" -d phone=4915123456789)
is "$code" 401 "jwt: the demo header is no identity now: 401"
tok=$(hs bob)
code=$(req POST /cgi-bin/pair -H "Authorization: Bearer $tok" \
    -d phone=4915123456789)
is "$code" 202 "jwt: a bearer token reaches the program: 202"
i=0
while [ $i -lt 100 ]; do
	req GET '/cgi-bin/status?job=pair:bob' \
	    -H "Authorization: Bearer $tok" >/dev/null
	[ "$(json state)" = completed ] && break
	sleep 0.1
	i=$((i + 1))
done
is "$(json state)" completed "jwt: an on-demand worker started by pair ran it"
grep -q 'started an on-demand worker' "$proglog"
ok $? "jwt: pair logged that it started one"
ondemand=$(env_holders "PAIRSTORE_ENV_FILE=$envfile" |
    while read -r p s; do
	    [ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = \
		"pairstore worker --idle-exit 300 " ] && echo "$p $s"
    done)
[ -n "$ondemand" ]
ok $? "jwt: it is a pairstore worker of its own (${ondemand%% *})"
echo "$ondemand" >>"$started"

stop_lighttpd
stop_list "$ondemand"
ok $? "the on-demand worker stops on SIGTERM"

# ------------------------------------------------------------ nothing left
left=""
while read -r p s; do
	[ -n "$p" ] || continue
	proc_alive "$p" "$s" && left="$left $p"
done <<EOF
$(sort -u "$started")
EOF
n=$(sort -u "$started" | grep -c .)
[ "$n" -ge 8 ] && [ -z "$left" ]
ok $? "none of the $n processes started is left${left:+ (left:$left)}"
[ -z "$(socket_holders "$run")" ]
ok $? "nothing holds a socket of the run directory"
done_testing
