/*
 * fuzz_storage_answer.c - the answers of the storage services as the
 * Cloudinary and Supabase backends read them (lib/ps_storage_http.c).
 *
 * What is public today is the shared plumbing: the answer read into a
 * fixed buffer (ps_shttp_perform), its JSON (ps_shttp_json) and the
 * quoting of service messages (ps_shttp_quote).  The answer is fed
 * through libcurl from a memfd with a file:// URL (the only option
 * changed after ps_shttp_begin), so no network is involved.  The
 * backends' own answer parsing (ps_cld_parse_answer, ps_sb_parse_answer,
 * ps_sb_parse_list in lib/ps_storage_parse.h) has its own harness,
 * fuzz_storage_parse.c.
 *
 * Input: byte 0 picks a small quote buffer; the rest is the answer body.
 *
 * Invariants:
 *  - an answer over PS_STORAGE_MAX_ANSWER bytes fails the request
 *    (PS_E_BACKEND), a shorter one is read back byte for byte and
 *    NUL-terminated;
 *  - ps_shttp_json gives an object only for a body that is one JSON
 *    object and blanks, without a NUL;
 *  - the messages the backends quote from it (error.message, message,
 *    error, code, statusCode), quoted at their sizes and at any small
 *    size, are NUL-terminated within the buffer, no longer than asked,
 *    free of control bytes, and the text itself when it fits.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json.h>

#include "ps_config.h"
#include "ps_storage.h"
#include "ps_storage_http.h"
#include "fuzz_common.h"

static ps_shttp *http;
static int memfd = -1;
static char file_url[80];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *envp[1] = { NULL };
	ps_config *cfg;
	ps_err err;

	(void)argc;
	(void)argv;
	ps_log_set_level(PS_LOG_OFF);
	if (ps_config_load_from(&cfg, envp, "", &err) != PS_OK ||
	    ps_shttp_new(&http, cfg, &err) != PS_OK) {
		fprintf(stderr, "fuzz_storage_answer: %s\n", err.msg);
		exit(2);
	}
	ps_config_free(cfg);
	memfd = memfd_create("fuzz-answer", 0);
	if (memfd < 0) {
		perror("memfd_create");
		exit(2);
	}
	snprintf(file_url, sizeof(file_url), "file:///proc/self/fd/%d",
	    memfd);
	return 0;
}

static void
check_quote(const char *s, size_t sz, size_t max)
{
	char *out = malloc(sz);
	size_t n, i, lim, slen = strlen(s);

	if (out == NULL)
		abort();
	memset(out, 'Z', sz);
	ps_shttp_quote(out, sz, s, max);
	n = strnlen(out, sz);
	FUZZ_CHECK(n < sz, "quote not terminated in %zu bytes", sz);
	lim = max < sz - 1 ? max : sz - 1;
	FUZZ_CHECK(n <= lim, "quote of %zu bytes, at most %zu asked", n,
	    lim);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)out[i] >= 0x20 &&
		    (unsigned char)out[i] != 0x7f, "control byte quoted");
	if (slen <= lim) {
		FUZZ_CHECK(n == slen, "a fitting message was cut");
		for (i = 0; i < n; i++)
			FUZZ_CHECK(out[i] == s[i] || (out[i] == '?' &&
			    ((unsigned char)s[i] < 0x20 ||
			    (unsigned char)s[i] == 0x7f)), "quote changed "
			    "byte %zu", i);
	} else if (n >= 3)
		FUZZ_CHECK(memcmp(out + n - 3, "...", 3) == 0,
		    "a cut message without \"...\"");
	free(out);
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body, *msg[6];
	json_object *j, *e, *again;
	json_tokener *tok;
	size_t blen, i, end, small;
	CURL *easy;
	long status;
	ps_err err;
	ps_code rc;

	if (size < 1)
		return 0;
	small = 1 + data[0] % 48;
	data++;
	size--;
	if (ftruncate(memfd, 0) != 0 ||
	    pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	if (ps_shttp_begin(http, "http://127.0.0.1:9/", &easy, &err) !=
	    PS_OK)
		abort();
#if LIBCURL_VERSION_NUM >= 0x075500
	if (curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "file") !=
	    CURLE_OK)
		abort();
#else
	if (curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long)CURLPROTO_FILE)
	    != CURLE_OK)
		abort();
#endif
	if (curl_easy_setopt(easy, CURLOPT_URL, file_url) != CURLE_OK)
		abort();
	rc = ps_shttp_perform(http, "Fuzz", &status, &err);
	if (size > PS_STORAGE_MAX_ANSWER) {
		FUZZ_CHECK(rc == PS_E_BACKEND, "an answer of %zu bytes: %d",
		    size, (int)rc);
		fuzz_check_err_msg(&err);
		return 0;
	}
	FUZZ_CHECK(rc == PS_OK, "reading %zu bytes: %s", size, err.msg);
	body = ps_shttp_body(http, &blen);
	FUZZ_CHECK(blen == size && memcmp(body, data, size) == 0 &&
	    body[blen] == '\0', "the answer read is not the answer sent");

	j = ps_shttp_json(http);
	if (j == NULL)
		return 0;
	FUZZ_CHECK(json_object_is_type(j, json_type_object), "not an object");
	FUZZ_CHECK(memchr(data, '\0', size) == NULL, "JSON with a NUL");
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	again = json_tokener_parse_ex(tok, body, (int)blen);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < blen && strchr(" \t\r\n", body[end]) != NULL)
		end++;
	FUZZ_CHECK(again != NULL && end == blen, "JSON with trailing bytes");
	json_object_put(again);

	/* What the backends quote from an answer. */
	msg[0] = NULL;
	if (json_object_object_get_ex(j, "error", &e) &&
	    json_object_is_type(e, json_type_object))
		msg[0] = jstr(e, "message");
	msg[1] = jstr(j, "message");
	msg[2] = jstr(j, "error");
	msg[3] = jstr(j, "code");
	msg[4] = jstr(j, "statusCode");
	msg[5] = jstr(j, "secure_url");
	for (i = 0; i < 6; i++) {
		if (msg[i] == NULL)
			continue;
		check_quote(msg[i], 161, 160);
		check_quote(msg[i], 48, 40);
		check_quote(msg[i], small, 160);
	}
	json_object_put(j);
	return 0;
}
