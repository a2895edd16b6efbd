# webtest.sh - helpers of the tests that run a web server with a shipped
# configuration (test_lighttpd_conf.sh, test_nginx.sh); sourced, POSIX
# sh.  They use $BASE (http://127.0.0.1:PORT), $T (a temp directory),
# $top (the source tree), and for hs() MKJWT and JWT_SECRET.

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
# wait_for FILE PATTERN TENTHS: until FILE holds PATTERN.
wait_for() {
	_n=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		[ $_n -ge "$3" ] && return 1
		sleep 0.1
		_n=$((_n + 1))
	done
}

