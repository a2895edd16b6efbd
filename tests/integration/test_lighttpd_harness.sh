#!/bin/sh
# test_lighttpd_harness.sh - tests/with-lighttpd.sh with the fcgi_noop
# fixture: GET and POST reach it through FastCGI and CGI, PATH_INFO is
# the rest of the path, the environment passed is exactly the allowed
# one, a 5 MB body streams through intact, max-procs 2 means two
# processes, the size limit answers 413, signals and exit statuses pass
# through, and once the wrapper has exited no lighttpd or fixture
# process is left, even one that ignores SIGTERM.
. "${srcdir:-.}/tests/lib.sh"

NOOP=${FCGI_NOOP:-}
if [ -z "$NOOP" ] || [ ! -x "$NOOP" ]; then
	echo "Bail out! FCGI_NOOP must name the built tests/tools/fcgi_noop"
	exit 99
fi
command -v curl >/dev/null 2>&1 || {
	echo "Bail out! curl not found (apt-get install curl)"
	exit 99
}
WL=${srcdir:-.}/tests/with-lighttpd.sh
work=${PS_TEST_TMPDIR:?run under tests/with-redis.sh}/harness
mkdir -p "$work" || exit 99
export HARNESS_WORK="$work"

# True when PID has ended (a zombie waiting for its parent has too).
gone() {
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	st=${st##*) }
	[ "${st%% *}" = Z ]
}

# True when every PID in FILE (one a line) has ended.
all_gone() {
	while read -r p; do
		[ -n "$p" ] || continue
		gone "$p" || return 1
	done <"$1"
	return 0
}

# field FILE NAME: a string or number member of the fixture's JSON.
field() {
	sed -n "s/.*\"$2\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" "$1"
}

# What the inner scripts share: curl bounded in time, never a proxy,
# and the PIDs of lighttpd's children.
cat >"$work/common.sh" <<'EOF'
w=$HARNESS_WORK
get() {	# get NAME URLPATH [CURL ARGS]: body in NAME.out, status NAME.code
	name=$1 path=$2
	shift 2
	curl -sS --noproxy '*' --max-time 30 -o "$w/$name.out" \
	    -D "$w/$name.hdr" -w '%{http_code}' "$@" \
	    "$PS_TEST_BASE_URL$path" >"$w/$name.code" 2>"$w/$name.err"
}
children() {	# PIDs whose parent is lighttpd
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$PS_TEST_LIGHTTPD_PID" \
	    '{ pid = $1; sub(/^.*\) /, ""); if ($2 == p) print pid }'
}
echo "$PS_TEST_LIGHTTPD_PID" >"$w/$run.lighttpd"
echo "$PS_TEST_BASE_URL" >"$w/$run.url"
echo "$PS_TEST_LIGHTTPD_DIR" >"$w/$run.dir"
EOF

# A backend that ignores SIGTERM and never answers: only SIGKILL ends
# it, so the wrapper's last resort is exercised.
cat >"$work/stubborn.sh" <<'EOF'
#!/bin/sh
trap '' TERM
exec sleep 300
EOF
chmod +x "$work/stubborn.sh"

head -c 5242880 /dev/urandom >"$work/big.bin"
head -c 2097152 /dev/zero >"$work/2mb.bin"
head -c 102400 /dev/urandom >"$work/100k.bin"

# ------------------------------------------------------------ FastCGI

cat >"$work/fcgi.sh" <<'EOF'
run=fcgi
. "$HARNESS_WORK/common.sh"
children >"$w/fcgi.children"
get noop /noop
get noop_post /noop --data-binary @"$w/100k.bin"
get health '/cgi-bin/status/health?echo=1'
get bare '/cgi-bin/status?echo=1'
get decoded '/cgi-bin/status/a%20b/c?echo=1&x=y'
get notmine '/cgi-bin/statusx?echo=1'
names=PAIRSTORE_HARNESS_PROBE,HARNESS_NOT_PASSED,PATH,HOME,REDIS_URL
get env "/cgi-bin/status?echo=1&env=$names"
get form '/cgi-bin/status?echo=1' -d 'phone=4915112345678'
get big '/cgi-bin/status/upload?echo=1' --data-binary @"$w/big.bin" \
    -H 'Content-Type: application/octet-stream'
# Six at once, each holding its process for 0.4 s.
i=0
while [ $i -lt 6 ]; do
	get "conc$i" '/noop?echo=1&sleep=400' &
	i=$((i + 1))
done
wait
children >>"$w/fcgi.children"
cp "$PS_TEST_LIGHTTPD_ERRORLOG" "$w/fcgi.errorlog"
EOF

PAIRSTORE_HARNESS_PROBE='probe "quoted" \ value' HARNESS_NOT_PASSED=leak \
    /bin/sh "$WL" --fcgi /cgi-bin/status="$NOOP" --fcgi /noop="$NOOP" \
    --fcgi /stubborn="$work/stubborn.sh" --procs 2 -- sh "$work/fcgi.sh" \
    >"$work/fcgi.log" 2>&1
ok $? "the wrapper runs the command and exits 0 with it"
sed 's/^/# /' "$work/fcgi.log"

grep -Eq '^http://127\.0\.0\.1:[0-9]+$' "$work/fcgi.url"
ok $? "PS_TEST_BASE_URL is a loopback URL ($(cat "$work/fcgi.url"))"

[ "$(cat "$work/noop.code")" = 200 ] &&
    [ "$(cat "$work/noop.out")" = '{"ok":true}' ]
ok $? "GET reaches the FastCGI program: 200 {\"ok\":true}"
grep -qi '^Content-Type: application/json' "$work/noop.hdr"
ok $? "with the program's Content-Type"
[ "$(cat "$work/noop_post.code")" = 200 ]
ok $? "POST to the noop answer reads and drops the body"

[ "$(field "$work/health.out" PATH_INFO)" = /health ]
ok $? "PATH_INFO of /cgi-bin/status/health is /health"
[ "$(field "$work/health.out" SCRIPT_NAME)" = /cgi-bin/status ]
ok $? "SCRIPT_NAME is /cgi-bin/status"
grep -q '"PATH_INFO":null' "$work/bare.out" &&
    [ "$(cat "$work/bare.code")" = 200 ]
ok $? "/cgi-bin/status itself reaches it, with no PATH_INFO"
[ "$(field "$work/decoded.out" PATH_INFO)" = '/a b/c' ] &&
    [ "$(field "$work/decoded.out" QUERY_STRING)" = 'echo=1&x=y' ]
ok $? "PATH_INFO is URL-decoded; QUERY_STRING is passed as sent"
[ "$(cat "$work/notmine.code")" = 404 ]
ok $? "/cgi-bin/statusx is not the program's (404)"

grep -qF '"PAIRSTORE_HARNESS_PROBE":"probe \"quoted\" \\ value"' \
    "$work/env.out"
ok $? "a PAIRSTORE_ variable reaches the program, value intact"
grep -qF "\"REDIS_URL\":\"$REDIS_URL\"" "$work/env.out"
ok $? "REDIS_URL of the private redis-server reaches it"
grep -qF '"HARNESS_NOT_PASSED":null' "$work/env.out" &&
    grep -qF '"HOME":null' "$work/env.out"
ok $? "variables with other names do not"
grep -qF '"PATH":"/usr/bin:/bin"' "$work/env.out"
ok $? "PATH is /usr/bin:/bin"

[ "$(field "$work/form.out" REQUEST_METHOD)" = POST ] &&
    [ "$(field "$work/form.out" CONTENT_LENGTH)" = 19 ] &&
    [ "$(field "$work/form.out" body_bytes)" = 19 ]
ok $? "a form POST arrives with its CONTENT_LENGTH and body"
[ "$(field "$work/big.out" body_bytes)" = 5242880 ]
ok $? "a 5 MB POST body streams through whole"
[ "$(field "$work/big.out" body_cksum)" = "$(cksum <"$work/big.bin")" ]
ok $? "and intact (cksum)"

for f in "$work"/conc*.out; do
	field "$f" pid
done | sort -u >"$work/conc.pids"
[ "$(grep -c . "$work/conc.pids")" -ge 2 ]
ok $? "concurrent requests are served by 2 processes (max-procs 2)"
[ "$(grep -c . "$work/conc.pids")" -le 2 ]
ok $? "and no more than 2"

grep -q '^fcgi_noop: echo pid=[0-9]* path_info=/health$' \
    "$work/fcgi.errorlog"
ok $? "the program's stderr lands in PS_TEST_LIGHTTPD_ERRORLOG"

sort -u "$work/fcgi.children" >"$work/fcgi.all"
[ "$(grep -c . "$work/fcgi.all")" -ge 6 ]
ok $? "lighttpd started 2 processes per program ($(grep -c . \
    "$work/fcgi.all") seen)"
cat "$work/fcgi.lighttpd" "$work/conc.pids" >>"$work/fcgi.all"
all_gone "$work/fcgi.all"
ok $? "after the wrapper: lighttpd and every backend have ended"
[ ! -e "$(cat "$work/fcgi.dir")" ]
ok $? "its temp directory is removed"

# ------------------------------------------------------------ CGI

cat >"$work/cgi.sh" <<'EOF'
run=cgi
. "$HARNESS_WORK/common.sh"
names=PAIRSTORE_HARNESS_PROBE,HARNESS_NOT_PASSED,PATH
get cgi "/cgi-bin/pair/x/y?echo=1&env=$names"
get cgi_post '/cgi-bin/pair?echo=1' --data-binary @"$w/100k.bin"
get cgi_noop /cgi-bin/pair
get toobig '/cgi-bin/pair?echo=1' --data-binary @"$w/2mb.bin"
EOF

PAIRSTORE_HARNESS_PROBE=cgi-probe HARNESS_NOT_PASSED=leak \
    /bin/sh "$WL" --cgi /cgi-bin/pair="$NOOP" --max-request-size 1024 \
    -- sh "$work/cgi.sh" >"$work/cgi.log" 2>&1
ok $? "CGI mode: the wrapper exits 0"
sed 's/^/# /' "$work/cgi.log"

grep -q '"cgi":true' "$work/cgi.out" &&
    [ "$(cat "$work/cgi.code")" = 200 ]
ok $? "a GET reaches the program as plain CGI"
[ "$(field "$work/cgi.out" PATH_INFO)" = /x/y ] &&
    [ "$(field "$work/cgi.out" SCRIPT_NAME)" = /cgi-bin/pair ]
ok $? "CGI PATH_INFO is /x/y, SCRIPT_NAME /cgi-bin/pair"
grep -qF '"PAIRSTORE_HARNESS_PROBE":"cgi-probe"' "$work/cgi.out" &&
    grep -qF '"HARNESS_NOT_PASSED":null' "$work/cgi.out" &&
    grep -qF '"PATH":"/usr/bin:/bin"' "$work/cgi.out"
ok $? "CGI gets the allowed variables and no others"
[ "$(field "$work/cgi_post.out" body_bytes)" = 102400 ] &&
    [ "$(field "$work/cgi_post.out" body_cksum)" = \
    "$(cksum <"$work/100k.bin")" ]
ok $? "a CGI POST body arrives intact"
[ "$(cat "$work/cgi_noop.out")" = '{"ok":true}' ]
ok $? "the noop answer works as CGI"
[ "$(cat "$work/toobig.code")" = 413 ]
ok $? "a body over --max-request-size gets 413"
field "$work/cgi.out" pid >"$work/cgi.all"
cat "$work/cgi.lighttpd" >>"$work/cgi.all"
all_gone "$work/cgi.all"
ok $? "after the wrapper: lighttpd and the CGI process have ended"

# ------------------------------------------------------------ exits

/bin/sh "$WL" --fcgi /x="$NOOP" -- sh -c 'exit 7' >/dev/null 2>&1
[ $? -eq 7 ]; ok $? "the command's exit status is the wrapper's"

/bin/sh "$WL" --fcgi /x="$work/no-such-program" -- true >/dev/null 2>&1
[ $? -eq 99 ]; ok $? "a missing program is refused (exit 99)"

/bin/sh "$WL" --fcgi x="$NOOP" -- true >/dev/null 2>&1
[ $? -eq 99 ]; ok $? "a URLPATH without a leading / is refused"

# SIGTERM to the wrapper while its command runs.
rm -f "$work/sig.pid"
/bin/sh "$WL" --fcgi /x="$NOOP" -- sh -c \
    'echo "$PS_TEST_LIGHTTPD_PID $$" >"$HARNESS_WORK/sig.tmp" &&
    mv "$HARNESS_WORK/sig.tmp" "$HARNESS_WORK/sig.pid" && exec sleep 60' \
    >/dev/null 2>&1 &
wl=$!
i=0
while [ ! -s "$work/sig.pid" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$wl" 2>/dev/null
i=0
while ! gone "$wl" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
gone "$wl"
ok $? "SIGTERM stops the wrapper within 10 s"
wait "$wl"
[ $? -eq 143 ]; ok $? "and it exits 143"
tr ' ' '\n' <"$work/sig.pid" >"$work/sig.all"
[ -s "$work/sig.all" ] && all_gone "$work/sig.all"
ok $? "lighttpd and the command are stopped with it"

done_testing
