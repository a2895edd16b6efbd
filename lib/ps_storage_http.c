/* ps_storage_http.c - see ps_storage_http.h. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_storage.h"
#include "ps_curl.h"
#include "ps_storage_http.h"

struct ps_shttp {
	CURL *easy;
	int global;		/* curl_global_init succeeded */
	long timeout_ms;
	long connect_ms;
	int overflow;		/* the answer was longer than the buffer */
	size_t len;
	char errbuf[CURL_ERROR_SIZE];
	char body[PS_STORAGE_MAX_ANSWER + 1];
};

ps_code
ps_shttp_new(ps_shttp **out, const ps_config *cfg, ps_err *err)
{
	ps_shttp *h;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	/* Reference counted by libcurl; paired in ps_shttp_free. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(h);
		return ps_err_set(err, PS_E_INTERNAL,
		    "libcurl initialisation failed");
	}
	h->global = 1;
	if ((h->easy = curl_easy_init()) == NULL) {
		ps_shttp_free(h);
		return ps_err_set(err, PS_E_NOMEM, "out of memory (libcurl)");
	}
	h->timeout_ms = (long)ps_config_int(cfg, PS_CFG_STORAGE_TIMEOUT_MS);
	h->connect_ms = (long)ps_config_int(cfg,
	    PS_CFG_STORAGE_CONNECT_TIMEOUT_MS);
	*out = h;
	return PS_OK;
}

void
ps_shttp_free(ps_shttp *h)
{
	if (h == NULL)
		return;
	if (h->easy != NULL)
		curl_easy_cleanup(h->easy);
	if (h->global)
		curl_global_cleanup();
	free(h);
}

long
ps_shttp_timeout_ms(const ps_shttp *h)
{
	return h->timeout_ms;
}

long
ps_shttp_connect_timeout_ms(const ps_shttp *h)
{
	return h->connect_ms;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	ps_shttp *h = arg;
	size_t len = size * n;

	if (len > PS_STORAGE_MAX_ANSWER - h->len) {
		h->overflow = 1;
		return 0;	/* CURLE_WRITE_ERROR ends the transfer */
	}
	memcpy(h->body + h->len, p, len);
	h->len += len;
	h->body[h->len] = '\0';
	return len;
}

ps_code
ps_shttp_begin(ps_shttp *h, const char *url, CURL **easy, ps_err *err)
{
	CURL *e = h->easy;
	int bad = 0;

	/* Reset keeps the connection cache: the next request to the same
	 * service reuses the connection. */
	curl_easy_reset(e);
	h->len = 0;
	h->body[0] = '\0';
	h->overflow = 0;
	h->errbuf[0] = '\0';
	bad = ps_curl_safe(e, url, h->timeout_ms, h->connect_ms,
	    (curl_off_t)PS_STORAGE_MAX_ANSWER) != 0;
#define SET(opt, val) bad |= curl_easy_setopt(e, (opt), (val)) != CURLE_OK
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, h);
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
#undef SET
	if (bad)
		return ps_err_set(err, PS_E_INTERNAL,
		    "libcurl refused an option");
	*easy = e;
	return PS_OK;
}

ps_code
ps_shttp_perform(ps_shttp *h, const char *who, long *status, ps_err *err)
{
	CURLcode cc;

	*status = 0;
	cc = curl_easy_perform(h->easy);
	(void)curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, status);
	if (cc == CURLE_OK)
		return PS_OK;
	if (h->overflow || cc == CURLE_FILESIZE_EXCEEDED)
		return ps_err_set(err, PS_E_BACKEND,
		    "%s: answer longer than %d bytes", who,
		    PS_STORAGE_MAX_ANSWER);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return ps_err_set(err, PS_E_TIMEOUT,
		    "%s: no answer within %ld ms", who, h->timeout_ms);
	/* libcurl's message names host and port at most: the URL's path
	 * and headers (keys) are not in it. */
	return ps_err_set(err, PS_E_BACKEND, "%s: %s", who,
	    h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(cc));
}

const char *
ps_shttp_body(const ps_shttp *h, size_t *len)
{
	if (len != NULL)
		*len = h->len;
	return h->body;
}

json_object *
ps_shttp_json(const ps_shttp *h)
{
	return ps_shttp_json_parse(h->body, h->len, json_type_object);
}

const char *
ps_shttp_json_str(json_object *j, const char *k)
{
	json_object *v;

	if (j == NULL || !json_object_object_get_ex(j, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

json_object *
ps_shttp_json_parse(const char *body, size_t len, json_type type)
{
	json_tokener *tok;
	json_object *j;
	size_t end;

	if (body == NULL || len == 0 || len > INT_MAX ||
	    (tok = json_tokener_new()) == NULL)
		return NULL;
	j = json_tokener_parse_ex(tok, body, (int)len);
	/* The whole body must be one JSON value (trailing blanks allowed). */
	end = json_tokener_get_parse_end(tok);
	if (j != NULL &&
	    json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(j);
		j = NULL;
	}
	json_tokener_free(tok);
	while (j != NULL && end < len) {
		if (body[end] != ' ' && body[end] != '\t' &&
		    body[end] != '\r' && body[end] != '\n') {
			json_object_put(j);
			j = NULL;
		}
		end++;
	}
	if (j != NULL && !json_object_is_type(j, type)) {
		json_object_put(j);
		j = NULL;
	}
	return j;
}

void
ps_shttp_range_init(ps_shttp_range *rg, ps_spool *spool, uint64_t start,
    uint64_t end)
{
	rg->spool = spool;
	rg->start = start;
	rg->end = end;
	rg->off = start;
}

size_t
ps_shttp_range_read(char *buf, size_t size, size_t n, void *arg)
{
	ps_shttp_range *rg = arg;
	size_t want = size * n, got;

	if (rg->off >= rg->end)
		return 0;
	if (want > rg->end - rg->off)
		want = (size_t)(rg->end - rg->off);
	if (ps_spool_pread(rg->spool, buf, want, rg->off, &got, NULL) !=
	    PS_OK || got == 0)
		return CURL_READFUNC_ABORT;
	rg->off += got;
	return got;
}

int
ps_shttp_range_seek(void *arg, curl_off_t off, int origin)
{
	ps_shttp_range *rg = arg;

	/* libcurl rewinds a body it must send again (a reused connection
	 * that turned out closed); only absolute seeks are asked for. */
	if (origin != SEEK_SET || off < 0 ||
	    (uint64_t)off > rg->end - rg->start)
		return CURL_SEEKFUNC_FAIL;
	rg->off = rg->start + (uint64_t)off;
	return CURL_SEEKFUNC_OK;
}

void
ps_shttp_quote(char *out, size_t sz, const char *s, size_t max)
{
	size_t i, o = 0;

	if (sz == 0)
		return;
	if (max > sz - 1)
		max = sz - 1;
	for (i = 0; s[i] != '\0' && o < max; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (s[i] != '\0' && o >= 3)
		memcpy(out + o - 3, "...", 3);
	out[o] = '\0';
}
