#!/bin/sh
# pairstore-wrapper.sh PROGRAM - start a pairstore program for mod_fcgid
# with its settings file.  Named by FcgidWrapper in htaccess.example:
#
#   FcgidWrapper "/home/USER/pairstore/pairstore-wrapper.sh /home/USER/public_html/cgi-bin/pair"
#
# A program reads its settings once, when it starts, from its process
# environment and from the .env file that PAIRSTORE_ENV_FILE names.  In
# .htaccess there is no way to set that variable for a FastCGI process:
# FcgidInitialEnv is refused there, and SetEnv reaches each request,
# not the process.  So mod_fcgid starts this script instead, and the
# script becomes the program (exec: same PID, nothing left behind).
#
# Replace /home/USER below by your home directory.  The .env must stay
# OUTSIDE the document root (public_html), readable only by the user
# the programs run as: your own on hosts that run scripts as their
# owner (suEXEC, suPHP-style hosting, CloudLinux), chmod 600; else the
# web server's user, which needs a group the host gives you.
PAIRSTORE_ENV_FILE=${PAIRSTORE_ENV_FILE:-/home/USER/pairstore/pairstore.env}
export PAIRSTORE_ENV_FILE

if [ $# -lt 1 ]; then
	echo "pairstore-wrapper.sh: no program given; use" \
	    "FcgidWrapper \"$0 /path/to/cgi-bin/PROGRAM\"" >&2
	exit 64
fi
# A missing or unreadable file is reported by the program itself (in
# the error log, once) and answered "500 Server misconfigured".
exec "$@"
