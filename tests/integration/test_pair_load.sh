#!/bin/sh
# test_pair_load.sh - concurrency: many users hammer pair and status
# through lighttpd while two workers run; DESIGN.md's invariants 1-4 are
# checked afterwards (tests/integration/pair_load.py).
set -u
: "${PAIR:?}" "${STATUS:?}" "${PAIRSTORE:?}"
top=${srcdir:-.}
T=$PS_TEST_TMPDIR

# An exec provider that takes a little time, so that requests meet jobs
# in every state; the worker runs two processes.
cat >"$T/provider.sh" <<'SH'
#!/bin/sh
sleep 0.0$(( $$ % 9 + 1 ))
echo "LOAD-$$"
SH
chmod 755 "$T/provider.sh"
export AUTH_MODE=demo WORKER_SPAWN=false LOG_LEVEL=info
export PAIRING_PROVIDER=exec PAIRING_EXEC=$T/provider.sh
export WORKER_LOG=$T/worker.log

"$PAIRSTORE" worker --concurrency 2 >"$WORKER_LOG" 2>&1 &
worker=$!
"$top/tests/with-lighttpd.sh" --procs 4 --fcgi "/cgi-bin/pair=$PAIR" \
    --fcgi "/cgi-bin/status=$STATUS" -- \
    "${PYTHON3:-python3}" "$top/tests/integration/pair_load.py"
status=$?
kill -TERM "$worker" 2>/dev/null
i=0
while kill -0 "$worker" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -KILL "$worker" 2>/dev/null
exit $status
