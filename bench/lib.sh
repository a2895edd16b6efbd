# lib.sh - what every benchmark scenario script shares (sourced).
#
#   bench_need VAR WHAT      fail clearly unless $VAR names an executable
#   bench_inside_lighttpd [with-lighttpd.sh options]
#                            re-run the calling script under
#                            tests/with-lighttpd.sh (once)
#   run_scenario NAME URL [WRK ARGS...]
#                            one bounded wrk run: a table row on stdout,
#                            one line appended to bench/results/NAME.txt
#                            and, with BENCH_CPU set, a line of CPU time
#                            per request by process
#
# BENCH_CPU="LABEL:PID[:self|:children] ..." names the processes whose
# CPU time (user + system, from /proc) run_scenario reports per request:
# PID and its live descendants, only PID (self), or only its descendants
# (children).  wrk's own share is left out.
#
# Settings (environment):
#   BENCH_SECONDS      duration of each run (default 10, at most 600)
#   BENCH_CONNECTIONS  open connections (default 32)
#   BENCH_THREADS      wrk threads (default: the number of CPUs, at most
#                      the connections)
#   BENCH_PROCS        FastCGI processes per program (default 2)
#   BENCH_RESULTS      where NAME.txt goes (default bench/results)
# Every target is on 127.0.0.1: the servers are the private ones the
# test wrappers start.
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_TOP=$(cd "$BENCH_DIR/.." && pwd)
BENCH_LUA=$BENCH_DIR/lua
BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32}
BENCH_PROCS=${BENCH_PROCS:-2}
export BENCH_LUA BENCH_SECONDS BENCH_CONNECTIONS BENCH_PROCS BENCH_RESULTS

bench_die() {
	echo "bench: $*" >&2
	exit 2
}

bench_check_int() {	# bench_check_int NAME VALUE MAX
	case "$2" in
	'' | *[!0-9]* | 0*) bench_die "$1 wants a whole number, not '$2'" ;;
	esac
	[ "$2" -le "$3" ] || bench_die "$1 is at most $3, not $2"
}

bench_check_int BENCH_SECONDS "$BENCH_SECONDS" 600
bench_check_int BENCH_CONNECTIONS "$BENCH_CONNECTIONS" 10000
bench_check_int BENCH_PROCS "$BENCH_PROCS" 64
BENCH_THREADS=${BENCH_THREADS:-$(nproc 2>/dev/null || echo 2)}
bench_check_int BENCH_THREADS "$BENCH_THREADS" 256
[ "$BENCH_THREADS" -le "$BENCH_CONNECTIONS" ] ||
    BENCH_THREADS=$BENCH_CONNECTIONS
export BENCH_THREADS

command -v wrk >/dev/null 2>&1 ||
    bench_die "wrk not found (apt-get install wrk)"

bench_need() {	# bench_need VAR WHAT
	eval "v=\${$1:-}"
	# shellcheck disable=SC2154
	if [ -z "$v" ]; then
		bench_die "$1 is not set: it names the built $2 (make bench" \
		    "sets it; by hand: $1=BUILDDIR/$2 $0)"
	fi
	[ -x "$v" ] || bench_die "$1=$v is not an executable file"
}

bench_inside_lighttpd() {	# bench_inside_lighttpd [OPTIONS]
	[ -n "${BENCH_INSIDE:-}" ] && return 0
	BENCH_INSIDE=$0
	export BENCH_INSIDE
	exec /bin/sh "$BENCH_TOP/tests/with-lighttpd.sh" --procs "$BENCH_PROCS" \
	    "$@" -- /bin/sh "$0"
}

# The table's head, once per run.sh (or per scenario script alone).
bench_header() {
	[ -n "${BENCH_HEADER_DONE:-}" ] && return 0
	BENCH_HEADER_DONE=1
	export BENCH_HEADER_DONE
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -n):" \
	    "$(nproc 2>/dev/null) CPUs, wrk -t$BENCH_THREADS" \
	    "-c$BENCH_CONNECTIONS -d${BENCH_SECONDS}s," \
	    "$BENCH_PROCS FastCGI processes"
	printf '%-24s %6s %5s %11s %9s %9s %8s\n' scenario conns secs \
	    'req/s' p50 p99 errors
}

# Microseconds as milliseconds with two decimals.
bench_ms() {
	awk -v us="$1" 'BEGIN { printf "%.2fms", us / 1000 }'
}

# The value of KEY in a "BENCH k=v ..." line.
bench_field() {	# bench_field LINE KEY
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# Clock ticks used so far, one number per BENCH_CPU entry.
bench_cpu_ticks() {
	[ -n "${BENCH_CPU:-}" ] || return 0
	# One line per process; one that ends meanwhile is skipped.
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v spec="$BENCH_CPU" '
	{
		pid = $1
		line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
		ppid[pid] = f[2]; ticks[pid] = f[12] + f[13]
	}
	function tree(p,   q, t) {
		t = ticks[p]
		for (q in ppid) if (ppid[q] == p) t += tree(q)
		return t
	}
	END {
		n = split(spec, e, " ")
		for (i = 1; i <= n; i++) {
			split(e[i], a, ":")
			t = tree(a[2])
			if (a[3] == "self") t = ticks[a[2]]
			else if (a[3] == "children") t -= ticks[a[2]]
			printf "%s%d", (i > 1 ? " " : ""), t
		}
		print ""
	}'
}

# "#   CPU per request: LABEL N us, ..." from two bench_cpu_ticks lines.
bench_cpu_report() {	# bench_cpu_report BEFORE AFTER REQUESTS
	[ -n "${BENCH_CPU:-}" ] && [ -n "$1" ] && [ "${3:-0}" -gt 0 ] ||
	    return 0
	awk -v spec="$BENCH_CPU" -v b="$1" -v a="$2" -v r="$3" \
	    -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" 'BEGIN {
		n = split(spec, e, " "); split(b, x, " "); split(a, y, " ")
		s = "#   CPU per request:"
		for (i = 1; i <= n; i++) {
			split(e[i], l, ":")
			s = s sprintf("%s %s %.0f us", (i > 1 ? "," : ""), l[1],
			    (y[i] - x[i]) * 1e6 / hz / r)
		}
		print s
	}'
}

run_scenario() {	# run_scenario NAME URL [WRK ARGS...]
	name=$1
	url=$2
	shift 2
	case "$name" in
	'' | *[!A-Za-z0-9._-]*) bench_die "scenario name '$name'" ;;
	esac
	case "$url" in
	http://127.0.0.1:* | http://localhost:* | http://\[::1\]:*) ;;
	*) bench_die "$name: only loopback targets, not $url" ;;
	esac
	# Without a script of the scenario's own, report.lua prints the
	# summary line; a scenario's script loads it itself.
	case " $* " in
	*" -s "* | *" --script "* | *" --script="*) ;;
	*) set -- -s "$BENCH_LUA/report.lua" "$@" ;;
	esac
	bench_header
	mkdir -p "$BENCH_RESULTS" || bench_die "mkdir $BENCH_RESULTS"
	raw=$BENCH_RESULTS/.$name.wrk
	# wrk stops by itself after BENCH_SECONDS; timeout is the bound
	# should it not.
	cpu_before=$(bench_cpu_ticks)
	timeout -k 5 $((BENCH_SECONDS + 30)) wrk -t "$BENCH_THREADS" \
	    -c "$BENCH_CONNECTIONS" -d "${BENCH_SECONDS}s" --timeout 5s \
	    --latency "$@" "$url" >"$raw" 2>&1
	st=$?
	cpu_after=$(bench_cpu_ticks)
	line=$(grep '^BENCH ' "$raw" | tail -n 1)
	if [ $st -ne 0 ] || [ -z "$line" ]; then
		printf '%-24s failed (wrk exit %s):\n' "$name" "$st"
		sed 's/^/#   /' "$raw"
		rm -f "$raw"
		return 1
	fi
	rm -f "$raw"
	errors=0
	for k in connect_errors read_errors write_errors timeouts non2xx; do
		errors=$((errors + $(bench_field "$line" $k)))
	done
	# Answers the scenario expects (BENCH_EXPECT_STATUS) are no errors.
	errors=$((errors - $(bench_field "$line" expected)))
	printf '%-24s %6s %5s %11s %9s %9s %8s\n' "$name" \
	    "$BENCH_CONNECTIONS" "$BENCH_SECONDS" \
	    "$(bench_field "$line" rps)" \
	    "$(bench_ms "$(bench_field "$line" p50_us)")" \
	    "$(bench_ms "$(bench_field "$line" p99_us)")" "$errors"
	commit=$(git -C "$BENCH_TOP" rev-parse --short HEAD 2>/dev/null ||
	    echo unknown)
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) scenario=$name" \
	    "commit=$commit host=$(uname -n) cpus=$(nproc 2>/dev/null)" \
	    "threads=$BENCH_THREADS connections=$BENCH_CONNECTIONS" \
	    "seconds=$BENCH_SECONDS procs=$BENCH_PROCS" \
	    "${line#BENCH }" >>"$BENCH_RESULTS/$name.txt"
	if [ -n "${BENCH_FLOOR_RPS:-}" ] && [ "$name" != floor ]; then
		awk -v r="$(bench_field "$line" rps)" -v f="$BENCH_FLOOR_RPS" \
		    'BEGIN { if (f > 0) printf "#   %.0f%% of the floor " \
		        "(%.1f req/s in this run)\n", 100 * r / f, f }'
	fi
	bench_cpu_report "$cpu_before" "$cpu_after" \
	    "$(bench_field "$line" requests)"
	[ "$errors" -eq 0 ]
}
