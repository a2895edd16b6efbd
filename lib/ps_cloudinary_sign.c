/*
 * ps_cloudinary_sign.c - Cloudinary API request signatures; see
 * ps_cloudinary_sign.h and PROTOCOLS.md, "Cloudinary Upload API".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ps_cloudinary_sign.h"

struct ps_cld_param {
	char *key;
	char *value;	/* arrays already joined with ',' */
};

struct ps_cld_params {
	size_t n;
	struct ps_cld_param v[PS_CLD_MAX_PARAMS];
};

/* Never signed by an upload (PROTOCOLS.md, Signature). */
static const char *const unsigned_keys[] = {
	"file", "cloud_name", "resource_type", "api_key", "signature",
};

ps_code
ps_cld_params_new(ps_cld_params **out, ps_err *err)
{
	if (out == NULL)
		return ps_err_set(err, PS_E_INVALID,
		    "no place for the Cloudinary parameter list");
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return ps_err_set(err, PS_E_NOMEM,
		    "out of memory for the Cloudinary parameter list");
	return PS_OK;
}

void
ps_cld_params_free(ps_cld_params *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].value);
	}
	free(p);
}

static ps_code
check_key(const ps_cld_params *p, const char *key, ps_err *err)
{
	size_t i, len;

	if (p == NULL)
		return ps_err_set(err, PS_E_INVALID,
		    "no Cloudinary parameter list");
	if (key == NULL)
		return ps_err_set(err, PS_E_INVALID,
		    "Cloudinary parameter without a name");
	len = strnlen(key, PS_CLD_MAX_KEY + 1);
	/* Only [a-z_]: there byte order is the SDKs' order (see .h). */
	if (len == 0 || len > PS_CLD_MAX_KEY ||
	    strspn(key, "abcdefghijklmnopqrstuvwxyz_") != len)
		return ps_err_set(err, PS_E_INVALID,
		    "Cloudinary parameter name \"%.*s\" is not 1 to %d of "
		    "[a-z_]", PS_CLD_MAX_KEY, key, PS_CLD_MAX_KEY);
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].key, key) == 0)
			return ps_err_set(err, PS_E_INVALID,
			    "Cloudinary parameter \"%s\" given twice", key);
	if (p->n == PS_CLD_MAX_PARAMS)
		return ps_err_set(err, PS_E_INVALID,
		    "more than %d Cloudinary parameters", PS_CLD_MAX_PARAMS);
	return PS_OK;
}

/* Take ownership of value (may not be NULL) under a copy of key. */
static ps_code
append(ps_cld_params *p, const char *key, char *value, ps_err *err)
{
	char *k;

	k = strdup(key);
	if (k == NULL) {
		free(value);
		return ps_err_set(err, PS_E_NOMEM,
		    "out of memory for Cloudinary parameter \"%s\"", key);
	}
	p->v[p->n].key = k;
	p->v[p->n].value = value;
	p->n++;
	return PS_OK;
}

ps_code
ps_cld_params_add(ps_cld_params *p, const char *key, const char *value,
    ps_err *err)
{
	ps_code rc;
	size_t len;
	char *v;

	rc = check_key(p, key, err);
	if (rc != PS_OK)
		return rc;
	if (value == NULL)
		value = "";
	len = strnlen(value, PS_CLD_MAX_VALUE + 1);
	if (len > PS_CLD_MAX_VALUE)
		return ps_err_set(err, PS_E_INVALID,
		    "Cloudinary parameter \"%s\" is longer than %d bytes",
		    key, PS_CLD_MAX_VALUE);
	v = malloc(len + 1);
	if (v == NULL)
		return ps_err_set(err, PS_E_NOMEM,
		    "out of memory for Cloudinary parameter \"%s\"", key);
	memcpy(v, value, len + 1);
	return append(p, key, v, err);
}

ps_code
ps_cld_params_add_list(ps_cld_params *p, const char *key,
    const char *const *values, size_t n, ps_err *err)
{
	ps_code rc;
	size_t i, len, total;
	char *v;

	rc = check_key(p, key, err);
	if (rc != PS_OK)
		return rc;
	if (values == NULL && n > 0)
		return ps_err_set(err, PS_E_INVALID,
		    "Cloudinary parameter \"%s\": no values", key);
	/*
	 * n values need n - 1 commas: a count past the value limit cannot
	 * fit, and checking it first keeps the sum below from overflowing.
	 */
	if (n > PS_CLD_MAX_VALUE + 1)
		goto toolong;
	total = n > 0 ? n - 1 : 0;
	for (i = 0; i < n; i++) {
		if (values[i] == NULL)
			continue;
		len = strnlen(values[i], PS_CLD_MAX_VALUE + 1);
		if (len > PS_CLD_MAX_VALUE - total)
			goto toolong;
		total += len;
	}
	v = malloc(total + 1);
	if (v == NULL)
		return ps_err_set(err, PS_E_NOMEM,
		    "out of memory for Cloudinary parameter \"%s\"", key);
	total = 0;
	for (i = 0; i < n; i++) {
		if (i > 0)
			v[total++] = ',';
		if (values[i] == NULL)
			continue;
		len = strlen(values[i]);
		memcpy(v + total, values[i], len);
		total += len;
	}
	v[total] = '\0';
	return append(p, key, v, err);
toolong:
	return ps_err_set(err, PS_E_INVALID,
	    "Cloudinary parameter \"%s\" is longer than %d bytes once joined",
	    key, PS_CLD_MAX_VALUE);
}

size_t
ps_cld_params_count(const ps_cld_params *p)
{
	return p == NULL ? 0 : p->n;
}

int
ps_cld_params_at(const ps_cld_params *p, size_t i, const char **key,
    const char **value)
{
	if (p == NULL || i >= p->n)
		return 0;
	if (key != NULL)
		*key = p->v[i].key;
	if (value != NULL)
		*value = p->v[i].value;
	return 1;
}

int
ps_cld_param_is_signed(const char *key)
{
	size_t i;

	if (key == NULL)
		return 0;
	for (i = 0; i < sizeof(unsigned_keys) / sizeof(unsigned_keys[0]); i++)
		if (strcmp(key, unsigned_keys[i]) == 0)
			return 0;
	return 1;
}

static int
by_key(const void *a, const void *b)
{
	const struct ps_cld_param *const *x = a, *const *y = b;

	/* Keys are unique, so the order is total. */
	return strcmp((*x)->key, (*y)->key);
}

static ps_code
build(const ps_cld_params *p, int upload, char **out, ps_err *err)
{
	const struct ps_cld_param *use[PS_CLD_MAX_PARAMS];
	const char *s;
	size_t i, n = 0, len = 0;
	char *buf, *w;

	if (out == NULL)
		return ps_err_set(err, PS_E_INVALID,
		    "no place for the Cloudinary string to sign");
	*out = NULL;
	if (p == NULL)
		return ps_err_set(err, PS_E_INVALID,
		    "no Cloudinary parameter list");
	for (i = 0; i < p->n; i++) {
		/* Empty values are not signed (SDK: v !== ""). */
		if (p->v[i].value[0] == '\0')
			continue;
		if (upload && !ps_cld_param_is_signed(p->v[i].key))
			continue;
		use[n++] = &p->v[i];
	}
	qsort(use, n, sizeof(use[0]), by_key);

	/*
	 * Bounded by the limits: at most 64 * (64 + 1 + 3 * 4096 + 1)
	 * bytes, since each '&' in a value grows to "%26".
	 */
	for (i = 0; i < n; i++) {
		len += strlen(use[i]->key) + 1 + 1;
		for (s = use[i]->value; *s != '\0'; s++)
			len += *s == '&' ? 3 : 1;
	}
	buf = malloc(len + 1);
	if (buf == NULL)
		return ps_err_set(err, PS_E_NOMEM,
		    "out of memory for the Cloudinary string to sign");
	w = buf;
	for (i = 0; i < n; i++) {
		if (i > 0)
			*w++ = '&';
		len = strlen(use[i]->key);
		memcpy(w, use[i]->key, len);
		w += len;
		*w++ = '=';
		/* Signature version 2: '&' inside a value becomes %26. */
		for (s = use[i]->value; *s != '\0'; s++) {
			if (*s == '&') {
				memcpy(w, "%26", 3);
				w += 3;
			} else
				*w++ = *s;
		}
	}
	*w = '\0';
	*out = buf;
	return PS_OK;
}

ps_code
ps_cld_string_to_sign(const ps_cld_params *p, char **out, ps_err *err)
{
	return build(p, 0, out, err);
}

ps_code
ps_cld_upload_string_to_sign(const ps_cld_params *p, char **out,
    ps_err *err)
{
	return build(p, 1, out, err);
}

static ps_code
sign(const ps_cld_params *p, int upload, const char *secret,
    ps_cld_algo algo, char hex_out[PS_CLD_HEX_SIZE], ps_err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	const EVP_MD *type;
	EVP_MD_CTX *ctx;
	size_t slen;
	ps_code rc;
	char *sts;
	int okay;

	if (hex_out == NULL)
		return ps_err_set(err, PS_E_INVALID,
		    "no place for the Cloudinary signature");
	hex_out[0] = '\0';
	if (algo == PS_CLD_SHA1)
		type = EVP_sha1();
	else if (algo == PS_CLD_SHA256)
		type = EVP_sha256();
	else
		return ps_err_set(err, PS_E_INVALID,
		    "unknown Cloudinary signature algorithm %d", (int)algo);
	/* Length only in the message: the secret itself never leaves. */
	slen = secret == NULL ? 0 : strnlen(secret, PS_CLD_MAX_SECRET + 1);
	if (slen == 0)
		return ps_err_set(err, PS_E_CONFIG,
		    "Cloudinary API secret is empty");
	if (slen > PS_CLD_MAX_SECRET)
		return ps_err_set(err, PS_E_CONFIG,
		    "Cloudinary API secret is longer than %d bytes",
		    PS_CLD_MAX_SECRET);
	rc = build(p, upload, &sts, err);
	if (rc != PS_OK)
		return rc;

	/* Hash the two parts in turn so the secret is never copied. */
	ctx = EVP_MD_CTX_new();
	okay = ctx != NULL &&
	    EVP_DigestInit_ex(ctx, type, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, sts, strlen(sts)) == 1 &&
	    EVP_DigestUpdate(ctx, secret, slen) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	    mdlen * 2 < PS_CLD_HEX_SIZE;
	EVP_MD_CTX_free(ctx);
	free(sts);
	if (!okay)
		return ps_err_set(err, PS_E_INTERNAL,
		    "OpenSSL could not compute the Cloudinary signature");
	for (i = 0; i < mdlen; i++) {
		hex_out[2 * i] = hex[md[i] >> 4];
		hex_out[2 * i + 1] = hex[md[i] & 0xf];
	}
	hex_out[2 * mdlen] = '\0';
	return PS_OK;
}

ps_code
ps_cld_sign(const ps_cld_params *p, const char *secret, ps_cld_algo algo,
    char hex_out[PS_CLD_HEX_SIZE], ps_err *err)
{
	return sign(p, 0, secret, algo, hex_out, err);
}

ps_code
ps_cld_sign_upload(const ps_cld_params *p, const char *secret,
    ps_cld_algo algo, char hex_out[PS_CLD_HEX_SIZE], ps_err *err)
{
	return sign(p, 1, secret, algo, hex_out, err);
}
