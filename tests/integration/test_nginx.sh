#!/bin/sh
# test_nginx.sh - the shipped apache-conf/nginx-pairstore.conf and
# apache-conf/pairstore-fcgi@.service against a real nginx: the site
# file with only the strings its header lists replaced (listen address,
# paths), inside a minimal http { } block like Debian's nginx.conf; the
# programs started by the unit's ExecStart line (spawn-fcgi + multiwatch,
# paths substituted) and by its documented --listen alternative; a real
# redis-server (tests/with-redis.sh) and the real worker.
#
#   static  nginx -t accepts it; its /media/ types and in-place list are
#           exactly the media types of lib/ps_sniff.c
#   params  what nginx hands a program (a FastCGI echo on the status
#           socket): SCRIPT_NAME/PATH_INFO split, no HTTP_PROXY from a
#           Proxy header (httpoxy), Host with its port, Authorization,
#           no REMOTE_USER
#   flow    AUTH_MODE=demo, "pairstore worker" as a daemon: the page at
#           /, pair -> 202 -> status until completed -> an 8-character
#           code, /cgi-bin/status/health (PATH_INFO), a 5 MB upload
#           stored locally and served back intact through /media/ with
#           the safety headers, HTML stored raw and served as a
#           download, every sample of tests/data/media shown in place
#           with its type, no listing, no symlink, same-origin and
#           cross-site posts, the size limits (nginx's 413 and the
#           program's), 4 processes per program on one 0660 socket
#   listen  status started as the unit's comment shows: --listen
#   jwt     pair restarted with AUTH_MODE=jwt in its environment (it wins
#           over the .env), no worker running: the one pair starts on
#           demand runs the job
# Afterwards nothing that was started is left running (by PID).
#
# Needs PAIR, STATUS, UPLOAD, PAIRSTORE, MKJWT (set by make check), curl,
# python3, nginx, spawn-fcgi and multiwatch (installed through
# scripts/deps.sh when missing and run as root; otherwise skipped).
. "${srcdir:-.}/tests/lib.sh"
set -u

: "${PAIR:?}" "${STATUS:?}" "${UPLOAD:?}" "${PAIRSTORE:?}" "${MKJWT:?}"
T=${PS_TEST_TMPDIR:?run under tests/with-redis.sh}
top=$(cd "${srcdir:-.}" && pwd)
PYTHON3=${PYTHON3:-python3}
SITE=$top/apache-conf/nginx-pairstore.conf
UNIT=$top/apache-conf/pairstore-fcgi@.service
# shellcheck source=tests/proc.sh
. "$top/tests/proc.sh"
. "$top/tests/webtest.sh"

# ------------------------------------------------------------ helpers

# The status line and headers of the answer to a POST to the upload
# program that declares a body of LENGTH bytes and sends a few.
declared_body() {	# declared_body LENGTH
	"$PYTHON3" - "$PORT" "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.settimeout(10)
s.sendall(("POST /cgi-bin/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "X-Pairstore-User: alice\r\n"
           "Content-Type: multipart/form-data; boundary=xyz\r\n"
           "Content-Length: %s\r\nConnection: close\r\n\r\n--xyz\r\n"
           % sys.argv[2]).encode())
data = b""
try:
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    data = b"timeout\r\n\r\n"
sys.stdout.write(data.decode("latin-1").replace("\r", ""))
EOF
}
# subst FROM TO: stdin to stdout, every FROM replaced by TO as a plain
# string (no regular expression).
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
# The shipped file must hold what is replaced, or this test would run
# a configuration other than the shipped one.
need() {	# need FILE STRING
	grep -qF -- "$2" "$1" || {
		echo "Bail out! $1 no longer holds '$2': update $0"
		exit 99
	}
}

for tool in curl "$PYTHON3"; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "1..0 # SKIP $tool not found"
		exit 0
	}
done
NGINX=${NGINX:-/usr/sbin/nginx}
SPAWN_FCGI=/usr/bin/spawn-fcgi
MULTIWATCH=/usr/bin/multiwatch
if [ ! -x "$NGINX" ] || [ ! -x "$SPAWN_FCGI" ] || [ ! -x "$MULTIWATCH" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		# deps.sh holds the nginx service back while it installs.
		# shellcheck source=scripts/deps.sh
		. "$top/scripts/deps.sh"
		ps_need_packages nginx spawn-fcgi multiwatch >&2
	fi
	if [ ! -x "$NGINX" ] || [ ! -x "$SPAWN_FCGI" ] ||
	    [ ! -x "$MULTIWATCH" ]; then
		echo "1..0 # SKIP nginx, spawn-fcgi or multiwatch not installed" \
		    "(apt-get install nginx spawn-fcgi multiwatch)"
		exit 0
	fi
fi

# ------------------------------------------------------------ layout

tmp=$(mktemp -d "$T/ng.XXXXXX") || exit 99
case "$tmp" in
*[!A-Za-z0-9._/-]*) echo "Bail out! $tmp: unusable characters"; exit 99 ;;
esac
bindir=$(cd "$(dirname "$PAIR")" && pwd)
if [ "$(dirname "$STATUS")" != "$(dirname "$PAIR")" ] ||
    [ "$(dirname "$UPLOAD")" != "$(dirname "$PAIR")" ]; then
	bindir=$tmp/bin
	mkdir "$bindir" && ln -s "$PAIR" "$bindir/pair" &&
	    ln -s "$STATUS" "$bindir/status" && ln -s "$UPLOAD" "$bindir/upload"
fi
run=$tmp/run
media=$tmp/media
mkdir -p "$run" "$media" "$tmp/spool" "$tmp/logs"
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
errlog=$tmp/logs/error.log
proglog=$tmp/logs/programs.log
workerlog=$tmp/logs/worker.log
: >"$proglog"

export JWT_SECRET=test-only-jwt-secret-for-pairstore-0001
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

# ---- the site file, rendered
for s in 'listen 80;' 'listen [::]:80;' /var/www/pairstore /run/pairstore/ \
    /var/lib/pairstore/media/; do
	need "$SITE" "$s"
done
render_site() {	# render_site PORT
	grep -vF 'listen [::]:80;' "$SITE" |
	    subst 'listen 80;' "listen 127.0.0.1:$1;" |
	    subst /var/www/pairstore "$web" |
	    subst /run/pairstore/ "$run/" |
	    subst /var/lib/pairstore/media/ "$media/"
}
# What Debian's nginx.conf has around sites-enabled/*, with every path
# in the temp directory.
write_nginx_conf() {
	[ "$(id -u)" -eq 0 ] && echo "user root root;"
	cat <<EOF
worker_processes 1;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log $tmp/logs/access.log;
	client_body_temp_path $tmp/body;
	fastcgi_temp_path $tmp/fastcgi;
	proxy_temp_path $tmp/proxy;
	scgi_temp_path $tmp/scgi;
	uwsgi_temp_path $tmp/uwsgi;
	include $tmp/pairstore.conf;
}
EOF
}

# ---- the programs: the unit's ExecStart, with its paths substituted
need "$UNIT" /run/pairstore/%i.sock
need "$UNIT" /usr/local/libexec/pairstore/cgi-bin/%i
need "$UNIT" Environment=PAIRSTORE_ENV_FILE=/etc/pairstore/pairstore.env
unit_line() {	# unit_line PATTERN PROGRAM: an ExecStart line, substituted
	grep -E -- "$1" "$UNIT" | head -1 | sed 's/^[#[:space:]]*ExecStart=//' |
	    subst %i "$2" | subst /run/pairstore "$run" |
	    subst /usr/local/libexec/pairstore/cgi-bin "$bindir"
}

# Every process this test started or saw started: "PID STARTTIME" lines.
started=$tmp/started
: >"$started"
remember() { for _p in "$@"; do proc_line "$_p" >>"$started"; done; }

# start_program NAME PATTERN [NAME=VALUE...]: run the unit line matching
# PATTERN for program NAME in the background (as systemd would: the
# unit's Environment= and nothing else of ours, plus the variables
# given); its PID in $prog_NAME.
start_program() {
	_name=$1 _pat=$2
	shift 2
	_line=$(unit_line "$_pat" "$_name")
	set -f
	# shellcheck disable=SC2086
	env -i PATH=/usr/bin:/bin PAIRSTORE_ENV_FILE="$envfile" "$@" \
	    $_line </dev/null >>"$proglog" 2>&1 &
	_p=$!
	set +f
	remember "$_p"
	eval "prog_$_name=\$_p"
}
# stop_program NAME: SIGTERM to what start_program started, and wait.
stop_program() {
	eval "_p=\${prog_$1:-}"
	[ -n "$_p" ] || return 0
	_l=$( { proc_line "$_p"; descendants "$_p"; } )
	echo "$_l" >>"$started"
	kill -TERM "$_p" 2>/dev/null
	stop_list "$_l"
	_st=$?
	wait "$_p" 2>/dev/null
	eval "prog_$1="
	return $_st
}
# wait_serving SOCKET N: N processes hold SOCKET (their stdin) or one
# listens on it; bounded.
wait_serving() {
	_n=0
	while [ $_n -lt 100 ]; do
		[ -S "$1" ] && [ "$(socket_holders "$run" |
		    grep -c .)" -ge "$2" ] && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

npid=""
stop_nginx() {
	[ -n "$npid" ] || return 0
	descendants "$npid" >>"$started"
	kill -QUIT "$npid" 2>/dev/null
	if ! wait_gone 50 "$(proc_line "$npid")"; then
		kill -TERM "$npid" 2>/dev/null
		wait_gone 30 "$(proc_line "$npid")" || kill -KILL "$npid"
	fi
	wait "$npid" 2>/dev/null
	npid=""
}
wpid=""
stop_worker() {
	[ -n "$wpid" ] || return 0
	kill -TERM "$wpid" 2>/dev/null
	wait_gone 100 "$(proc_line "$wpid")" || kill -KILL "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	wpid=""
}
echo_pid=""
cleanup() {
	trap '' INT TERM HUP
	stop_worker
	for p in pair status upload; do
		stop_program "$p"
	done
	[ -z "$echo_pid" ] || kill -KILL "$echo_pid" 2>/dev/null
	stop_nginx
	stop_list "$( { socket_holders "$run"; sort -u "$started"
	    env_holders "PAIRSTORE_ENV_FILE=$envfile"; } )" >/dev/null
	[ "${PS_TEST_KEEP_TMPDIR:-0}" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

start_nginx() {	# sets npid, PORT, BASE
	write_nginx_conf >"$tmp/nginx.conf"
	tries=0
	while :; do
		tries=$((tries + 1))
		PORT=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))
		render_site "$PORT" >"$tmp/pairstore.conf"
		: >"$errlog"
		rm -f "$tmp/nginx.pid"
		env -i PATH=/usr/bin:/bin "$NGINX" -p "$tmp/" -e "$errlog" \
		    -c "$tmp/nginx.conf" \
		    -g "daemon off; pid $tmp/nginx.pid; error_log $errlog notice;" \
		    </dev/null >>"$errlog" 2>&1 &
		npid=$!
		remember "$npid"
		if wait_for "$errlog" 'start worker process' 100; then
			BASE=http://127.0.0.1:$PORT
			# shellcheck disable=SC2046
			remember $(descendants "$npid" | cut -d' ' -f1)
			return 0
		fi
		stop_nginx
		[ $tries -lt 10 ] && grep -q 'in use' "$errlog" && continue
		sed 's/^/# /' "$errlog"
		return 1
	done
}

# ------------------------------------------------------------ static

want=$(sniff_table)
render_site 8080 >"$tmp/pairstore.conf"
write_nginx_conf >"$tmp/nginx.conf"
out=$("$NGINX" -t -q -p "$tmp/" -e "$errlog" -c "$tmp/nginx.conf" \
    -g "pid $tmp/nginx.pid;" 2>&1)
ok $? "nginx -t accepts the rendered site file"
is "$out" "" "... without a warning"
got=$(sed -n '/types {/,/}/p' "$SITE" | awk '/\// {
	sub(/;$/, ""); for (i = 2; i <= NF; i++) print $i, $1 }' | sort)
is "$got" "$want" "/media/ types: exactly lib/ps_sniff.c's media types"
inline=$(sed -n 's/.*"~\\\.(\([a-z0-9|]*\))\$".*/\1/p' "$SITE" |
    tr '|' '\n' | sort)
is "$inline" "$(echo "$want" | cut -d' ' -f1)" \
    "/media/ shown in place: exactly those extensions"

start_nginx
ok $? "nginx started with the shipped site file on 127.0.0.1:$PORT"
[ -n "${BASE:-}" ] || { done_testing; exit 1; }

# ------------------------------------------------------------ params
# A FastCGI echo in place of status: what nginx sends a program.
"$PYTHON3" - "$run/status.sock" >"$tmp/logs/echo.log" 2>&1 <<'EOF' &
import json, os, socket, struct, sys
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
open(path + ".ready", "w").close()

def records(c):
    buf = b""
    while True:
        while len(buf) < 8:
            d = c.recv(65536)
            if not d:
                return
            buf += d
        _, t, rid, n, pad = struct.unpack(">BBHHBx", buf[:8])
        while len(buf) < 8 + n + pad:
            d = c.recv(65536)
            if not d:
                return
            buf += d
        yield t, rid, buf[8:8 + n]
        buf = buf[8 + n + pad:]

def nv(blob):
    out, i = {}, 0
    def ln():
        nonlocal i
        if blob[i] < 128:
            i += 1
            return blob[i - 1]
        v = struct.unpack(">I", blob[i:i + 4])[0] & 0x7fffffff
        i += 4
        return v
    while i < len(blob):
        a = ln(); b = ln()
        out[blob[i:i + a].decode()] = blob[i + a:i + a + b].decode()
        i += a + b
    return out

def rec(t, rid, data):
    pad = (8 - len(data) % 8) % 8
    return struct.pack(">BBHHBx", 1, t, rid, len(data), pad) + data + b"\0" * pad

while True:
    c, _ = srv.accept()
    params, rid = b"", 1
    for t, rid, data in records(c):
        if t == 4:
            params += data
        elif t == 5 and not data:
            break
    body = json.dumps(nv(params), separators=(",", ":")).encode()
    out = b"Status: 200 OK\r\nContent-Type: application/json\r\n\r\n" + body
    c.sendall(rec(6, rid, out) + rec(6, rid, b"") +
              rec(3, rid, struct.pack(">IBxxx", 0, 0)))
    c.close()
EOF
echo_pid=$!
i=0
while [ ! -e "$run/status.sock.ready" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
code=$(req GET '/cgi-bin/status/health?x=1' -H 'Proxy: http://evil.example:1' \
    -H 'Authorization: Basic bWFsbG9yeTp4')
is "$code" 200 "params: the echo answers through nginx"
is "$(json SCRIPT_NAME)" /cgi-bin/status "params: SCRIPT_NAME=/cgi-bin/status"
is "$(json PATH_INFO)" /health "params: PATH_INFO=/health"
is "$(json QUERY_STRING)" x=1 "params: QUERY_STRING"
# nginx sends no parameter for an empty value, and passes no header
# whose HTTP_ name a fastcgi_param sets.
! grep -q '"HTTP_PROXY":"http' "$T/body"
ok $? "params: the client's Proxy header is not HTTP_PROXY (httpoxy)"
is "$(json HTTP_HOST)" "127.0.0.1:$PORT" "params: HTTP_HOST keeps the port"
is "$(json HTTP_AUTHORIZATION)" "Basic bWFsbG9yeTp4" \
    "params: Authorization reaches the program"
! grep -q '"REMOTE_USER"' "$T/body"
ok $? "params: no REMOTE_USER from an unchecked Basic header"
is "$(json REQUEST_SCHEME)" http "params: REQUEST_SCHEME"
code=$(req GET /cgi-bin/status)
is "$(json SCRIPT_NAME):$(json PATH_INFO)" /cgi-bin/status: \
    "params: /cgi-bin/status: no PATH_INFO"
kill -KILL "$echo_pid" 2>/dev/null
wait "$echo_pid" 2>/dev/null
echo_pid=""
rm -f "$run/status.sock" "$run/status.sock.ready"

# ------------------------------------------------------------ flow

SPAWN='^ExecStart=/usr/bin/spawn-fcgi '
LISTEN='ExecStart=/usr/local/libexec/pairstore/cgi-bin/%i --listen '
start_program pair "$SPAWN"
start_program status "$SPAWN"
start_program upload "$SPAWN"
wait_serving "$run/upload.sock" 12
ok $? "the unit's ExecStart: 4 processes of each program on its socket"
is "$(stat -c %a "$run/pair.sock" 2>/dev/null)" 660 "the sockets are 0660"
pp=""
for p in pair status upload; do
	eval "pp=\$prog_$p"
	is "$(tr '\0' ' ' <"/proc/$pp/cmdline" | cut -d' ' -f1)" \
	    "$MULTIWATCH" "$p: spawn-fcgi became multiwatch (systemd's main PID)"
done

page_pair_health_flow
code=$(req GET /cgi-bin/status/nonsense)
is "$code:$(hdr Content-Type)" 404:application/problem+json \
    "GET /cgi-bin/status/nonsense: the program's 404"
for p in /cgi-bin/pairx /cgi-bin/ /cgi-bin/other /cgi-bin/pair.sock; do
	code=$(req GET "$p")
	is "$code" 404 "GET $p: 404 (not a program)"
done
grep -qF '[SessionLock] Lock acquired for user alice' "$proglog"
ok $? "the programs' log lines reach multiwatch's stderr (the journal)"
grep -qF '[PairingQueue] Job pair:alice completed for user alice' \
    "$workerlog"
ok $? "the worker logged the job as completed"

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
! grep -q 'buffered to a temporary file' "$errlog"
ok $? "nginx spooled no request body (fastcgi_request_buffering off)"

printf '<!doctype html><script>alert(document.cookie)</script>\n' \
    >"$T/evil.html"
code=$(req POST /cgi-bin/upload -H "$U" -H "Origin: $BASE" \
    -H 'Sec-Fetch-Site: same-origin' -F kind=deleted-messages \
    -F "file=@$T/evil.html;type=text/html")
is "$code:$(json resource_type)" 201:raw \
    "an HTML upload, same-origin browser post: 201, stored raw"
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
code=$(req POST /cgi-bin/upload -H "$U" -H 'Origin: http://evil.example' \
    -H 'Sec-Fetch-Site: cross-site' -F kind=view-once \
    -F "file=@$T/evil.html;type=text/html")
is "$code" 403 "a cross-site post: 403"
head -c 1048576 /dev/urandom >"$T/1mb.bin"
code=$(req POST /cgi-bin/upload -H "$U" -H 'Transfer-Encoding: chunked' \
    -F kind=view-once -F "file=@$T/1mb.bin;type=application/octet-stream")
is "$code:$(json bytes)" 201:1048576 \
    "a chunked upload (no Content-Length, FastCGI frames it): stored"

samples_served "$U"

mkdir -p "$media/planted"
printf '<script>alert(1)</script>' >"$media/planted/x.html"
printf '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>' \
    >"$media/planted/x.svg"
printf '<?php echo 1;' >"$media/planted/x.php"
ln -s /etc/passwd "$media/planted/passwd.png"
for f in x.html x.svg x.php; do
	code=$(req GET "/media/planted/$f")
	is "$code:$(hdr Content-Type):$(hdr Content-Disposition)" \
	    200:application/octet-stream:attachment \
	    "a planted $f: octet-stream, a download"
done
code=$(req GET /media/planted/passwd.png)
[ "$code" != 200 ] && ! grep -q root: "$T/body"
ok $? "a symlink in the media directory is not followed ($code)"
hdr Content-Security-Policy | grep -q sandbox
ok $? "... error answers carry the headers too (always)"
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
is "$code" 404 "GET /.env: 404 (dot files are never served)"

# --- size limits: client_max_body_size 101m = 105906176 bytes
declared_body 105906177 >"$T/resp"
head -1 "$T/resp" | grep -q '^HTTP/1.1 413'
ok $? "a body declared over client_max_body_size: nginx's 413"
! grep -qi '^Content-Type: application/problem+json' "$T/resp"
ok $? "... from nginx, not the program"
declared_body 105906176 >"$T/resp"
head -1 "$T/resp" | grep -q '^HTTP/1.1 413'
st=$?
grep -qi '^Content-Type: application/problem+json' "$T/resp" || st=1
ok $st "a body within it but over UPLOAD_MAX_BYTES: the program's 413 (problem+json)"
head -c 100000 /dev/zero >"$T/100k.bin"
code=$(req POST /cgi-bin/pair -H "$U" --data-binary "@$T/100k.bin")
is "$code" 413 "a 100 KB body to pair: 413 (client_max_body_size 64k)"

# ------------------------------------------------------------ listen
# The documented alternative: the program opens its socket itself.
stop_program status
ok $? "status (spawn-fcgi + multiwatch) stops on SIGTERM"
start_program status "$LISTEN"
wait_for "$proglog" "serving as FastCGI on $run/status.sock" 100
ok $? "status --listen $run/status.sock (the unit's alternative)"
code=$(req GET /cgi-bin/status/health)
is "$code" 200 "--listen: /cgi-bin/status/health through nginx: 200"
stop_program status
ok $? "--listen: status stops on SIGTERM"
[ ! -e "$run/status.sock" ]
ok $? "--listen: it removed its socket"
start_program status "$SPAWN"

# ------------------------------------------------------------ jwt
# pair again, AUTH_MODE=jwt from its environment (which wins over the
# .env); no worker runs, so pair starts one on demand.
stop_worker
stop_program pair
start_program pair "$SPAWN" AUTH_MODE=jwt \
    JWT_SECRET="$JWT_SECRET" WORKER_SPAWN=true
wait_serving "$run/pair.sock" 12
ok $? "pair started again, AUTH_MODE=jwt in its environment"
code=$(req POST /cgi-bin/pair -H "$U" -d phone=4915123456789)
is "$code" 401 "jwt: the demo header is no identity now: 401"
tok=$(hs bob)
code=$(req POST /cgi-bin/pair -H "Authorization: Bearer $tok" \
    -d phone=4915123456789)
is "$code" 202 "jwt: a bearer token reaches the program: 202"
i=0
while [ $i -lt 100 ]; do
	req GET '/cgi-bin/status?job=pair:bob' -H 'X-Pairstore-User: bob' \
	    >/dev/null
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

# ------------------------------------------------------------ stop
ok_stop=0
for p in pair status upload; do
	stop_program "$p" || ok_stop=1
done
ok $ok_stop "the programs (multiwatch and its children) stop on SIGTERM"
stop_list "$ondemand"
ok $? "the on-demand worker stops on SIGTERM"
stop_nginx
left=""
while read -r p s; do
	[ -n "$p" ] || continue
	proc_alive "$p" "$s" && left="$left $p"
done <<EOF
$(sort -u "$started")
EOF
n=$(sort -u "$started" | grep -c .)
[ "$n" -ge 15 ] && [ -z "$left" ]
ok $? "none of the $n processes started is left${left:+ (left:$left)}"
[ -z "$(socket_holders "$run")" ]
ok $? "nothing holds a socket of the run directory"
done_testing
