/*
 * fuzz_storage_parse.c - what the storage backends make of a service's
 * answer (lib/ps_storage_parse.h): ps_cld_parse_answer in
 * lib/ps_storage_cloudinary.c, ps_sb_parse_answer and ps_sb_parse_list
 * in lib/ps_storage_supabase.c (the list is `pairstore migrate''s), and
 * ps_shttp_json_parse in lib/ps_storage_http.c, which all of them use.
 * The backends call exactly these on the answer libcurl read, so this is
 * the code in production, without the network.
 *
 * Input: byte 0 picks the parser (mod 5): Cloudinary final answer with
 * and without ans, Cloudinary intermediate chunk (res NULL), Supabase
 * upload, Supabase list.  Byte 1 picks the HTTP status from a table
 * (200 most often, the statuses PROTOCOLS.md names, 0, negative and
 * extreme values); from 0xf0 up, bytes 2-3 give it instead (big endian,
 * minus 1000).  The rest is the body.  Every 0x01 byte of the body
 * becomes a canary, CANARY, that looks like a secret.
 *
 * Invariants:
 *  - PS_OK only for status 200.  A Cloudinary final answer that is
 *    PS_OK has an http:// or https:// res->url without blanks, quotes,
 *    angle brackets or control bytes, terminated within res->url, and a
 *    terminated res->public_id; ans->etag is terminated and has no
 *    control byte.  A failure leaves res and ans as they were;
 *  - every error message is NUL-terminated, has no control byte, starts
 *    with the service's name, and is exactly what a model of the rules
 *    in ps_storage_parse.h gives (the error code too): fixed words, the
 *    status, and the service's message and code quoted through
 *    ps_shttp_quote at PS_STORAGE_QUOTE_MAX and PS_STORAGE_QUOTE_CODE_MAX
 *    bytes.  So no other byte of the body reaches a message: a body that
 *    is not JSON (an HTML error page, truncated JSON) gives a message of
 *    fixed words and digits only, and the canary shows in a message only
 *    when it is inside a quoted field;
 *  - ps_shttp_json_parse gives a value exactly when the body is one JSON
 *    value of the type asked and blanks, equal to the model's;
 *  - the body is read within [body, body + len): it is passed without a
 *    terminating NUL (ASan sees a read past it); the same answer, passed
 *    again NUL-terminated, gives the same result, message and fields.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "ps_storage.h"
#include "ps_storage_http.h"
#include "ps_storage_parse.h"
#include "fuzz_common.h"

#define CANARY "sk_live_Qz7CanarySecret"
#define FIXED_MAX 64	/* fixed words and status of any message */

enum { CLD_FINAL, CLD_FINAL_NOANS, CLD_CHUNK, SB_UPLOAD, SB_LIST,
    MODES };

static const long statuses[] = {
	200, 200, 200, 200, 200, 200, 200, 200,
	400, 400, 400, 401, 403, 404, 409, 413,
	420, 429, 500, 502, 503, 0, 201, 204,
	299, 199, 300, 302, 599, -1, LONG_MAX, LONG_MIN
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ps_log_set_level(PS_LOG_OFF);
	return 0;
}

/* ------------------------------------------------------------ the model */

static json_object *
model_json(const char *b, size_t n, json_type type)
{
	json_tokener *tok;
	json_object *j;
	size_t end;

	if (n == 0 || n > INT_MAX)
		return NULL;
	if ((tok = json_tokener_new()) == NULL)
		abort();
	j = json_tokener_parse_ex(tok, b, (int)n);
	end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	for (; j != NULL && end < n; end++)
		if (memchr(" \t\r\n", b[end], 4) == NULL) {
			json_object_put(j);
			j = NULL;
		}
	if (j != NULL && !json_object_is_type(j, type)) {
		json_object_put(j);
		j = NULL;
	}
	return j;
}

static const char *
jstr(json_object *j, const char *k)
{
	json_object *v;

	if (j == NULL || !json_object_object_get_ex(j, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Cloudinary's {"error":{"message"}}. */
static const char *
cld_message(json_object *j)
{
	json_object *e;

	if (j == NULL || !json_object_object_get_ex(j, "error", &e) ||
	    !json_object_is_type(e, json_type_object))
		return NULL;
	return jstr(e, "message");
}

static ps_code
no_message(const char *who, long status, char *msg, size_t sz)
{
	if (status >= 200 && status < 300)
		snprintf(msg, sz, "%s: HTTP %ld answer is not the expected "
		    "JSON", who, status);
	else
		snprintf(msg, sz, "%s: HTTP %ld without an error message",
		    who, status);
	return PS_E_BACKEND;
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* The Cloudinary rules (ps_storage_parse.h, PROTOCOLS.md). */
static ps_code
model_cld(long status, json_object *j, int final, char *msg, size_t sz,
    const char **url, const char **pid)
{
	char q[PS_STORAGE_QUOTE_MAX + 1];
	json_object *x;
	const char *m, *u, *p;

	*url = *pid = NULL;
	msg[0] = '\0';
	if (status != 200 || j == NULL ||
	    json_object_object_get_ex(j, "error", NULL)) {
		if ((m = cld_message(j)) == NULL)
			return no_message("Cloudinary", status, msg, sz);
		ps_shttp_quote(q, sizeof(q), m, PS_STORAGE_QUOTE_MAX);
		if (status == 400) {
			snprintf(msg, sz, "Cloudinary: HTTP 400: %s", q);
			if (strncmp(m, "File size too large", 19) == 0)
				return PS_E_TOO_LARGE;
			if (strncmp(m, "Stale request", 13) == 0) {
				snprintf(msg, sz, "Cloudinary: HTTP 400: %s "
				    "(is the clock right?)", q);
				return PS_E_CONFIG;
			}
			if (strncmp(m, "Invalid image file", 18) == 0 ||
			    strncmp(m, "Unsupported video format", 24) == 0 ||
			    strncmp(m, "Empty file", 10) == 0)
				return PS_E_UNSUPPORTED;
			return PS_E_INVALID;
		}
		if (status == 420 || status == 429) {
			snprintf(msg, sz, "Cloudinary: HTTP %ld, rate "
			    "limited: %s", status, q);
			return PS_E_BACKEND;
		}
		snprintf(msg, sz, "Cloudinary: HTTP %ld: %s", status, q);
		return status == 401 || status == 403 || status == 404 ?
		    PS_E_CONFIG : PS_E_BACKEND;
	}
	if (!final)
		return PS_OK;
	if (json_object_object_get_ex(j, "existing", &x) &&
	    json_object_get_boolean(x)) {
		snprintf(msg, sz, "Cloudinary: an asset with this public_id "
		    "already exists");
		return PS_E_CONFLICT;
	}
	u = jstr(j, "secure_url");
	p = jstr(j, "public_id");
	if (u == NULL || p == NULL) {
		snprintf(msg, sz, "Cloudinary: answer without secure_url or "
		    "public_id");
		return PS_E_BACKEND;
	}
	/* No NUL inside either string, no blank or control byte, quote
	 * or angle bracket in the URL. */
	if (!json_object_object_get_ex(j, "secure_url", &x) ||
	    strlen(u) != (size_t)json_object_get_string_len(x) ||
	    !json_object_object_get_ex(j, "public_id", &x) ||
	    strlen(p) != (size_t)json_object_get_string_len(x) ||
	    (strncmp(u, "https://", 8) != 0 &&
	    strncmp(u, "http://", 7) != 0) ||
	    strlen(u) >= PS_STORAGE_URL_MAX ||
	    strlen(p) >= PS_STORAGE_ID_MAX ||
	    strpbrk(u, " \"<>\x7f") != NULL || !printable(u)) {
		snprintf(msg, sz, "Cloudinary: answer with an unusable "
		    "secure_url");
		return PS_E_BACKEND;
	}
	*url = u;
	*pid = p;
	return PS_OK;
}

/* The Supabase rules: the real code in a 400's "statusCode". */
static ps_code
model_sb_error(long status, json_object *j, char *msg, size_t sz)
{
	char q[PS_STORAGE_QUOTE_MAX + 1], qc[PS_STORAGE_QUOTE_CODE_MAX + 1];
	const char *m = jstr(j, "message"), *code = jstr(j, "code");
	json_object *v;
	long sc = 0;

	if (j != NULL && json_object_object_get_ex(j, "statusCode", &v)) {
		if (json_object_is_type(v, json_type_string))
			sc = strtol(json_object_get_string(v), NULL, 10);
		else if (json_object_is_type(v, json_type_int))
			sc = (long)json_object_get_int64(v);
	}
	if (m == NULL)
		m = jstr(j, "error");
	if (m == NULL)
		return no_message("Supabase", status, msg, sz);
	ps_shttp_quote(q, sizeof(q), m, PS_STORAGE_QUOTE_MAX);
	ps_shttp_quote(qc, sizeof(qc), code != NULL ? code : "",
	    PS_STORAGE_QUOTE_CODE_MAX);
	if (sc == 0 || status != 400)
		sc = status;
	snprintf(msg, sz, "Supabase: %ld %s: %s", sc, qc, q);
	switch (sc) {
	case 409:
		return PS_E_CONFLICT;
	case 413:
		return PS_E_TOO_LARGE;
	case 400:
		return PS_E_INVALID;
	case 401:
	case 403:
	case 404:
		return PS_E_CONFIG;
	default:
		return PS_E_BACKEND;
	}
}

/* ------------------------------------------------------------ checks */

static int
canary_quotable(int mode, json_object *j)
{
	const char *s[3] = { NULL, NULL, NULL };
	int i;

	if (mode <= CLD_CHUNK)
		s[0] = cld_message(j);
	else {
		s[0] = jstr(j, "message");
		s[1] = jstr(j, "error");
		s[2] = jstr(j, "code");
	}
	for (i = 0; i < 3; i++)
		if (s[i] != NULL && strstr(s[i], CANARY) != NULL)
			return 1;
	return 0;
}

static void
check_url(const char *url)
{
	size_t n = strnlen(url, PS_STORAGE_URL_MAX), i;

	FUZZ_CHECK(n < PS_STORAGE_URL_MAX, "res->url not terminated");
	FUZZ_CHECK(strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "http://", 7) == 0, "res->url %s", url);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)url[i] > 0x20 &&
		    (unsigned char)url[i] != 0x7f &&
		    strchr("\"<>", url[i]) == NULL,
		    "byte 0x%02x in res->url", (unsigned char)url[i]);
}

/* A message of fixed words and digits only: nothing of the body. */
static int
fixed_words(const char *m)
{
	return strlen(m) <= FIXED_MAX &&
	    strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789 :_-") == strlen(m);
}

struct out {
	ps_code rc;
	ps_err err;
	ps_storage_result res;
	ps_cld_answer ans;
	json_object *rows;
};

static void
run(int mode, long status, const char *body, size_t len, struct out *o)
{
	memset(o, 0x5a, sizeof(*o));
	o->rows = NULL;
	switch (mode) {
	case CLD_FINAL:
		o->rc = ps_cld_parse_answer(status, body, len, &o->res,
		    &o->ans, &o->err);
		break;
	case CLD_FINAL_NOANS:
		o->rc = ps_cld_parse_answer(status, body, len, &o->res, NULL,
		    &o->err);
		break;
	case CLD_CHUNK:
		o->rc = ps_cld_parse_answer(status, body, len, NULL, &o->ans,
		    &o->err);
		break;
	case SB_UPLOAD:
		o->rc = ps_sb_parse_answer(status, body, len, &o->err);
		break;
	default:
		o->rc = ps_sb_parse_list(status, body, len, &o->rows,
		    &o->err);
		break;
	}
}

static int
untouched(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0x5a)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char want[PS_ERR_MSG_MAX], *exact, *term;
	const char *who, *url, *pid;
	json_object *jo, *ja, *lib;
	struct out a, b;
	size_t n, i, ncanary = 0;
	ps_code mrc;
	long status;
	int mode;

	if (size < 4)
		return 0;
	mode = data[0] % MODES;
	if (data[1] >= 0xf0)
		status = (long)((data[2] << 8) | data[3]) - 1000;
	else
		status = statuses[data[1] % (sizeof(statuses) /
		    sizeof(statuses[0]))];
	data += 4;
	size -= 4;
	for (i = 0; i < size; i++)
		ncanary += data[i] == 0x01;
	n = size + ncanary * (sizeof(CANARY) - 2);
	/* Exactly n bytes, no NUL after them; and a terminated copy. */
	exact = malloc(n > 0 ? n : 1);
	term = malloc(n + 1);
	if (exact == NULL || term == NULL)
		abort();
	for (i = 0, n = 0; i < size; i++) {
		if (data[i] == 0x01) {
			memcpy(exact + n, CANARY, sizeof(CANARY) - 1);
			n += sizeof(CANARY) - 1;
		} else
			exact[n++] = (char)data[i];
	}
	if (n > 0)
		memcpy(term, exact, n);
	term[n] = '\0';

	/* The shared JSON reading. */
	jo = model_json(term, n, json_type_object);
	ja = model_json(term, n, json_type_array);
	lib = ps_shttp_json_parse(n > 0 ? exact : NULL, n, json_type_object);
	FUZZ_CHECK((lib != NULL) == (jo != NULL) &&
	    (lib == NULL || json_object_equal(lib, jo)),
	    "ps_shttp_json_parse(object) differs from the model");
	json_object_put(lib);
	lib = ps_shttp_json_parse(n > 0 ? exact : NULL, n, json_type_array);
	FUZZ_CHECK((lib != NULL) == (ja != NULL) &&
	    (lib == NULL || json_object_equal(lib, ja)),
	    "ps_shttp_json_parse(array) differs from the model");
	json_object_put(lib);

	run(mode, status, n > 0 ? exact : NULL, n, &a);
	run(mode, status, term, n, &b);

	/* PS_OK only for 200, and then usable. */
	FUZZ_CHECK(a.rc == PS_OK || a.err.code == a.rc,
	    "error %d with code %d", (int)a.rc, (int)a.err.code);
	if (a.rc == PS_OK)
		FUZZ_CHECK(status == 200, "PS_OK for HTTP %ld", status);
	url = pid = NULL;
	switch (mode) {
	case CLD_FINAL:
	case CLD_FINAL_NOANS:
	case CLD_CHUNK:
		who = "Cloudinary: ";
		mrc = model_cld(status, jo, mode != CLD_CHUNK, want,
		    sizeof(want), &url, &pid);
		break;
	case SB_UPLOAD:
		who = "Supabase: ";
		if (status == 200 && jstr(jo, "Key") != NULL) {
			mrc = PS_OK;
			want[0] = '\0';
		} else
			mrc = model_sb_error(status, jo, want, sizeof(want));
		break;
	default:
		who = "Supabase: ";
		if (status == 200 && ja != NULL) {
			mrc = PS_OK;
			want[0] = '\0';
		} else
			mrc = model_sb_error(status, jo, want, sizeof(want));
		break;
	}
	FUZZ_CHECK(a.rc == mrc, "HTTP %ld, mode %d: code %d, the model %d "
	    "(%s)", status, mode, (int)a.rc, (int)mrc, want);

	if (a.rc == PS_OK) {
		if (mode == CLD_FINAL || mode == CLD_FINAL_NOANS) {
			check_url(a.res.url);
			FUZZ_CHECK(strcmp(a.res.url, url) == 0,
			    "res->url is not secure_url");
			FUZZ_CHECK(strnlen(a.res.public_id,
			    sizeof(a.res.public_id)) <
			    sizeof(a.res.public_id) &&
			    strcmp(a.res.public_id, pid) == 0,
			    "res->public_id is not public_id");
		} else
			FUZZ_CHECK(untouched(&a.res, sizeof(a.res)),
			    "res written");
		if (mode == CLD_FINAL) {
			n = strnlen(a.ans.etag, sizeof(a.ans.etag));
			FUZZ_CHECK(n < sizeof(a.ans.etag),
			    "ans->etag not terminated");
			for (i = 0; i < n; i++)
				FUZZ_CHECK((unsigned char)a.ans.etag[i] >=
				    0x20 && (unsigned char)a.ans.etag[i] !=
				    0x7f, "control byte in ans->etag");
		} else
			FUZZ_CHECK(untouched(&a.ans, sizeof(a.ans)),
			    "ans written");
		if (mode == SB_LIST)
			FUZZ_CHECK(a.rows != NULL &&
			    json_object_equal(a.rows, ja), "rows are not "
			    "the answer's array");
	} else {
		fuzz_check_err_msg(&a.err);
		FUZZ_CHECK(strncmp(a.err.msg, who, strlen(who)) == 0,
		    "message \"%s\" not from %s", a.err.msg, who);
		FUZZ_CHECK(strcmp(a.err.msg, want) == 0,
		    "message \"%s\", the model \"%s\"", a.err.msg, want);
		FUZZ_CHECK(untouched(&a.res, sizeof(a.res)) &&
		    untouched(&a.ans, sizeof(a.ans)),
		    "a failure wrote res or ans");
		FUZZ_CHECK(a.rows == NULL, "rows on a failure");
		if (jo == NULL)
			FUZZ_CHECK(fixed_words(a.err.msg), "not JSON, yet "
			    "\"%s\"", a.err.msg);
		if (ncanary > 0 && !canary_quotable(mode, jo))
			FUZZ_CHECK(strstr(a.err.msg, CANARY) == NULL,
			    "the canary in \"%s\"", a.err.msg);
	}

	/* The same answer again, NUL-terminated: the same result. */
	FUZZ_CHECK(a.rc == b.rc &&
	    memcmp(&a.err, &b.err, sizeof(a.err)) == 0 &&
	    memcmp(&a.res, &b.res, sizeof(a.res)) == 0 &&
	    memcmp(&a.ans, &b.ans, sizeof(a.ans)) == 0 &&
	    (a.rows == NULL) == (b.rows == NULL) &&
	    (a.rows == NULL || json_object_equal(a.rows, b.rows)),
	    "the same answer read twice differs");

	json_object_put(a.rows);
	json_object_put(b.rows);
	json_object_put(jo);
	json_object_put(ja);
	free(exact);
	free(term);
	return 0;
}
