#!/bin/sh
# test_run.sh - the README's run command (scripts/run) as a newcomer uses
# it: start it, wait for the URL it prints, open the page, make one
# pairing and one upload, press Ctrl-C (SIGINT), and check that every
# process it started is gone.  It runs the programs of this build
# (PAIRSTORE_BUILD_DIR) in a run directory of its own
# (PAIRSTORE_RUN_DIR), with its own private redis-server: the Redis of
# tests/with-redis.sh is not used.
#
# Needs top_builddir (set by make check); curl, python3.
. "${srcdir:-.}/tests/lib.sh"
. "${srcdir:-.}/tests/proc.sh"
set -u

T=$PS_TEST_TMPDIR
top=$(cd "${srcdir:-.}" && pwd)
build=$(cd "${top_builddir:-.}" && pwd)
PYTHON3=${PYTHON3:-python3}

port=$("$PYTHON3" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
base=http://127.0.0.1:$port

# The run command's own defaults, not this suite's settings.
unset REDIS_URL REDIS_HOST REDIS_PORT AUTH_MODE LOCAL_STORAGE_DIR \
    LOCAL_STORAGE_URL SPOOL_DIR WORKER_BIN JWT_SECRET
: >"$T/empty.env"	# not a developer's ./.env
export PAIRSTORE_ENV_FILE="$T/empty.env" PAIRSTORE_PORT=$port \
    PAIRSTORE_BUILD_DIR=$build PAIRSTORE_RUN_DIR=$T/run

# As a terminal would run it: SIGINT at its default disposition (an
# asynchronous command of a non-interactive shell has it ignored, and
# a shell cannot trap a signal ignored at its start).
"$PYTHON3" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' sh "$top/scripts/run" \
    >"$T/out" 2>&1 &
run=$!
i=0
while ! grep -q 'pairstore is running' "$T/out" && kill -0 $run 2>/dev/null &&
    [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1))
done
grep -q "pairstore is running: open $base/" "$T/out"
st=$?
ok $st "it prints the URL to open ($base/)"
[ $st -eq 0 ] || sed 's/^/# /' "$T/out"

# What it started, before anything can have ended.
procs=$(descendants $run)
redis_url="REDIS_URL=unix://$T/run/redis.sock"
procs=$(printf '%s\n%s\n' "$procs" "$(env_holders "$redis_url")" | sort -u)
n=$(printf '%s\n' "$procs" | grep -c .)
[ "$n" -ge 3 ]
ok $? "it runs redis-server, the worker and lighttpd ($n processes)"

code=$(curl -s -o "$T/page" -w '%{http_code}' --max-time 10 "$base/")
is "$code" 200 "the page at /"
grep -qi '<form' "$T/page"
ok $? "... is the browser page, with its forms"
code=$(curl -s -o "$T/health" -w '%{http_code}' --max-time 10 \
    "$base/cgi-bin/status/health")
is "$code" 200 "health: 200"
grep -q '"auth_mode":"demo"' "$T/health" || grep -q '"auth_mode": "demo"' \
    "$T/health"
ok $? "the default identity is demo mode"

code=$(curl -s -o "$T/pair" -w '%{http_code}' --max-time 10 \
    -H 'X-Pairstore-User: newcomer' -d phone=4915123456789 \
    "$base/cgi-bin/pair")
is "$code" 202 "pair: 202"
i=0
while [ $i -lt 100 ]; do
	curl -s -o "$T/status" --max-time 10 -H 'X-Pairstore-User: newcomer' \
	    "$base/cgi-bin/status?job=pair%3Anewcomer"
	grep -q '"state":"completed"' "$T/status" && break
	sleep 0.1; i=$((i + 1))
done
grep -Eq '"code":"[A-Z0-9]{8}"' "$T/status"
st=$?
ok $st "the worker it started makes the code"
[ $st -eq 0 ] || sed 's/^/# /' "$T/status"

# A PNG: signature and IHDR, then bytes.
printf '\211PNG\r\n\032\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\10\6\0\0\0\37\25\304\211' \
    >"$T/photo.png"
head -c 100000 /dev/urandom >>"$T/photo.png"
code=$(curl -s -o "$T/upload" -w '%{http_code}' --max-time 30 \
    -H 'X-Pairstore-User: newcomer' -F kind=view-once \
    -F "file=@$T/photo.png" "$base/cgi-bin/upload")
is "$code" 201 "upload: 201"
grep -q '"backend":"local"' "$T/upload"
ok $? "... stored locally"
url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$T/upload")
case "$url" in
"$base/media/view-once/newcomer/"*.png) st=0 ;;
*) st=1 ;;
esac
ok $st "... at a URL under /media/ ($url)"
curl -s -o "$T/back" -D "$T/back.hdr" --max-time 10 "$url"
cmp -s "$T/photo.png" "$T/back"
ok $? "the URL serves the same bytes"
tr -d '\r' <"$T/back.hdr" | grep -qi '^X-Content-Type-Options: nosniff$'
ok $? "... with nosniff"

# Ctrl-C.
kill -INT $run
i=0
while kill -0 $run 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.1; i=$((i + 1))
done
wait $run
st=$?
is "$st" 130 "Ctrl-C stops it (exit status 130)"
tail -1 "$T/out" | grep -q '^stopped\.$'
ok $? "... saying so"
wait_gone 50 "$procs"
ok $? "every process it started has ended"
left=$(env_holders "$redis_url")
is "$left" "" "no process is left that uses its Redis"
[ ! -e "$T/run/redis.sock" ]
ok $? "its Redis socket is removed"
if [ -n "$left" ]; then
	stop_list "$left"
fi
done_testing
