#!/bin/sh
# pair.sh - pair and status behind lighttpd, with a real redis-server and
# two worker processes running jobs, demo identity:
#   pair-1000-users   POST pair spread over 1000 users; the builtin
#                     provider answers at once, so nearly every request
#                     is an accepted job that the workers then run on the
#                     same CPUs: the whole system's worst case
#   pair-60-users     60 users hammering while their jobs are in flight:
#                     the provider takes 0.25 s (bench/slow-provider.sh),
#                     as a real session engine does, so most answers are
#                     429 (Retry-After)
#   pair-new-users    every request from a user never seen before, the
#                     same workers: every answer 202, the jobs wait in
#                     line (a burst the queue absorbs)
#   status-1000-users GET status (own lock + latest job) over 1000 users,
#                     no worker running
# After each run: Redis commands per request, from INFO commandstats.
#
#   PAIR=... STATUS=... PAIRSTORE=... FCGI_NOOP=... bench/pair.sh
# (make bench sets them.)
. "$(dirname "$0")/lib.sh"

bench_need PAIR cgi-bin/pair
bench_need STATUS cgi-bin/status
bench_need PAIRSTORE tools/pairstore

# 1. A private Redis (the wrapper stops it).
if [ -z "${PS_TEST_REDIS_SOCK:-}" ]; then
	PS_TEST_NEED_REDIS=1 exec /bin/sh "$BENCH_TOP/tests/with-redis.sh" \
	    /bin/sh "$0"
fi
# A burst of new users queues every job: room for all of them.
export AUTH_MODE=demo WORKER_SPAWN=false LOG_LEVEL=warn \
    QUEUE_MAX_WAITING=10000000

# 2. lighttpd with pair and status (the wrapper stops it).
if [ -z "${BENCH_INSIDE:-}" ]; then
	BENCH_INSIDE=$0 exec /bin/sh "$BENCH_TOP/tests/with-lighttpd.sh" \
	    --procs "$BENCH_PROCS" --fcgi "/cgi-bin/pair=$PAIR" \
	    --fcgi "/cgi-bin/status=$STATUS" -- /bin/sh "$0"
fi

# Two worker processes with the given provider settings, stopped (by
# PID) when the run is over or the script exits.
worker=
BENCH_CPU="redis:$(cat "$PS_TEST_REDIS_PIDFILE" 2>/dev/null || echo 0)"
BENCH_CPU="$BENCH_CPU lighttpd:$PS_TEST_LIGHTTPD_PID:self"
BENCH_CPU="$BENCH_CPU pair+status:$PS_TEST_LIGHTTPD_PID:children"
cpu_servers=$BENCH_CPU
workers_start() {	# workers_start [VAR=VALUE...]
	env "$@" "$PAIRSTORE" worker --concurrency 2 >/dev/null 2>&1 &
	worker=$!
	BENCH_CPU="$cpu_servers workers:$worker"
}
workers_stop() {
	[ -n "$worker" ] || return 0
	kill -TERM "$worker" 2>/dev/null
	wait "$worker" 2>/dev/null
	worker=
	BENCH_CPU=$cpu_servers
}
trap 'workers_stop' EXIT
trap 'exit 1' INT TERM

# 3. Inside lighttpd: the runs.
calls() {
	redis-cli -s "$PS_TEST_REDIS_SOCK" INFO commandstats |
	    awk -F'[=,]' '/^cmdstat_/ && !/cmdstat_info/ { s += $2 }
	    END { print s + 0 }'
}
per_request() {	# per_request NAME CALLS_BEFORE
	line=$(tail -n 1 "$BENCH_RESULTS/$1.txt" 2>/dev/null)
	reqs=$(bench_field "$line" requests)
	refused=$(bench_field "$line" expected)
	after=$(calls)
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] &&
	    awk -v c=$((after - $2)) -v r="$reqs" -v n="$1" \
	        -v x="${refused:-0}" 'BEGIN {
	        printf "#   %s: %.2f Redis commands per request " \
	            "(workers included), %.0f%% answered 429\n", n, c / r,
	            100 * x / r }'
}

status=0
workers_start PAIRING_PROVIDER=builtin
b=$(calls)
BENCH_USERS=1000 BENCH_EXPECT_STATUS=429 run_scenario pair-1000-users \
    "$PS_TEST_BASE_URL/cgi-bin/pair" -s "$BENCH_LUA/pair.lua" || status=1
per_request pair-1000-users "$b"
workers_stop
workers_start PAIRING_PROVIDER=exec \
    PAIRING_EXEC="$BENCH_TOP/bench/slow-provider.sh"
b=$(calls)
BENCH_USERS=60 BENCH_USER_PREFIX=hammer BENCH_EXPECT_STATUS=429 \
    run_scenario pair-60-users "$PS_TEST_BASE_URL/cgi-bin/pair" \
    -s "$BENCH_LUA/pair.lua" || status=1
per_request pair-60-users "$b"
b=$(calls)
BENCH_USERS=0 BENCH_USER_PREFIX=new run_scenario pair-new-users \
    "$PS_TEST_BASE_URL/cgi-bin/pair" -s "$BENCH_LUA/pair.lua" || status=1
per_request pair-new-users "$b"
# status reads; no worker runs (the burst above is still in line).
workers_stop
b=$(calls)
BENCH_USERS=1000 run_scenario status-1000-users \
    "$PS_TEST_BASE_URL/cgi-bin/status" -s "$BENCH_LUA/users.lua" || status=1
per_request status-1000-users "$b"
exit $status
