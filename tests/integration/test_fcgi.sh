#!/bin/sh
# test_fcgi.sh - the accept loop every program shares (ps_fcgi_run),
# driven through the tests/tools/fcgi_echo fixture: plain CGI, FastCGI
# on TCP, IPv6 and unix sockets (cgi-fcgi from libfcgi-bin, the official
# libfcgi client, and tests/tools/fcgi_client.py for kept connections and
# timing), graceful stop during a request, loopback by default.
#
# Environment: FCGI_ECHO (the built fixture; the Makefile passes it),
# PYTHON3 (default python3), srcdir, PS_TEST_TMPDIR (tests/with-redis.sh),
# FCGI_WRAPPER (e.g. valgrind: the fixture runs under it; every line
# the fixture writes to stderr is checked for sanitizer and valgrind
# reports at the end).
. "${srcdir:-.}/tests/lib.sh"

E=${FCGI_ECHO:?set FCGI_ECHO to the built tests/tools/fcgi_echo}
W=${FCGI_WRAPPER:-}
PY=${PYTHON3:-python3}
CLIENT=${srcdir:-.}/tests/tools/fcgi_client.py
T=${PS_TEST_TMPDIR:?run under tests/with-redis.sh}
command -v cgi-fcgi >/dev/null 2>&1 || {
	echo "Bail out! cgi-fcgi not found (apt-get install libfcgi-bin)"
	exit 99
}
export AUTH_MODE=demo LOG_LEVEL=info
unset JWT_SECRET JWT_PUBLIC_KEY_FILE PAIRSTORE_ENV_FILE

spid=""
trap '[ -n "$spid" ] && kill -9 $spid 2>/dev/null' EXIT

skip() {	# skip REASON DESCRIPTION
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $2 # SKIP $1"
}

rand_port() {
	echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))
}

# cgi ENV...: run the fixture once as CGI with env -i and ENV (stdin as
# given); output in $out, stderr in $err; its exit status.
cgi() {
	env -i AUTH_MODE=demo "$@" $W "$E" >"$out" 2>"$err"
	st=$?
	cat "$err" >>"$T/all.log"
	return $st
}

# start_cmd COMMAND...: run it in the background ($spid, log in
# $T/srv.log) and wait until the fixture says it serves; 1 if it exited.
start_cmd() {
	cat "$T/srv.log" >>"$T/all.log" 2>/dev/null
	: >"$T/srv.log"
	"$@" 2>"$T/srv.log" &
	spid=$!
	i=0
	while [ $i -lt 200 ]; do
		grep -q 'serving as FastCGI' "$T/srv.log" && return 0
		if ! kill -0 "$spid" 2>/dev/null; then
			wait "$spid"
			spid=""
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# start_server ARGS...: the fixture with ARGS.
start_server() {
	start_cmd $W "$E" "$@"
}

# start_tcp HOST [ARGS...]: on a random free port ($port).
start_tcp() {
	h=$1
	shift
	tries=0
	while [ $tries -lt 10 ]; do
		port=$(rand_port)
		start_server --listen "$h:$port" "$@" && return 0
		grep -q 'in use' "$T/srv.log" || return 1
		tries=$((tries + 1))
	done
	return 1
}

# stop_server [SIGNAL]: send it (TERM) and wait; returns the exit status.
stop_server() {
	kill -"${1:-TERM}" "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	st=$?
	spid=""
	return $st
}

# wait_exit PID: up to 5 s; 0 when the process has exited.
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# fcgi_get ADDRESS QUERY [PATH_INFO]: one GET through cgi-fcgi.
fcgi_get() {
	env -i REQUEST_METHOD=GET QUERY_STRING="$2" PATH_INFO="${3:-}" \
	    cgi-fcgi -bind -connect "$1"
}

status_is() {	# status_is FILE "200 OK"
	[ "$(head -n 1 "$1")" = "$(printf 'Status: %s\r' "$2")" ]
}

body_of() {
	sed '1,/^\r$/d' "$1"
}

pid_of() {
	sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$1"
}

out=$T/out
err=$T/err

# ---------------------------------------------------------------- CGI
cgi REQUEST_METHOD=GET QUERY_STRING='q=a%20b&user=alice' PATH_INFO=/x/y \
    </dev/null
ok $? "cgi: one request, exit status 0"
status_is "$out" "200 OK"
ok $? "cgi: CGI status line with CRLF (RFC 3875, 6.3.3)"
grep -q "$(printf '^Content-Type: application/json\r$')" "$out"
ok $? "cgi: Content-Type header"
grep -q "$(printf '^X-Content-Type-Options: nosniff\r$')" "$out"
ok $? "cgi: nosniff header"
body_of "$out" | grep -q '"method":"GET","path_info":"/x/y","q":"a b"'
ok $? "cgi: method, PATH_INFO and decoded query field echoed"
body_of "$out" | grep -q '"user":"alice".*"cgi":true'
ok $? "cgi: identity from ?user= and the CGI flag"
grep -q 'serving as CGI' "$err"
[ $? -ne 0 ]; ok $? "cgi: no start-up line per request at info level"

cgi LOG_LEVEL=debug REQUEST_METHOD=GET QUERY_STRING=user=a </dev/null
grep -q '\[Server\] fcgi_echo serving as CGI' "$err"
ok $? "cgi: the start-up line is a debug line"

printf 'f=hi+there&user=bob' >"$T/body"
cgi REQUEST_METHOD=POST CONTENT_LENGTH=19 \
    CONTENT_TYPE=application/x-www-form-urlencoded <"$T/body"
body_of "$out" | grep -q '"field":"hi there","user":"bob"'
ok $? "cgi: urlencoded POST body from stdin"

printf '{"f":"j s","user":"carol"}' >"$T/body"
cgi REQUEST_METHOD=POST CONTENT_LENGTH=26 \
    CONTENT_TYPE='application/json; charset=utf-8' <"$T/body"
body_of "$out" | grep -q '"field":"j s","user":"carol"'
ok $? "cgi: JSON POST body from stdin"

cgi REQUEST_METHOD=POST CONTENT_LENGTH=99999 \
    CONTENT_TYPE=application/json </dev/null
status_is "$out" "413 Content Too Large"
ok $? "cgi: an oversized Content-Length is 413 without reading"

cgi REQUEST_METHOD=GET </dev/null
status_is "$out" "401 Unauthorized" &&
    grep -q "$(printf '^Content-Type: application/problem+json\r$')" \
    "$out" && body_of "$out" | grep -q '"title":"Unauthorized"'
ok $? "cgi: no identity is a 401 problem+json"

cgi REQUEST_METHOD=GET QUERY_STRING='a=%zz' </dev/null
status_is "$out" "400 Bad Request"; ok $? "cgi: a bad query is 400"

cgi REQUEST_METHOD=GET QUERY_STRING='silent=1' </dev/null
status_is "$out" "500 Internal Server Error" &&
    body_of "$out" | grep -q '"status":500'
ok $? "cgi: a handler that sends nothing gets a 500 problem"
grep -q 'the handler sent no response' "$err"
ok $? "cgi: ... and the log says why"

cgi </dev/null
[ $? -eq 2 ]; ok $? "cgi: without REQUEST_METHOD it exits 2"
grep -q 'not started by a web server' "$err"
ok $? "cgi: ... saying it was not started by a web server"

# ------------------------------------------------------- command line
"$E" --help >"$out" 2>&1
ok $? "--help exits 0"
grep -q -- '--listen ADDRESS' "$out"; ok $? "--help documents --listen"
"$E" --version >"$out" 2>&1
grep -q '^fcgi_echo (pairstore) [0-9]' "$out"; ok $? "--version"
"$E" --frob >"$out" 2>&1
[ $? -eq 2 ]; ok $? "an unknown option exits 2"
"$E" --backlog 0 >"$out" 2>&1
[ $? -eq 2 ]; ok $? "--backlog 0 is refused"
"$E" --listen 'nohost' >"$out" 2>&1
[ $? -eq 1 ]; ok $? "--listen without port or '/' is refused"
grep -q 'bad --listen address' "$out"; ok $? "... with a message"

# ---------------------------------------------------- FastCGI over TCP
start_tcp 127.0.0.1
ok $? "tcp: serving on 127.0.0.1:$port"
grep -q "\[Server\] fcgi_echo serving as FastCGI on 127.0.0.1:$port" \
    "$T/srv.log"
ok $? "tcp: the start-up line names the address"
for n in 1 2 3; do
	fcgi_get "127.0.0.1:$port" "q=n$n&user=u$n" "/p$n" >"$out"
	body_of "$out" | grep -q "\"path_info\":\"/p$n\",\"q\":\"n$n\"" &&
	    grep -q "\"user\":\"u$n\",\"pid\":$spid,\"cgi\":false" "$out"
	ok $? "tcp: request $n answered by the one process"
done

"$PY" "$CLIENT" --repeat 3 "127.0.0.1:$port" REQUEST_METHOD=GET \
    QUERY_STRING='user=keep&q=k' >"$out"
[ $? -eq 0 ] && [ "$(grep -c '"q":"k"' "$out")" -eq 3 ]
ok $? "tcp: three requests on one kept connection (FCGI_KEEP_CONN)"

printf '{"f":"over fastcgi","user":"dave"}' >"$T/body"
"$PY" "$CLIENT" --body "$T/body" "127.0.0.1:$port" REQUEST_METHOD=POST \
    CONTENT_TYPE=application/json >"$out"
body_of "$out" | grep -q '"field":"over fastcgi","user":"dave"'
ok $? "tcp: a POST body read with FCGX_GetStr"

fcgi_get "127.0.0.1:$port" 'user=big&pad=200000' >"$out"
body_of "$out" | grep -q '"pad":"x*"}$' &&
    [ "$(body_of "$out" | wc -c)" -gt 200000 ]
ok $? "tcp: a 200 KB response arrives whole"

fcgi_get "127.0.0.1:$port" 'silent=1' >"$out"
status_is "$out" "500 Internal Server Error"
ok $? "tcp: a handler that sends nothing gets a 500 problem"

# A client that goes away while the answer is written (SIGPIPE).
"$PY" "$CLIENT" --hang-up "127.0.0.1:$port" REQUEST_METHOD=GET \
    QUERY_STRING='user=gone&sleep_ms=200&pad=1000000'
sleep 0.5
kill -0 "$spid" 2>/dev/null
ok $? "tcp: a client that went away does not kill the process"
fcgi_get "127.0.0.1:$port" 'user=next' | grep -q '"user":"next"'
ok $? "tcp: ... which serves the next request"

# A request in flight when SIGTERM arrives is finished, then exit 0.
rm -f "$T/ready"
"$PY" "$CLIENT" --ready-file "$T/ready" "127.0.0.1:$port" \
    REQUEST_METHOD=GET QUERY_STRING='user=slow&sleep_ms=1000&pad=50000' \
    >"$out" 2>"$err" &
cpid=$!
i=0
while [ ! -e "$T/ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
kill -TERM "$spid"
wait "$cpid"
ok $? "stop: the in-flight request got its FCGI_END_REQUEST"
body_of "$out" | grep -q '"stopping":true,"slept_ms":1000,"pad":"x*"}$'
ok $? "stop: ... with its whole body, after SIGTERM arrived"
status_is "$out" "200 OK"; ok $? "stop: ... and status 200"
stop_server TERM
ok $? "stop: then the process exits 0"
fcgi_get "127.0.0.1:$port" 'user=late' >"$out" 2>&1
grep -q '"user":"late"' "$out"
[ $? -ne 0 ]; ok $? "stop: no request is served after the stop"

# SIGTERM while libfcgi reads a new connection's parameters: with
# SA_RESTART handlers the read is not cut, the request is whole.
start_tcp 127.0.0.1
rm -f "$T/ready"
"$PY" "$CLIENT" --ready-file "$T/ready" --stall-after-begin 1 \
    "127.0.0.1:$port" REQUEST_METHOD=GET QUERY_STRING='user=stall' \
    >"$out" 2>"$err" &
cpid=$!
i=0
while [ ! -e "$T/ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
kill -TERM "$spid"
wait "$cpid"
ok $? "stop: a request whose parameters were still coming is answered"
body_of "$out" | grep -q '"user":"stall"'
ok $? "stop: ... with all its parameters"
stop_server TERM
ok $? "stop: ... and the process exits 0"

for sig in TERM INT USR1; do
	start_tcp 127.0.0.1
	p=$spid
	kill -"$sig" "$p"
	wait_exit "$p"
	ok $? "stop: SIG$sig ends an idle process waiting in accept"
	stop_server TERM
	ok $? "stop: SIG$sig exit status 0"
done

start_tcp 127.0.0.1 --max-requests 2
p=$spid
fcgi_get "127.0.0.1:$port" 'user=m1' >/dev/null
fcgi_get "127.0.0.1:$port" 'user=m2' >/dev/null
wait_exit "$p"
ok $? "--max-requests 2: the process exits after two requests"
stop_server TERM
ok $? "--max-requests: exit status 0"

# ":PORT" is loopback only (libfcgi alone would bind every interface).
start_tcp ""
ok $? "tcp: serving on :$port"
hex=$(printf '%04X' "$port")
grep -q "^ *[0-9]*: 0100007F:$hex 00000000:0000 0A" /proc/net/tcp
ok $? "tcp: :$port listens on 127.0.0.1"
grep -q "^ *[0-9]*: 00000000:$hex 00000000:0000 0A" /proc/net/tcp
[ $? -ne 0 ]; ok $? "tcp: ... and not on 0.0.0.0"
fcgi_get "127.0.0.1:$port" 'user=lo' | grep -q '"user":"lo"'
ok $? "tcp: and serves there"
stop_server TERM
ok $? "tcp: exit status 0"

if grep -q ' lo$' /proc/net/if_inet6 2>/dev/null; then
	start_tcp '[::1]'
	ok $? "ipv6: serving on [::1]:$port"
	"$PY" "$CLIENT" "[::1]:$port" REQUEST_METHOD=GET \
	    QUERY_STRING='user=six' | grep -q '"user":"six"'
	ok $? "ipv6: a request over [::1]"
	stop_server TERM
	ok $? "ipv6: exit status 0"
else
	skip "no IPv6 loopback" "ipv6: serving on [::1]"
	skip "no IPv6 loopback" "ipv6: a request over [::1]"
	skip "no IPv6 loopback" "ipv6: exit status 0"
fi

# ------------------------------------- started by the web server (fd 0)
# As mod_fcgid and lighttpd do: the listening socket is descriptor 0.
FD0='import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
os.dup2(s.fileno(), 0)
os.execvp(sys.argv[2], sys.argv[2:])'
start_cmd "$PY" -c "$FD0" "$T/fd0.sock" $W "$E"
ok $? "fd0: a listening socket on stdin means FastCGI"
grep -q '\[Server\] fcgi_echo serving as FastCGI$' "$T/srv.log"
ok $? "fd0: the start-up line is an info line without address"
fcgi_get "$T/fd0.sock" 'user=w1' >"$out"
p1=$(pid_of "$out")
fcgi_get "$T/fd0.sock" 'user=w2' >"$out"
p2=$(pid_of "$out")
[ -n "$p1" ] && [ "$p1" = "$p2" ] && grep -q '"user":"w2"' "$out"
ok $? "fd0: two requests answered by the one process"
stop_server TERM
ok $? "fd0: SIGTERM, exit status 0"

# -------------------------------------------------- unix domain socket
sock=$T/fcgi.sock
start_server --listen "$sock"
ok $? "unix: serving on $sock"
[ "$(stat -c '%a %F' "$sock")" = "660 socket" ]
ok $? "unix: the socket is mode 0660"
fcgi_get "$sock" 'user=x1' >"$out"
p1=$(pid_of "$out")
fcgi_get "$sock" 'user=x2' >"$out"
p2=$(pid_of "$out")
[ -n "$p1" ] && [ "$p1" = "$p2" ] && [ "$p1" = "$spid" ]
ok $? "unix: two requests answered by the one process"
"$E" --listen "$sock" >"$out" 2>&1
[ $? -eq 1 ] && grep -q 'in use' "$out"
ok $? "unix: a live socket is not taken over"
fcgi_get "$sock" 'user=x3' | grep -q '"user":"x3"'
ok $? "unix: ... and still serves"
stop_server TERM
ok $? "unix: exit status 0"
[ ! -e "$sock" ]; ok $? "unix: the socket file is removed at exit"

start_server --listen "$sock"
stop_server KILL
[ -S "$sock" ]; ok $? "unix: SIGKILL leaves a stale socket file"
start_server --listen "$sock"
ok $? "unix: a stale socket is replaced"
fcgi_get "$sock" 'user=x4' | grep -q '"user":"x4"'
ok $? "unix: ... and the new one serves"
stop_server TERM

echo 'keep me' >"$T/plain"
"$E" --listen "$T/plain" >"$out" 2>&1
[ $? -eq 1 ] && grep -q 'not a socket' "$out"
ok $? "unix: a path that is not a socket is refused"
[ "$(cat "$T/plain")" = "keep me" ]; ok $? "unix: ... and left alone"

grep -q 'ERROR' "$T/srv.log"
[ $? -ne 0 ]; ok $? "no error was logged by the last server"
cat "$T/srv.log" >>"$T/all.log"
# valgrind --quiet writes only its reports, on lines "==PID== ...".
grep -E 'Sanitizer|runtime error|^==[0-9]+== ' "$T/all.log" >"$T/reports"
[ $? -ne 0 ]; ok $? "no sanitizer or valgrind report from any run"
sed 's/^/# /' "$T/reports"

done_testing
