/*
 * fuzz_form_json.c - small request bodies: ps_req_parse_form() on JSON
 * and application/x-www-form-urlencoded bodies of an in-memory request,
 * then the answer a program gives (lib/ps_http.c).
 *
 * Input: byte 0 picks the Content-Type (bits 0-1: application/json,
 * application/json; charset=utf-8, urlencoded, or the first line of the
 * rest) and whether CONTENT_LENGTH lies (bit 2; bits 3-5 by how much);
 * the rest is the body.
 *
 * Invariants:
 *  - a body is read only up to CONTENT_LENGTH, a short one is refused;
 *  - an accepted JSON body is one flat JSON object, nothing after it but
 *    blanks (RFC 8259, 2), and every member reads back: strings exactly
 *    as json-c decodes them (so no NUL and no value over
 *    PS_HTTP_MAX_FIELD_VALUE), numbers as their RFC 8259 text (the same
 *    double json-c reads), booleans as "true"/"false";
 *  - an accepted urlencoded body gives fields of at most the limits;
 *  - the answer (a problem document for a refusal, the fields echoed as
 *    JSON otherwise) is a well-formed CGI response: one header per line,
 *    no control characters in a header, a blank line, a JSON body.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "ps_http.h"
#include "fuzz_common.h"

#define CT_MAX 256

/* The output is "Status: N R\r\n" headers "\r\n" body; body is JSON. */
static void
check_output(const ps_req *req)
{
	const char *out, *p, *eol, *body;
	json_tokener *tok;
	json_object *o;
	size_t len, i;

	out = ps_req_mem_output(req, &len);
	FUZZ_CHECK(out != NULL && len > 0, "no output");
	FUZZ_CHECK(strncmp(out, "Status: ", 8) == 0, "output does not start "
	    "with Status");
	FUZZ_CHECK(memchr(out, '\0', len) == NULL, "NUL in the output");
	body = NULL;
	for (p = out; p < out + len; p = eol + 2) {
		eol = strstr(p, "\r\n");
		FUZZ_CHECK(eol != NULL, "header section not terminated");
		if (eol == p) {
			body = eol + 2;
			break;
		}
		FUZZ_CHECK(memchr(p, ':', (size_t)(eol - p)) != NULL,
		    "header line without a colon");
		for (i = 0; p + i < eol; i++)
			FUZZ_CHECK(((unsigned char)p[i] >= 0x20 ||
			    p[i] == '\t') && p[i] != 0x7f,
			    "control byte 0x%02x in a header",
			    (unsigned char)p[i]);
	}
	FUZZ_CHECK(body != NULL, "no blank line after the headers");
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	o = json_tokener_parse_ex(tok, body, (int)(out + len - body));
	FUZZ_CHECK(o != NULL && json_object_is_type(o, json_type_object) &&
	    json_tokener_get_parse_end(tok) == (size_t)(out + len - body),
	    "answer body is not one JSON object");
	json_object_put(o);
	json_tokener_free(tok);
}

/* RFC 8259, 6, once more: the field text of a number member. */
static void
check_number(const char *key, const char *v, json_object *jv)
{
	char *end;
	double d;

	FUZZ_CHECK(*v != '\0' && strchr(v, ' ') == NULL, "number member "
	    "\"%s\" is \"%s\"", key, v);
	d = strtod(v, &end);
	FUZZ_CHECK(*end == '\0', "number member \"%s\" is \"%s\"", key, v);
	if (json_object_is_type(jv, json_type_double) && isfinite(d))
		FUZZ_CHECK(d == json_object_get_double(jv), "number member "
		    "\"%s\": %s is not %.17g", key, v,
		    json_object_get_double(jv));
}

static void
check_json(ps_req *req, const char *body, size_t len)
{
	json_tokener *tok;
	json_object *o;
	size_t end, n = 0;
	const char *v;

	tok = json_tokener_new_ex(4);
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	FUZZ_CHECK(o != NULL && json_object_is_type(o, json_type_object),
	    "accepted JSON is not an object");
	/* RFC 8259, 2: JSON-text = ws value ws. */
	while (end < len && strchr(" \t\r\n", body[end]) != NULL &&
	    body[end] != '\0')
		end++;
	FUZZ_CHECK(end == len, "accepted JSON body with %zu bytes after "
	    "the object", len - end);
	json_object_object_foreach(o, key, jv) {
		n++;
		v = ps_req_field(req, key);
		FUZZ_CHECK(v != NULL, "member \"%s\" missing", key);
		FUZZ_CHECK(strlen(v) <= PS_HTTP_MAX_FIELD_VALUE &&
		    strlen(key) <= PS_HTTP_MAX_FIELD_NAME, "over a limit");
		switch (json_object_get_type(jv)) {
		case json_type_string:
			FUZZ_CHECK((size_t)json_object_get_string_len(jv) ==
			    strlen(v) && strcmp(json_object_get_string(jv),
			    v) == 0, "string member \"%s\" differs", key);
			break;
		case json_type_boolean:
			FUZZ_CHECK(strcmp(v, json_object_get_boolean(jv) ?
			    "true" : "false") == 0, "boolean member \"%s\" "
			    "is \"%s\"", key, v);
			break;
		case json_type_int:
		case json_type_double:
			check_number(key, v, jv);
			break;
		default:
			FUZZ_CHECK(0, "member \"%s\" of type %d accepted",
			    key, (int)json_object_get_type(jv));
		}
	}
	FUZZ_CHECK(n <= PS_HTTP_MAX_FIELDS, "%zu members", n);
	json_object_put(o);
	json_tokener_free(tok);
}

/* Echo the fields a name list finds; the names come from the body. */
static json_object *
echo_fields(ps_req *req, const char *body, size_t len)
{
	json_object *o = json_object_new_object();
	char name[PS_HTTP_MAX_FIELD_NAME + 1];
	const char *p = body, *end = body + len, *stop, *v;
	size_t n;

	if (o == NULL)
		abort();
	/* Cheap candidates: runs of [A-Za-z0-9_]. */
	while (p < end) {
		while (p < end && !isalnum((unsigned char)*p) && *p != '_')
			p++;
		for (stop = p; stop < end && (isalnum((unsigned char)*stop) ||
		    *stop == '_'); stop++)
			continue;
		n = (size_t)(stop - p);
		if (n > 0 && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			v = ps_req_field(req, name);
			if (v != NULL) {
				FUZZ_CHECK(strlen(v) <=
				    PS_HTTP_MAX_FIELD_VALUE, "field \"%s\" "
				    "over the limit", name);
				json_object_object_add(o, name,
				    json_object_new_string(v));
			}
		}
		p = stop;
	}
	return o;
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
	char ctparam[CT_MAX + 32], clparam[64], *params[5];
	const char *ct, *body, *rbody;
	const uint8_t *nl;
	size_t len, rlen, declared;
	json_object *echo;
	ps_req *req;
	ps_err err;
	ps_code rc;
	int lie;

	if (size < 1)
		return 0;
	body = (const char *)data + 1;
	len = size - 1;
	switch (data[0] & 3) {
	case 0:
		ct = "application/json";
		break;
	case 1:
		ct = "application/json; charset=utf-8";
		break;
	case 2:
		ct = "application/x-www-form-urlencoded";
		break;
	default:
		nl = memchr(body, '\n', len);
		if (nl == NULL || (size_t)(nl - (const uint8_t *)body) >
		    CT_MAX || memchr(body, '\0', (size_t)(nl -
		    (const uint8_t *)body)) != NULL)
			return 0;
		snprintf(ctparam, sizeof(ctparam), "CONTENT_TYPE=%.*s",
		    (int)(nl - (const uint8_t *)body), body);
		ct = NULL;
		len -= (size_t)(nl + 1 - (const uint8_t *)body);
		body = (const char *)nl + 1;
		break;
	}
	if (ct != NULL)
		snprintf(ctparam, sizeof(ctparam), "CONTENT_TYPE=%s", ct);
	lie = (data[0] >> 2) & 1;
	declared = len;
	if (lie) {
		int d = (int)((data[0] >> 3) & 7) - 3;

		declared = d < 0 && (size_t)-d > len ? 0 : len + (size_t)d;
	}
	snprintf(clparam, sizeof(clparam), "CONTENT_LENGTH=%zu", declared);
	params[0] = "REQUEST_METHOD=POST";
	params[1] = ctparam;
	params[2] = clparam;
	params[3] = NULL;
	req = ps_req_mem_new(params, body, len);
	if (req == NULL)
		abort();

	rc = ps_req_parse_form(req, &err);
	if (rc != PS_OK) {
		fuzz_check_err_msg(&err);
		FUZZ_CHECK(rc == PS_E_INVALID || rc == PS_E_UNSUPPORTED ||
		    rc == PS_E_TOO_LARGE, "refused with code %d: %s",
		    (int)rc, err.msg);
		FUZZ_CHECK(ps_req_field(req, "a") == NULL,
		    "fields after a refusal");
		ps_resp_error(req, &err);
	} else {
		FUZZ_CHECK(declared <= len, "a body shorter than "
		    "CONTENT_LENGTH accepted");
		FUZZ_CHECK(declared <= PS_HTTP_MAX_SMALL_BODY,
		    "an over-long body accepted");
		FUZZ_CHECK(ps_req_body(req, PS_HTTP_MAX_SMALL_BODY, &rbody,
		    &rlen, NULL) == PS_OK && rlen == declared &&
		    memcmp(rbody, body, rlen) == 0 && rbody[rlen] == '\0',
		    "the body read is not the first CONTENT_LENGTH bytes");
		if (strstr(ctparam, "json") != NULL &&
		    strstr(ctparam, "urlencoded") == NULL)
			check_json(req, rbody, rlen);
		echo = echo_fields(req, rbody, rlen);
		ps_resp_json(req, 200, echo);
		json_object_put(echo);
	}
	check_output(req);
	ps_req_mem_free(req);
	return 0;
}
