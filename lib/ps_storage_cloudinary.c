/*
 * ps_storage_cloudinary.c - the Cloudinary backend: signed uploads to
 * the Upload API (PROTOCOLS.md, "Cloudinary Upload API").
 *
 * POST <CLOUDINARY_API_URL>/v1_1/<cloud>/<resource_type>/upload as
 * multipart/form-data: api_key, timestamp, folder (<kind>/<userId>),
 * public_id, overwrite=0, signature, then the file part, streamed from
 * the spool.  Files larger than CLOUDINARY_CHUNKED_ABOVE go up in
 * CLOUDINARY_CHUNK_SIZE chunks (X-Unique-Upload-Id, Content-Range), each
 * a complete signed request with a fresh timestamp, one after the other
 * so the last chunk is sent only once all the others were accepted.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ps_cloudinary_sign.h"
#include "ps_log.h"
#include "ps_migrate_io.h"
#include "ps_storage.h"
#include "ps_storage_http.h"
#include "ps_storage_parse.h"
#include "ps_util.h"

#define WHO "Cloudinary"
#define NAME_MAX_LEN 128
#define URL_MAX_LEN 512

struct cld {
	ps_shttp *http;
	char cloud[NAME_MAX_LEN + 1];
	char key[NAME_MAX_LEN + 1];
	char secret[PS_CLD_MAX_SECRET + 1];
	char api_url[URL_MAX_LEN];
	ps_cld_algo algo;
	uint64_t chunked_above;
	uint64_t chunk_size;
};

static int
word_ok(const char *s)
{
	return ps_charset_ok(s, NAME_MAX_LEN, PS_CS_ALNUM "_-");
}

static int
secret_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i == PS_CLD_MAX_SECRET || (unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] == 0x7f)
			return 0;
	return i > 0;
}


/*
 * CLOUDINARY_URL: cloudinary://API_KEY:API_SECRET@CLOUD_NAME[?...], the
 * SDKs' format.  The message never quotes the value (it holds the
 * secret).
 */
static ps_code
parse_url(struct cld *c, const char *url, ps_err *err)
{
	static const char scheme[] = "cloudinary://";
	const char *auth, *at, *colon, *host, *end;

	if (strncasecmp(url, scheme, sizeof(scheme) - 1) != 0)
		goto bad;
	auth = url + sizeof(scheme) - 1;
	end = auth + strcspn(auth, "?#/");
	at = NULL;
	for (host = auth; host < end; host++)
		if (*host == '@')
			at = host;
	if (at == NULL)
		goto bad;
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon == NULL || colon == auth || colon + 1 == at)
		goto bad;
	if (ps_pct_decode(auth, (size_t)(colon - auth), c->key,
	    sizeof(c->key)) < 0 ||
	    ps_pct_decode(colon + 1, (size_t)(at - colon - 1), c->secret,
	    sizeof(c->secret)) < 0 ||
	    (size_t)(end - at - 1) >= sizeof(c->cloud))
		goto bad;
	memcpy(c->cloud, at + 1, (size_t)(end - at - 1));
	c->cloud[end - at - 1] = '\0';
	if (!word_ok(c->key) || !secret_ok(c->secret) || !word_ok(c->cloud))
		goto bad;
	return PS_OK;
bad:
	ps_wipe(c->secret, sizeof(c->secret));
	return ps_err_set(err, PS_E_CONFIG, "CLOUDINARY_URL must look like "
	    "cloudinary://API_KEY:API_SECRET@CLOUD_NAME");
}

static void
cld_close(void *state)
{
	struct cld *c = state;

	if (c == NULL)
		return;
	ps_shttp_free(c->http);
	ps_wipe(c, sizeof(*c));
	free(c);
}

static ps_code
cld_open(void **state, const ps_config *cfg, const char **missing,
    ps_err *err)
{
	const char *url = ps_config_str(cfg, PS_CFG_CLOUDINARY_URL);
	const char *cloud = ps_config_str(cfg, PS_CFG_CLOUDINARY_CLOUD_NAME);
	const char *key = ps_config_str(cfg, PS_CFG_CLOUDINARY_API_KEY);
	const char *secret = ps_config_str(cfg, PS_CFG_CLOUDINARY_API_SECRET);
	const char *api = ps_config_str(cfg, PS_CFG_CLOUDINARY_API_URL);
	const char *algo = ps_config_str(cfg,
	    PS_CFG_CLOUDINARY_SIGNATURE_ALGORITHM);
	struct cld *c;
	size_t n;
	ps_code rc;

	*state = NULL;
	*missing = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	if (url != NULL && (rc = parse_url(c, url, err)) != PS_OK)
		goto fail;
	/* Each of the three variables wins over its part of the URL. */
	if (cloud != NULL)
		snprintf(c->cloud, sizeof(c->cloud), "%s", cloud);
	if (key != NULL)
		snprintf(c->key, sizeof(c->key), "%s", key);
	if (secret != NULL) {
		if (strlen(secret) > PS_CLD_MAX_SECRET) {
			rc = ps_err_set(err, PS_E_CONFIG,
			    "CLOUDINARY_API_SECRET is longer than %d bytes",
			    PS_CLD_MAX_SECRET);
			goto fail;
		}
		snprintf(c->secret, sizeof(c->secret), "%s", secret);
	}
	if (c->cloud[0] == '\0' && c->key[0] == '\0' &&
	    c->secret[0] == '\0') {
		cld_close(c);
		return PS_OK;
	}
	if (c->cloud[0] == '\0')
		*missing = "CLOUDINARY_CLOUD_NAME is not set";
	else if (c->key[0] == '\0')
		*missing = "CLOUDINARY_API_KEY is not set";
	else if (c->secret[0] == '\0')
		*missing = "CLOUDINARY_API_SECRET is not set";
	if (*missing != NULL) {
		cld_close(c);
		return PS_OK;
	}
	if (!word_ok(c->cloud) || !word_ok(c->key) || !secret_ok(c->secret)) {
		rc = ps_err_set(err, PS_E_CONFIG, "CLOUDINARY_CLOUD_NAME and "
		    "CLOUDINARY_API_KEY must be 1 to %d of A-Z a-z 0-9 _ -, "
		    "CLOUDINARY_API_SECRET 1 to %d printable characters",
		    NAME_MAX_LEN, PS_CLD_MAX_SECRET);
		goto fail;
	}
	ps_log_add_secret(c->secret);
	if (strcasecmp(algo, "sha1") == 0)
		c->algo = PS_CLD_SHA1;
	else if (strcasecmp(algo, "sha256") == 0)
		c->algo = PS_CLD_SHA256;
	else {
		rc = ps_err_set(err, PS_E_CONFIG,
		    "CLOUDINARY_SIGNATURE_ALGORITHM must be sha1 or sha256");
		goto fail;
	}
	n = strlen(api);
	while (n > 0 && api[n - 1] == '/')
		n--;
	if ((strncasecmp(api, "https://", 8) != 0 &&
	    strncasecmp(api, "http://", 7) != 0) || n >= URL_MAX_LEN - 128 ||
	    strpbrk(api, "?# \t\r\n") != NULL) {
		rc = ps_err_set(err, PS_E_CONFIG, "CLOUDINARY_API_URL must be "
		    "an http(s) URL without query, e.g. "
		    "https://api.cloudinary.com");
		goto fail;
	}
	memcpy(c->api_url, api, n);
	c->api_url[n] = '\0';
	c->chunked_above = (uint64_t)ps_config_int(cfg,
	    PS_CFG_CLOUDINARY_CHUNKED_ABOVE);
	c->chunk_size = (uint64_t)ps_config_int(cfg,
	    PS_CFG_CLOUDINARY_CHUNK_SIZE);
	if ((rc = ps_shttp_new(&c->http, cfg, err)) != PS_OK)
		goto fail;
	*state = c;
	return PS_OK;
fail:
	cld_close(c);
	return rc;
}

/*
 * A failed answer as an error: PROTOCOLS.md lists 400 (bad request, size,
 * stale timestamp), 401 (key, signature), 404, 420/429, 500, each with
 * {"error":{"message"}}.  The message is the service's, cut short; it
 * holds no secret (a 401 quotes the string to sign, which has none).
 */
static ps_code
answer_error(long status, json_object *j, ps_err *err)
{
	json_object *e, *m;
	const char *msg = NULL;
	char q[PS_STORAGE_QUOTE_MAX + 1];

	if (j != NULL && json_object_object_get_ex(j, "error", &e) &&
	    json_object_is_type(e, json_type_object) &&
	    json_object_object_get_ex(e, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		msg = json_object_get_string(m);
	if (msg == NULL) {
		if (status >= 200 && status < 300)
			return ps_err_set(err, PS_E_BACKEND, WHO ": HTTP %ld "
			    "answer is not the expected JSON", status);
		return ps_err_set(err, PS_E_BACKEND,
		    WHO ": HTTP %ld without an error message", status);
	}
	ps_shttp_quote(q, sizeof(q), msg, PS_STORAGE_QUOTE_MAX);
	if (status == 400) {
		if (strncmp(msg, "File size too large", 19) == 0)
			return ps_err_set(err, PS_E_TOO_LARGE,
			    WHO ": HTTP 400: %s", q);
		if (strncmp(msg, "Stale request", 13) == 0)
			return ps_err_set(err, PS_E_CONFIG, WHO ": HTTP 400: "
			    "%s (is the clock right?)", q);
		if (strncmp(msg, "Invalid image file", 18) == 0 ||
		    strncmp(msg, "Unsupported video format", 24) == 0 ||
		    strncmp(msg, "Empty file", 10) == 0)
			return ps_err_set(err, PS_E_UNSUPPORTED,
			    WHO ": HTTP 400: %s", q);
		return ps_err_set(err, PS_E_INVALID, WHO ": HTTP 400: %s", q);
	}
	if (status == 401 || status == 403 || status == 404)
		return ps_err_set(err, PS_E_CONFIG, WHO ": HTTP %ld: %s",
		    status, q);
	if (status == 420 || status == 429)
		return ps_err_set(err, PS_E_BACKEND, WHO ": HTTP %ld, rate "
		    "limited: %s", status, q);
	return ps_err_set(err, PS_E_BACKEND, WHO ": HTTP %ld: %s", status, q);
}

struct chunk {
	const char *upload_id;	/* NULL: not chunked */
	uint64_t start, end, total;
};

/* One signed upload request of [ch->start, ch->end) of the spool and
 * its answer, read by ps_cld_parse_answer (res NULL: an intermediate
 * chunk). */
static ps_code
request(struct cld *c, ps_spool *spool, const ps_storage_object *obj,
    const struct chunk *ch, int overwrite, ps_storage_result *res,
    ps_cld_answer *ans, ps_err *err)
{
	char url[URL_MAX_LEN + 128], folder[PS_STORAGE_PATH_MAX];
	char ts[24], sig[PS_CLD_HEX_SIZE], hdr[2][128];
	struct curl_slist *headers = NULL, *l;
	ps_cld_params *params = NULL;
	ps_shttp_range range;
	curl_mimepart *part;
	curl_mime *mime = NULL;
	const char *k, *v, *body;
	CURL *easy = NULL;
	long status;
	size_t i, len;
	ps_code rc;
	int bad = 0;

	snprintf(url, sizeof(url), "%s/v1_1/%s/%s/upload", c->api_url,
	    c->cloud, obj->resource_type);
	snprintf(folder, sizeof(folder), "%s/%s", obj->kind, obj->user);
	/* A fresh timestamp for every request, chunks included: a
	 * signature is valid for an hour and a large upload can take long. */
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if ((rc = ps_cld_params_new(&params, err)) != PS_OK)
		return rc;
	/* Raw assets keep the extension in their public_id, as the SDKs'
	 * do; images and videos get theirs from the format. */
	if ((rc = ps_cld_params_add(params, "api_key", c->key, err)) !=
	    PS_OK ||
	    (rc = ps_cld_params_add(params, "timestamp", ts, err)) != PS_OK ||
	    (rc = ps_cld_params_add(params, "folder", folder, err)) !=
	    PS_OK ||
	    (rc = ps_cld_params_add(params, "public_id",
	    strcmp(obj->resource_type, "raw") == 0 ? obj->name : obj->stem,
	    err)) != PS_OK ||
	    (rc = ps_cld_params_add(params, "overwrite",
	    overwrite ? "1" : "0", err)) !=
	    PS_OK ||
	    (rc = ps_cld_sign_upload(params, c->secret, c->algo, sig, err)) !=
	    PS_OK)
		goto out;
	if ((rc = ps_shttp_begin(c->http, url, &easy, err)) != PS_OK)
		goto out;
	if ((mime = curl_mime_init(easy)) == NULL) {
		rc = ps_err_set(err, PS_E_NOMEM, "out of memory (libcurl)");
		goto out;
	}
	/* The fields sent are exactly the ones signed (plus the signature
	 * and api_key), from the same list. */
	for (i = 0; ps_cld_params_at(params, i, &k, &v); i++) {
		if (v == NULL || *v == '\0')
			continue;
		part = curl_mime_addpart(mime);
		bad |= part == NULL ||
		    curl_mime_name(part, k) != CURLE_OK ||
		    curl_mime_data(part, v, CURL_ZERO_TERMINATED) != CURLE_OK;
	}
	part = curl_mime_addpart(mime);
	bad |= part == NULL || curl_mime_name(part, "signature") != CURLE_OK ||
	    curl_mime_data(part, sig, CURL_ZERO_TERMINATED) != CURLE_OK;
	/* The file part: read from the spool as libcurl sends it. */
	ps_shttp_range_init(&range, spool, ch->start, ch->end);
	part = curl_mime_addpart(mime);
	bad |= part == NULL || curl_mime_name(part, "file") != CURLE_OK ||
	    curl_mime_filename(part, obj->name) != CURLE_OK ||
	    curl_mime_type(part, "application/octet-stream") != CURLE_OK ||
	    curl_mime_data_cb(part, (curl_off_t)(ch->end - ch->start),
	    ps_shttp_range_read, ps_shttp_range_seek, NULL, &range) !=
	    CURLE_OK;
	if (ch->upload_id != NULL) {
		snprintf(hdr[0], sizeof(hdr[0]), "X-Unique-Upload-Id: %s",
		    ch->upload_id);
		snprintf(hdr[1], sizeof(hdr[1]),
		    "Content-Range: bytes %llu-%llu/%llu",
		    (unsigned long long)ch->start,
		    (unsigned long long)(ch->end - 1),
		    (unsigned long long)ch->total);
		for (i = 0; i < 2 && !bad; i++) {
			if ((l = curl_slist_append(headers, hdr[i])) == NULL)
				bad = 1;
			else
				headers = l;
		}
		bad |= curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers) !=
		    CURLE_OK;
	}
	bad |= curl_easy_setopt(easy, CURLOPT_MIMEPOST, mime) != CURLE_OK;
	if (bad) {
		rc = ps_err_set(err, PS_E_NOMEM,
		    "out of memory (libcurl form)");
		goto out;
	}
	if ((rc = ps_shttp_perform(c->http, WHO, &status, err)) != PS_OK)
		goto out;
	body = ps_shttp_body(c->http, &len);
	rc = ps_cld_parse_answer(status, body, len, res, ans, err);
out:
	/* The handle would keep pointers to these until its next reset. */
	if (easy != NULL) {
		(void)curl_easy_setopt(easy, CURLOPT_MIMEPOST, NULL);
		(void)curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
	}
	curl_mime_free(mime);
	curl_slist_free_all(headers);
	ps_cld_params_free(params);
	return rc;
}

/*
 * A secure_url we hand on (Location header, HTML, JSON): http(s), no
 * byte that ends or breaks it there (a blank, a control byte, a NUL
 * inside the JSON string), no quote or angle bracket, and it fits.
 */
static int
url_usable(const char *url, size_t len, size_t sz)
{
	size_t i;
	unsigned char c;

	if ((strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0) || len >= sz)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)url[i];
		if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' ||
		    c == '>')
			return 0;
	}
	return 1;
}

/* A 200 answer to a whole upload or its last chunk. */
static ps_code
final_answer(json_object *j, ps_storage_result *res, ps_cld_answer *ans,
    ps_err *err)
{
	json_object *u, *p, *x;
	const char *url;
	size_t plen;

	if (json_object_object_get_ex(j, "existing", &x) &&
	    json_object_get_boolean(x))
		return ps_err_set(err, PS_E_CONFLICT,
		    WHO ": an asset with this public_id already exists");
	if (!json_object_object_get_ex(j, "secure_url", &u) ||
	    !json_object_is_type(u, json_type_string) ||
	    !json_object_object_get_ex(j, "public_id", &p) ||
	    !json_object_is_type(p, json_type_string))
		return ps_err_set(err, PS_E_BACKEND,
		    WHO ": answer without secure_url or public_id");
	url = json_object_get_string(u);
	plen = (size_t)json_object_get_string_len(p);
	if (!url_usable(url, (size_t)json_object_get_string_len(u),
	    sizeof(res->url)) || plen >= sizeof(res->public_id) ||
	    strlen(json_object_get_string(p)) != plen)
		return ps_err_set(err, PS_E_BACKEND,
		    WHO ": answer with an unusable secure_url");
	snprintf(res->url, sizeof(res->url), "%s", url);
	snprintf(res->public_id, sizeof(res->public_id), "%s",
	    json_object_get_string(p));
	if (ans != NULL) {
		ans->bytes = -1;
		ans->etag[0] = '\0';
		if (json_object_object_get_ex(j, "bytes", &x) &&
		    json_object_is_type(x, json_type_int))
			ans->bytes = json_object_get_int64(x);
		if (json_object_object_get_ex(j, "etag", &x) &&
		    json_object_is_type(x, json_type_string))
			ps_shttp_quote(ans->etag, sizeof(ans->etag),
			    json_object_get_string(x), sizeof(ans->etag) - 1);
	}
	return PS_OK;
}

ps_code
ps_cld_parse_answer(long status, const char *body, size_t len,
    ps_storage_result *res, ps_cld_answer *ans, ps_err *err)
{
	json_object *j;
	ps_code rc;

	j = ps_shttp_json_parse(body, len, json_type_object);
	if (status != 200 || j == NULL ||
	    json_object_object_get_ex(j, "error", NULL))
		rc = answer_error(status, j, err);
	else if (res == NULL)
		rc = PS_OK;	/* an intermediate chunk */
	else
		rc = final_answer(j, res, ans, err);
	json_object_put(j);
	return rc;
}

static ps_code
upload(void *state, ps_spool *spool, const ps_storage_object *obj,
    int overwrite, ps_storage_result *res, ps_cld_answer *ans, ps_err *err)
{
	struct cld *c = state;
	char upload_id[33];
	struct chunk ch;
	ps_code rc;

	memset(&ch, 0, sizeof(ch));
	ch.total = obj->bytes;
	if (obj->bytes <= c->chunked_above) {
		ch.end = obj->bytes;
		return request(c, spool, obj, &ch, overwrite, res, ans, err);
	}
	/* Chunked upload: every chunk but the last is chunk_size (more than
	 * 5 MiB, as Cloudinary requires); sent in order, one at a time. */
	if ((rc = ps_random_hex(upload_id, 16, err)) != PS_OK)
		return rc;
	ch.upload_id = upload_id;
	for (ch.start = 0; ch.start < ch.total; ch.start = ch.end) {
		ch.end = ch.total - ch.start > c->chunk_size ?
		    ch.start + c->chunk_size : ch.total;
		if ((rc = request(c, spool, obj, &ch, overwrite,
		    ch.end == ch.total ? res : NULL, ans, err)) != PS_OK) {
			ps_err_prefix(err, "chunk at byte %llu",
			    (unsigned long long)ch.start);
			return rc;
		}
		if (ch.end == ch.total)
			return PS_OK;
	}
	return ps_err_set(err, PS_E_INTERNAL, WHO ": empty chunked upload");
}

static ps_code
cld_store(void *state, ps_spool *spool, const ps_storage_object *obj,
    ps_storage_result *res, ps_err *err)
{
	return upload(state, spool, obj, 0, res, NULL, err);
}

ps_code
ps_cloudinary_upload(void *state, ps_spool *spool,
    const ps_storage_object *obj, int overwrite, ps_storage_result *res,
    ps_cld_answer *ans, ps_err *err)
{
	return upload(state, spool, obj, overwrite, res, ans, err);
}

const ps_storage_backend ps_storage_cloudinary = {
	"cloudinary", "CloudinaryStorage", "Cloudinary", 1,
	cld_open, cld_store, cld_close
};
