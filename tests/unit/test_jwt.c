/*
 * test_jwt.c - JWT verification (ps_jwt) and base64url (ps_base64).
 *
 * Every token here is made independently of the code under test: base64url
 * with EVP_EncodeBlock(), HS256 with HMAC(), RS256/ES256 with
 * EVP_DigestSign() and the TEST-ONLY private keys in tests/data/jwt, and
 * tests/data/jwt/vectors.txt holds tokens made outside C by
 * make-vectors.py (python3 hmac, openssl dgst).  Key files are found
 * under $srcdir (default ".").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "ps_base64.h"
#include "ps_error.h"
#include "ps_jwt.h"
#include "ps_util.h"
#include "tap.h"

#define NOW	1700000000LL
#define TOKMAX	16384
#define PATHMAX	4096

/* TEST-ONLY secret, shared with make-vectors.py. */
static const char hs_secret[] =
    "pairstore-test-only-hs256-secret-0123456789";

static const char HDR_HS[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
static const char HDR_RS[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
static const char HDR_ES[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";

enum sigkind {
	SIG_HS256,	/* HMAC-SHA256 with key/keylen */
	SIG_RS256,	/* RSA private key from tests/data/jwt */
	SIG_ES256,	/* EC private key, raw R || S */
	SIG_ES256_DER,	/* EC private key, DER as OpenSSL makes it */
	SIG_EMPTY	/* no signature at all */
};

enum mutation {
	MUT_NONE,
	MUT_FLIP,	/* flip one bit of the signature */
	MUT_SHORT,	/* drop the last signature byte */
	MUT_LONG	/* append a zero byte to the signature */
};

static EVP_PKEY *rsa_priv, *ec_priv;
static char rsa_pub_pem[8192], ec_pub_pem[8192];
static size_t rsa_pub_pem_len, ec_pub_pem_len;

/* Refusals whose message quoted the token or the secret. */
static int leaks;
/* ps_jwt_verifier_new() failures that left *v set. */
static int setup_left_v;
/* Refusals that left errors in the OpenSSL error queue. */
static int queued_errors;
static int refusals;

/* snprintf that bails instead of truncating a token. */
static void xsnprintf(char *out, size_t sz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
xsnprintf(char *out, size_t sz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, sz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sz)
		tap_bail("xsnprintf: buffer too small");
}

static void
datapath(char *buf, size_t sz, const char *name)
{
	const char *srcdir;

	srcdir = getenv("srcdir");
	if (srcdir == NULL || srcdir[0] == '\0')
		srcdir = ".";
	if ((size_t)snprintf(buf, sz, "%s/tests/data/jwt/%s", srcdir,
	    name) >= sz)
		tap_bail("path too long for %s", name);
}

static size_t
slurp(const char *name, char *buf, size_t sz)
{
	char path[PATHMAX];
	FILE *f;
	size_t n;

	datapath(path, sizeof(path), name);
	f = fopen(path, "rb");
	if (f == NULL)
		tap_bail("cannot open %s (set srcdir?)", path);
	n = fread(buf, 1, sz - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

static EVP_PKEY *
load_private(const char *name)
{
	char path[PATHMAX];
	EVP_PKEY *k;
	BIO *b;

	datapath(path, sizeof(path), name);
	b = BIO_new_file(path, "r");
	if (b == NULL)
		tap_bail("cannot open %s (set srcdir?)", path);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL)
		tap_bail("cannot read private key %s", path);
	return k;
}

/* base64url without padding, independent of ps_base64. */
static size_t
b64u(char *out, size_t outsz, const void *in, size_t len)
{
	int i, n;

	if (4 * ((len + 2) / 3) + 1 > outsz)
		tap_bail("b64u: output buffer too small");
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	return (size_t)n;
}

static size_t
sign_pkey(EVP_PKEY *k, const char *data, size_t len, unsigned char *sig,
    size_t sigsz)
{
	EVP_MD_CTX *md;
	size_t siglen;

	md = EVP_MD_CTX_new();
	siglen = sigsz;
	if (md == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k,
	    NULL) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)data,
	    len) != 1)
		tap_bail("EVP_DigestSign failed");
	EVP_MD_CTX_free(md);
	return siglen;
}

/* DER ECDSA-Sig-Value to the JWS form: 32-byte R || S. */
static size_t
der_to_raw(unsigned char *sig, size_t len)
{
	const unsigned char *p;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;

	p = sig;
	es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (es == NULL)
		tap_bail("d2i_ECDSA_SIG failed");
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) != 32 ||
	    BN_bn2binpad(s, sig + 32, 32) != 32)
		tap_bail("BN_bn2binpad failed");
	ECDSA_SIG_free(es);
	return 64;
}

static size_t
sign(enum sigkind kind, const void *key, size_t keylen, const char *data,
    size_t len, unsigned char *sig, size_t sigsz)
{
	unsigned int maclen;

	switch (kind) {
	case SIG_HS256:
		maclen = 0;
		if (HMAC(EVP_sha256(), key, (int)keylen,
		    (const unsigned char *)data, len, sig, &maclen) == NULL)
			tap_bail("HMAC failed");
		return maclen;
	case SIG_RS256:
		return sign_pkey(rsa_priv, data, len, sig, sigsz);
	case SIG_ES256:
		return der_to_raw(sig, sign_pkey(ec_priv, data, len, sig,
		    sigsz));
	case SIG_ES256_DER:
		return sign_pkey(ec_priv, data, len, sig, sigsz);
	case SIG_EMPTY:
		break;
	}
	return 0;
}

/*
 * Build "hseg.pseg.sig" from two literal segments, so a test can sign
 * segments that are not valid base64url or JSON.
 */
static void
tok_segs(char *out, size_t outsz, enum sigkind kind, const void *key,
    size_t keylen, enum mutation mut, const char *hseg, const char *pseg)
{
	unsigned char sig[2048];
	size_t n, siglen;

	n = (size_t)snprintf(out, outsz, "%s.%s", hseg, pseg);
	if (n + 2 >= outsz)
		tap_bail("token buffer too small");
	siglen = sign(kind, key, keylen, out, n, sig, sizeof(sig) - 1);
	switch (mut) {
	case MUT_NONE:
		break;
	case MUT_FLIP:
		sig[siglen / 2] ^= 0x10;
		break;
	case MUT_SHORT:
		siglen--;
		break;
	case MUT_LONG:
		sig[siglen++] = 0;
		break;
	}
	out[n++] = '.';
	b64u(out + n, outsz - n, sig, siglen);
}

static void
tok_ex(char *out, size_t outsz, enum sigkind kind, const void *key,
    size_t keylen, enum mutation mut, const char *hdr, const char *pay)
{
	static char hseg[TOKMAX], pseg[TOKMAX];

	b64u(hseg, sizeof(hseg), hdr, strlen(hdr));
	b64u(pseg, sizeof(pseg), pay, strlen(pay));
	tok_segs(out, outsz, kind, key, keylen, mut, hseg, pseg);
}

/* The common cases: the right key for the kind, no mutation. */
static void
tok(char *out, enum sigkind kind, const char *hdr, const char *pay)
{

	tok_ex(out, TOKMAX, kind, hs_secret, strlen(hs_secret), MUT_NONE,
	    hdr, pay);
}

/* printf into a static buffer: a claims set or a header. */
static const char *
js(const char *fmt, ...)
{
	static char buf[2][TOKMAX];
	static int which;
	va_list ap;

	which = !which;
	va_start(ap, fmt);
	if ((size_t)vsnprintf(buf[which], TOKMAX, fmt, ap) >= TOKMAX)
		tap_bail("js: buffer too small");
	va_end(ap);
	return buf[which];
}

/* A valid claims set for sub. */
static const char *
good_claims(const char *sub)
{

	return js("{\"sub\":\"%s\",\"iat\":%lld,\"exp\":%lld}", sub,
	    NOW - 10, NOW + 300);
}

static ps_jwt_verifier *
mkv_ex(const char *secret, const char *keyfile, long leeway,
    const char *iss, const char *aud, int allow_no_exp)
{
	char path[PATHMAX];
	ps_jwt_verifier *v;
	ps_jwt_opts o;
	ps_err err = {0};

	ps_jwt_opts_init(&o);
	if (secret != NULL) {
		o.hs256_secret = secret;
		o.hs256_secret_len = strlen(secret);
	}
	if (keyfile != NULL) {
		datapath(path, sizeof(path), keyfile);
		o.public_key_pem_path = path;
	}
	o.leeway_s = leeway;
	o.issuer = iss;
	o.audience = aud;
	o.allow_no_exp = allow_no_exp;
	if (ps_jwt_verifier_new(&v, &o, &err) != PS_OK)
		tap_bail("verifier setup failed: %s", err.msg);
	return v;
}

static ps_jwt_verifier *
mkv(const char *secret, const char *keyfile)
{

	return mkv_ex(secret, keyfile, PS_JWT_DEFAULT_LEEWAY, NULL, NULL, 0);
}

/*
 * Verify tok at now and check the outcome: PS_OK with sub, or the code
 * want with a message containing msg (when not NULL) and sub emptied.
 */
static void
check_at(const ps_jwt_verifier *v, const char *tok, size_t len,
    long long now, ps_code want, const char *want_sub, const char *msg,
    const char *name)
{
	char sub[PS_JWT_SUB_BUFSZ];
	const char *sig;
	ps_err err = {0};
	ps_code rc;
	int good;

	memset(sub, 'X', sizeof(sub) - 1);
	sub[sizeof(sub) - 1] = '\0';
	ps_err_clear(&err);
	ERR_clear_error();
	rc = ps_jwt_verify(v, tok, len, now, sub, sizeof(sub), &err);
	if (want == PS_OK)
		good = rc == PS_OK && strcmp(sub, want_sub) == 0;
	else
		good = rc == want && err.code == want && sub[0] == '\0' &&
		    err.msg[0] != '\0' &&
		    (msg == NULL || strstr(err.msg, msg) != NULL);
	ok(good, "%s", name);
	if (!good)
		tap_diag("  got %s \"%s\", sub \"%s\"", ps_code_name(rc),
		    err.msg, sub);
	if (rc != PS_OK) {
		refusals++;
		sig = strrchr(tok, '.');
		if (strstr(err.msg, hs_secret) != NULL ||
		    (sig != NULL && strlen(sig) > 8 &&
		    strstr(err.msg, sig + 1) != NULL) ||
		    (len > 16 && strstr(err.msg, tok) != NULL))
			leaks++;
		if (ERR_peek_error() != 0) {
			queued_errors++;
			ERR_clear_error();
		}
	}
}

static void
accept_tok(const ps_jwt_verifier *v, const char *tok, const char *sub,
    const char *name)
{

	check_at(v, tok, strlen(tok), NOW, PS_OK, sub, NULL, name);
}

static void
refuse_tok(const ps_jwt_verifier *v, const char *tok, const char *msg,
    const char *name)
{

	check_at(v, tok, strlen(tok), NOW, PS_E_AUTH, NULL, msg, name);
}

/* ---- base64url ---- */

static void
test_base64url(void)
{
	unsigned char in[64], out[80];
	char enc[128], ref[128];
	size_t i, len, n, outlen;
	ps_err err = {0};
	int same;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	same = 1;
	for (len = 0; len <= sizeof(in); len++) {
		b64u(ref, sizeof(ref), in, len);
		if (ps_base64url_encode(in, len, enc, sizeof(enc), &n,
		    NULL) != PS_OK || strcmp(enc, ref) != 0 ||
		    n != strlen(ref) || n != PS_BASE64URL_ENCODED_LEN(len))
			same = 0;
		if (ps_base64url_decode(ref, strlen(ref), out, sizeof(out),
		    &outlen, NULL) != PS_OK || outlen != len ||
		    memcmp(out, in, len) != 0)
			same = 0;
	}
	ok(same, "b64url_roundtrip_matches_openssl_for_lengths_0_to_64");

	is_int(ps_base64url_decode("YQ==", 4, out, sizeof(out), &outlen,
	    NULL), PS_E_INVALID, "b64url_rejects_padding");
	is_int(ps_base64url_decode("a+b/", 4, out, sizeof(out), &outlen,
	    NULL), PS_E_INVALID, "b64url_rejects_plain_base64_alphabet");
	is_int(ps_base64url_decode("YW Jj", 5, out, sizeof(out), &outlen,
	    NULL), PS_E_INVALID, "b64url_rejects_whitespace");
	is_int(ps_base64url_decode("YWJjZ", 5, out, sizeof(out), &outlen,
	    NULL), PS_E_INVALID, "b64url_rejects_length_1_mod_4");
	is_int(ps_base64url_decode("YR", 2, out, sizeof(out), &outlen,
	    NULL), PS_E_INVALID, "b64url_rejects_nonzero_unused_bits");
	is_int(ps_base64url_decode("YW\0j", 4, out, sizeof(out), &outlen,
	    NULL), PS_E_INVALID, "b64url_rejects_nul_byte");
	ps_err_clear(&err);
	is_int(ps_base64url_decode("YWJjZA", 6, out, 3, &outlen, &err),
	    PS_E_TOO_LARGE, "b64url_decode_refuses_small_buffer");
	ok(err.code == PS_E_TOO_LARGE && strstr(err.msg, "YWJj") == NULL,
	    "b64url_error_does_not_quote_input");
	is_int(ps_base64url_encode((const unsigned char *)"abcd", 4, enc, 6,
	    NULL, NULL), PS_E_TOO_LARGE,
	    "b64url_encode_refuses_buffer_without_room_for_nul");
	ok(ps_base64url_decode("", 0, out, 0, &outlen, NULL) == PS_OK &&
	    outlen == 0, "b64url_decodes_empty_input");
}

/* ---- user ids ---- */

static void
test_user_id(void)
{
	char id[80];

	ok(ps_user_id_valid("Alice_01.dev-x"), "user_id_accepts_charset");
	memset(id, 'a', 64);
	id[64] = '\0';
	ok(ps_user_id_valid(id), "user_id_accepts_64_chars");
	id[64] = 'a';
	id[65] = '\0';
	ok(!ps_user_id_valid(id), "user_id_refuses_65_chars");
	ok(!ps_user_id_valid(""), "user_id_refuses_empty");
	ok(!ps_user_id_valid(NULL), "user_id_refuses_null");
	ok(!ps_user_id_valid("a/b"), "user_id_refuses_slash");
	ok(!ps_user_id_valid(".."), "user_id_refuses_dotdot");
	ok(!ps_user_id_valid("."), "user_id_refuses_dot");
	ok(ps_user_id_valid("a..b"), "user_id_accepts_inner_dots");
	ok(ps_user_id_valid("a."), "user_id_accepts_trailing_dot");
	ok(!ps_user_id_valid(".htaccess"), "user_id_refuses_leading_dot");
	ok(!ps_user_id_valid(".a"), "user_id_refuses_hidden_name");
	ok(!ps_user_id_valid("al ice"), "user_id_refuses_space");
	ok(!ps_user_id_valid("caf\xc3\xa9"), "user_id_refuses_non_ascii");
	ok(!ps_user_id_valid("a:b"), "user_id_refuses_colon");
}

/* ---- verifier setup ---- */

static ps_code
setup(const char *secret, size_t secretlen, const char *keyfile,
    long leeway, ps_err *err)
{
	char path[PATHMAX];
	ps_jwt_verifier *v;
	ps_jwt_opts o;
	ps_code rc;

	ps_jwt_opts_init(&o);
	o.hs256_secret = secret;
	o.hs256_secret_len = secretlen;
	if (keyfile != NULL) {
		if (keyfile[0] == '/' || keyfile[0] == '\0')
			xsnprintf(path, sizeof(path), "%s", keyfile);
		else
			datapath(path, sizeof(path), keyfile);
		o.public_key_pem_path = path;
	}
	o.leeway_s = leeway;
	ps_err_clear(err);
	v = (ps_jwt_verifier *)(void *)&o;	/* must be overwritten */
	rc = ps_jwt_verifier_new(&v, &o, err);
	if (rc != PS_OK && v != NULL)
		setup_left_v++;
	ps_jwt_verifier_free(rc == PS_OK ? v : NULL);
	return rc;
}

static void
setup_refused(const char *secret, size_t secretlen, const char *keyfile,
    long leeway, const char *msg1, const char *msg2, const char *name)
{
	ps_err err = {0};
	ps_code rc;
	int good;

	rc = setup(secret, secretlen, keyfile, leeway, &err);
	good = rc == PS_E_CONFIG && err.code == PS_E_CONFIG &&
	    (msg1 == NULL || strstr(err.msg, msg1) != NULL) &&
	    (msg2 == NULL || strstr(err.msg, msg2) != NULL);
	ok(good, "%s", name);
	if (!good)
		tap_diag("  got %s \"%s\"", ps_code_name(rc), err.msg);
}

static void
test_setup(void)
{
	ps_jwt_verifier *v;
	ps_err err = {0};

	setup_refused(hs_secret, 31, NULL, 30, "JWT_SECRET", "32",
	    "setup_refuses_hs256_secret_of_31_bytes");
	setup(hs_secret, 31, NULL, 30, &err);
	ok(strstr(err.msg, "pairstore-test") == NULL,
	    "setup_short_secret_message_omits_secret");
	is_int(setup(hs_secret, 32, NULL, 30, &err), PS_OK,
	    "setup_accepts_hs256_secret_of_32_bytes");
	setup_refused("", 0, NULL, 30, "JWT_SECRET", NULL,
	    "setup_refuses_empty_secret");
	setup_refused(NULL, 0, NULL, 30, "no key", NULL,
	    "setup_refuses_no_key");
	setup_refused(hs_secret, strlen(hs_secret), "test-rsa-public.pem",
	    30, "exactly one", NULL, "setup_refuses_secret_and_key_together");
	setup_refused(NULL, 0, "", 30, "JWT_PUBLIC_KEY_FILE", NULL,
	    "setup_refuses_empty_key_path_as_no_key");
	setup_refused(NULL, 0, "does-not-exist.pem", 30,
	    "does-not-exist.pem", "No such file",
	    "setup_refuses_missing_key_file_naming_path_and_reason");
	setup_refused(NULL, 0, "not-a-key.pem", 30, "not-a-key.pem",
	    "PUBLIC KEY", "setup_refuses_garbage_key_file_naming_path");
	setup_refused(NULL, 0, "vectors.txt", 30, "vectors.txt", "no PEM",
	    "setup_refuses_text_file_as_key");
	setup_refused(NULL, 0, "test-rsa-private.pem", 30, "private key",
	    "-pubout", "setup_refuses_private_key_with_hint");
	setup_refused(NULL, 0, "test-rsa1024-public.pem", 30, "1024",
	    "2048", "setup_refuses_rsa_1024_key");
	setup_refused(NULL, 0, "test-ec-p384-public.pem", 30, "P-256", NULL,
	    "setup_refuses_ec_p384_key");
	setup_refused(NULL, 0, "test-ed25519-public.pem", 30, "unsupported",
	    NULL, "setup_refuses_ed25519_key");
	setup_refused(NULL, 0, "/", 30, "cannot read", NULL,
	    "setup_refuses_directory_as_key_file");
	setup_refused(hs_secret, strlen(hs_secret), NULL, -1, "JWT_LEEWAY_S",
	    NULL, "setup_refuses_negative_leeway");
	setup_refused(hs_secret, strlen(hs_secret), NULL,
	    PS_JWT_MAX_LEEWAY + 1, "JWT_LEEWAY_S", NULL,
	    "setup_refuses_leeway_over_max");
	is_int(ps_jwt_verifier_new(&v, NULL, &err), PS_E_INTERNAL,
	    "setup_refuses_null_opts");
	is_int(setup_left_v, 0, "setup_failure_leaves_verifier_null");

	v = mkv(hs_secret, NULL);
	is_str(ps_jwt_verifier_alg(v), "HS256", "setup_secret_selects_HS256");
	ps_jwt_verifier_free(v);
	v = mkv(NULL, "test-rsa-public.pem");
	is_str(ps_jwt_verifier_alg(v), "RS256", "setup_rsa_key_selects_RS256");
	ps_jwt_verifier_free(v);
	v = mkv(NULL, "test-ec-public.pem");
	is_str(ps_jwt_verifier_alg(v), "ES256", "setup_ec_key_selects_ES256");
	ps_jwt_verifier_free(v);
	ps_jwt_verifier_free(NULL);
	ok(1, "verifier_free_accepts_null");
}

/* ---- valid tokens, reuse ---- */

static void
test_valid(ps_jwt_verifier *hs, ps_jwt_verifier *rs, ps_jwt_verifier *es)
{
	char t[TOKMAX], sub[16], name[32];
	ps_err err = {0};
	int i, good;

	tok(t, SIG_HS256, HDR_HS, good_claims("alice"));
	accept_tok(hs, t, "alice", "hs256_valid_token_accepted");
	tok(t, SIG_RS256, HDR_RS, good_claims("bob"));
	accept_tok(rs, t, "bob", "rs256_valid_token_accepted");
	tok(t, SIG_ES256, HDR_ES, good_claims("carol"));
	accept_tok(es, t, "carol", "es256_valid_token_accepted");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\"}", good_claims("dave"));
	accept_tok(hs, t, "dave", "hs256_token_without_typ_accepted");

	good = 1;
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "user-%d", i);
		tok(t, i % 2 ? SIG_ES256 : SIG_RS256, i % 2 ? HDR_ES : HDR_RS,
		    good_claims(name));
		if (ps_jwt_verify(i % 2 ? es : rs, t, strlen(t), NOW, sub,
		    sizeof(sub), NULL) != PS_OK || strcmp(sub, name) != 0)
			good = 0;
	}
	ok(good, "verifier_reused_across_many_tokens");

	tok(t, SIG_HS256, HDR_HS, good_claims("alice"));
	ps_err_clear(&err);
	is_int(ps_jwt_verify(hs, t, strlen(t), NOW, sub, 4, &err),
	    PS_E_INTERNAL, "sub_buffer_too_small_is_internal_error");
	ok(sub[0] == '\0', "sub_buffer_emptied_on_failure");
	is_int(ps_jwt_verify(hs, t, strlen(t), NOW, sub, sizeof(sub), NULL),
	    PS_OK, "verify_accepts_null_err");
}

/* ---- time claims ---- */

static void
test_times(ps_jwt_verifier *hs)
{
	ps_jwt_verifier *strict, *noexp;
	char t[TOKMAX];

	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld}",
	    NOW - 31));
	refuse_tok(hs, t, "expired", "expired_token_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld}",
	    NOW - 29));
	accept_tok(hs, t, "a", "expired_within_leeway_accepted");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld}",
	    NOW - 30));
	refuse_tok(hs, t, "expired", "expired_exactly_leeway_ago_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld.5}",
	    NOW - 30));
	accept_tok(hs, t, "a", "float_exp_within_leeway_accepted");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld.5}",
	    NOW - 31));
	refuse_tok(hs, t, "expired", "float_exp_past_leeway_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld e0}",
	    NOW));
	refuse_tok(hs, t, "payload", "exp_with_broken_number_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":1.6e9}"));
	refuse_tok(hs, t, "expired", "exp_in_exponent_form_past_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":1.8e9}"));
	accept_tok(hs, t, "a", "exp_in_exponent_form_future_accepted");

	strict = mkv_ex(hs_secret, NULL, 0, NULL, NULL, 0);
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld}", NOW));
	refuse_tok(strict, t, "expired",
	    "exp_equal_now_refused_without_leeway");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld}",
	    NOW + 1));
	accept_tok(strict, t, "a", "exp_one_second_ahead_accepted");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"nbf\":%lld}", NOW + 60, NOW + 1));
	refuse_tok(strict, t, "not yet valid",
	    "nbf_one_second_ahead_refused_without_leeway");
	ps_jwt_verifier_free(strict);

	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":\"%lld\"}",
	    NOW + 60));
	refuse_tok(hs, t, "exp", "exp_as_string_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":true}"));
	refuse_tok(hs, t, "exp", "exp_as_bool_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":null}"));
	refuse_tok(hs, t, "exp", "exp_null_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":1e999}"));
	refuse_tok(hs, t, "exp", "exp_infinite_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":NaN}"));
	refuse_tok(hs, t, NULL, "exp_nan_refused");

	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"nbf\":%lld}", NOW + 600, NOW + 31));
	refuse_tok(hs, t, "not yet valid", "nbf_in_future_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"nbf\":%lld}", NOW + 600, NOW + 30));
	accept_tok(hs, t, "a", "nbf_within_leeway_accepted");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"nbf\":\"soon\"}", NOW + 600));
	refuse_tok(hs, t, "nbf", "nbf_as_string_refused");

	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"iat\":%lld}", NOW + 600, NOW + 31));
	refuse_tok(hs, t, "future", "iat_in_future_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"iat\":%lld}", NOW + 600, NOW + 30));
	accept_tok(hs, t, "a", "iat_within_leeway_accepted");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"iat\":[1]}", NOW + 600));
	refuse_tok(hs, t, "iat", "iat_as_array_refused");

	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"iat\":%lld}", NOW));
	refuse_tok(hs, t, "no exp", "missing_exp_refused");
	noexp = mkv_ex(hs_secret, NULL, 30, NULL, NULL, 1);
	accept_tok(noexp, t, "a", "missing_exp_accepted_when_allowed");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld}",
	    NOW - 3600));
	refuse_tok(noexp, t, "expired",
	    "expired_refused_even_when_exp_optional");
	ps_jwt_verifier_free(noexp);
}

/* ---- sub ---- */

static void
test_sub(ps_jwt_verifier *hs)
{
	char t[TOKMAX], id[80];

	tok(t, SIG_HS256, HDR_HS, js("{\"exp\":%lld}", NOW + 60));
	refuse_tok(hs, t, "no sub", "missing_sub_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":42,\"exp\":%lld}", NOW + 60));
	refuse_tok(hs, t, "invalid sub", "sub_as_number_refused");
	tok(t, SIG_HS256, HDR_HS, good_claims("a/b"));
	refuse_tok(hs, t, "invalid sub", "sub_with_slash_refused");
	tok(t, SIG_HS256, HDR_HS, good_claims(".."));
	refuse_tok(hs, t, "invalid sub", "sub_dotdot_refused");
	tok(t, SIG_HS256, HDR_HS, good_claims("../etc"));
	refuse_tok(hs, t, "invalid sub", "sub_path_traversal_refused");
	tok(t, SIG_HS256, HDR_HS, good_claims(""));
	refuse_tok(hs, t, "invalid sub", "sub_empty_refused");
	tok(t, SIG_HS256, HDR_HS, good_claims("ab\\u0000c"));
	refuse_tok(hs, t, "invalid sub", "sub_with_escaped_nul_refused");
	tok(t, SIG_HS256, HDR_HS, good_claims("ab\\nc"));
	refuse_tok(hs, t, "invalid sub", "sub_with_newline_refused");
	memset(id, 'u', 65);
	id[65] = '\0';
	tok(t, SIG_HS256, HDR_HS, good_claims(id));
	refuse_tok(hs, t, "invalid sub", "sub_of_65_chars_refused");
	id[64] = '\0';
	tok(t, SIG_HS256, HDR_HS, good_claims(id));
	accept_tok(hs, t, id, "sub_of_64_chars_accepted");
}

/* ---- signatures and algorithms ---- */

static void
test_signatures(ps_jwt_verifier *hs, ps_jwt_verifier *rs,
    ps_jwt_verifier *es)
{
	char t[TOKMAX], seg[TOKMAX], forged[TOKMAX], c[256];
	const char *d1, *d2;
	size_t n;

	snprintf(c, sizeof(c), "%s", good_claims("alice"));
	tok_ex(t, TOKMAX, SIG_HS256, hs_secret, strlen(hs_secret), MUT_FLIP,
	    HDR_HS, c);
	refuse_tok(hs, t, "bad signature", "hs256_one_bit_flipped_refused");
	tok_ex(t, TOKMAX, SIG_RS256, NULL, 0, MUT_FLIP, HDR_RS, c);
	refuse_tok(rs, t, "bad signature", "rs256_one_bit_flipped_refused");
	tok_ex(t, TOKMAX, SIG_ES256, NULL, 0, MUT_FLIP, HDR_ES, c);
	refuse_tok(es, t, "bad signature", "es256_one_bit_flipped_refused");

	tok_ex(t, TOKMAX, SIG_HS256, hs_secret, strlen(hs_secret), MUT_SHORT,
	    HDR_HS, c);
	refuse_tok(hs, t, "bad signature",
	    "hs256_truncated_signature_refused");
	tok_ex(t, TOKMAX, SIG_RS256, NULL, 0, MUT_SHORT, HDR_RS, c);
	refuse_tok(rs, t, "bad signature",
	    "rs256_truncated_signature_refused");
	tok_ex(t, TOKMAX, SIG_ES256, NULL, 0, MUT_SHORT, HDR_ES, c);
	refuse_tok(es, t, "bad signature",
	    "es256_truncated_signature_refused");
	tok_ex(t, TOKMAX, SIG_ES256, NULL, 0, MUT_LONG, HDR_ES, c);
	refuse_tok(es, t, "bad signature", "es256_65_byte_signature_refused");
	tok(t, SIG_RS256, HDR_RS, c);
	t[strlen(t) - 3] = '\0';
	refuse_tok(rs, t, NULL, "rs256_signature_cut_mid_character_refused");
	tok_ex(t, TOKMAX, SIG_HS256, "other-secret-other-secret-other-secret",
	    38, MUT_NONE, HDR_HS, c);
	refuse_tok(hs, t, "bad signature", "hs256_wrong_secret_refused");

	/* The signature covers the payload: swap in another one. */
	tok(t, SIG_HS256, HDR_HS, c);
	b64u(seg, sizeof(seg), good_claims("admin"),
	    strlen(good_claims("admin")));
	d1 = strchr(t, '.');
	d2 = strrchr(t, '.');
	xsnprintf(forged, sizeof(forged), "%.*s.%s%s", (int)(d1 - t), t, seg,
	    d2);
	refuse_tok(hs, forged, "bad signature",
	    "payload_swapped_under_valid_signature_refused");

	/* RFC 7519, section 6: unsecured JWTs. */
	tok_ex(t, TOKMAX, SIG_EMPTY, NULL, 0, MUT_NONE, "{\"alg\":\"none\"}",
	    c);
	refuse_tok(hs, t, "not signed", "alg_none_without_signature_refused");
	refuse_tok(rs, t, "not signed",
	    "alg_none_without_signature_refused_by_rs256");
	tok(t, SIG_HS256, "{\"alg\":\"none\"}", c);
	refuse_tok(hs, t, "algorithm not allowed",
	    "alg_none_with_valid_hmac_refused");
	tok(t, SIG_RS256, "{\"alg\":\"none\"}", c);
	refuse_tok(rs, t, "algorithm not allowed",
	    "alg_none_with_valid_rsa_signature_refused");
	tok(t, SIG_HS256, "{\"alg\":\"None\"}", c);
	refuse_tok(hs, t, "algorithm not allowed", "alg_None_refused");

	/* RFC 8725, section 2.1: HMAC keyed with the public key text. */
	tok_ex(t, TOKMAX, SIG_HS256, rsa_pub_pem, rsa_pub_pem_len, MUT_NONE,
	    HDR_HS, c);
	refuse_tok(rs, t, "algorithm not allowed",
	    "hs256_keyed_with_rsa_public_pem_refused_by_rs256");
	tok_ex(t, TOKMAX, SIG_HS256, ec_pub_pem, ec_pub_pem_len, MUT_NONE,
	    HDR_HS, c);
	refuse_tok(es, t, "algorithm not allowed",
	    "hs256_keyed_with_ec_public_pem_refused_by_es256");
	tok_ex(t, TOKMAX, SIG_HS256, rsa_pub_pem, rsa_pub_pem_len, MUT_NONE,
	    HDR_RS, c);
	refuse_tok(rs, t, "bad signature",
	    "hmac_with_rsa_pem_under_rs256_header_refused");

	tok(t, SIG_RS256, HDR_RS, c);
	refuse_tok(hs, t, "algorithm not allowed",
	    "rs256_token_refused_by_hs256_verifier");
	refuse_tok(es, t, "algorithm not allowed",
	    "rs256_token_refused_by_es256_verifier");
	tok(t, SIG_ES256, HDR_ES, c);
	refuse_tok(rs, t, "algorithm not allowed",
	    "es256_token_refused_by_rs256_verifier");
	refuse_tok(hs, t, "algorithm not allowed",
	    "es256_token_refused_by_hs256_verifier");
	tok(t, SIG_HS256, "{\"alg\":\"hs256\"}", c);
	refuse_tok(hs, t, "algorithm not allowed", "alg_lowercase_refused");
	tok(t, SIG_RS256, "{\"alg\":\"RS256 \"}", c);
	refuse_tok(rs, t, "algorithm not allowed",
	    "alg_with_trailing_space_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS512\"}", c);
	refuse_tok(hs, t, "algorithm not allowed", "alg_hs512_refused");
	tok(t, SIG_HS256, "{\"typ\":\"JWT\"}", c);
	refuse_tok(hs, t, "no alg", "alg_missing_refused");
	tok(t, SIG_HS256, "{\"alg\":[\"HS256\"]}", c);
	refuse_tok(hs, t, "algorithm not allowed", "alg_as_array_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\\u0000x\"}", c);
	refuse_tok(hs, t, "algorithm not allowed",
	    "alg_with_escaped_nul_suffix_refused");

	/* RFC 7518, section 3.4: R || S, never DER. */
	tok(t, SIG_ES256_DER, HDR_ES, c);
	refuse_tok(es, t, "bad signature", "es256_der_signature_refused");

	/* Zero R and S: must not verify. */
	tok(t, SIG_ES256, HDR_ES, c);
	n = (size_t)(strrchr(t, '.') - t) + 1;
	memset(seg, 0, 64);
	b64u(t + n, TOKMAX - n, seg, 64);
	refuse_tok(es, t, "bad signature", "es256_zero_signature_refused");
}

/* ---- structure, encoding, JSON ---- */

static void
test_structure(ps_jwt_verifier *hs)
{
	char t[TOKMAX], u[TOKMAX], h[TOKMAX], p[TOKMAX], c[256];
	char *big;
	const char *d1;
	size_t n;
	int depth;

	snprintf(c, sizeof(c), "%s", good_claims("alice"));
	tok(t, SIG_HS256, HDR_HS, c);
	xsnprintf(u, sizeof(u), "%s.c2ln", t);
	refuse_tok(hs, u, "three segments", "four_segments_refused");
	xsnprintf(u, sizeof(u), "%s.a.b", t);
	refuse_tok(hs, u, "three segments", "five_segments_jwe_refused");
	xsnprintf(u, sizeof(u), "%.*s", (int)(strrchr(t, '.') - t), t);
	refuse_tok(hs, u, "three segments", "two_segments_refused");
	refuse_tok(hs, "abc", "three segments", "one_segment_refused");
	check_at(hs, "", 0, NOW, PS_E_AUTH, NULL, "no token",
	    "empty_token_refused");
	d1 = strchr(t, '.');
	xsnprintf(u, sizeof(u), "%s", d1);
	refuse_tok(hs, u, "empty segment", "empty_header_segment_refused");
	xsnprintf(u, sizeof(u), " %s", t);
	refuse_tok(hs, u, "base64url", "leading_space_refused");
	xsnprintf(u, sizeof(u), "Bearer %s", t);
	refuse_tok(hs, u, "base64url", "bearer_prefix_not_stripped_here");

	memcpy(u, t, strlen(t) + 1);
	u[3] = '!';
	refuse_tok(hs, u, "header is not base64url",
	    "bad_base64_char_in_header_refused");
	memcpy(u, t, strlen(t) + 1);
	u[strlen(u) - 2] = '*';
	refuse_tok(hs, u, "bad signature",
	    "bad_base64_char_in_signature_refused");
	xsnprintf(u, sizeof(u), "%s=", t);
	refuse_tok(hs, u, "bad signature", "padded_signature_refused");
	/* Validly signed, but the payload segment is not base64url. */
	b64u(h, sizeof(h), HDR_HS, strlen(HDR_HS));
	b64u(p, sizeof(p), c, strlen(c));
	p[4] = '+';
	tok_segs(u, sizeof(u), SIG_HS256, hs_secret, strlen(hs_secret),
	    MUT_NONE, h, p);
	refuse_tok(hs, u, "payload is not base64url",
	    "signed_payload_with_plus_char_refused");
	b64u(p, sizeof(p), c, strlen(c));
	strcat(p, "==");
	tok_segs(u, sizeof(u), SIG_HS256, hs_secret, strlen(hs_secret),
	    MUT_NONE, h, p);
	refuse_tok(hs, u, "payload is not base64url",
	    "signed_payload_with_padding_refused");

	n = strlen(t);
	memcpy(u, t, n + 1);
	u[n + 1] = 'x';
	check_at(hs, u, n + 2, NOW, PS_E_AUTH, NULL, NULL,
	    "token_with_nul_byte_refused");

	tok(t, SIG_HS256, "notjson", c);
	refuse_tok(hs, t, "header is not a JSON object",
	    "header_not_json_refused");
	tok(t, SIG_HS256, "[\"HS256\"]", c);
	refuse_tok(hs, t, "header is not a JSON object",
	    "header_json_array_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\"} x", c);
	refuse_tok(hs, t, "header", "header_trailing_garbage_refused");
	tok(t, SIG_HS256, "{\"alg\":\"none\",\"alg\":\"HS256\"}", c);
	refuse_tok(hs, t, "duplicate", "header_duplicate_alg_refused");
	tok(t, SIG_HS256, "{'alg':'HS256'}", c);
	refuse_tok(hs, t, "header", "header_single_quotes_refused");
	/* json-c takes single-quoted names even when strict. */
	tok(t, SIG_HS256, "{'alg':\"HS256\"}", c);
	refuse_tok(hs, t, "header", "header_single_quoted_name_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"alice\",\"exp\":%lld,"
	    "'sub':\"admin\"}", NOW + 60));
	refuse_tok(hs, t, "payload",
	    "payload_single_quoted_duplicate_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"x\":\"\xff\"}", c);
	refuse_tok(hs, t, "header", "header_invalid_utf8_refused");

	tok(t, SIG_HS256, HDR_HS, "[\"alice\"]");
	refuse_tok(hs, t, "payload is not a JSON object",
	    "payload_json_array_refused");
	tok(t, SIG_HS256, HDR_HS, "\"alice\"");
	refuse_tok(hs, t, "payload is not a JSON object",
	    "payload_json_string_refused");
	tok(t, SIG_HS256, HDR_HS, js("%s{}", c));
	refuse_tok(hs, t, "payload", "payload_trailing_object_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"admin\",\"sub\":\"alice\","
	    "\"exp\":%lld}", NOW + 60));
	refuse_tok(hs, t, "duplicate", "payload_duplicate_sub_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"alice\",\"exp\":%lld,"
	    "\"ctx\":{\"a\":1,\"b\":{\"c\":[{\"d\":2}]}},\"s\":\"x:y\\\":z\","
	    "\"q\":\"it's\"}", NOW + 60));
	accept_tok(hs, t, "alice",
	    "nested_members_and_colons_in_strings_not_duplicates");

	for (depth = 0, n = 0; depth < 20; depth++)
		p[n++] = '[';
	for (depth = 0; depth < 20; depth++)
		p[n++] = ']';
	p[n] = '\0';
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,\"x\":%s}",
	    NOW + 60, p));
	refuse_tok(hs, t, "payload", "payload_nested_20_deep_refused");
	p[10] = '\0';
	memset(p + 10, ']', 10);
	p[20] = '\0';
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,\"x\":%s}",
	    NOW + 60, p));
	accept_tok(hs, t, "a", "payload_nested_10_deep_accepted");

	/* Size limit: the largest token allowed, and one byte more. */
	big = malloc(PS_JWT_MAX_TOKEN);
	if (big == NULL)
		tap_bail("out of memory");
	for (n = 6200;; n--) {
		memset(big, 'p', n);
		big[n] = '\0';
		tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
		    "\"pad\":\"%s\"}", NOW + 60, big));
		if (strlen(t) <= PS_JWT_MAX_TOKEN)
			break;
		memcpy(u, t, strlen(t) + 1);
	}
	ok(strlen(t) > PS_JWT_MAX_TOKEN - 4 && strlen(u) > PS_JWT_MAX_TOKEN,
	    "size_limit_tokens_built (%zu and %zu bytes)", strlen(t),
	    strlen(u));
	accept_tok(hs, t, "a", "token_at_size_limit_accepted");
	refuse_tok(hs, u, "too long", "token_over_size_limit_refused");
	free(big);
	big = malloc((1 << 20) + 1);
	if (big == NULL)
		tap_bail("out of memory");
	memset(big, 'A', 1 << 20);
	big[1 << 20] = '\0';
	check_at(hs, big, 1 << 20, NOW, PS_E_AUTH, NULL, "too long",
	    "huge_token_refused_before_parsing");
	free(big);
}

/* ---- header parameters ---- */

static void
test_header_params(ps_jwt_verifier *hs)
{
	char t[TOKMAX], c[256];

	snprintf(c, sizeof(c), "%s", good_claims("alice"));
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}",
	    c);
	refuse_tok(hs, t, "critical", "crit_header_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"crit\":[]}", c);
	refuse_tok(hs, t, "critical", "empty_crit_header_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"b64\":false,"
	    "\"crit\":[\"b64\"]}", c);
	refuse_tok(hs, t, "critical", "unencoded_payload_b64_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"typ\":\"JWS\"}", c);
	refuse_tok(hs, t, "type not accepted", "typ_JWS_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"typ\":\"jwt\"}", c);
	accept_tok(hs, t, "alice", "typ_lowercase_jwt_accepted");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"typ\":\"application/JWT\"}",
	    c);
	accept_tok(hs, t, "alice", "typ_application_jwt_accepted");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"typ\":1}", c);
	refuse_tok(hs, t, "type not accepted", "typ_non_string_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"typ\":\"JWT\\u0000\"}", c);
	refuse_tok(hs, t, "type not accepted", "typ_with_escaped_nul_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"cty\":\"JWT\"}", c);
	refuse_tok(hs, t, "nested", "cty_jwt_nested_token_refused");
	tok(t, SIG_HS256, "{\"alg\":\"HS256\",\"kid\":\"../../etc/passwd\","
	    "\"jku\":\"http://127.0.0.1:1/jwks\",\"x5u\":\"http://127.0.0.1:1/"
	    "x\",\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"},\"x5c\":[\"AA\"]}",
	    c);
	accept_tok(hs, t, "alice", "kid_jku_x5u_jwk_x5c_headers_ignored");
}

/* ---- iss, aud ---- */

static void
test_iss_aud(ps_jwt_verifier *hs)
{
	ps_jwt_verifier *va, *vi;
	char t[TOKMAX];
	long long e;

	e = NOW + 60;
	va = mkv_ex(hs_secret, NULL, 30, NULL, "pairstore", 0);
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"aud\":\"pairstore\"}", e));
	accept_tok(va, t, "a", "audience_string_match_accepted");
	refuse_tok(hs, t, "audience", "audience_refused_when_none_configured");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"aud\":[\"billing\",\"pairstore\"]}", e));
	accept_tok(va, t, "a", "audience_array_containing_it_accepted");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"aud\":[\"billing\",\"pairstore2\"]}", e));
	refuse_tok(va, t, "audience mismatch",
	    "audience_array_without_it_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"aud\":\"billing\"}", e));
	refuse_tok(va, t, "audience mismatch",
	    "audience_string_mismatch_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"aud\":\"PairStore\"}", e));
	refuse_tok(va, t, "audience mismatch",
	    "audience_compared_case_sensitively");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld}", e));
	refuse_tok(va, t, "no aud", "audience_missing_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"aud\":[]}", e));
	refuse_tok(va, t, "invalid aud", "audience_empty_array_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"aud\":[1,\"pairstore\"]}", e));
	refuse_tok(va, t, "invalid aud",
	    "audience_array_with_non_string_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"aud\":{\"pairstore\":1}}", e));
	refuse_tok(va, t, "invalid aud", "audience_object_refused");
	ps_jwt_verifier_free(va);

	vi = mkv_ex(hs_secret, NULL, 30, "https://idp.example/", NULL, 0);
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"iss\":\"https://idp.example/\"}", e));
	accept_tok(vi, t, "a", "issuer_match_accepted");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"iss\":\"https://evil.example/\"}", e));
	refuse_tok(vi, t, "issuer mismatch", "issuer_mismatch_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"iss\":\"https://idp.example\"}", e));
	refuse_tok(vi, t, "issuer mismatch",
	    "issuer_without_trailing_slash_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld}", e));
	refuse_tok(vi, t, "no iss", "issuer_missing_refused");
	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"iss\":[\"https://idp.example/\"]}", e));
	refuse_tok(vi, t, "issuer mismatch", "issuer_as_array_refused");
	ps_jwt_verifier_free(vi);

	tok(t, SIG_HS256, HDR_HS, js("{\"sub\":\"a\",\"exp\":%lld,"
	    "\"iss\":\"anyone\"}", e));
	accept_tok(hs, t, "a", "issuer_ignored_when_not_configured");
}

/* ---- tokens made outside C ---- */

static void
test_vectors(ps_jwt_verifier *hs, ps_jwt_verifier *rs,
    ps_jwt_verifier *es)
{
	char path[PATHMAX], line[TOKMAX], name[128], key[16], expect[80];
	char tokbuf[TOKMAX], label[200];
	ps_jwt_verifier *v;
	long long now;
	FILE *f;
	int count;

	datapath(path, sizeof(path), "vectors.txt");
	f = fopen(path, "r");
	if (f == NULL)
		tap_bail("cannot open %s (set srcdir?)", path);
	count = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%127s %15s %lld %79s %16383s", name, key,
		    &now, expect, tokbuf) != 5)
			tap_bail("bad line in %s: %.40s", path, line);
		v = strcmp(key, "hs256") == 0 ? hs :
		    strcmp(key, "rs256") == 0 ? rs : es;
		snprintf(label, sizeof(label), "vector_%s", name);
		if (strncmp(expect, "ok:", 3) == 0)
			check_at(v, tokbuf, strlen(tokbuf), now, PS_OK,
			    expect + 3, NULL, label);
		else
			check_at(v, tokbuf, strlen(tokbuf), now, PS_E_AUTH,
			    NULL, NULL, label);
		count++;
	}
	fclose(f);
	ok(count >= 10, "vectors_file_has_%d_tokens", count);
}

int
main(void)
{
	ps_jwt_verifier *hs, *rs, *es;

	rsa_priv = load_private("test-rsa-private.pem");
	ec_priv = load_private("test-ec-private.pem");
	rsa_pub_pem_len = slurp("test-rsa-public.pem", rsa_pub_pem,
	    sizeof(rsa_pub_pem));
	ec_pub_pem_len = slurp("test-ec-public.pem", ec_pub_pem,
	    sizeof(ec_pub_pem));

	test_base64url();
	test_user_id();
	test_setup();

	hs = mkv(hs_secret, NULL);
	rs = mkv(NULL, "test-rsa-public.pem");
	es = mkv(NULL, "test-ec-public.pem");
	test_valid(hs, rs, es);
	test_times(hs);
	test_sub(hs);
	test_signatures(hs, rs, es);
	test_structure(hs);
	test_header_params(hs);
	test_iss_aud(hs);
	test_vectors(hs, rs, es);

	ok(refusals > 50 && leaks == 0,
	    "refusal_messages_never_quote_token_or_secret (%d refusals)",
	    refusals);
	is_int(queued_errors, 0,
	    "openssl_error_queue_left_empty_after_every_refusal");

	ps_jwt_verifier_free(hs);
	ps_jwt_verifier_free(rs);
	ps_jwt_verifier_free(es);
	EVP_PKEY_free(rsa_priv);
	EVP_PKEY_free(ec_priv);
	return tap_done();
}
