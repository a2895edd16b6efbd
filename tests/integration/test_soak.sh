#!/bin/sh
# test_soak.sh - issue 7: "a FastCGI process serving 10,000 requests does
# not grow", and the programs run under valgrind through the end-to-end
# flow with no errors and no leaks.
#
# A real lighttpd (tests/with-lighttpd.sh, max-procs 1: ONE process per
# program) spawns pair, status and upload; a real redis-server
# (tests/with-redis.sh) and a real worker (pairstore worker, an exec
# provider that takes 0.1 s, so users meet their own jobs in flight and
# get 429).  tests/integration/soak_client.py sends SOAK_REQUESTS
# (10,000) requests of every kind: pair submits for 40 users, status
# (own job, own lock, someone else's job, health, metrics, unknown
# paths), small uploads to the local backend, and bad requests (400,
# 401, 405, 413, 415); every answer must have the expected status, and
# the same three processes must serve them all.
#
# Memory, plain (or ASan) build: the VmRSS of each program's process
# after the first 1,000 requests and after all 10,000 differs by less
# than SOAK_RSS_BOUND_KB (256).  Each process serves 2,000 to 5,000 of
# the last 9,000 requests, so a leak of 64 bytes a request or more
# breaks the bound, while the allocator's own noise (a page here and
# there, glibc trimming the heap top) stays far under it.  Under ASan
# its quarantines are switched off (ASAN_OPTIONS quarantine_size_mb=0,
# thread_local_quarantine_size_kb=0), else freed memory would be held
# back on purpose and RSS grow by a megabyte or two.
#
# Under FCGI_WRAPPER (make check-valgrind sets it to valgrind with
# --leak-check=full --errors-for-leak-kinds=definite,indirect,possible),
# the programs run under it through a wrapper script (exec: the wrapper
# is the process lighttpd started) writing to its own log file; RSS then
# measures valgrind, so instead lighttpd is stopped (SIGTERM: it sends
# its backends SIGTERM), the programs exit through their own stop path,
# and each log must say "ERROR SUMMARY: 0 errors" and definitely,
# indirectly and possibly lost 0 bytes (or "All heap blocks were freed"),
# and not that the process died of a signal.  In every build, no
# sanitizer or valgrind report may appear in the error log.
#
# Needs PAIR, STATUS, UPLOAD, PAIRSTORE (set by make check); PYTHON3.
# SOAK_REQUESTS, SOAK_WARMUP, SOAK_CLIENTS, SOAK_RSS_BOUND_KB change the
# numbers (for a quick look by hand).
. "${srcdir:-.}/tests/lib.sh"
set -u

: "${PAIR:?}" "${STATUS:?}" "${UPLOAD:?}" "${PAIRSTORE:?}"
T=$PS_TEST_TMPDIR
top=${srcdir:-.}
W=${FCGI_WRAPPER:-}
PYTHON3=${PYTHON3:-python3}
BOUND_KB=${SOAK_RSS_BOUND_KB:-256}

# ------------------------------------------------------------ inner
# Runs under tests/with-lighttpd.sh: the requests, then the stop.

# The FastCGI processes: "PID PROGRAM" of lighttpd's children.
fcgi_procs() {
	for p in $(pgrep -P "$PS_TEST_LIGHTTPD_PID" 2>/dev/null); do
		for prog in pair status upload; do
			tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null |
			    grep -q "/$prog\$" && echo "$p $prog"
		done
	done
}

gone() {	# gone PID...: none of them runs any more
	for p in "$@"; do
		[ -d "/proc/$p" ] && ! grep -q '^State:.*Z' \
		    "/proc/$p/status" 2>/dev/null && return 1
	done
	return 0
}

nothing_lost() {	# nothing_lost VALGRIND_LOG
	grep -q 'All heap blocks were freed' "$1" || {
		grep -q 'definitely lost: 0 bytes' "$1" &&
		grep -q 'indirectly lost: 0 bytes' "$1" &&
		grep -q 'possibly lost: 0 bytes' "$1"
	}
}

inner() {
	tap_n=0
	procs=$(fcgi_procs)
	pids=$(echo "$procs" | cut -d' ' -f1)
	start=$(date +%s)
	"$PYTHON3" "$top/tests/integration/soak_client.py" "$tap_n" \
	    "$T/count" "$T/rss"
	if ! read -r tap_n tap_fail <"$T/count"; then
		# The client failed: go on numbering after what it printed
		# (our stdout is $T/tap).
		tap_n=$(grep -cE '^(not )?ok ' "$T/tap")
		tap_fail=$(grep -c '^not ok ' "$T/tap")
		ok 1 "soak_client.py finished"
		: >"$T/rss"
	fi
	diag "requests done after $(( $(date +%s) - start )) s"

	while read -r prog warm end; do
		if [ -z "$W" ]; then
			d="$prog: VmRSS $warm kB after the warm-up, $end kB"
			d="$d after all ($((end - warm)) kB more, bound"
			[ "$warm" -gt 0 ] && [ "$end" -gt 0 ] &&
			    [ $((end - warm)) -lt "$BOUND_KB" ]
			ok $? "$d $BOUND_KB kB)"
		else
			diag "$prog: VmRSS under the wrapper $warm kB, then" \
			    "$end kB (valgrind's own; not judged)"
		fi
	done <"$T/rss"

	# Stop lighttpd as an init script would; it sends its backends
	# SIGTERM and they leave through their stop path.
	kill -TERM "$PS_TEST_LIGHTTPD_PID"
	limit=100
	[ -n "$W" ] && limit=1200
	i=0
	# shellcheck disable=SC2086
	while ! gone $pids && [ $i -lt $limit ]; do
		sleep 0.1
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	gone $pids
	ok $? "the programs exited after SIGTERM ($((i / 10)) s)"
	diag "stopped after $(( $(date +%s) - start )) s"

	if [ -n "$W" ]; then
		while read -r p prog; do
			log=$T/valgrind-$prog.$p.log
			[ -s "$log" ] &&
			    grep -q 'ERROR SUMMARY: 0 errors' "$log" &&
			    ! grep -q 'Process terminating' "$log" &&
			    nothing_lost "$log"
			ok $? "$prog: valgrind: no error, no leak, no signal"
			grep -E 'ERROR SUMMARY|lost:|reachable:|freed' \
			    "$log" 2>/dev/null | sed "s/^/# $prog: /"
			grep -q 'ERROR SUMMARY: 0 errors' "$log" 2>/dev/null ||
			    sed -n '1,60s/^/# /p' "$log" 2>/dev/null
		done <<EOF
$procs
EOF
	fi
	! grep -E 'Sanitizer|runtime error|^==[0-9]+== ' \
	    "$PS_TEST_LIGHTTPD_ERRORLOG" >"$T/reports"
	ok $? "no sanitizer or valgrind report in the error log"
	sed 's/^/# /' "$T/reports" | head -40
	! grep -E ' ERROR (pair|status|upload)\[' \
	    "$PS_TEST_LIGHTTPD_ERRORLOG" >"$T/errors"
	ok $? "no ERROR line from the programs"
	sed 's/^/# /' "$T/errors" | head -10
	echo "$tap_n $tap_fail" >"$T/count"
}

if [ "${1:-}" = inner ]; then
	inner
	exit 0
fi

# ------------------------------------------------------------ outer

# The interpreter itself, not a wrapper that takes a second to start.
PYTHON3=$("$PYTHON3" -c 'import sys; print(sys.executable)') ||
    { echo "Bail out! no python3"; exit 99; }
export PYTHON3

WWW=$T/www
mkdir -p "$WWW/media" "$T/spool"
cat >"$T/soak.env" <<EOF
SPOOL_DIR=$T/spool
EOF
export PAIRSTORE_ENV_FILE="$T/soak.env"
export AUTH_MODE=demo LOG_LEVEL=warn WORKER_SPAWN=false
export LOCAL_STORAGE_DIR="$WWW/media" LOCAL_STORAGE_URL=/media
export UPLOAD_MAX_BYTES=65536 MEDIA_INDEX_MAX=100
# ASan holds freed memory back in its quarantines on purpose (1 MiB per
# thread alone): off, so what RSS shows is what the program keeps.
asan=quarantine_size_mb=0:thread_local_quarantine_size_kb=0
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$asan"
cat >"$T/provider.sh" <<'SH'
#!/bin/sh
sleep 0.1
echo "SOAK-$$"
SH
chmod 755 "$T/provider.sh"

# The programs lighttpd starts: themselves, or a wrapper that becomes
# FCGI_WRAPPER running them (valgrind: a log file per process).
for prog in pair status upload; do
	case $prog in
	pair) bin=$PAIR ;;
	status) bin=$STATUS ;;
	*) bin=$UPLOAD ;;
	esac
	if [ -z "$W" ]; then
		eval "run_$prog=\$bin"
		continue
	fi
	extra=
	# valgrind: --quiet then --verbose is its normal verbosity, so the
	# log ends with the heap and error summaries the test reads.
	case "$W" in
	*valgrind*) extra="--verbose --log-file=$T/valgrind-$prog.%p.log" ;;
	esac
	printf '#!/bin/sh\nexec %s %s %s "$@"\n' "$W" "$extra" "$bin" \
	    >"$T/run-$prog"
	chmod 755 "$T/run-$prog"
	eval "run_$prog=\$T/run-$prog"
done

PAIRING_PROVIDER=exec PAIRING_EXEC=$T/provider.sh \
    "$PAIRSTORE" worker --concurrency 2 >"$T/worker.log" 2>&1 &
worker=$!
stop_worker() {
	[ -n "$worker" ] || return 0
	kill -TERM "$worker" 2>/dev/null
	i=0
	while kill -0 "$worker" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$worker" 2>/dev/null
	wait "$worker" 2>/dev/null
	worker=
}
trap stop_worker EXIT
trap 'exit 130' INT TERM HUP

begin=$(date +%s)
# shellcheck disable=SC2154
"$top/tests/with-lighttpd.sh" --procs 1 --docroot "$WWW" \
    --fcgi "/cgi-bin/pair=$run_pair" --fcgi "/cgi-bin/status=$run_status" \
    --fcgi "/cgi-bin/upload=$run_upload" -- \
    "$SHELL" "$0" inner >"$T/tap" 2>"$T/inner.err"
st=$?
stop_worker
cat "$T/tap"
read -r tap_n tap_fail <"$T/count" 2>/dev/null || { tap_n=0; tap_fail=0; }
[ $st -eq 0 ]
ok $? "the run under lighttpd finished (exit status $st)"
diag "the whole soak took $(( $(date +%s) - begin )) s"
if grep -q . "$T/inner.err"; then
	diag "stderr of the run:"
	sed 's/^/# /' "$T/inner.err" | head -20
fi
done_testing
