#!/bin/sh
# provider_huge.sh - a valid first line, then 1 MiB more: over the cap.
echo HUGE-1234
head -c 1048576 /dev/zero | tr '\000' x
