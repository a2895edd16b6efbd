#!/bin/sh
# test_apache.sh - pair -> status -> code through Debian's Apache 2.4,
# started by tests/with-apache.sh with the shipped configurations, in
# each way apache-conf/README.md documents:
#   vhost     pairstore-vhost.conf: mod_fcgid, FcgidInitialEnv naming
#             the .env, JWT identities (CGIPassAuth hands the program
#             the Authorization header)
#   htaccess  htaccess.example on shared hosting: FcgidWrapper, the .env
#             outside public_html, demo identities
#   cgi       the same .htaccess where mod_fcgid is not loaded: its
#             plain CGI fallback (mod_cgid), JWT through SetEnvIf
# With a real redis-server (tests/with-redis.sh) and the real worker
# (pairstore worker --drain).  Also what the configurations promise:
# request sizes (FcgidMaxRequestLen in the vhost, the 128 KiB that
# .htaccess cannot raise, LimitRequestBody), the media directory's
# headers, a stray .env never served, the programs running as the
# Apache user with no secret in their environment, and no process left
# once the harness has exited.
#
# Needs PAIR, STATUS, PAIRSTORE, MKJWT (set by make check).  UPLOAD,
# when it names an executable, adds the upload program and the 5 MB
# upload check of each mode; until then that check is skipped
# ("# SKIP upload program not built").
. "${srcdir:-.}/tests/lib.sh"
set -u

: "${PAIR:?}" "${STATUS:?}" "${PAIRSTORE:?}" "${MKJWT:?}"
T=${PS_TEST_TMPDIR:?run under tests/with-redis.sh}
top=${srcdir:-.}
# shellcheck source=tests/proc.sh
. "$top/tests/proc.sh"

# ------------------------------------------------------------ helpers

# hdr, hs, sniff_table and the rest from webtest.sh; req and json differ
# here (the harness's base URL; nested JSON fields), so they follow it.
. "$top/tests/webtest.sh"

# req METHOD PATH [curl args...]: body in $T/body, headers in $T/hdr,
# status code on stdout.
req() {
	_rm=$1 _rp=$2
	shift 2
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$_rm" \
	    --noproxy '*' --max-time 30 "$@" "$PS_TEST_BASE_URL$_rp"
}
json() {	# json FIELD: a field of the JSON body (a.b for nested)
	python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else (str(v).lower() if isinstance(v, bool) else v))' \
	    "$T/body" "$1" 2>/dev/null
}
drain() { "$PAIRSTORE" worker --drain >>"$T/worker.log" 2>&1; }
skip() {	# skip DESCRIPTION REASON
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# The PIDs of the running processes whose executable is PROGRAM.
prog_pids() {
	find /proc/[0-9]*/exe -maxdepth 0 -lname "$1" 2>/dev/null |
	    cut -d/ -f3
}
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
environ_has() {	# environ_has PID NAME=VALUE
	tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qxF -- "$2"
}
environ_names() {	# the variable names in PID's environment
	tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed 's/=.*//'
}

# media_line PATH: "CODE TYPE [DISPOSITION] NOSNIFF SANDBOX" of GET PATH.
media_line() {
	_ml=$(req GET "$1")
	_sb=""
	hdr Content-Security-Policy | grep -Eq '(^|; *)sandbox(;|$)' &&
	    _sb=sandbox
	echo "$_ml $(hdr Content-Type) [$(hdr Content-Disposition)]" \
	    "$(hdr X-Content-Type-Options) $_sb"
}
# The AddType lines of a media block as "EXT MIME", and its in-place
# (FilesMatch) extensions, one a line.
conf_types() {
	sed -n 's/^[#[:space:]]*AddType //p' "$1" | awk '{
		for (i = 2; i <= NF; i++) { e = $i; sub(/^[.]/, "", e); print e, $1 } }' |
	    sort
}
conf_inline() {
	sed -n 's/.*<FilesMatch "\\\.(\([a-z0-9|]*\))\$">.*/\1/p' "$1" |
	    tr '|' '\n' | sort
}

# The status line of the answer to a request that declares a body of
# LENGTH bytes and sends 7 of them; "timeout" after 10 s.
declared_body() {	# declared_body PATH LENGTH HEADER
	python3 - "${PS_TEST_BASE_URL##*:}" "$1" "$2" "$3" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.settimeout(10)
s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\n"
           "Content-Length: %s\r\nConnection: close\r\n\r\nphone=1"
           % (sys.argv[2], sys.argv[4], sys.argv[3])).encode())
try:
    head = s.recv(4096).split(b"\r\n\r\n")[0].split(b"\r\n")
    ctype = [h for h in head if h.lower().startswith(b"content-type:")]
    print(head[0].decode() + " | " + (ctype[0].decode() if ctype else ""))
except socket.timeout:
    print("timeout")
EOF
}

# ------------------------------------------------------------ the phase

# One mode, inside with-apache.sh: the flow, then what is special to
# the mode.  USER and the identity header depend on the mode.
phase_flow() {
	m=$PS_TEST_APACHE_MODE
	log=$PS_TEST_APACHE_ERRORLOG
	case "$m" in
	vhost) user=alice ;;
	htaccess) user=bob ;;
	cgi) user=carol ;;
	esac
	if [ "$AUTH_MODE" = jwt ]; then
		id="Authorization: Bearer $(hs "$user")"
	else
		id="X-Pairstore-User: $user"
	fi

	# --- pair -> status -> code
	code=$(req POST /cgi-bin/pair -H "$id" \
	    --data-urlencode 'phone=+49 151 23456789')
	is "$code" 202 "$m: POST /cgi-bin/pair ($AUTH_MODE identity): 202"
	is "$(json job)" "pair:$user" "$m: the job is pair:$user"
	is "$(json state)" waiting "$m: state waiting"

	code=$(req POST /cgi-bin/pair -H "$id" -d 'phone=4915123456789')
	is "$code" 429 "$m: a second request while one is in flight: 429"
	ra=$(hdr Retry-After)
	[ -n "$ra" ] && [ "$ra" -ge 1 ] 2>/dev/null && [ "$ra" -le 300 ]
	ok $? "$m: with Retry-After ($ra)"

	code=$(req GET "/cgi-bin/status?job=pair:$user" -H "$id")
	is "$code" 200 "$m: GET /cgi-bin/status?job=: 200"
	is "$(json state)" waiting "$m: status shows waiting"

	drain
	ok $? "$m: pairstore worker --drain ran the job"
	code=$(req GET "/cgi-bin/status?job=pair:$user" -H "$id")
	is "$(json state)" completed "$m: status shows completed"
	c=$(json code)
	echo "$c" | grep -Eq '^[1-9A-HJ-NP-TV-Z]{8}$'
	ok $? "$m: with an 8-character code ($c)"

	code=$(req GET /cgi-bin/status/health)
	is "$code" 200 "$m: /cgi-bin/status/health (PATH_INFO): 200"
	is "$(json redis.ok)" true "$m: health sees Redis"

	grep -qF "[SessionLock] Lock acquired for user $user" "$log"
	ok $? "$m: the programs' log lines reach Apache's error log"

	# --- how the programs run
	if [ "$m" = cgi ]; then
		! grep -q 'serving as FastCGI' "$log"
		ok $? "$m: the programs ran as plain CGI, not FastCGI"
		i=0
		while [ -n "$(prog_pids "$PS_TEST_APACHE_CGIBIN/pair")" ] &&
		    [ $i -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ -z "$(prog_pids "$PS_TEST_APACHE_CGIBIN/pair")" ]
		ok $? "$m: one process per request, none left running"
	else
		pid=$(prog_pids "$PS_TEST_APACHE_CGIBIN/pair" | head -1)
		fcgi="pair[$pid]: [Server] pair serving as FastCGI"
		[ -n "$pid" ] && grep -qF "$fcgi" "$log"
		ok $? "$m: pair stays up as a FastCGI process (pid $pid)"
		is "$(uid_of "$pid")" "$(id -u "$PS_TEST_APACHE_USER")" \
		    "$m: as $PS_TEST_APACHE_USER, not root"
		how="the FcgidWrapper"
		[ "$m" = vhost ] && how=FcgidInitialEnv
		environ_has "$pid" \
		    "PAIRSTORE_ENV_FILE=$PS_TEST_APACHE_ENV_FILE"
		ok $? "$m: PAIRSTORE_ENV_FILE names the .env ($how)"
		ours='^(PATH|PWD|PAIRSTORE_ENV_FILE|(ASAN|UBSAN|LSAN)_OPTIONS)$'
		bad=$(environ_names "$pid" | grep -Ev "$ours" | tr '\n' ' ')
		is "$bad" "" "$m: nothing else in its environment (no secret)"
	fi

	"mode_$m"
	upload_check
}

# No worker runs: pair starts one (WORKER_SPAWN), which must run the
# job without holding the request, and be stopped with Apache.
phase_ondemand() {
	m=$PS_TEST_APACHE_MODE
	log=$PS_TEST_APACHE_ERRORLOG
	id="X-Pairstore-User: erin"
	code=$(req POST /cgi-bin/pair -H "$id" -d 'phone=4915123456789')
	is "$code" 202 "on demand ($m): POST pair with no worker running: 202"
	i=0
	while [ $i -lt 100 ]; do
		req GET '/cgi-bin/status?job=pair:erin' -H "$id" >/dev/null
		[ "$(json state)" = completed ] && break
		sleep 0.1
		i=$((i + 1))
	done
	is "$(json state)" completed \
	    "on demand ($m): a worker started by pair ran the job"
	grep -q 'started an on-demand worker' "$log"
	ok $? "on demand ($m): pair logged that it started one"
	wpid=$(sed -n 's/.*\[Worker\] worker [^ ]*:\([0-9]*\) started.*/\1/p' \
	    "$log" | head -1)
	[ -n "$wpid" ] && proc_alive "$wpid"
	ok $? "on demand ($m): it waits for more work (pid $wpid)"
	echo "$wpid" >>"$T/$run.pids"
}

mode_vhost() {
	code=$(req POST /cgi-bin/pair -d 'phone=4915123456789')
	is "$code" 401 "vhost: no token: 401 (identity is the JWT's)"
	# The program refuses any pair body over 16 KiB: its 413 (problem
	# JSON) proves the 5 MB went past mod_fcgid (FcgidMaxRequestLen).
	code=$(req POST /cgi-bin/pair -H "$id" --data-binary "@$T/5mb.bin")
	is "$code" 413 "vhost: a 5 MB body reaches the program (its 413)"
	is "$(hdr Content-Type)" application/problem+json \
	    "vhost: the 413 is the program's problem+json, not Apache's"
	# LimitRequestBody: a body declared larger is not read at all (the
	# client sends 7 bytes of it; without the limit Apache would wait
	# for the rest).  mod_fcgid hands the program an empty body.
	line=$(declared_body /cgi-bin/pair 200000000 "$id")
	case "$line" in
	"HTTP/1.1 4"[0-9][0-9]" "*) st=0 ;;
	*) st=1 ;;
	esac
	ok $st "vhost: a declared 200 MB body: answered at once ($line)"
	# mod_fcgid 2.3.9 does not pass Apache's 413 on: it runs the
	# program with an empty body and CONTENT_LENGTH 0, so the answer is
	# the program's 400 for a missing phone (apache-conf/README.md).
	is "$line" "HTTP/1.1 400 Bad Request | Content-Type: application/problem+json" \
	    "vhost: ... refused by the program, which never saw the body"

	# Files planted by hand, in a user the upload check does not use
	# (its directories would be root's, not writable by the programs).
	mkdir -p "$PS_TEST_APACHE_MEDIA/deleted-messages/planted" &&
	    printf '<script>alert(1)</script>' \
	    >"$PS_TEST_APACHE_MEDIA/deleted-messages/planted/x.html" &&
	    printf '\211PNG\r\n\032\n' \
	    >"$PS_TEST_APACHE_MEDIA/deleted-messages/planted/x.png" &&
	    chmod -R a+rX "$PS_TEST_APACHE_MEDIA/deleted-messages"
	code=$(req GET /media/deleted-messages/planted/x.html)
	is "$code" 200 "vhost: /media/ serves LOCAL_STORAGE_DIR"
	is "$(hdr X-Content-Type-Options)" nosniff "vhost: media: nosniff"
	hdr Content-Security-Policy | grep -q '^sandbox'
	ok $? "vhost: media: Content-Security-Policy: sandbox"
	is "$(hdr Content-Disposition)" attachment \
	    "vhost: media: a stored HTML file is a download"
	code=$(req GET /media/deleted-messages/planted/x.png)
	is "$code:$(hdr Content-Disposition)" "200:" \
	    "vhost: media: an image is shown inline"
	media_htaccess_planted vhost "$PS_TEST_APACHE_MEDIA"
}

# Hostile files planted in a media directory (MEDIA) and what Apache
# makes of them: only the extension decides, nothing runs or is listed.
media_htaccess_planted() {	# media_htaccess_planted MODE MEDIA
	_d=$2/deleted-messages/planted
	mkdir -p "$_d" &&
	    printf '<script>alert(1)</script>' >"$_d/x.html" &&
	    printf '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>' \
	    >"$_d/x.svg" &&
	    printf '#!/bin/sh\necho Content-Type: text/html\necho\necho ran\n' \
	    >"$_d/x.cgi" && chmod 755 "$_d/x.cgi" &&
	    printf '\211PNG\r\n\032\n' >"$_d/x.png" &&
	    ln -sf /etc/passwd "$_d/passwd.png" &&
	    chmod -R a+rX "$2/deleted-messages"
	for _f in x.html x.svg x.cgi; do
		is "$(media_line "/media/deleted-messages/planted/$_f")" \
		    "200 application/octet-stream [attachment] nosniff sandbox" \
		    "$1: media: a planted $_f is inert data, a download"
	done
	grep -q '^echo ran' "$T/body"
	ok $? "$1: media: ... the script's text, not its output"
	is "$(media_line /media/deleted-messages/planted/x.png)" \
	    "200 image/png [] nosniff sandbox" \
	    "$1: media: a .png is shown in place as image/png"
	_l=$(media_line /media/deleted-messages/planted/passwd.png)
	[ "${_l%% *}" != 200 ] && ! grep -q 'root:' "$T/body"
	ok $? "$1: media: a symlink is not followed (${_l%% *})"
	for _p in /media/ /media/deleted-messages/ \
	    /media/deleted-messages/planted/; do
		_c=$(req GET "$_p")
		! grep -q 'x\.svg' "$T/body" && [ "$_c" != 200 ]
		ok $? "$1: media: GET $_p: $_c, no listing"
	done
}

mode_htaccess() {
	# pair answers 413 to any body over 16 KiB once it sees it: under
	# 128 KiB it does, over it mod_fcgid answers 500 first.
	code=$(req POST /cgi-bin/pair -H "$id" --data-binary "@$T/100k.bin")
	is "$code:$(hdr Content-Type)" 413:application/problem+json \
	    "htaccess: a 100 KB body reaches the program (its 413)"
	: >"$T/hdr"
	code=$(req POST /cgi-bin/pair -H "$id" --data-binary "@$T/5mb.bin")
	is "$code" 500 \
	    "htaccess: a 5 MB body: 500 from mod_fcgid (htaccess.example)"
	grep -q 'exceeds MaxRequestLen (131072)' "$PS_TEST_APACHE_ERRORLOG"
	ok $? "htaccess: the error log says why (exceeds MaxRequestLen)"

	printf 'JWT_SECRET=decoy\n' >"$PS_TEST_APACHE_CGIBIN/.env"
	chmod 644 "$PS_TEST_APACHE_CGIBIN/.env"
	code=$(req GET /cgi-bin/.env)
	is "$code" 404 "htaccess: a stray cgi-bin/.env is not served"
	! grep -q decoy "$T/body"
	ok $? "htaccess: not a byte of it"
	code=$(req GET /cgi-bin/.htaccess)
	is "$code" 403 "htaccess: nor the .htaccess"

	# public_html/media/.htaccess, as htaccess.example says to write it.
	pub=$(dirname "$PS_TEST_APACHE_CGIBIN")
	mkdir -p "$pub/media" &&
	    sed -n '/^# BEGIN media\/.htaccess$/,/^# END media\/.htaccess$/{
		/^# BEGIN /d; /^# END /d; s/^# \{0,1\}//; p; }' \
	    "$top/apache-conf/htaccess.example" >"$pub/media/.htaccess" &&
	    chmod 755 "$pub/media" && chmod 644 "$pub/media/.htaccess"
	grep -q '^Header always set X-Content-Type-Options nosniff$' \
	    "$pub/media/.htaccess"
	ok $? "htaccess: media/.htaccess taken from htaccess.example"
	media_htaccess_planted htaccess "$pub/media"
	code=$(req GET /media/.htaccess)
	is "$code" 403 "htaccess: media: the .htaccess itself is not served"
}

mode_cgi() {
	code=$(req POST /cgi-bin/pair -d 'phone=4915123456789')
	is "$code" 401 "cgi: no token: 401 (with one: 202, through SetEnvIf)"
	# Under mod_cgid a program that answers without reading its body
	# would make Apache reset the connection (AH02651 Broken pipe); the
	# CGI transport drains the rest of the body after an early answer.
	: >"$T/hdr"
	code=$(req POST /cgi-bin/pair -H "$id" --data-binary "@$T/5mb.bin")
	is "$code:$(hdr Content-Type)" 413:application/problem+json \
	    "cgi: a 5 MB body to pair: its 413, not a reset connection"
}

# The 5 MB upload of each mode: a multipart POST to the upload program.
upload_check() {
	# ---- HOOK: the upload program (cgi-bin/upload, env UPLOAD) ----
	# Runs once UPLOAD names the built program; until then skipped.
	if [ -z "${UPLOAD:-}" ] || [ ! -x "$UPLOAD" ]; then
		skip "$m: a 5 MB upload through Apache" \
		    "upload program not built"
		return
	fi
	: >"$T/hdr"
	code=$(req POST /cgi-bin/upload -H "$id" -F kind=view-once \
	    -F "file=@$T/5mb.bin;type=application/octet-stream")
	case "$m" in
	vhost | cgi)
		is "$code" 201 "$m: a 5 MB upload is stored: 201"
		[ "$code" = 201 ] || diag "answer: $(head -c 400 "$T/body")"
		is "$(json bytes)" 5242880 "$m: all 5242880 bytes of it"
		is "$(json sha256)" "$(sha256sum <"$T/5mb.bin" | cut -c1-64)" \
		    "$m: intact (sha256)"
		;;
	htaccess)
		# Documented: FcgidMaxRequestLen cannot be raised in
		# .htaccess, so mod_fcgid refuses it before the program.
		is "$code" 500 \
		    "$m: a 5 MB upload: 500 (FcgidMaxRequestLen, the host's)"
		;;
	esac
	if [ "$m" = vhost ] && [ "$code" = 201 ]; then
		path=$(json url)
		path=/media/${path#"$LOCAL_STORAGE_URL"/}
		code=$(req GET "$path")
		is "$code" 200 "$m: the stored file is served at its URL"
		cmp -s "$T/body" "$T/5mb.bin"
		ok $? "$m: byte for byte"
		is "$(media_line "$path")" \
		    "200 application/octet-stream [attachment] nosniff sandbox" \
		    "$m: media: raw data: octet-stream, a download, nosniff, sandbox"
		upload_media_check
	fi
}

# vhost: an HTML upload is stored raw and served as a download; every
# sample of tests/data/media is stored under its extension and shown in
# place with the type lib/ps_sniff.c gives it.
upload_media_check() {
	printf '<!doctype html><script>alert(document.cookie)</script>\n' \
	    >"$T/evil.html"
	# (Not deleted-messages: the planted files made that directory
	# root's, not writable by the programs.)
	code=$(req POST /cgi-bin/upload -H "$id" -F kind=view-once \
	    -F "file=@$T/evil.html;type=text/html")
	is "$code:$(json resource_type)" 201:raw \
	    "$m: media: an HTML upload is stored raw"
	path=$(json url)
	path=/media/${path#"$LOCAL_STORAGE_URL"/}
	is "$(media_line "$path")" \
	    "200 application/octet-stream [attachment] nosniff sandbox" \
	    "$m: media: ... and served as a download, not as text/html"
	table=$(sniff_table)
	bad=""
	n=0
	for f in "$top"/tests/data/media/sample*.*; do
		req POST /cgi-bin/upload -H "$id" -F kind=scheduled-status \
		    -F "file=@$f;type=application/octet-stream" >/dev/null
		path=$(json url)
		path=/media/${path#"$LOCAL_STORAGE_URL"/}
		ext=${path##*.}
		mime=$(echo "$table" | awk -v e="$ext" '$1 == e { print $2 }')
		got=$(media_line "$path")
		[ -n "$mime" ] && [ "$got" = "200 $mime [] nosniff sandbox" ] ||
		    bad="$bad ${f##*/}=$ext:$got"
		n=$((n + 1))
	done
	[ $n -gt 10 ] && [ -z "$bad" ]
	ok $? "$m: media: $n sample files shown in place with their type${bad:+ (wrong:$bad)}"
}

# ------------------------------------------------------------ main

if [ "${1:-}" = inner ]; then
	# Inner: one phase, numbered on from the count file.
	run=$2
	tap_n=$(cat "$T/count" 2>/dev/null || echo 0)
	: >"$T/$run.pids"
	"phase_$3"
	# What the harness must stop: Apache and everything under it.
	{
		echo "$PS_TEST_APACHE_PID"
		descendants "$PS_TEST_APACHE_PID" | awk '{ print $1 }'
	} >>"$T/$run.pids"
	echo "$PS_TEST_APACHE_DIR" >"$T/$run.dir"
	echo "$tap_n" >"$T/count"
	exit 0
fi

for tool in curl python3; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "Bail out! $tool not found (apt-get install $tool)"
		exit 99
	}
done
if [ "$(id -u)" -ne 0 ] && { [ ! -x /usr/sbin/apache2 ] ||
    [ ! -r /usr/lib/apache2/modules/mod_fcgid.so ]; }; then
	echo "1..0 # SKIP apache2 and libapache2-mod-fcgid not installed" \
	    "(apt-get install them, or run as root)"
	exit 0
fi

head -c 5242880 /dev/urandom >"$T/5mb.bin"
head -c 102400 /dev/zero | tr '\0' 1 >"$T/100k.bin"
tmpmode=$(stat -c %a "$T")

# Apache's children (www-data) cannot reach redis-server's unix socket
# (0700): the programs, and so the worker, use its loopback port.
export REDIS_URL="redis://127.0.0.1:$PS_TEST_REDIS_PORT/0"
export WORKER_SPAWN=false LOG_LEVEL=info
export JWT_SECRET=test-only-jwt-secret-for-pairstore-0001
# Local storage (the upload check), writable by the Apache user.
export LOCAL_STORAGE_DIR="$T/media" LOCAL_STORAGE_URL=http://127.0.0.1/media
mkdir -p "$LOCAL_STORAGE_DIR" && chmod 755 "$LOCAL_STORAGE_DIR"
if [ "$(id -u)" -eq 0 ]; then
	apache_user=${PS_TEST_APACHE_USER:-www-data}
	chown "$apache_user:$(id -gn "$apache_user")" "$LOCAL_STORAGE_DIR"
fi
progs="--program pair=$PAIR --program status=$STATUS"
if [ -n "${UPLOAD:-}" ] && [ -x "$UPLOAD" ]; then
	progs="$progs --program upload=$UPLOAD"
fi

apache_run() {	# apache_run MODE PHASE [harness options]
	m=$1
	ph=$2
	shift 2
	run=$m-$ph
	# shellcheck disable=SC2086
	sh=${SHELL:-/bin/sh}
	"$sh" "$top/tests/with-apache.sh" --mode "$m" $progs "$@" -- \
	    "$sh" "$0" inner "$run" "$ph" >>"$T/tap" 2>>"$T/inner.err"
	rc=$?
	# Outer checks, numbered on after the phase's.
	tap_n=$(cat "$T/count" 2>/dev/null || echo 0)
	{
		is "$rc" 0 "$run: with-apache.sh ran the phase and exited 0"
		left=""
		if [ -s "$T/$run.pids" ]; then
			for p in $(cat "$T/$run.pids"); do
				proc_alive "$p" && left="$left $p"
			done
		fi
		[ -s "$T/$run.pids" ] && [ -z "$left" ]
		ok $? "$run: Apache and all it started ended${left:+ (left:$left)}"
		d=$(cat "$T/$run.dir" 2>/dev/null)
		[ -n "$d" ] && [ -z "$(exe_under "$d")" ]
		ok $? "$run: no process runs a program from its directory"
		[ -n "$d" ] && [ ! -e "$d" ]
		ok $? "$run: its temp directory is removed"
	} >>"$T/tap"
	echo "$tap_n" >"$T/count"
}

: >"$T/tap"
AUTH_MODE=jwt apache_run vhost flow --media "$LOCAL_STORAGE_DIR"
(unset JWT_SECRET; AUTH_MODE=demo apache_run htaccess flow)
AUTH_MODE=jwt apache_run cgi flow
# The on-demand worker: WORKER_BIN must be reachable by the Apache user.
mkdir -p "$T/bin" && cp "$PAIRSTORE" "$T/bin/pairstore" &&
    chmod 755 "$T/bin" "$T/bin/pairstore"
(unset JWT_SECRET; AUTH_MODE=demo WORKER_SPAWN=true \
    WORKER_BIN=$T/bin/pairstore WORKER_IDLE_EXIT_S=300 \
    apache_run cgi ondemand)

cat "$T/tap"
tap_n=$(cat "$T/count")
tap_fail=$(grep '^not ok' "$T/tap" | grep -vc '# TODO')
is "$(stat -c %a "$T")" "$tmpmode" \
    "the test directory has its mode back ($tmpmode)"
# The media lists: lib/ps_sniff.c's media types, no more, no less.
table=$(sniff_table)
for f in pairstore-vhost.conf htaccess.example; do
	is "$(conf_types "$top/apache-conf/$f")" "$table" \
	    "$f: media AddType lines: exactly lib/ps_sniff.c's media types"
	is "$(conf_inline "$top/apache-conf/$f")" \
	    "$(echo "$table" | cut -d' ' -f1)" \
	    "$f: media shown in place: exactly those extensions"
done
if pgrep -x apache2 >/dev/null 2>&1; then
	diag "apache2 processes on this machine (not ours):" \
	    "$(pgrep -x apache2 | tr '\n' ' ')"
fi
if grep -q . "$T/inner.err"; then
	diag "stderr of the phases:"
	sed 's/^/# /' "$T/inner.err" | head -20
fi
done_testing
