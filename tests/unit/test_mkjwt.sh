#!/bin/sh
# test_mkjwt.sh - tokens from tests/tools/mkjwt verify with openssl(1),
# independently of pairstore's own JWT code, and carry exactly the
# header and claims asked for: HS256 recomputed with openssl dgst -hmac,
# RS256 and ES256 checked with openssl dgst -verify against the public
# keys in tests/data/jwt, and the hostile forms (unsigned, alg header
# lie, public key as HMAC secret, raw segments) as documented.
. "${srcdir:-.}/tests/lib.sh"

M=${MKJWT:-}
if [ -z "$M" ] || [ ! -x "$M" ]; then
	echo "Bail out! MKJWT must name the built tests/tools/mkjwt"
	exit 99
fi
command -v openssl >/dev/null 2>&1 || {
	echo "Bail out! openssl not found (apt-get install openssl)"
	exit 99
}
D=${srcdir:-.}/tests/data/jwt
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_mkjwt.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# TEST-ONLY secret (tests/data/jwt/README).
SECRET=mkjwt-test-only-secret-0123456789abcdef
NOW=1700000000

# Segment N (1-3) of a compact token.
seg() { printf '%s' "$1" | cut -d. -f"$2"; }

# base64url (RFC 4648, 5) without padding, to and from bytes.
b64d() {
	s=$(printf '%s' "$1" | tr -- '-_' '+/')
	case $((${#s} % 4)) in
	2) s="$s==" ;;
	3) s="$s=" ;;
	esac
	printf '%s' "$s" | openssl base64 -d -A
}
b64e() { openssl base64 -A | tr -- '+/' '-_' | tr -d '='; }

# The JWS signing input (RFC 7515, 5.1): the first two segments.
signing_input() { printf '%s' "$1" | cut -d. -f1,2 | tr -d '\n'; }

# HMAC-SHA256 of the signing input, base64url; key as hex.
hmac_hex() {
	signing_input "$2" |
	    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -binary | b64e
}
hex() { od -An -v -tx1 | tr -d ' \n'; }

# ------------------------------------------------------------ HS256

tok=$(MKJWT_SECRET=$SECRET "$M" --alg HS256 --sub alice --exp-in 60 \
    --now $NOW)
ok $? "HS256: mkjwt exits 0"
printf '%s' "$tok" |
    grep -Eq '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'
ok $? "the token is three base64url segments without padding"
[ "$(b64d "$(seg "$tok" 1)")" = '{"alg":"HS256","typ":"JWT"}' ]
ok $? "the header is {\"alg\":\"HS256\",\"typ\":\"JWT\"}"
[ "$(b64d "$(seg "$tok" 2)")" = \
    "{\"sub\":\"alice\",\"iat\":$NOW,\"exp\":$((NOW + 60))}" ]
ok $? "the payload has sub, iat=now and exp=now+60"
want=$(signing_input "$tok" | openssl dgst -sha256 -hmac "$SECRET" \
    -binary | b64e)
[ -n "$want" ] && [ "$(seg "$tok" 3)" = "$want" ]
ok $? "the signature is openssl's HMAC-SHA256 with MKJWT_SECRET"
{ b64d "$(seg "$tok" 1)"; b64d "$(seg "$tok" 2)"; } >"$tmp/hs.json"
grep -q '"exp"' "$tmp/hs.json" && ! grep -q "$SECRET" "$tmp/hs.json"
ok $? "the secret is nowhere in the token"

now=$(date +%s)
tok=$(MKJWT_SECRET=$SECRET "$M" --alg HS256 --sub bob)
exp=$(b64d "$(seg "$tok" 2)" | sed -n 's/.*"exp":\([0-9]*\).*/\1/p')
[ -n "$exp" ] && [ "$exp" -ge $((now + 300)) ] &&
    [ "$exp" -le $((now + 310)) ]
ok $? "without --exp-in, exp is the clock's now + 300"

tok=$(MKJWT_SECRET=$SECRET "$M" --alg HS256 --sub carol --now $NOW \
    --exp-in -60 --nbf-in 30 --iat-in -10)
[ "$(b64d "$(seg "$tok" 2)")" = "{\"sub\":\"carol\",\"iat\":$((NOW - 10)),\
\"nbf\":$((NOW + 30)),\"exp\":$((NOW - 60))}" ]
ok $? "negative --exp-in, --nbf-in and --iat-in land as asked"

tok=$(MKJWT_SECRET=$SECRET "$M" --alg HS256 --sub dave --now $NOW \
    --no-iat --claim role=admin --claim n:=5 --claim 'aud:=["a","b"]' \
    --claim 'q=say "hi"' --claim sub:=42)
[ "$(b64d "$(seg "$tok" 2)")" = "{\"sub\":42,\"exp\":$((NOW + 300)),\
\"role\":\"admin\",\"n\":5,\"aud\":[\"a\",\"b\"],\"q\":\"say \\\"hi\\\"\"}" ]
ok $? "--claim sets strings (escaped), := sets JSON, a name is replaced"

tok=$(MKJWT_SECRET=$SECRET "$M" --alg HS256 --sub erin --no-exp --no-iat)
[ "$(b64d "$(seg "$tok" 2)")" = '{"sub":"erin"}' ]
ok $? "--no-exp and --no-iat leave those claims out"

tok=$(MKJWT_SECRET=$SECRET "$M" --alg HS256 --header kid=k1 \
    --header typ:=null)
[ "$(b64d "$(seg "$tok" 1)")" = \
    '{"alg":"HS256","typ":null,"kid":"k1"}' ]
ok $? "--header adds and replaces header members"

# ------------------------------------------------------------ RS256

tok=$("$M" --alg RS256 --key "$D/test-rsa-private.pem" --sub frank)
ok $? "RS256: mkjwt exits 0"
[ "$(b64d "$(seg "$tok" 1)")" = '{"alg":"RS256","typ":"JWT"}' ]
ok $? "the header says RS256"
signing_input "$tok" >"$tmp/rs.in"
b64d "$(seg "$tok" 3)" >"$tmp/rs.sig"
[ "$(wc -c <"$tmp/rs.sig")" -eq 256 ]
ok $? "the signature is 256 bytes (RSA 2048)"
openssl dgst -sha256 -verify "$D/test-rsa-public.pem" \
    -signature "$tmp/rs.sig" "$tmp/rs.in" >/dev/null 2>&1
ok $? "openssl dgst -sha256 -verify accepts it with the public key"
printf 'x' >>"$tmp/rs.in"
openssl dgst -sha256 -verify "$D/test-rsa-public.pem" \
    -signature "$tmp/rs.sig" "$tmp/rs.in" >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "and refuses it over changed data"

# ------------------------------------------------------------ ES256

tok=$("$M" --alg ES256 --key "$D/test-ec-private.pem" --sub grace)
ok $? "ES256: mkjwt exits 0"
[ "$(b64d "$(seg "$tok" 1)")" = '{"alg":"ES256","typ":"JWT"}' ]
ok $? "the header says ES256"
b64d "$(seg "$tok" 3)" >"$tmp/es.raw"
[ "$(wc -c <"$tmp/es.raw")" -eq 64 ]
ok $? "the signature is raw R || S, 64 bytes (RFC 7518, 3.4)"
# openssl verifies DER: rebuild the ECDSA-Sig-Value from R and S.
h=$(hex <"$tmp/es.raw")
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
    "$(printf '%s' "$h" | cut -c1-64)" "$(printf '%s' "$h" | cut -c65-128)" \
    >"$tmp/es.conf"
openssl asn1parse -genconf "$tmp/es.conf" -out "$tmp/es.der" -noout \
    >/dev/null 2>&1
signing_input "$tok" >"$tmp/es.in"
openssl dgst -sha256 -verify "$D/test-ec-public.pem" \
    -signature "$tmp/es.der" "$tmp/es.in" >/dev/null 2>&1
ok $? "openssl dgst -sha256 -verify accepts it with the public key"
printf 'x' >>"$tmp/es.in"
openssl dgst -sha256 -verify "$D/test-ec-public.pem" \
    -signature "$tmp/es.der" "$tmp/es.in" >/dev/null 2>&1
[ $? -ne 0 ]; ok $? "and refuses it over changed data"

# ------------------------------------------------------------ hostile

tok=$("$M" --unsigned --alg-header none --sub mallory)
case "$tok" in
*.*.) r=0 ;;
*) r=1 ;;
esac
ok $r "--unsigned leaves the signature empty (header.payload.)"
[ "$(b64d "$(seg "$tok" 1)")" = '{"alg":"none","typ":"JWT"}' ]
ok $? "--alg-header none puts alg none in the header"

tok=$(MKJWT_SECRET=$SECRET "$M" --alg HS256 --alg-header HS512)
[ "$(b64d "$(seg "$tok" 1)")" = '{"alg":"HS512","typ":"JWT"}' ] &&
    [ "$(seg "$tok" 3)" = "$(hmac_hex "$(printf '%s' "$SECRET" | hex)" \
    "$tok")" ]
ok $? "--alg-header changes the header only; HS256 still signs"

tok=$("$M" --sign-with-public-key-as-hmac "$D/test-rsa-public.pem" \
    --sub mallory)
[ "$(b64d "$(seg "$tok" 1)")" = '{"alg":"HS256","typ":"JWT"}' ] &&
    [ "$(seg "$tok" 3)" = "$(hmac_hex "$(hex <"$D/test-rsa-public.pem")" \
    "$tok")" ]
ok $? "the confusion token is HS256 keyed with the public key's bytes"

tok=$(MKJWT_SECRET=$SECRET "$M" --alg HS256 --raw-header '{"alg":"HS256"' \
    --raw-payload 'not json')
[ "$(b64d "$(seg "$tok" 1)")" = '{"alg":"HS256"' ] &&
    [ "$(b64d "$(seg "$tok" 2)")" = 'not json' ]
ok $? "--raw-header and --raw-payload are used byte for byte"
[ "$(seg "$tok" 3)" = "$(hmac_hex "$(printf '%s' "$SECRET" | hex)" \
    "$tok")" ]
ok $? "and signed as they are"

# ------------------------------------------------------------ refusals

env -u MKJWT_SECRET "$M" --alg HS256 >"$tmp/out" 2>&1
[ $? -eq 1 ] && grep -q MKJWT_SECRET "$tmp/out"
ok $? "HS256 without MKJWT_SECRET fails and says so"
"$M" --alg ES256 --key "$D/test-rsa-private.pem" >"$tmp/out" 2>&1
[ $? -eq 1 ] && grep -q 'P-256' "$tmp/out"
ok $? "ES256 with an RSA key is refused"
"$M" --alg RS256 --key "$D/test-rsa-public.pem" >"$tmp/out" 2>&1
[ $? -eq 1 ]; ok $? "a public key is not a signing key"
"$M" --alg HS384 >/dev/null 2>&1
[ $? -eq 2 ]; ok $? "an unknown --alg is a usage error (exit 2)"
MKJWT_SECRET=$SECRET "$M" --alg HS256 --exp-in soon >/dev/null 2>&1
[ $? -eq 2 ]; ok $? "a non-numeric --exp-in is a usage error"
"$M" --help >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q -- '--sign-with-public-key-as-hmac' "$tmp/out"
ok $? "--help exits 0 and lists the options"

done_testing
