#!/bin/sh
# slow-provider.sh - a pairing provider (PAIRING_PROVIDER=exec) that
# answers the way a real session engine does: a pairing code after a
# round trip to the messaging service, BENCH_PROVIDER_SECONDS (default
# 0.25 s).  bench/pair.sh uses it for the "60 users hammering" run, so
# that a user's job is in flight long enough for that user's next
# requests to be refused, as they are in production.
#   slow-provider.sh USER_ID PHONE
sleep "${BENCH_PROVIDER_SECONDS:-0.25}"
echo "BNCH1234"
