#!/bin/sh
# test_browser.sh - the browser page (web/) end to end in headless
# Chromium: a real lighttpd (tests/with-lighttpd.sh) serving a copy of
# web/ and spawning the built pair, status and upload programs, a real
# redis-server (tests/with-redis.sh), the real worker, and
# tests/browser/browser_test.js driving Debian's /usr/bin/chromium
# through playwright-core (never a downloaded browser).
#
#  demo    user name + phone, keyboard only: "Position N in line", a
#          second request gets the 429 message with seconds, "Working…",
#          the code grouped XXXX-XXXX with a countdown that moves and
#          ends in "expired"; a 3 MB PNG upload with a moving progress
#          bar to 100%, the URL, backend local, an image preview, and the
#          URL serving the same bytes; no console errors
#  no-JS   the same forms with JavaScript off: the pair form lands on
#          the HTML status page, which refreshes itself to the code; a
#          second post gets an HTML 429; the upload form answers the
#          HTML result page with the link
#  jwt     a second lighttpd with AUTH_MODE=jwt: the token arrives as a
#          #token= fragment and leaves the address bar, no user-name
#          field, a pairing works
#
# The pairing provider is an exec script that waits for a file the
# browser script creates, and the worker starts only when another such
# file appears: every state is seen on cue, not by timing.  Screenshots
# of each state go to ${PS_TEST_ARTIFACTS:-$top_builddir/tests/artifacts}
# /browser/.  Without node, playwright-core (tests/browser/node_modules
# or NODE_PATH) or Chromium the test is skipped, or fails when
# PS_REQUIRE_BROWSER=1.
#
# Needs PAIR, STATUS, UPLOAD, PAIRSTORE, MKJWT (set by make check).
. "${srcdir:-.}/tests/lib.sh"
set -u

: "${PAIR:?}" "${STATUS:?}" "${UPLOAD:?}" "${PAIRSTORE:?}" "${MKJWT:?}"
T=$PS_TEST_TMPDIR
top=${srcdir:-.}
NODE=${NODE:-node}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
script=$top/tests/browser/browser_test.js
WWW=$T/www
# Test-only secret for the jwt server; never printed.
jwt_secret=test-only-browser-jwt-secret-000000000001

lighttpd() {	# lighttpd COMMAND...: the page and the three programs
	"$top/tests/with-lighttpd.sh" --docroot "$WWW" \
	    --fcgi "/cgi-bin/pair=$PAIR" --fcgi "/cgi-bin/status=$STATUS" \
	    --fcgi "/cgi-bin/upload=$UPLOAD" --procs 1 -- "$@"
}

# ------------------------------------------------------------ inner

# Inside the demo lighttpd: start the jwt one around the browser run.
if [ "${1:-}" = demo ]; then
	BT_DEMO_URL=$PS_TEST_BASE_URL
	BT_DEMO_ERRORLOG=$PS_TEST_LIGHTTPD_ERRORLOG
	export BT_DEMO_URL BT_DEMO_ERRORLOG
	AUTH_MODE=jwt JWT_SECRET=$jwt_secret lighttpd "$SHELL" "$0" jwt
	exit $?
fi
# Inside both: the browser.
if [ "${1:-}" = jwt ]; then
	BT_JWT_URL=$PS_TEST_BASE_URL
	BT_JWT_USER=carol.jwt
	BT_JWT_TOKEN=$(MKJWT_SECRET=$jwt_secret "$MKJWT" --alg HS256 \
	    --sub "$BT_JWT_USER" --exp-in 300)
	export BT_JWT_URL BT_JWT_USER BT_JWT_TOKEN
	"$NODE" "$script"
	st=$?
	# The programs' stderr (sanitizer reports) before the logs go.
	if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' \
	    -e 'ERROR: LeakSanitizer' "$BT_DEMO_ERRORLOG" \
	    "$PS_TEST_LIGHTTPD_ERRORLOG"; then
		echo "not ok - no sanitizer report in the error logs"
	else
		echo "ok - no sanitizer report in the error logs"
	fi
	exit $st
fi

# ------------------------------------------------------------ outer

cant() {	# cant REASON: skip, or fail with PS_REQUIRE_BROWSER=1
	if [ "${PS_REQUIRE_BROWSER:-0}" = 1 ]; then
		echo "not ok 1 - browser test: $1"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}
command -v "$NODE" >/dev/null 2>&1 || cant "node not found"
[ -x "$CHROMIUM" ] ||
    cant "$CHROMIUM not found (apt-get install chromium)"
"$NODE" "$script" --probe 2>"$T/probe.err" ||
    cant "playwright-core not found (npm ci --prefix tests/browser, or NODE_PATH)"

art=${PS_TEST_ARTIFACTS:-${top_builddir:-.}/tests/artifacts}/browser
if ! mkdir -p "$art" || ! art=$(cd "$art" && pwd); then
	echo "Bail out! cannot create $art"
	exit 99
fi
rm -f "$art"/*.png

# web/ of the source tree is not written to (distcheck makes it
# read-only): a copy is the document root, the media directory in it.
mkdir -p "$WWW/media" "$T/spool" || exit 99
for f in index.html app.js style.css; do
	cp "$top/web/$f" "$WWW/$f" || { echo "Bail out! no web/$f"; exit 99; }
done

# The provider answers once the browser script creates $T/release.
cat >"$T/provider.sh" <<EOF
#!/bin/sh
PATH=/usr/bin:/bin
i=0
while [ ! -e '$T/release' ] && [ \$i -lt 200 ]; do
	sleep 0.05
	i=\$((i + 1))
done
head -c 4000 /dev/urandom | LC_ALL=C tr -dc '1-9A-HJ-NP-TV-Z' | head -c 8
echo
EOF
chmod +x "$T/provider.sh"

cat >"$T/pairstore.env" <<EOF
SPOOL_DIR=$T/spool
EOF
export PAIRSTORE_ENV_FILE="$T/pairstore.env"
export LOG_LEVEL=info AUTH_MODE=demo WORKER_SPAWN=false
export PAIRING_PROVIDER=exec PAIRING_EXEC="$T/provider.sh"
export PAIRING_TIMEOUT_MS=15000 QUEUE_ATTEMPTS=1
export LOCAL_STORAGE_DIR="$WWW/media" LOCAL_STORAGE_URL=/media
export UPLOAD_MAX_BYTES=$((16 * 1048576))
export BT_TMP="$T" BT_ARTIFACTS="$art" CHROMIUM
export BT_WORKER_GATE="$T/worker-go" BT_RELEASE="$T/release"
unset JWT_SECRET JWT_PUBLIC_KEY_FILE

# The worker starts when the browser script creates $T/worker-go (at
# most 30 s from now); the shell in front of it execs, so its PID is
# the worker's.
. "$top/tests/proc.sh"
sh -c 'i=0
while [ ! -e "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
exec "$2" worker' gate "$T/worker-go" "$PAIRSTORE" >"$T/worker.log" 2>&1 &
worker=$(proc_line $!)
stop_worker() {
	: >"$T/release"
	[ -n "$worker" ] && stop_list "$worker"
	worker=""
}
trap stop_worker EXIT
trap 'exit 130' INT TERM HUP

t0=$(date +%s)
lighttpd "$SHELL" "$0" demo >"$T/browser.out" 2>"$T/browser.err"
st=$?
stop_worker

while IFS= read -r line; do
	case "$line" in
	'ok - '*) ok 0 "${line#ok - }" ;;
	'not ok - '*) ok 1 "${line#not ok - }" ;;
	'#'*) echo "$line" ;;
	esac
done <"$T/browser.out"
ok $st "the browser run ended normally (exit $st)"
! grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' \
    -e 'ERROR: LeakSanitizer' "$T/worker.log"
ok $? "no sanitizer report from the worker"
diag "screenshots in $art; $(( $(date +%s) - t0 )) s in all"
if [ $st -ne 0 ] || [ "$(grep -c '^not ok' "$T/browser.out")" -gt 0 ]; then
	diag "stderr of the run:"
	sed 's/^/# /' "$T/browser.err" | tail -40
	diag "worker log:"
	sed 's/^/# /' "$T/worker.log" | tail -10
fi
done_testing
