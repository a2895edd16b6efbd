#!/bin/sh
# with-redis.sh PROGRAM [ARGS...]
#
# Test wrapper (automake LOG_COMPILER).  Tests under integration/ get a
# private redis-server: a fresh temp directory, a random loopback port and
# a unix socket, no persistence unless the test turns it on.  The server
# is stopped by PID on every exit path.  Exported to the test:
#   PS_TEST_REDIS_PORT PS_TEST_REDIS_SOCK PS_TEST_REDIS_CONF
#   PS_TEST_REDIS_PIDFILE PS_TEST_TMPDIR REDIS_URL
# and PS_TEST_NAME, the test's file name without directory and
# extension (tests/with-lighttpd.sh and tests/with-apache.sh name their
# log copies after it).
# PS_TEST_WRAPPER (e.g. "valgrind --error-exitcode=99 ...") runs the test
# program under a tool; PS_TEST_WRAP_MATCH limits that to test names
# matching a shell pattern.
# PS_TEST_ARTIFACTS (make check sets it to tests/artifacts of the build
# tree): before the temp directory is removed, its files under 1 MiB
# (answers, logs, TAP the test left there) are copied to
# $PS_TEST_ARTIFACTS/responses/TEST-PID/ for
# tests/integration/test_secrets.sh; configuration and key files
# (*.env, .env, *.pem, *.key, *.secrets) and Redis data files are not.
set -u

# The test is the first argument that is not an interpreter path.
# PS_TEST_NEED_REDIS=1 asks for a server whatever the path (benchmarks).
need_redis=${PS_TEST_NEED_REDIS:-0}
prog=$1
for a in "$@"; do
	case "$a" in
	*/integration/*) need_redis=1; prog=$a; break ;;
	esac
done

wrap=""
if [ -n "${PS_TEST_WRAPPER:-}" ]; then
	# shellcheck disable=SC2254
	case "$prog" in
	${PS_TEST_WRAP_MATCH:-*}) wrap=$PS_TEST_WRAPPER ;;
	esac
fi

if [ "$need_redis" = 0 ]; then
	exec $wrap "$@"
fi

REDIS_SERVER=${REDIS_SERVER:-redis-server}
command -v "$REDIS_SERVER" >/dev/null 2>&1 || {
	echo "Bail out! redis-server not found (apt-get install redis-server)"
	exit 99
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pairstore-test.XXXXXX") || exit 99
test_name=${prog##*/}
test_name=${test_name%.*}
redis_pid=""
# What the test left in its temp directory, for the secrets check.
save_responses() {
	[ -n "${PS_TEST_ARTIFACTS:-}" ] && [ -d "$tmp" ] || return 0
	dest=$PS_TEST_ARTIFACTS/responses/$test_name-$$
	mkdir -p "$dest" || return 0
	(cd "$tmp" && find . -type f -size -1024k ! -name '*.env' \
	    ! -name .env ! -name '*.pem' ! -name '*.key' ! -name '*.secrets' \
	    ! -name '*.rdb' ! -name '*.aof' ! -name 'appendonly*' -print0 \
	    2>/dev/null | head -z -n 5000 | tar --null -T - -cf - 2>/dev/null) |
	    (cd "$dest" && tar -xf - 2>/dev/null)
	return 0
}
cleanup() {
	for pid in "$redis_pid" "$(cat "$tmp/redis.pid" 2>/dev/null)"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	for pid in "$redis_pid" "$(cat "$tmp/redis.pid" 2>/dev/null)"; do
		[ -n "$pid" ] || continue
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null
	done
	save_responses
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tries=0
while :; do
	tries=$((tries + 1))
	# A port in 20000-59999 from the kernel's randomness.
	port=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))
	cat > "$tmp/redis.conf" <<CONF
bind 127.0.0.1
port $port
unixsocket $tmp/redis.sock
unixsocketperm 700
dir $tmp
pidfile $tmp/redis.pid
logfile $tmp/redis.log
daemonize no
save ""
appendonly no
protected-mode yes
maxmemory-policy noeviction
CONF
	"$REDIS_SERVER" "$tmp/redis.conf" &
	redis_pid=$!
	i=0
	while [ $i -lt 100 ]; do
		[ -S "$tmp/redis.sock" ] && break
		kill -0 "$redis_pid" 2>/dev/null || break
		sleep 0.05; i=$((i + 1))
	done
	[ -S "$tmp/redis.sock" ] && break
	kill "$redis_pid" 2>/dev/null
	wait "$redis_pid" 2>/dev/null
	if [ $tries -ge 10 ]; then
		echo "Bail out! could not start redis-server:"
		sed 's/^/# /' "$tmp/redis.log" 2>/dev/null
		exit 99
	fi
done

export PS_TEST_REDIS_PORT=$port
export PS_TEST_REDIS_SOCK=$tmp/redis.sock
export PS_TEST_REDIS_CONF=$tmp/redis.conf
export PS_TEST_REDIS_PIDFILE=$tmp/redis.pid
export PS_TEST_TMPDIR=$tmp
export PS_TEST_NAME="$test_name"
export REDIS_URL=unix://$tmp/redis.sock
export REDIS_SERVER

$wrap "$@"
status=$?
exit $status
