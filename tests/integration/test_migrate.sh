#!/bin/sh
# test_migrate.sh - `pairstore migrate' end to end against the Supabase
# and Cloudinary fakes (tests/fakes/) and a real redis-server
# (tests/with-redis.sh).
#
# The bucket holds 300 small objects (3 kinds x 5 users, nested folders,
# images, videos, audio, raw, 5 empty files) and one 12 MB video sent in
# 6 MB chunks.  The runs, in order:
#  dry-run     lists what would move, changes nothing (no upload, no
#              Redis key, no mapping file); --user filters
#  killed      SIGTERM after some objects: exit 1, partial mapping
#  limit       --limit 10 moves exactly 10
#  faults      Cloudinary 500 for raw uploads and a Supabase download
#              failure for one object: those fail, exit 1; Cloudinary
#              hanging (STORAGE_TIMEOUT_MS=1000) for video uploads of
#              one user: those fail
#  resume      no faults: exit 0, every object migrated exactly once
#              (one mapping line per source, one asset per object, every
#              public_id distinct), the media index agrees with the
#              mapping (pre-existing Supabase entries replaced), the
#              big object went up in chunks and every URL serves the
#              source's bytes
#  again       a second full run uploads nothing, writes no line
#  delete      --delete-source removes exactly the verified objects
# Needs PAIRSTORE (set by make check) and python3.
. "${srcdir:-.}/tests/lib.sh"
set -u

: "${PAIRSTORE:?}"
T=$PS_TEST_TMPDIR
top=${srcdir:-.}
PY=${PYTHON3:-python3}
CLD_KEY=614335564976464
CLD_SECRET=test-migrate-secret-4711
SB_KEY=test-migrate-service-key-0815
MAP=$T/map.jsonl
pids=""

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
trap cleanup EXIT

start_fake() {	# start_fake NAME SCRIPT ARGS...
	name=$1; script=$2; shift 2
	"$PY" "$top/tests/fakes/$script" --port 0 --port-file "$T/$name.port" \
	    --storage-dir "$T/$name" --log "$T/$name.log" "$@" \
	    >"$T/$name.out" 2>&1 &
	pids="$pids $!"
	i=0
	while [ ! -s "$T/$name.port" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "Bail out! $script did not start"; \
		    exit 1; }
		sleep 0.1
	done
}

mkdir -p "$T/cld" "$T/sb"
FAKE_CLOUDINARY_API_SECRET=$CLD_SECRET start_fake cld cloudinary_fake.py \
    --cloud-name demo --api-key $CLD_KEY
FAKE_SUPABASE_SERVICE_KEY=$SB_KEY start_fake sb supabase_fake.py \
    --bucket media --bucket paged
CLD=http://127.0.0.1:$(cat "$T/cld.port")
SB=http://127.0.0.1:$(cat "$T/sb.port")

export CLOUDINARY_API_URL=$CLD CLOUDINARY_CLOUD_NAME=demo \
    CLOUDINARY_API_KEY=$CLD_KEY CLOUDINARY_API_SECRET=$CLD_SECRET \
    CLOUDINARY_CHUNKED_ABOVE=6000000 CLOUDINARY_CHUNK_SIZE=6000000 \
    SUPABASE_URL=$SB SUPABASE_SERVICE_ROLE_KEY=$SB_KEY \
    SUPABASE_BUCKET=media SPOOL_DIR=$T LOG_LEVEL=warn

fake() {	# fake BASE METHOD PATH [JSON]
	curl -sS -X "$2" -H 'Content-Type: application/json' \
	    ${4:+--data-binary "$4"} "$1$3"
}

rcli() { redis-cli -s "$PS_TEST_REDIS_SOCK" "$@"; }

# The bucket: deterministic names, types and sizes.
"$PY" - "$T/seed.json" <<'EOF'
import json, random, sys
kinds = ["deleted-messages", "view-once", "scheduled-status"]
types = ["image/png", "image/jpeg", "image/gif", "video/mp4",
         "audio/mpeg", "application/octet-stream"]
rnd = random.Random(7)
objs = []
n = 0
for k in kinds:
    for u in range(5):
        for i in range(20):
            ct = types[i % 6]
            sub = "2024/06/" if i % 7 == 3 else ""
            ext = {"image/png": "png", "image/jpeg": "jpg",
                   "image/gif": "gif", "video/mp4": "mp4",
                   "audio/mpeg": "mp3"}.get(ct, "bin")
            size = rnd.randint(300, 20000)
            if n % 61 == 5:
                size, ct, ext = 0, "application/octet-stream", "bin"
            objs.append({"path": "%s/u%d/%sobj-%03d.%s" % (k, u, sub, i,
                        ext), "size": size, "content_type": ct})
            n += 1
objs.append({"path": "view-once/u1/big-video.mp4", "size": 12000000,
             "content_type": "video/mp4"})
json.dump({"bucket": "media", "objects": objs}, open(sys.argv[1], "w"))
EOF
seeded=$(fake "$SB" POST /__fake/seed "$(cat "$T/seed.json")")
TOTAL=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["objects"]))' "$T/seed.json")
EMPTY=$("$PY" -c 'import json,sys; print(sum(1 for o in json.load(open(sys.argv[1]))["objects"] if o["size"]==0))' "$T/seed.json")
NONEMPTY=$((TOTAL - EMPTY))
echo "$seeded" | grep -q "\"seeded\": *$TOTAL" ; ok $? "seeded $TOTAL objects ($EMPTY empty)"

# Objects uploaded to Supabase before the move have index entries.
for i in 000 001 002; do
	p=deleted-messages/u0/obj-$i
	case $i in 000) p=$p.png;; 001) p=$p.jpg;; 002) p=$p.gif;; esac
	rcli ZADD '{pairstore}:media:u0' 1000 "{\"kind\":\"deleted-messages\",\"backend\":\"supabase\",\"url\":\"$SB/storage/v1/object/public/media/$p\",\"public_id\":\"media/$p\",\"path\":\"$p\",\"bytes\":1,\"sha256\":\"\",\"mime\":\"image/png\",\"resource_type\":\"image\",\"time\":1000}" >/dev/null
done

cld_assets() {
	fake "$CLD" GET /__fake/objects | "$PY" -c \
	    'import json,sys; print(len(json.load(sys.stdin)["assets"]))'
}
cld_requests() {
	fake "$CLD" GET /__fake/stats | "$PY" -c \
	    'import json,sys; print(json.load(sys.stdin)["requests_total"])'
}
lines() { if [ -f "$MAP" ]; then wc -l <"$MAP" | tr -d ' '; else echo 0; fi; }
migrate() { "$PAIRSTORE" migrate --mapping "$MAP" "$@"; }

# ---------------------------------------------------------------- dry run
migrate --dry-run >"$T/dry.out" 2>"$T/dry.err"
ok $? "dry run exits 0"
grep -q "would move $TOTAL objects" "$T/dry.out"
ok $? "dry run lists all $TOTAL objects and the total size"
[ ! -e "$MAP" ] && [ "$(cld_assets)" = 0 ] && \
    [ "$(rcli EXISTS '{pairstore}:migrate:media')" = 0 ]
ok $? "dry run changes nothing (no mapping, no asset, no progress key)"
migrate --dry-run --user u3 >"$T/dry3.out" 2>&1
n=$(grep -c '^would move ' "$T/dry3.out")
bad=$(grep '^would move ' "$T/dry3.out" | grep -vc '^would move [a-z-]*/u3/')
[ "$n" = 60 ] && [ "$bad" = 0 ]; ok $? "--user u3 selects its 60 objects ($n)"
migrate --dry-run --prefix view-once/u1/2024/ >"$T/dryp.out" 2>&1
n=$(grep -c '^would move view-once/u1/2024/06/' "$T/dryp.out")
[ "$n" = 3 ]; ok $? "--prefix selects a nested folder ($n)"
migrate --dry-run --since 2999-01-01 >"$T/drys.out" 2>&1
grep -q "would move 0 objects" "$T/drys.out"; ok $? "--since in the future selects nothing"
# A folder of 2001 objects takes three pages of the listing.
fake "$SB" POST /__fake/seed '{"bucket":"paged","generate":{"count":2001,"prefix":"view-once/u9/p","size":1}}' >/dev/null
SUPABASE_BUCKET=paged migrate --dry-run >"$T/paged.out" 2>&1
n=$(grep -c '^would move view-once/u9/p' "$T/paged.out")
[ "$n" = 2001 ] && grep -q 'would move 2001 objects' "$T/paged.out"
ok $? "listing pages through a folder of 2001 objects ($n)"
migrate --concurrency 17 >/dev/null 2>&1; [ $? = 2 ]
ok $? "--concurrency 17 is a usage error"

# ---------------------------------------------------------------- killed
"$PAIRSTORE" migrate --mapping "$MAP" --concurrency 3 >"$T/kill.out" \
    2>"$T/kill.err" &
mp=$!
i=0
while [ "$(lines)" -lt 40 ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $mp
wait $mp; st=$?
n=$(lines)
[ $st = 1 ] && [ "$n" -ge 40 ] && [ "$n" -lt "$TOTAL" ]
ok $? "SIGTERM mid-run: exit 1 with a partial mapping ($n lines)"
grep -q "interrupted" "$T/kill.out"; ok $? "summary says interrupted"
sleep 0.3
[ -z "$(pgrep -f "migrate --mapping $MAP" 2>/dev/null)" ]; ok $? "no worker outlives the run"

# SIGKILL of the parent: the workers get SIGTERM (PR_SET_PDEATHSIG),
# which waits for a result being recorded.
n0=$(lines)
"$PAIRSTORE" migrate --mapping "$MAP" --concurrency 3 >"$T/kill9.out" \
    2>"$T/kill9.err" &
mp=$!
i=0
while [ "$(lines)" -lt $((n0 + 20)) ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL $mp
wait $mp 2>/dev/null
sleep 0.5
n=$(lines)
[ -z "$(pgrep -f "migrate --mapping $MAP" 2>/dev/null)" ] && [ "$n" -lt "$TOTAL" ]
ok $? "SIGKILL of the parent stops its workers too ($n lines)"

# ---------------------------------------------------------------- limit
before=$(lines)
migrate --limit 10 --concurrency 2 >"$T/limit.out" 2>"$T/limit.err"
st=$?
[ $st = 0 ] && [ $(($(lines) - before)) = 10 ]
ok $? "--limit 10 migrates exactly 10 ($(($(lines) - before)) lines)"
n_m=$(grep -c '^\[[0-9]*/10\] moved ' "$T/limit.err")
n_e=$(grep -c '^\[[0-9]*/10\] empty ' "$T/limit.err")
[ $((n_m + n_e)) = 10 ] && grep -q "^moved: $n_m$" "$T/limit.out"
ok $? "summary and per-object lines agree: moved $n_m, empty $n_e"
# On a terminal: one progress line redrawn with \r, no per-object lines.
if command -v script >/dev/null 2>&1; then
	script -qec "'$PAIRSTORE' migrate --mapping '$MAP' --limit 5" \
	    "$T/tty.txt" >/dev/null 2>&1
	st=$?
	[ $st = 0 ] && grep -q "$(printf '\r')\[#*\.*\] [0-9]*/5 objects .* MB/s ETA" \
	    "$T/tty.txt" && ! grep -q 'moved   ' "$T/tty.txt" &&
	    grep -q '^moved: 5' "$T/tty.txt"
	ok $? "progress bar on a terminal"
else
	ok 0 "# SKIP progress bar: no script(1)"
fi

# ---------------------------------------------------------------- faults
fake "$CLD" POST /__fake/faults '{"mode":"hang","count":-1,"match":"/video/upload","delay_ms":4000}' >/dev/null
STORAGE_TIMEOUT_MS=1000 migrate --prefix scheduled-status/u4/ \
    --concurrency 4 >"$T/f2.out" 2>"$T/f2.err"
ok $([ $? = 1 ]; echo $?) "hanging Cloudinary: exit 1"
n=$(grep -c '^failed: scheduled-status/u4/.*\(mp4\|mp3\): .*within 1000 ms' "$T/f2.out")
[ "$n" -ge 1 ]; ok $? "video uploads that hang fail on the time limit ($n)"
fake "$CLD" POST /__fake/faults '{"mode":"ok"}' >/dev/null

FAILSRC=view-once/u2/obj-004.mp3
fake "$CLD" POST /__fake/faults '{"mode":"500","count":-1,"match":"/raw/upload"}' >/dev/null
fake "$SB" POST /__fake/faults "{\"mode\":\"500\",\"count\":-1,\"match\":\"$FAILSRC\"}" >/dev/null
migrate --user u2 --concurrency 4 >"$T/f1.out" 2>"$T/f1.err"
st=$?
fake "$SB" POST /__fake/faults '{"mode":"ok"}' >/dev/null
fake "$CLD" POST /__fake/faults '{"mode":"ok"}' >/dev/null
ok $([ $st = 1 ]; echo $?) "faults: exit 1"
grep -q "^\[[0-9]*/[0-9]*\] FAILED  $FAILSRC: .*500" "$T/f1.err"
ok $? "the Supabase download failure is reported with its reason"
grep -q '^failed: .*/u2/obj-005.bin: .*Cloudinary: HTTP 500' "$T/f1.out"
ok $? "Cloudinary 500s are reported with their reason"
rcli HGET '{pairstore}:migrate:media' "$FAILSRC" | grep -q '^failed '
ok $? "the failure is in the progress hash"
grep -q "^\[[0-9]*/[0-9]*\] FAILED  $FAILSRC" "$T/f1.err"; ok $? "plain per-object lines when not a terminal"
grep -q "$FAILSRC" "$MAP"; ok $([ $? != 0 ]; echo $?) "no mapping line for a failed object"

# ---------------------------------------------------------------- resume
migrate --concurrency 4 >"$T/r.out" 2>"$T/r.err"
ok $? "resumed run without faults exits 0"
grep -q '^failed: 0$' "$T/r.out"; ok $? "nothing failed"

"$PY" - "$MAP" "$T/seed.json" "$TOTAL" "$EMPTY" >"$T/check.out" 2>&1 <<'EOF'
import json, sys
m = [json.loads(l) for l in open(sys.argv[1])]
seed = json.load(open(sys.argv[2]))["objects"]
src = [x["source_path"] for x in m]
assert len(m) == int(sys.argv[3]), ("lines", len(m))
assert sorted(src) == sorted(o["path"] for o in seed), "sources"
mig = [x for x in m if x["status"] == "migrated"]
assert len(mig) == int(sys.argv[3]) - int(sys.argv[4]), "migrated"
assert len(set(x["public_id"] for x in mig)) == len(mig), "ids"
size = {o["path"]: o["size"] for o in seed}
for x in m:
    assert x["bytes"] == size[x["source_path"]], x
    assert x["old_url"].endswith("/object/public/media/" + x["source_path"])
    k, u = x["source_path"].split("/")[:2]
    if x["status"] == "migrated":
        assert x["public_id"].startswith(k + "/" + u + "/"), x
print("ok")
EOF
ok $? "mapping: one line per object, distinct public_ids, sizes ($(tail -1 "$T/check.out"))"
[ "$(cld_assets)" = "$NONEMPTY" ]
ok $? "Cloudinary holds exactly one asset per non-empty object ($(cld_assets))"

# Media index against the mapping.
for u in 0 1 2 3 4; do rcli ZRANGE "{pairstore}:media:u$u" 0 -1; done >"$T/index.txt"
"$PY" - "$MAP" "$T/index.txt" "$SB" >"$T/idx.out" 2>&1 <<'EOF'
import json, sys
m = [json.loads(l) for l in open(sys.argv[1]) if '"migrated"' in l]
idx = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
urls = {e["url"]: e for e in idx}
assert len(idx) == len(m), ("entries", len(idx), len(m))
for x in m:
    e = urls[x["new_url"]]
    assert e["backend"] == "cloudinary" and e["public_id"] == x["public_id"]
    assert e["bytes"] == x["bytes"] and e["path"] == x["source_path"]
assert not [e for e in idx if e["backend"] == "supabase"], "old entries"
print("ok")
EOF
ok $? "media index agrees with the mapping, Supabase entries replaced ($(tail -1 "$T/idx.out"))"

big=$(grep '"view-once/u1/big-video.mp4"' "$MAP")
echo "$big" | grep -q '"bytes":12000000'; ok $? "the 12 MB object is migrated"
url=$(echo "$big" | sed 's/.*"new_url":"\([^"]*\)".*/\1/')
a=$(curl -s "$url" | sha256sum)
b=$(curl -s -H "Authorization: Bearer $SB_KEY" -H "apikey: $SB_KEY" \
    "$SB/storage/v1/object/media/view-once/u1/big-video.mp4" | sha256sum)
[ "$a" = "$b" ]; ok $? "the chunked asset serves the source's bytes"
n=$(grep -c 'video/upload' "$T/cld.log")
[ "$n" -ge 2 ]; ok $? "Cloudinary saw chunk requests ($n video uploads)"
"$PY" - "$MAP" "$SB" "$SB_KEY" >"$T/bytes.out" 2>&1 <<'EOF'
import json, sys, urllib.request
m = [json.loads(l) for l in open(sys.argv[1]) if '"migrated"' in l][:25]
for x in m:
    a = urllib.request.urlopen(x["new_url"]).read()
    r = urllib.request.Request(sys.argv[2] + "/storage/v1/object/media/" +
        x["source_path"], headers={"Authorization": "Bearer " + sys.argv[3],
        "apikey": sys.argv[3]})
    assert a == urllib.request.urlopen(r).read(), x["source_path"]
print("ok")
EOF
ok $? "new URLs serve the same bytes as the sources ($(tail -1 "$T/bytes.out"))"

# ---------------------------------------------------------------- again
before=$(lines); reqs=$(cld_requests)
migrate --concurrency 4 >"$T/again.out" 2>&1
ok $? "second full run exits 0"
[ "$(lines)" = "$before" ] && [ "$(cld_requests)" = "$reqs" ]
ok $? "second run: no mapping line, no Cloudinary request"
grep -q "^skipped: $TOTAL$" "$T/again.out" && grep -q '^moved: 0$' "$T/again.out"
ok $? "summary: moved 0, skipped $TOTAL"

# A source replaced by one of another size is migrated again, to the
# same public_id.
assets=$(cld_assets)
fake "$SB" POST /__fake/seed '{"bucket":"media","objects":[{"path":"view-once/u3/obj-000.png","size":777,"content_type":"image/png"}]}' >/dev/null
migrate >"$T/changed.out" 2>&1
st=$?
n=$(grep -c '"source_path":"view-once/u3/obj-000.png"' "$MAP")
ids=$(grep '"source_path":"view-once/u3/obj-000.png"' "$MAP" | sed 's/.*"public_id":"\([^"]*\)".*/\1/' | sort -u | wc -l)
[ $st = 0 ] && grep -q '^moved: 1$' "$T/changed.out" && [ "$n" = 2 ] &&
    [ "$ids" = 1 ] && tail -1 "$MAP" | grep -q '"bytes":777' &&
    [ "$(cld_assets)" = "$assets" ]
ok $? "a replaced source is migrated again onto the same asset"

# ---------------------------------------------------------------- delete
sbn() {
	fake "$SB" GET /__fake/objects | "$PY" -c \
	    'import json,sys; print(len([o for o in json.load(sys.stdin)["objects"] if o["bucket"] == "media"]))'
}
# One more object, never migrated: it must survive the deletion.
fake "$SB" POST /__fake/seed '{"bucket":"media","objects":[{"path":"view-once/u0/late.png","size":500,"content_type":"image/png"}]}' >/dev/null
fake "$CLD" POST /__fake/faults '{"mode":"500","count":-1,"match":"/image/upload"}' >/dev/null
migrate --delete-source --concurrency 2 >"$T/del.out" 2>"$T/del.err"
ok $([ $? = 1 ]; echo $?) "--delete-source with a failing object exits 1"
grep -q "^deleted: $NONEMPTY$" "$T/del.out"; ok $? "deleted: $NONEMPTY"
left=$(fake "$SB" GET /__fake/objects | "$PY" -c '
import json,sys
print(" ".join(sorted(o["name"] + ":" + str(o["size"]) for o in json.load(sys.stdin)["objects"] if o["bucket"] == "media")))')
n=$(sbn)
[ "$n" = $((EMPTY + 1)) ] && echo "$left" | grep -q 'late.png:500'
ok $? "only verified objects were deleted ($n left: the empty ones and the failed one)"
fake "$CLD" POST /__fake/faults '{"mode":"ok"}' >/dev/null
migrate --delete-source >"$T/del2.out" 2>&1
ok $? "the failed object migrates on the next run"
[ "$(sbn)" = "$EMPTY" ]; ok $? "and its source is deleted then"

for f in kill limit f2 f1 r again del del2; do
	diag "$f: $(grep -h '^elapsed' "$T/$f.out")"
done

# ---------------------------------------------------------------- secrets
! grep -rq -e "$CLD_SECRET" -e "$SB_KEY" "$T"/*.out "$T"/*.err "$MAP" \
    "$T"/*.log
ok $? "no secret in any output, mapping file or fake log"
"$PAIRSTORE" migrate --help | grep -q 'Example'; ok $? "--help has an example"

done_testing
