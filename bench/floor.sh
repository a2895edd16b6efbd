#!/bin/sh
# floor.sh - the throughput floor: lighttpd and tests/tools/fcgi_noop,
# which answers {"ok":true} without reading anything or touching Redis.
# No pairstore program can be faster than this on the same machine, so
# the other scenarios are read against it.
#
#   FCGI_NOOP=BUILDDIR/tests/tools/fcgi_noop bench/floor.sh
#
# (make bench sets FCGI_NOOP.)  BENCH_SECONDS, BENCH_CONNECTIONS and
# the rest: see bench/lib.sh.
. "$(dirname "$0")/lib.sh"

bench_need FCGI_NOOP tests/tools/fcgi_noop
bench_inside_lighttpd --fcgi /noop="$FCGI_NOOP"

BENCH_CPU="lighttpd:$PS_TEST_LIGHTTPD_PID:self"
BENCH_CPU="$BENCH_CPU fcgi_noop:$PS_TEST_LIGHTTPD_PID:children"
status=0
run_scenario floor "$PS_TEST_BASE_URL/noop" || status=1
exit $status
