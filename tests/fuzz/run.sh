#!/bin/sh
# tests/fuzz/run.sh - build the libFuzzer harnesses and run each one for a
# bounded time; TAP on stdout.  See tests/fuzz/README.md.
#
#   tests/fuzz/run.sh --smoke            every harness ~10 s (make fuzz-smoke)
#   FUZZ_SECONDS=600 tests/fuzz/run.sh   the deep campaign (make fuzz)
#   tests/fuzz/run.sh fuzz_jwt fuzz_sniff   only these harnesses
#   tests/fuzz/run.sh --replay           only replay regressions and seeds
#   tests/fuzz/run.sh --build-only       only build (warnings fail)
#
# Environment:
#   FUZZ_SECONDS     seconds per harness (default 10; --smoke forces 10)
#   FUZZ_SEED        libFuzzer's -seed.  --smoke uses a fixed one
#                    (default 20261130), so the gate in scripts/test
#                    starts the same way on every machine (libFuzzer's
#                    path still varies a little from run to run: a smoke
#                    run can reach an input another did not); deeper
#                    runs take a random seed unless this is set
#   FUZZ_RUNS        stop a harness after this many executions instead
#                    (FUZZ_SECONDS still caps the time)
#   FUZZ_CC          the compiler (default clang-14, else clang)
#   FUZZ_BUILD_DIR   build here and keep it (default: a temp dir, removed)
#   FUZZ_CORPUS_OUT  keep the grown corpora in FUZZ_CORPUS_OUT/<harness>
#   FUZZ_RSS_MB      -rss_limit_mb (default 2048)
#   FUZZ_CFLAGS      more compiler flags, e.g. -DTOLERATE_MASK_DELIMS=0 to
#                    check a known finding again (README.md, "Findings")
#
# The checked-in corpus is copied to a temp dir before a run, so it is
# never modified.  A crash or broken invariant is saved under
# tests/fuzz/crashes/<harness>/ and makes the script exit 1; it becomes a
# regression test once moved to tests/fuzz/regressions/<harness>/, which
# every run replays first (-runs=0).

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

seconds=${FUZZ_SECONDS:-10}
seed=${FUZZ_SEED:-}
mode=fuzz
harnesses=
for arg in "$@"; do
	case $arg in
	--smoke) seconds=10; seed=${FUZZ_SEED:-20261130} ;;
	--replay) mode=replay ;;
	--build-only) mode=build ;;
	-h|--help)
		sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'
		exit 0 ;;
	fuzz_*) harnesses="$harnesses $arg" ;;
	*) echo "run.sh: unknown argument $arg" >&2; exit 2 ;;
	esac
done

all="fuzz_multipart fuzz_query fuzz_form_json fuzz_headers fuzz_jwt
fuzz_dotenv fuzz_redis_url fuzz_sniff fuzz_cld_sign fuzz_storage_answer
fuzz_storage_parse"
[ -n "$harnesses" ] || harnesses=$all

# Library sources each harness needs, besides the common ones.
common="ps_error.c ps_util.c ps_log.c"
sources() {
	case $1 in
	fuzz_multipart) echo ps_multipart.c ;;
	fuzz_query|fuzz_form_json) echo ps_http.c ;;
	fuzz_headers) echo ps_http.c ps_multipart.c ps_auth.c ps_jwt.c \
	    ps_base64.c ps_config.c ;;
	fuzz_jwt) echo ps_jwt.c ps_base64.c ;;
	fuzz_dotenv) echo ps_config.c ;;
	fuzz_redis_url) echo ps_redis.c ps_config.c ;;
	fuzz_sniff) echo ps_sniff.c ;;
	fuzz_cld_sign) echo ps_cloudinary_sign.c ;;
	fuzz_storage_answer) echo ps_storage_http.c ps_curl.c ps_spool.c \
	    ps_config.c ;;
	fuzz_storage_parse) echo ps_storage_cloudinary.c \
	    ps_storage_supabase.c ps_storage_http.c ps_curl.c ps_spool.c \
	    ps_config.c ps_cloudinary_sign.c ;;
	esac
}
# -max_len per harness: a little over each parser's own input limit.
max_len() {
	case $1 in
	fuzz_multipart) echo 65536 ;;
	fuzz_query) echo 8192 ;;
	fuzz_form_json) echo 20000 ;;
	fuzz_headers) echo 20000 ;;
	fuzz_jwt) echo 8192 ;;
	fuzz_dotenv) echo 70000 ;;
	fuzz_redis_url) echo 4096 ;;
	fuzz_sniff) echo 12288 ;;
	fuzz_cld_sign) echo 16384 ;;
	fuzz_storage_answer) echo 70000 ;;
	fuzz_storage_parse) echo 70000 ;;
	esac
}

# ---------------------------------------------------------------- tools
cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
	for c in clang-14 clang; do
		if command -v "$c" >/dev/null 2>&1; then
			cc=$c
			break
		fi
	done
fi
if [ -z "$cc" ]; then
	echo "1..0 # clang not found"
	echo "Bail out! libFuzzer needs clang (Debian: apt-get install" \
	    "clang-14)" >&2
	exit 1
fi
if ! command -v pkg-config >/dev/null 2>&1 ||
    ! pkg_cflags=$(pkg-config --cflags json-c hiredis libcurl openssl) ||
    ! pkg_libs=$(pkg-config --libs json-c hiredis libcurl openssl); then
	echo "Bail out! pkg-config or a -dev package is missing" \
	    "(libjson-c-dev libhiredis-dev libcurl4-openssl-dev" \
	    "libssl-dev)" >&2
	exit 1
fi

if [ -n "${FUZZ_BUILD_DIR:-}" ]; then
	build=$FUZZ_BUILD_DIR
	mkdir -p "$build" || exit 1
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/pairstore-fuzz.XXXXXX") || exit 1
else
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/pairstore-fuzz.XXXXXX") || exit 1
	build=$tmp/build
	mkdir -p "$build"
fi
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# libFuzzer and the sanitizer runtimes are a separate Debian package.
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$tmp/probe.c"
if ! $cc -fsanitize=fuzzer,address,undefined "$tmp/probe.c" \
    -o "$tmp/probe" >"$tmp/probe.log" 2>&1; then
	cat "$tmp/probe.log" >&2
	echo "Bail out! $cc cannot link -fsanitize=fuzzer,address,undefined" \
	    "(Debian: apt-get install clang-14 libclang-rt-14-dev)" >&2
	exit 1
fi

# A config.h of our own: the fuzz build does not need ./configure.
version=$(sed -n 's/^AC_INIT(\[pairstore\], \[\([^]]*\)\].*/\1/p' \
    "$top/configure.ac")
cat >"$build/config.h.new" <<EOF
/* config.h for the fuzz build, written by tests/fuzz/run.sh */
#define PACKAGE "pairstore"
#define PACKAGE_NAME "pairstore"
#define PACKAGE_TARNAME "pairstore"
#define PACKAGE_VERSION "${version:-0}"
#define PACKAGE_STRING "pairstore ${version:-0}"
#define VERSION "${version:-0}"
#define HAVE_GETRANDOM 1
#define HAVE_EXPLICIT_BZERO 1
#define _FILE_OFFSET_BITS 64
EOF
if cmp -s "$build/config.h.new" "$build/config.h"; then
	rm -f "$build/config.h.new"
else
	mv "$build/config.h.new" "$build/config.h"
fi

flags="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
-g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter
${FUZZ_CFLAGS:-}"
inc="-I$build -I$top/lib $pkg_cflags"

# Objects built with other flags are stale.
if [ "$(cat "$build/flags" 2>/dev/null)" != "$cc $flags" ]; then
	rm -f "$build"/*.o
	printf '%s\n' "$cc $flags" >"$build/flags"
fi

# Compile a library source once per build dir (again when it changed).
lib_obj() {
	src=$top/lib/$1
	obj=$build/${1%.c}.o
	if [ ! -f "$obj" ] ||
	    [ -n "$(find "$src" "$build/config.h" -newer "$obj")" ]; then
		# shellcheck disable=SC2086
		$cc $flags $inc -c "$src" -o "$obj" 2>"$obj.log" || {
			cat "$obj.log" >&2
			return 1
		}
	fi
	echo "$obj"
}

build_one() {
	h=$1
	objs=
	for s in $common $(sources "$h"); do
		o=$(lib_obj "$s") || return 1
		objs="$objs $o"
	done
	# shellcheck disable=SC2086
	$cc $flags $inc -DPS_FUZZ_DATA_DIR="\"$top/tests/data\"" \
	    "$here/$h.c" $objs $pkg_libs -o "$build/$h" \
	    2>"$build/$h.log" || {
		cat "$build/$h.log" >&2
		return 1
	}
	# Warnings in the harness are errors of the harness.
	if grep -q "warning:" "$build/$h.log"; then
		cat "$build/$h.log" >&2
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- run
n=0
pass=0
fail=0
# shellcheck disable=SC2086
set -- $harnesses
echo "1..$#"

# Save libFuzzer's artifacts (crash-*, leak-*, timeout-*, oom-*).
save_artifacts() {
	h=$1
	saved=
	for a in "$tmp/art/$h"-*; do
		[ -f "$a" ] || continue
		mkdir -p "$here/crashes/$h"
		b=$(basename "$a")
		cp "$a" "$here/crashes/$h/${b#"$h"-}"
		saved="$saved tests/fuzz/crashes/$h/${b#"$h"-}"
	done
	echo "$saved"
}

for h in "$@"; do
	n=$((n + 1))
	if ! build_one "$h"; then
		fail=$((fail + 1))
		echo "not ok $n - $h: build failed"
		continue
	fi
	[ "$mode" = build ] && { pass=$((pass + 1)); echo "ok $n - $h: built"
	    continue; }
	bin=$build/$h
	log=$tmp/$h.log
	mkdir -p "$tmp/art" "$tmp/corpus/$h"
	common_opts="-rss_limit_mb=${FUZZ_RSS_MB:-2048}
-max_len=$(max_len "$h") -timeout=30 -artifact_prefix=$tmp/art/$h-
-print_final_stats=1"
	dict=
	[ -f "$here/$h.dict" ] && dict="-dict=$here/$h.dict"

	# Known crashes first: every regression input must pass.
	if [ -d "$here/regressions/$h" ] &&
	    [ -n "$(ls -A "$here/regressions/$h" 2>/dev/null)" ]; then
		# shellcheck disable=SC2086
		if ! "$bin" $common_opts -runs=0 "$here/regressions/$h" \
		    >"$log" 2>&1; then
			fail=$((fail + 1))
			bad=
			for r in "$here/regressions/$h"/*; do
				# shellcheck disable=SC2086
				"$bin" $common_opts "$r" >/dev/null 2>&1 ||
				    bad="$bad ${r#"$top/"}"
			done
			rm -f "$tmp/art/$h"-*
			echo "not ok $n - $h: regression input fails" \
			    "again:$bad"
			grep -E "ERROR|invariant broken|SUMMARY" "$log" |
			    head -5 | sed 's/^/# /'
			continue
		fi
	fi

	if [ -d "$here/corpus/$h" ]; then
		cp -R "$here/corpus/$h/." "$tmp/corpus/$h/"
	fi
	if [ "$mode" = replay ]; then
		runs="-runs=0"
	elif [ -n "${FUZZ_RUNS:-}" ]; then
		runs="-runs=$FUZZ_RUNS -max_total_time=$seconds"
	else
		runs="-max_total_time=$seconds"
	fi
	[ -n "$seed" ] && runs="$runs -seed=$seed"
	# shellcheck disable=SC2086
	"$bin" $common_opts $runs $dict "$tmp/corpus/$h" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -1)
	rate=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' "$log" | tail -1)
	units=$(find "$tmp/corpus/$h" -type f | wc -l)
	if [ -n "${FUZZ_CORPUS_OUT:-}" ]; then
		mkdir -p "$FUZZ_CORPUS_OUT/$h"
		cp -R "$tmp/corpus/$h/." "$FUZZ_CORPUS_OUT/$h/"
	fi
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok $n - $h: ${execs:-0} execs (${rate:-?}/s)," \
		    "corpus $units, no finding"
	else
		fail=$((fail + 1))
		saved=$(save_artifacts "$h")
		echo "not ok $n - $h: finding after ${execs:-?} execs," \
		    "input saved as${saved:- (none)}"
		grep -E "ERROR: |invariant broken|SUMMARY|runtime error" \
		    "$log" | head -8 | sed 's/^/# /'
	fi
done

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
