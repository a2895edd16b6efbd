#!/bin/sh
# provider_fds.sh - reports what it inherited: the test leaves a socket
# open on descriptor 42 without close-on-exec, and stdin must be
# /dev/null.  ([ is a shell builtin, so /proc/self is this shell.)
if [ -e /proc/self/fd/42 ]; then
	echo LEAKED-FD42
elif [ "$(readlink /proc/self/fd/0)" != /dev/null ]; then
	echo STDIN-NOT-DEVNULL
else
	echo FDS-CLEAN
fi
