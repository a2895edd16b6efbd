#!/bin/sh
# test_pair_http.sh - pair and status end to end: a real lighttpd
# (tests/with-lighttpd.sh) spawning the built FastCGI programs, a real
# redis-server (tests/with-redis.sh), the real worker, requests with
# curl.  Every row of DESIGN.md's HTTP table for pair and status, every
# error path, identity by JWT (HS256 and RS256) and by REMOTE_USER.
#
# Needs PAIR, STATUS, PAIRSTORE, MKJWT (set by make check).
. "${srcdir:-.}/tests/lib.sh"
set -u

: "${PAIR:?}" "${STATUS:?}" "${PAIRSTORE:?}" "${MKJWT:?}"
T=$PS_TEST_TMPDIR
top=${srcdir:-.}
keys=$top/tests/data/jwt

# ------------------------------------------------------------ helpers

# req METHOD PATH [curl args...]: body in $T/body, headers in $T/hdr,
# status code on stdout.
req() {
	m=$1 p=$2
	shift 2
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" \
	    --max-time 20 "$@" "$PS_TEST_BASE_URL$p"
}
hdr() {	# hdr NAME: the value of a response header
	tr -d '\r' <"$T/hdr" | sed -n "s/^$1: //Ip" | head -1
}
json() {	# json FIELD: a top-level string/number field of the body
	python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))' \
	    "$T/body" "$1" 2>/dev/null
}
is() {	# is GOT WANT DESCRIPTION
	[ "$1" = "$2" ]
	st=$?
	ok $st "$3"
	[ $st -eq 0 ] || diag "got '$1', want '$2'"
}
hs() {	# hs SUB [mkjwt args]: an HS256 token
	sub=$1
	shift
	MKJWT_SECRET=$JWT_SECRET "$MKJWT" --alg HS256 --sub "$sub" \
	    --exp-in 300 "$@"
}
bearer() { echo "Authorization: Bearer $1"; }
drain() { "$PAIRSTORE" worker --drain >>"$T/worker.log" 2>&1; }
keycount() {	# number of keys in Redis
	"$PAIRSTORE" queue stats >/dev/null 2>&1
	redis-cli -s "$PS_TEST_REDIS_SOCK" DBSIZE
}

# ------------------------------------------------------------ phases

phase_hs256() {
	alice=$(hs alice)
	bob=$(hs bob)

	code=$(req POST /cgi-bin/pair -H "$(bearer "$alice")" \
	    --data-urlencode 'phone=+49 151 23456789')
	is "$code" 202 "POST pair with a form field: 202"
	is "$(json job)" "pair:alice" "the job id is pair:<user>"
	is "$(json state)" "waiting" "state waiting"
	is "$(json position)" "1" "position 1"
	is "$(json status_url)" "/cgi-bin/status?job=pair%3Aalice" \
	    "status_url points at the status program"
	is "$(hdr Location)" "/cgi-bin/status?job=pair%3Aalice" \
	    "Location header"
	is "$(hdr Content-Type)" "application/json" "JSON answer"

	code=$(req POST /cgi-bin/pair -H "$(bearer "$alice")" \
	    -H 'Content-Type: application/json' -d '{"phone":"4915123456789"}')
	is "$code" 429 "a second request while one is in flight: 429"
	ra=$(hdr Retry-After)
	[ -n "$ra" ] && [ "$ra" -ge 1 ] && [ "$ra" -le 300 ]
	ok $? "Retry-After carries the seconds left on the lock ($ra)"
	is "$(hdr Content-Type)" "application/problem+json" \
	    "errors are problem+json"
	is "$(json title)" "Lock already exists" "title is the known message"
	is "$(json status)" "429" "problem status field"

	code=$(req GET '/cgi-bin/status?job=pair:alice' \
	    -H "$(bearer "$alice")")
	is "$code" 200 "GET status?job=: 200 for the owner"
	is "$(json state)" "waiting" "still waiting (no worker yet)"
	is "$(json position)" "1" "with its position"
	is "$(json code)" "" "no code before it is done"
	is "$(hdr Cache-Control)" "no-store" "Cache-Control: no-store"

	code=$(req GET '/cgi-bin/status?job=pair%3Aalice' \
	    -H "$(bearer "$bob")")
	is "$code" 403 "someone else's job: 403"
	is "$(json code)" "" "and no code in the answer"
	code=$(req GET '/cgi-bin/status?job=pair:nobody' \
	    -H "$(bearer "$bob")")
	is "$code" 404 "an unknown job: 404"

	code=$(req POST /cgi-bin/pair -H "$(bearer "$bob")" \
	    -d 'phone=4915100000001')
	is "$(json position)" "2" "bob's job is second in line"

	drain
	ok $? "pairstore worker --drain ran the jobs"
	code=$(req GET '/cgi-bin/status?job=pair:alice' \
	    -H "$(bearer "$alice")")
	is "$(json state)" "completed" "alice's job completed"
	c=$(json code)
	echo "$c" | grep -Eq '^[1-9A-HJ-NP-TV-Z]{8}$'
	ok $? "with an 8-character code from the alphabet ($c)"
	[ -n "$(json code_expires_at)" ]
	ok $? "and its expiry time"
	is "$(hdr Cache-Control)" "no-store" "a code is never cached"

	code=$(req GET /cgi-bin/status -H "$(bearer "$alice")")
	is "$code" 200 "GET status (own)"
	is "$(json lock.held)" "false" "the lock ended with the job"
	is "$(json job.state)" "completed" "the latest job is shown"
	is "$(json job.code)" "$c" "with the code, to its owner"

	code=$(req POST /cgi-bin/pair -H "$(bearer "$alice")" \
	    -d 'phone=4915123456789')
	is "$code" 202 "a new request after the job ended is accepted"

	grep -q '\[PairingQueue\] Job pair:alice started for user alice' \
	    "$T/worker.log"
	ok $? "worker logged: Job ... started for user ..."
	grep -q '\[PairingQueue\] Job pair:alice completed for user alice' \
	    "$T/worker.log"
	ok $? "worker logged: Job ... completed for user ..."
	grep -q '\[SessionLock\] Lock acquired for user alice' \
	    "$PS_TEST_LIGHTTPD_ERRORLOG"
	ok $? "pair logged: Lock acquired for user ..."
	grep -q '\[SessionLock\] Lock released for user alice' "$T/worker.log"
	ok $? "worker logged: Lock released for user ..."
}

phase_bad_input() {
	carol=$(hs carol)
	before=$(keycount)

	code=$(req POST /cgi-bin/pair -d 'phone=4915123456789')
	is "$code" 401 "no token: 401"
	is "$(hdr WWW-Authenticate)" 'Bearer realm="pairstore"' \
	    "401 names the Bearer scheme"
	code=$(req POST /cgi-bin/pair -H 'Authorization: Basic YTpi' \
	    -d 'phone=4915123456789')
	is "$code" 401 "wrong scheme: 401"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$(hs carol --exp-in -120)")" \
	    -d 'phone=4915123456789')
	is "$code" 401 "expired token: 401"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$(hs carol --nbf-in 600)")" \
	    -d 'phone=4915123456789')
	is "$code" 401 "not-yet-valid token: 401"
	code=$(req POST /cgi-bin/pair -H "$(bearer "${carol%?}x")" \
	    -d 'phone=4915123456789')
	is "$code" 401 "wrong signature: 401"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$(MKJWT_SECRET=$JWT_SECRET \
	    "$MKJWT" --alg HS256 --alg-header none --unsigned --sub carol \
	    --exp-in 300)")" -d 'phone=4915123456789')
	is "$code" 401 "alg none: 401"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$(hs '../etc')")" \
	    -d 'phone=4915123456789')
	is "$code" 401 "a sub that is not a user id: 401"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$carol")" -d 'phone=12ab')
	is "$code" 400 "bad phone: 400"
	is "$(json title)" "Bad Request" "titled Bad Request"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$carol")" -d '')
	is "$code" 400 "missing phone: 400"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$carol")" \
	    -H 'Content-Type: application/json' -d '{"phone":')
	is "$code" 400 "malformed JSON: 400"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$carol")" \
	    -H 'Content-Type: application/json' -d '{"phone":["1"]}')
	is "$code" 400 "phone as an array: 400"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$carol")" \
	    -H 'Content-Type: text/xml' -d '<phone>1</phone>')
	is "$code" 415 "unsupported content type: 415"
	head -c 100000 /dev/zero | tr '\0' 1 >"$T/big"
	code=$(req POST /cgi-bin/pair -H "$(bearer "$carol")" \
	    --data-binary "@$T/big")
	is "$code" 413 "huge body: 413"
	code=$(req GET /cgi-bin/pair -H "$(bearer "$carol")")
	is "$code" 405 "GET pair: 405"
	is "$(hdr Allow)" "POST" "with Allow: POST"
	code=$(req DELETE /cgi-bin/status -H "$(bearer "$carol")")
	is "$code" 405 "DELETE status: 405"
	code=$(req GET '/cgi-bin/status?job=%zz' -H "$(bearer "$carol")")
	is "$code" 400 "a malformed query: 400"
	code=$(req GET /cgi-bin/status/nothing-here -H "$(bearer "$carol")")
	is "$code" 404 "an unknown status path: 404"
	is "$(keycount)" "$before" "none of that changed anything in Redis"
}

phase_operator() {
	code=$(req GET /cgi-bin/status/health)
	is "$code" 200 "health: 200"
	is "$(json redis.ok)" "true" "health: Redis reachable"
	[ -n "$(json queue.waiting)" ]
	ok $? "health: queue counts"
	code=$(req GET /cgi-bin/status/metrics)
	is "$code" 200 "metrics: 200"
	grep -q '^pairstore_queue_jobs{state="waiting"} [0-9]' "$T/body"
	ok $? "metrics: queue counts by state"
	grep -q '^pairstore_jobs_completed_total [1-9]' "$T/body"
	ok $? "metrics: completed total"
	grep -q '^pairstore_lock_refusals_total [1-9]' "$T/body"
	ok $? "metrics: lock refusals"
	grep -q '^# TYPE pairstore_workers_alive gauge' "$T/body"
	ok $? "metrics: worker heartbeats"
	hdr Content-Type | grep -q '^text/plain; version=0.0.4'
	ok $? "metrics: Prometheus text format"
}

phase_redis_down() {
	dave=$(hs dave)
	kill "$(cat "$PS_TEST_REDIS_PIDFILE")"
	i=0
	while [ -S "$PS_TEST_REDIS_SOCK" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	code=$(req POST /cgi-bin/pair -H "$(bearer "$dave")" \
	    -d 'phone=4915123456789')
	is "$code" 503 "Redis down: 503"
	is "$(json title)" "Redis not available" "titled Redis not available"
	code=$(req GET /cgi-bin/status/health)
	is "$code" 503 "health says 503 too"
	redis-server "$PS_TEST_REDIS_CONF" &
	i=0
	while [ ! -S "$PS_TEST_REDIS_SOCK" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	code=$(req POST /cgi-bin/pair -H "$(bearer "$dave")" \
	    -d 'phone=4915123456789')
	is "$code" 202 "the next request after Redis is back: 202"
}

phase_rs256() {
	erin=$(MKJWT_SECRET= "$MKJWT" --alg RS256 \
	    --key "$keys/test-rsa-private.pem" --sub erin --exp-in 300)
	code=$(req POST /cgi-bin/pair -H "$(bearer "$erin")" \
	    -d 'phone=4915123456789')
	is "$code" 202 "RS256 token: 202"
	confused=$("$MKJWT" --alg HS256 --sign-with-public-key-as-hmac \
	    "$keys/test-rsa-public.pem" --sub erin --exp-in 300)
	code=$(req GET /cgi-bin/status -H "$(bearer "$confused")")
	is "$code" 401 "HS256 signed with the public key (confusion): 401"
}

phase_remote_user() {
	code=$(req POST /cgi-bin/pair -u frank:test-only-pw -d 'phone=4915123456789')
	is "$code" 202 "REMOTE_USER from the web server's authentication: 202"
	is "$(json job)" "pair:frank" "the job belongs to the authenticated user"
	code=$(req POST /cgi-bin/pair -d 'phone=4915123456789')
	is "$code" 401 "without credentials the web server refuses: 401"
}

phase_on_demand() {
	# No worker runs and none is started by hand: the first submit
	# starts one (WORKER_SPAWN), which exits once idle.
	gina=$(hs gina)
	code=$(req POST /cgi-bin/pair -H "$(bearer "$gina")" \
	    -d 'phone=4915123456789')
	is "$code" 202 "on demand: submit accepted with no worker running"
	i=0
	while [ $i -lt 100 ]; do
		req GET '/cgi-bin/status?job=pair:gina' \
		    -H "$(bearer "$gina")" >/dev/null
		[ "$(json state)" = completed ] && break
		sleep 0.1; i=$((i + 1))
	done
	is "$(json state)" "completed" "a worker started on demand ran the job"
	grep -q 'started an on-demand worker' "$PS_TEST_LIGHTTPD_ERRORLOG"
	ok $? "pair logged that it started one"
	# The worker's stderr goes to the web server's error log.
	log=$PS_TEST_LIGHTTPD_ERRORLOG
	i=0
	while [ $i -lt 150 ] && ! grep -q 'idle for [0-9]* s, exiting' "$log"
	do
		sleep 0.1; i=$((i + 1))
	done
	grep -q 'idle for [0-9]* s, exiting' "$log"
	ok $? "the on-demand worker exits by itself when idle"
	pid=$(sed -n 's/.*\[Worker\] worker [^ ]*:\([0-9]*\) started.*/\1/p' \
	    "$log" | head -1)
	i=0
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null
	ok $? "and its process is gone (pid $pid)"
	is "$("$PAIRSTORE" queue stats | sed -n 's/^workers=//p')" "0" \
	    "leaving no heartbeat behind"
}

phase_plain_forms() {
	# A browser without JavaScript posts the form and follows pages.
	html='Accept: text/html,application/xhtml+xml,*/*;q=0.8'
	code=$(req POST /cgi-bin/pair -H "$html" -H 'Sec-Fetch-Site: same-origin' \
	    -d 'user=hana&phone=4915123456789')
	is "$code" 303 "form post: 303 See Other"
	is "$(hdr Location)" "/cgi-bin/status?job=pair%3Ahana&user=hana" \
	    "to the job's status page, naming the demo user"
	code=$(req POST /cgi-bin/pair -H "$html" \
	    -d 'user=hana&phone=4915123456789')
	is "$code:$(hdr Retry-After | grep -c '^[0-9][0-9]*$')" 429:1 \
	    "a second form post: 429 with Retry-After"
	grep -q 'already in progress. Try again in [0-9]* second' "$T/body"
	ok $? "... and a page that says how long to wait"
	hdr Content-Type | grep -q '^text/html'
	ok $? "... as text/html"
	code=$(req GET '/cgi-bin/status?job=pair%3Ahana&user=hana' -H "$html")
	is "$code" 200 "the status page: 200"
	grep -q 'http-equiv="refresh"' "$T/body" &&
	    grep -Eq 'id="state">Waiting: position [1-9][0-9]* in line' \
	    "$T/body"
	ok $? "waiting, with its position, refreshing itself"
	is "$(hdr Cache-Control)" no-store "status page: Cache-Control no-store"
	hdr Content-Security-Policy | grep -q "default-src 'none'"
	ok $? "status page: a Content-Security-Policy without scripts"
	drain
	req GET '/cgi-bin/status?job=pair%3Ahana&user=hana' -H "$html" >/dev/null
	grep -Eq 'class="code" id="code">[A-Z0-9]{4}-[A-Z0-9]{4}<' "$T/body"
	ok $? "once done: the code, grouped XXXX-XXXX"
	! grep -q 'http-equiv="refresh"' "$T/body"
	ok $? "... and the page stops refreshing"
	code=$(req GET '/cgi-bin/status?job=pair%3Ahana&user=ivan' -H "$html")
	is "$code" 403 "another user's status page: 403"
	! grep -Eq '[A-Z0-9]{4}-[A-Z0-9]{4}' "$T/body"
	ok $? "... without the code"
	code=$(req POST /cgi-bin/pair -H "$html" -H 'Sec-Fetch-Site: cross-site' \
	    -d 'user=ivan&phone=4915123456789')
	is "$code" 403 "a form post from another site: 403"
	code=$(req GET '/cgi-bin/status?job=pair%3Aivan&user=ivan' -H "$html")
	is "$code" 404 "... and nothing was submitted"
	code=$(req POST /cgi-bin/pair -H "$html" -d 'user=ivan&phone=12')
	is "$code" 400 "a bad phone in a form post: 400"
	grep -q '<a href="/">Back to the form</a>' "$T/body"
	ok $? "... a page linking back to the site's form"
	code=$(req GET /cgi-bin/status/health)
	is "$(json auth_mode)" demo "health names the identity mode"
}

# ------------------------------------------------------------ main

lighttpd_run() {	# lighttpd_run PHASE [harness options]
	ph=$1
	shift
	"$top/tests/with-lighttpd.sh" --fcgi "/cgi-bin/pair=$PAIR" \
	    --fcgi "/cgi-bin/status=$STATUS" "$@" -- \
	    "$SHELL" "$0" inner "$ph" >>"$T/tap" 2>>"$T/inner.err"
}

if [ "${1:-}" = inner ]; then
	# Inner: one phase, numbered on from the count file.
	tap_n=$(cat "$T/count" 2>/dev/null || echo 0)
	"phase_$2"
	echo "$tap_n" >"$T/count"
	exit 0
fi

export WORKER_SPAWN=false LOG_LEVEL=info
export AUTH_MODE=jwt JWT_SECRET=test-only-jwt-secret-for-pairstore-0001
: >"$T/tap"
lighttpd_run hs256
lighttpd_run bad_input
lighttpd_run operator
lighttpd_run redis_down
WORKER_SPAWN=true WORKER_IDLE_EXIT_S=2 lighttpd_run on_demand
unset JWT_SECRET
JWT_PUBLIC_KEY_FILE=$(cd "$keys" && pwd)/test-rsa-public.pem \
    lighttpd_run rs256
AUTH_MODE=demo lighttpd_run plain_forms
printf 'frank:test-only-pw\n' >"$T/users"
AUTH_MODE=remote_user lighttpd_run remote_user --basic-auth "$T/users"

cat "$T/tap"
tap_n=$(cat "$T/count")
tap_fail=$(grep -c '^not ok' "$T/tap")
if grep -q . "$T/inner.err"; then
	diag "stderr of the phases:"
	sed 's/^/# /' "$T/inner.err" | head -20
fi
done_testing
