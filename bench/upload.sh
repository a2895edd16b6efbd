#!/bin/sh
# upload.sh - one large upload through lighttpd into local storage, with
# the upload process's peak memory (VmHWM): memory must stay flat
# whatever the size (issue 4: under 16 MiB for 1 GiB).
#
#   UPLOAD=BUILDDIR/cgi-bin/upload bench/upload.sh      (make bench sets it)
#   BENCH_UPLOAD_MB=1024 (default) sets the size.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
: "${UPLOAD:?UPLOAD names the built cgi-bin/upload}"
mb=${BENCH_UPLOAD_MB:-1024}
case "$mb" in '' | *[!0-9]*) echo "BENCH_UPLOAD_MB: a number" >&2; exit 2 ;; esac

if [ -z "${PS_TEST_REDIS_SOCK:-}" ]; then
	PS_TEST_NEED_REDIS=1 exec /bin/sh "$top/tests/with-redis.sh" \
	    /bin/sh "$0"
fi
T=$PS_TEST_TMPDIR
export AUTH_MODE=demo WORKER_SPAWN=false LOG_LEVEL=warn
export LOCAL_STORAGE_DIR=$T/media LOCAL_STORAGE_URL=http://127.0.0.1/media
export SPOOL_DIR=$T UPLOAD_MAX_BYTES=$(( (mb + 1) * 1048576 ))
mkdir -p "$LOCAL_STORAGE_DIR"

if [ -z "${BENCH_INSIDE:-}" ]; then
	BENCH_INSIDE=1 exec /bin/sh "$top/tests/with-lighttpd.sh" --procs 1 \
	    --max-request-size $(( (mb + 2) * 1024 )) \
	    --fcgi "/cgi-bin/upload=$UPLOAD" -- /bin/sh "$0"
fi

head -c $((mb * 1048576)) /dev/zero >"$T/big.bin"
# Wake the FastCGI process first so its pid is known.
curl -s -o /dev/null "$PS_TEST_BASE_URL/cgi-bin/upload"
pid=$(pgrep -P "$PS_TEST_LIGHTTPD_PID" | head -1)
before=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$pid/status")
t0=$(date +%s%N)
code=$(curl -s -o "$T/answer" -w '%{http_code}' --max-time 600 \
    -H 'X-Pairstore-User: bench' -F kind=view-once \
    -F "file=@$T/big.bin" "$PS_TEST_BASE_URL/cgi-bin/upload")
t1=$(date +%s%N)
after=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$pid/status")
ms=$(( (t1 - t0) / 1000000 ))
echo "upload of $mb MiB: HTTP $code in $ms ms" \
    "($(awk -v m="$mb" -v t="$ms" 'BEGIN { printf "%.0f", m * 1000 / t }')" \
    "MiB/s); upload process peak RSS (VmHWM) $before before, $after after"
rm -f "$T/big.bin"
[ "$code" = 201 ]
