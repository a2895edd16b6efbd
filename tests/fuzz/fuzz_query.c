/*
 * fuzz_query.c - query strings (ps_req_query on an in-memory request)
 * and the form percent-decoder (ps_url_decode), lib/ps_http.c.
 *
 * Input: byte 0 picks the ps_url_decode buffer size and '+' rule; the
 * rest, up to a NUL, is QUERY_STRING.
 *
 * Invariants, checked against a small model of the rules ps_http.c
 * documents (WHATWG urlencoded, strictly):
 *  - the query is accepted exactly when the model accepts it: at most
 *    PS_HTTP_MAX_QUERY bytes and PS_HTTP_MAX_FIELDS fields, names of at
 *    most PS_HTTP_MAX_FIELD_NAME and values of at most
 *    PS_HTTP_MAX_FIELD_VALUE decoded bytes, good %-escapes, no decoded
 *    NUL;
 *  - then every field reads back as the model decoded it (first of
 *    duplicates wins), so no value is longer than the limit or holds a
 *    NUL; when refused, every lookup is NULL;
 *  - ps_url_decode agrees with the model, writes within its buffer and
 *    always leaves it NUL-terminated.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ps_http.h"
#include "fuzz_common.h"

/* PS_HTTP_MAX_FIELD_NAME + 1 bytes. */
#define LONG_NAME "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
    "aaaaaaaaaaaaaaaaa"

struct mfield {
	char name[PS_HTTP_MAX_FIELD_NAME + 1];
	size_t nlen;
	char *value;
	size_t vlen;
};

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The model's decoder: -1 bad escape or NUL, -2 longer than max. */
static long
model_decode(const char *s, size_t n, char *out, size_t max, int plus)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '%') {
			if (n - i < 3)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if (c == '\0')
			return -1;
		if (o == max)
			return -2;
		out[o++] = c;
	}
	return (long)o;
}

/*
 * Model of parse_urlencoded(): 0 and the fields, or -1.  A bad escape
 * or NUL and an over-long part are both refusals; which comes first
 * does not matter to the caller.
 */
static int
model_parse(const char *q, size_t len, struct mfield *f, size_t *nf)
{
	const char *p = q, *end = q + len, *amp, *eq;
	size_t seen = 0, i;
	long r;
	char *val;

	*nf = 0;
	val = malloc(PS_HTTP_MAX_FIELD_VALUE + 1);
	if (val == NULL)
		abort();
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		if (++seen > PS_HTTP_MAX_FIELDS)
			goto bad;
		eq = memchr(p, '=', (size_t)(amp - p));
		{
			char name[PS_HTTP_MAX_FIELD_NAME + 1];
			size_t nlen;

			r = model_decode(p, (size_t)((eq != NULL ? eq : amp) -
			    p), name, PS_HTTP_MAX_FIELD_NAME, 1);
			if (r < 0)
				goto bad;
			nlen = (size_t)r;
			name[nlen] = '\0';
			r = 0;
			if (eq != NULL) {
				r = model_decode(eq + 1, (size_t)(amp - eq -
				    1), val, PS_HTTP_MAX_FIELD_VALUE, 1);
				if (r < 0)
					goto bad;
			}
			for (i = 0; i < *nf; i++)
				if (f[i].nlen == nlen &&
				    memcmp(f[i].name, name, nlen) == 0)
					break;
			if (i == *nf) {
				memcpy(f[i].name, name, nlen + 1);
				f[i].nlen = nlen;
				f[i].vlen = (size_t)r;
				f[i].value = malloc((size_t)r + 1);
				if (f[i].value == NULL)
					abort();
				memcpy(f[i].value, val, (size_t)r);
				f[i].value[r] = '\0';
				(*nf)++;
			}
		}
		p = amp;
	}
	free(val);
	return 0;
bad:
	free(val);
	for (i = 0; i < *nf; i++)
		free(f[i].value);
	*nf = 0;
	return -1;
}

static void
check_url_decode(const char *s, size_t n, size_t dstsz, int plus)
{
	char *dst, *want;
	ssize_t got;
	long r;

	dst = malloc(dstsz);
	want = malloc(n + 1);
	if (dst == NULL || want == NULL)
		abort();
	memset(dst, 'X', dstsz);
	got = ps_url_decode(s, n, dst, dstsz, plus);
	r = model_decode(s, n, want, dstsz - 1, plus);
	FUZZ_CHECK((got < 0) == (r < 0), "ps_url_decode %zd, model %ld",
	    got, r);
	if (got >= 0) {
		FUZZ_CHECK((size_t)got < dstsz && dst[got] == '\0' &&
		    memcmp(dst, want, (size_t)got) == 0 && got == r,
		    "ps_url_decode output differs from the model");
		FUZZ_CHECK(memchr(dst, '\0', (size_t)got) == NULL,
		    "decoded NUL");
	} else
		FUZZ_CHECK(dst[0] == '\0', "failed decode leaves no empty "
		    "string");
	free(dst);
	free(want);
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
	static struct mfield f[PS_HTTP_MAX_FIELDS];
	char *params[3], *param;
	const char *q, *v;
	size_t qlen, nf = 0, i, dstsz;
	ps_req *req;
	ps_err err;
	ps_code rc;
	int ok;

	if (size < 1)
		return 0;
	q = (const char *)data + 1;
	qlen = strnlen(q, size - 1);

	dstsz = 1 + (size_t)(data[0] >> 1) * 17;
	check_url_decode(q, qlen, dstsz, data[0] & 1);

	param = malloc(qlen + sizeof("QUERY_STRING="));
	if (param == NULL)
		abort();
	memcpy(param, "QUERY_STRING=", 13);
	memcpy(param + 13, q, qlen);
	param[13 + qlen] = '\0';
	params[0] = "REQUEST_METHOD=GET";
	params[1] = param;
	params[2] = NULL;
	req = ps_req_mem_new(params, NULL, 0);
	free(param);
	if (req == NULL)
		abort();

	ok = qlen <= PS_HTTP_MAX_QUERY && model_parse(q, qlen, f, &nf) == 0;
	rc = ps_req_query_error(req, &err);
	FUZZ_CHECK((rc == PS_OK) == ok, "query %s, model %s (%s)",
	    rc == PS_OK ? "accepted" : "refused", ok ? "accepts" : "refuses",
	    rc == PS_OK ? "" : err.msg);
	if (rc != PS_OK) {
		FUZZ_CHECK(rc == PS_E_INVALID, "refused with code %d",
		    (int)rc);
		fuzz_check_err_msg(&err);
	}
	for (i = 0; i < nf; i++) {
		v = ps_req_query(req, f[i].name);
		FUZZ_CHECK(v != NULL, "field \"%s\" missing", f[i].name);
		FUZZ_CHECK(strlen(v) == f[i].vlen &&
		    memcmp(v, f[i].value, f[i].vlen) == 0,
		    "field \"%s\" differs from the model", f[i].name);
		FUZZ_CHECK(f[i].vlen <= PS_HTTP_MAX_FIELD_VALUE,
		    "value over the limit");
		free(f[i].value);
	}
	/* No field name is longer than PS_HTTP_MAX_FIELD_NAME. */
	FUZZ_CHECK(ps_req_query(req, LONG_NAME) == NULL,
	    "a field with an over-long name");
	if (!ok && qlen > 0)
		FUZZ_CHECK(ps_req_query(req, "") == NULL &&
		    ps_req_query(req, "a") == NULL,
		    "a refused query still gives fields");
	ps_req_mem_free(req);
	return 0;
}
