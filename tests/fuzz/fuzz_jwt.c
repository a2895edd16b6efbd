/*
 * fuzz_jwt.c - JWT verification (lib/ps_jwt.c) and the strict base64url
 * decoder under it (lib/ps_base64.c).
 *
 * Four verifiers are built once, from the TEST-ONLY keys in
 * tests/data/jwt (found through $PS_FUZZ_DATA, see fuzz_common.h):
 * HS256 (the secret of make-vectors.py), HS256 with an issuer and an
 * audience and no exp required, RS256 and ES256.
 *
 * Input: three control bytes, then the rest.
 *   byte 0  bits 0-1 the verifier; bit 2 sign mode; bit 3 flip a byte of
 *           the signed token; bits 4-7 the clock (around 1700000000)
 *   byte 1  which byte to flip and how
 *   byte 2  bit 7: a small sub buffer (bits 0-6 + 1 bytes)
 *   rest    raw mode: the token.  Sign mode: a JOSE header and a claims
 *           set (JSON text, split at the first LF; without one, a header
 *           naming the verifier's algorithm), which the harness encodes
 *           and signs with the matching private key, so the claim checks
 *           are reached.
 *
 * Invariants:
 *  - a token is accepted only when its signature verifies again here,
 *    independently (OpenSSL HMAC / EVP_DigestVerify over header.payload,
 *    with our own base64url decoder), its header names the verifier's
 *    algorithm, and its claims pass the registered-claim rules with the
 *    verifier's leeway (exp, nbf, iat, iss, aud); then sub is the token's
 *    "sub", and passes ps_user_id_valid();
 *  - a refusal leaves sub empty and is PS_E_AUTH (PS_E_INTERNAL only for
 *    a sub buffer too small for a valid sub);
 *  - ps_base64url_decode accepts exactly the canonical encodings: what it
 *    decodes encodes back to the same text, and it never writes past its
 *    buffer.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ps_base64.h"
#include "ps_jwt.h"
#include "ps_util.h"
#include "fuzz_common.h"

#define HS_SECRET "pairstore-test-only-hs256-secret-0123456789"
#define ISSUER "https://issuer.example"
#define AUDIENCE "pairstore"
#define BASE_NOW 1700000000LL

enum { V_HS, V_HS_CLAIMS, V_RS, V_ES, V_COUNT };

static ps_jwt_verifier *verifier[V_COUNT];
static EVP_PKEY *rs_priv, *rs_pub, *es_priv, *es_pub;
static const char *const alg_of[V_COUNT] = {
	"HS256", "HS256", "RS256", "ES256"
};

static EVP_PKEY *
load_key(const char *rel, int private)
{
	size_t len;
	char *pem = fuzz_read_data(rel, &len);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k;

	k = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) :
	    PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(pem);
	if (k == NULL) {
		fprintf(stderr, "fuzz_jwt: cannot load %s\n", rel);
		exit(2);
	}
	return k;
}

static ps_jwt_verifier *
mk_verifier(int which)
{
	char path[4096];
	ps_jwt_verifier *v;
	ps_jwt_opts o;
	ps_err err;

	ps_jwt_opts_init(&o);
	switch (which) {
	case V_HS:
		o.hs256_secret = HS_SECRET;
		o.hs256_secret_len = strlen(HS_SECRET);
		break;
	case V_HS_CLAIMS:
		o.hs256_secret = HS_SECRET;
		o.hs256_secret_len = strlen(HS_SECRET);
		o.issuer = ISSUER;
		o.audience = AUDIENCE;
		o.allow_no_exp = 1;
		o.leeway_s = 0;
		break;
	case V_RS:
		fuzz_data_path(path, sizeof(path), "jwt/test-rsa-public.pem");
		o.public_key_pem_path = path;
		break;
	default:
		fuzz_data_path(path, sizeof(path), "jwt/test-ec-public.pem");
		o.public_key_pem_path = path;
		break;
	}
	if (ps_jwt_verifier_new(&v, &o, &err) != PS_OK) {
		fprintf(stderr, "fuzz_jwt: verifier %d: %s\n", which,
		    err.msg);
		exit(2);
	}
	return v;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int i;

	(void)argc;
	(void)argv;
	ps_log_set_level(PS_LOG_OFF);
	for (i = 0; i < V_COUNT; i++)
		verifier[i] = mk_verifier(i);
	rs_priv = load_key("jwt/test-rsa-private.pem", 1);
	rs_pub = load_key("jwt/test-rsa-public.pem", 0);
	es_priv = load_key("jwt/test-ec-private.pem", 1);
	es_pub = load_key("jwt/test-ec-public.pem", 0);
	return 0;
}

/* ---------------------------------------------------------- base64url */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t
b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

/* Lenient decoder (any final bits): -1 on a character outside the
 * alphabet or a length of 1 mod 4. */
static long
b64_decode(const char *in, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0;
	const char *c;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		c = in[i] != '\0' ? strchr(b64, in[i]) : NULL;
		if (c == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (long)o;
}

static void
check_base64(const char *in, size_t n, int shrink)
{
	unsigned char *out, *want;
	char *back;
	size_t outlen = 0, outsz;
	long r;
	ps_code rc;

	want = malloc(n + 1);
	back = malloc(n * 2 + 4);
	if (want == NULL || back == NULL)
		abort();
	r = b64_decode(in, n, want);
	outsz = r >= 0 ? (size_t)r : n;
	if (shrink && outsz > 0)
		outsz--;
	out = malloc(outsz + 1);
	if (out == NULL)
		abort();
	rc = ps_base64url_decode(in, n, out, outsz, &outlen, NULL);
	if (rc == PS_OK) {
		FUZZ_CHECK(r >= 0 && outlen == (size_t)r && outlen <= outsz &&
		    memcmp(out, want, outlen) == 0,
		    "ps_base64url_decode disagrees with the model");
		FUZZ_CHECK(b64_encode(out, outlen, back) == n &&
		    memcmp(back, in, n) == 0,
		    "a non-canonical base64url spelling was accepted");
	} else {
		FUZZ_CHECK(outlen == 0, "outlen set on failure");
		/* Refused: invalid, or canonical but the buffer is short. */
		if (r >= 0 && (size_t)r <= outsz && b64_encode(want,
		    (size_t)r, back) == n && memcmp(back, in, n) == 0)
			FUZZ_CHECK(0, "a canonical encoding was refused");
	}
	free(out);
	free(want);
	free(back);
}

/* ---------------------------------------------------------- signing */

static int
sign(int which, const char *in, size_t n, unsigned char *sig, size_t *slen)
{
	unsigned char der[256];
	const unsigned char *dp;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	EVP_MD_CTX *md;
	size_t dlen;
	int ok;

	if (which == V_HS || which == V_HS_CLAIMS)
		return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, HS_SECRET,
		    strlen(HS_SECRET), (const unsigned char *)in, n, sig, 64,
		    slen) != NULL;
	md = EVP_MD_CTX_new();
	if (md == NULL)
		abort();
	if (which == V_RS) {
		*slen = 512;
		ok = EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
		    rs_priv) == 1 && EVP_DigestSign(md, sig, slen,
		    (const unsigned char *)in, n) == 1;
		EVP_MD_CTX_free(md);
		return ok;
	}
	dlen = sizeof(der);
	ok = EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, es_priv) ==
	    1 && EVP_DigestSign(md, der, &dlen, (const unsigned char *)in,
	    n) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return 0;
	dp = der;
	es = d2i_ECDSA_SIG(NULL, &dp, (long)dlen);
	if (es == NULL)
		return 0;
	ECDSA_SIG_get0(es, &r, &s);
	ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32,
	    32) == 32;
	ECDSA_SIG_free(es);
	*slen = 64;
	return ok;
}

/* Our own check of a signature over in[0..n). */
static int
sig_ok(int which, const char *in, size_t n, const unsigned char *sig,
    size_t slen)
{
	unsigned char mac[64], *der = NULL;
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	EVP_MD_CTX *md;
	EVP_PKEY *pub;
	size_t mlen;
	int dlen, ok;

	if (which == V_HS || which == V_HS_CLAIMS) {
		if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, HS_SECRET,
		    strlen(HS_SECRET), (const unsigned char *)in, n, mac,
		    sizeof(mac), &mlen) == NULL)
			abort();
		return slen == mlen && memcmp(mac, sig, mlen) == 0;
	}
	pub = which == V_RS ? rs_pub : es_pub;
	if (which == V_ES) {
		if (slen != 64)
			return 0;
		es = ECDSA_SIG_new();
		r = BN_bin2bn(sig, 32, NULL);
		s = BN_bin2bn(sig + 32, 32, NULL);
		if (es == NULL || r == NULL || s == NULL ||
		    ECDSA_SIG_set0(es, r, s) != 1)
			abort();
		dlen = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		if (dlen <= 0)
			abort();
		sig = der;
		slen = (size_t)dlen;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL)
		abort();
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(md, sig, slen, (const unsigned char *)in, n) ==
	    1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}

/* ---------------------------------------------------------- checking */

static json_object *
segment_json(const char *s, size_t n)
{
	unsigned char *buf = malloc(n + 1);
	json_tokener *tok;
	json_object *o;
	long r;

	if (buf == NULL)
		abort();
	r = b64_decode(s, n, buf);
	FUZZ_CHECK(r >= 0, "accepted token with a bad segment");
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	o = json_tokener_parse_ex(tok, (const char *)buf, (int)r);
	json_tokener_free(tok);
	free(buf);
	FUZZ_CHECK(o != NULL && json_object_is_type(o, json_type_object),
	    "accepted token whose segment is not a JSON object");
	return o;
}

static int
get_date(json_object *c, const char *k, double *t)
{
	json_object *v;

	if (!json_object_object_get_ex(c, k, &v))
		return 0;
	FUZZ_CHECK(json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double), "%s is not a number",
	    k);
	*t = json_object_get_double(v);
	FUZZ_CHECK(isfinite(*t), "%s is not finite", k);
	return 1;
}

static int
str_is(json_object *v, const char *want)
{
	return json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) == strlen(want) &&
	    strcmp(json_object_get_string(v), want) == 0;
}

/* Everything an accepted token must be. */
static void
check_accepted(int which, const char *tok, size_t len, long long now,
    const char *sub)
{
	const char *d1, *d2;
	unsigned char *sig;
	json_object *hdr, *cl, *v;
	double t, skew = which == V_HS_CLAIMS ? 0 : PS_JWT_DEFAULT_LEEWAY;
	long slen;
	size_t i;
	int found;

	d1 = memchr(tok, '.', len);
	FUZZ_CHECK(d1 != NULL, "accepted token without a dot");
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok));
	FUZZ_CHECK(d2 != NULL && memchr(d2 + 1, '.', len - (size_t)(d2 + 1 -
	    tok)) == NULL, "accepted token without three segments");
	sig = malloc(len);
	if (sig == NULL)
		abort();
	slen = b64_decode(d2 + 1, len - (size_t)(d2 + 1 - tok), sig);
	FUZZ_CHECK(slen > 0, "accepted token with a bad signature segment");
	FUZZ_CHECK(sig_ok(which, tok, (size_t)(d2 - tok), sig,
	    (size_t)slen), "accepted a token whose %s signature does not "
	    "verify", alg_of[which]);
	free(sig);

	hdr = segment_json(tok, (size_t)(d1 - tok));
	FUZZ_CHECK(json_object_object_get_ex(hdr, "alg", &v) &&
	    str_is(v, alg_of[which]), "accepted alg is not %s",
	    alg_of[which]);
	FUZZ_CHECK(!json_object_object_get_ex(hdr, "crit", NULL),
	    "accepted a crit header");
	json_object_put(hdr);

	cl = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
	if (get_date(cl, "exp", &t))
		FUZZ_CHECK((double)now < t + skew, "accepted an expired "
		    "token");
	else
		FUZZ_CHECK(which == V_HS_CLAIMS, "accepted a token "
		    "without exp");
	if (get_date(cl, "nbf", &t))
		FUZZ_CHECK((double)now + skew >= t, "accepted before nbf");
	if (get_date(cl, "iat", &t))
		FUZZ_CHECK(t <= (double)now + skew, "accepted iat in the "
		    "future");
	if (which == V_HS_CLAIMS) {
		FUZZ_CHECK(json_object_object_get_ex(cl, "iss", &v) &&
		    str_is(v, ISSUER), "accepted without the issuer");
		FUZZ_CHECK(json_object_object_get_ex(cl, "aud", &v),
		    "accepted without aud");
		found = str_is(v, AUDIENCE);
		if (json_object_is_type(v, json_type_array))
			for (i = 0; i < json_object_array_length(v); i++)
				found |= str_is(json_object_array_get_idx(v,
				    i), AUDIENCE);
		FUZZ_CHECK(found, "accepted without the audience");
	} else
		FUZZ_CHECK(!json_object_object_get_ex(cl, "aud", NULL),
		    "accepted an aud with no audience configured");
	FUZZ_CHECK(json_object_object_get_ex(cl, "sub", &v) &&
	    str_is(v, sub), "sub \"%s\" is not the token's", sub);
	FUZZ_CHECK(ps_user_id_valid(sub), "accepted sub \"%s\"", sub);
	json_object_put(cl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char sig[512];
	char sub[PS_JWT_SUB_BUFSZ + 1];
	char *tok;
	const char *rest, *nl, *hdr, *pl;
	size_t rlen, hlen, plen, len, slen, subsz, pos;
	long long now;
	int which;
	ps_err err;
	ps_code rc;
	char defhdr[64];

	if (size < 3)
		return 0;
	which = data[0] & 3;
	now = BASE_NOW + ((long long)(data[0] >> 4) - 8) * 450;
	subsz = (data[2] & 0x80) ? 1 + (size_t)(data[2] & 0x3f) :
	    PS_JWT_SUB_BUFSZ;
	rest = (const char *)data + 3;
	rlen = size - 3;
	if (rlen > PS_JWT_MAX_TOKEN + 16)
		return 0;

	if (data[0] & 4) {
		/* Sign mode: header and claims as JSON text. */
		nl = memchr(rest, '\n', rlen);
		if (nl != NULL) {
			hdr = rest;
			hlen = (size_t)(nl - rest);
			pl = nl + 1;
			plen = rlen - hlen - 1;
		} else {
			snprintf(defhdr, sizeof(defhdr),
			    "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg_of[which]);
			hdr = defhdr;
			hlen = strlen(defhdr);
			pl = rest;
			plen = rlen;
		}
		tok = malloc((hlen + plen) * 2 + 700 + 8);
		if (tok == NULL)
			abort();
		len = b64_encode((const unsigned char *)hdr, hlen, tok);
		tok[len++] = '.';
		len += b64_encode((const unsigned char *)pl, plen, tok + len);
		if (!sign(which, tok, len, sig, &slen))
			abort();
		tok[len++] = '.';
		len += b64_encode(sig, slen, tok + len);
		if (data[0] & 8) {
			pos = (size_t)data[1] * 131 % len;
			tok[pos] ^= (char)(1 + (data[1] & 0x3f));
		}
	} else {
		tok = fuzz_strndup((const uint8_t *)rest, rlen);
		len = rlen;
		check_base64(tok, len, data[1] & 1);
	}

	memset(sub, 'X', sizeof(sub));
	rc = ps_jwt_verify(verifier[which], tok, len, now, sub, subsz, &err);
	if (rc == PS_OK) {
		FUZZ_CHECK(strlen(sub) < subsz, "sub overflows its buffer");
		check_accepted(which, tok, len, now, sub);
	} else {
		fuzz_check_err_msg(&err);
		FUZZ_CHECK(sub[0] == '\0', "sub not emptied on refusal");
		FUZZ_CHECK(rc == PS_E_AUTH || (rc == PS_E_INTERNAL &&
		    subsz < PS_JWT_SUB_BUFSZ), "refused with %d: %s",
		    (int)rc, err.msg);
	}
	FUZZ_CHECK(sub[subsz] == 'X', "write past the sub buffer");
	free(tok);
	return 0;
}
