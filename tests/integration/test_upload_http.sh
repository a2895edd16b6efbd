#!/bin/sh
# test_upload_http.sh - cgi-bin/upload end to end: a real lighttpd
# (tests/with-lighttpd.sh) spawning the built FastCGI program, a real
# redis-server (tests/with-redis.sh), uploads with curl and raw sockets.
#
#  local   the local backend only, its directory served by lighttpd:
#          the form, empty / tiny / 1 MB / 200 MB files (the 200 MB one
#          streams: the process's peak RSS stays under 16 MiB), every
#          URL serving the same bytes, HTML and SVG stored raw, path
#          traversal in kind, user id and filename, cross-site posts,
#          clients that go away mid-body (no spool file left), the part
#          rules, chunked and length-less bodies
#  limits  UPLOAD_MAX_BYTES=1000000: 413 before reading and while
#          reading, exactly the limit accepted, chunked oversize
#  origin  AUTH_MODE=remote_user behind HTTP Basic: 401 without a user,
#          PUBLIC_ORIGIN instead of the request's own origin
#  fakes   Cloudinary and Supabase fakes (tests/fakes/) before local:
#          Cloudinary first, a Cloudinary 500 lands in Supabase, both
#          down lands on the local disk; no secret in logs or answers
#  down    the fakes alone, both answering 500: 502, nothing stored
# Every accepted upload is stored in exactly one backend, with a URL
# that serves the same bytes (DESIGN.md, invariant 5).
#
# Needs UPLOAD (set by make check); PYTHON3 optional.
. "${srcdir:-.}/tests/lib.sh"
set -u

: "${UPLOAD:?}"
T=$PS_TEST_TMPDIR
top=${srcdir:-.}
PYTHON3=${PYTHON3:-python3}
WWW=$T/www
MEDIA=$WWW/media
SPOOL=$T/spool
MiB=1048576
# A generated object name without its extension (ps_storage.h).
GEN='[0-9]{8}T[0-9]{6}Z-[0-9a-f]{24}'

# Test-only credentials for the fakes, named so nobody mistakes them.
CLD_CLOUD=test-cloud
CLD_KEY=000000000000test
CLD_SECRET=test-only-cloudinary-secret
SB_KEY=test-only-supabase-service-key

# ------------------------------------------------------------ helpers

# up [curl args...]: POST to the upload program (query string: $Q);
# body in $T/body, headers in $T/hdr, the status code on stdout.
up() {
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 60 \
	    "$@" "$PS_TEST_BASE_URL/cgi-bin/upload${Q:-}"
}
hdr() {	# hdr NAME: the value of a response header
	tr -d '\r' <"$T/hdr" | sed -n "s/^$1: //Ip" | head -1
}
json() {	# json FIELD: a top-level field of the body
	"$PYTHON3" -c 'import json,sys
v=json.load(open(sys.argv[1])).get(sys.argv[2])
print("" if v is None else v)' "$T/body" "$1" 2>/dev/null
}
is() {	# is GOT WANT DESCRIPTION
	[ "$1" = "$2" ]
	st=$?
	ok $st "$3"
	[ $st -eq 0 ] || diag "got '$1', want '$2'"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
# The SHA-256 of what a URL serves (relative URLs: this server).
url_sha() {
	case "$1" in
	/*) u=$PS_TEST_BASE_URL$1 ;;
	*) u=$1 ;;
	esac
	rm -f "$T/fetched"
	# shellcheck disable=SC2086
	curl -s -f --max-time 60 ${AUTH_ARGS:-} -o "$T/fetched" -D "$T/fhdr" \
	    "$u" || { echo "fetch-failed"; return; }
	# curl writes no file for an empty body.
	[ -f "$T/fetched" ] || : >"$T/fetched"
	sha "$T/fetched"
}
local_count() { find "$MEDIA" -type f 2>/dev/null | wc -l | tr -d ' '; }
spool_count() { find "$SPOOL" -mindepth 1 2>/dev/null | wc -l | tr -d ' '; }
# The FastCGI process(es) lighttpd started.
fcgi_pids() { pgrep -P "$PS_TEST_LIGHTTPD_PID" 2>/dev/null; }
# Spool files the upload processes hold open (O_TMPFILE ones have no
# name but show up in /proc as "SPOOL/#inode (deleted)").
open_spools() {
	n=0
	for p in $(fcgi_pids); do
		for fd in /proc/"$p"/fd/*; do
			case "$(readlink "$fd" 2>/dev/null)" in
			"$SPOOL"/*) n=$((n + 1)) ;;
			esac
		done
	done
	echo "$n"
}
wait_for() {	# wait_for TENTHS COMMAND...: until COMMAND succeeds
	w=$1
	shift
	i=0
	while ! "$@"; do
		[ $i -ge "$w" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}
spool_open() { [ "$(open_spools)" -gt 0 ]; }
no_spool_open() { [ "$(open_spools)" -eq 0 ]; }
cut_short_logged() {	# more "body cut short" lines than $1
	[ "$(grep -c 'body cut short' "$PS_TEST_LIGHTTPD_ERRORLOG")" -gt "$1" ]
}
# An accepted upload: 201, in the backend named, one object more in
# all backends together, its URL serving the bytes of FILE.
accepted() {	# accepted CODE FILE BACKEND BEFORE DESCRIPTION
	is "$1" 201 "$5: 201"
	# One parse of the answer: backend, sha256, url.
	# shellcheck disable=SC2046
	set -- "$@" $("$PYTHON3" -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(d.get("backend"), d.get("sha256"), d.get("url"))' "$T/body" \
	    2>/dev/null || echo - - -)
	want=$(sha "$2")
	is "$6" "$3" "$5: stored in $3"
	is "$(all_count)" "$(($4 + 1))" "$5: exactly one object more"
	is "$7" "$want" "$5: sha256 of the bytes"
	is "$(url_sha "$8")" "$want" "$5: the URL serves the same bytes"
	is "$(hdr Location)" "$8" "$5: Location is the URL"
}
# Objects in every backend (the fakes count only when running).
all_count() {
	n=$(local_count)
	for f in cld sb; do
		[ -f "$T/$f.port" ] || continue
		k=$(curl -s --max-time 10 \
		    "http://127.0.0.1:$(cat "$T/$f.port")/__fake/objects" |
		    "$PYTHON3" -c 'import json,sys
d=json.load(sys.stdin); print(len(d.get("assets", d.get("objects", []))))')
		n=$((n + k))
	done
	echo "$n"
}
refused() {	# refused CODE WANT BEFORE DESCRIPTION
	is "$1" "$2" "$4: $2"
	is "$(all_count)" "$3" "$4: nothing stored"
	is "$(spool_count)" 0 "$4: spool directory empty"
}

# ------------------------------------------------------------ local

phase_local() {
	U='X-Pairstore-User: alice'

	# GET: the form.
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' \
	    "$PS_TEST_BASE_URL/cgi-bin/upload?user=%22%3E%3Cscript%3Ex")
	is "$code" 200 "GET: the form, 200"
	hdr Content-Type | grep -q '^text/html'
	ok $? "GET: text/html"
	csp="default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
	is "$(hdr Content-Security-Policy)" "$csp" \
	    "GET: Content-Security-Policy"
	is "$(hdr X-Frame-Options)" DENY "GET: X-Frame-Options DENY"
	grep -q 'enctype="multipart/form-data"' "$T/body" &&
	    grep -q 'name="file" type="file"' "$T/body" &&
	    grep -q '<option value="scheduled-status">' "$T/body"
	ok $? "GET: a multipart form with kind and file"
	! grep -q '<script' "$T/body" && grep -q '&lt;script' "$T/body"
	ok $? "GET: the echoed user is escaped"

	before=$(all_count)
	: >"$T/empty"
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/empty")
	accepted "$code" "$T/empty" local "$before" "empty file"
	is "$(json bytes)" 0 "empty file: 0 bytes"

	printf 'hello, pairstore\n' >"$T/tiny.txt"
	before=$(all_count)
	code=$(up -H "$U" -F kind=deleted-messages -F "file=@$T/tiny.txt")
	accepted "$code" "$T/tiny.txt" local "$before" "tiny file"
	is "$(json resource_type)" raw "tiny file: raw"
	json url | grep -Eq "^/media/deleted-messages/alice/${GEN}[.]bin\$"
	ok $? "tiny file: URL is /media/<kind>/<user>/<generated>.bin"
	is "$(hdr Content-Type)" application/json "tiny file: JSON answer"

	head -c $MiB /dev/urandom >"$T/1mb"
	before=$(all_count)
	code=$(up -H "$U" -F "file=@$T/1mb" -F kind=scheduled-status)
	accepted "$code" "$T/1mb" local "$before" "1 MB file, kind after file"
	is "$(json bytes)" $MiB "1 MB file: all bytes"

	cp "$top/tests/data/media/sample.png" "$T/sample.png"
	before=$(all_count)
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/sample.png")
	accepted "$code" "$T/sample.png" local "$before" "PNG"
	is "$(json resource_type)" image "PNG: image"
	json url | grep -q '[.]png$'
	ok $? "PNG: stored as .png"

	# 200 MB, streamed: the upload process's peak RSS stays small.
	head -c $((200 * MiB)) /dev/urandom >"$T/200mb"
	before=$(all_count)
	pid=$(fcgi_pids | head -1)
	t0=$(date +%s%N)
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/200mb")
	t1=$(date +%s%N)
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' \
	    "/proc/$pid/status" 2>/dev/null)
	diag "200 MB upload: $(( (t1 - t0) / 1000000 )) ms, peak RSS" \
	    "(VmHWM) of the upload process $pid: ${hwm:-?} kB"
	accepted "$code" "$T/200mb" local "$before" "200 MB file"
	# AddressSanitizer's shadow memory alone is larger than that.
	if ldd "$UPLOAD" 2>/dev/null | grep -q libasan; then
		tap_n=$((tap_n + 1))
		echo "ok $tap_n - 200 MB: peak RSS # SKIP ASan build"
	else
		[ -n "$hwm" ] && [ "$hwm" -lt 16384 ]
		ok $? "200 MB: peak RSS of the upload process ${hwm:-?} kB < 16 MiB"
	fi
	rm -f "$T/200mb" "$T/fetched"

	# Active content is stored raw, never as a page or an image.
	printf '<!DOCTYPE html><html><script>alert(1)</script></html>\n' \
	    >"$T/x.html"
	printf '<svg xmlns="http://www.w3.org/2000/svg">%s</svg>\n' \
	    '<script>alert(1)</script>' >"$T/x.svg"
	for f in x.html x.svg; do
		before=$(all_count)
		code=$(up -H "$U" -F kind=view-once \
		    -F "file=@$T/$f;type=${f#x.}/whatever")
		accepted "$code" "$T/$f" local "$before" "$f"
		is "$(json resource_type)" raw "$f: resource_type raw"
		json url | grep -q '[.]bin$'
		ok $? "$f: stored with extension .bin"
		ct=$(tr -d '\r' <"$T/fhdr" | sed -n 's/^Content-Type: //Ip')
		is "$ct" application/octet-stream \
		    "$f: served as application/octet-stream"
	done

	# Path traversal: kind and user refused, filename never used.
	find "$T" -type f | sort >"$T/files.before"
	before=$(all_count)
	code=$(up -H "$U" -F 'kind=../x' -F "file=@$T/tiny.txt")
	refused "$code" 400 "$before" "kind ../x"
	code=$(up -H "$U" -F 'kind=view-once/../../x' -F "file=@$T/tiny.txt")
	refused "$code" 400 "$before" "kind view-once/../../x"
	code=$(up -H 'X-Pairstore-User: ../x' -F kind=view-once \
	    -F "file=@$T/tiny.txt")
	refused "$code" 401 "$before" "user ../x in the header"
	code=$(up -F 'user=../../x' -F kind=view-once -F "file=@$T/tiny.txt")
	refused "$code" 401 "$before" "user ../../x in the form"
	code=$(Q='?user=..' up -F kind=view-once -F "file=@$T/tiny.txt")
	refused "$code" 401 "$before" "user .. in the query"
	for name in '../../etc/passwd' 'a/b.png' '/etc/shadow' '..'; do
		before=$(all_count)
		code=$(up -H "$U" -F kind=view-once \
		    -F "file=@$T/tiny.txt;filename=$name")
		accepted "$code" "$T/tiny.txt" local "$before" \
		    "filename $name"
		json url | grep -Eq "^/media/view-once/alice/${GEN}[.]bin\$"
		ok $? "filename $name: stored under a generated name only"
	done
	find "$T" -type f | sort >"$T/files.after"
	extra=$(comm -13 "$T/files.before" "$T/files.after" |
	    grep -v -e "^$MEDIA/view-once/alice/" -e "^$T/lighttpd\." \
	    -e "^$T/\(body\|hdr\|fhdr\|fetched\|files\.[a-z]*\)\$")
	is "$extra" "" "no file appeared outside the user's directory"

	# A NUL byte in the filename, through a raw socket.
	before=$(all_count)
	code=$(raw_post nul-filename)
	case "$code" in
	400) ok 0 "filename with a NUL byte: refused (400)" ;;
	201) json url | grep -Eq "/${GEN}[.]bin\$"
	     ok $? "filename with a NUL byte: stored under a generated name" ;;
	*) ok 1 "filename with a NUL byte: got $code" ;;
	esac
	[ "$code" = 201 ] && before=$((before + 1))
	is "$(all_count)" "$before" \
	    "filename with a NUL byte: at most one object"

	# Cross-site posts.
	before=$(all_count)
	code=$(up -H "$U" -H 'Sec-Fetch-Site: cross-site' -F kind=view-once \
	    -F "file=@$T/tiny.txt")
	refused "$code" 403 "$before" "Sec-Fetch-Site: cross-site"
	code=$(up -H "$U" -H 'Origin: http://evil.example' -F kind=view-once \
	    -F "file=@$T/tiny.txt")
	refused "$code" 403 "$before" "Origin: http://evil.example"
	code=$(up -H "$U" -H 'Sec-Fetch-Site: same-origin' \
	    -H 'Origin: http://evil.example' -F kind=view-once \
	    -F "file=@$T/tiny.txt")
	refused "$code" 403 "$before" "same-origin with a foreign Origin"
	code=$(up -H "$U" -H 'Origin: null' -F kind=view-once \
	    -F "file=@$T/tiny.txt")
	refused "$code" 403 "$before" "Origin: null"
	code=$(up -H "$U" -H 'Sec-Fetch-Site: same-origin' \
	    -H "Origin: $PS_TEST_BASE_URL" -F kind=view-once \
	    -F "file=@$T/tiny.txt")
	accepted "$code" "$T/tiny.txt" local "$before" \
	    "same-origin with its own Origin"

	# A browser that prefers HTML gets a page.
	before=$(all_count)
	code=$(up -H "$U" \
	    -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8' \
	    -F kind=view-once -F "file=@$T/tiny.txt")
	is "$code" 201 "HTML answer: 201"
	hdr Content-Type | grep -q '^text/html'
	ok $? "HTML answer: text/html"
	loc=$(hdr Location)
	grep -q "href=\"$loc\"" "$T/body"
	ok $? "HTML answer: links the stored file"
	is "$(url_sha "$loc")" "$(sha "$T/tiny.txt")" \
	    "HTML answer: the URL serves the bytes"
	is "$(all_count)" "$((before + 1))" "HTML answer: one object more"

	# The form's rules.
	before=$(all_count)
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/tiny.txt" \
	    -F "file=@$T/tiny.txt")
	refused "$code" 400 "$before" "two file parts"
	code=$(up -H "$U" -F kind=view-once -F caption=hi \
	    -F "file=@$T/tiny.txt")
	refused "$code" 400 "$before" "an unknown part"
	code=$(up -H "$U" -F "file=@$T/1mb")
	refused "$code" 400 "$before" "no kind"
	code=$(up -H "$U" -F kind=view-once)
	refused "$code" 400 "$before" "no file"
	code=$(up -H "$U" -F kind=photos -F "file=@$T/1mb")
	refused "$code" 400 "$before" "kind not in the allow-list"
	code=$(up -H "$U" -d 'kind=view-once')
	refused "$code" 415 "$before" "urlencoded body"
	is "$(hdr Content-Type)" application/problem+json \
	    "errors are problem+json"
	code=$(up -X PUT -H "$U" -F kind=view-once -F "file=@$T/tiny.txt")
	refused "$code" 405 "$before" "PUT"
	is "$(hdr Allow)" "GET, HEAD, POST" "405 says Allow: GET, HEAD, POST"
	# No Content-Length.  lighttpd hands a chunked body on with a
	# CONTENT_LENGTH when all of it is in by the time it passes the
	# request on, else it answers 411 itself (server.stream-request-body);
	# without Transfer-Encoding there is no body at all: 411.
	code=$(raw_post no-length)
	refused "$code" 411 "$before" "no Content-Length, no chunks"
	code=$(raw_post chunked-slow 5000)
	refused "$code" 411 "$before" "chunked body still arriving"
	code=$(raw_post chunked-whole 5000)
	is "$code" 201 "chunked body complete at once: 201"
	is "$(all_count)" "$((before + 1))" \
	    "chunked body complete at once: stored once"
	head -c 5000 /dev/zero | tr '\0' x >"$T/5000x"
	is "$(url_sha "$(json url)")" "$(sha "$T/5000x")" \
	    "chunked body complete at once: the URL serves the bytes"

	# Clients that go away in the middle of the body.
	head -c $((40 * MiB)) /dev/urandom >"$T/40mb"
	before=$(all_count)
	cuts=$(grep -c 'body cut short' "$PS_TEST_LIGHTTPD_ERRORLOG")
	curl -s -o /dev/null --limit-rate 2M -H "$U" -F kind=view-once \
	    -F "file=@$T/40mb" "$PS_TEST_BASE_URL/cgi-bin/upload" &
	cpid=$!
	wait_for 100 spool_open
	ok $? "curl killed mid-body: the upload was being spooled"
	kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	wait_for 100 cut_short_logged "$cuts"
	ok $? "curl killed mid-body: the program saw the client go away"
	wait_for 50 no_spool_open
	ok $? "curl killed mid-body: no spool file open"
	is "$(spool_count)" 0 "curl killed mid-body: spool directory empty"
	is "$(all_count)" "$before" "curl killed mid-body: nothing stored"

	cuts=$(grep -c 'body cut short' "$PS_TEST_LIGHTTPD_ERRORLOG")
	code=$(raw_post truncated)
	wait_for 100 cut_short_logged "$cuts"
	ok $? "truncated body (Content-Length too large): the program saw it"
	wait_for 50 no_spool_open
	ok $? "truncated body: no spool file open"
	is "$(spool_count)" 0 "truncated body: spool directory empty"
	is "$(all_count)" "$before" "truncated body: nothing stored"
	rm -f "$T/40mb"

	code=$(up -H "$U" -F kind=view-once -F "file=@$T/tiny.txt")
	is "$code" 201 "the program still serves after the aborts"
}

# raw_post WHAT [BYTES]: a request curl cannot make reliably; the
# status code on stdout (0: no answer), the body in $T/body.  WHAT:
#   nul-filename   a filename holding a NUL byte
#   no-length      a body without Content-Length or Transfer-Encoding
#   chunked-whole  BYTES (of 'x') chunked, all sent at once
#   chunked-slow   the same, most of it sent half a second later
#   truncated      Content-Length 10 MB, 200 kB sent, then gone
raw_post() {
	"$PYTHON3" - "$1" "${2:-5000}" "${PS_TEST_BASE_URL##*:}" "$T/body" \
	    <<'EOF'
import select, socket, sys, time
what, size, port, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4]
b = b"XyZzy-pairstore-boundary"
def part(name, data, filename=None):
    d = b'--' + b + b'\r\nContent-Disposition: form-data; name="' + name + b'"'
    if filename is not None:
        d += b'; filename="' + filename + b'"'
    return d + b'\r\n\r\n' + data + b'\r\n'
body = part(b"kind", b"view-once")
if what == "nul-filename":
    body += part(b"file", b"tiny", b"a\x00b.png")
elif what == "truncated":
    body += part(b"file", b"x" * 300000, b"f.bin")
else:
    body += part(b"file", b"x" * size, b"f.bin")
body += b'--' + b + b'--\r\n'
head = (b"POST /cgi-bin/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"X-Pairstore-User: alice\r\nConnection: close\r\n"
        b"Content-Type: multipart/form-data; boundary=" + b + b"\r\n")
rest = b""
if what == "no-length":
    req = head + b"\r\n" + body
elif what.startswith("chunked"):
    chunks = b"".join(b"%x\r\n" % len(body[i:i + 65536]) +
                      body[i:i + 65536] + b"\r\n"
                      for i in range(0, len(body), 65536)) + b"0\r\n\r\n"
    req = head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks
    if what == "chunked-slow":
        req, rest = req[:len(head) + 200], req[len(head) + 200:]
elif what == "truncated":
    req = head + b"Content-Length: 10000000\r\n\r\n" + body[:200000]
else:
    req = head + b"Content-Length: %d\r\n\r\n" % len(body) + body
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(req)
if what == "truncated":
    time.sleep(0.5)
    s.close()
    print(0)
    sys.exit(0)
# An answer may come before the rest is sent (411): read it first.
if rest and not select.select([s], [], [], 0.5)[0]:
    try:
        s.sendall(rest)
    except OSError:
        pass
data = b""
try:
    while True:
        x = s.recv(65536)
        if not x:
            break
        data += x
except OSError:
    pass
head, _, rest = data.partition(b"\r\n\r\n")
with open(out, "wb") as f:
    f.write(rest)
print(int(head.split(b" ")[1]) if head.startswith(b"HTTP/") else 0)
EOF
}

# ------------------------------------------------------------ limits

phase_limits() {
	U='X-Pairstore-User: lima'
	head -c 2000000 /dev/urandom >"$T/2mb"
	head -c 1000001 /dev/urandom >"$T/over"
	head -c 1000000 "$T/over" >"$T/exact"

	before=$(all_count)
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/2mb")
	refused "$code" 413 "$before" "2 MB over a 1 MB limit"
	is "$(hdr Content-Type)" application/problem+json "413 is problem+json"
	is "$(json status)" 413 "413 in the problem"
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/over")
	refused "$code" 413 "$before" "limit + 1 byte (found while reading)"
	code=$(up -H "$U" -F "file=@$T/over" -F kind=view-once)
	refused "$code" 413 "$before" "limit + 1 byte, kind last"
	code=$(raw_post chunked-slow 2000000)
	refused "$code" 411 "$before" \
	    "2 MB chunked, no Content-Length (lighttpd refuses it)"
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/exact")
	accepted "$code" "$T/exact" local "$before" "exactly the limit"
}

# ------------------------------------------------------------ origin

phase_origin() {
	AUTH_ARGS="-u rita:test-only-pw"
	before=$(all_count)
	code=$(up -F kind=view-once -F "file=@$T/tiny.txt")
	is "$code" 401 "remote_user: no credentials: 401 (web server)"
	code=$(up -u rita:test-only-pw -H "Origin: $PS_TEST_BASE_URL" \
	    -F kind=view-once -F "file=@$T/tiny.txt")
	refused "$code" 403 "$before" \
	    "PUBLIC_ORIGIN set: the request's own origin is refused"
	code=$(up -u rita:test-only-pw -H 'Sec-Fetch-Site: same-site' \
	    -H 'Origin: https://app.example.test' -F kind=view-once \
	    -F "file=@$T/tiny.txt")
	accepted "$code" "$T/tiny.txt" local "$before" \
	    "PUBLIC_ORIGIN: a post from it"
	json url | grep -q '^/media/view-once/rita/'
	ok $? "PUBLIC_ORIGIN: stored for the web server's user"
	code=$(up -u rita:test-only-pw -F user=mallory -F kind=view-once \
	    -F "file=@$T/tiny.txt")
	refused "$code" 400 "$((before + 1))" \
	    "remote_user: a user part is not accepted"
	code=$(curl -s -o "$T/body" -w '%{http_code}' -u rita:test-only-pw \
	    "$PS_TEST_BASE_URL/cgi-bin/upload")
	is "$code" 200 "remote_user: the form"
	! grep -q 'name="user"' "$T/body"
	ok $? "remote_user: the form has no user field"
}

# ------------------------------------------------------------ fakes

fault() {	# fault cld|sb MODE COUNT MATCH
	curl -s -o /dev/null --max-time 10 -X POST \
	    -d "{\"mode\":\"$2\",\"count\":$3,\"match\":\"$4\"}" \
	    "http://127.0.0.1:$(cat "$T/$1.port")/__fake/faults"
}

phase_fakes() {
	U='X-Pairstore-User: fiona'
	cp "$top/tests/data/media/sample.png" "$T/sample.png"
	cp "$top/tests/data/media/sample.mp4" "$T/sample.mp4"

	before=$(all_count)
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/sample.png")
	accepted "$code" "$T/sample.png" cloudinary "$before" \
	    "PNG with every backend up"
	is "$(json resource_type)" image "PNG: image at Cloudinary"

	before=$(all_count)
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/sample.mp4")
	accepted "$code" "$T/sample.mp4" cloudinary "$before" "MP4"
	is "$(json resource_type)" video "MP4: video at Cloudinary"

	before=$(all_count)
	code=$(up -H "$U" -F kind=deleted-messages -F "file=@$T/x.svg")
	accepted "$code" "$T/x.svg" cloudinary "$before" "SVG at Cloudinary"
	is "$(json resource_type)" raw "SVG: raw at Cloudinary"

	fault cld 500 -1 /v1_1/
	before=$(all_count)
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/1mb")
	accepted "$code" "$T/1mb" supabase "$before" "Cloudinary answering 500"

	fault sb 500 -1 /object/media/
	before=$(all_count)
	code=$(up -H "$U" -F kind=scheduled-status -F "file=@$T/sample.png")
	accepted "$code" "$T/sample.png" local "$before" \
	    "Cloudinary and Supabase answering 500"
	fault cld ok 1 ""
	fault sb ok 1 ""

	before=$(all_count)
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/tiny.txt")
	accepted "$code" "$T/tiny.txt" cloudinary "$before" \
	    "back to Cloudinary once it recovers"

	grep -q '\[CloudinaryStorage\] Media uploaded: view-once/fiona/' \
	    "$PS_TEST_LIGHTTPD_ERRORLOG"
	ok $? "log: [CloudinaryStorage] Media uploaded: {path} -> {url}"
	grep -q '\[SupabaseStorage\] Media uploaded: ' \
	    "$PS_TEST_LIGHTTPD_ERRORLOG"
	ok $? "log: [SupabaseStorage] Media uploaded"
	! grep -qF -e "$CLD_SECRET" -e "$SB_KEY" "$PS_TEST_LIGHTTPD_ERRORLOG" \
	    "$T/body" "$T/hdr"
	ok $? "no secret in the error log or the answers"
}

phase_down() {
	U='X-Pairstore-User: fiona'
	fault cld 500 -1 /v1_1/
	fault sb 500 -1 /object/media/
	before=$(all_count)
	code=$(up -H "$U" -F kind=view-once -F "file=@$T/sample.png")
	refused "$code" 502 "$before" \
	    "no local backend, Cloudinary and Supabase answering 500"
	is "$(json title)" "Bad Gateway" "502 is a problem titled Bad Gateway"
	! grep -qF -e "$CLD_SECRET" -e "$SB_KEY" -e "127.0.0.1" "$T/body"
	ok $? "502: no secret and no backend address in the answer"
	fault cld ok 1 ""
	fault sb ok 1 ""
}

# ------------------------------------------------------------ main

lighttpd_run() {	# lighttpd_run PHASE [harness options]
	ph=$1
	shift
	"$top/tests/with-lighttpd.sh" --fcgi "/cgi-bin/upload=$UPLOAD" \
	    --docroot "$WWW" --procs 1 "$@" -- \
	    "$SHELL" "$0" inner "$ph" >>"$T/tap" 2>>"$T/inner.err"
}

if [ "${1:-}" = inner ]; then
	tap_n=$(cat "$T/count" 2>/dev/null || echo 0)
	"phase_$2"
	! grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' \
	    -e 'ERROR: LeakSanitizer' "$PS_TEST_LIGHTTPD_ERRORLOG"
	ok $? "$2: no sanitizer report in the error log"
	echo "$tap_n" >"$T/count"
	exit 0
fi

fake_pids=""
stop_fakes() {
	for p in $fake_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $fake_pids; do
		wait "$p" 2>/dev/null
	done
	fake_pids=""
	rm -f "$T/cld.port" "$T/sb.port"
}
trap stop_fakes EXIT
trap 'exit 130' INT TERM HUP

start_fake() {	# start_fake NAME SCRIPT ARGS...
	name=$1 script=$2
	shift 2
	mkdir -p "$T/$name"
	"$PYTHON3" "$top/tests/fakes/$script" --port 0 \
	    --port-file "$T/$name.port" --storage-dir "$T/$name" \
	    --log "$T/$name.log" "$@" &
	fake_pids="$fake_pids $!"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 150 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -s "$T/$name.port" ] ||
	    { echo "Bail out! $script did not start"; exit 99; }
}

# The interpreter itself, not a wrapper that takes a second to start
# (pyenv shims): it runs for every JSON field read.
PYTHON3=$("$PYTHON3" -c 'import sys; print(sys.executable)') ||
    { echo "Bail out! no python3"; exit 99; }
export PYTHON3
mkdir -p "$MEDIA" "$SPOOL"
# SPOOL_DIR and BACKEND_* are not among the variables the harness hands
# on: a .env file (PAIRSTORE_ENV_FILE) carries them.  The spool is on the
# same filesystem as the media directory, so the local backend links.
cat >"$T/upload.env" <<EOF
SPOOL_DIR=$SPOOL
BACKEND_FAILURES_TO_TRIP=100
EOF
export PAIRSTORE_ENV_FILE="$T/upload.env"
export LOG_LEVEL=info AUTH_MODE=demo
export LOCAL_STORAGE_DIR="$MEDIA" LOCAL_STORAGE_URL=/media
export UPLOAD_MAX_BYTES=$((256 * MiB))
: >"$T/tap"
lighttpd_run local
UPLOAD_MAX_BYTES=1000000 lighttpd_run limits
printf 'rita:test-only-pw\n' >"$T/users"
AUTH_MODE=remote_user PUBLIC_ORIGIN=https://app.example.test/ \
    lighttpd_run origin --basic-auth "$T/users"

FAKE_CLOUDINARY_API_SECRET=$CLD_SECRET start_fake cld cloudinary_fake.py \
    --cloud-name "$CLD_CLOUD" --api-key "$CLD_KEY"
FAKE_SUPABASE_SERVICE_KEY=$SB_KEY start_fake sb supabase_fake.py
CLOUDINARY_CLOUD_NAME=$CLD_CLOUD CLOUDINARY_API_KEY=$CLD_KEY \
    CLOUDINARY_API_SECRET=$CLD_SECRET \
    CLOUDINARY_API_URL=http://127.0.0.1:$(cat "$T/cld.port") \
    SUPABASE_URL=http://127.0.0.1:$(cat "$T/sb.port") \
    SUPABASE_SERVICE_ROLE_KEY=$SB_KEY \
    lighttpd_run fakes
unset LOCAL_STORAGE_DIR LOCAL_STORAGE_URL
CLOUDINARY_CLOUD_NAME=$CLD_CLOUD CLOUDINARY_API_KEY=$CLD_KEY \
    CLOUDINARY_API_SECRET=$CLD_SECRET \
    CLOUDINARY_API_URL=http://127.0.0.1:$(cat "$T/cld.port") \
    SUPABASE_URL=http://127.0.0.1:$(cat "$T/sb.port") \
    SUPABASE_SERVICE_ROLE_KEY=$SB_KEY \
    lighttpd_run down
stop_fakes

cat "$T/tap"
tap_n=$(cat "$T/count")
tap_fail=$(grep -c '^not ok' "$T/tap")
if grep -q . "$T/inner.err"; then
	diag "stderr of the phases:"
	sed 's/^/# /' "$T/inner.err" | head -20
fi
done_testing
