/*
 * ps_storage_supabase.c - the Supabase Storage backend (PROTOCOLS.md,
 * "Supabase Storage REST API").
 *
 * POST <SUPABASE_URL>/storage/v1/object/<bucket>/<kind>/<user>/<name>
 * with the service role key (Authorization: Bearer and apikey), the
 * detected Content-Type, cache-control: max-age=3600 and x-upsert: false;
 * the body is the raw bytes, streamed from the spool with a known
 * Content-Length.  The object's URL is the bucket's public URL.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ps_log.h"
#include "ps_migrate_io.h"
#include "ps_storage.h"
#include "ps_storage_http.h"
#include "ps_storage_parse.h"
#include "ps_util.h"

#define WHO "Supabase"
#define URL_MAX_LEN 512
#define KEY_MAX_LEN 4096
#define BUCKET_MAX_LEN 63

struct sb {
	ps_shttp *http;
	char base[URL_MAX_LEN];		/* SUPABASE_URL without a final / */
	char bucket[BUCKET_MAX_LEN + 1];
	char *auth;			/* "Authorization: Bearer <key>" */
	char *apikey;			/* "apikey: <key>" */
};

static void
sb_close(void *state)
{
	struct sb *s = state;

	if (s == NULL)
		return;
	ps_shttp_free(s->http);
	if (s->auth != NULL) {
		ps_wipe(s->auth, strlen(s->auth));
		free(s->auth);
	}
	if (s->apikey != NULL) {
		ps_wipe(s->apikey, strlen(s->apikey));
		free(s->apikey);
	}
	free(s);
}

static int
bucket_ok(const char *b)
{
	return ps_charset_ok(b, BUCKET_MAX_LEN, PS_CS_ALNUM "_.-") &&
	    strcmp(b, ".") != 0 && strcmp(b, "..") != 0;
}

static int
key_ok(const char *k)
{
	size_t i;

	for (i = 0; k[i] != '\0'; i++)
		if (i == KEY_MAX_LEN || (unsigned char)k[i] <= 0x20 ||
		    (unsigned char)k[i] >= 0x7f)
			return 0;
	return i > 0;
}

static char *
header(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *h = malloc(n);

	if (h != NULL)
		snprintf(h, n, "%s: %s", name, value);
	return h;
}

static ps_code
sb_open(void **state, const ps_config *cfg, const char **missing,
    ps_err *err)
{
	const char *url = ps_config_str(cfg, PS_CFG_SUPABASE_URL);
	const char *key = ps_config_str(cfg, PS_CFG_SUPABASE_SERVICE_ROLE_KEY);
	const char *bucket = ps_config_str(cfg, PS_CFG_SUPABASE_BUCKET);
	char bearer[KEY_MAX_LEN + 16];
	struct sb *s;
	size_t n;
	ps_code rc;

	*state = NULL;
	*missing = NULL;
	if (url == NULL && key == NULL)
		return PS_OK;
	if (url == NULL) {
		*missing = "SUPABASE_URL is not set";
		return PS_OK;
	}
	if (key == NULL) {
		*missing = "SUPABASE_SERVICE_ROLE_KEY is not set";
		return PS_OK;
	}
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if ((strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0) || n >= URL_MAX_LEN - 200 ||
	    strpbrk(url, "?# \t\r\n") != NULL)
		return ps_err_set(err, PS_E_CONFIG, "SUPABASE_URL must be an "
		    "http(s) URL such as https://<project>.supabase.co");
	if (bucket == NULL || !bucket_ok(bucket))
		return ps_err_set(err, PS_E_CONFIG, "SUPABASE_BUCKET must be "
		    "1 to %d of A-Z a-z 0-9 _ . -", BUCKET_MAX_LEN);
	if (!key_ok(key))
		return ps_err_set(err, PS_E_CONFIG,
		    "SUPABASE_SERVICE_ROLE_KEY must be 1 to %d printable "
		    "characters", KEY_MAX_LEN);
	ps_log_add_secret(key);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	memcpy(s->base, url, n);
	s->base[n] = '\0';
	snprintf(s->bucket, sizeof(s->bucket), "%s", bucket);
	snprintf(bearer, sizeof(bearer), "Bearer %s", key);
	s->auth = header("Authorization", bearer);
	s->apikey = header("apikey", key);
	ps_wipe(bearer, sizeof(bearer));
	if (s->auth == NULL || s->apikey == NULL) {
		sb_close(s);
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	}
	if ((rc = ps_shttp_new(&s->http, cfg, err)) != PS_OK) {
		sb_close(s);
		return rc;
	}
	*state = s;
	return PS_OK;
}

/*
 * The storage server answers almost every error with HTTP 400 and the
 * real code as a string in "statusCode" (PROTOCOLS.md); 500 stays 500
 * and overload is 429.  Older servers send a number: both are read.
 */
static ps_code
answer_error(long status, json_object *j, ps_err *err)
{
	const char *msg = ps_shttp_json_str(j, "message"), *code = ps_shttp_json_str(j, "code");
	char q[PS_STORAGE_QUOTE_MAX + 1], qc[PS_STORAGE_QUOTE_CODE_MAX + 1];
	json_object *v;
	long sc = 0;

	if (j != NULL && json_object_object_get_ex(j, "statusCode", &v)) {
		if (json_object_is_type(v, json_type_string))
			sc = strtol(json_object_get_string(v), NULL, 10);
		else if (json_object_is_type(v, json_type_int))
			sc = (long)json_object_get_int64(v);
	}
	if (msg == NULL)
		msg = ps_shttp_json_str(j, "error");
	if (msg == NULL) {
		if (status >= 200 && status < 300)
			return ps_err_set(err, PS_E_BACKEND, WHO ": HTTP %ld "
			    "answer is not the expected JSON", status);
		return ps_err_set(err, PS_E_BACKEND,
		    WHO ": HTTP %ld without an error message", status);
	}
	ps_shttp_quote(q, sizeof(q), msg, PS_STORAGE_QUOTE_MAX);
	ps_shttp_quote(qc, sizeof(qc), code != NULL ? code : "",
	    PS_STORAGE_QUOTE_CODE_MAX);
	if (sc == 0 || status != 400)
		sc = status;
	switch (sc) {
	case 409:
		return ps_err_set(err, PS_E_CONFLICT, WHO ": 409 %s: %s", qc,
		    q);
	case 413:
		return ps_err_set(err, PS_E_TOO_LARGE, WHO ": 413 %s: %s", qc,
		    q);
	case 400:
		return ps_err_set(err, PS_E_INVALID, WHO ": 400 %s: %s", qc,
		    q);
	case 401:
	case 403:
	case 404:
		/* Bad key or no such bucket: the configuration. */
		return ps_err_set(err, PS_E_CONFIG, WHO ": %ld %s: %s", sc, qc,
		    q);
	default:
		return ps_err_set(err, PS_E_BACKEND, WHO ": %ld %s: %s", sc,
		    qc, q);
	}
}

ps_code
ps_sb_parse_answer(long status, const char *body, size_t len, ps_err *err)
{
	json_object *j;
	ps_code rc;

	j = ps_shttp_json_parse(body, len, json_type_object);
	if (status != 200 || ps_shttp_json_str(j, "Key") == NULL)
		rc = answer_error(status, j, err);
	else
		rc = PS_OK;
	json_object_put(j);
	return rc;
}

ps_code
ps_sb_parse_list(long status, const char *body, size_t len,
    json_object **rows, ps_err *err)
{
	json_object *j;
	ps_code rc;

	*rows = NULL;
	if (status == 200 &&
	    (*rows = ps_shttp_json_parse(body, len, json_type_array)) != NULL)
		return PS_OK;
	j = ps_shttp_json_parse(body, len, json_type_object);
	rc = answer_error(status, j, err);
	json_object_put(j);
	return rc;
}

static ps_code
sb_store(void *state, ps_spool *spool, const ps_storage_object *obj,
    ps_storage_result *res, ps_err *err)
{
	struct sb *s = state;
	char url[URL_MAX_LEN + PS_STORAGE_PATH_MAX + 64], ctype[96];
	const char *fixed[4];
	struct curl_slist *headers = NULL, *l;
	ps_shttp_range range;
	const char *body;
	CURL *easy = NULL;
	long status;
	size_t i, len;
	ps_code rc;
	int bad = 0;

	/* The path is kind/user/name: all of [A-Za-z0-9_.-] and '/', so
	 * nothing needs escaping. */
	snprintf(url, sizeof(url), "%s/storage/v1/object/%s/%s", s->base,
	    s->bucket, obj->path);
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", obj->mime);
	fixed[0] = s->auth;
	fixed[1] = s->apikey;
	fixed[2] = "cache-control: max-age=3600";
	/* Only the exact string "true" upserts; never replace. */
	fixed[3] = "x-upsert: false";
	for (i = 0; i < 5 && !bad; i++) {
		l = curl_slist_append(headers, i < 4 ? fixed[i] : ctype);
		if (l == NULL)
			bad = 1;
		else
			headers = l;
	}
	if (bad) {
		rc = ps_err_set(err, PS_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = ps_shttp_begin(s->http, url, &easy, err)) != PS_OK)
		goto out;
	ps_shttp_range_init(&range, spool, 0, obj->bytes);
	bad |= curl_easy_setopt(easy, CURLOPT_POST, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_READFUNCTION,
	    ps_shttp_range_read) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_READDATA, &range) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION,
	    ps_shttp_range_seek) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_SEEKDATA, &range) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)obj->bytes) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers) !=
	    CURLE_OK;
	if (bad) {
		rc = ps_err_set(err, PS_E_INTERNAL,
		    "libcurl refused an option");
		goto out;
	}
	if ((rc = ps_shttp_perform(s->http, WHO, &status, err)) != PS_OK)
		goto out;
	body = ps_shttp_body(s->http, &len);
	if ((rc = ps_sb_parse_answer(status, body, len, err)) != PS_OK)
		goto out;
	snprintf(res->url, sizeof(res->url),
	    "%s/storage/v1/object/public/%s/%s", s->base, s->bucket,
	    obj->path);
	snprintf(res->public_id, sizeof(res->public_id), "%s/%s", s->bucket,
	    obj->path);
	rc = PS_OK;
out:
	if (easy != NULL) {
		(void)curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
		(void)curl_easy_setopt(easy, CURLOPT_READDATA, NULL);
	}
	curl_slist_free_all(headers);
	return rc;
}

void
ps_supabase_conn_of(void *state, ps_supabase_conn *out)
{
	struct sb *s = state;

	out->http = s->http;
	out->base = s->base;
	out->bucket = s->bucket;
	out->auth = s->auth;
	out->apikey = s->apikey;
}

const ps_storage_backend ps_storage_supabase = {
	"supabase", "SupabaseStorage", "Supabase", 1,
	sb_open, sb_store, sb_close
};
