#!/bin/sh
# test_cli.sh - the pairstore command: check, lock acquire/show/release,
# --help, --version, exit statuses, secrets never printed.
. "${srcdir:-.}/tests/lib.sh"

P=${PAIRSTORE:?}
out=$PS_TEST_TMPDIR/out
err=$PS_TEST_TMPDIR/err

$P --version >"$out" 2>&1
ok $? "--version exits 0"
grep -q '^pairstore [0-9]' "$out"; ok $? "--version prints the version"

$P --help >"$out" 2>&1
ok $? "--help exits 0"
grep -q 'check' "$out" && grep -q 'lock' "$out"
ok $? "--help lists the commands"

$P frobnicate >"$out" 2>&1
[ $? -eq 2 ]; ok $? "an unknown command exits 2"

AUTH_MODE=demo REDIS_PASSWORD=cli-test-secret-value $P check >"$out" 2>"$err"
grep -q 'cli-test-secret-value' "$out" "$err"
[ $? -ne 0 ]; ok $? "check never prints the Redis password"
grep -q 'REDIS_PASSWORD.*\*\*\*\*\*\*\*\*' "$out"
ok $? "check shows the password as ********"

AUTH_MODE=demo $P check >"$out" 2>&1
ok $? "check exits 0 with a reachable Redis"
grep -q 'identity: demo' "$out"; ok $? "check names the identity mode"
grep -q 'pairing provider: builtin' "$out"; ok $? "and the provider"

$P check >"$out" 2>&1
[ $? -eq 1 ]; ok $? "check exits 1 when AUTH_MODE=jwt has no key"
grep -q 'identity: error: .*JWT_SECRET' "$out"
ok $? "and says which setting is missing"

AUTH_MODE=demo PAIRING_PROVIDER=exec PAIRING_EXEC=relative.sh $P check \
    >"$out" 2>&1
[ $? -eq 1 ]; ok $? "check exits 1 on an unusable provider setting"
AUTH_MODE=demo $P check >"$out" 2>&1
grep -q 'no persistence' "$out"
ok $? "check warns that the test Redis has no persistence"

REDIS_URL=redis://127.0.0.1:1/0 REDIS_CONNECT_TIMEOUT_MS=200 \
    $P check >"$out" 2>&1
[ $? -eq 1 ]; ok $? "check exits 1 when Redis cannot be reached"
grep -q 'Redis not available' "$out"
ok $? "and says 'Redis not available'"

REDIS_PORT=notaport REDIS_URL= $P check >"$out" 2>&1
[ $? -eq 1 ]; ok $? "check exits 1 on an invalid setting"
grep -q 'REDIS_PORT must be' "$out"; ok $? "and names the setting"

envf=$PS_TEST_TMPDIR/bad.env
printf 'GOOD=1\nthis line is wrong\n' >"$envf"
PAIRSTORE_ENV_FILE=$envf $P check >"$out" 2>&1
[ $? -eq 1 ]; ok $? "check exits 1 on a malformed .env"
grep -q "$envf:2:" "$out"; ok $? "and names the file and line"

$P lock acquire cli-user --ttl 60000 >"$out" 2>"$err"
ok $? "lock acquire exits 0"
token=$(sed -n 's/^token=//p' "$out")
[ ${#token} -eq 32 ]; ok $? "lock acquire prints a 32-character token"
grep -q '\[SessionLock\] Lock acquired for user cli-user' "$err"
ok $? "the acquire log line is the documented one"

$P lock acquire cli-user >"$out" 2>&1
[ $? -eq 3 ]; ok $? "a second acquire exits 3"
grep -q 'retry_after_ms=' "$out"; ok $? "and tells how long to wait"

$P lock show cli-user --json >"$out" 2>&1
grep -q '"held":true' "$out"; ok $? "lock show --json says held"

$P lock release cli-user 0123456789abcdef0123456789abcdef >"$out" 2>&1
[ $? -eq 3 ]; ok $? "release with a wrong token exits 3"

$P lock release cli-user "$token" >"$out" 2>"$err"
ok $? "release with the token exits 0"
grep -q '\[SessionLock\] Lock released for user cli-user' "$err"
ok $? "the release log line is the documented one"

$P lock show cli-user >"$out" 2>&1
grep -q '^held=0' "$out"; ok $? "lock show says free afterwards"

$P lock acquire '../x' >"$out" 2>&1
[ $? -eq 2 ]; ok $? "an invalid user id exits 2"

done_testing
