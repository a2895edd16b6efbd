/*
 * ps_http.c - one request and its response; see ps_http.h.
 *
 * The request's bytes come through a ps_req_io transport (ps_fcgi.c:
 * libfcgi's FCGX_Request or plain CGI; here: memory), so everything in
 * this file is the same for every way a program is run, and the unit
 * tests drive exactly the code that serves real requests.
 *
 * Decisions where the RFCs leave room (also in the tests):
 * - Query and urlencoded bodies follow the WHATWG urlencoded parser
 *   (fields split on '&', empty ones skipped, '=' optional, '+' is a
 *   space) but strictly: a '%' not followed by two hex digits, a decoded
 *   NUL, an over-long name or value or too many fields refuse the whole
 *   input instead of being passed through.  Duplicate names: the first
 *   one wins (later ones still count against PS_HTTP_MAX_FIELDS).
 * - CONTENT_LENGTH is 1*DIGIT (RFC 9110, 8.6) that fits in int64_t;
 *   anything else is malformed.  A POST/PUT/PATCH without it is refused
 *   (PS_E_INVALID, "Content-Length required") rather than read to EOF:
 *   RFC 3875, 4.1.2 says no CONTENT_LENGTH means no body.
 * - JSON forms are flat objects.  json-c parses them (strict mode, depth
 *   limit, UTF-8 checked); a second pass over the text refuses what
 *   json-c lets through: duplicate keys (json-c keeps the last),
 *   single-quoted strings, NaN/Infinity, \u0000, and keeps numbers as
 *   their source text (json-c clamps big integers).
 * - ps_resp_error() never shows the message of a 5xx error to the
 *   client (it can name hosts and paths); it is logged instead.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json.h>

#include "ps_error.h"
#include "ps_util.h"
#include "ps_http.h"
#include "ps_log.h"

/* Bytes of response headers a handler may add. */
#define RESP_MAX_HEADERS 16384
/* Depth limit of the JSON tokener: an object of scalars needs 2. */
#define JSON_DEPTH 4

struct field {
	char *name;
	char *value;
};

struct fields {
	struct field f[PS_HTTP_MAX_FIELDS];
	size_t n;
};

enum body_mode {
	BODY_NONE = 0,	/* not touched yet */
	BODY_WHOLE,	/* read by ps_req_body() */
	BODY_STREAM,	/* being read by ps_req_read() */
	BODY_FAILED	/* ps_req_body() failed; body_err says why */
};

struct ps_req {
	const ps_req_io *io;
	void *ctx;

	int query_done;
	struct fields query;
	ps_err query_err;

	enum body_mode body_mode;
	char *body;
	size_t body_len;
	size_t body_pos;	/* ps_req_read() over a whole body */
	int64_t body_left;	/* ps_req_read() on the transport */
	ps_err body_err;

	int form_done;
	struct fields form;
	ps_err form_err;

	int status;
	char *ctype;		/* Content-Type, kept apart: set once */
	char *hdr;		/* "Name: value\r\n"... */
	size_t hdr_len;
	int has_cache_control;
	int started;
	int failed;		/* a write failed: the client is gone */
};

/* ------------------------------------------------------------ fields */

static void
fields_free(struct fields *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		free(fs->f[i].name);
		free(fs->f[i].value);
	}
	fs->n = 0;
}

static const char *
fields_get(const struct fields *fs, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].name, name) == 0)
			return fs->f[i].value;
	return NULL;
}

/* Add a copy of name/value unless name is there already (first wins). */
static ps_code
fields_add(struct fields *fs, const char *name, size_t nlen,
    const char *value, size_t vlen, ps_err *err)
{
	struct field *f;
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strlen(fs->f[i].name) == nlen &&
		    memcmp(fs->f[i].name, name, nlen) == 0)
			return PS_OK;
	if (fs->n == PS_HTTP_MAX_FIELDS)
		return ps_err_set(err, PS_E_INVALID,
		    "more than %d fields", PS_HTTP_MAX_FIELDS);
	f = &fs->f[fs->n];
	f->name = strndup(name, nlen);
	f->value = strndup(value, vlen);
	if (f->name == NULL || f->value == NULL) {
		free(f->name);
		free(f->value);
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	}
	fs->n++;
	return PS_OK;
}

/* ------------------------------------------------------ url decoding */

enum dec_result { DEC_OK, DEC_ESCAPE, DEC_NUL, DEC_LONG };


/*
 * Decode src[0..len) into dst (dstsz bytes with the NUL); RFC 3986,
 * 2.1 percent-encoding, and '+' as space for the urlencoded form.
 */
static enum dec_result
decode(const char *src, size_t len, char *dst, size_t dstsz,
    int plus_is_space, size_t *outlen)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; i < len; i++) {
		c = src[i];
		if (c == '%') {
			if (len - i < 3)
				return DEC_ESCAPE;
			hi = ps_hexval((unsigned char)src[i + 1]);
			lo = ps_hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return DEC_ESCAPE;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		if (c == '\0')
			return DEC_NUL;
		if (o + 1 >= dstsz)
			return DEC_LONG;
		dst[o++] = c;
	}
	if (o >= dstsz)
		return DEC_LONG;
	dst[o] = '\0';
	*outlen = o;
	return DEC_OK;
}

ssize_t
ps_url_decode(const char *src, size_t len, char *dst, size_t dstsz,
    int plus_is_space)
{
	size_t n;

	if (src == NULL || dst == NULL || dstsz == 0)
		return -1;
	if (decode(src, len, dst, dstsz, plus_is_space, &n) != DEC_OK) {
		dst[0] = '\0';
		return -1;
	}
	return (ssize_t)n;
}

static ps_code
decode_part(const char *src, size_t len, char *dst, size_t dstsz,
    size_t *outlen, const char *what, const char *part, ps_err *err)
{
	switch (decode(src, len, dst, dstsz, 1, outlen)) {
	case DEC_OK:
		return PS_OK;
	case DEC_ESCAPE:
		return ps_err_set(err, PS_E_INVALID,
		    "%s: bad %%-escape in a field %s", what, part);
	case DEC_NUL:
		return ps_err_set(err, PS_E_INVALID,
		    "%s: NUL byte in a field %s", what, part);
	case DEC_LONG:
		break;
	}
	return ps_err_set(err, PS_E_INVALID,
	    "%s: field %s longer than %zu bytes", what, part, dstsz - 1);
}

/*
 * application/x-www-form-urlencoded (WHATWG URL, 5.1), strictly; what
 * names the input in messages ("query string", "form").
 */
static ps_code
parse_urlencoded(const char *s, size_t len, struct fields *fs,
    const char *what, ps_err *err)
{
	char name[PS_HTTP_MAX_FIELD_NAME + 1];
	char *value;
	const char *p, *end, *amp, *eq;
	size_t nlen, vlen, seen = 0;
	ps_code rc = PS_OK;

	value = malloc(PS_HTTP_MAX_FIELD_VALUE + 1);
	if (value == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	p = s;
	end = s + len;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp == p) {	/* empty sequence: skipped */
			p++;
			continue;
		}
		seen++;
		if (seen > PS_HTTP_MAX_FIELDS) {
			rc = ps_err_set(err, PS_E_INVALID,
			    "%s: more than %d fields", what,
			    PS_HTTP_MAX_FIELDS);
			break;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		rc = decode_part(p, (size_t)((eq != NULL ? eq : amp) - p),
		    name, sizeof(name), &nlen, what, "name", err);
		if (rc != PS_OK)
			break;
		vlen = 0;
		value[0] = '\0';
		if (eq != NULL) {
			rc = decode_part(eq + 1, (size_t)(amp - eq - 1), value,
			    PS_HTTP_MAX_FIELD_VALUE + 1, &vlen, what,
			    "value", err);
			if (rc != PS_OK)
				break;
		}
		rc = fields_add(fs, name, nlen, value, vlen, err);
		if (rc != PS_OK)
			break;
		p = amp;
	}
	free(value);
	if (rc != PS_OK)
		fields_free(fs);
	return rc;
}

/* ------------------------------------------------------------ request */

ps_req *
ps_req_new(const ps_req_io *io, void *ctx)
{
	ps_req *req;

	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return NULL;
	req->io = io;
	req->ctx = ctx;
	req->status = 200;
	return req;
}

void
ps_req_free(ps_req *req)
{
	if (req == NULL)
		return;
	fields_free(&req->query);
	fields_free(&req->form);
	free(req->body);
	free(req->ctype);
	free(req->hdr);
	free(req);
}

/* The transport's value, without the length limit. */
static const char *
raw_param(const ps_req *req, const char *name)
{
	if (req == NULL || name == NULL || req->io->param == NULL)
		return NULL;
	return req->io->param(req->ctx, name);
}

const char *
ps_req_param(const ps_req *req, const char *name)
{
	const char *v;

	v = raw_param(req, name);
	if (v == NULL || strnlen(v, PS_HTTP_MAX_HEADER_VALUE + 1) >
	    PS_HTTP_MAX_HEADER_VALUE)
		return NULL;
	return v;
}

const char *
ps_req_method(const ps_req *req)
{
	const char *v;

	v = ps_req_param(req, "REQUEST_METHOD");
	return v != NULL ? v : "";
}

const char *
ps_req_path_info(const ps_req *req)
{
	const char *v;

	v = ps_req_param(req, "PATH_INFO");
	return v != NULL ? v : "";
}

/* RFC 3875, 4.1.7: QUERY_STRING, "" when absent. */
static void
query_parse(ps_req *req)
{
	const char *q;
	size_t len;

	if (req->query_done)
		return;
	req->query_done = 1;
	ps_err_clear(&req->query_err);
	q = raw_param(req, "QUERY_STRING");
	if (q == NULL)
		return;
	len = strnlen(q, PS_HTTP_MAX_QUERY + 1);
	if (len > PS_HTTP_MAX_QUERY) {
		ps_err_set(&req->query_err, PS_E_INVALID,
		    "query string longer than %d bytes", PS_HTTP_MAX_QUERY);
		return;
	}
	parse_urlencoded(q, len, &req->query, "query string",
	    &req->query_err);
}

const char *
ps_req_query(ps_req *req, const char *name)
{
	if (req == NULL)
		return NULL;
	query_parse(req);
	if (req->query_err.code != PS_OK)
		return NULL;
	return fields_get(&req->query, name);
}

ps_code
ps_req_query_error(ps_req *req, ps_err *err)
{
	if (req == NULL)
		return ps_err_set(err, PS_E_INTERNAL, "no request");
	query_parse(req);
	if (req->query_err.code == PS_OK)
		return PS_OK;
	if (err != NULL)
		*err = req->query_err;
	return req->query_err.code;
}

/* 1*DIGIT that fits in int64_t (RFC 9110, 8.6); -1 otherwise. */
static int
parse_length(const char *s, int64_t *out)
{
	int64_t v = 0;
	int d;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		d = *s - '0';
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int64_t
ps_req_content_length(const ps_req *req)
{
	int64_t n;

	if (parse_length(ps_req_param(req, "CONTENT_LENGTH"), &n) != 0)
		return -1;
	return n;
}

/* Methods whose requests carry a body (RFC 9110, 9.3). */
static int
method_has_body(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
	    strcmp(m, "PATCH") == 0;
}

/* Read exactly n bytes from the transport; bytes read. */
static size_t
read_full(ps_req *req, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = req->io->read(req->ctx, buf + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static ps_code
body_fail(ps_req *req, ps_err *err)
{
	req->body_mode = BODY_FAILED;
	if (err != NULL)
		*err = req->body_err;
	return req->body_err.code;
}

ps_code
ps_req_body(ps_req *req, size_t max, const char **body, size_t *len,
    ps_err *err)
{
	const char *cl;
	int64_t n = 0;
	size_t got;

	if (body != NULL)
		*body = NULL;
	if (len != NULL)
		*len = 0;
	if (req == NULL)
		return ps_err_set(err, PS_E_INTERNAL, "no request");
	switch (req->body_mode) {
	case BODY_WHOLE:
		goto done;
	case BODY_STREAM:
		return ps_err_set(err, PS_E_INTERNAL,
		    "body already read as a stream");
	case BODY_FAILED:
		return body_fail(req, err);
	case BODY_NONE:
		break;
	}
	if (max > PS_HTTP_MAX_SMALL_BODY)
		max = PS_HTTP_MAX_SMALL_BODY;
	cl = raw_param(req, "CONTENT_LENGTH");
	if (cl == NULL || *cl == '\0') {
		/* RFC 3875, 4.1.2: no CONTENT_LENGTH, no body. */
		if (method_has_body(ps_req_method(req))) {
			ps_err_set(&req->body_err, PS_E_INVALID,
			    "Content-Length required");
			return body_fail(req, err);
		}
	} else if (parse_length(cl, &n) != 0) {
		ps_err_set(&req->body_err, PS_E_INVALID,
		    "malformed Content-Length");
		return body_fail(req, err);
	} else if ((uint64_t)n > max) {
		/* Refused before reading a byte. */
		ps_err_set(&req->body_err, PS_E_TOO_LARGE,
		    "body of %lld bytes is over the limit of %zu bytes",
		    (long long)n, max);
		return body_fail(req, err);
	}
	req->body = malloc((size_t)n + 1);
	if (req->body == NULL) {
		ps_err_set(&req->body_err, PS_E_NOMEM, "out of memory");
		return body_fail(req, err);
	}
	got = read_full(req, req->body, (size_t)n);
	if (got < (size_t)n) {
		free(req->body);
		req->body = NULL;
		ps_err_set(&req->body_err, PS_E_INVALID,
		    "body cut short (%zu of %lld bytes)", got, (long long)n);
		return body_fail(req, err);
	}
	req->body[n] = '\0';
	req->body_len = (size_t)n;
	req->body_mode = BODY_WHOLE;
done:
	if (body != NULL)
		*body = req->body;
	if (len != NULL)
		*len = req->body_len;
	return PS_OK;
}

ssize_t
ps_req_read(ps_req *req, void *buf, size_t n)
{
	const char *cl;
	int64_t total = 0;
	ssize_t r;
	size_t k;

	if (req == NULL || (buf == NULL && n > 0))
		return -1;
	switch (req->body_mode) {
	case BODY_WHOLE:
		k = req->body_len - req->body_pos;
		if (k > n)
			k = n;
		memcpy(buf, req->body + req->body_pos, k);
		req->body_pos += k;
		return (ssize_t)k;
	case BODY_FAILED:
		return -1;
	case BODY_NONE:
		cl = raw_param(req, "CONTENT_LENGTH");
		if (cl != NULL && *cl != '\0' &&
		    parse_length(cl, &total) != 0)
			return -1;
		if (ps_req_body_unsized(req))
			total = -1;	/* to the transport's end */
		req->body_left = total;
		req->body_mode = BODY_STREAM;
		break;
	case BODY_STREAM:
		break;
	}
	if (req->body_left == 0 || n == 0)
		return 0;
	if (req->body_left > 0 && (uint64_t)n > (uint64_t)req->body_left)
		n = (size_t)req->body_left;
	if (n > INT_MAX)
		n = INT_MAX;
	r = req->io->read(req->ctx, buf, n);
	if (r == 0 && req->body_left < 0) {
		req->body_left = 0;	/* the end of an unsized body */
		return 0;
	}
	if (r <= 0) {
		/* EOF before CONTENT_LENGTH bytes: the client went away. */
		req->body_left = 0;
		req->body_mode = BODY_FAILED;
		return -1;
	}
	if (req->body_left > 0)
		req->body_left -= r;
	return r;
}

int
ps_req_input_consumed(const ps_req *req)
{
	const char *cl;

	if (req == NULL)
		return 0;
	switch (req->body_mode) {
	case BODY_WHOLE:
		return 1;
	case BODY_STREAM:
		return req->body_left == 0;
	case BODY_FAILED:
		return 0;
	case BODY_NONE:
		break;
	}
	if (ps_req_body_unsized(req))
		return 0;
	cl = raw_param(req, "CONTENT_LENGTH");
	return cl == NULL || strcmp(cl, "") == 0 || strcmp(cl, "0") == 0;
}

int
ps_req_body_unsized(const ps_req *req)
{
	const char *cl;

	if (req == NULL || !req->io->framed ||
	    !method_has_body(ps_req_method(req)))
		return 0;
	cl = raw_param(req, "CONTENT_LENGTH");
	return cl == NULL || *cl == '\0';
}

/* ------------------------------------------------------- media types */

static int
is_tchar(unsigned char c)
{
	/* RFC 9110, 5.6.2 */
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Split a media type (RFC 9110, 8.3.1) into a lowercased "type/subtype"
 * and the charset parameter's value, lowercased ("" when absent).
 * Other parameters are ignored.  0, or -1 when malformed.
 */
static int
media_type(const char *s, char *mt, size_t mtsz, char *cs, size_t cssz)
{
	const char *p, *start;
	char pname[32], pval[64];
	size_t n, pn, pv;
	int slash = 0;

	cs[0] = '\0';
	p = skip_ows(s);
	start = p;
	while (is_tchar((unsigned char)*p) || (*p == '/' && !slash &&
	    p > start)) {
		if (*p == '/')
			slash = 1;
		p++;
	}
	n = (size_t)(p - start);
	if (!slash || n == 0 || start[n - 1] == '/' || n >= mtsz)
		return -1;
	for (pn = 0; pn < n; pn++)
		mt[pn] = (char)tolower((unsigned char)start[pn]);
	mt[n] = '\0';
	for (;;) {
		p = skip_ows(p);
		if (*p == '\0')
			return 0;
		if (*p != ';')
			return -1;
		p = skip_ows(p + 1);
		if (*p == '\0')
			return 0;	/* trailing ';' is tolerated */
		pn = 0;
		while (is_tchar((unsigned char)*p)) {
			if (pn + 1 < sizeof(pname))
				pname[pn++] = (char)tolower((unsigned char)*p);
			p++;
		}
		pname[pn] = '\0';
		if (pn == 0 || *p != '=')
			return -1;
		p++;
		pv = 0;
		if (*p == '"') {	/* quoted-string, RFC 9110 5.6.4 */
			for (p++; *p != '"'; p++) {
				if (*p == '\0')
					return -1;
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (pv + 1 < sizeof(pval))
					pval[pv++] = *p;
			}
			p++;
		} else {
			while (is_tchar((unsigned char)*p)) {
				if (pv + 1 < sizeof(pval))
					pval[pv++] = *p;
				p++;
			}
			if (pv == 0)
				return -1;
		}
		pval[pv] = '\0';
		if (strcmp(pname, "charset") == 0) {
			for (pn = 0; pval[pn] != '\0'; pn++)
				pval[pn] = (char)tolower(
				    (unsigned char)pval[pn]);
			snprintf(cs, cssz, "%s", pval);
		}
	}
}

/* ------------------------------------------------------- JSON forms */

struct scan {
	const char *tok[PS_HTTP_MAX_FIELDS];	/* bare value tokens */
	size_t toklen[PS_HTTP_MAX_FIELDS];
	size_t members;
};

/* RFC 8259, 6: -? int frac? exp? */
static int
json_number_ok(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else {
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/*
 * Second pass over a text json-c accepted as an object of scalars:
 * count members (a ':' outside strings), refuse what RFC 8259 does not
 * allow but json-c does, and keep each member's bare value token
 * (numbers, true, false, null) in member order.  NULL, or a message.
 */
static const char *
json_scan(const char *s, size_t len, struct scan *sc)
{
	size_t i, start;
	int in_str = 0, want_value = 0;

	memset(sc, 0, sizeof(*sc));
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (in_str) {
			if (c == '\\') {
				if (i + 5 < len && s[i + 1] == 'u' &&
				    memcmp(s + i + 2, "0000", 4) == 0)
					return "NUL character in JSON string";
				i++;
			} else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			want_value = 0;
		} else if (c == ':') {
			if (sc->members == PS_HTTP_MAX_FIELDS)
				return "too many JSON members";
			sc->members++;
			want_value = 1;
		} else if (c != '\0' && strchr("{}[], \t\r\n", c) != NULL) {
			continue;
		} else if (isalnum(c) || c == '-' || c == '+' || c == '.') {
			start = i;
			while (i + 1 < len && (isalnum((unsigned char)s[i + 1])
			    || s[i + 1] == '+' || s[i + 1] == '-' ||
			    s[i + 1] == '.'))
				i++;
			if (!want_value)
				return "malformed JSON";
			sc->tok[sc->members - 1] = s + start;
			sc->toklen[sc->members - 1] = i + 1 - start;
			if (!json_number_ok(s + start, i + 1 - start) &&
			    !(i + 1 - start == 4 &&
			    memcmp(s + start, "true", 4) == 0) &&
			    !(i + 1 - start == 5 &&
			    memcmp(s + start, "false", 5) == 0) &&
			    !(i + 1 - start == 4 &&
			    memcmp(s + start, "null", 4) == 0))
				return "malformed JSON value";
			want_value = 0;
		} else	/* e.g. a single quote */
			return "malformed JSON";
	}
	return NULL;
}

static ps_code
parse_json_form(const char *body, size_t len, struct fields *fs,
    ps_err *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *obj;
	struct scan sc;
	const char *msg, *v;
	size_t i = 0, vlen;
	ps_code rc = PS_OK;

	if (len > INT_MAX)
		return ps_err_set(err, PS_E_TOO_LARGE, "JSON body too large");
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (tok == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		json_object_put(obj);
		return ps_err_set(err, PS_E_INVALID, "JSON body incomplete");
	}
	if (jerr != json_tokener_success || obj == NULL) {
		json_object_put(obj);
		return ps_err_set(err, PS_E_INVALID, "malformed JSON: %s",
		    json_tokener_error_desc(jerr));
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return ps_err_set(err, PS_E_INVALID,
		    "JSON body must be an object");
	}
	json_object_object_foreach(obj, key, val) {
		json_type t = json_object_get_type(val);

		if (t == json_type_object || t == json_type_array ||
		    t == json_type_null) {
			rc = ps_err_set(err, PS_E_INVALID,
			    "JSON member \"%.64s\" must be a string, number "
			    "or boolean", key);
			goto out;
		}
		if (strlen(key) > PS_HTTP_MAX_FIELD_NAME) {
			rc = ps_err_set(err, PS_E_INVALID,
			    "JSON member name longer than %d bytes",
			    PS_HTTP_MAX_FIELD_NAME);
			goto out;
		}
	}
	msg = json_scan(body, len, &sc);
	if (msg != NULL) {
		rc = ps_err_set(err, PS_E_INVALID, "%s", msg);
		goto out;
	}
	/* json-c keeps the last of duplicate keys: refuse them. */
	if (sc.members != (size_t)json_object_object_length(obj)) {
		rc = ps_err_set(err, PS_E_INVALID, "duplicate JSON member");
		goto out;
	}
	/* json-c iterates in insertion order, the order of the text. */
	json_object_object_foreach(obj, k2, v2) {
		if (json_object_is_type(v2, json_type_string)) {
			v = json_object_get_string(v2);
			vlen = (size_t)json_object_get_string_len(v2);
		} else {
			v = sc.tok[i];
			vlen = sc.toklen[i];
		}
		i++;
		if (v == NULL || memchr(v, '\0', vlen) != NULL) {
			rc = ps_err_set(err, PS_E_INVALID, "malformed JSON");
			goto out;
		}
		if (vlen > PS_HTTP_MAX_FIELD_VALUE) {
			rc = ps_err_set(err, PS_E_INVALID,
			    "JSON member \"%.64s\" longer than %d bytes", k2,
			    PS_HTTP_MAX_FIELD_VALUE);
			goto out;
		}
		rc = fields_add(fs, k2, strlen(k2), v, vlen, err);
		if (rc != PS_OK)
			goto out;
	}
out:
	json_object_put(obj);
	if (rc != PS_OK)
		fields_free(fs);
	return rc;
}

ps_code
ps_req_parse_form(ps_req *req, ps_err *err)
{
	char mt[128], cs[64];
	const char *ct, *body;
	size_t len;
	int json;
	ps_code rc;

	if (req == NULL)
		return ps_err_set(err, PS_E_INTERNAL, "no request");
	if (req->form_done) {
		if (req->form_err.code != PS_OK && err != NULL)
			*err = req->form_err;
		return req->form_err.code;
	}
	req->form_done = 1;
	ps_err_clear(&req->form_err);
	ct = ps_req_param(req, "CONTENT_TYPE");
	if (ct == NULL || *ct == '\0') {
		rc = ps_err_set(&req->form_err, PS_E_UNSUPPORTED,
		    "Content-Type required: application/json or "
		    "application/x-www-form-urlencoded");
		goto out;
	}
	if (media_type(ct, mt, sizeof(mt), cs, sizeof(cs)) != 0) {
		rc = ps_err_set(&req->form_err, PS_E_INVALID,
		    "malformed Content-Type");
		goto out;
	}
	json = strcmp(mt, "application/json") == 0;
	if (json) {
		/* RFC 8259, 8.1: JSON exchanged between systems is UTF-8. */
		if (cs[0] != '\0' && strcmp(cs, "utf-8") != 0) {
			rc = ps_err_set(&req->form_err, PS_E_UNSUPPORTED,
			    "JSON must be UTF-8");
			goto out;
		}
	} else if (strcmp(mt, "application/x-www-form-urlencoded") != 0) {
		rc = ps_err_set(&req->form_err, PS_E_UNSUPPORTED,
		    "Content-Type must be application/json or "
		    "application/x-www-form-urlencoded");
		goto out;
	}
	rc = ps_req_body(req, PS_HTTP_MAX_SMALL_BODY, &body, &len,
	    &req->form_err);
	if (rc != PS_OK)
		goto out;
	if (json)
		rc = parse_json_form(body, len, &req->form, &req->form_err);
	else
		rc = parse_urlencoded(body, len, &req->form, "form",
		    &req->form_err);
out:
	if (rc != PS_OK && err != NULL)
		*err = req->form_err;
	return rc;
}

const char *
ps_req_field(ps_req *req, const char *name)
{
	if (req == NULL || !req->form_done || req->form_err.code != PS_OK)
		return NULL;
	return fields_get(&req->form, name);
}

/* --------------------------------------------------------- Accept */

/* RFC 9110, 12.4.2 qvalue in thousandths; -1 when malformed. */
static int
qvalue(const char *s, size_t n)
{
	int v, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	v = (s[0] - '0') * 1000;
	if (n == 1)
		return v;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v += (s[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

/*
 * RFC 9110, 12.5.1.  HTML when text/html is listed by name with a
 * q-value above that of JSON (application/json, else the application
 * wildcard, else the full wildcard); on a tie, when it comes before
 * application/json (browsers list text/html first).
 */
int
ps_req_wants_html(const ps_req *req)
{
	const char *a, *p, *end, *semi, *q;
	int html = -1, json = -1, app = -1, any = -1, qv;
	int pos = 0, html_pos = 0, json_pos = 0, qj;
	size_t n;

	a = ps_req_param(req, "HTTP_ACCEPT");
	if (a == NULL)
		return 0;
	for (p = a; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		p = skip_ows(p);
		semi = memchr(p, ';', (size_t)(end - p));
		n = (size_t)((semi != NULL ? semi : end) - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		qv = 1000;
		for (q = semi; q != NULL && q < end;
		    q = memchr(q + 1, ';', (size_t)(end - q - 1))) {
			const char *w = skip_ows(q + 1);
			size_t k;

			if ((w[0] == 'q' || w[0] == 'Q') && w[1] == '=') {
				w += 2;
				for (k = 0; w + k < end && w[k] != ';' &&
				    w[k] != ' ' && w[k] != '\t'; k++)
					;
				qv = qvalue(w, k);
				if (qv < 0)
					qv = 0;
			}
		}
		pos++;
		if (n == 9 && strncasecmp(p, "text/html", 9) == 0) {
			if (html < 0) {
				html = qv;
				html_pos = pos;
			}
		} else if (n == 16 &&
		    strncasecmp(p, "application/json", 16) == 0) {
			if (json < 0) {
				json = qv;
				json_pos = pos;
			}
		} else if (n == 13 && strncasecmp(p, "application/*", 13) == 0)
			app = app < 0 ? qv : app;
		else if (n == 3 && strncmp(p, "*/*", 3) == 0)
			any = any < 0 ? qv : any;
	}
	if (html <= 0)
		return 0;
	qj = json >= 0 ? json : app >= 0 ? app : any >= 0 ? any : 0;
	if (html != qj)
		return html > qj;
	return json < 0 || html_pos < json_pos;
}

/* ---------------------------------------------------------- response */

const char *
ps_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

void
ps_resp_status(ps_req *req, int status)
{
	if (req == NULL || req->started)
		return;
	/* RFC 3875, 6.3.3: a 3-digit code; 1xx makes no sense here. */
	req->status = status >= 200 && status <= 599 ? status : 500;
}

/* Field values (RFC 9110, 5.5): no CTL but HTAB. */
static int
value_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
			return 0;
	return 1;
}

static int
name_ok(const char *n)
{
	if (*n == '\0')
		return 0;
	for (; *n != '\0'; n++)
		if (!is_tchar((unsigned char)*n))
			return 0;
	return 1;
}

ps_code
ps_resp_header(ps_req *req, const char *name, const char *value)
{
	size_t nl, vl;
	char *p;

	if (req == NULL || name == NULL || value == NULL)
		return PS_E_INTERNAL;
	if (req->started) {
		ps_warn("HTTP", "header %.64s after the body started", name);
		return PS_E_INTERNAL;
	}
	if (!name_ok(name) || !value_ok(value)) {
		ps_warn("HTTP", "refused a header with a bad name or value");
		return PS_E_INTERNAL;
	}
	/* RFC 3875, 6.3.3: the status has its own call. */
	if (strcasecmp(name, "Status") == 0)
		return PS_E_INTERNAL;
	if (strcasecmp(name, "Content-Type") == 0) {
		p = strdup(value);
		if (p == NULL)
			return PS_E_NOMEM;
		free(req->ctype);
		req->ctype = p;
		return PS_OK;
	}
	nl = strlen(name);
	vl = strlen(value);
	if (req->hdr_len + nl + vl + 4 > RESP_MAX_HEADERS)
		return PS_E_INTERNAL;
	p = realloc(req->hdr, req->hdr_len + nl + vl + 5);
	if (p == NULL)
		return PS_E_NOMEM;
	req->hdr = p;
	req->hdr_len += (size_t)sprintf(p + req->hdr_len, "%s: %s\r\n", name,
	    value);
	if (strcasecmp(name, "Cache-Control") == 0)
		req->has_cache_control = 1;
	return PS_OK;
}

static int
io_write(ps_req *req, const char *buf, size_t len)
{
	if (req->failed)
		return -1;
	if (len > 0 && req->io->write(req->ctx, buf, len) != 0) {
		req->failed = 1;
		return -1;
	}
	return 0;
}

/* RFC 3875, 6.2 and 6.3: CGI header fields, a blank line, the body. */
static int
send_head(ps_req *req, int has_body)
{
	char line[128];
	int n;

	req->started = 1;
	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", req->status,
	    ps_http_reason(req->status));
	if (io_write(req, line, (size_t)n) != 0)
		return -1;
	/* RFC 3875, 6.3.1: a body needs a Content-Type. */
	if (req->ctype != NULL || has_body) {
		if (io_write(req, "Content-Type: ", 14) != 0 ||
		    (req->ctype != NULL ? io_write(req, req->ctype,
		    strlen(req->ctype)) : io_write(req,
		    "application/octet-stream", 24)) != 0 ||
		    io_write(req, "\r\n", 2) != 0)
			return -1;
	}
	if (io_write(req, "X-Content-Type-Options: nosniff\r\n", 33) != 0 ||
	    io_write(req, req->hdr, req->hdr_len) != 0 ||
	    io_write(req, "\r\n", 2) != 0)
		return -1;
	return 0;
}

ps_code
ps_resp_body(ps_req *req, const void *buf, size_t len)
{
	if (req == NULL || (buf == NULL && len > 0))
		return PS_E_INTERNAL;
	if (!req->started && send_head(req, len > 0) != 0)
		return PS_E_IO;
	/* RFC 9110, 9.3.2: no content in a response to HEAD. */
	if (strcmp(ps_req_method(req), "HEAD") == 0)
		return req->failed ? PS_E_IO : PS_OK;
	if (io_write(req, buf, len) != 0)
		return PS_E_IO;
	return PS_OK;
}

int
ps_resp_started(const ps_req *req)
{
	return req != NULL && req->started;
}

int
ps_req_flush(ps_req *req)
{
	if (req == NULL || req->failed)
		return -1;
	if (req->io->flush != NULL && req->io->flush(req->ctx) != 0) {
		req->failed = 1;
		return -1;
	}
	return 0;
}

/* Answers that are per-user and may carry codes are never stored. */
static void
no_store(ps_req *req)
{
	if (!req->has_cache_control)
		ps_resp_header(req, "Cache-Control", "no-store");
}

static void
send_json(ps_req *req, int status, const char *ctype, json_object *obj)
{
	const char *s;
	size_t len;

	if (req->started) {
		ps_warn("HTTP", "response already started; %d dropped",
		    status);
		return;
	}
	ps_resp_status(req, status);
	ps_resp_header(req, "Content-Type", ctype);
	no_store(req);
	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL) {
		s = "null";
		len = 4;
	}
	ps_resp_body(req, s, len);
}

void
ps_resp_json(ps_req *req, int status, json_object *obj)
{
	if (req == NULL)
		return;
	send_json(req, status, "application/json", obj);
}

/* RFC 9457, 3.1: type, title, status, detail; no "instance". */
void
ps_resp_problem(ps_req *req, ps_code code, const char *detail)
{
	json_object *o;
	int status;

	if (req == NULL)
		return;
	if (code == PS_OK)
		code = PS_E_INTERNAL;
	status = ps_code_http_status(code);
	o = json_object_new_object();
	if (o == NULL) {
		ps_resp_status(req, status);
		ps_resp_header(req, "Content-Type",
		    "application/problem+json");
		no_store(req);
		ps_resp_body(req, "{}", 2);
		return;
	}
	json_object_object_add(o, "type",
	    json_object_new_string("about:blank"));
	json_object_object_add(o, "title",
	    json_object_new_string(ps_code_title(code)));
	json_object_object_add(o, "status", json_object_new_int(status));
	if (detail != NULL && *detail != '\0')
		json_object_object_add(o, "detail",
		    json_object_new_string(detail));
	send_json(req, status, "application/problem+json", o);
	json_object_put(o);
}

void
ps_resp_error(ps_req *req, const ps_err *err)
{
	ps_code code;

	code = err != NULL && err->code != PS_OK ? err->code :
	    PS_E_INTERNAL;
	if (ps_code_http_status(code) >= 500) {
		/* Operator detail (hosts, paths) goes to the log only. */
		ps_error("HTTP", "%s: %s", ps_code_title(code),
		    err != NULL && err->msg[0] != '\0' ? err->msg :
		    "(no detail)");
		ps_resp_problem(req, code, NULL);
		return;
	}
	ps_resp_problem(req, code, err != NULL ? err->msg : NULL);
}

void
ps_resp_text(ps_req *req, int status, const char *content_type,
    const char *text)
{
	if (req == NULL)
		return;
	if (req->started) {
		ps_warn("HTTP", "response already started; %d dropped",
		    status);
		return;
	}
	ps_resp_status(req, status);
	ps_resp_header(req, "Content-Type", content_type != NULL ?
	    content_type : "text/plain; charset=utf-8");
	if (text == NULL)
		text = "";
	ps_resp_body(req, text, strlen(text));
}

/* ----------------------------------------------------------- helpers */

char *
ps_html_escape(const char *s)
{
	const char *p;
	char *out, *o;
	size_t n = 1;

	if (s == NULL)
		s = "";
	for (p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&': n += 5; break;
		case '<': case '>': n += 4; break;
		case '"': n += 6; break;
		case '\'': n += 5; break;
		default: n++; break;
		}
	}
	out = malloc(n);
	if (out == NULL)
		return NULL;
	for (o = out, p = s; *p != '\0'; p++) {
		switch (*p) {
		case '&': memcpy(o, "&amp;", 5); o += 5; break;
		case '<': memcpy(o, "&lt;", 4); o += 4; break;
		case '>': memcpy(o, "&gt;", 4); o += 4; break;
		case '"': memcpy(o, "&quot;", 6); o += 6; break;
		case '\'': memcpy(o, "&#39;", 5); o += 5; break;
		default: *o++ = *p; break;
		}
	}
	*o = '\0';
	return out;
}

/* ---------------------------------------------------------- in memory */

struct mem {
	char **params;
	char *in;
	size_t in_len, in_pos;
	char *out;
	size_t out_len, out_cap;
};

static const char *
mem_param(void *ctx, const char *name)
{
	struct mem *m = ctx;
	size_t i, n;

	n = strlen(name);
	for (i = 0; m->params[i] != NULL; i++)
		if (strncmp(m->params[i], name, n) == 0 &&
		    m->params[i][n] == '=')
			return m->params[i] + n + 1;
	return NULL;
}

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;

	if (n > m->in_len - m->in_pos)
		n = m->in_len - m->in_pos;
	memcpy(buf, m->in + m->in_pos, n);
	m->in_pos += n;
	return (ssize_t)n;
}

static int
mem_write(void *ctx, const void *buf, size_t n)
{
	struct mem *m = ctx;
	size_t cap;
	char *p;

	if (m->out_len + n + 1 > m->out_cap) {
		cap = m->out_cap * 2 + n + 1;
		p = realloc(m->out, cap);
		if (p == NULL)
			return -1;
		m->out = p;
		m->out_cap = cap;
	}
	memcpy(m->out + m->out_len, buf, n);
	m->out_len += n;
	m->out[m->out_len] = '\0';
	return 0;
}

static const ps_req_io mem_io = {
	mem_param, mem_read, mem_write, NULL, 0
};

static void
mem_free(struct mem *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; m->params != NULL && m->params[i] != NULL; i++)
		free(m->params[i]);
	free(m->params);
	free(m->in);
	free(m->out);
	free(m);
}

ps_req *
ps_req_mem_new(char *const *params, const void *body, size_t len)
{
	struct mem *m;
	ps_req *req;
	size_t i, n = 0;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	while (params != NULL && params[n] != NULL)
		n++;
	m->params = calloc(n + 1, sizeof(*m->params));
	m->in = malloc(len + 1);
	if (m->params == NULL || m->in == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		m->params[i] = strdup(params[i]);
		if (m->params[i] == NULL)
			goto fail;
	}
	if (len > 0)
		memcpy(m->in, body, len);
	m->in_len = len;
	req = ps_req_new(&mem_io, m);
	if (req == NULL)
		goto fail;
	return req;
fail:
	mem_free(m);
	return NULL;
}

const char *
ps_req_mem_output(const ps_req *req, size_t *len)
{
	struct mem *m;

	if (req == NULL || req->io != &mem_io) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	m = req->ctx;
	if (len != NULL)
		*len = m->out_len;
	return m->out != NULL ? m->out : "";
}

void
ps_req_mem_free(ps_req *req)
{
	if (req == NULL)
		return;
	if (req->io == &mem_io)
		mem_free(req->ctx);
	ps_req_free(req);
}

/* --------------------------------------------------------- origins */

static int
host_char(int c)
{
	/* RFC 3986, 3.2.2: reg-name as DNS names use it; IPv6 literals. */
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_' || c == '[' || c == ']' ||
	    c == ':';
}

int
ps_origin_norm(const char *s, int slash, char *out, size_t outsz)
{
	size_t n, i, skip, colon = 0, ports;
	const char *dflt;
	int https;

	n = strlen(s);
	if (slash && n > 0 && s[n - 1] == '/')
		n--;
	if (n > 8 && strncasecmp(s, "https://", 8) == 0) {
		https = 1;
		skip = 8;
	} else if (n > 7 && strncasecmp(s, "http://", 7) == 0) {
		https = 0;
		skip = 7;
	} else
		return -1;
	if (n >= outsz)
		return -1;
	memcpy(out, https ? "https://" : "http://", skip);
	for (i = skip; i < n; i++) {
		int c = s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!host_char(c))
			return -1;
		if (c == ':')
			colon = i;
		else if (c == ']')
			colon = 0;	/* colons so far were IPv6's */
		out[i] = (char)c;
	}
	if (i == skip || out[skip] == ':')
		return -1;
	if (colon != 0) {
		/* ":port" with 1 to 5 digits and nothing else after it. */
		for (ports = colon + 1; ports < n; ports++)
			if (out[ports] < '0' || out[ports] > '9')
				return -1;
		if (n - colon - 1 < 1 || n - colon - 1 > 5)
			return -1;
		dflt = https ? ":443" : ":80";
		if (n - colon == strlen(dflt) &&
		    memcmp(out + colon, dflt, n - colon) == 0)
			n = colon;
	}
	out[n] = '\0';
	return 0;
}

/* The origin this request was made to: scheme from HTTPS or
 * REQUEST_SCHEME, host from Host (else SERVER_NAME:SERVER_PORT). */
static int
own_origin(const ps_req *req, char *out, size_t outsz)
{
	char buf[PS_ORIGIN_MAX + 16];
	const char *https, *scheme, *host, *name, *port;
	int tls, n;

	https = ps_req_param(req, "HTTPS");
	scheme = ps_req_param(req, "REQUEST_SCHEME");
	tls = (https != NULL && (strcasecmp(https, "on") == 0 ||
	    strcmp(https, "1") == 0)) ||
	    (scheme != NULL && strcasecmp(scheme, "https") == 0);
	host = ps_req_param(req, "HTTP_HOST");
	if (host != NULL && *host != '\0')
		n = snprintf(buf, sizeof(buf), "%s://%s",
		    tls ? "https" : "http", host);
	else {
		name = ps_req_param(req, "SERVER_NAME");
		port = ps_req_param(req, "SERVER_PORT");
		if (name == NULL || *name == '\0')
			return -1;
		n = snprintf(buf, sizeof(buf), "%s://%s%s%s",
		    tls ? "https" : "http", name,
		    port != NULL && *port != '\0' ? ":" : "",
		    port != NULL ? port : "");
	}
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return ps_origin_norm(buf, 0, out, outsz);
}

ps_code
ps_req_check_origin(const ps_req *req, const char *public_origin,
    ps_err *err)
{
	char want[PS_ORIGIN_MAX], got[PS_ORIGIN_MAX];
	const char *site, *origin;

	/*
	 * Fetch Metadata (W3C), Sec-Fetch-Site: the browser's own word on
	 * where the request comes from; "none" is a user action (typed
	 * URL, bookmark).  An unknown value is refused, not guessed at.
	 */
	site = ps_req_param(req, "HTTP_SEC_FETCH_SITE");
	if (site != NULL && strcmp(site, "same-origin") != 0 &&
	    strcmp(site, "same-site") != 0 && strcmp(site, "none") != 0)
		return ps_err_set(err, PS_E_FORBIDDEN, "cross-site request "
		    "refused (Sec-Fetch-Site: %.32s)", site);
	/* RFC 6454, 7: the origin that caused the request. */
	origin = ps_req_param(req, "HTTP_ORIGIN");
	if (origin == NULL)
		return PS_OK;
	if (public_origin != NULL && *public_origin != '\0') {
		if (ps_origin_norm(public_origin, 1, want, sizeof(want)) != 0)
			return ps_err_set(err, PS_E_CONFIG, "PUBLIC_ORIGIN "
			    "is not an http(s) origin");
	} else if (own_origin(req, want, sizeof(want)) != 0)
		return ps_err_set(err, PS_E_FORBIDDEN, "cross-site request "
		    "refused: the request's own origin is unknown (no Host)");
	if (ps_origin_norm(origin, 0, got, sizeof(got)) != 0 ||
	    strcmp(got, want) != 0)
		return ps_err_set(err, PS_E_FORBIDDEN, "cross-site request "
		    "refused (Origin: %.100s)", origin);
	return PS_OK;
}
