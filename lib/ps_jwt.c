/*
 * ps_jwt.c - verify JWTs (RFC 7519) carried as compact JWS (RFC 7515)
 * with one configured algorithm from RFC 7518; see ps_jwt.h.
 *
 * Order of work, cheapest and least trusting first: length and shape,
 * the header (small, needed to refuse a wrong "alg" with a clear
 * message), the signature, and only then the claims, so no claim from
 * an unauthenticated payload is ever looked at.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ps_base64.h"
#include "ps_jwt.h"
#include "ps_util.h"

#define JWT_JSON_DEPTH    16          /* nesting json-c may build */
#define JWT_KEYFILE_MAX   (64 * 1024) /* a PEM public key is ~1 KiB */
#define JWT_MIN_RSA_BITS  2048        /* RFC 7518, section 3.3 */
#define JWT_MAX_SIG       1024        /* RSA-8192; larger is not ours */
#define JWT_MAX_AUD       32          /* entries in an "aud" array */
#define JWT_MAX_CONF_STR  1024        /* configured iss/aud */
#define JWT_HS256_LEN     32          /* HMAC-SHA256 output */
#define JWT_ES256_LEN     64          /* R || S, RFC 7518, section 3.4 */
#define JWT_ES256_HALF    32

enum jwt_alg {
	JWT_HS256,
	JWT_RS256,
	JWT_ES256
};

static const char *const jwt_alg_names[] = {
	[JWT_HS256] = "HS256",
	[JWT_RS256] = "RS256",
	[JWT_ES256] = "ES256",
};

/* Immutable after ps_jwt_verifier_new(): shared by all threads. */
struct ps_jwt_verifier {
	enum jwt_alg	 alg;
	unsigned char	*secret;	/* HS256 key, wiped on free */
	size_t		 secretlen;
	EVP_MAC		*mac;		/* HS256: fetched once */
	EVP_PKEY	*pkey;		/* RS256, ES256 */
	long		 leeway;
	char		*issuer;	/* NULL: iss not checked */
	char		*audience;	/* NULL: see check_audience() */
	int		 allow_no_exp;
};

void
ps_jwt_opts_init(ps_jwt_opts *o)
{

	if (o == NULL)
		return;
	memset(o, 0, sizeof(*o));
	o->leeway_s = PS_JWT_DEFAULT_LEEWAY;
}

const char *
ps_jwt_verifier_alg(const ps_jwt_verifier *v)
{

	return v == NULL ? "none" : jwt_alg_names[v->alg];
}

void
ps_jwt_verifier_free(ps_jwt_verifier *v)
{

	if (v == NULL)
		return;
	if (v->secret != NULL) {
		OPENSSL_cleanse(v->secret, v->secretlen);
		free(v->secret);
	}
	EVP_MAC_free(v->mac);
	EVP_PKEY_free(v->pkey);
	free(v->issuer);
	free(v->audience);
	free(v);
}

/*
 * Read at most JWT_KEYFILE_MAX bytes of path into a NUL-terminated
 * buffer the caller frees (after wiping: a misconfigured path may name
 * a private key).
 */
static ps_code
read_key_file(const char *path, char **out, size_t *outlen, ps_err *err)
{
	FILE *f;
	char *buf;
	size_t n;
	int saved;

	*out = NULL;
	*outlen = 0;
	f = fopen(path, "rb");
	if (f == NULL)
		return ps_err_set(err, PS_E_CONFIG,
		    "JWT_PUBLIC_KEY_FILE %s: cannot open: %s", path,
		    strerror(errno));
	buf = malloc(JWT_KEYFILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return ps_err_set(err, PS_E_NOMEM, "JWT_PUBLIC_KEY_FILE: "
		    "out of memory");
	}
	n = fread(buf, 1, JWT_KEYFILE_MAX + 1, f);
	if (ferror(f)) {
		saved = errno;
		fclose(f);
		free(buf);
		return ps_err_set(err, PS_E_CONFIG,
		    "JWT_PUBLIC_KEY_FILE %s: cannot read: %s", path,
		    strerror(saved));
	}
	fclose(f);
	if (n == 0 || n > JWT_KEYFILE_MAX) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return ps_err_set(err, PS_E_CONFIG,
		    "JWT_PUBLIC_KEY_FILE %s: %s", path, n == 0 ?
		    "is empty" : "is over 64 KiB, not a PEM public key");
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return PS_OK;
}

/* Why a file that PEM_read_bio_PUBKEY() refused is unusable. */
static const char *
key_file_hint(const char *buf)
{

	if (strstr(buf, "PRIVATE KEY-----") != NULL)
		return "holds a private key; configure the public key "
		    "(openssl pkey -in KEY -pubout)";
	if (strstr(buf, "-----BEGIN CERTIFICATE-----") != NULL)
		return "holds a certificate; extract its key with "
		    "openssl x509 -pubkey -noout";
	if (strstr(buf, "-----BEGIN RSA PUBLIC KEY-----") != NULL)
		return "holds a PKCS#1 key; convert it with "
		    "openssl rsa -RSAPublicKey_in -pubout";
	if (strstr(buf, "-----BEGIN PUBLIC KEY-----") != NULL)
		return "has a damaged PUBLIC KEY block";
	return "has no PEM \"BEGIN PUBLIC KEY\" block";
}

/* Load path and decide the algorithm from the key it holds. */
static ps_code
load_public_key(ps_jwt_verifier *v, const char *path, ps_err *err)
{
	char *buf, group[64];
	size_t len, glen;
	BIO *bio;
	EVP_PKEY *pkey;
	ps_code rc;
	int bits;

	rc = read_key_file(path, &buf, &len, err);
	if (rc != PS_OK)
		return rc;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		return ps_err_set(err, PS_E_NOMEM, "JWT_PUBLIC_KEY_FILE: "
		    "out of memory");
	}
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		ERR_clear_error();
		rc = ps_err_set(err, PS_E_CONFIG,
		    "JWT_PUBLIC_KEY_FILE %s %s", path, key_file_hint(buf));
		OPENSSL_cleanse(buf, len);
		free(buf);
		return rc;
	}
	OPENSSL_cleanse(buf, len);
	free(buf);

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < JWT_MIN_RSA_BITS) {
			EVP_PKEY_free(pkey);
			return ps_err_set(err, PS_E_CONFIG,
			    "JWT_PUBLIC_KEY_FILE %s: RSA key has %d bits; "
			    "RS256 needs at least %d (RFC 7518, section 3.3)",
			    path, bits, JWT_MIN_RSA_BITS);
		}
		v->alg = JWT_RS256;
	} else if (EVP_PKEY_is_a(pkey, "EC")) {
		/* RFC 7518, section 3.4: ES256 is ECDSA on P-256 only. */
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group),
		    &glen) != 1 || OBJ_sn2nid(group) != NID_X9_62_prime256v1) {
			ERR_clear_error();
			EVP_PKEY_free(pkey);
			return ps_err_set(err, PS_E_CONFIG,
			    "JWT_PUBLIC_KEY_FILE %s: EC key is not on the "
			    "P-256 curve, which ES256 requires", path);
		}
		v->alg = JWT_ES256;
	} else {
		rc = ps_err_set(err, PS_E_CONFIG,
		    "JWT_PUBLIC_KEY_FILE %s: unsupported key type %s; use "
		    "RSA (RS256) or EC P-256 (ES256)", path,
		    EVP_PKEY_get0_type_name(pkey) != NULL ?
		    EVP_PKEY_get0_type_name(pkey) : "(unknown)");
		EVP_PKEY_free(pkey);
		return rc;
	}
	v->pkey = pkey;
	return PS_OK;
}

/* Copy an optional configured string; "" counts as not set. */
static ps_code
copy_conf_str(char **out, const char *s, const char *what, ps_err *err)
{

	*out = NULL;
	if (s == NULL || s[0] == '\0')
		return PS_OK;
	if (strlen(s) > JWT_MAX_CONF_STR)
		return ps_err_set(err, PS_E_CONFIG,
		    "%s is longer than %d bytes", what, JWT_MAX_CONF_STR);
	*out = strdup(s);
	if (*out == NULL)
		return ps_err_set(err, PS_E_NOMEM, "%s: out of memory",
		    what);
	return PS_OK;
}

ps_code
ps_jwt_verifier_new(ps_jwt_verifier **vp, const ps_jwt_opts *o,
    ps_err *err)
{
	ps_jwt_verifier *v;
	int have_secret, have_key;
	ps_code rc;

	if (vp == NULL || o == NULL)
		return ps_err_set(err, PS_E_INTERNAL,
		    "ps_jwt_verifier_new: NULL argument");
	*vp = NULL;

	have_secret = o->hs256_secret != NULL;
	have_key = o->public_key_pem_path != NULL &&
	    o->public_key_pem_path[0] != '\0';
	if (have_secret && have_key)
		return ps_err_set(err, PS_E_CONFIG, "JWT: both JWT_SECRET "
		    "and JWT_PUBLIC_KEY_FILE are set; configure exactly one");
	if (!have_secret && !have_key)
		return ps_err_set(err, PS_E_CONFIG, "JWT: no key configured; "
		    "set JWT_SECRET (HS256) or JWT_PUBLIC_KEY_FILE "
		    "(RS256/ES256)");
	/* RFC 7518, section 3.2: a key at least as long as the hash. */
	if (have_secret && o->hs256_secret_len < PS_JWT_MIN_SECRET)
		return ps_err_set(err, PS_E_CONFIG, "JWT_SECRET is %zu "
		    "bytes; HS256 needs at least %d (RFC 7518, section 3.2), "
		    "e.g. openssl rand -hex 32", o->hs256_secret_len,
		    PS_JWT_MIN_SECRET);
	if (o->leeway_s < 0 || o->leeway_s > PS_JWT_MAX_LEEWAY)
		return ps_err_set(err, PS_E_CONFIG, "JWT_LEEWAY_S %ld is "
		    "outside 0..%d", o->leeway_s, PS_JWT_MAX_LEEWAY);

	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return ps_err_set(err, PS_E_NOMEM, "JWT: out of memory");
	v->leeway = o->leeway_s;
	v->allow_no_exp = o->allow_no_exp != 0;

	rc = copy_conf_str(&v->issuer, o->issuer, "JWT_ISSUER", err);
	if (rc == PS_OK)
		rc = copy_conf_str(&v->audience, o->audience, "JWT_AUDIENCE",
		    err);
	if (rc != PS_OK)
		goto fail;

	if (have_key) {
		rc = load_public_key(v, o->public_key_pem_path, err);
		if (rc != PS_OK)
			goto fail;
	} else {
		v->alg = JWT_HS256;
		v->secret = malloc(o->hs256_secret_len);
		if (v->secret == NULL) {
			rc = ps_err_set(err, PS_E_NOMEM, "JWT: out of memory");
			goto fail;
		}
		memcpy(v->secret, o->hs256_secret, o->hs256_secret_len);
		v->secretlen = o->hs256_secret_len;
		v->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
		if (v->mac == NULL) {
			ERR_clear_error();
			rc = ps_err_set(err, PS_E_CONFIG, "JWT: OpenSSL "
			    "offers no HMAC; check openssl.cnf providers");
			goto fail;
		}
	}
	*vp = v;
	return PS_OK;
fail:
	ps_jwt_verifier_free(v);
	return rc;
}

/*
 * Whether o is a JSON string equal to want, byte for byte (RFC 7519,
 * section 2: StringOrURI values compare case-sensitively).  The length
 * check also catches an embedded "\u0000".
 */
static int
json_str_eq(json_object *o, const char *want)
{
	size_t wlen;

	if (!json_object_is_type(o, json_type_string))
		return 0;
	wlen = strlen(want);
	return (size_t)json_object_get_string_len(o) == wlen &&
	    memcmp(json_object_get_string(o), want, wlen) == 0;
}

/*
 * Count the members of the top-level object in JSON text json-c has
 * already accepted.  Outside strings of valid JSON a ':' only ever
 * separates a member name from its value.  json-c keeps the last of
 * duplicate names, which RFC 7515 (section 4) and RFC 7519 (section 4)
 * allow, but a header or claim set that says two things is refused
 * here instead: the caller compares this count with what json-c kept.
 * Single-quoted strings, which json-c accepts even when strict and
 * RFC 8259 does not, are refused (returns -1).
 */
static int
json_top_members(const unsigned char *s, size_t len, size_t *count)
{
	size_t i, n;
	int depth, instr, esc;

	n = 0;
	depth = instr = esc = 0;
	for (i = 0; i < len; i++) {
		if (instr) {
			if (esc)
				esc = 0;
			else if (s[i] == '\\')
				esc = 1;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ':':
			if (depth == 1)
				n++;
			break;
		case '\'':
			return -1;
		default:
			break;
		}
	}
	*count = n;
	return 0;
}

/*
 * Parse a decoded header or payload: RFC 7515, section 5.2, steps 3-4
 * and RFC 7519, section 7.2, steps 3-4 and 9-10 want a UTF-8 JSON
 * object; what is the segment's name for messages.
 */
static ps_code
parse_object(const unsigned char *s, size_t len, const char *what,
    json_object **out, ps_err *err)
{
	json_tokener *tok;
	json_object *o;
	size_t members;
	int bad;

	*out = NULL;
	/* json-c would stop at a NUL; nothing valid contains one. */
	if (len == 0 || memchr(s, '\0', len) != NULL)
		return ps_err_set(err, PS_E_AUTH,
		    "malformed token: %s is not a JSON object", what);
	tok = json_tokener_new_ex(JWT_JSON_DEPTH);
	if (tok == NULL)
		return ps_err_set(err, PS_E_NOMEM, "JWT: out of memory");
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)s, (int)len);
	bad = o == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object);
	json_tokener_free(tok);
	if (bad) {
		json_object_put(o);
		return ps_err_set(err, PS_E_AUTH,
		    "malformed token: %s is not a JSON object", what);
	}
	if (json_top_members(s, len, &members) != 0 ||
	    members != (size_t)json_object_object_length(o)) {
		json_object_put(o);
		return ps_err_set(err, PS_E_AUTH,
		    "malformed token: %s has a duplicate or invalid member",
		    what);
	}
	*out = o;
	return PS_OK;
}

/* RFC 7515, section 4.1 and RFC 7519, section 5. */
static ps_code
check_header(const ps_jwt_verifier *v, json_object *hdr, ps_err *err)
{
	json_object *val;
	const char *s;

	/*
	 * RFC 7515, section 4.1.1: alg is required.  It must name the one
	 * algorithm the configured key implies, byte for byte: this is what
	 * refuses "none", "HS256" against a public key (HMAC keyed with
	 * the PEM text), "hs256" and every cross-algorithm swap
	 * (RFC 8725, sections 2.1 and 3.1).
	 */
	if (!json_object_object_get_ex(hdr, "alg", &val))
		return ps_err_set(err, PS_E_AUTH, "token has no alg header");
	if (!json_str_eq(val, jwt_alg_names[v->alg]))
		return ps_err_set(err, PS_E_AUTH, "algorithm not allowed");

	/*
	 * RFC 7515, section 4.1.11: a recipient must refuse a token whose
	 * "crit" names extensions it does not implement; we implement none.
	 */
	if (json_object_object_get_ex(hdr, "crit", NULL))
		return ps_err_set(err, PS_E_AUTH,
		    "critical header extension not supported");

	/*
	 * RFC 7519, section 5.1: typ, when present, is "JWT"; it is a
	 * media type, so compared ignoring case, and the "application/"
	 * prefix may be present (RFC 7515, section 4.1.9).
	 */
	if (json_object_object_get_ex(hdr, "typ", &val)) {
		if (!json_object_is_type(val, json_type_string))
			return ps_err_set(err, PS_E_AUTH,
			    "token type not accepted");
		s = json_object_get_string(val);
		if (strncasecmp(s, "application/", 12) == 0)
			s += 12;
		if (strcasecmp(s, "JWT") != 0 ||
		    strlen(json_object_get_string(val)) !=
		    (size_t)json_object_get_string_len(val))
			return ps_err_set(err, PS_E_AUTH,
			    "token type not accepted");
	}

	/* RFC 7519, section 5.2: cty "JWT" is a nested JWT; not taken. */
	if (json_object_object_get_ex(hdr, "cty", &val) &&
	    json_object_is_type(val, json_type_string) &&
	    strcasecmp(json_object_get_string(val), "JWT") == 0)
		return ps_err_set(err, PS_E_AUTH, "nested JWT not supported");

	/*
	 * kid, jku, jwk, x5u, x5c, x5t: ignored.  The key is configured;
	 * nothing the token says is fetched or trusted as a key
	 * (RFC 8725, section 3.10).
	 */
	return PS_OK;
}

/* HMAC-SHA256 (RFC 7518, section 3.2): 1 match, 0 not, -1 error. */
static int
verify_hs256(const ps_jwt_verifier *v, const char *in, size_t inlen,
    const unsigned char *sig, size_t siglen)
{
	char mdname[] = "SHA256";
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	int rc;

	ctx = EVP_MAC_CTX_new(v->mac);
	if (ctx == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    mdname, 0);
	params[1] = OSSL_PARAM_construct_end();
	maclen = 0;
	rc = -1;
	if (EVP_MAC_init(ctx, v->secret, v->secretlen, params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)in, inlen) == 1 &&
	    EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) == 1 &&
	    maclen == JWT_HS256_LEN) {
		/* Constant time: no timing oracle on the MAC bytes. */
		rc = siglen == JWT_HS256_LEN &&
		    CRYPTO_memcmp(mac, sig, JWT_HS256_LEN) == 0;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/*
 * RS256 (RFC 7518, section 3.3: RSASSA-PKCS1-v1_5 with SHA-256) or
 * ES256 (section 3.4: ECDSA P-256 with SHA-256): 1 valid, 0 not,
 * -1 error.
 */
static int
verify_pkey(const ps_jwt_verifier *v, const char *in, size_t inlen,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *md;
	EVP_PKEY_CTX *pctx;
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	unsigned char *der;
	int derlen, rc;

	md = NULL;
	es = NULL;
	r = s = NULL;
	der = NULL;
	rc = -1;

	if (v->alg == JWT_ES256) {
		/*
		 * RFC 7518, section 3.4: the JWS signature is R and S as
		 * two 32-byte big-endian integers, not the DER SEQUENCE
		 * OpenSSL verifies: anything but 64 bytes (a DER signature
		 * too) is refused, and the pair is re-encoded as DER.
		 */
		if (siglen != JWT_ES256_LEN)
			return 0;
		es = ECDSA_SIG_new();
		r = BN_bin2bn(sig, JWT_ES256_HALF, NULL);
		s = BN_bin2bn(sig + JWT_ES256_HALF, JWT_ES256_HALF, NULL);
		if (es == NULL || r == NULL || s == NULL ||
		    ECDSA_SIG_set0(es, r, s) != 1)
			goto out;
		r = s = NULL;	/* owned by es now */
		derlen = i2d_ECDSA_SIG(es, &der);
		if (derlen <= 0)
			goto out;
		sig = der;
		siglen = (size_t)derlen;
	} else if (siglen != (size_t)EVP_PKEY_get_size(v->pkey)) {
		/* RFC 8017, section 8.2.2, step 1: exactly k octets. */
		return 0;
	}

	md = EVP_MD_CTX_new();
	if (md == NULL)
		goto out;
	pctx = NULL;
	if (EVP_DigestVerifyInit_ex(md, &pctx, "SHA256", NULL, NULL,
	    v->pkey, NULL) != 1)
		goto out;
	if (v->alg == JWT_RS256 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	rc = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)in,
	    inlen) == 1;
out:
	/* Leave no errors queued in a thread serving many requests. */
	if (rc != 1)
		ERR_clear_error();
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	return rc;
}

/*
 * A NumericDate claim (RFC 7519, section 2: a JSON number, integer or
 * not).  1 and *out set when present, 0 when absent, -1 when not a
 * finite number.
 */
static int
get_date(json_object *claims, const char *name, double *out)
{
	json_object *val;
	double d;

	if (!json_object_object_get_ex(claims, name, &val))
		return 0;
	if (!json_object_is_type(val, json_type_int) &&
	    !json_object_is_type(val, json_type_double))
		return -1;
	d = json_object_get_double(val);
	if (!isfinite(d))
		return -1;
	*out = d;
	return 1;
}

/* RFC 7519, sections 4.1.4-4.1.6, each with the configured leeway. */
static ps_code
check_times(const ps_jwt_verifier *v, json_object *claims, long long now,
    ps_err *err)
{
	double t, dnow, skew;
	int have;

	dnow = (double)now;
	skew = (double)v->leeway;

	/* 4.1.4: now must be before exp. */
	have = get_date(claims, "exp", &t);
	if (have < 0)
		return ps_err_set(err, PS_E_AUTH, "invalid exp claim");
	if (have == 0 && !v->allow_no_exp)
		return ps_err_set(err, PS_E_AUTH, "token has no exp claim");
	if (have > 0 && dnow >= t + skew)
		return ps_err_set(err, PS_E_AUTH, "token expired");

	/* 4.1.5: now must be at or after nbf. */
	have = get_date(claims, "nbf", &t);
	if (have < 0)
		return ps_err_set(err, PS_E_AUTH, "invalid nbf claim");
	if (have > 0 && dnow + skew < t)
		return ps_err_set(err, PS_E_AUTH, "token not yet valid");

	/* 4.1.6 only informs; a token from the future is refused. */
	have = get_date(claims, "iat", &t);
	if (have < 0)
		return ps_err_set(err, PS_E_AUTH, "invalid iat claim");
	if (have > 0 && t > dnow + skew)
		return ps_err_set(err, PS_E_AUTH,
		    "token issued in the future");
	return PS_OK;
}

/*
 * RFC 7519, section 4.1.3: aud is one string or an array of them, and
 * a principal that does not find itself in a present aud MUST refuse
 * the token, so with no audience configured a token that has an aud
 * is refused too.
 */
static ps_code
check_audience(const ps_jwt_verifier *v, json_object *claims,
    ps_err *err)
{
	json_object *aud, *el;
	size_t i, n;
	int found;

	if (!json_object_object_get_ex(claims, "aud", &aud)) {
		if (v->audience == NULL)
			return PS_OK;
		return ps_err_set(err, PS_E_AUTH, "token has no aud claim");
	}
	if (v->audience == NULL)
		return ps_err_set(err, PS_E_AUTH,
		    "audience not accepted (none configured)");
	if (json_object_is_type(aud, json_type_string)) {
		if (json_str_eq(aud, v->audience))
			return PS_OK;
		return ps_err_set(err, PS_E_AUTH, "audience mismatch");
	}
	if (!json_object_is_type(aud, json_type_array))
		return ps_err_set(err, PS_E_AUTH, "invalid aud claim");
	n = json_object_array_length(aud);
	if (n == 0 || n > JWT_MAX_AUD)
		return ps_err_set(err, PS_E_AUTH, "invalid aud claim");
	found = 0;
	for (i = 0; i < n; i++) {
		el = json_object_array_get_idx(aud, i);
		if (!json_object_is_type(el, json_type_string))
			return ps_err_set(err, PS_E_AUTH, "invalid aud claim");
		if (json_str_eq(el, v->audience))
			found = 1;
	}
	if (!found)
		return ps_err_set(err, PS_E_AUTH, "audience mismatch");
	return PS_OK;
}

/* RFC 7519, section 4.1: the registered claims we enforce. */
static ps_code
check_claims(const ps_jwt_verifier *v, json_object *claims,
    long long now, char *sub, size_t subsz, ps_err *err)
{
	json_object *val;
	const char *s;
	size_t slen;
	ps_code rc;

	rc = check_times(v, claims, now, err);
	if (rc != PS_OK)
		return rc;

	/* 4.1.1: iss, compared exactly, when an issuer is configured. */
	if (v->issuer != NULL) {
		if (!json_object_object_get_ex(claims, "iss", &val))
			return ps_err_set(err, PS_E_AUTH,
			    "token has no iss claim");
		if (!json_str_eq(val, v->issuer))
			return ps_err_set(err, PS_E_AUTH, "issuer mismatch");
	}

	rc = check_audience(v, claims, err);
	if (rc != PS_OK)
		return rc;

	/* 4.1.2: sub is the user id, so it must be a valid one. */
	if (!json_object_object_get_ex(claims, "sub", &val))
		return ps_err_set(err, PS_E_AUTH, "token has no sub claim");
	if (!json_object_is_type(val, json_type_string))
		return ps_err_set(err, PS_E_AUTH, "invalid sub claim");
	s = json_object_get_string(val);
	slen = (size_t)json_object_get_string_len(val);
	if (strlen(s) != slen || !ps_user_id_valid(s))
		return ps_err_set(err, PS_E_AUTH, "invalid sub claim");
	if (slen >= subsz)
		return ps_err_set(err, PS_E_INTERNAL,
		    "ps_jwt_verify: sub buffer of %zu bytes too small", subsz);
	memcpy(sub, s, slen + 1);
	return PS_OK;
}

ps_code
ps_jwt_verify(const ps_jwt_verifier *v, const char *token, size_t len,
    long long now, char *sub, size_t subsz, ps_err *err)
{
	unsigned char buf[PS_JWT_MAX_TOKEN], sig[JWT_MAX_SIG];
	const char *dot1, *dot2;
	size_t hlen, plen, slen, declen, siglen;
	json_object *hdr, *claims;
	ps_code rc;
	int ok;

	if (sub != NULL && subsz > 0)
		sub[0] = '\0';
	if (v == NULL || sub == NULL || subsz == 0)
		return ps_err_set(err, PS_E_INTERNAL,
		    "ps_jwt_verify: NULL argument");
	if (token == NULL || len == 0)
		return ps_err_set(err, PS_E_AUTH, "no token");
	if (len > PS_JWT_MAX_TOKEN)
		return ps_err_set(err, PS_E_AUTH, "token too long");

	/*
	 * RFC 7515, section 7.1: header.payload.signature, each non-empty
	 * here.  Five segments would be a JWE (RFC 7516), which is not
	 * accepted; an empty signature is the unsecured JWS of RFC 7519,
	 * section 6, refused however its header is spelled.
	 */
	dot1 = memchr(token, '.', len);
	dot2 = dot1 == NULL ? NULL :
	    memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
	if (dot2 == NULL || memchr(dot2 + 1, '.',
	    len - (size_t)(dot2 + 1 - token)) != NULL)
		return ps_err_set(err, PS_E_AUTH,
		    "malformed token: not three segments");
	hlen = (size_t)(dot1 - token);
	plen = (size_t)(dot2 - dot1 - 1);
	slen = len - (size_t)(dot2 + 1 - token);
	if (hlen == 0 || plen == 0)
		return ps_err_set(err, PS_E_AUTH,
		    "malformed token: empty segment");
	if (slen == 0)
		return ps_err_set(err, PS_E_AUTH, "token is not signed");

	/* RFC 7515, section 5.2, steps 2-5: the JOSE header. */
	if (ps_base64url_decode(token, hlen, buf, sizeof(buf), &declen,
	    NULL) != PS_OK)
		return ps_err_set(err, PS_E_AUTH,
		    "malformed token: header is not base64url");
	rc = parse_object(buf, declen, "header", &hdr, err);
	if (rc != PS_OK)
		return rc;
	rc = check_header(v, hdr, err);
	json_object_put(hdr);
	if (rc != PS_OK)
		return rc;

	/*
	 * RFC 7515, section 5.2, steps 7-8: the signature covers the
	 * ASCII of "header.payload" exactly as sent.
	 */
	if (ps_base64url_decode(dot2 + 1, slen, sig, sizeof(sig), &siglen,
	    NULL) != PS_OK)
		return ps_err_set(err, PS_E_AUTH, "bad signature");
	if (v->alg == JWT_HS256)
		ok = verify_hs256(v, token, (size_t)(dot2 - token), sig,
		    siglen);
	else
		ok = verify_pkey(v, token, (size_t)(dot2 - token), sig,
		    siglen);
	if (ok < 0)
		return ps_err_set(err, PS_E_INTERNAL,
		    "JWT: signature check failed inside OpenSSL");
	if (ok == 0)
		return ps_err_set(err, PS_E_AUTH, "bad signature");

	/* RFC 7519, section 7.2, steps 9-10: the claims set. */
	if (ps_base64url_decode(dot1 + 1, plen, buf, sizeof(buf), &declen,
	    NULL) != PS_OK)
		return ps_err_set(err, PS_E_AUTH,
		    "malformed token: payload is not base64url");
	rc = parse_object(buf, declen, "payload", &claims, err);
	if (rc != PS_OK)
		return rc;
	rc = check_claims(v, claims, now, sub, subsz, err);
	json_object_put(claims);
	if (rc != PS_OK)
		sub[0] = '\0';
	return rc;
}
