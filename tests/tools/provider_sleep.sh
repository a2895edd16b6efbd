#!/bin/sh
# provider_sleep.sh - never answers in time.  The sleep runs as a child
# of this shell and holds stdout, so killing only this process would
# leave it behind: the provider must kill the whole process group.
sleep 30
echo TOO-LATE
