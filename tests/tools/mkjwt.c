/*
 * mkjwt.c - make JSON Web Tokens for the tests (never installed).
 *
 *   mkjwt --alg HS256|RS256|ES256 [--key FILE] [--sub S]
 *         [--exp-in SECONDS | --no-exp] [--nbf-in SECONDS]
 *         [--iat-in SECONDS | --no-iat] [--now UNIXTIME]
 *         [--claim NAME=VALUE | --claim NAME:=JSON]...
 *         [--header NAME=VALUE | --header NAME:=JSON]...
 *         [--raw-header JSON] [--raw-payload JSON]
 *         [--alg-header NAME] [--unsigned]
 *         [--sign-with-public-key-as-hmac FILE]
 *
 * prints one compact JWS (RFC 7515, section 7.1) on stdout.  HS256
 * takes its secret from the environment variable MKJWT_SECRET, so it
 * never shows in ps; RS256 and ES256 take a PEM private key (--key).
 * ES256 signatures are R || S, 32 bytes each (RFC 7518, section 3.4).
 *
 * By default the header is {"alg":ALG,"typ":"JWT"} and the payload
 * {"sub":S,"iat":NOW,"exp":NOW+300}; every *-in is seconds from now and
 * may be negative.  NAME=VALUE sets a JSON string, NAME:=JSON puts JSON
 * in verbatim (--claim n:=5, --claim aud:='["a","b"]'); setting a name
 * again replaces its value in place.  --raw-header and --raw-payload
 * take the segment's exact text instead, valid JSON or not.
 *
 * The hostile tokens: --alg-header puts any "alg" in the header
 * whatever signs it ("none", "HS512", ...); --unsigned leaves the
 * signature empty ("header.payload."); --sign-with-public-key-as-hmac
 * makes the algorithm-confusion token of RFC 8725, section 2.1: HS256
 * keyed with the bytes of a (public key) file, exactly as they are.
 *
 * Exit status: 0 token printed, 1 a key or signing failure, 2 usage.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "ps_base64.h"
#include "ps_util.h"

#define MEMBERS_MAX	64		/* per header or payload */
#define KEYFILE_MAX	(64 * 1024)
#define DEFAULT_EXP_IN	300
#define ES256_HALF	32		/* bytes of R, and of S */
#define SIG_MAX		1024		/* RSA up to 8192 bits */

enum alg {
	ALG_UNSET,
	ALG_HS256,
	ALG_RS256,
	ALG_ES256
};

/* A JSON object as ordered members, each value already JSON text. */
struct obj {
	char	*name[MEMBERS_MAX];
	char	*json[MEMBERS_MAX];
	size_t	 n;
};

static const char *progname = "mkjwt";

static void
usage(FILE *f)
{

	fprintf(f, "usage: %s --alg HS256|RS256|ES256 [--key FILE] "
	    "[--sub S]\n"
	    "       [--exp-in SECONDS | --no-exp] [--nbf-in SECONDS]\n"
	    "       [--iat-in SECONDS | --no-iat] [--now UNIXTIME]\n"
	    "       [--claim NAME=VALUE | --claim NAME:=JSON]...\n"
	    "       [--header NAME=VALUE | --header NAME:=JSON]...\n"
	    "       [--raw-header JSON] [--raw-payload JSON]\n"
	    "       [--alg-header NAME] [--unsigned]\n"
	    "       [--sign-with-public-key-as-hmac FILE]\n"
	    "HS256 reads its secret from MKJWT_SECRET.\n", progname);
}

static void fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* One line "mkjwt: MESSAGE" on stderr. */
static void
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *
xmalloc(size_t n)
{
	void *p;

	p = malloc(n);
	if (p == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		exit(1);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p;

	p = xmalloc(strlen(s) + 1);
	memcpy(p, s, strlen(s) + 1);
	return p;
}

/* s as a JSON string (RFC 8259, section 7). */
static char *
json_quote(const char *s)
{
	const unsigned char *p;
	char *out, *q;

	/* Worst case: every byte as \u00XX, plus the quotes. */
	out = xmalloc(strlen(s) * 6 + 3);
	q = out;
	*q++ = '"';
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			*q++ = '\\';
			*q++ = (char)*p;
		} else if (*p < 0x20) {
			q += sprintf(q, "\\u%04x", *p);
		} else
			*q++ = (char)*p;
	}
	*q++ = '"';
	*q = '\0';
	return out;
}

static char *
json_int(int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return xstrdup(buf);
}

/* Set name to json (owned from now on), in place if it exists. */
static int
obj_set(struct obj *o, const char *name, char *json)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->name[i], name) == 0) {
			free(o->json[i]);
			o->json[i] = json;
			return 0;
		}
	if (o->n == MEMBERS_MAX) {
		free(json);
		fail("more than 64 members in one object at '%s'", name);
		return -1;
	}
	o->name[o->n] = xstrdup(name);
	o->json[o->n] = json;
	o->n++;
	return 0;
}

/* Remove name if present. */
static void
obj_del(struct obj *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->name[i], name) == 0) {
			free(o->name[i]);
			free(o->json[i]);
			memmove(&o->name[i], &o->name[i + 1],
			    (o->n - i - 1) * sizeof(o->name[0]));
			memmove(&o->json[i], &o->json[i + 1],
			    (o->n - i - 1) * sizeof(o->json[0]));
			o->n--;
			return;
		}
}

/* "NAME=VALUE" sets a string, "NAME:=JSON" verbatim JSON. */
static int
obj_assign(struct obj *o, const char *arg)
{
	const char *eq;
	char *name;
	size_t nlen;
	int raw, rc;

	eq = strchr(arg, '=');
	if (eq == NULL || eq == arg) {
		fail("'%s' is not NAME=VALUE or NAME:=JSON", arg);
		return -1;
	}
	raw = eq[-1] == ':';
	nlen = (size_t)(eq - arg) - (raw ? 1 : 0);
	if (nlen == 0) {
		fail("'%s' has no NAME", arg);
		return -1;
	}
	name = xmalloc(nlen + 1);
	memcpy(name, arg, nlen);
	name[nlen] = '\0';
	rc = obj_set(o, name, raw ? xstrdup(eq + 1) : json_quote(eq + 1));
	free(name);
	return rc;
}

static char *
obj_render(const struct obj *o)
{
	size_t i, len;
	char *out, *q, *qn;

	len = 3;
	for (i = 0; i < o->n; i++)
		len += strlen(o->name[i]) * 6 + 2 + strlen(o->json[i]) + 2;
	out = xmalloc(len);
	q = out;
	*q++ = '{';
	for (i = 0; i < o->n; i++) {
		if (i > 0)
			*q++ = ',';
		qn = json_quote(o->name[i]);
		q += sprintf(q, "%s:%s", qn, o->json[i]);
		free(qn);
	}
	*q++ = '}';
	*q = '\0';
	return out;
}

static void
obj_free(struct obj *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->name[i]);
		free(o->json[i]);
	}
	o->n = 0;
}

static char *
b64url(const unsigned char *p, size_t n)
{
	ps_err err;
	char *out;
	size_t sz;

	sz = PS_BASE64URL_ENCODED_LEN(n) + 1;
	out = xmalloc(sz);
	if (ps_base64url_encode(p, n, out, sz, NULL, &err) != PS_OK) {
		fprintf(stderr, "%s: %s\n", progname, err.msg);
		exit(1);
	}
	return out;
}

/* Read a whole (small) file; *buf is NUL-terminated. */
static int
read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *f;
	size_t n;

	f = fopen(path, "rb");
	if (f == NULL) {
		fail("cannot open %s", path);
		return -1;
	}
	*buf = xmalloc(KEYFILE_MAX + 1);
	n = fread(*buf, 1, KEYFILE_MAX + 1, f);
	if (ferror(f) || n > KEYFILE_MAX) {
		fclose(f);
		free(*buf);
		fail("cannot read %s (or it is over 64 KiB)", path);
		return -1;
	}
	fclose(f);
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

static int
hmac_sha256(const unsigned char *key, size_t keylen, const char *data,
    unsigned char *out, size_t *outlen)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";
	int ok;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ctx = mac == NULL ? NULL : EVP_MAC_CTX_new(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = ctx != NULL &&
	    EVP_MAC_init(ctx, key, keylen, params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)data,
	    strlen(data)) == 1 &&
	    EVP_MAC_final(ctx, out, outlen, SIG_MAX) == 1;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (!ok) {
		ERR_print_errors_fp(stderr);
		fail("HMAC-SHA256 failed");
		return -1;
	}
	return 0;
}

/* A PEM private key of the type alg needs. */
static EVP_PKEY *
load_key(const char *path, enum alg alg)
{
	BIO *bio;
	EVP_PKEY *pkey;
	char group[64];
	size_t glen;

	bio = BIO_new_file(path, "r");
	if (bio == NULL) {
		ERR_clear_error();
		fail("cannot open %s", path);
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		ERR_clear_error();
		fail("%s holds no PEM private key", path);
		return NULL;
	}
	if (alg == ALG_RS256 && !EVP_PKEY_is_a(pkey, "RSA")) {
		fail("%s is not an RSA key, which RS256 needs", path);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (alg == ALG_ES256 && (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_group_name(pkey, group, sizeof(group),
	    &glen) != 1 || OBJ_sn2nid(group) != NID_X9_62_prime256v1)) {
		ERR_clear_error();
		fail("%s is not an EC P-256 key, which ES256 needs", path);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/* DER ECDSA-Sig-Value to the fixed R || S of RFC 7518, section 3.4. */
static int
ecdsa_der_to_raw(const unsigned char *der, size_t derlen,
    unsigned char *out, size_t *outlen)
{
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;
	const unsigned char *p;
	int ok;

	p = der;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (sig == NULL)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, out, ES256_HALF) == ES256_HALF &&
	    BN_bn2binpad(s, out + ES256_HALF, ES256_HALF) == ES256_HALF;
	ECDSA_SIG_free(sig);
	*outlen = 2 * ES256_HALF;
	return ok ? 0 : -1;
}

/* RS256 (PKCS #1 v1.5) or ES256 over data with SHA-256. */
static int
sign_pkey(EVP_PKEY *pkey, enum alg alg, const char *data,
    unsigned char *out, size_t *outlen)
{
	EVP_MD_CTX *md;
	unsigned char der[SIG_MAX];
	size_t len;
	int ok;

	md = EVP_MD_CTX_new();
	len = sizeof(der);
	ok = md != NULL &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	    EVP_DigestSign(md, der, &len, (const unsigned char *)data,
	    strlen(data)) == 1;
	EVP_MD_CTX_free(md);
	if (!ok) {
		ERR_print_errors_fp(stderr);
		fail("signing failed");
		return -1;
	}
	if (alg == ALG_ES256) {
		if (ecdsa_der_to_raw(der, len, out, outlen) != 0) {
			fail("cannot convert the ECDSA signature");
			return -1;
		}
		return 0;
	}
	memcpy(out, der, len);
	*outlen = len;
	return 0;
}

static int
parse_alg(const char *s, enum alg *alg)
{

	if (strcmp(s, "HS256") == 0)
		*alg = ALG_HS256;
	else if (strcmp(s, "RS256") == 0)
		*alg = ALG_RS256;
	else if (strcmp(s, "ES256") == 0)
		*alg = ALG_ES256;
	else {
		fail("--alg %s: HS256, RS256 or ES256", s);
		return -1;
	}
	return 0;
}

static int
parse_secs(const char *opt, const char *s, int64_t *out)
{

	if (ps_parse_i64(s, strlen(s), out) != 0) {
		fail("%s wants whole seconds, not '%s'", opt, s);
		return -1;
	}
	return 0;
}

enum {
	OPT_ALG = 256, OPT_KEY, OPT_SUB, OPT_EXP_IN, OPT_NBF_IN, OPT_IAT_IN,
	OPT_NOW, OPT_CLAIM, OPT_HEADER, OPT_NO_EXP, OPT_NO_IAT,
	OPT_RAW_HEADER, OPT_RAW_PAYLOAD, OPT_CONFUSION, OPT_ALG_HEADER,
	OPT_UNSIGNED, OPT_HELP
};

static const struct option longopts[] = {
	{ "alg", required_argument, NULL, OPT_ALG },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "sub", required_argument, NULL, OPT_SUB },
	{ "exp-in", required_argument, NULL, OPT_EXP_IN },
	{ "nbf-in", required_argument, NULL, OPT_NBF_IN },
	{ "iat-in", required_argument, NULL, OPT_IAT_IN },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "claim", required_argument, NULL, OPT_CLAIM },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "no-exp", no_argument, NULL, OPT_NO_EXP },
	{ "no-iat", no_argument, NULL, OPT_NO_IAT },
	{ "raw-header", required_argument, NULL, OPT_RAW_HEADER },
	{ "raw-payload", required_argument, NULL, OPT_RAW_PAYLOAD },
	{ "sign-with-public-key-as-hmac", required_argument, NULL,
	    OPT_CONFUSION },
	{ "alg-header", required_argument, NULL, OPT_ALG_HEADER },
	{ "unsigned", no_argument, NULL, OPT_UNSIGNED },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

/* What the command line asked for. */
struct args {
	enum alg	 alg;
	const char	*alg_name;
	const char	*key;
	const char	*sub;
	const char	*alg_header;
	const char	*raw_header;
	const char	*raw_payload;
	const char	*confusion_key;
	int64_t		 now, exp_in, nbf_in, iat_in;
	int		 have_nbf, no_exp, no_iat, is_unsigned;
	const char	*claims[MEMBERS_MAX];
	size_t		 nclaims;
	const char	*headers[MEMBERS_MAX];
	size_t		 nheaders;
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->now = (int64_t)time(NULL);
	a->exp_in = DEFAULT_EXP_IN;
	for (;;) {
		c = getopt_long(argc, argv, "", longopts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case OPT_ALG:
			if (parse_alg(optarg, &a->alg) != 0)
				return -1;
			a->alg_name = optarg;
			break;
		case OPT_KEY:
			a->key = optarg;
			break;
		case OPT_SUB:
			a->sub = optarg;
			break;
		case OPT_EXP_IN:
			if (parse_secs("--exp-in", optarg, &a->exp_in) != 0)
				return -1;
			break;
		case OPT_NBF_IN:
			if (parse_secs("--nbf-in", optarg, &a->nbf_in) != 0)
				return -1;
			a->have_nbf = 1;
			break;
		case OPT_IAT_IN:
			if (parse_secs("--iat-in", optarg, &a->iat_in) != 0)
				return -1;
			break;
		case OPT_NOW:
			if (parse_secs("--now", optarg, &a->now) != 0)
				return -1;
			break;
		case OPT_CLAIM:
		case OPT_HEADER:
			if ((c == OPT_CLAIM ? a->nclaims : a->nheaders) ==
			    MEMBERS_MAX) {
				fail("too many %s options", c == OPT_CLAIM ?
				    "--claim" : "--header");
				return -1;
			}
			if (c == OPT_CLAIM)
				a->claims[a->nclaims++] = optarg;
			else
				a->headers[a->nheaders++] = optarg;
			break;
		case OPT_NO_EXP:
			a->no_exp = 1;
			break;
		case OPT_NO_IAT:
			a->no_iat = 1;
			break;
		case OPT_RAW_HEADER:
			a->raw_header = optarg;
			break;
		case OPT_RAW_PAYLOAD:
			a->raw_payload = optarg;
			break;
		case OPT_CONFUSION:
			a->confusion_key = optarg;
			break;
		case OPT_ALG_HEADER:
			a->alg_header = optarg;
			break;
		case OPT_UNSIGNED:
			a->is_unsigned = 1;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc) {
		fail("unexpected argument '%s'", argv[optind]);
		return -1;
	}

	/* How it is signed. */
	if (a->confusion_key != NULL) {
		if (a->alg != ALG_UNSET && a->alg != ALG_HS256) {
			fail("--sign-with-public-key-as-hmac signs HS256, "
			    "not %s", a->alg_name);
			return -1;
		}
		a->alg = ALG_HS256;
		a->alg_name = "HS256";
	}
	if (a->alg == ALG_UNSET && !a->is_unsigned) {
		fail("--alg is required (or --unsigned)");
		return -1;
	}
	if (a->alg_header == NULL)
		a->alg_header = a->alg == ALG_UNSET ? "none" : a->alg_name;
	if (a->is_unsigned || a->confusion_key != NULL)
		return 0;
	if (a->alg == ALG_HS256 && a->key != NULL) {
		fail("HS256 takes its secret from MKJWT_SECRET, not --key "
		    "%s", a->key);
		return -1;
	}
	if (a->alg != ALG_HS256 && a->key == NULL) {
		fail("%s needs --key FILE (a PEM private key)", a->alg_name);
		return -1;
	}
	return 0;
}

/* The two JSON segments as text. */
static int
build_segments(const struct args *a, char **header, char **payload)
{
	struct obj o;
	size_t i;
	int rc;

	rc = 0;
	memset(&o, 0, sizeof(o));
	if (a->raw_header != NULL)
		*header = xstrdup(a->raw_header);
	else {
		obj_set(&o, "alg", json_quote(a->alg_header));
		obj_set(&o, "typ", json_quote("JWT"));
		for (i = 0; rc == 0 && i < a->nheaders; i++)
			rc = obj_assign(&o, a->headers[i]);
		*header = obj_render(&o);
		obj_free(&o);
	}
	if (a->raw_payload != NULL)
		*payload = xstrdup(a->raw_payload);
	else {
		if (a->sub != NULL)
			obj_set(&o, "sub", json_quote(a->sub));
		if (!a->no_iat)
			obj_set(&o, "iat", json_int(a->now + a->iat_in));
		if (a->have_nbf)
			obj_set(&o, "nbf", json_int(a->now + a->nbf_in));
		if (!a->no_exp)
			obj_set(&o, "exp", json_int(a->now + a->exp_in));
		for (i = 0; rc == 0 && i < a->nclaims; i++)
			rc = obj_assign(&o, a->claims[i]);
		/* --no-exp wins over a --claim exp. */
		if (a->no_exp)
			obj_del(&o, "exp");
		*payload = obj_render(&o);
		obj_free(&o);
	}
	return rc;
}

static int
sign(const struct args *a, const char *input, unsigned char *sig,
    size_t *siglen)
{
	const char *secret;
	unsigned char *keybuf;
	size_t keylen;
	EVP_PKEY *pkey;
	int rc;

	*siglen = 0;
	if (a->is_unsigned)
		return 0;
	if (a->confusion_key != NULL) {
		if (read_file(a->confusion_key, &keybuf, &keylen) != 0)
			return -1;
		rc = hmac_sha256(keybuf, keylen, input, sig, siglen);
		free(keybuf);
		return rc;
	}
	if (a->alg == ALG_HS256) {
		secret = getenv("MKJWT_SECRET");
		if (secret == NULL || *secret == '\0') {
			fail("HS256 needs the secret in MKJWT_SECRET");
			return -1;
		}
		return hmac_sha256((const unsigned char *)secret,
		    strlen(secret), input, sig, siglen);
	}
	pkey = load_key(a->key, a->alg);
	if (pkey == NULL)
		return -1;
	rc = sign_pkey(pkey, a->alg, input, sig, siglen);
	EVP_PKEY_free(pkey);
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a;
	char *header, *payload, *h64, *p64, *s64, *input;
	unsigned char sig[SIG_MAX];
	size_t siglen;
	int rc;

	if (parse_args(argc, argv, &a) != 0) {
		usage(stderr);
		return 2;
	}
	if (build_segments(&a, &header, &payload) != 0) {
		free(header);
		free(payload);
		return 2;
	}
	h64 = b64url((unsigned char *)header, strlen(header));
	p64 = b64url((unsigned char *)payload, strlen(payload));
	input = xmalloc(strlen(h64) + strlen(p64) + 2);
	sprintf(input, "%s.%s", h64, p64);

	rc = 1;
	if (sign(&a, input, sig, &siglen) == 0) {
		s64 = b64url(sig, siglen);
		if (printf("%s.%s\n", input, s64) > 0 && fflush(stdout) == 0)
			rc = 0;
		free(s64);
	}
	free(header);
	free(payload);
	free(h64);
	free(p64);
	free(input);
	return rc;
}
