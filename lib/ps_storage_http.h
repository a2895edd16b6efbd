/*
 * ps_storage_http.h - the libcurl plumbing the remote storage backends
 * share, so both set up every request the same safe way:
 *  - never a proxy (CURLOPT_PROXY "" and NOPROXY "*"): a CGI process gets
 *    HTTP_PROXY from a client's "Proxy:" header (RFC 3875, 4.1.18;
 *    "httpoxy"), and libcurl would otherwise honour it;
 *  - http and https only, no redirects, TLS verification always on;
 *  - STORAGE_CONNECT_TIMEOUT_MS and STORAGE_TIMEOUT_MS on every request,
 *    no signals (CURLOPT_NOSIGNAL);
 *  - answers read into a fixed buffer of PS_STORAGE_MAX_ANSWER bytes; a
 *    longer one fails the request;
 *  - request bodies read straight from the spool (ps_shttp_range).
 * One handle per backend for the life of the process, so connections to
 * the service are reused between uploads.
 */
#ifndef PS_STORAGE_HTTP_H
#define PS_STORAGE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "ps_config.h"
#include "ps_error.h"
#include "ps_spool.h"

typedef struct ps_shttp ps_shttp;

ps_code ps_shttp_new(ps_shttp **h, const ps_config *cfg, ps_err *err);
void ps_shttp_free(ps_shttp *h);

/* Reset the handle for a request to url with the options above; the
 * caller adds method, headers and body, then calls ps_shttp_perform. */
ps_code ps_shttp_begin(ps_shttp *h, const char *url, CURL **easy,
    ps_err *err);

/*
 * Run the request.  PS_OK means an HTTP answer arrived (any status, in
 * *status); transport failures are PS_E_TIMEOUT or PS_E_BACKEND with
 * "<who>: ..." and libcurl's reason.
 */
ps_code ps_shttp_perform(ps_shttp *h, const char *who, long *status,
    ps_err *err);

/* The answer body, NUL-terminated. */
const char *ps_shttp_body(const ps_shttp *h, size_t *len);
/* The body as a JSON object, or NULL (not JSON, or not an object). */
json_object *ps_shttp_json(const ps_shttp *h);
/*
 * body[0..len) as one JSON value of the given type followed by nothing
 * but blanks, or NULL: empty, not JSON, another type, trailing bytes (a
 * NUL among them).  body need not be NUL-terminated and may be NULL when
 * len is 0.  ps_shttp_json is this on the answer, for json_type_object.
 */
json_object *ps_shttp_json_parse(const char *body, size_t len,
    json_type type);
/* The string member k of object j; NULL when j is NULL or k is absent
 * or not a string. */
const char *ps_shttp_json_str(json_object *j, const char *k);
long ps_shttp_timeout_ms(const ps_shttp *h);
long ps_shttp_connect_timeout_ms(const ps_shttp *h);

/* A byte range of a spool as a libcurl read source (CURLOPT_READFUNCTION
 * and curl_mime_data_cb take the same callbacks). */
typedef struct ps_shttp_range {
	ps_spool *spool;
	uint64_t start, end;	/* [start, end) */
	uint64_t off;
} ps_shttp_range;

void ps_shttp_range_init(ps_shttp_range *rg, ps_spool *spool,
    uint64_t start, uint64_t end);
size_t ps_shttp_range_read(char *buf, size_t size, size_t n, void *arg);
int ps_shttp_range_seek(void *arg, curl_off_t off, int origin);

/*
 * Copy s into out (size sz) for a message: control characters become
 * '?' and the copy is cut to max bytes with "...".  Service answers are
 * quoted only through this.
 */
void ps_shttp_quote(char *out, size_t sz, const char *s, size_t max);

#endif /* PS_STORAGE_HTTP_H */
