#!/bin/sh
# migrate.sh - `pairstore migrate' between the local fakes (by hand, not
# a test): BENCH_MIGRATE_SMALL small objects (default 1000, 1-20 KB,
# mixed types) and BENCH_MIGRATE_LARGE large videos (default 10 of
# BENCH_MIGRATE_LARGE_MB MB, default 8), migrated with --concurrency 1
# and 8 (BENCH_MIGRATE_CONCURRENCY).  Before each run the Cloudinary fake
# and the progress key are reset, so every run moves everything.
# Prints objects/s and MB/s per run and appends them to
# bench/results/migrate.txt.
#
#   PAIRSTORE=.../tools/pairstore bench/migrate.sh
. "$(dirname "$0")/lib.sh"

bench_need PAIRSTORE tools/pairstore
SMALL=${BENCH_MIGRATE_SMALL:-1000}
LARGE=${BENCH_MIGRATE_LARGE:-10}
LARGE_MB=${BENCH_MIGRATE_LARGE_MB:-8}
CONC=${BENCH_MIGRATE_CONCURRENCY:-1 8}
bench_check_int BENCH_MIGRATE_SMALL "$SMALL" 100000
bench_check_int BENCH_MIGRATE_LARGE_MB "$LARGE_MB" 90

if [ -z "${PS_TEST_REDIS_SOCK:-}" ]; then
	PS_TEST_NEED_REDIS=1 exec /bin/sh "$BENCH_TOP/tests/with-redis.sh" \
	    /bin/sh "$0"
fi
T=$PS_TEST_TMPDIR
PY=${PYTHON3:-python3}
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done' EXIT

start_fake() {	# start_fake NAME SCRIPT ARGS...
	name=$1; script=$2; shift 2
	mkdir -p "$T/$name"
	"$PY" "$BENCH_TOP/tests/fakes/$script" --port 0 \
	    --port-file "$T/$name.port" --storage-dir "$T/$name" "$@" \
	    >"$T/$name.out" 2>&1 &
	pids="$pids $!"
	i=0
	while [ ! -s "$T/$name.port" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || bench_die "$script did not start"
		sleep 0.1
	done
}

FAKE_CLOUDINARY_API_SECRET=bench-secret start_fake cld cloudinary_fake.py \
    --cloud-name bench --api-key 123456789012345
FAKE_SUPABASE_SERVICE_KEY=bench-service-key start_fake sb supabase_fake.py
CLD=http://127.0.0.1:$(cat "$T/cld.port")
SB=http://127.0.0.1:$(cat "$T/sb.port")
export CLOUDINARY_API_URL=$CLD CLOUDINARY_CLOUD_NAME=bench \
    CLOUDINARY_API_KEY=123456789012345 CLOUDINARY_API_SECRET=bench-secret \
    SUPABASE_URL=$SB SUPABASE_SERVICE_ROLE_KEY=bench-service-key \
    SUPABASE_BUCKET=media SPOOL_DIR=$T LOG_LEVEL=warn

"$PY" - "$SMALL" "$LARGE" "$LARGE_MB" >"$T/seed.json" <<'EOF'
import json, random, sys
small, large, mb = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
kinds = ["deleted-messages", "view-once", "scheduled-status"]
types = [("image/png", "png"), ("image/jpeg", "jpg"), ("video/mp4", "mp4"),
         ("application/octet-stream", "bin")]
rnd = random.Random(1)
objs = []
for i in range(small):
    ct, ext = types[i % len(types)]
    objs.append({"path": "%s/user%d/s%05d.%s" % (kinds[i % 3], i % 50, i,
                ext), "size": rnd.randint(1000, 20000), "content_type": ct})
for i in range(large):
    objs.append({"path": "view-once/big%d/large%02d.mp4" % (i % 3, i),
                 "size": mb * 1000000, "content_type": "video/mp4"})
print(json.dumps({"bucket": "media", "objects": objs}))
EOF
curl -sS -X POST -H 'Content-Type: application/json' \
    --data-binary @"$T/seed.json" "$SB/__fake/seed" >/dev/null ||
    bench_die "seeding failed"
total_mb=$("$PY" -c 'import json,sys; print(sum(o["size"] for o in json.load(open(sys.argv[1]))["objects"])/1e6)' "$T/seed.json")
n=$((SMALL + LARGE))
mkdir -p "$BENCH_RESULTS"
printf '%-12s %8s %10s %10s %10s\n' concurrency objects seconds objects/s MB/s
for c in $CONC; do
	curl -sS -X POST "$CLD/__fake/reset" >/dev/null
	redis-cli -s "$PS_TEST_REDIS_SOCK" DEL '{pairstore}:migrate:media' \
	    >/dev/null
	rm -f "$T/map.jsonl"
	t0=$(date +%s.%N)
	"$PAIRSTORE" migrate --concurrency "$c" --mapping "$T/map.jsonl" \
	    >"$T/run$c.out" 2>"$T/run$c.err" || {
		cat "$T/run$c.out" >&2
		bench_die "migrate --concurrency $c failed"
	}
	t1=$(date +%s.%N)
	line=$("$PY" -c '
import sys
n, mb, t0, t1, c = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
s = t1 - t0
print("%-12s %8d %10.2f %10.1f %10.1f" % (c, n, s, n / s, mb / s))' \
	    "$n" "$total_mb" "$t0" "$t1" "$c")
	echo "$line"
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) small=$SMALL large=${LARGE}x${LARGE_MB}MB $line" \
	    >>"$BENCH_RESULTS/migrate.txt"
done
