#!/bin/sh
# provider_signal.sh - dies of SIGTERM.
echo "about to be terminated" >&2
kill -TERM $$
sleep 5
