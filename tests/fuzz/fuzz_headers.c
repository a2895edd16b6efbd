/*
 * fuzz_headers.c - the request headers the programs read, and the one
 * response header path that can echo request text.
 *
 * Input: byte 0 picks the identity mode and the boundary buffer size;
 * the rest is up to eight values separated by LF, each becoming a
 * parameter of an in-memory request (an absent line is an absent
 * parameter):
 *   0 CONTENT_TYPE      ps_multipart_boundary(), and the small-form
 *                       media type rules of ps_req_parse_form()
 *   1 CONTENT_LENGTH    ps_req_content_length()
 *   2 HTTP_ACCEPT       ps_req_wants_html()
 *   3 HTTP_AUTHORIZATION, 4 REMOTE_USER / HTTP_X_PAIRSTORE_USER
 *                       ps_auth_identify() in jwt, remote_user, demo
 *   5 HTTP_ORIGIN, 6 HTTP_SEC_FETCH_SITE
 *                       ps_req_check_origin() (pair and upload), with
 *                       Host "Example.COM:80" when bit 6 of byte 0 is
 *                       set, and ps_origin_norm()
 *   7 a value echoed with ps_resp_header()
 *
 * Invariants:
 *  - a boundary comes back only from a multipart/form-data type, is 1 to
 *    70 RFC 2046 bchars not ending in a space, fits the buffer given
 *    (however small), and ps_multipart_new() accepts it;
 *  - ps_req_content_length() is the model's 1*DIGIT that fits in an
 *    int64_t, -1 otherwise;
 *  - ps_req_param() gives back exactly the value, or NULL over
 *    PS_HTTP_MAX_HEADER_VALUE bytes;
 *  - an identified user always passes ps_user_id_valid(); in jwt mode
 *    nothing made up is ever accepted;
 *  - ps_resp_header() refuses CR, LF, NUL and other controls, and the
 *    response has exactly the headers that were accepted;
 *  - the origin check passes a request without Origin and
 *    Sec-Fetch-Site, refuses any Sec-Fetch-Site but same-origin,
 *    same-site and none, and passes an Origin only when it normalises to
 *    the request's own origin (or PUBLIC_ORIGIN); ps_origin_norm() gives
 *    a lower-case http(s) origin without a default port, and is
 *    idempotent.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ps_auth.h"
#include "ps_config.h"
#include "ps_http.h"
#include "ps_multipart.h"
#include "ps_util.h"
#include "fuzz_common.h"

#define NLINES 8

static ps_auth *auth_jwt, *auth_remote, *auth_demo;

static void
check_norm(const char *s)
{
	char a[PS_ORIGIN_MAX], b[PS_ORIGIN_MAX];
	size_t i, n;

	if (s == NULL || ps_origin_norm(s, 0, a, sizeof(a)) != 0)
		return;
	FUZZ_CHECK(strncmp(a, "http://", 7) == 0 ||
	    strncmp(a, "https://", 8) == 0, "origin \"%.60s\"", a);
	for (i = 0; a[i] != '\0'; i++)
		FUZZ_CHECK(!(a[i] >= 'A' && a[i] <= 'Z'), "upper case in "
		    "\"%.60s\"", a);
	n = strlen(a);
	FUZZ_CHECK(!(n > 4 && strncmp(a, "https", 5) == 0 &&
	    strcmp(a + n - 4, ":443") == 0) && !(n > 3 &&
	    strncmp(a, "http:", 5) == 0 && strcmp(a + n - 3, ":80") == 0),
	    "default port kept in \"%.60s\"", a);
	FUZZ_CHECK(ps_origin_norm(a, 0, b, sizeof(b)) == 0 &&
	    strcmp(a, b) == 0, "not idempotent: \"%.60s\"", a);
}

static void
check_origin(const ps_req *req, const char *origin, const char *site,
    int has_host)
{
	static const char *const publics[] = { NULL, "https://Example.com/" };
	char got[PS_ORIGIN_MAX];
	ps_err err;
	ps_code rc;
	size_t k;

	check_norm(origin);
	for (k = 0; k < 2; k++) {
		memset(&err, 0, sizeof(err));
		rc = ps_req_check_origin(req, publics[k], &err);
		FUZZ_CHECK(rc == PS_OK || rc == PS_E_FORBIDDEN,
		    "origin check gave %d", (int)rc);
		if (rc != PS_OK)
			fuzz_check_err_msg(&err);
		if (origin == NULL && site == NULL)
			FUZZ_CHECK(rc == PS_OK, "no Origin, no Sec-Fetch-Site, "
			    "refused");
		if (site != NULL && strcmp(site, "same-origin") != 0 &&
		    strcmp(site, "same-site") != 0 && strcmp(site, "none") != 0)
			FUZZ_CHECK(rc == PS_E_FORBIDDEN, "Sec-Fetch-Site "
			    "\"%.40s\" passed", site);
		if (rc == PS_OK && origin != NULL) {
			FUZZ_CHECK(ps_origin_norm(origin, 0, got,
			    sizeof(got)) == 0 && strcmp(got, k == 0 ?
			    "http://example.com" : "https://example.com") == 0,
			    "Origin \"%.60s\" passed", origin);
			FUZZ_CHECK(k == 1 || has_host, "Origin passed without "
			    "a Host to compare it with");
		}
	}
}

static ps_auth *
mk_auth(const char *mode, const char *secret)
{
	char m[64], s[128];
	char *env[3];
	ps_config *cfg;
	ps_auth *a;
	ps_err err;

	snprintf(m, sizeof(m), "AUTH_MODE=%s", mode);
	snprintf(s, sizeof(s), "JWT_SECRET=%s", secret);
	env[0] = m;
	env[1] = secret != NULL ? s : NULL;
	env[2] = NULL;
	if (ps_config_load_from(&cfg, env, "", &err) != PS_OK ||
	    ps_auth_new(&a, cfg, &err) != PS_OK) {
		fprintf(stderr, "fuzz_headers: %s\n", err.msg);
		exit(2);
	}
	ps_config_free(cfg);
	return a;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ps_log_set_level(PS_LOG_OFF);
	auth_jwt = mk_auth("jwt", "fuzz-only-hs256-secret-0123456789abcdef");
	auth_remote = mk_auth("remote_user", NULL);
	auth_demo = mk_auth("demo", NULL);
	return 0;
}

static int
is_bchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("'()+_,-./:=? ", c) != NULL);
}

static void
check_boundary(const char *ct, size_t outsz)
{
	char *out;
	size_t n, i;
	ps_err err;
	ps_code rc;

	out = malloc(outsz);
	if (out == NULL)
		abort();
	rc = ps_multipart_boundary(ct, out, outsz, &err);
	if (rc != PS_OK) {
		fuzz_check_err_msg(&err);
		FUZZ_CHECK(rc == PS_E_INVALID || rc == PS_E_UNSUPPORTED ||
		    rc == PS_E_INTERNAL, "boundary refused with %d",
		    (int)rc);
		/* INTERNAL only for a buffer too small for a good one. */
		if (rc == PS_E_INTERNAL)
			FUZZ_CHECK(outsz <= PS_MULTIPART_BOUNDARY_MAX,
			    "PS_E_INTERNAL with a %zu-byte buffer", outsz);
		free(out);
		return;
	}
	n = strnlen(out, outsz);
	FUZZ_CHECK(n < outsz, "boundary not terminated in its buffer");
	FUZZ_CHECK(n >= 1 && n <= PS_MULTIPART_BOUNDARY_MAX &&
	    out[n - 1] != ' ', "boundary of %zu bytes", n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(is_bchar((unsigned char)out[i]), "boundary byte "
		    "0x%02x", (unsigned char)out[i]);
	for (i = 0; ct[i] == ' ' || ct[i] == '\t'; i++)
		continue;
	FUZZ_CHECK(strncasecmp(ct + i, "multipart/form-data", 19) == 0,
	    "boundary from \"%.60s\"", ct);
	{
		ps_multipart *mp;

		FUZZ_CHECK(ps_multipart_new(&mp, out, NULL, NULL, &err) ==
		    PS_OK, "the parser refuses boundary \"%s\": %s", out,
		    err.msg);
		ps_multipart_free(mp);
	}
	free(out);
}

/* RFC 9110, 8.6: 1*DIGIT, here within int64_t. */
static int64_t
model_length(const char *s)
{
	int64_t v = 0;

	if (s == NULL || *s == '\0' || strlen(s) > PS_HTTP_MAX_HEADER_VALUE)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void
check_param(const ps_req *req, const char *name, const char *value)
{
	const char *v = ps_req_param(req, name);

	if (value == NULL || strlen(value) > PS_HTTP_MAX_HEADER_VALUE) {
		FUZZ_CHECK(v == NULL, "%s given back", name);
		return;
	}
	FUZZ_CHECK(v != NULL && strcmp(v, value) == 0, "%s changed", name);
}

static void
check_identify(const ps_auth *a, ps_req *req, int jwt)
{
	char user[PS_USER_ID_MAX + 1];
	ps_err err;
	ps_code rc;

	memset(user, 'X', sizeof(user));
	rc = ps_auth_identify(a, req, user, &err);
	if (rc == PS_OK) {
		FUZZ_CHECK(ps_user_id_valid(user), "identified as an invalid "
		    "user id");
		/* Nobody can make an HS256 token without the secret. */
		FUZZ_CHECK(!jwt, "a made-up bearer token was accepted as "
		    "\"%s\"", user);
	} else {
		fuzz_check_err_msg(&err);
		FUZZ_CHECK(user[0] == '\0', "user left set after a refusal");
		FUZZ_CHECK(rc == PS_E_AUTH || rc == PS_E_INVALID,
		    "identify failed with %d: %s", (int)rc, err.msg);
	}
}

/* The response head: exactly the expected X-Echo lines, well formed. */
static void
check_echo(ps_req *req, const char *value, int accepted)
{
	const char *out, *p, *eol;
	size_t len, echoes = 0, i;

	ps_resp_text(req, 200, "text/plain", "ok");
	out = ps_req_mem_output(req, &len);
	FUZZ_CHECK(out != NULL && strncmp(out, "Status: 200 ", 12) == 0,
	    "bad response start");
	for (p = out;; p = eol + 2) {
		eol = strstr(p, "\r\n");
		FUZZ_CHECK(eol != NULL, "unterminated head");
		if (eol == p)
			break;
		for (i = 0; p + i < eol; i++)
			FUZZ_CHECK(((unsigned char)p[i] >= 0x20 ||
			    p[i] == '\t') && p[i] != 0x7f,
			    "control byte in a response header");
		if (strncmp(p, "X-Echo: ", 8) == 0) {
			echoes++;
			FUZZ_CHECK((size_t)(eol - p - 8) == strlen(value) &&
			    memcmp(p + 8, value, strlen(value)) == 0,
			    "echoed header changed");
		}
	}
	FUZZ_CHECK(echoes == (size_t)accepted, "%zu X-Echo lines, %d "
	    "accepted", echoes, accepted);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[NLINES] = {
		"CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_ACCEPT",
		"HTTP_AUTHORIZATION", "REMOTE_USER", "HTTP_ORIGIN",
		"HTTP_SEC_FETCH_SITE", NULL
	};
	char *lines[NLINES] = { NULL }, *params[NLINES + 4], *copy;
	const char *p, *end, *nl;
	size_t nparams = 0, i, outsz;
	ps_req *req;
	ps_code rc;
	int accepted, html;

	if (size < 1)
		return 0;
	copy = fuzz_strndup(data + 1, size - 1);
	p = copy;
	end = copy + size - 1;
	for (i = 0; i < NLINES && p <= end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (memchr(p, '\0', (size_t)(nl - p)) == NULL)
			lines[i] = strndup(p, (size_t)(nl - p));
		p = nl + 1;
	}
	free(copy);

	params[nparams++] = "REQUEST_METHOD=GET";
	for (i = 0; i < NLINES; i++) {
		const char *name = names[i];

		if (lines[i] == NULL || (i == NLINES - 1))
			continue;
		/* Demo mode reads the same line as X-Pairstore-User. */
		if (asprintf(&params[nparams++], "%s=%s", name,
		    lines[i]) < 0)
			abort();
		if (i == 4 && asprintf(&params[nparams++],
		    "HTTP_X_PAIRSTORE_USER=%s", lines[i]) < 0)
			abort();
	}
	if (data[0] & 0x40)
		params[nparams++] = "HTTP_HOST=Example.COM:80";
	params[nparams] = NULL;
	req = ps_req_mem_new(params, NULL, 0);
	if (req == NULL)
		abort();

	if (lines[0] != NULL) {
		outsz = (data[0] & 0x80) ? 1 + (data[0] & 0x7f) :
		    PS_MULTIPART_BOUNDARY_MAX + 1;
		check_boundary(lines[0], outsz);
	}
	FUZZ_CHECK(ps_req_content_length(req) == model_length(lines[1]),
	    "Content-Length %lld, model %lld",
	    (long long)ps_req_content_length(req),
	    (long long)model_length(lines[1]));
	html = ps_req_wants_html(req);
	FUZZ_CHECK(html == 0 || html == 1, "wants_html %d", html);
	if (lines[2] == NULL || strlen(lines[2]) > PS_HTTP_MAX_HEADER_VALUE)
		FUZZ_CHECK(html == 0, "HTML wanted without an Accept");
	for (i = 0; i < NLINES - 1; i++)
		check_param(req, names[i], lines[i]);

	check_origin(req, lines[5] != NULL &&
	    strlen(lines[5]) <= PS_HTTP_MAX_HEADER_VALUE ? lines[5] : NULL,
	    lines[6] != NULL && strlen(lines[6]) <= PS_HTTP_MAX_HEADER_VALUE ?
	    lines[6] : NULL, (data[0] & 0x40) != 0);
	check_identify(auth_jwt, req, 1);
	check_identify(auth_remote, req, 0);
	check_identify(auth_demo, req, 0);

	/* The media type rules of small forms (no body: a GET). */
	{
		ps_err err;

		rc = ps_req_parse_form(req, &err);
		if (rc != PS_OK)
			fuzz_check_err_msg(&err);
	}

	accepted = 0;
	if (lines[7] != NULL) {
		rc = ps_resp_header(req, "X-Echo", lines[7]);
		accepted = rc == PS_OK;
		for (i = 0; lines[7][i] != '\0'; i++)
			if (((unsigned char)lines[7][i] < 0x20 &&
			    lines[7][i] != '\t') || lines[7][i] == 0x7f)
				break;
		FUZZ_CHECK(accepted == (lines[7][i] == '\0'), "header value "
		    "%s", accepted ? "with a control byte accepted" :
		    "refused");
		/* A name from the request is refused unless a token. */
		rc = strcasecmp(lines[7], "X-Echo") == 0 ? PS_E_INTERNAL :
		    ps_resp_header(req, lines[7], "v");
		if (rc == PS_OK)
			FUZZ_CHECK(strpbrk(lines[7], " \t\r\n:\"(),/;<=>?@[]"
			    "{}\\") == NULL && lines[7][0] != '\0',
			    "header name \"%.40s\" accepted", lines[7]);
	}
	check_echo(req, lines[7] != NULL ? lines[7] : "", accepted);

	ps_req_mem_free(req);
	for (i = 1; i < nparams; i++)
		if (strcmp(params[i], "HTTP_HOST=Example.COM:80") != 0)
			free(params[i]);
	for (i = 0; i < NLINES; i++)
		free(lines[i]);
	return 0;
}
