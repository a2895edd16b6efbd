/*
 * fuzz_cld_sign.c - Cloudinary request signatures (lib/ps_cloudinary_sign.c)
 * with parameters built from the input.
 *
 * Input: byte 0 (bit 0 SHA-256 instead of SHA-1, bit 1 the upload
 * variant), then lines: the first is the API secret, each other one a
 * parameter: "key=value", "key[]=v1<TAB>v2..." (an array; an element
 * that is a single 0x01 byte is NULL) or "key" (a NULL value).
 *
 * Invariants, against a model of PROTOCOLS.md's rules:
 *  - a parameter is refused exactly when its name is not 1 to
 *    PS_CLD_MAX_KEY of [a-z_], was given before, is one too many, or its
 *    (joined) value is over PS_CLD_MAX_VALUE bytes;
 *  - the string to sign is exactly the model's: non-empty parameters (for
 *    uploads without file, cloud_name, resource_type, api_key,
 *    signature) sorted by name, "name=value" joined with '&', every '&'
 *    inside a value written "%26", so a raw '&' only ever separates;
 *  - the signature is the lowercase hex SHA-1/SHA-256 of that string and
 *    the secret, computed here with OpenSSL; a bad secret is PS_E_CONFIG;
 *  - no message ever quotes the secret.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ps_cloudinary_sign.h"
#include "fuzz_common.h"

#define MAX_LINES 80
#define MAX_ITEMS 64

struct mparam {
	char *key;
	char *value;	/* joined; "" for NULL */
};

static const char *const unsigned_keys[] = {
	"file", "cloud_name", "resource_type", "api_key", "signature"
};

static int
model_key_ok(const char *k)
{
	size_t n = strlen(k);

	return n >= 1 && n <= PS_CLD_MAX_KEY &&
	    strspn(k, "abcdefghijklmnopqrstuvwxyz_") == n;
}

static int
is_signed(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(unsigned_keys) / sizeof(unsigned_keys[0]); i++)
		if (strcmp(k, unsigned_keys[i]) == 0)
			return 0;
	return 1;
}

static int
by_key(const void *a, const void *b)
{
	const struct mparam *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* The model's string to sign; malloc'd. */
static char *
model_sts(struct mparam *m, size_t n, int upload)
{
	struct mparam *use[MAX_LINES];
	size_t i, k = 0, len = 1;
	char *out, *w;
	const char *s;

	for (i = 0; i < n; i++) {
		if (m[i].value[0] == '\0' || (upload && !is_signed(m[i].key)))
			continue;
		use[k++] = &m[i];
		len += strlen(m[i].key) + 2 + 3 * strlen(m[i].value);
	}
	qsort(use, k, sizeof(use[0]), by_key);
	out = malloc(len);
	if (out == NULL)
		abort();
	w = out;
	for (i = 0; i < k; i++) {
		if (i > 0)
			*w++ = '&';
		w += sprintf(w, "%s=", use[i]->key);
		for (s = use[i]->value; *s != '\0'; s++) {
			if (*s == '&') {
				memcpy(w, "%26", 3);
				w += 3;
			} else
				*w++ = *s;
		}
	}
	*w = '\0';
	return out;
}

static void
no_secret(const ps_err *err, const char *secret, int check)
{
	fuzz_check_err_msg(err);
	if (check)
		FUZZ_CHECK(strstr(err->msg, secret) == NULL, "the secret in "
		    "\"%s\"", err->msg);
}

/*
 * Whether a message that contains the secret proves a leak.  Messages
 * quote parameter names and values, so a secret made of message text
 * around a quoted input ('"' + a refused name + '"') shows up without
 * any leak (found by the fuzzer itself: regressions/fuzz_cld_sign).  So
 * the secret is checked only when it has a byte that neither the other
 * input lines nor any message's own text (ASCII) has: then a message
 * can only hold it by quoting the secret.  Also not when it has a '?',
 * which stands for any control byte in messages, or is short.
 */
static int
secret_checkable(const char *secret, size_t slen, char *const *lines,
    size_t nlines)
{
	const unsigned char *c;
	size_t i;

	if (slen < 8 || strchr(secret, '?') != NULL)
		return 0;
	for (c = (const unsigned char *)secret; *c != '\0'; c++) {
		if (*c < 0x80)
			continue;
		for (i = 1; i < nlines; i++)
			if (strchr(lines[i], *c) != NULL)
				break;
		if (i == nlines)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ps_log_set_level(PS_LOG_OFF);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mparam m[MAX_LINES];
	char *text, *lines[MAX_LINES], *line, *eq, *items[MAX_ITEMS];
	char hex[PS_CLD_HEX_SIZE], want_hex[PS_CLD_HEX_SIZE], *sts, *want;
	const char *k, *v, *secret;
	unsigned char md[EVP_MAX_MD_SIZE], *buf;
	unsigned int mdlen;
	size_t nlines = 0, nm = 0, i, j, nitems, joined, slen;
	ps_cld_params *p;
	ps_cld_algo algo;
	int upload, is_list, model_ok, check_secret;
	ps_err err;
	ps_code rc;
	EVP_MD_CTX *ctx;

	if (size < 1)
		return 0;
	algo = (data[0] & 1) ? PS_CLD_SHA256 : PS_CLD_SHA1;
	upload = (data[0] >> 1) & 1;
	text = fuzz_strndup(data + 1, size - 1);
	if (strlen(text) != size - 1) {
		free(text);	/* C strings only */
		return 0;
	}
	for (line = text; line != NULL && nlines < MAX_LINES;) {
		lines[nlines++] = line;
		line = strchr(line, '\n');
		if (line != NULL)
			*line++ = '\0';
	}
	secret = lines[0];
	slen = strlen(secret);
	check_secret = secret_checkable(secret, slen, lines, nlines);

	if (ps_cld_params_new(&p, &err) != PS_OK)
		abort();
	for (i = 1; i < nlines; i++) {
		line = lines[i];
		eq = strchr(line, '=');
		if (eq != NULL)
			*eq = '\0';
		is_list = eq != NULL && eq - line >= 2 &&
		    strcmp(eq - 2, "[]") == 0;
		if (is_list)
			eq[-2] = '\0';
		joined = 0;
		if (is_list) {
			nitems = 0;
			for (v = eq + 1; nitems < MAX_ITEMS;) {
				items[nitems++] = (char *)v;
				v = strchr(v, '\t');
				if (v == NULL)
					break;
				*(char *)v++ = '\0';
			}
			for (j = 0; j < nitems; j++) {
				if (strcmp(items[j], "\x01") == 0)
					items[j] = NULL;
				joined += (j > 0) + (items[j] != NULL ?
				    strlen(items[j]) : 0);
			}
			rc = ps_cld_params_add_list(p, line,
			    (const char *const *)items, nitems, &err);
		} else {
			joined = eq != NULL ? strlen(eq + 1) : 0;
			rc = ps_cld_params_add(p, line, eq != NULL ? eq + 1 :
			    NULL, &err);
		}
		model_ok = model_key_ok(line) && nm < PS_CLD_MAX_PARAMS &&
		    joined <= PS_CLD_MAX_VALUE;
		for (j = 0; j < nm && model_ok; j++)
			if (strcmp(m[j].key, line) == 0)
				model_ok = 0;
		FUZZ_CHECK((rc == PS_OK) == model_ok, "parameter \"%.40s\" "
		    "%s by the library, %s by the model", line,
		    rc == PS_OK ? "accepted" : "refused",
		    model_ok ? "accepted" : "refused");
		if (rc != PS_OK) {
			FUZZ_CHECK(rc == PS_E_INVALID, "refused with %d",
			    (int)rc);
			no_secret(&err, secret, check_secret);
			continue;
		}
		m[nm].key = strdup(line);
		m[nm].value = malloc(joined + 1);
		if (m[nm].key == NULL || m[nm].value == NULL)
			abort();
		m[nm].value[0] = '\0';
		if (is_list) {
			for (j = 0; j < nitems; j++) {
				if (j > 0)
					strcat(m[nm].value, ",");
				if (items[j] != NULL)
					strcat(m[nm].value, items[j]);
			}
		} else if (eq != NULL)
			strcpy(m[nm].value, eq + 1);
		nm++;
	}
	FUZZ_CHECK(ps_cld_params_count(p) == nm, "%zu parameters, model %zu",
	    ps_cld_params_count(p), nm);
	for (i = 0; i < nm; i++) {
		FUZZ_CHECK(ps_cld_params_at(p, i, &k, &v) &&
		    strcmp(k, m[i].key) == 0 && strcmp(v, m[i].value) == 0,
		    "parameter %zu differs", i);
		FUZZ_CHECK(ps_cld_param_is_signed(k) == is_signed(k),
		    "is_signed(%s)", k);
	}
	FUZZ_CHECK(!ps_cld_params_at(p, nm, &k, &v), "a parameter too many");

	want = model_sts(m, nm, upload);
	rc = upload ? ps_cld_upload_string_to_sign(p, &sts, &err) :
	    ps_cld_string_to_sign(p, &sts, &err);
	FUZZ_CHECK(rc == PS_OK, "string to sign: %s", err.msg);
	FUZZ_CHECK(strcmp(sts, want) == 0, "string to sign differs from the "
	    "model");

	rc = upload ? ps_cld_sign_upload(p, secret, algo, hex, &err) :
	    ps_cld_sign(p, secret, algo, hex, &err);
	if (slen == 0 || slen > PS_CLD_MAX_SECRET) {
		FUZZ_CHECK(rc == PS_E_CONFIG && hex[0] == '\0',
		    "a secret of %zu bytes: %d", slen, (int)rc);
		no_secret(&err, secret, check_secret);
	} else {
		FUZZ_CHECK(rc == PS_OK, "sign: %s", err.msg);
		buf = malloc(strlen(want) + slen + 1);
		if (buf == NULL)
			abort();
		memcpy(buf, want, strlen(want));
		memcpy(buf + strlen(want), secret, slen);
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL || EVP_DigestInit_ex(ctx, algo == PS_CLD_SHA1 ?
		    EVP_sha1() : EVP_sha256(), NULL) != 1 ||
		    EVP_DigestUpdate(ctx, buf, strlen(want) + slen) != 1 ||
		    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
			abort();
		EVP_MD_CTX_free(ctx);
		free(buf);
		for (i = 0; i < mdlen; i++)
			snprintf(want_hex + 2 * i, 3, "%02x", md[i]);
		FUZZ_CHECK(strcmp(hex, want_hex) == 0, "signature %s, "
		    "expected %s", hex, want_hex);
	}
	free(sts);
	free(want);
	for (i = 0; i < nm; i++) {
		free(m[i].key);
		free(m[i].value);
	}
	ps_cld_params_free(p);
	free(text);
	return 0;
}
