/*
 * test_http.c - requests and responses (ps_http) over the in-memory
 * transport: the same code that serves FastCGI and CGI requests.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "ps_error.h"
#include "ps_http.h"
#include "ps_log.h"
#include "tap.h"

#define NPARAMS 16

/* A request from up to NPARAMS "NAME=value" strings and a body. */
static ps_req *
mk(const char *p1, const char *p2, const char *p3, const char *body)
{
	char *params[NPARAMS];
	ps_req *req;
	int n = 0;

	if (p1 != NULL)
		params[n++] = (char *)p1;
	if (p2 != NULL)
		params[n++] = (char *)p2;
	if (p3 != NULL)
		params[n++] = (char *)p3;
	params[n] = NULL;
	req = ps_req_mem_new(params, body, body != NULL ? strlen(body) : 0);
	if (req == NULL)
		tap_bail("ps_req_mem_new failed");
	return req;
}

static ps_req *
mk_query(const char *qs)
{
	static char param[PS_HTTP_MAX_QUERY * 2 + 32];

	if (snprintf(param, sizeof(param), "QUERY_STRING=%s", qs) >=
	    (int)sizeof(param))
		tap_bail("query too long for the test buffer");
	return mk("REQUEST_METHOD=GET", param, NULL, NULL);
}

/* The response's head (up to the blank line) and body. */
static const char *
out_of(const ps_req *req)
{
	const char *o = ps_req_mem_output(req, NULL);

	return o != NULL ? o : "";
}

static int
head_has(const ps_req *req, const char *line)
{
	const char *o = out_of(req), *end = strstr(o, "\r\n\r\n");
	const char *hit = strstr(o, line);

	return end != NULL && hit != NULL && hit < end + 2;
}

static const char *
body_of(const ps_req *req)
{
	const char *o = out_of(req), *end = strstr(o, "\r\n\r\n");

	return end != NULL ? end + 4 : "";
}

/* ------------------------------------------------------------ query */

static void
query_fields_are_decoded(void)
{
	ps_err err = {0};
	ps_req *req;

	req = mk_query("job=pair%3Aalice&x=1");
	is_str(ps_req_query(req, "job"), "pair:alice",
	    "query: %%XX escapes are decoded");
	is_str(ps_req_query(req, "x"), "1", "query: a second field");
	ok(ps_req_query(req, "y") == NULL, "query: an absent field is NULL");
	is_int(ps_req_query_error(req, &err), PS_OK,
	    "query: a good query has no error");
	ps_req_mem_free(req);

	req = mk_query("name=al+ice+b&p=%2B49%20151%2f");
	is_str(ps_req_query(req, "name"), "al ice b", "query: '+' is a space");
	is_str(ps_req_query(req, "p"), "+49 151/",
	    "query: %%2B is a plus, %%20 a space, lowercase hex works");
	ps_req_mem_free(req);

	req = mk_query("a%62c=1&flag&&&z=");
	is_str(ps_req_query(req, "abc"), "1", "query: names are decoded too");
	is_str(ps_req_query(req, "flag"), "",
	    "query: a field without '=' has an empty value");
	is_str(ps_req_query(req, "z"), "", "query: 'z=' is empty");
	is_int(ps_req_query_error(req, NULL), PS_OK,
	    "query: empty '&&' sequences are skipped");
	ps_req_mem_free(req);

	req = mk_query("a=first&a=second");
	is_str(ps_req_query(req, "a"), "first",
	    "query: of duplicate names the first wins");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	ok(ps_req_query(req, "a") == NULL &&
	    ps_req_query_error(req, NULL) == PS_OK,
	    "query: no QUERY_STRING means no fields and no error");
	ps_req_mem_free(req);
}

static void
query_bad_escapes_are_refused(void)
{
	static const char *bad[] = {
		"a=%zz", "a=%4", "a=%", "a=%g0", "%=1", "a=1&b=%0",
	};
	ps_err err = {0};
	ps_req *req;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = mk_query(bad[i]);
		ok(ps_req_query(req, "a") == NULL,
		    "query %s: no field is returned", bad[i]);
		is_int(ps_req_query_error(req, &err), PS_E_INVALID,
		    "query %s: refused as invalid", bad[i]);
		ps_req_mem_free(req);
	}
	ok(strstr(err.msg, "escape") != NULL,
	    "query: the message names the bad escape (%s)", err.msg);
}

static void
query_decoded_nul_is_refused(void)
{
	ps_err err = {0};
	ps_req *req;

	req = mk_query("a=x%00y");
	ok(ps_req_query(req, "a") == NULL, "query: %%00 gives no field");
	is_int(ps_req_query_error(req, &err), PS_E_INVALID,
	    "query: a decoded NUL is refused");
	ps_req_mem_free(req);
	req = mk_query("a%00=1");
	is_int(ps_req_query_error(req, &err), PS_E_INVALID,
	    "query: a NUL in a name is refused");
	ps_req_mem_free(req);
}

static void
query_field_limits(void)
{
	char qs[PS_HTTP_MAX_QUERY * 2];
	ps_err err = {0};
	ps_req *req;
	size_t n = 0;
	int i;

	for (i = 0; i < PS_HTTP_MAX_FIELDS; i++)
		n += (size_t)snprintf(qs + n, sizeof(qs) - n, "f%d=1&", i);
	req = mk_query(qs);
	is_str(ps_req_query(req, "f31"), "1",
	    "query: %d fields are accepted", PS_HTTP_MAX_FIELDS);
	ps_req_mem_free(req);

	snprintf(qs + n, sizeof(qs) - n, "extra=1");
	req = mk_query(qs);
	ok(ps_req_query(req, "f0") == NULL,
	    "query: with %d fields no field is returned",
	    PS_HTTP_MAX_FIELDS + 1);
	is_int(ps_req_query_error(req, &err), PS_E_INVALID,
	    "query: more than %d fields are refused", PS_HTTP_MAX_FIELDS);
	ps_req_mem_free(req);

	/* Duplicates count against the limit too. */
	n = 0;
	for (i = 0; i <= PS_HTTP_MAX_FIELDS; i++)
		n += (size_t)snprintf(qs + n, sizeof(qs) - n, "same=1&");
	req = mk_query(qs);
	is_int(ps_req_query_error(req, NULL), PS_E_INVALID,
	    "query: %d duplicate fields are refused as too many",
	    PS_HTTP_MAX_FIELDS + 1);
	ps_req_mem_free(req);

	/* Value: 2048 bytes fine, 2049 refused; name: 64 fine, 65 not. */
	memcpy(qs, "v=", 2);
	memset(qs + 2, 'x', PS_HTTP_MAX_FIELD_VALUE);
	qs[2 + PS_HTTP_MAX_FIELD_VALUE] = '\0';
	req = mk_query(qs);
	ok(ps_req_query(req, "v") != NULL &&
	    strlen(ps_req_query(req, "v")) == PS_HTTP_MAX_FIELD_VALUE,
	    "query: a %d-byte value is accepted", PS_HTTP_MAX_FIELD_VALUE);
	ps_req_mem_free(req);
	memcpy(qs + 2 + PS_HTTP_MAX_FIELD_VALUE, "x", 2);
	req = mk_query(qs);
	is_int(ps_req_query_error(req, NULL), PS_E_INVALID,
	    "query: a %d-byte value is refused",
	    PS_HTTP_MAX_FIELD_VALUE + 1);
	ps_req_mem_free(req);
	/* %XX counts decoded: 2048 escapes decode to 2048 bytes. */
	n = 2;
	for (i = 0; i < PS_HTTP_MAX_FIELD_VALUE / 2; i++)
		n += (size_t)snprintf(qs + n, sizeof(qs) - n, "%%41");
	req = mk_query(qs);
	ok(ps_req_query(req, "v") != NULL &&
	    strlen(ps_req_query(req, "v")) == PS_HTTP_MAX_FIELD_VALUE / 2,
	    "query: the value limit applies to decoded bytes");
	ps_req_mem_free(req);

	memset(qs, 'n', PS_HTTP_MAX_FIELD_NAME);
	memcpy(qs + PS_HTTP_MAX_FIELD_NAME, "=1", 3);
	req = mk_query(qs);
	is_int(ps_req_query_error(req, NULL), PS_OK,
	    "query: a %d-byte name is accepted", PS_HTTP_MAX_FIELD_NAME);
	ps_req_mem_free(req);
	memset(qs, 'n', PS_HTTP_MAX_FIELD_NAME + 1);
	memcpy(qs + PS_HTTP_MAX_FIELD_NAME + 1, "=1", 3);
	req = mk_query(qs);
	is_int(ps_req_query_error(req, &err), PS_E_INVALID,
	    "query: a %d-byte name is refused", PS_HTTP_MAX_FIELD_NAME + 1);
	ps_req_mem_free(req);
}

static void
query_too_long_is_refused(void)
{
	char qs[PS_HTTP_MAX_QUERY * 2];
	ps_err err = {0};
	ps_req *req;
	size_t n;

	/* Exactly PS_HTTP_MAX_QUERY bytes in three legal fields. */
	n = (size_t)snprintf(qs, sizeof(qs), "a=%02000d&b=%02000d&c=", 0,
	    0);
	memset(qs + n, 'c', PS_HTTP_MAX_QUERY - n);
	qs[PS_HTTP_MAX_QUERY] = '\0';
	req = mk_query(qs);
	is_int(ps_req_query_error(req, NULL), PS_OK,
	    "query: a %d-byte query string is accepted", PS_HTTP_MAX_QUERY);
	ps_req_mem_free(req);

	memcpy(qs + PS_HTTP_MAX_QUERY, "c", 2);
	req = mk_query(qs);
	ok(ps_req_query(req, "a") == NULL,
	    "query: %d bytes give no field", PS_HTTP_MAX_QUERY + 1);
	is_int(ps_req_query_error(req, &err), PS_E_INVALID,
	    "query: a %d-byte query string is refused",
	    PS_HTTP_MAX_QUERY + 1);
	ok(strstr(err.msg, "long") != NULL,
	    "query: the message says it is too long (%s)", err.msg);
	ps_req_mem_free(req);

	/* Longer than a parameter may be: still an error, not "absent". */
	memset(qs, 'x', sizeof(qs) - 1);
	qs[sizeof(qs) - 1] = '\0';
	req = mk_query(qs);
	is_int(ps_req_query_error(req, NULL), PS_E_INVALID,
	    "query: a query over the parameter limit is refused, not "
	    "ignored");
	ps_req_mem_free(req);
}

static void
url_decode_helper(void)
{
	char out[8];

	is_int(ps_url_decode("a+b%21", 6, out, sizeof(out), 1), 4,
	    "ps_url_decode returns the decoded length");
	is_str(out, "a b!", "ps_url_decode decodes '+' and %%XX");
	is_int(ps_url_decode("a+b", 3, out, sizeof(out), 0), 3,
	    "ps_url_decode keeps '+' when asked");
	is_str(out, "a+b", "ps_url_decode: '+' kept (path rules)");
	is_int(ps_url_decode("abcdefgh", 8, out, sizeof(out), 1), -1,
	    "ps_url_decode refuses output that does not fit with its NUL");
	is_int(ps_url_decode("abcdefg", 7, out, sizeof(out), 1), 7,
	    "ps_url_decode fills the buffer exactly");
	is_int(ps_url_decode("%0", 2, out, sizeof(out), 1), -1,
	    "ps_url_decode refuses a cut escape");
	is_int(ps_url_decode("%00", 3, out, sizeof(out), 1), -1,
	    "ps_url_decode refuses a NUL");
}

/* ------------------------------------------------------------ params */

static void
params_over_limit_read_as_absent(void)
{
	static char big[PS_HTTP_MAX_HEADER_VALUE + 64];
	ps_req *req;
	size_t n;

	n = (size_t)snprintf(big, sizeof(big), "HTTP_X_BIG=");
	memset(big + n, 'v', PS_HTTP_MAX_HEADER_VALUE);
	big[n + PS_HTTP_MAX_HEADER_VALUE] = '\0';
	req = mk(big, NULL, NULL, NULL);
	ok(ps_req_param(req, "HTTP_X_BIG") != NULL,
	    "param: a %d-byte value is returned", PS_HTTP_MAX_HEADER_VALUE);
	ps_req_mem_free(req);
	memcpy(big + n + PS_HTTP_MAX_HEADER_VALUE, "v", 2);
	req = mk(big, NULL, NULL, NULL);
	ok(ps_req_param(req, "HTTP_X_BIG") == NULL,
	    "param: a %d-byte value reads as absent",
	    PS_HTTP_MAX_HEADER_VALUE + 1);
	is_str(ps_req_method(req), "", "param: no REQUEST_METHOD is \"\"");
	is_str(ps_req_path_info(req), "", "param: no PATH_INFO is \"\"");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=POST", "PATH_INFO=/health", "HTTP_X=1",
	    NULL);
	is_str(ps_req_method(req), "POST", "param: the method");
	is_str(ps_req_path_info(req), "/health", "param: PATH_INFO");
	ok(ps_req_param(req, "HTTP") == NULL,
	    "param: a name prefix does not match");
	ps_req_mem_free(req);
}

/* ------------------------------------------------------------ bodies */

/* A transport that counts body reads, to prove what is not read. */
static int counted_reads;

static const char *
count_param(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "REQUEST_METHOD") == 0)
		return "POST";
	if (strcmp(name, "CONTENT_LENGTH") == 0)
		return "16385";
	return NULL;
}

static ssize_t
count_read(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	counted_reads++;
	memset(buf, 'a', n);
	return (ssize_t)n;
}

static int
count_write(void *ctx, const void *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

static void
body_over_limit_refused_before_reading(void)
{
	static const ps_req_io io = {
		count_param, count_read, count_write, NULL, 0
	};
	const char *body = "unset";
	ps_err err = {0};
	ps_req *req;
	size_t len = 99;

	req = ps_req_new(&io, NULL);
	if (req == NULL)
		tap_bail("ps_req_new failed");
	is_int(ps_req_body(req, PS_HTTP_MAX_SMALL_BODY, &body, &len, &err),
	    PS_E_TOO_LARGE, "body: Content-Length over the limit is 413");
	is_int(counted_reads, 0, "body: not one byte was read");
	ok(body == NULL && len == 0, "body: no body is returned");
	is_int(ps_req_body(req, PS_HTTP_MAX_SMALL_BODY, &body, &len, NULL),
	    PS_E_TOO_LARGE, "body: asking again gives the same answer");
	is_int(counted_reads, 0, "body: still nothing read");
	ps_req_free(req);

	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=10", NULL,
	    "0123456789");
	is_int(ps_req_body(req, 9, &body, &len, &err), PS_E_TOO_LARGE,
	    "body: the caller's max is applied");
	ps_req_mem_free(req);
	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=10", NULL,
	    "0123456789");
	is_int(ps_req_body(req, 10, &body, &len, &err), PS_OK,
	    "body: a body of exactly max bytes is read");
	ps_req_mem_free(req);
}

static void
body_read_whole(void)
{
	const char *body = NULL, *again = NULL;
	ps_err err = {0};
	ps_req *req;
	size_t len = 0;

	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=5", NULL,
	    "helloEXTRA");
	is_int(ps_req_body(req, 100, &body, &len, &err), PS_OK,
	    "body: a small body is read");
	is_int(len, 5, "body: exactly CONTENT_LENGTH bytes");
	is_str(body, "hello", "body: never past CONTENT_LENGTH, NUL-ended");
	ps_req_body(req, 100, &again, &len, &err);
	ok(again == body, "body: a second call returns the same buffer");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=007", NULL,
	    "1234567");
	is_int(ps_req_body(req, 100, &body, &len, &err), PS_OK,
	    "body: leading zeros are digits");
	is_int(len, 7, "body: 007 is seven");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	is_int(ps_req_body(req, 100, &body, &len, &err), PS_OK,
	    "body: a GET without Content-Length has an empty body");
	is_int(len, 0, "body: of zero bytes");
	ps_req_mem_free(req);
}

static void
body_content_length_required(void)
{
	const char *body;
	ps_err err = {0};
	ps_req *req;
	size_t len;

	req = mk("REQUEST_METHOD=POST", NULL, NULL, "phone=1");
	is_int(ps_req_body(req, 100, &body, &len, &err), PS_E_INVALID,
	    "body: a POST without Content-Length is refused");
	is_str(err.msg, "Content-Length required",
	    "body: the message says what is missing");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=PUT", "CONTENT_LENGTH=", NULL, "x");
	is_int(ps_req_body(req, 100, &body, &len, &err), PS_E_INVALID,
	    "body: an empty Content-Length on PUT is missing too");
	ps_req_mem_free(req);
}

static void
body_short_is_invalid(void)
{
	const char *body;
	ps_err err = {0};
	ps_req *req;
	size_t len;

	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=10", NULL, "short");
	is_int(ps_req_body(req, 100, &body, &len, &err), PS_E_INVALID,
	    "body: fewer bytes than Content-Length are invalid");
	ok(strstr(err.msg, "cut short") != NULL,
	    "body: the message says it was cut short (%s)", err.msg);
	ps_req_mem_free(req);
}

static void
body_garbage_content_length_is_invalid(void)
{
	static const char *bad[] = {
		"CONTENT_LENGTH=12abc", "CONTENT_LENGTH=-1",
		"CONTENT_LENGTH=+5", "CONTENT_LENGTH= 5", "CONTENT_LENGTH=5 ",
		"CONTENT_LENGTH=0x10", "CONTENT_LENGTH=1e3",
		"CONTENT_LENGTH=99999999999999999999999",
		"CONTENT_LENGTH=9223372036854775808",
	};
	const char *body;
	ps_err err = {0};
	ps_req *req;
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = mk("REQUEST_METHOD=POST", bad[i], NULL, "12345");
		is_int(ps_req_body(req, 100, &body, &len, &err),
		    PS_E_INVALID, "body: %s is malformed", bad[i]);
		is_int(ps_req_content_length(req), -1,
		    "body: ps_req_content_length(%s) is -1", bad[i]);
		ps_req_mem_free(req);
	}
	req = mk("CONTENT_LENGTH=9223372036854775807", NULL, NULL, NULL);
	ok(ps_req_content_length(req) == INT64_MAX,
	    "body: the largest int64 is a length");
	is_int(ps_req_body(req, 100, &body, &len, &err), PS_E_TOO_LARGE,
	    "body: ... and too large");
	ps_req_mem_free(req);
}

static void
read_streams_to_content_length(void)
{
	char buf[4], all[32];
	size_t got = 0;
	ssize_t r;
	ps_req *req;
	int calls = 0;

	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=10", NULL,
	    "0123456789TRAILING");
	for (;;) {
		r = ps_req_read(req, buf, sizeof(buf));
		if (r <= 0)
			break;
		memcpy(all + got, buf, (size_t)r);
		got += (size_t)r;
		calls++;
	}
	is_int(r, 0, "read: ends with 0");
	is_int(got, 10, "read: exactly CONTENT_LENGTH bytes");
	ok(memcmp(all, "0123456789", 10) == 0, "read: the bytes in order");
	is_int(calls, 3, "read: in buffer-sized pieces");
	is_int(ps_req_read(req, buf, sizeof(buf)), 0,
	    "read: stays at the end");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=10", NULL, "abcd");
	is_int(ps_req_read(req, all, sizeof(all)), 4,
	    "read: what there is of a short body");
	is_int(ps_req_read(req, all, sizeof(all)), -1,
	    "read: then an error, not a silent end");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=x", NULL, "abcd");
	is_int(ps_req_read(req, all, sizeof(all)), -1,
	    "read: a malformed Content-Length is an error");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=GET", NULL, NULL, "ignored");
	is_int(ps_req_read(req, all, sizeof(all)), 0,
	    "read: no Content-Length, no body");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=6", NULL, "abcdef");
	ps_req_body(req, 100, NULL, NULL, NULL);
	is_int(ps_req_read(req, all, 4), 4,
	    "read: after ps_req_body it reads the kept body");
	is_int(ps_req_read(req, all + 4, sizeof(all) - 4), 2,
	    "read: ... to its end");
	ok(memcmp(all, "abcdef", 6) == 0, "read: ... the same bytes");
	is_int(ps_req_read(req, all, sizeof(all)), 0, "read: then 0");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=POST", "CONTENT_LENGTH=6", NULL, "abcdef");
	ps_req_read(req, all, 1);
	is_int(ps_req_body(req, 100, NULL, NULL, NULL), PS_E_INTERNAL,
	    "read: a streamed body cannot be read whole afterwards");
	ps_req_mem_free(req);
}

/* ------------------------------------------------------------- forms */

static ps_req *
mk_form(const char *ctype, const char *body)
{
	static char ct[256], cl[64];

	if (ctype != NULL)
		snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s", ctype);
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(body));
	return mk("REQUEST_METHOD=POST", ctype != NULL ? ct : NULL, cl,
	    body);
}

static ps_code
form_code(const char *ctype, const char *body)
{
	ps_req *req;
	ps_code rc;

	req = mk_form(ctype, body);
	rc = ps_req_parse_form(req, NULL);
	ps_req_mem_free(req);
	return rc;
}

static void
form_urlencoded_fields(void)
{
	ps_err err = {0};
	ps_req *req;

	req = mk_form("application/x-www-form-urlencoded",
	    "phone=%2B4915112345678&user=al+ice");
	is_int(ps_req_parse_form(req, &err), PS_OK,
	    "form: urlencoded body parsed");
	is_str(ps_req_field(req, "phone"), "+4915112345678",
	    "form: urlencoded value decoded");
	is_str(ps_req_field(req, "user"), "al ice",
	    "form: '+' is a space in bodies too");
	ps_req_mem_free(req);

	is_int(form_code("Application/X-WWW-Form-Urlencoded; charset=UTF-8",
	    "a=1"), PS_OK,
	    "form: media type matched case-insensitively, params ignored");
	is_int(form_code("application/x-www-form-urlencoded", "a=%zz"),
	    PS_E_INVALID, "form: a bad escape in a body is refused");
	is_int(form_code("application/x-www-form-urlencoded", "a=%00"),
	    PS_E_INVALID, "form: a NUL in a body is refused");
}

static void
form_json_fields(void)
{
	ps_err err = {0};
	ps_req *req;

	req = mk_form("application/json",
	    " {\"phone\":\"4915112345678\",\"n\":42,\"ok\":true,"
	    "\"no\":false,\"f\":1.50,\"e\":-2e+3,"
	    "\"big\":123456789012345678901234567890,"
	    "\"s\":\"caf\\u00e9 \\\"q\\\"\"}\n");
	is_int(ps_req_parse_form(req, &err), PS_OK,
	    "json: a flat object is parsed (%s)", err.msg);
	is_str(ps_req_field(req, "phone"), "4915112345678", "json: string");
	is_str(ps_req_field(req, "n"), "42", "json: integer as text");
	is_str(ps_req_field(req, "ok"), "true", "json: true as text");
	is_str(ps_req_field(req, "no"), "false", "json: false as text");
	is_str(ps_req_field(req, "f"), "1.50", "json: number as written");
	is_str(ps_req_field(req, "e"), "-2e+3", "json: exponent as written");
	is_str(ps_req_field(req, "big"), "123456789012345678901234567890",
	    "json: a big integer is not clamped");
	is_str(ps_req_field(req, "s"), "caf\xc3\xa9 \"q\"",
	    "json: string escapes decoded to UTF-8");
	ok(ps_req_field(req, "missing") == NULL, "json: absent field NULL");
	ps_req_mem_free(req);

	is_int(form_code("application/json; charset=\"UTF-8\"", "{\"a\":1}"),
	    PS_OK, "json: charset=utf-8 (quoted, any case) is accepted");
	is_int(form_code("APPLICATION/JSON;CHARSET=utf-8", "{\"a\":1}"),
	    PS_OK, "json: media type and parameter are case-insensitive");
	is_int(form_code("application/json", "{}"), PS_OK,
	    "json: an empty object is a form without fields");
	is_int(form_code("application/json", "{\"a\":\"\\\\u0000\"}"),
	    PS_OK, "json: an escaped backslash before u0000 is text");
}

static void
form_json_refusals(void)
{
	static const struct {
		const char *body;
		const char *why;
	} bad[] = {
		{ "{\"a\":{\"b\":1}}", "a nested object" },
		{ "{\"a\":[1,2]}", "a nested array" },
		{ "[{\"a\":1}]", "an array at the top" },
		{ "\"phone\"", "a string at the top" },
		{ "{\"a\":1,\"a\":2}", "a duplicate key" },
		{ "{\"a\":1,\"\\u0061\":2}", "a duplicate key spelled apart" },
		{ "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}",
		  "deep nesting" },
		{ "[[[[[[[[[[1]]]]]]]]]]", "deep arrays" },
		{ "{\"a\":null}", "a null value" },
		{ "{'a':1}", "single quotes" },
		{ "{\"a\":NaN}", "NaN" },
		{ "{\"a\":Infinity}", "Infinity" },
		{ "{\"a\":01}", "a leading zero" },
		{ "{\"a\":1} x", "trailing garbage" },
		{ "{\"a\":1}{}", "two objects" },
		{ "{\"a\":1", "an incomplete object" },
		{ "", "an empty body" },
		{ "{\"a\":\"\xff\"}", "invalid UTF-8" },
		{ "{\"a\":\"x\\u0000y\"}", "an escaped NUL in a value" },
		{ "{\"a\\u0000b\":1}", "an escaped NUL in a key" },
		{ "{\"a\":1,}", "a trailing comma" },
	};
	char body[2048];
	ps_err err = {0};
	ps_req *req;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = mk_form("application/json", bad[i].body);
		is_int(ps_req_parse_form(req, &err), PS_E_INVALID,
		    "json: %s is refused (%s)", bad[i].why, err.msg);
		ok(ps_req_field(req, "a") == NULL,
		    "json: ... and leaves no fields");
		ps_req_mem_free(req);
	}

	n = (size_t)snprintf(body, sizeof(body), "{");
	for (i = 0; i <= PS_HTTP_MAX_FIELDS; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		    "%s\"k%zu\":%zu", i > 0 ? "," : "", i, i);
	snprintf(body + n, sizeof(body) - n, "}");
	is_int(form_code("application/json", body), PS_E_INVALID,
	    "json: more than %d members are refused", PS_HTTP_MAX_FIELDS);

	n = (size_t)snprintf(body, sizeof(body), "{\"");
	memset(body + n, 'k', PS_HTTP_MAX_FIELD_NAME + 1);
	snprintf(body + n + PS_HTTP_MAX_FIELD_NAME + 1, 8, "\":1}");
	is_int(form_code("application/json", body), PS_E_INVALID,
	    "json: a member name over %d bytes is refused",
	    PS_HTTP_MAX_FIELD_NAME);
}

static void
form_json_long_value_refused(void)
{
	char *body;
	size_t n = PS_HTTP_MAX_FIELD_VALUE + 1;

	body = malloc(n + 16);
	if (body == NULL)
		tap_bail("malloc");
	memcpy(body, "{\"a\":\"", 6);
	memset(body + 6, 'v', n);
	memcpy(body + 6 + n, "\"}", 3);
	is_int(form_code("application/json", body), PS_E_INVALID,
	    "json: a value over %d bytes is refused",
	    PS_HTTP_MAX_FIELD_VALUE);
	memcpy(body + 6 + n - 1, "\"}", 3);
	is_int(form_code("application/json", body), PS_OK,
	    "json: a value of %d bytes is accepted",
	    PS_HTTP_MAX_FIELD_VALUE);
	free(body);
}

static void
form_content_types(void)
{
	ps_err err = {0};
	ps_req *req;

	is_int(form_code("application/json; charset=iso-8859-1",
	    "{\"a\":1}"), PS_E_UNSUPPORTED,
	    "form: JSON in another charset is 415");
	is_int(form_code("text/plain", "a=1"), PS_E_UNSUPPORTED,
	    "form: text/plain is 415");
	is_int(form_code("multipart/form-data; boundary=x", "a=1"),
	    PS_E_UNSUPPORTED, "form: multipart is not a small form");
	is_int(form_code("application/jsonx", "{}"), PS_E_UNSUPPORTED,
	    "form: the media type must match whole");
	is_int(form_code(NULL, "a=1"), PS_E_UNSUPPORTED,
	    "form: no Content-Type is 415");
	is_int(form_code("application/", "{}"), PS_E_INVALID,
	    "form: a malformed Content-Type is 400");
	is_int(form_code("application/json; charset", "{}"), PS_E_INVALID,
	    "form: a parameter without value is malformed");

	req = mk_form("application/json", "{\"a\":1,\"a\":2}");
	ps_req_parse_form(req, NULL);
	is_int(ps_req_parse_form(req, &err), PS_E_INVALID,
	    "form: a failed parse stays failed");
	ok(strstr(err.msg, "duplicate") != NULL,
	    "form: with its message (%s)", err.msg);
	ps_req_mem_free(req);
}

static void
form_limits_and_separation(void)
{
	static char cl[64];
	ps_req *req;

	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%d",
	    PS_HTTP_MAX_SMALL_BODY + 1);
	req = mk("REQUEST_METHOD=POST", "CONTENT_TYPE=application/json", cl,
	    "{}");
	is_int(ps_req_parse_form(req, NULL), PS_E_TOO_LARGE,
	    "form: a body over %d bytes is 413", PS_HTTP_MAX_SMALL_BODY);
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=POST", "QUERY_STRING=user=q",
	    "CONTENT_TYPE=application/x-www-form-urlencoded", "");
	ok(ps_req_field(req, "user") == NULL,
	    "form: no field before the form is parsed");
	ps_req_mem_free(req);

	req = mk("QUERY_STRING=user=q&phone=1",
	    "CONTENT_TYPE=application/x-www-form-urlencoded",
	    "CONTENT_LENGTH=7", "phone=2");
	is_int(ps_req_parse_form(req, NULL), PS_OK, "form: parsed");
	ok(ps_req_field(req, "user") == NULL,
	    "form: query fields are not merged in");
	is_str(ps_req_field(req, "phone"), "2", "form: body field is used");
	is_str(ps_req_query(req, "phone"), "1", "form: query stays apart");
	ps_req_mem_free(req);
}

/* ---------------------------------------------------------- responses */

static void
resp_json_format(void)
{
	json_object *obj, *back;
	ps_req *req;

	req = mk("REQUEST_METHOD=POST", NULL, NULL, NULL);
	obj = json_object_new_object();
	json_object_object_add(obj, "job", json_object_new_string("pair:a/b"));
	ok(!ps_resp_started(req), "resp: nothing sent yet");
	ps_resp_json(req, 202, obj);
	ok(ps_resp_started(req), "resp: started after ps_resp_json");
	ok(strncmp(out_of(req), "Status: 202 Accepted\r\n", 22) == 0,
	    "resp: CGI status line first (RFC 3875, 6.3.3)");
	ok(head_has(req, "\r\nContent-Type: application/json\r\n"),
	    "resp: JSON content type");
	ok(head_has(req, "\r\nCache-Control: no-store\r\n"),
	    "resp: JSON answers are never stored");
	ok(head_has(req, "\r\nX-Content-Type-Options: nosniff\r\n"),
	    "resp: nosniff is always sent");
	back = json_tokener_parse(body_of(req));
	ok(back != NULL && strcmp(json_object_get_string(
	    json_object_object_get(back, "job")), "pair:a/b") == 0,
	    "resp: the body is the object (slashes not escaped)");
	json_object_put(back);
	ok(json_object_get_type(obj) == json_type_object,
	    "resp: the object stays the caller's");
	json_object_put(obj);

	ps_resp_json(req, 500, NULL);
	ok(strncmp(out_of(req), "Status: 202", 11) == 0 &&
	    strstr(out_of(req), "null") == NULL,
	    "resp: a second response is dropped");
	is_int(ps_resp_header(req, "X-Late", "1"), PS_E_INTERNAL,
	    "resp: headers after the body started are refused");
	ps_req_mem_free(req);
}

static void
problem_check(ps_code code, const char *detail, int status,
    const char *title)
{
	json_object *o, *v;
	char line[64];
	ps_req *req;

	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	ps_resp_problem(req, code, detail);
	snprintf(line, sizeof(line), "Status: %d %s\r\n", status,
	    ps_http_reason(status));
	ok(strncmp(out_of(req), line, strlen(line)) == 0,
	    "problem %s: status line \"Status: %d %s\"", ps_code_name(code),
	    status, ps_http_reason(status));
	ok(head_has(req, "\r\nContent-Type: application/problem+json\r\n"),
	    "problem %s: RFC 9457 media type", ps_code_name(code));
	ok(head_has(req, "\r\nCache-Control: no-store\r\n") &&
	    head_has(req, "\r\nX-Content-Type-Options: nosniff\r\n"),
	    "problem %s: no-store and nosniff", ps_code_name(code));
	o = json_tokener_parse(body_of(req));
	ok(o != NULL, "problem %s: the body is JSON", ps_code_name(code));
	is_str(json_object_get_string(json_object_object_get(o, "type")),
	    "about:blank", "problem %s: type", ps_code_name(code));
	is_str(json_object_get_string(json_object_object_get(o, "title")),
	    title, "problem %s: title", ps_code_name(code));
	v = json_object_object_get(o, "status");
	ok(json_object_is_type(v, json_type_int) &&
	    json_object_get_int(v) == status,
	    "problem %s: status is the number %d", ps_code_name(code),
	    status);
	if (detail != NULL)
		is_str(json_object_get_string(json_object_object_get(o,
		    "detail")), detail, "problem %s: detail",
		    ps_code_name(code));
	else
		ok(!json_object_object_get_ex(o, "detail", NULL),
		    "problem %s: no detail member", ps_code_name(code));
	ok(!json_object_object_get_ex(o, "instance", NULL),
	    "problem %s: no instance member", ps_code_name(code));
	json_object_put(o);
	ps_req_mem_free(req);
}

static void
resp_problem_shape_and_titles(void)
{
	problem_check(PS_E_CONFLICT, "a job is already running", 429,
	    "Lock already exists");
	problem_check(PS_E_REDIS, NULL, 503, "Redis not available");
	problem_check(PS_E_INVALID, "phone must be 7-15 digits", 400,
	    "Bad Request");
	problem_check(PS_E_TOO_LARGE, NULL, 413, "Payload Too Large");
	problem_check(PS_OK, NULL, 500, "Internal Server Error");
}

static void
resp_error_hides_server_detail(void)
{
	ps_err err = {0};
	ps_req *req;

	ps_log_set_level(PS_LOG_OFF);
	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	ps_err_set(&err, PS_E_REDIS, "connect to 10.1.2.3:6379 refused");
	ps_resp_error(req, &err);
	ok(strncmp(out_of(req), "Status: 503", 11) == 0,
	    "error: status from the code");
	ok(strstr(out_of(req), "10.1.2.3") == NULL,
	    "error: a 5xx message is not shown to the client");
	ok(strstr(body_of(req), "Redis not available") != NULL,
	    "error: the title is");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	ps_err_set(&err, PS_E_AUTH, "missing bearer token");
	ps_resp_error(req, &err);
	ok(strncmp(out_of(req), "Status: 401 Unauthorized\r\n", 26) == 0,
	    "error: 401 for PS_E_AUTH");
	ok(strstr(body_of(req), "\"detail\":\"missing bearer token\"") !=
	    NULL, "error: a 4xx message is the detail");
	ps_req_mem_free(req);
	ps_log_set_level(PS_LOG_INFO);
}

static void
resp_header_injection_refused(void)
{
	ps_req *req;

	ps_log_set_level(PS_LOG_OFF);
	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	is_int(ps_resp_header(req, "X-Echo", "a\r\nSet-Cookie: s=1"),
	    PS_E_INTERNAL, "header: CR LF in a value is refused");
	is_int(ps_resp_header(req, "X-Echo", "a\nb"), PS_E_INTERNAL,
	    "header: a bare LF is refused");
	is_int(ps_resp_header(req, "X-Echo", "a\rb"), PS_E_INTERNAL,
	    "header: a bare CR is refused");
	is_int(ps_resp_header(req, "X-Echo\r\nSet-Cookie", "1"),
	    PS_E_INTERNAL, "header: CR LF in a name is refused");
	is_int(ps_resp_header(req, "X Bad", "1"), PS_E_INTERNAL,
	    "header: a space in a name is refused (not a token)");
	is_int(ps_resp_header(req, "X:Y", "1"), PS_E_INTERNAL,
	    "header: a colon in a name is refused");
	is_int(ps_resp_header(req, "", "1"), PS_E_INTERNAL,
	    "header: an empty name is refused");
	is_int(ps_resp_header(req, "Status", "200 OK"), PS_E_INTERNAL,
	    "header: Status is set with ps_resp_status only");
	is_int(ps_resp_header(req, "Retry-After", "30"), PS_OK,
	    "header: a good header is accepted");
	is_int(ps_resp_header(req, "X-Tab", "a\tb"), PS_OK,
	    "header: HTAB is allowed in a value (RFC 9110, 5.5)");
	ps_resp_problem(req, PS_E_CONFLICT, NULL);
	ok(head_has(req, "\r\nRetry-After: 30\r\n"),
	    "header: it is sent with the response");
	ok(strstr(out_of(req), "Set-Cookie") == NULL,
	    "header: nothing refused reached the output");
	ps_req_mem_free(req);
	ps_log_set_level(PS_LOG_INFO);
}

static void
resp_text_and_body(void)
{
	ps_req *req;

	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	ps_resp_text(req, 200, "text/html; charset=utf-8", "<p>hi</p>");
	ok(head_has(req, "\r\nContent-Type: text/html; charset=utf-8\r\n"),
	    "text: the given content type");
	ok(!head_has(req, "Cache-Control"),
	    "text: no Cache-Control unless asked");
	is_str(body_of(req), "<p>hi</p>", "text: the body");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	ps_resp_status(req, 201);
	is_int(ps_resp_body(req, "ab", 2), PS_OK, "body: first chunk");
	is_int(ps_resp_body(req, "cd", 2), PS_OK, "body: second chunk");
	ok(strncmp(out_of(req), "Status: 201 Created\r\n", 21) == 0,
	    "body: the status set before");
	ok(head_has(req, "\r\nContent-Type: application/octet-stream\r\n"),
	    "body: a body without a type is octet-stream (RFC 3875, 6.3.1)");
	is_str(body_of(req), "abcd", "body: chunks in order");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	ps_resp_status(req, 204);
	ps_resp_body(req, NULL, 0);
	ok(strcmp(out_of(req), "Status: 204 No Content\r\n"
	    "X-Content-Type-Options: nosniff\r\n\r\n") == 0,
	    "body: an empty answer has no Content-Type");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=HEAD", NULL, NULL, NULL);
	ps_resp_text(req, 200, NULL, "not sent");
	ok(head_has(req, "\r\nContent-Type: text/plain; charset=utf-8\r\n"),
	    "head: headers as for GET");
	is_str(body_of(req), "", "head: no body (RFC 9110, 9.3.2)");
	ps_req_mem_free(req);

	req = mk("REQUEST_METHOD=GET", NULL, NULL, NULL);
	ps_resp_status(req, 42);
	ps_resp_body(req, "", 0);
	ok(strncmp(out_of(req), "Status: 500 Internal Server Error\r\n",
	    35) == 0, "status: a code outside 200-599 becomes 500");
	ps_req_mem_free(req);

	is_str(ps_http_reason(429), "Too Many Requests", "reason: 429");
	is_str(ps_http_reason(202), "Accepted", "reason: 202");
	is_str(ps_http_reason(299), "Unknown", "reason: unknown code");
}

static void
wants_html_by_accept(void)
{
	static const struct {
		const char *accept;
		int html;
	} cases[] = {
		{ "HTTP_ACCEPT=text/html,application/xhtml+xml,"
		  "application/xml;q=0.9,*/*;q=0.8", 1 },
		{ "HTTP_ACCEPT=application/json", 0 },
		{ "HTTP_ACCEPT=*/*", 0 },
		{ "HTTP_ACCEPT=text/*", 0 },
		{ "HTTP_ACCEPT=text/html;q=0.5, application/json", 0 },
		{ "HTTP_ACCEPT=application/json;q=0.5, text/html", 1 },
		{ "HTTP_ACCEPT=text/html, application/json", 1 },
		{ "HTTP_ACCEPT=application/json, text/html", 0 },
		{ "HTTP_ACCEPT=text/html;q=0", 0 },
		{ "HTTP_ACCEPT=TEXT/HTML ; Q=0.9 , */*;q=0.95", 0 },
		{ "HTTP_ACCEPT=text/html;level=1;q=0.9, */*;q=0.1", 1 },
		{ "HTTP_ACCEPT=application/*;q=0.2, text/html;q=0.1", 0 },
	};
	ps_req *req;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req = mk(cases[i].accept, NULL, NULL, NULL);
		is_int(ps_req_wants_html(req), cases[i].html,
		    "accept: %s -> %s", cases[i].accept + 12,
		    cases[i].html ? "html" : "json");
		ps_req_mem_free(req);
	}
	req = mk(NULL, NULL, NULL, NULL);
	is_int(ps_req_wants_html(req), 0, "accept: none -> json");
	ps_req_mem_free(req);
}

static void
html_escape_all_five(void)
{
	char *s;

	s = ps_html_escape("<a href=\"x\" title='t'>&amp;</a>");
	is_str(s, "&lt;a href=&quot;x&quot; title=&#39;t&#39;&gt;"
	    "&amp;amp;&lt;/a&gt;", "html: & < > \" ' are escaped");
	free(s);
	s = ps_html_escape("plain \xc3\xa9");
	is_str(s, "plain \xc3\xa9", "html: other bytes are kept");
	free(s);
	s = ps_html_escape("");
	is_str(s, "", "html: empty stays empty");
	free(s);
}

int
main(void)
{
	ps_log_init("test_http", PS_LOG_INFO);
	query_fields_are_decoded();
	query_bad_escapes_are_refused();
	query_decoded_nul_is_refused();
	query_field_limits();
	query_too_long_is_refused();
	url_decode_helper();
	params_over_limit_read_as_absent();
	body_over_limit_refused_before_reading();
	body_read_whole();
	body_content_length_required();
	body_short_is_invalid();
	body_garbage_content_length_is_invalid();
	read_streams_to_content_length();
	form_urlencoded_fields();
	form_json_fields();
	form_json_refusals();
	form_json_long_value_refused();
	form_content_types();
	form_limits_and_separation();
	resp_json_format();
	resp_problem_shape_and_titles();
	resp_error_hides_server_detail();
	resp_header_injection_refused();
	resp_text_and_body();
	wants_html_by_accept();
	html_escape_all_five();
	return tap_done();
}
