#!/bin/sh
# run.sh [SCENARIO...] - run benchmark scenarios one after the other
# (default: all of SCENARIOS below) and print one table.  A scenario is
# the script bench/SCENARIO.sh; see bench/README.md to add one.
# Exits 1 when a run failed or saw errors.
SCENARIOS="floor pair upload"

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

[ $# -gt 0 ] || set -- $SCENARIOS
bench_header
status=0
for s in "$@"; do
	[ -f "$here/$s.sh" ] || bench_die "no scenario $s ($here/$s.sh)"
	/bin/sh "$here/$s.sh" || status=1
	# The scenarios after the floor say what share of it they reach.
	if [ "$s" = floor ]; then
		BENCH_FLOOR_RPS=$(bench_field "$(tail -n 1 \
		    "$BENCH_RESULTS/floor.txt" 2>/dev/null)" rps)
		export BENCH_FLOOR_RPS
	fi
done
exit $status
