#!/bin/sh
# provider_fail.sh - fails with a message on stderr.
printf '  upstream said no: quota \033[31mexceeded\r\n' >&2
echo "second line, not shown" >&2
echo NOT-USED
exit 1
