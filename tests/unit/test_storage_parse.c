/*
 * test_storage_parse.c - what the storage backends make of a service's
 * answer (lib/ps_storage_parse.h), on the answer shapes PROTOCOLS.md
 * gives: Cloudinary's success, chunk and {"error":{"message"}} answers,
 * Supabase's 200 {"Key"} and its 400s with the real code as a string,
 * list answers, HTML error pages, truncated JSON; the secure_url rules
 * (the fuzz_storage_parse findings); and ps_shttp_json_parse.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ps_storage.h"
#include "ps_storage_http.h"
#include "ps_storage_parse.h"
#include "tap.h"

#define CLD_OK "{\"asset_id\":\"b5e6d2b3\",\"public_id\":" \
	"\"view-once/alice/x\",\"version\":1719307544,\"width\":1," \
	"\"height\":1,\"format\":\"png\",\"resource_type\":\"image\"," \
	"\"created_at\":\"2024-06-25T09:25:44Z\",\"tags\":[],\"bytes\":68," \
	"\"type\":\"upload\",\"etag\":\"a2f8a8b3\",\"url\":" \
	"\"http://res.cloudinary.com/demo/image/upload/v1/view-once/alice/" \
	"x.png\",\"secure_url\":\"https://res.cloudinary.com/demo/image/" \
	"upload/v1/view-once/alice/x.png\",\"api_key\":\"614335564976464\"}"
#define CLD_URL "https://res.cloudinary.com/demo/image/upload/v1/" \
	"view-once/alice/x.png"
#define HTML_502 "<html>\r\n<head><title>502 Bad Gateway</title></head>" \
	"\r\n<body><center><h1>502 Bad Gateway</h1></center></body></html>"

static ps_storage_result res;
static ps_cld_answer ans;
static ps_err err;

static ps_code
cld(long status, const char *body)
{
	memset(&res, 0x5a, sizeof(res));
	memset(&ans, 0x5a, sizeof(ans));
	memset(&err, 0, sizeof(err));
	return ps_cld_parse_answer(status, body, strlen(body), &res, &ans,
	    &err);
}

static ps_code
sb(long status, const char *body)
{
	memset(&err, 0, sizeof(err));
	return ps_sb_parse_answer(status, body, strlen(body), &err);
}

static int
res_untouched(void)
{
	const unsigned char *p = (const unsigned char *)&res;
	size_t i;

	for (i = 0; i < sizeof(res); i++)
		if (p[i] != 0x5a)
			return 0;
	return 1;
}

static void
cloudinary_success_read(void)
{
	ok(cld(200, CLD_OK) == PS_OK, "cloudinary: a 200 upload answer (%s)",
	    err.msg);
	is_str(res.url, CLD_URL, "res->url is secure_url");
	is_str(res.public_id, "view-once/alice/x", "res->public_id");
	is_int(ans.bytes, 68, "ans->bytes");
	is_str(ans.etag, "a2f8a8b3", "ans->etag");
	memset(&res, 0, sizeof(res));
	ok(ps_cld_parse_answer(200, CLD_OK, strlen(CLD_OK), &res, NULL,
	    &err) == PS_OK && strcmp(res.url, CLD_URL) == 0,
	    "cloudinary: ans may be NULL");
	ok(cld(200, "{\"public_id\":\"x\",\"secure_url\":\"http://a/x\"}") ==
	    PS_OK && ans.bytes == -1 && ans.etag[0] == '\0',
	    "cloudinary: no bytes, no etag: -1 and \"\"");
	ok(cld(200, "  " CLD_OK " \r\n\t") == PS_OK,
	    "cloudinary: blanks around the JSON are fine");
}

static void
cloudinary_chunk_answers(void)
{
	const char *chunk = "{\"done\":false,\"bytes\":20000000}";

	memset(&ans, 0x5a, sizeof(ans));
	ok(ps_cld_parse_answer(200, chunk, strlen(chunk), NULL, &ans,
	    &err) == PS_OK, "cloudinary: an intermediate chunk's answer");
	ok(ans.bytes != -1, "ans untouched for a chunk");
	chunk = "{\"error\":{\"message\":\"Chunk size doesn't match\"}}";
	ok(ps_cld_parse_answer(200, chunk, strlen(chunk), NULL, NULL,
	    &err) == PS_E_BACKEND, "a chunk answer with error fails");
	ok(ps_cld_parse_answer(200, "x", 1, NULL, NULL, &err) ==
	    PS_E_BACKEND, "a chunk answer that is not JSON fails");
	ok(ps_cld_parse_answer(400, chunk, strlen(chunk), NULL, NULL,
	    &err) == PS_E_INVALID, "a refused chunk fails: %s", err.msg);
}

static void
cloudinary_errors_mapped(void)
{
	ok(cld(400, "{\"error\":{\"message\":\"File size too large. Got "
	    "10485761. Maximum is 10485760.\"}}") == PS_E_TOO_LARGE,
	    "400 File size too large: PS_E_TOO_LARGE");
	is_str(err.msg, "Cloudinary: HTTP 400: File size too large. Got "
	    "10485761. Maximum is 10485760.", "with the service's words");
	ok(res_untouched(), "a failure leaves res alone");
	ok(cld(400, "{\"error\":{\"message\":\"Stale request - reported "
	    "time is 2026-11-30 01:49:24 +0000 which is more than 1 hour "
	    "ago\"}}") == PS_E_CONFIG &&
	    strstr(err.msg, "(is the clock right?)") != NULL,
	    "400 Stale request: PS_E_CONFIG with a hint (%s)", err.msg);
	ok(cld(400, "{\"error\":{\"message\":\"Invalid image file\"}}") ==
	    PS_E_UNSUPPORTED, "400 Invalid image file: PS_E_UNSUPPORTED");
	ok(cld(400, "{\"error\":{\"message\":\"Empty file\"}}") ==
	    PS_E_UNSUPPORTED, "400 Empty file: PS_E_UNSUPPORTED");
	ok(cld(400, "{\"error\":{\"message\":\"Missing folder\"}}") ==
	    PS_E_INVALID, "another 400: PS_E_INVALID");
	ok(cld(401, "{\"error\":{\"message\":\"Invalid Signature 4fdf46. "
	    "String to sign - 'timestamp=1'.\"}}") == PS_E_CONFIG,
	    "401: PS_E_CONFIG");
	ok(cld(404, "{\"error\":{\"message\":\"cloud_name is disabled\"}}")
	    == PS_E_CONFIG, "404: PS_E_CONFIG");
	ok(cld(420, "{\"error\":{\"message\":\"Rate Limit Exceeded\"}}") ==
	    PS_E_BACKEND && strstr(err.msg, "rate limited") != NULL,
	    "420: PS_E_BACKEND, rate limited (%s)", err.msg);
	ok(cld(429, "{\"error\":{\"message\":\"x\"}}") == PS_E_BACKEND &&
	    strstr(err.msg, "rate limited") != NULL, "429 likewise");
	ok(cld(500, "{\"error\":{\"message\":\"General Error\"}}") ==
	    PS_E_BACKEND, "500: PS_E_BACKEND");
	ok(cld(200, "{\"error\":{\"message\":\"odd\"}}") == PS_E_BACKEND,
	    "a 200 with an error is an error");
	ok(cld(500, "{\"error\":\"not an object\"}") == PS_E_BACKEND,
	    "error not an object: no message to quote");
	is_str(err.msg, "Cloudinary: HTTP 500 without an error message",
	    "so none is quoted");
}

static void
cloudinary_unusable_answers(void)
{
	ok(cld(502, HTML_502) == PS_E_BACKEND,
	    "an HTML error page: PS_E_BACKEND");
	is_str(err.msg, "Cloudinary: HTTP 502 without an error message",
	    "nothing of the page in the message");
	ok(cld(200, "<html><body>hello</body></html>") == PS_E_BACKEND,
	    "a 200 HTML page fails");
	is_str(err.msg, "Cloudinary: HTTP 200 answer is not the expected "
	    "JSON", "as not the expected JSON");
	ok(cld(200, "{\"public_id\":\"x\",\"secure_url\":\"https://res.clo")
	    == PS_E_BACKEND && res_untouched(), "truncated JSON fails");
	ok(cld(200, CLD_OK " x") == PS_E_BACKEND,
	    "bytes after the JSON: not the expected JSON");
	ok(cld(200, "[" CLD_OK "]") == PS_E_BACKEND,
	    "an array is not the answer");
	ok(cld(200, "") == PS_E_BACKEND, "an empty 200 fails");
	ok(ps_cld_parse_answer(200, NULL, 0, &res, &ans, &err) ==
	    PS_E_BACKEND, "no body at all fails");
	ok(cld(200, "{\"existing\":true,\"public_id\":\"x\",\"secure_url\":"
	    "\"https://a/x\"}") == PS_E_CONFLICT && res_untouched(),
	    "existing: true is PS_E_CONFLICT");
	ok(cld(200, "{\"public_id\":\"x\",\"url\":\"http://a/x\"}") ==
	    PS_E_BACKEND, "no secure_url fails");
	ok(cld(200, "{\"public_id\":7,\"secure_url\":\"https://a/x\"}") ==
	    PS_E_BACKEND, "a public_id that is not a string fails");
}

/* The fuzz_storage_parse findings: regressions/fuzz_storage_parse/. */
static void
cloudinary_secure_url_checked(void)
{
	static const char *const bad[] = {
		"javascript:alert(1)",
		"ftp://a/x",
		"https://a/x y",
		"https://a/\\\"><script>",
		"https://a/x<",
		"https://res.cloudinary.com/demo/x\177.png",	/* DEL */
		"https://a/x.png\\u000b",
		"https://a/x.png\\u0001",
		"https://a/x.png\\u0000https://evil/",
	};
	char body[1200];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"public_id\":\"x\","
		    "\"secure_url\":\"%s\"}", bad[i]);
		ok(cld(200, body) == PS_E_BACKEND && res_untouched() &&
		    strcmp(err.msg, "Cloudinary: answer with an unusable "
		    "secure_url") == 0, "secure_url %zu refused (%s)", i,
		    err.msg);
	}
	ok(cld(200, "{\"public_id\":\"x\\u0000y\",\"secure_url\":"
	    "\"https://a/x\"}") == PS_E_BACKEND && res_untouched(),
	    "a public_id with a NUL inside is refused");
	memset(body, 'a', sizeof(body));
	i = (size_t)snprintf(body, sizeof(body), "{\"public_id\":\"x\","
	    "\"secure_url\":\"https://");
	body[i] = 'a';
	body[i + PS_STORAGE_URL_MAX - 8] = '\0';
	strcat(body, "\"}");
	ok(cld(200, body) == PS_E_BACKEND, "a secure_url of %d bytes is too "
	    "long", PS_STORAGE_URL_MAX);
	body[i + PS_STORAGE_URL_MAX - 9] = '\0';
	strcat(body, "\"}");
	ok(cld(200, body) == PS_OK && strlen(res.url) ==
	    PS_STORAGE_URL_MAX - 1, "one byte less fits");
	ok(cld(200, "{\"public_id\":\"x\",\"secure_url\":\"https://a/\\u00e9"
	    "\"}") == PS_OK, "UTF-8 in a secure_url is fine");
}

static void
messages_quoted_and_bounded(void)
{
	char body[2048];
	size_t n;

	ok(cld(400, "{\"error\":{\"message\":\"line\\nbreak\\u0007 end"
	    "\\r\"}}") == PS_E_INVALID, "a message with control bytes");
	is_str(err.msg, "Cloudinary: HTTP 400: line?break? end?",
	    "control bytes quoted as ?");
	memset(body, 0, sizeof(body));
	n = (size_t)snprintf(body, sizeof(body), "{\"error\":{\"message\":"
	    "\"");
	memset(body + n, 'A', 600);
	strcat(body, "\"}}");
	ok(cld(500, body) == PS_E_BACKEND, "a 600-byte message");
	ok(strlen(err.msg) == strlen("Cloudinary: HTTP 500: ") +
	    PS_STORAGE_QUOTE_MAX && strcmp(err.msg + strlen(err.msg) - 3,
	    "...") == 0, "cut to %d bytes with ... (%zu)",
	    PS_STORAGE_QUOTE_MAX, strlen(err.msg));
	ok(sb(400, "{\"statusCode\":\"403\",\"code\":\"AccessDenied\","
	    "\"secret\":\"sk_live_not_quoted\",\"message\":\"invalid "
	    "signature\"}") == PS_E_CONFIG &&
	    strstr(err.msg, "sk_live") == NULL,
	    "only the service's message and code are quoted (%s)", err.msg);
}

static void
supabase_answers_mapped(void)
{
	ok(sb(200, "{\"Id\":\"0b3c0a9e\",\"Key\":\"media/view-once/alice/"
	    "x.png\"}") == PS_OK, "supabase: 200 {\"Key\"} is PS_OK");
	ok(sb(200, "{\"Id\":\"0b3c0a9e\"}") == PS_E_BACKEND,
	    "200 without Key fails");
	is_str(err.msg, "Supabase: HTTP 200 answer is not the expected JSON",
	    "as not the expected JSON");
	ok(sb(200, "{\"Key\":7}") == PS_E_BACKEND, "a Key that is not a "
	    "string fails");
	ok(sb(201, "{\"Key\":\"a/b\"}") == PS_E_BACKEND, "PS_OK only for 200");
	ok(sb(400, "{\"statusCode\":\"409\",\"code\":\"KeyAlreadyExists\","
	    "\"error\":\"Duplicate\",\"message\":\"The resource already "
	    "exists\"}") == PS_E_CONFLICT, "400 statusCode \"409\": "
	    "PS_E_CONFLICT");
	is_str(err.msg, "Supabase: 409 KeyAlreadyExists: The resource "
	    "already exists", "with code and message");
	ok(sb(400, "{\"statusCode\":\"413\",\"code\":\"EntityTooLarge\","
	    "\"error\":\"Payload too large\",\"message\":\"The object "
	    "exceeded the maximum allowed size\"}") == PS_E_TOO_LARGE,
	    "400 statusCode \"413\": PS_E_TOO_LARGE");
	ok(sb(400, "{\"statusCode\":\"403\",\"code\":\"AccessDenied\","
	    "\"error\":\"Unauthorized\",\"message\":\"x\"}") == PS_E_CONFIG,
	    "400 statusCode \"403\": PS_E_CONFIG");
	ok(sb(400, "{\"statusCode\":\"404\",\"error\":\"Bucket not found\"}")
	    == PS_E_CONFIG, "400 statusCode \"404\" with error only: "
	    "PS_E_CONFIG");
	is_str(err.msg, "Supabase: 404 : Bucket not found",
	    "error stands in for message");
	ok(sb(400, "{\"statusCode\":413,\"error\":\"Payload too large\"}") ==
	    PS_E_TOO_LARGE, "an older server's number statusCode");
	ok(sb(400, "{\"statusCode\":\"400\",\"code\":\"InvalidKey\","
	    "\"message\":\"Invalid key\"}") == PS_E_INVALID,
	    "400 statusCode \"400\": PS_E_INVALID");
	ok(sb(400, "{\"message\":\"no statusCode\"}") == PS_E_INVALID,
	    "400 without statusCode: PS_E_INVALID");
	ok(sb(500, "{\"statusCode\":\"409\",\"message\":\"Internal\"}") ==
	    PS_E_BACKEND, "500 stays 500 whatever statusCode says");
	ok(sb(429, "{\"message\":\"Too many requests\"}") == PS_E_BACKEND,
	    "429: PS_E_BACKEND");
	ok(sb(400, "{\"statusCode\":\"99999999999999999999999\","
	    "\"message\":\"x\"}") == PS_E_BACKEND, "a huge statusCode: "
	    "PS_E_BACKEND (%s)", err.msg);
	ok(sb(502, HTML_502) == PS_E_BACKEND, "an HTML error page");
	is_str(err.msg, "Supabase: HTTP 502 without an error message",
	    "nothing of the page in the message");
	ok(sb(400, "{\"statusCode\":\"409\",\"code\":\"KeyAlre") ==
	    PS_E_BACKEND, "truncated JSON: PS_E_BACKEND");
	ok(ps_sb_parse_answer(400, NULL, 0, &err) == PS_E_BACKEND,
	    "no body: PS_E_BACKEND");
}

static void
supabase_list_read(void)
{
	const char *rows = "[{\"name\":\"dir\",\"id\":null},{\"name\":"
	    "\"x.png\",\"id\":\"0b3c\",\"metadata\":{\"size\":68}}] \n";
	json_object *j;
	ps_code rc;

	rc = ps_sb_parse_list(200, rows, strlen(rows), &j, &err);
	ok(rc == PS_OK && j != NULL &&
	    json_object_is_type(j, json_type_array) &&
	    json_object_array_length(j) == 2, "supabase list: 200 array");
	json_object_put(j);
	ok(ps_sb_parse_list(200, "[]", 2, &j, &err) == PS_OK && j != NULL &&
	    json_object_array_length(j) == 0, "an empty list");
	json_object_put(j);
	rows = "{\"statusCode\":\"404\",\"error\":\"Bucket not found\","
	    "\"message\":\"Bucket not found\"}";
	ok(ps_sb_parse_list(400, rows, strlen(rows), &j, &err) ==
	    PS_E_CONFIG && j == NULL, "400 \"404\": PS_E_CONFIG, no rows");
	ok(ps_sb_parse_list(200, rows, strlen(rows), &j, &err) ==
	    PS_E_BACKEND && j == NULL, "a 200 object is not a list");
	ok(ps_sb_parse_list(500, "[]", 2, &j, &err) == PS_E_BACKEND &&
	    j == NULL, "a 500 array is not a list");
	ok(ps_sb_parse_list(200, "[] x", 4, &j, &err) == PS_E_BACKEND &&
	    j == NULL, "bytes after the array fail");
	ok(ps_sb_parse_list(200, NULL, 0, &j, &err) == PS_E_BACKEND &&
	    j == NULL, "no body fails");
}

static void
json_parse_whole_body(void)
{
	/* Not NUL-terminated: only len bytes are read. */
	static const char obj[] = { '{', '"', 'a', '"', ':', '1', '}', ' ',
	    'x' };
	json_object *j;

	j = ps_shttp_json_parse(obj, 8, json_type_object);
	ok(j != NULL, "an object and a blank, without a NUL after them");
	json_object_put(j);
	ok(ps_shttp_json_parse(obj, 9, json_type_object) == NULL,
	    "a byte after the object: NULL");
	ok(ps_shttp_json_parse(obj, 8, json_type_array) == NULL,
	    "another type: NULL");
	ok(ps_shttp_json_parse("{}\0", 3, json_type_object) == NULL,
	    "a NUL after the object: NULL");
	ok(ps_shttp_json_parse("{\"a\":\0}", 6, json_type_object) == NULL,
	    "a NUL inside: NULL");
	ok(ps_shttp_json_parse(NULL, 0, json_type_object) == NULL,
	    "nothing: NULL");
	ok(ps_shttp_json_parse("{\"a\"", 4, json_type_object) == NULL,
	    "truncated: NULL");
	j = ps_shttp_json_parse("[1,2]\r\n", 7, json_type_array);
	ok(j != NULL && json_object_array_length(j) == 2, "an array");
	json_object_put(j);
}

int
main(void)
{
	cloudinary_success_read();
	cloudinary_chunk_answers();
	cloudinary_errors_mapped();
	cloudinary_unusable_answers();
	cloudinary_secure_url_checked();
	messages_quoted_and_bounded();
	supabase_answers_mapped();
	supabase_list_read();
	json_parse_whole_body();
	return tap_done();
}
