#!/bin/sh
# provider_ok.sh USER PHONE - a well-behaved exec pairing provider.
# Checks that argv and the environment agree, then prints a code built
# from them (padded with blanks and followed by a second line, which the
# provider must trim and ignore).
if [ "$#" -ne 2 ] || [ "$1" != "$PAIRSTORE_USER_ID" ] ||
    [ "$2" != "$PAIRSTORE_PHONE" ]; then
	echo "argv and environment disagree" >&2
	exit 3
fi
printf '  OK-%s-%s \r\nsecond line is ignored\n' "$1" "$2"
