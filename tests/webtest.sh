# webtest.sh - helpers of the tests that run a web server with a shipped
# configuration (test_lighttpd_conf.sh, test_nginx.sh, test_apache.sh);
# sourced, POSIX sh.  They use $BASE (http://127.0.0.1:PORT), $T (a temp
# directory), $top (the source tree), and for hs() MKJWT and JWT_SECRET.

# req METHOD PATH [curl args...]: body in $T/body, headers in $T/hdr,
# status code on stdout.
req() {
	_rm=$1 _rp=$2
	shift 2
	: >"$T/hdr"
	rm -f "$T/body"
	curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$_rm" \
	    --noproxy '*' --max-time 30 "$@" "$BASE$_rp"
	[ -f "$T/body" ] || : >"$T/body"
}
hdr() {	# hdr NAME: the value of a response header ("" when absent)
	tr -d '\r' <"$T/hdr" | sed -n "s/^$1: //Ip" | head -1
}
# json FIELD: a top-level string, number or boolean of the JSON body
# (the programs answer compact, flat JSON; no interpreter to start).
json() {
	sed -n "s/.*\"$1\":\(\"\([^\"]*\)\"\|\([^,}\"]*\)\).*/\2\3/p" \
	    "$T/body" | head -1
}
hs() {	# hs SUB: an HS256 token
	MKJWT_SECRET=$JWT_SECRET "$MKJWT" --alg HS256 --sub "$1" --exp-in 300
}
# The media types lib/ps_sniff.c gives stored files: "EXT MIME" lines,
# raw (.bin) left out.
sniff_table() {
	sed -n 's/^[[:space:]]*\[F_[A-Z0-9_]*\] = {PS_MEDIA_\([A-Z]*\), "\([^"]*\)", "\([^"]*\)"},.*/\1 \3 \2/p' \
	    "$top/lib/ps_sniff.c" | awk '$1 != "RAW" { print $2, $3 }' | sort
}
# samples_served HEADER: every sample format in tests/data/media, uploaded
# (curl -H HEADER) and fetched from its URL, is stored under its
# extension and served with its type, in place (no Content-Disposition),
# nosniff and sandboxed; one assertion.
samples_served() {
	_want=$(sniff_table)
	_bad=""
	_n=0
	for _f in "$top"/tests/data/media/sample*.*; do
		_code=$(req POST /cgi-bin/upload -H "$1" \
		    -F kind=scheduled-status \
		    -F "file=@$_f;type=application/octet-stream")
		_url=$(json url)
		_code2=$(curl -s -o /dev/null -D "$T/hdr" -w '%{http_code}' \
		    --noproxy '*' --max-time 30 "$BASE$_url")
		# "EXT CODES TYPE [DISPOSITION] NOSNIFF SANDBOX|the type
		# the extension should have"
		_got=$(tr -d '\r' <"$T/hdr" | awk -v url="$_url" \
		    -v codes="$_code $_code2" -v table="$_want" '
		    BEGIN { n = split(table, t, "\n")
			for (i = 1; i <= n; i++) { split(t[i], f, " "); m[f[1]] = f[2] }
			ext = url; sub(/.*[.]/, "", ext) }
		    tolower($0) ~ /^content-type: / { ct = substr($0, 15) }
		    tolower($0) ~ /^content-disposition: / { cd = substr($0, 22) }
		    tolower($0) ~ /^x-content-type-options: / { ns = substr($0, 25) }
		    tolower($0) ~ /^content-security-policy: / && /sandbox/ { sb = "sandbox" }
		    END { printf "%s %s %s [%s] %s %s|%s\n", ext, codes, ct, cd, ns, sb, m[ext] }')
		_wl="${_got%% *} 201 200 ${_got##*|} [] nosniff sandbox"
		[ -n "${_got##*|}" ] && [ "${_got%|*}" = "$_wl" ] ||
		    _bad="$_bad ${_f##*/}:${_got%|*}"
		_n=$((_n + 1))
	done
	[ $_n -gt 10 ] && [ -z "$_bad" ]
	ok $? "$_n sample media files: shown in place with their type${_bad:+ (wrong:$_bad)}"
}
# wait_for FILE PATTERN TENTHS: until FILE holds PATTERN.
wait_for() {
	_n=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		[ $_n -ge "$3" ] && return 1
		sleep 0.1
		_n=$((_n + 1))
	done
}


# The flow both shipped-config tests run first: the page at /, a
# pairing (202, then 429 while it is in flight), the worker started as
# a daemon (its PID in wpid, remembered), the job completed with an
# 8-character code, and health through PATH_INFO.  Needs web (the page's
# directory), envfile, workerlog, remember(); sets U (the user header).
page_pair_health_flow() {
	code=$(req GET /)
	is "$code" 200 "GET /: 200"
	cmp -s "$T/body" "$web/index.html"
	ok $? "GET /: the page (web/index.html)"
	case "$(hdr Content-Type)" in
	text/html*) st=0 ;;
	*) st=1 ;;
	esac
	ok $st "GET /: text/html ($(hdr Content-Type))"

	U="X-Pairstore-User: alice"
	code=$(req POST /cgi-bin/pair -H "$U" -d phone=4915123456789)
	is "$code" 202 "POST /cgi-bin/pair: 202"
	is "$(json job)" pair:alice "the job is pair:alice"
	code=$(req POST /cgi-bin/pair -H "$U" -d phone=4915123456789)
	is "$code" 429 "a second request while one is in flight: 429"
	# The worker, as a daemon (a service: pairstore-worker.service).
	PAIRSTORE_ENV_FILE=$envfile "$PAIRSTORE" worker >>"$workerlog" 2>&1 &
	wpid=$!
	remember "$wpid"
	i=0
	while [ $i -lt 100 ]; do
		req GET '/cgi-bin/status?job=pair:alice' -H "$U" >/dev/null
		[ "$(json state)" = completed ] && break
		sleep 0.1
		i=$((i + 1))
	done
	is "$(json state)" completed "the worker completed the job (status)"
	c=$(json code)
	echo "$c" | grep -Eq '^[1-9A-HJ-NP-TV-Z]{8}$'
	ok $? "with an 8-character code ($c)"

	code=$(req GET /cgi-bin/status/health)
	is "$code" 200 "GET /cgi-bin/status/health: 200 (PATH_INFO reaches status)"
	grep -q '"redis":{"ok":true' "$T/body"
	ok $? "health sees Redis"
}
