#!/bin/sh
# test_security.sh - hostile clients against pair, status and upload
# (DESIGN.md, "HTTP interface" and invariant 6: bad input gets a clear
# 4xx and changes nothing; secrets never appear in logs or responses).
# A real lighttpd (tests/with-lighttpd.sh) spawns the built FastCGI
# programs, a real redis-server (tests/with-redis.sh) holds the state;
# curl and tests/integration/security_probe.py (raw sockets) make the
# requests, and some are made to the programs run as plain CGI, the
# way a web server that filters less than lighttpd would hand them on.
#
#  auth_hs   AUTH_MODE=jwt with an HS256 secret: no token, malformed,
#            expired, not yet valid, wrong signature, alg none, alg
#            header lies, bad sub, on every program: 401,
#            problem+json, WWW-Authenticate, nothing in Redis, nothing
#            stored, nothing spooled
#  auth_rs   RS256 public key: the algorithm-confusion token (HS256
#            keyed with the public key, as PEM, PEM without its last
#            newline and DER), a token from another RSA key, alg none
#  cross     user B against user A's job (403 without A's phone or
#            code, before and after completion; no cancel: every other
#            method 405 and A's job untouched) and A's folder (a user
#            part, ?user= and X-Pairstore-User cannot move B's upload)
#  uploads   traversal in kind, user, part names and filenames
#            (filename*=), NUL bytes, overlong names and header lines,
#            a 71-character boundary, 5000 parts, two boundaries, an
#            epilogue, HTML/SVG/JS and polyglots stored raw or as their
#            image type and never served as a page, a zero-byte file;
#            a user id ".htaccess" refused (no hidden directory in the
#            media tree)
#  limits    UPLOAD_MAX_BYTES=20000: 413 before the body is read (the
#            answer comes while the client still sends), 413 while
#            reading, chunked bodies
#  requests  CRLF in everything echoed (query, path, user header,
#            SCRIPT_NAME, part names), HTML pages that reflect input,
#            cross-site posts to pair, deep and NUL-bearing JSON, 64 KiB
#            query strings and headers (the programs live on), unknown
#            methods (405 with Allow); limits: Content-Length junk
#  httpoxy   a Proxy header (and, as plain CGI, every *_PROXY
#            variable) never sends an upload through a proxy
#  secrets   Redis password, JWT secret, CLOUDINARY_URL, Supabase key,
#            the http provider's token and URL password: through a
#            working run, a wrong Redis password and a broken
#            configuration, none appears in a log or an answer
#
# Every answer is kept under $PS_TEST_TMPDIR/work/answers/PHASE/ (and so
# reaches the artifacts tests/integration/test_secrets.sh searches).
# PS_TEST_SECURITY_PHASES="uploads limits" runs only those phases.
#
# Needs PAIR, STATUS, UPLOAD, PAIRSTORE, MKJWT (set by make check),
# redis-cli, curl, openssl, python3.
. "${srcdir:-.}/tests/lib.sh"
set -u

: "${PAIR:?}" "${STATUS:?}" "${UPLOAD:?}" "${PAIRSTORE:?}" "${MKJWT:?}"
T=${PS_TEST_TMPDIR:?run under tests/with-redis.sh}
top=${srcdir:-.}
keys=$(cd "$top/tests/data/jwt" && pwd)
media_samples=$(cd "$top/tests/data/media" && pwd)
PROBE=$(cd "$top/tests/integration" && pwd)/security_probe.py
PYTHON3=${PYTHON3:-python3}
W=$T/work		# this script's own files (requests, answers)
WWW=$T/www		# lighttpd's document root; media below it
MEDIA=$WWW/media
SPOOL=$T/spool
# A generated object name without its extension (ps_storage.h).
GEN='[0-9]{8}T[0-9]{6}Z-[0-9a-f]{24}'
PHONE=4915123456789

# Test-only credentials, named so nobody mistakes them.
JWT_S=test-only-security-jwt-secret-0123456789abcdef
CLD_CLOUD=test-cloud
CLD_KEY=000000000000sec
CLD_SECRET=test-only-security-cloudinary-secret
SB_KEY=test-only-security-supabase-key-1b7e
RPW=test-only-security-redis-password-5f2c
RPW_WRONG=test-only-wrong-redis-password-0e9a
RPW_WRONG2=test-only-wrong-redis-password-2-77c1
PROV_TOKEN=test-only-pairing-http-token-4c0d
PROV_URLPW=test-only-pairing-url-password-88
PROV_URLTOKEN=test-only-pairing-url-token-31
BAD_JWT=short-jwt-secret-16
BAD_CLD=test-only-malformed-cld-secret-77
BAD_RURL=test-only-bad-url-password-42
# Every secret value this script hands to a program.  The list file is
# named *.secrets: tests/with-redis.sh does not copy such files into the
# artifacts that tests/integration/test_secrets.sh searches.
SECRET_LIST=$W/values.secrets

# ------------------------------------------------------------ helpers

is_4xx() {	# is_4xx CODE DESCRIPTION
	case "$1" in
	4[0-9][0-9]) ok 0 "$2: 4xx ($1)" ;;
	*) ok 1 "$2: 4xx"; diag "got '$1'" ;;
	esac
}
# Every answer stays: $R/N.hdr and $R/N.body (N counts the requests of
# the phase), for the secrets checks; $RH and $RB name the last one.
next_answer() {
	rn=$((rn + 1))
	RH=$R/$rn.hdr RB=$R/$rn.body
}
# req METHOD PATH [curl args...]: sets code; the answer in $RH, $RB.
req() {
	_m=$1 _p=$2
	shift 2
	next_answer
	curl -s -o "$RB" -D "$RH" -w '%{http_code}\n' -X "$_m" \
	    --max-time 30 "$@" "$PS_TEST_BASE_URL$_p" >"$W/code"
	read -r code <"$W/code" || code=000
	[ -f "$RB" ] || : >"$RB"
}
# up [curl args...]: POST multipart to the upload program.
up() { req POST "/cgi-bin/upload${Q:-}" "$@"; }
# One security_probe.py per phase serves every raw request through two
# FIFOs (an interpreter start-up per request costs more than the
# request).  Both are opened read-write here, so no open blocks; each
# answer is awaited for at most 60 s.
probe_start() {
	rm -f "$W/pin" "$W/pout"
	mkfifo "$W/pin" "$W/pout" || return 1
	exec 7<>"$W/pin" 8<>"$W/pout"
	"$PYTHON3" "$PROBE" serve "$W/pin" "$W/pout" 7<&- 8<&- \
	    2>>"$W/probe.err" &
	probe_pid=$!
}
probe_stop() {	# the probe ends when its request FIFO closes
	exec 7>&- 8<&-
	wait "$probe_pid" 2>/dev/null
}
# probe [security_probe.py send options...]: one raw request; sets
# code, ms, early; the answer in $RH and $RB.
probe() {
	next_answer
	printf '%d\0' $(($# + 2)) >&7
	printf '%s\0' "$@" "${PS_TEST_BASE_URL##*:}" "$R/$rn" >&7
	# One answer line is in the FIFO at a time: head reads just it.
	# shellcheck disable=SC2046
	set -- $(timeout 60 head -n 1 <&8) 0 0 0
	code=$1 ms=$2 early=$3
	[ -f "$RH" ] || : >"$RH"
	[ -f "$RB" ] || : >"$RB"
}
hdr() {	# hdr NAME: the value of a response header (the first)
	sed -n "/^$1:/I{s/^[^:]*: *//;s/\r\$//;p;q}" "$RH"
}
json() {	# json FIELD: a top-level string or number field of the body
	sed -n 's/.*"'"$1"'": *\("\([^"\\]*\)"\|\([-0-9.a-z]*\)\).*/\2\3/p' \
	    "$RB"
}
# No header line named X-Injected (what every CRLF test tries to add)
# and no Set-Cookie or foreign Location smuggled in.  FILE holds
# response heads only (curl -D, the probe's .hdr, $W/cgi.hdr).
no_injection() {	# no_injection FILE
	! tr -d '\r' <"$1" |
	    grep -qi -e '^X-Injected' -e '^Set-Cookie' -e '^Location: *http://evil'
}
# A refused request: 401, problem+json, WWW-Authenticate: Bearer.
unauthorized() {	# unauthorized CODE DESCRIPTION [TOKEN]
	is "$1" 401 "$2: 401"
	# The four headers in one pass (this runs some 80 times).
	ct='' www='' xcto='' cc=''
	eval "$(awk '{
		sub(/\r$/, ""); i = index($0, ":")
		if (!i) next
		n = tolower(substr($0, 1, i - 1)); v = substr($0, i + 1)
		sub(/^[ \t]*/, "", v); gsub(/\047/, "", v)
		if (n == "content-type") print "ct=\047" v "\047"
		if (n == "www-authenticate") print "www=\047" v "\047"
		if (n == "x-content-type-options") print "xcto=\047" v "\047"
		if (n == "cache-control") print "cc=\047" v "\047"
	}' "$RH")"
	[ "$ct" = application/problem+json ] &&
	    grep -q '"status": *401' "$RB" &&
	    case "$www" in Bearer*) true ;; *) false ;; esac
	ok $? "$2: problem+json with WWW-Authenticate: Bearer"
	[ "$ct" = application/problem+json ] ||
	    diag "Content-Type '$ct', WWW-Authenticate '$www'"
	[ "$xcto" = nosniff ] && [ "$cc" = no-store ]
	ok $? "$2: nosniff, no-store"
	if [ -n "${3:-}" ]; then
		! grep -qF -- "$3" "$RB" "$RH"
		ok $? "$2: the token is not echoed"
	fi
}
local_count() { find "$MEDIA" -type f 2>/dev/null | wc -l; }
spool_count() { find "$SPOOL" -mindepth 1 2>/dev/null | wc -l; }
# A refused upload: 4xx (or exactly WANT), nothing stored, spool empty.
refused() {	# refused CODE WANT|4xx BEFORE DESCRIPTION
	if [ "$2" = 4xx ]; then
		is_4xx "$1" "$4"
	else
		is "$1" "$2" "$4: $2"
	fi
	# Both directories in one find: "M" a stored file, "S" a spool one.
	# shellcheck disable=SC2046
	set -- "$@" $(find "$MEDIA" "$SPOOL" -mindepth 1 \( -path "$SPOOL/*" \
	    -printf 'S\n' -o -type f -printf 'M\n' \) 2>/dev/null |
	    awk '{ n[$1]++ } END { print n["M"] + 0, n["S"] + 0 }')
	is "$5" "$3" "$4: nothing stored"
	is "$6" 0 "$4: nothing left in SPOOL_DIR"
}
redis_keys() { redis-cli -s "$PS_TEST_REDIS_SOCK" --scan 2>/dev/null | sort; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# The FastCGI programs lighttpd runs, "PID STARTTIME" a line.
fcgi_procs() {
	for p in $(pgrep -P "$PS_TEST_LIGHTTPD_PID" 2>/dev/null); do
		s=$(cut -d' ' -f22 "/proc/$p/stat" 2>/dev/null) &&
		    echo "$p $s"
	done | sort
}
hs() {	# hs SUB [mkjwt args]: an HS256 token with the configured secret
	sub=$1
	shift
	MKJWT_SECRET=$JWT_S "$MKJWT" --alg HS256 --sub "$sub" --exp-in 300 "$@"
}
bearer() { echo "Authorization: Bearer $1"; }
sanitizer_clean() {	# sanitizer_clean FILE...
	! grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' \
	    -e 'ERROR: LeakSanitizer' "$@" 2>/dev/null
}
# Settings a program run by hand gets: what the harness would hand on
# (computed once per phase: cgi_set=$(cgi_settings)).
cgi_settings() {
	awk 'BEGIN { for (k in ENVIRON) if (k ~ /^(REDIS_|AUTH_|JWT_|PAIRING_|QUEUE_|JOB_|LOCK_|LOG_|PAIRSTORE_|CLOUDINARY_|SUPABASE_|LOCAL_STORAGE_|UPLOAD_|PUBLIC_|WORKER_|STORAGE_|BACKEND_|SPOOL_|MEDIA_|ASAN_|UBSAN_|LSAN_)[A-Za-z0-9_]*$/) print k "=" ENVIRON[k] }' </dev/null
}
# cgi PROGRAM BODYFILE NAME=VALUE...: PROGRAM run as plain CGI (RFC
# 3875) with a clean environment: the settings, then the request's
# meta-variables.  Raw output in $W/cgi.out, the status on stdout.
cgi() {
	_prog=$1 _in=$2
	shift 2
	(
		IFS='
'
		# shellcheck disable=SC2086
		exec env -i PATH=/usr/bin:/bin $cgi_set \
		    GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		    SERVER_NAME=127.0.0.1 SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 \
		    HTTP_HOST=127.0.0.1 "$@" "$_prog"
	) <"$_in" >"$W/cgi.out" 2>>"$W/cgi.err"
	cat "$W/cgi.out" >>"$W/cgi.answers"
	sed '/^\r\{0,1\}$/q' "$W/cgi.out" >"$W/cgi.hdr"
	sed -n '1s/^Status: \([0-9][0-9]*\).*/\1/p' "$W/cgi.out"
}
cgi_hdr() {	# cgi_hdr NAME: a header of the last CGI answer
	sed -n "/^$1:/I{s/^[^:]*: *//;s/\r\$//;p;q}" "$W/cgi.hdr"
}

# ------------------------------------------------------------ auth_hs

# auth_case DESCRIPTION AUTHORIZATION-HEADER|"" [TOKEN]: the three
# programs refuse it.
auth_case() {
	d=$1 h=$2 t=${3:-}
	set --
	[ -z "$h" ] || set -- -H "$h"
	req POST /cgi-bin/pair "$@" -d "phone=$PHONE"
	unauthorized "$code" "pair, $d" "$t"
	req GET '/cgi-bin/status?job=pair%3Amallory' "$@"
	unauthorized "$code" "status, $d" "$t"
	up "$@" -F kind=view-once -F "file=@$W/tiny.txt"
	unauthorized "$code" "upload, $d" "$t"
}

phase_auth_hs() {
	printf 'hello\n' >"$W/tiny.txt"
	redis_keys >"$W/keys.before"
	before=$(local_count)
	now=$(date +%s)

	auth_case "no Authorization" ""
	auth_case "Authorization: Bearer (no token)" "Authorization: Bearer"
	auth_case "Bearer not-a-jwt" "Authorization: Bearer not-a-jwt"
	auth_case "Bearer with two segments" "Authorization: Bearer e30.e30"
	good=$(hs mallory)
	auth_case "token with a fourth segment" \
	    "$(bearer "$good.$(printf '%s' "$good" | cut -d. -f3)")" "$good"
	auth_case "token with junk base64" "Authorization: Bearer !!!.@@@.###"
	auth_case "Basic instead of Bearer" "Authorization: Basic bWFsbG9yeTp4"
	auth_case "Token scheme" "Authorization: Token $good" "$good"
	t=$(hs mallory --exp-in -120)
	auth_case "expired (exp 120 s ago)" "$(bearer "$t")" "$t"
	t=$(hs mallory --nbf-in 600)
	auth_case "not yet valid (nbf in 600 s)" "$(bearer "$t")" "$t"
	t=$(hs mallory --iat-in 3600)
	auth_case "issued an hour in the future" "$(bearer "$t")" "$t"
	t=$(MKJWT_SECRET=another-secret-that-is-32-bytes-long-0000 "$MKJWT" \
	    --alg HS256 --sub mallory --exp-in 300)
	auth_case "wrong signature (other secret)" "$(bearer "$t")" "$t"
	t=$(MKJWT_SECRET=$JWT_S "$MKJWT" --alg HS256 --alg-header none \
	    --unsigned --sub mallory --exp-in 300)
	auth_case "alg none, unsigned" "$(bearer "$t")" "$t"
	t=$(MKJWT_SECRET=$JWT_S "$MKJWT" --alg HS256 --alg-header none \
	    --sub mallory --exp-in 300)
	auth_case "alg none, with an HS256 signature" "$(bearer "$t")" "$t"
	t=$(MKJWT_SECRET=$JWT_S "$MKJWT" --alg HS256 --alg-header HS512 \
	    --sub mallory --exp-in 300)
	auth_case "alg header HS512 over an HS256 signature" \
	    "$(bearer "$t")" "$t"
	t=$(MKJWT_SECRET=$JWT_S "$MKJWT" --alg HS256 \
	    --raw-payload "{\"exp\":$((now + 300))}")
	auth_case "no sub claim" "$(bearer "$t")" "$t"
	t=$(hs '../../x')
	auth_case "sub ../../x (path traversal)" "$(bearer "$t")" "$t"
	t=$(hs "$(printf 'mallory\r\nX-Injected: 1')")
	auth_case "sub with CRLF" "$(bearer "$t")" "$t"
	! grep -rqi --include='*.hdr' '^X-Injected' "$R"
	ok $? "no answer carried an injected header"

	redis_keys >"$W/keys.after"
	cmp -s "$W/keys.before" "$W/keys.after"
	ok $? "none of that changed a key in Redis"
	"$PAIRSTORE" lock show mallory >"$W/lock" 2>&1
	grep -qx 'held=0' "$W/lock"
	ok $? "no lock for mallory"
	"$PAIRSTORE" queue show pair:mallory >/dev/null 2>&1
	is $? 3 "no job for mallory (pairstore queue show: 3)"
	is "$(local_count)" "$before" "nothing stored"
	is "$(spool_count)" 0 "nothing left in SPOOL_DIR"

	# The same setup accepts a good token: the 401s were not luck.
	req GET /cgi-bin/status -H "$(bearer "$good")"
	is "$code" 200 "control: a valid token reads its status (200)"
	req POST /cgi-bin/pair -H "$(bearer "$good")" -d "phone=$PHONE"
	is "$code" 202 "control: a valid token submits (202)"
	"$PAIRSTORE" lock show mallory | grep -qx 'held=1'
	ok $? "control: and its lock is held"

	# A bad token costs no upload: 401 while the client still sends.
	probe --header 'Authorization: Bearer x.y.z' --multipart \
	    '[{"name":"kind","data":"view-once"},{"name":"file","data_repeat":["x",300000]}]' \
	    --content-length 50000000 --send-bytes 65536 --timeout 15
	is "$code" 401 "a 50 MB upload with a bad token: 401"
	[ "$early" = 1 ] && [ "$ms" -lt 10000 ]
	ok $? "401 before the body was read (after ${ms} ms, 64 KiB of 50 MB sent)"
	is "$(local_count)" "$before" "nothing stored"
}

# ------------------------------------------------------------ auth_rs

phase_auth_rs() {
	printf 'hello\n' >"$W/tiny.txt"
	redis_keys >"$W/keys.before"
	before=$(local_count)
	pem=$keys/test-rsa-public.pem
	t=$("$MKJWT" --alg HS256 --sign-with-public-key-as-hmac "$pem" \
	    --sub mallory --exp-in 300)
	auth_case "HS256 keyed with the RS256 public key (PEM)" \
	    "$(bearer "$t")" "$t"
	printf '%s' "$(cat "$pem")" >"$W/pub-nonl.pem"
	t=$("$MKJWT" --alg HS256 --sign-with-public-key-as-hmac \
	    "$W/pub-nonl.pem" --sub mallory --exp-in 300)
	auth_case "HS256 keyed with the public key without its newline" \
	    "$(bearer "$t")" "$t"
	if openssl pkey -pubin -in "$pem" -outform DER -out "$W/pub.der" \
	    2>/dev/null; then
		t=$("$MKJWT" --alg HS256 --sign-with-public-key-as-hmac \
		    "$W/pub.der" --sub mallory --exp-in 300)
		auth_case "HS256 keyed with the public key (DER)" \
		    "$(bearer "$t")" "$t"
	fi
	t=$(MKJWT_SECRET='' "$MKJWT" --alg RS256 --key "$W/other-rsa.pem" \
	    --sub mallory --exp-in 300)
	auth_case "RS256 signed by another RSA key" "$(bearer "$t")" "$t"
	t=$(MKJWT_SECRET='' "$MKJWT" --alg RS256 \
	    --key "$keys/test-rsa-private.pem" --alg-header none --unsigned \
	    --sub mallory --exp-in 300)
	auth_case "alg none, unsigned, under RS256" "$(bearer "$t")" "$t"
	t=$(MKJWT_SECRET='' "$MKJWT" --alg RS256 \
	    --key "$keys/test-rsa-private.pem" --sub mallory --exp-in -120)
	auth_case "RS256, expired" "$(bearer "$t")" "$t"
	t=$(MKJWT_SECRET='' "$MKJWT" --alg ES256 \
	    --key "$keys/test-ec-private.pem" --sub mallory --exp-in 300)
	auth_case "ES256 token when the key is RSA" "$(bearer "$t")" "$t"

	redis_keys >"$W/keys.after"
	cmp -s "$W/keys.before" "$W/keys.after"
	ok $? "RS256: none of that changed a key in Redis"
	"$PAIRSTORE" lock show mallory | grep -qx 'held=0'
	ok $? "RS256: no lock for mallory"
	is "$(local_count)" "$before" "RS256: nothing stored"
	is "$(spool_count)" 0 "RS256: nothing left in SPOOL_DIR"
	t=$(MKJWT_SECRET='' "$MKJWT" --alg RS256 \
	    --key "$keys/test-rsa-private.pem" --sub mallory --exp-in 300)
	req GET /cgi-bin/status -H "$(bearer "$t")"
	is "$code" 200 "control: a good RS256 token reads its status (200)"
}

# ------------------------------------------------------------ cross

phase_cross() {
	alice=$(hs alice)
	bob=$(hs bob)
	A=$(bearer "$alice")
	B=$(bearer "$bob")
	printf 'hello\n' >"$W/tiny.txt"

	req POST /cgi-bin/pair -H "$A" -d "phone=$PHONE"
	is "$code" 202 "alice submits (202)"
	"$PAIRSTORE" queue show pair:alice >"$W/alice.before"

	req GET '/cgi-bin/status?job=pair%3Aalice' -H "$B"
	is "$code" 403 "bob reads alice's job: 403"
	is "$(hdr Content-Type)" application/problem+json "403 is problem+json"
	! grep -q -e "$PHONE" -e "23456789" -e '"state"' "$RB"
	ok $? "403: no phone number and no state of alice's job"
	req GET '/cgi-bin/status?job=pair%3Aalice' -H "$B" \
	    -H 'Accept: text/html'
	is "$code" 403 "bob reads alice's job as a page: 403"
	! grep -q -e "$PHONE" -e "23456789" -e 'Waiting' "$RB"
	ok $? "403 page: nothing of alice's job"

	# No cancel exists over HTTP: status takes GET and HEAD only.
	for m in DELETE PUT PATCH POST; do
		req "$m" '/cgi-bin/status?job=pair%3Aalice' -H "$B" \
		    -d 'job=pair:alice'
		is "$code" 405 "bob $m status?job=alice's: 405"
		is "$(hdr Allow)" "GET, HEAD" "$m: Allow: GET, HEAD"
	done
	req DELETE '/cgi-bin/status?job=pair%3Aalice' -H "$A"
	is "$code" 405 "not even alice can DELETE (no cancel over HTTP)"
	req DELETE /cgi-bin/pair -H "$B"
	is "$code" 405 "DELETE pair: 405"

	# Identity comes from the token alone.
	req POST '/cgi-bin/pair?user=alice' -H "$B" \
	    -H 'X-Pairstore-User: alice' -d "phone=4915100000002&user=alice"
	is "$code" 202 "bob submits naming alice in query, header and form: 202"
	is "$(json job)" "pair:bob" "the job is bob's"
	"$PAIRSTORE" queue show pair:alice >"$W/alice.after"
	cmp -s "$W/alice.before" "$W/alice.after"
	ok $? "alice's job is untouched by all of bob's requests"

	"$PAIRSTORE" worker --drain >>"$W/worker.log" 2>&1
	ok $? "pairstore worker --drain ran the jobs"
	req GET '/cgi-bin/status?job=pair%3Aalice' -H "$A"
	is "$(json state)" completed "alice's job completed"
	c=$(json code)
	echo "$c" | grep -Eq '^[1-9A-HJ-NP-TV-Z]{8}$'
	ok $? "alice sees her code"
	[ -n "$c" ] || c=no-code-at-all
	req GET '/cgi-bin/status?job=pair%3Aalice' -H "$B"
	is "$code" 403 "after completion bob still gets 403"
	! grep -qF -e "$c" -e "${c%????}-${c#????}" "$RB"
	ok $? "and no code"
	req GET '/cgi-bin/status?job=pair%3Aalice' -H "$B" \
	    -H 'Accept: text/html'
	! grep -qF -e "$c" -e "${c%????}-${c#????}" "$RB"
	ok $? "nor in the 403 page ($code)"
	for q in 'job=pair%3Aalice&job=pair%3Abob' 'job=pair%3Abob&job=pair%3Aalice' \
	    'job=pair%3Aalice%00' 'job=PAIR%3Aalice' 'job=pair%3Aalice%20' \
	    'job=pair%3A%61lice' 'job=%70air:alice'; do
		req GET "/cgi-bin/status?$q" -H "$B"
		! grep -qF -e "$c" -e "$PHONE" "$RB"
		ok $? "bob's status?$q ($code): no code of alice's"
	done
	req GET /cgi-bin/status -H "$B"
	is "$code" 200 "bob's own status: 200"
	is "$(json user)" bob "it is bob's"
	! grep -qF -e "$c" -e "$PHONE" "$RB"
	ok $? "and holds nothing of alice's"
	for p in /cgi-bin/status/health /cgi-bin/status/metrics; do
		req GET "$p"
		! grep -qF -e "$c" -e "$PHONE" -e alice "$RB"
		ok $? "$p ($code): no code, phone or user id"
	done

	# Uploads: only the token says whose folder.
	before=$(local_count)
	up -H "$B" -F kind=view-once -F user=alice -F "file=@$W/tiny.txt"
	refused "$code" 400 "$before" "bob's upload with a user=alice part"
	up -H "$B" -F kind=view-once -F "file=@$W/tiny.txt" -F user=alice
	refused "$code" 400 "$before" "bob's upload with user=alice after the file"
	Q='?user=alice'; up -H "$B" -H 'X-Pairstore-User: alice' \
	    -F kind=view-once -F "file=@$W/tiny.txt"; Q=
	is "$code" 201 "bob's upload naming alice in query and header: 201"
	json url | grep -Eq "^/media/view-once/bob/${GEN}[.]bin\$"
	ok $? "stored in bob's folder"
	[ ! -e "$MEDIA/view-once/alice" ] &&
	    [ -z "$(find "$MEDIA" -path '*alice*' 2>/dev/null)" ]
	ok $? "nothing anywhere under an alice folder"
}

# ------------------------------------------------------------ uploads

# stored_safely DESCRIPTION FILE: the last answer is a 201 whose object
# is in mallory's view-once folder, under a generated name whose
# extension is no page or script, served back as the same bytes and not
# as HTML, SVG or JavaScript.
stored_safely() {
	_d=$1 _f=$2
	url=$(json url)
	echo "$url" | grep -Eq "^/media/view-once/mallory/${GEN}[.][a-z0-9]+\$"
	ok $? "$_d: stored under a generated name in the user's folder"
	case "$url" in
	*.html | *.htm | *.xhtml | *.svg | *.svgz | *.js | *.mjs | *.xml | \
	*.shtml | *.php | *.css)
		ok 1 "$_d: extension ${url##*.}" ;;
	*) ok 0 "$_d: extension .${url##*.}" ;;
	esac
	rm -f "$W/fetched"
	curl -s --max-time 20 -o "$W/fetched" -D "$W/fhdr" \
	    "$PS_TEST_BASE_URL$url"
	[ -f "$W/fetched" ] || : >"$W/fetched"
	is "$(sha "$W/fetched")" "$(sha "$_f")" "$_d: served back as the same bytes"
	ct=$(tr -d '\r' <"$W/fhdr" | sed -n 's/^Content-Type: //Ip' | head -1)
	case "$ct" in
	text/html* | image/svg* | *javascript* | *xml* | text/css*)
		ok 1 "$_d: served as $ct" ;;
	'') ok 1 "$_d: served with no Content-Type" ;;
	*) ok 0 "$_d: served as $ct" ;;
	esac
}

phase_uploads() {
	U='X-Pairstore-User: mallory'
	K='{"name":"kind","data":"view-once"}'
	F='{"name":"file","filename":"a.txt","data":"tiny"}'
	printf 'tiny' >"$W/tiny"
	printf -- '--AAA\nContent-Disposition: form-data; name="kind"\n\nview-once\n--AAA\nContent-Disposition: form-data; name="file"\n\nx\n--AAA--\n' \
	    >"$W/bare-lf"
	printf -- '--AAA\r\nContent-Disposition: form-data; name="kind"\r\n\r\nview-once\r\n--AAA\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--AAA--\r\n--AAA\r\nContent-Disposition: form-data; name="kind"\r\n\r\n../../x\r\n--AAA--\r\n' \
	    >"$W/epilogue"
	find "$T" -type f | grep -v -e "^$W/" -e "^$T/lighttpd\." | sort \
	    >"$W/files.before"

	# kind: the allow-list, exactly.
	before=$(local_count)
	# (Raw: curl -F would cut "a;b" and trim blanks.)
	for k in '../view-once' 'view-once/..' 'view-once/../../../../tmp' \
	    './view-once' '..%2Fview-once' 'view-once%00' 'VIEW-ONCE' \
	    'view-once ' ' view-once' 'view-once;x' '.' '..' \
	    'view-once\u0000' 'view-once\u0000/../x' 'view-once\r\n' \
	    'view-once\t' 'view-once\r\nX-Injected: 1' '\u0000' \
	    'view-once\u00ff' '\u00c0\u00ae\u00c0\u00ae/x'; do
		probe --header "$U" --multipart \
		    "[{\"name\":\"kind\",\"data\":\"$k\"},$F]"
		refused "$code" 400 "$before" "kind '$k'"
	done
	! grep -rqi --include='*.hdr' '^X-Injected' "$R"
	ok $? "kind with CRLF: no injected header in any answer"

	# user (demo mode): form part, query, header.
	for u in '../x' '..' '.' 'a/b' 'alice/../bob' '%2e%2e' '..%2F..%2Fx' \
	    'alice bob' ' alice' 'alice;x' "$(printf '%065d' 0)" \
	    'alice\u0000bob' 'alice\u0000' '..\u0000' 'alice\t' \
	    'alice\r\nX-Injected: 1' '\u00c0\u00ae\u00c0\u00ae'; do
		probe --multipart \
		    "[{\"name\":\"user\",\"data\":\"$u\"},$K,$F]"
		refused "$code" 4xx "$before" "user part '$u'"
		no_injection "$RH"
		ok $? "user part '$u': no injected header"
	done
	for u in '..%2F..%2Fx' '%2e%2e' 'a%2Fb' 'alice%00bob' '%00'; do
		Q="?user=$u"; up -F kind=view-once -F "file=@$W/tiny"; Q=
		refused "$code" 4xx "$before" "?user=$u"
	done
	for u in '..' '../../x' 'a/b' '.'; do
		up -H "X-Pairstore-User: $u" -F kind=view-once \
		    -F "file=@$W/tiny"
		refused "$code" 401 "$before" "X-Pairstore-User: $u"
	done

	# Part names and Content-Disposition parameters.
	for n in '../x' '../file' 'file/../kind' 'file\u0000' 'fi\u0000le' \
	    '/file' 'file/' './file' 'FILE' 'x%0D%0AX-Injected: 1'; do
		probe --header "$U" --multipart \
		    "[$K,{\"name\":\"$n\",\"filename\":\"a.txt\",\"data\":\"x\"}]"
		refused "$code" 4xx "$before" "part name '$n'"
		no_injection "$RH"
		ok $? "part name '$n': no injected header"
	done
	probe --header "$U" --multipart "[$K,{\"cd\":\"form-data; name*=UTF-8''file; filename=\\\"a\\\"\",\"data\":\"x\"}]"
	refused "$code" 4xx "$before" "name*=UTF-8''file"
	probe --header "$U" --multipart "[$K,{\"cd\":\"form-data; name=\\\"kind\\\"; name=\\\"file\\\"; filename=\\\"a\\\"\",\"data\":\"x\"}]"
	refused "$code" 4xx "$before" "two name parameters"
	probe --header "$U" --multipart "[$K,{\"cd\":\"form-data; name=\\\"file\\\"; filename=\\\"a\\\"\",\"headers\":[\"Content-Disposition: form-data; name=\\\"../x\\\"\"],\"data\":\"x\"}]"
	case "$code" in
	201) stored_safely "two Content-Disposition headers" "$W/tiny" ;;
	*) refused "$code" 4xx "$before" "two Content-Disposition headers" ;;
	esac
	before=$(local_count)

	# Filenames: never used.  Traversal, NUL, CRLF, 4000 and 10000
	# characters, RFC 5987 filename*.
	printf '<!DOCTYPE html><script>alert(document.domain)</script>\n' \
	    >"$W/page.html"
	for fn in '../../../../tmp/x.html' '..\\..\\x.html' '%2e%2e%2fx.html' \
	    'x.html\u0000.png' 'x.png\u0000.html' \
	    'x.html\r\nX-Injected: 1' "$(printf '%04000d' 0).html"; do
		probe --header "$U" --multipart \
		    "[$K,{\"name\":\"file\",\"filename\":\"$fn\",\"ctype\":\"text/html\",\"data_file\":\"$W/page.html\"}]"
		d="filename '$(printf '%.40s' "$fn")'"
		case "$code" in
		201) stored_safely "$d" "$W/page.html" ;;
		*) refused "$code" 4xx "$before" "$d" ;;
		esac
		before=$(local_count)
		no_injection "$RH"
		ok $? "$d: no injected header"
	done
	probe --header "$U" --multipart \
	    "[$K,{\"cd\":\"form-data; name=\\\"file\\\"; filename*=UTF-8''..%2F..%2F..%2Fx.html\",\"data_file\":\"$W/page.html\"}]"
	case "$code" in
	201) stored_safely "filename*=UTF-8''../../../x.html" "$W/page.html" ;;
	*) refused "$code" 4xx "$before" "filename*=UTF-8''../../../x.html" ;;
	esac
	before=$(local_count)
	probe --header "$U" --multipart \
	    "[$K,{\"cd\":\"form-data; name=\\\"file\\\"; filename=\\\"a.bin\\\"; filename*=UTF-8''x.svg\",\"data_file\":\"$W/page.html\"}]"
	case "$code" in
	201) stored_safely "filename and filename*=x.svg" "$W/page.html" ;;
	*) refused "$code" 4xx "$before" "filename and filename*=x.svg" ;;
	esac
	before=$(local_count)
	long=$(head -c 10000 /dev/zero | tr '\0' a)
	probe --header "$U" --multipart \
	    "[$K,{\"name\":\"file\",\"filename\":\"$long.html\",\"data\":\"x\"}]"
	refused "$code" 4xx "$before" "a 10000-character filename"
	long=$(head -c 100000 /dev/zero | tr '\0' a)
	probe --header "$U" --multipart \
	    "[$K,{\"name\":\"file\",\"filename\":\"a\",\"headers\":[\"X-Long: $long\"],\"data\":\"x\"}]"
	refused "$code" 4xx "$before" "a 100000-byte part header line"
	probe --header "$U" --multipart \
	    "[{\"name\":\"kind\",\"headers\":[\"X-Long: $long\"],\"data\":\"view-once\"},$F]"
	refused "$code" 4xx "$before" "a 100000-byte header line in the kind part"

	# Multipart structure.
	probe --header "$U" --boundary 'AAA; boundary=BBB' --multipart "[$K,$F]"
	refused "$code" 400 "$before" "two boundary parameters"
	probe --header "$U" --header 'Content-Type: multipart/form-data; boundary=AAA' \
	    --body-file "$W/bare-lf"
	refused "$code" 400 "$before" "bare LF line ends"
	probe --header "$U" --header 'Content-Type: multipart/form-data; boundary=AAA' \
	    --body-file "$W/epilogue"
	is "$code" 201 "a part after the close delimiter: ignored (201)"
	json url | grep -Eq "^/media/view-once/mallory/${GEN}[.]bin\$"
	ok $? "the epilogue's kind ../../x is not used"
	before=$(local_count)
	printf -- '--AAA\r\nContent-Disposition: form-data; name="file"\r\n\r\n' \
	    >"$W/twofiles"
	head -c 300000 /dev/zero >>"$W/twofiles"
	printf -- '\r\n--AAA\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--AAA--\r\n' \
	    >>"$W/twofiles"
	probe --header "$U" --header 'Content-Type: multipart/form-data; boundary=AAA' \
	    --body-file "$W/twofiles"
	refused "$code" 400 "$before" "a second file part after a 300 KB one"

	# Boundaries and parts.
	b70=$(head -c 70 /dev/zero | tr '\0' b)
	probe --header "$U" --boundary "${b70}b" --multipart "[$K,$F]"
	refused "$code" 400 "$before" "a 71-character boundary"
	probe --header "$U" --boundary "$(head -c 200 /dev/zero | tr '\0' b)" \
	    --multipart "[$K,$F]"
	refused "$code" 400 "$before" "a 200-character boundary"
	probe --header "$U" --boundary "$b70" --multipart "[$K,$F]"
	is "$code" 201 "control: a 70-character boundary is accepted"
	before=$(local_count)
	for spec in \
	    "[{\"name\":\"kind\",\"data\":\"view-once\",\"repeat\":5000}]" \
	    "[$K,{\"name\":\"x\",\"data\":\"\",\"repeat\":5000},$F]" \
	    "[{\"name\":\"\",\"data\":\"\",\"repeat\":5000},$K,$F]" \
	    "[$K,{\"cd\":\"form-data\",\"data\":\"\",\"repeat\":5000},$F]" \
	    "[$K,{\"name\":\"file\",\"filename\":\"a\",\"data\":\"x\",\"repeat\":5000}]"; do
		probe --header "$U" --multipart "$spec"
		d="5000 parts ($(printf '%s' "$spec" | cut -c1-50)...)"
		refused "$code" 4xx "$before" "$d"
		[ "$ms" -lt 5000 ]
		ok $? "$d: answered in ${ms} ms"
	done

	# Active content: stored raw or as the image it starts with, never
	# as something a browser runs.
	printf 'GIF89a<script>alert(1)</script>\n' >"$W/gifjs"
	cat "$media_samples/sample.png" >"$W/pnghtml"
	printf '<html><body onload="alert(1)"><script>alert(2)</script>\n' \
	    >>"$W/pnghtml"
	printf '\377\330\377\340<html><script>alert(1)</script></html>\n' \
	    >"$W/jpghtml"
	printf '\357\273\277<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>\n' \
	    >"$W/bomsvg"
	printf '<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>\n' \
	    >"$W/xhtml"
	printf '\n\n   <!doctype html><iframe src="javascript:alert(1)">\n' \
	    >"$W/wshtml"
	printf 'alert(document.cookie);\n' >"$W/js"
	printf '%%PDF-1.4\n<html><script>alert(1)</script>\n' >"$W/pdfhtml"
	for f in gifjs:x.html:text/html pnghtml:x.svg:image/svg+xml \
	    jpghtml:x.jpg:image/jpeg bomsvg:x.svg:image/svg+xml \
	    xhtml:x.xhtml:application/xhtml+xml wshtml:a.png:image/png \
	    js:x.js:text/javascript pdfhtml:x.pdf:application/pdf; do
		n=${f%%:*} rest=${f#*:}
		fn=${rest%%:*} ct=${rest#*:}
		before=$(local_count)
		up -H "$U" -F kind=view-once \
		    -F "file=@$W/$n;filename=$fn;type=$ct"
		is "$code" 201 "$n as $fn ($ct): 201"
		stored_safely "$n" "$W/$n"
		is "$(local_count)" "$((before + 1))" "$n: exactly one object more"
	done
	: >"$W/empty"
	up -H "$U" -F kind=view-once \
	    -F "file=@$W/empty;filename=empty.html;type=text/html"
	is "$code" 201 "a zero-byte file named empty.html: 201"
	is "$(json bytes)" 0 "zero-byte file: 0 bytes"
	stored_safely "zero-byte file" "$W/empty"

	bad=$(find "$MEDIA" -type f \( -name '*.htm*' -o -name '*.svg*' -o \
	    -name '*.js' -o -name '*.xml' -o -name '*.xhtml' \))
	is "$bad" "" "no stored file has a page or script extension"
	find "$T" -type f | grep -v -e "^$W/" -e "^$T/lighttpd\." | sort \
	    >"$W/files.after"
	extra=$(comm -13 "$W/files.before" "$W/files.after" | grep -Ev \
	    "^$MEDIA/view-once/mallory/${GEN}[.][a-z0-9]+\$")
	is "$extra" "" "every new file is in mallory's view-once folder"
	is "$(spool_count)" 0 "SPOOL_DIR empty at the end"
	ww=$(find "$MEDIA" "$SPOOL" -perm -002 ! -type l 2>/dev/null)
	is "$ww" "" "nothing world-writable in LOCAL_STORAGE_DIR or SPOOL_DIR"

	# A user id starting with a dot would be a hidden directory of the
	# media tree.  ".htaccess" as a directory there makes Apache
	# (htaccess.example's media layout, AllowOverride on
	# public_html/media) answer 403 for every file of that kind, every
	# user's: "not a regular file", AH00529.  Such ids are refused.
	up -H 'X-Pairstore-User: .htaccess' -F kind=view-once -F "file=@$W/tiny"
	dots=$(find "$MEDIA" -name '.*' 2>/dev/null)
	is "$code" 401 "user id .htaccess: refused (401)"
	is "$dots" "" "... and no hidden file or directory in the media tree"
	rm -rf "$MEDIA/view-once/.htaccess"
}

# ------------------------------------------------------------ limits

phase_limits() {
	U='X-Pairstore-User: lima'
	K='{"name":"kind","data":"view-once"}'
	before=$(local_count)

	# 50 MB announced, 64 KiB sent: the 413 must come without the rest.
	probe --header "$U" --multipart \
	    "[$K,{\"name\":\"file\",\"data_repeat\":[\"x\",300000]}]" \
	    --content-length 50000000 --send-bytes 65536 --timeout 15
	refused "$code" 413 "$before" "Content-Length 50 MB over a 20000-byte limit"
	[ "$early" = 1 ] && [ "$ms" -lt 10000 ]
	ok $? "413 before the body was read (answer after ${ms} ms, 64 KiB of 50 MB sent)"
	is "$(hdr Content-Type)" application/problem+json "413 is problem+json"

	probe --header "$U" --multipart \
	    "[$K,{\"name\":\"file\",\"data_repeat\":[\"x\",20001]}]"
	refused "$code" 413 "$before" "limit + 1 byte with Content-Length (413 while reading)"
	probe --header "$U" --chunked --multipart \
	    "[$K,{\"name\":\"file\",\"data_repeat\":[\"x\",30000]}]"
	refused "$code" 413 "$before" "30000 bytes chunked (413 while reading)"
	# lighttpd hands a chunked body on only once it has all of it and
	# answers 411 itself when it has not; either way nothing is stored.
	probe --header "$U" --chunked --multipart \
	    "[$K,{\"name\":\"file\",\"data_repeat\":[\"x\",3000000]}]"
	case "$code" in
	411 | 413) ok 0 "3 MB chunked: $code" ;;
	*) ok 1 "3 MB chunked: 411 or 413"; diag "got $code" ;;
	esac
	is "$(local_count)" "$before" "3 MB chunked: nothing stored"
	is "$(spool_count)" 0 "3 MB chunked: nothing left in SPOOL_DIR"
	probe --header "$U" --chunked --multipart \
	    "[$K,{\"name\":\"file\",\"data_repeat\":[\"y\",20000]}]"
	is "$code" 201 "control: exactly the limit, chunked: 201"
	is "$(local_count)" "$((before + 1))" "control: stored once"

	# Content-Length junk, through lighttpd and to the program itself.
	before=$(local_count)
	for cl in -1 99999999999999999999 12abc; do
		probe --method POST --header "$U" \
		    --header "Content-Length: $cl"
		refused "$code" 4xx "$before" "Content-Length: $cl (lighttpd)"
	done
	printf -- '--b\r\nContent-Disposition: form-data; name="kind"\r\n\r\nview-once\r\n--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--b--\r\n' \
	    >"$W/form"
	for cl in -1 99999999999999999999 12abc 0x10 '' ' 10' 1e3; do
		code=$(cgi "$UPLOAD" "$W/form" REQUEST_METHOD=POST \
		    SCRIPT_NAME=/cgi-bin/upload HTTP_X_PAIRSTORE_USER=lima \
		    "CONTENT_TYPE=multipart/form-data; boundary=b" \
		    "CONTENT_LENGTH=$cl")
		refused "$code" 4xx "$before" "CGI CONTENT_LENGTH='$cl'"
	done
	is "$(find "$SPOOL" -mindepth 1 | wc -l | tr -d ' ')" 0 \
	    "SPOOL_DIR empty at the end"
}

# ------------------------------------------------------------ requests

phase_requests() {
	U='X-Pairstore-User: ramona'
	printf 'tiny' >"$W/form"
	printf 'phone=4915%%00123456789' >"$W/nul.form"
	procs=$(fcgi_procs)
	[ -n "$procs" ]
	ok $? "the FastCGI programs are running"

	# CRLF through lighttpd: it refuses control characters in the URL
	# itself; nothing reaches a header either way.
	for p in '/cgi-bin/status?job=pair:alice%0d%0aX-Injected:%201' \
	    '/cgi-bin/status?job=%0d%0aLocation:%20http://evil' \
	    '/cgi-bin/status/%0d%0aX-Injected:%201' \
	    '/cgi-bin/pair?user=alice%0d%0aX-Injected:%201' \
	    '/cgi-bin/upload?user=alice%0d%0aX-Injected:%201' \
	    '/cgi-bin/status?job=pair:alice%0aX-Injected:%201'; do
		probe --method GET --header "$U" --path "$p"
		is_4xx "$code" "GET $p"
		no_injection "$RH"
		ok $? "GET $p: no injected header"
	done
	probe --method POST --path '/cgi-bin/pair' --body-file /dev/null \
	    --header 'X-Pairstore-User: alice\r\n X-Injected: 1'
	is_4xx "$code" "X-Pairstore-User with an obs-fold"
	no_injection "$RH"
	ok $? "obs-fold: no injected header"
	for h in 'X-Pairstore-User: alice\rX-Injected: 1' \
	    'X-Pairstore-User: alice\x00X-Injected: 1' \
	    'X-Pairstore-User: alice%0d%0aX-Injected: 1'; do
		probe --method GET --path /cgi-bin/status --header "$h"
		is_4xx "$code" "header '$h'"
		no_injection "$RH"
		ok $? "header '$h': no injected header"
	done
	req POST /cgi-bin/pair -d "phone=$PHONE" \
	    --data-urlencode "user=alice
X-Injected: 1"
	is "$code" 401 "pair with a user field holding CRLF: 401"
	no_injection "$RH"
	ok $? "pair user field CRLF: no injected header"
	req POST /cgi-bin/pair -H 'Content-Type: application/json' \
	    -d "{\"phone\":\"$PHONE\",\"user\":\"alice\\r\\nX-Injected: 1\"}"
	is "$code" 401 "pair with a JSON user holding CRLF: 401"
	no_injection "$RH"
	ok $? "pair JSON user CRLF: no injected header"

	# A part name is echoed in the problem's detail: JSON-escaped, and
	# in the HTML error page escaped.
	probe --header "$U" --multipart \
	    '[{"name":"x%0D%0AX-Injected: 1\r\n<script>alert(1)</script>","data":"x"}]'
	is "$code" 400 "part name with CRLF and a script: 400"
	no_injection "$RH"
	ok $? "part name: no injected header"
	"$PYTHON3" -c 'import json,sys; json.load(open(sys.argv[1]))' \
	    "$RB" 2>/dev/null
	ok $? "part name: the problem is valid JSON"
	probe --header "$U" --header 'Accept: text/html' --multipart \
	    '[{"name":"<script>alert(1)</script>","data":"x"}]'
	is "$code" 400 "part name with a script, HTML answer: 400"
	! grep -qi '<script>alert' "$RB"
	ok $? "the error page escapes the part name"
	up -H "$U" -H 'Accept: text/html' \
	    -H 'Origin: http://evil.example/"><script>alert(1)</script>' \
	    -F kind=view-once -F "file=@$W/form"
	is "$code" 403 "Origin holding a script, HTML answer: 403"
	! grep -qi '<script>alert' "$RB"
	ok $? "the error page escapes the Origin"
	up -H "$U" -H 'Accept: text/html' \
	    -H 'Sec-Fetch-Site: <img src=x onerror=alert(1)>' \
	    -F kind=view-once -F "file=@$W/form"
	is "$code" 403 "Sec-Fetch-Site holding markup, HTML answer: 403"
	! grep -qi '<img' "$RB"
	ok $? "the error page escapes Sec-Fetch-Site"
	req GET '/cgi-bin/status?job=%3Cscript%3Ealert(1)%3C/script%3E' \
	    -H "$U" -H 'Accept: text/html'
	is_4xx "$code" "status?job=<script> as a page"
	! grep -qi '<script>alert' "$RB"
	ok $? "status page: the job id is not reflected raw"
	req GET '/cgi-bin/status?user=%22%3E%3Cscript%3Ealert(1)%3C/script%3E' \
	    -H 'Accept: text/html'
	! grep -qi '<script>alert' "$RB"
	ok $? "status?user=<script> as a page ($code): not reflected raw"

	# Cross-site posts to pair (ambient credentials: Basic auth,
	# remote_user) are refused before anything is read, JSON as
	# text/plain too (the no-preflight trick).
	printf 'phone=%s' "$PHONE" >"$W/phone.form"
	printf '{"phone":"%s"}' "$PHONE" >"$W/phone.json"
	for h in 'Origin: http://evil.example' 'Sec-Fetch-Site: cross-site' \
	    'Origin: null'; do
		probe --path /cgi-bin/pair --header 'X-Pairstore-User: csrf' \
		    --header "$h" --body-file "$W/phone.form" \
		    --header 'Content-Type: application/x-www-form-urlencoded'
		is "$code" 403 "pair with $h: 403"
	done
	probe --path /cgi-bin/pair --header 'X-Pairstore-User: csrf' \
	    --body-file "$W/phone.json" --header 'Content-Type: text/plain'
	is "$code" 415 "pair with JSON as text/plain: 415"
	"$PAIRSTORE" queue show pair:csrf >/dev/null 2>&1
	is $? 3 "no job for the cross-site poster"
	"$PYTHON3" -c 'import sys; sys.stdout.write("["*8000+"]"*8000)' \
	    >"$W/deep.json"
	probe --path /cgi-bin/pair --header "$U" --body-file "$W/deep.json" \
	    --header 'Content-Type: application/json'
	is "$code" 400 "JSON nested 8000 deep: 400"
	printf '{"phone":"4915\\u0000123456789"}' >"$W/nul.json"
	probe --path /cgi-bin/pair --header "$U" --body-file "$W/nul.json" \
	    --header 'Content-Type: application/json'
	is "$code" 400 "JSON phone with \\u0000: 400"
	probe --path /cgi-bin/pair --header "$U" \
	    --header 'Content-Type: application/x-www-form-urlencoded' \
	    --body-file "$W/nul.form"
	is "$code" 400 "form phone with %00: 400"
	"$PAIRSTORE" queue show pair:ramona >/dev/null 2>&1
	is $? 3 "no job for ramona from any of that"

	# Oversized requests: a clean 4xx from lighttpd or the program.
	q64=$(head -c 65536 /dev/zero | tr '\0' a)
	probe --method GET --header "$U" --path "/cgi-bin/status?job=$q64"
	is_4xx "$code" "a 64 KiB query string"
	probe --method GET --header "$U" --path "/cgi-bin/status" \
	    --header "X-Big: $q64"
	is_4xx "$code" "a 64 KiB request header"
	probe --method POST --path "/cgi-bin/pair" --body-file /dev/null \
	    --header "X-Pairstore-User: $q64"
	is_4xx "$code" "a 64 KiB X-Pairstore-User"
	probe --method GET --header "$U" \
	    --path "/cgi-bin/status?job=$(head -c 5000 /dev/zero | tr '\0' a)"
	is "$code" 400 "a 5000-byte query string: 400 from the program"
	probe --method GET --path /cgi-bin/status \
	    --header "X-Pairstore-User: $(head -c 7000 /dev/zero | tr '\0' a)"
	is "$code" 401 "a 7000-byte X-Pairstore-User: 401"
	probe --method GET --header "$U" \
	    --path "/cgi-bin/upload?user=$(head -c 4000 /dev/zero | tr '\0' a)"
	case "$code" in
	200 | 4[0-9][0-9]) ok 0 "GET upload?user=<4000 bytes>: $code" ;;
	*) ok 1 "GET upload?user=<4000 bytes>: got $code" ;;
	esac
	probe --method GET --header "$U" \
	    --path "/cgi-bin/status?$(awk 'BEGIN { for (i = 0; i < 800; i++) printf "a=1&" }')"
	is_4xx "$code" "800 query fields"
	is "$(fcgi_procs)" "$procs" "the FastCGI programs are the same processes"
	req GET /cgi-bin/status -H "$U"
	is "$code" 200 "and still answer (status 200)"

	# Methods: each program says what it takes.
	for m in PUT DELETE PATCH TRACE OPTIONS; do
		for p in pair:POST status:'GET, HEAD' upload:'GET, HEAD, POST'; do
			req "$m" "/cgi-bin/${p%%:*}" -H "$U"
			is "$code" 405 "$m ${p%%:*}: 405"
			is "$(hdr Allow)" "${p#*:}" "$m ${p%%:*}: Allow: ${p#*:}"
		done
	done
	for p in pair status upload; do
		req FOO "/cgi-bin/$p" -H "$U"
		case "$code:$(hdr Content-Type)" in
		405:application/problem+json)
			ok 0 "FOO $p: 405 from the program" ;;
		501:text/html*)
			ok 0 "FOO $p: 501 from lighttpd (never reaches it)" ;;
		*) ok 1 "FOO $p: got $code" ;;
		esac
	done
	req GET '/cgi-bin/status/../pair' -H "$U" --path-as-is
	is_4xx "$code" "GET /cgi-bin/status/../pair"

	# The programs themselves, as plain CGI: what a server that lets
	# more through (any method, control characters) would hand on.
	: >"$W/none"
	for p in "$PAIR:POST" "$STATUS:GET, HEAD" "$UPLOAD:GET, HEAD, POST"; do
		prog=${p%%:*} allow=${p#*:}
		for m in FOO get PROPFIND 'GET X' ''; do
			code=$(cgi "$prog" "$W/none" "REQUEST_METHOD=$m" \
			    SCRIPT_NAME=/cgi-bin/x HTTP_X_PAIRSTORE_USER=mallory)
			is "$code" 405 "CGI $(basename "$prog") '$m': 405"
			is "$(cgi_hdr Allow)" "$allow" \
			    "CGI $(basename "$prog") '$m': Allow: $allow"
		done
	done
	cr=$(printf '\r')
	nl='
'
	code=$(cgi "$STATUS" "$W/none" REQUEST_METHOD=GET \
	    SCRIPT_NAME=/cgi-bin/status HTTP_X_PAIRSTORE_USER=mallory \
	    'QUERY_STRING=job=pair:alice%0d%0aX-Injected:%201')
	is_4xx "$code" "CGI status?job= with %0d%0a"
	no_injection "$W/cgi.hdr"
	ok $? "CGI status?job= with %0d%0a: no injected header"
	code=$(cgi "$STATUS" "$W/none" REQUEST_METHOD=GET \
	    SCRIPT_NAME=/cgi-bin/status \
	    "HTTP_X_PAIRSTORE_USER=alice${cr}${nl}X-Injected: 1")
	is "$code" 401 "CGI status, user header with CRLF: 401"
	no_injection "$W/cgi.hdr"
	ok $? "CGI user header with CRLF: no injected header"
	code=$(cgi "$STATUS" "$W/none" REQUEST_METHOD=GET \
	    "SCRIPT_NAME=/cgi-bin/status" HTTP_X_PAIRSTORE_USER=mallory \
	    "PATH_INFO=/${cr}${nl}X-Injected: 1")
	is "$code" 404 "CGI status, PATH_INFO with CRLF: 404"
	no_injection "$W/cgi.hdr"
	ok $? "CGI PATH_INFO with CRLF: no injected header"
	printf 'phone=%s' "$PHONE" >"$W/phone"
	code=$(cgi "$PAIR" "$W/phone" REQUEST_METHOD=POST \
	    "SCRIPT_NAME=/cgi-bin${cr}${nl}X-Injected: 1/pair" \
	    HTTP_X_PAIRSTORE_USER=crlf-user \
	    CONTENT_TYPE=application/x-www-form-urlencoded \
	    "CONTENT_LENGTH=$(wc -c <"$W/phone" | tr -d ' ')")
	is "$code" 202 "CGI pair with CRLF in SCRIPT_NAME: 202"
	no_injection "$W/cgi.hdr"
	ok $? "CGI pair: the Location built from SCRIPT_NAME injects nothing"
	code=$(cgi "$PAIR" "$W/phone" REQUEST_METHOD=POST \
	    "SCRIPT_NAME=/cgi-bin${cr}${nl}X-Injected: 1/pair" \
	    HTTP_X_PAIRSTORE_USER=crlf-user2 HTTP_ACCEPT=text/html \
	    CONTENT_TYPE=application/x-www-form-urlencoded \
	    "CONTENT_LENGTH=$(wc -c <"$W/phone" | tr -d ' ')")
	no_injection "$W/cgi.hdr"
	ok $? "CGI pair as a form post ($code): no injected header"
	code=$(cgi "$UPLOAD" "$W/none" REQUEST_METHOD=GET \
	    'SCRIPT_NAME=/cgi-bin/upload"><script>alert(1)</script>' \
	    'QUERY_STRING=user=%22%3E%3Cscript%3Ealert(2)%3C/script%3E')
	is "$code" 200 "CGI upload form with markup in SCRIPT_NAME and user"
	! grep -qi '<script>alert' "$W/cgi.out"
	ok $? "CGI upload form: both escaped"
	code=$(cgi "$STATUS" "$W/none" REQUEST_METHOD=GET \
	    'SCRIPT_NAME=/x"><script>alert(1)</script>/status' \
	    HTTP_X_PAIRSTORE_USER=mallory HTTP_ACCEPT=text/html \
	    'QUERY_STRING=job=%3Cscript%3Ealert(2)%3C/script%3E')
	is_4xx "$code" "CGI status page with markup in SCRIPT_NAME and job"
	! grep -qi '<script>alert' "$W/cgi.out"
	ok $? "CGI status page: escaped"
	big=$(head -c 65536 /dev/zero | tr '\0' a)
	code=$(cgi "$STATUS" "$W/none" REQUEST_METHOD=GET \
	    SCRIPT_NAME=/cgi-bin/status HTTP_X_PAIRSTORE_USER=mallory \
	    "QUERY_STRING=job=$big")
	is "$code" 400 "CGI status, a 64 KiB QUERY_STRING: 400"
	code=$(cgi "$STATUS" "$W/none" REQUEST_METHOD=GET \
	    SCRIPT_NAME=/cgi-bin/status "HTTP_X_PAIRSTORE_USER=$big")
	is "$code" 401 "CGI status, a 64 KiB user header: 401"
	code=$(cgi "$PAIR" "$W/none" REQUEST_METHOD=POST \
	    SCRIPT_NAME=/cgi-bin/pair HTTP_X_PAIRSTORE_USER=mallory \
	    CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=0 \
	    "HTTP_COOKIE=$big$(head -c 30000 /dev/zero | tr '\0' a)" \
	    "HTTP_ACCEPT=$big")
	is_4xx "$code" "CGI pair, 94 KiB Cookie and 64 KiB Accept"
	sanitizer_clean "$W/cgi.err"
	ok $? "no sanitizer report from the CGI runs"
}

# ------------------------------------------------------------ httpoxy

phase_httpoxy() {
	U='X-Pairstore-User: oxy'
	lport=$(cat "$W/listen.port")
	cp "$media_samples/sample.png" "$W/sample.png"
	up -H "$U" -H "Proxy: http://127.0.0.1:$lport" \
	    -F kind=view-once -F "file=@$W/sample.png"
	is "$code" 201 "upload with a Proxy header (FastCGI): 201"
	is "$(json backend)" cloudinary "it went to Cloudinary"
	is "$(cat "$W/listen.count")" 0 "the proxy port saw no connection"

	req POST /cgi/upload -H "$U" -H "Proxy: http://127.0.0.1:$lport" \
	    -F kind=view-once -F "file=@$W/sample.png"
	is "$code" 201 "upload with a Proxy header (mod_cgi): 201"
	is "$(json backend)" cloudinary "it went to Cloudinary"
	is "$(cat "$W/listen.count")" 0 "the proxy port saw no connection"

	# As plain CGI with every proxy variable libcurl knows set.
	b=XyZzy-oxy
	{
		printf -- '--%s\r\nContent-Disposition: form-data; name="kind"\r\n\r\nview-once\r\n' "$b"
		printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="s.png"\r\n\r\n' "$b"
		cat "$W/sample.png"
		printf '\r\n--%s--\r\n' "$b"
	} >"$W/oxy.form"
	px=http://127.0.0.1:$lport
	code=$(cgi "$UPLOAD" "$W/oxy.form" REQUEST_METHOD=POST \
	    SCRIPT_NAME=/cgi-bin/upload HTTP_X_PAIRSTORE_USER=oxy \
	    "CONTENT_TYPE=multipart/form-data; boundary=$b" \
	    "CONTENT_LENGTH=$(wc -c <"$W/oxy.form" | tr -d ' ')" \
	    "HTTP_PROXY=$px" "http_proxy=$px" "HTTPS_PROXY=$px" \
	    "https_proxy=$px" "ALL_PROXY=$px" "all_proxy=$px" NO_PROXY= no_proxy=)
	is "$code" 201 "CGI upload with HTTP_PROXY, http_proxy, ALL_PROXY...: 201"
	next_answer
	sed '1,/^\r\{0,1\}$/d' "$W/cgi.out" >"$RB"
	is "$(json backend)" cloudinary "it went to Cloudinary"
	is "$(cat "$W/listen.count")" 0 "the proxy port saw no connection"
	sanitizer_clean "$W/cgi.err"
	ok $? "no sanitizer report from the CGI run"
}

# ------------------------------------------------------------ secrets

secrets_absent() {	# secrets_absent DESCRIPTION FILE...
	d=$1
	shift
	leaks=$(grep -rlF -f "$SECRET_LIST" "$@" 2>/dev/null |
	    sed "s|^$T/||" | tr '\n' ' ')
	is "$leaks" "" "$d: no secret value in the error log or any answer"
}

phase_secrets_ok() {
	jt=$(MKJWT_SECRET=$JWT_S "$MKJWT" --alg HS256 --sub sam --exp-in 300)
	req POST /cgi-bin/pair -H "$(bearer "$jt")" -d "phone=$PHONE"
	is "$code" 202 "password-protected Redis: submit 202"
	"$PAIRSTORE" worker --drain >>"$W/worker.log" 2>&1
	req GET '/cgi-bin/status?job=pair%3Asam' -H "$(bearer "$jt")"
	is "$(json state)" failed "the http provider's job failed (nothing listens)"
	grep -q '"error": *"[^"]' "$RB"
	ok $? "with an error for its owner"
	req GET /cgi-bin/status/health
	is "$code" 200 "health: 200"
	req GET /cgi-bin/status/metrics
	is "$code" 200 "metrics: 200"
	req POST /cgi-bin/pair -H 'Authorization: Bearer x.y.z' \
	    -d "phone=$PHONE"
	is "$code" 401 "a bad token: 401"
	cp "$media_samples/sample.png" "$W/sample.png"
	up -H "$(bearer "$jt")" -F kind=view-once -F "file=@$W/sample.png"
	is "$code" 201 "CLOUDINARY_URL: upload 201"
	is "$(json backend)" cloudinary "to Cloudinary"
	curl -s -o /dev/null --max-time 10 -X POST \
	    -d '{"mode":"500","count":-1,"match":"/v1_1/"}' \
	    "http://127.0.0.1:$(cat "$W/cld.port")/__fake/faults"
	up -H "$(bearer "$jt")" -F kind=view-once -F "file=@$W/sample.png"
	is "$code" 201 "Cloudinary 500, Supabase unreachable: upload 201"
	is "$(json backend)" local "on the local disk"
	curl -s -o /dev/null --max-time 10 -X POST \
	    -d '{"mode":"ok","count":1,"match":""}' \
	    "http://127.0.0.1:$(cat "$W/cld.port")/__fake/faults"
	"$PAIRSTORE" check >"$W/check.out" 2>&1
	secrets_absent "working run" "$PS_TEST_LIGHTTPD_ERRORLOG" \
	    "$W/cgi.answers" "$R" "$W/worker.log" "$W/check.out"
}

phase_secrets_wrong_redis() {
	jt=$(MKJWT_SECRET=$JWT_S "$MKJWT" --alg HS256 --sub sam --exp-in 300)
	req POST /cgi-bin/pair -H "$(bearer "$jt")" -d "phone=$PHONE"
	is "$code" 503 "wrong Redis password: 503"
	is "$(json title)" "Redis not available" "titled Redis not available"
	req GET /cgi-bin/status/health
	is "$code" 503 "health: 503"
	up -H "$(bearer "$jt")" -F kind=view-once -F "file=@$W/sample.png"
	case "$code" in
	201 | 503) ok 0 "upload with Redis refusing us: $code" ;;
	*) ok 1 "upload with Redis refusing us: got $code" ;;
	esac
	"$PAIRSTORE" check >"$W/check.out" 2>&1
	secrets_absent "wrong Redis password" "$PS_TEST_LIGHTTPD_ERRORLOG" \
	    "$W/cgi.answers" "$R" "$W/check.out"
}

phase_secrets_broken() {
	req POST /cgi-bin/pair -H 'Authorization: Bearer x.y.z' \
	    -d "phone=$PHONE"
	is "$code" 500 "broken configuration: pair 500"
	req GET /cgi-bin/status
	is "$code" 500 "broken configuration: status 500"
	up -F kind=view-once -F "file=@$W/sample.png"
	is "$code" 500 "broken configuration: upload 500"
	grep -q 'configuration error' "$PS_TEST_LIGHTTPD_ERRORLOG"
	ok $? "the error log says why"
	"$PAIRSTORE" check >"$W/check.out" 2>&1
	secrets_absent "broken configuration" "$PS_TEST_LIGHTTPD_ERRORLOG" \
	    "$W/cgi.answers" "$R" "$W/check.out"
}

# ------------------------------------------------------------ main

# PS_TEST_SECURITY_PHASES="uploads limits" runs only those (debugging).
want() {
	case " ${PS_TEST_SECURITY_PHASES:-all} " in
	*" all "* | *" $1 "*) return 0 ;;
	esac
	return 1
}
lighttpd_run() {	# lighttpd_run PHASE [harness options]
	ph=$1
	shift
	want "$ph" || return 0
	set -- --fcgi "/cgi-bin/pair=$PAIR" --fcgi "/cgi-bin/status=$STATUS" \
	    --fcgi "/cgi-bin/upload=$UPLOAD" "$@"
	"$top/tests/with-lighttpd.sh" --docroot "$WWW" --procs 1 "$@" -- \
	    "$SHELL" "$0" inner "$ph" >>"$W/tap" 2>>"$W/inner.err"
}

if [ "${1:-}" = inner ]; then
	tap_n=$(cat "$W/count" 2>/dev/null || echo 0)
	R=$W/answers/$2
	rn=0
	mkdir -p "$R" || exit 99
	trap '' PIPE
	cgi_set=$(cgi_settings)
	probe_start || { echo "Bail out! no security_probe.py"; exit 99; }
	t0=$(date +%s%N)
	"phase_$2"
	diag "phase $2: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	probe_stop
	sanitizer_clean "$PS_TEST_LIGHTTPD_ERRORLOG"
	ok $? "$2: no sanitizer report in the error log"
	! grep -qi -e 'child signal' -e 'child exited' -e 'child died' \
	    "$PS_TEST_LIGHTTPD_ERRORLOG"
	ok $? "$2: no program died"
	echo "$tap_n" >"$W/count"
	exit 0
fi

pids=""
stop_all() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	pids=""
	if [ -n "${RPW_SET:-}" ]; then
		REDISCLI_AUTH=$RPW redis-cli -s "$PS_TEST_REDIS_SOCK" \
		    CONFIG SET requirepass '' >/dev/null 2>&1
	fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM HUP

wait_file() {	# wait_file FILE: up to 15 s for it to be non-empty
	i=0
	while [ ! -s "$1" ] && [ $i -lt 150 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -s "$1" ]
}

# The interpreter itself, not a wrapper that takes a second to start.
PYTHON3=$("$PYTHON3" -c 'import sys; print(sys.executable)') ||
    { echo "Bail out! no python3"; exit 99; }
export PYTHON3
command -v redis-cli >/dev/null 2>&1 ||
    { echo "Bail out! redis-cli not found"; exit 99; }
mkdir -p "$W" "$MEDIA" "$SPOOL" || exit 99
: >"$W/tap"
: >"$W/cgi.answers"
printf '%s\n' "$JWT_S" "$CLD_SECRET" "$SB_KEY" "$RPW" "$RPW_WRONG" "$RPW_WRONG2" \
    "$PROV_TOKEN" "$PROV_URLPW" "$PROV_URLTOKEN" "$BAD_JWT" "$BAD_CLD" \
    "$BAD_RURL" >"$SECRET_LIST"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$W/other-rsa.pem" 2>/dev/null ||
    { echo "Bail out! openssl genpkey failed"; exit 99; }

# SPOOL_DIR is not among the variables the harness hands on: a .env
# file carries it, on the media directory's filesystem.
printf 'SPOOL_DIR=%s\n' "$SPOOL" >"$W/upload.env"
export PAIRSTORE_ENV_FILE="$W/upload.env"
export LOG_LEVEL=info WORKER_SPAWN=false
export LOCAL_STORAGE_DIR="$MEDIA" LOCAL_STORAGE_URL=/media

export AUTH_MODE=jwt JWT_SECRET=$JWT_S
lighttpd_run auth_hs
lighttpd_run cross
unset JWT_SECRET
JWT_PUBLIC_KEY_FILE=$keys/test-rsa-public.pem lighttpd_run auth_rs
export AUTH_MODE=demo
lighttpd_run uploads
UPLOAD_MAX_BYTES=20000 lighttpd_run limits
lighttpd_run requests

# httpoxy: the Cloudinary fake and a listener on the would-be proxy.
mkdir -p "$W/cld"
FAKE_CLOUDINARY_API_SECRET=$CLD_SECRET "$PYTHON3" \
    "$top/tests/fakes/cloudinary_fake.py" --port 0 \
    --port-file "$W/cld.port" --storage-dir "$W/cld" --log "$W/cld.log" \
    --cloud-name "$CLD_CLOUD" --api-key "$CLD_KEY" &
pids="$pids $!"
"$PYTHON3" "$PROBE" listen "$W/listen.port" "$W/listen.count" 120 &
pids="$pids $!"
if ! wait_file "$W/cld.port" || ! wait_file "$W/listen.port"; then
	echo "Bail out! the Cloudinary fake or the listener did not start"
	exit 99
fi
cld_url=http://127.0.0.1:$(cat "$W/cld.port")
want httpoxy && (
	unset LOCAL_STORAGE_DIR LOCAL_STORAGE_URL
	export CLOUDINARY_CLOUD_NAME=$CLD_CLOUD CLOUDINARY_API_KEY=$CLD_KEY
	export CLOUDINARY_API_SECRET=$CLD_SECRET
	export CLOUDINARY_API_URL="$cld_url"
	"$top/tests/with-lighttpd.sh" --docroot "$WWW" --procs 1 \
	    --fcgi "/cgi-bin/upload=$UPLOAD" --cgi "/cgi/upload=$UPLOAD" -- \
	    "$SHELL" "$0" inner httpoxy >>"$W/tap" 2>>"$W/inner.err"
)

# Secrets: a password on Redis, every secret setting in use.
redis-cli -s "$PS_TEST_REDIS_SOCK" \
    CONFIG SET requirepass "$RPW" >/dev/null && RPW_SET=1
dead_port=$(cat "$W/listen.port")	# accepts and closes at once
(
	export AUTH_MODE=jwt JWT_SECRET=$JWT_S QUEUE_ATTEMPTS=1
	export REDIS_URL="redis://:$RPW@127.0.0.1:$PS_TEST_REDIS_PORT/0"
	export CLOUDINARY_URL="cloudinary://$CLD_KEY:$CLD_SECRET@$CLD_CLOUD"
	export CLOUDINARY_API_URL="$cld_url"
	export SUPABASE_URL="http://127.0.0.1:$dead_port"
	# The Supabase key from a .env (the harness records those too).
	printf 'SPOOL_DIR=%s\nSUPABASE_SERVICE_ROLE_KEY="%s"\n' "$SPOOL" \
	    "$SB_KEY" >"$W/secrets.env"
	export PAIRSTORE_ENV_FILE="$W/secrets.env"
	export PAIRING_PROVIDER=http PAIRING_HTTP_TOKEN=$PROV_TOKEN
	export PAIRING_HTTP_URL="http://sam:$PROV_URLPW@127.0.0.1:$dead_port/pair?token=$PROV_URLTOKEN"
	export PAIRING_TIMEOUT_MS=2000
	lighttpd_run secrets_ok
	REDIS_URL="redis://:$RPW_WRONG@127.0.0.1:$PS_TEST_REDIS_PORT/0" \
	    lighttpd_run secrets_wrong_redis
	(
		unset REDIS_URL
		export REDIS_HOST=127.0.0.1 REDIS_PORT="$PS_TEST_REDIS_PORT"
		export REDIS_PASSWORD=$RPW_WRONG2
		lighttpd_run secrets_wrong_redis
	)
	JWT_SECRET=$BAD_JWT \
	    CLOUDINARY_URL="cloudinary://$CLD_KEY:$BAD_CLD@" \
	    REDIS_URL="redis://:$BAD_RURL@127.0.0.1:notaport/0" \
	    lighttpd_run secrets_broken
)
stop_all
RPW_SET=

cat "$W/tap"
tap_n=$(cat "$W/count" 2>/dev/null || echo 0)
tap_fail=$(grep -c '^not ok' "$W/tap" | tr -d ' ')
if [ -n "${PS_TEST_ARTIFACTS:-}" ] && want all; then
	f=$PS_TEST_ARTIFACTS/secrets/values
	n=0
	while read -r v; do
		grep -qF -- "$v" "$f" 2>/dev/null && n=$((n + 1))
	done <"$SECRET_LIST"
	want=$(wc -l <"$SECRET_LIST" | tr -d ' ')
	tap_n=$((tap_n + 1))
	if [ $n -eq "$want" ]; then
		echo "ok $tap_n - the harness recorded all $want secret values for test_secrets.sh"
	else
		echo "not ok $tap_n - the harness recorded $n of $want secret values"
		tap_fail=$((tap_fail + 1))
	fi
fi
if grep -q . "$W/inner.err"; then
	diag "stderr of the phases:"
	sed 's/^/# /' "$W/inner.err" | head -20
fi
done_testing
