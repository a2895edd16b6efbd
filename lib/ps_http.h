/*
 * ps_http.h - one HTTP request as the web server hands it to a FastCGI
 * (or plain CGI) program, and its response.
 *
 * The programs in cgi-bin/ stay thin: ps_fcgi_run() accepts requests and
 * calls a handler with a ps_req; the handler reads parameters, query,
 * body through this API and answers with ps_resp_*().  Everything that
 * comes from the client is bounded: parameter and header sizes, query
 * strings, the number of fields, body sizes.
 */
#ifndef PS_HTTP_H
#define PS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json.h>

#include "ps_error.h"

/* Limits (RFC 3875 leaves them to us). */
#define PS_HTTP_MAX_QUERY 4096		/* QUERY_STRING bytes */
#define PS_HTTP_MAX_FIELDS 32		/* fields in a query or small form */
#define PS_HTTP_MAX_FIELD_NAME 64
#define PS_HTTP_MAX_FIELD_VALUE 2048
#define PS_HTTP_MAX_SMALL_BODY 16384	/* JSON and urlencoded bodies */
#define PS_HTTP_MAX_HEADER_VALUE 8192	/* any HTTP_* parameter we read */

typedef struct ps_req ps_req;

/* ---------------------------------------------------------- request */

/*
 * A CGI/FastCGI parameter ("REQUEST_METHOD", "HTTP_AUTHORIZATION", ...),
 * or NULL when absent or longer than PS_HTTP_MAX_HEADER_VALUE.  Valid
 * until the request ends.
 */
const char *ps_req_param(const ps_req *req, const char *name);
/* "GET", "POST", ...; never NULL ("" when absent). */
const char *ps_req_method(const ps_req *req);
/* PATH_INFO, "" when absent. */
const char *ps_req_path_info(const ps_req *req);

/*
 * A decoded query-string field (application/x-www-form-urlencoded rules:
 * '+' is a space, %XX escapes), or NULL when absent.  The query string is
 * parsed once, lazily; a malformed or oversized query makes every call
 * return NULL and ps_req_query_error() report why.
 */
const char *ps_req_query(ps_req *req, const char *name);
ps_code ps_req_query_error(ps_req *req, ps_err *err);

/*
 * Read a small body (JSON or urlencoded form) whole, at most max bytes
 * (<= PS_HTTP_MAX_SMALL_BODY).  CONTENT_LENGTH over max is refused with
 * PS_E_TOO_LARGE before reading; a body shorter than CONTENT_LENGTH is
 * PS_E_INVALID ("body cut short").  The body is NUL-terminated; it stays
 * owned by req.
 */
ps_code ps_req_body(ps_req *req, size_t max, const char **body,
    size_t *len, ps_err *err);

/*
 * Parse the body as a small form: application/x-www-form-urlencoded or
 * application/json (a flat object of strings/numbers/booleans); then
 * ps_req_field() returns a field's value as a string.  Anything else is
 * PS_E_UNSUPPORTED; malformed bodies PS_E_INVALID.  Fields from the
 * query string are NOT merged in.
 */
ps_code ps_req_parse_form(ps_req *req, ps_err *err);
const char *ps_req_field(ps_req *req, const char *name);

/*
 * Stream the body: read up to n bytes; returns bytes read, 0 at the end
 * of the body, -1 on error (client gone).  Never reads past
 * CONTENT_LENGTH.  For uploads.
 */
ssize_t ps_req_read(ps_req *req, void *buf, size_t n);

/* 1 when the request has a body of unknown length: no CONTENT_LENGTH on
 * a framed transport (ps_req_io.framed); ps_req_read() then reads to the
 * transport's end of the body, and the caller enforces its own limit. */
int ps_req_body_unsized(const ps_req *req);
/* 1 when the whole body has been read (or there is none): nothing the
 * client sent is left unread. */
int ps_req_input_consumed(const ps_req *req);
/* CONTENT_LENGTH as a number; -1 when absent or malformed. */
int64_t ps_req_content_length(const ps_req *req);

/* The client asked for HTML (Accept prefers text/html over JSON). */
int ps_req_wants_html(const ps_req *req);

/* ---------------------------------------------------------- response */

/*
 * Headers are buffered until the body starts.  ps_resp_header refuses
 * (PS_E_INTERNAL) names or values with CR, LF or NUL, so nothing echoed
 * from a request can split a header.  The first call of ps_resp_body*
 * sends the status and headers.
 */
void ps_resp_status(ps_req *req, int status);
ps_code ps_resp_header(ps_req *req, const char *name, const char *value);
ps_code ps_resp_body(ps_req *req, const void *buf, size_t len);
/* Has anything been sent yet? */
int ps_resp_started(const ps_req *req);

/* Status + Content-Type: application/json + the serialized object.
 * obj stays the caller's: it is serialized, not freed. */
void ps_resp_json(ps_req *req, int status, json_object *obj);
/*
 * An RFC 9457 problem: Content-Type application/problem+json, body
 * {"type":"about:blank","title":ps_code_title(code),"status":N,
 *  "detail":detail}.  The status comes from ps_code_http_status(code);
 * detail may be NULL.
 */
void ps_resp_problem(ps_req *req, ps_code code, const char *detail);
/* The same for a ps_err (detail = err->msg; for a 5xx code the message
 * is logged instead of sent, as it may name hosts and paths). */
void ps_resp_error(ps_req *req, const ps_err *err);
/* Plain text or HTML with a status. */
void ps_resp_text(ps_req *req, int status, const char *content_type,
    const char *text);

/* Standard reason phrase of a status ("Accepted"); "Unknown" otherwise. */
const char *ps_http_reason(int status);

/* ---------------------------------------------------------- helpers */

/* Percent-decode (form rules) src[0..len) into dst (size dstsz, NUL
 * added).  Returns bytes written, -1 on bad escape, NUL byte or overflow. */
ssize_t ps_url_decode(const char *src, size_t len, char *dst, size_t dstsz,
    int plus_is_space);

/* Escape text for HTML element content and attribute values. */
char *ps_html_escape(const char *s);	/* malloc'd; NULL on ENOMEM */

/* ---------------------------------------------------------- in memory */

/*
 * A request that lives in memory instead of on a FastCGI connection,
 * for unit tests and tools: params is a NULL-terminated "NAME=value"
 * array (copied), body is copied.  The response is collected and can be
 * read back as the raw CGI output ("Status: ...\r\nHeaders\r\n\r\nbody").
 */
ps_req *ps_req_mem_new(char *const *params, const void *body, size_t len);
const char *ps_req_mem_output(const ps_req *req, size_t *len);
void ps_req_mem_free(ps_req *req);

/* ---------------------------------------------------------- transports */

/*
 * How a request reaches its bytes: ps_fcgi.c provides the FastCGI
 * (libfcgi) and plain CGI (environment, stdin, stdout) transports,
 * ps_req_mem_new() the in-memory one.  param returns the value or NULL
 * when absent; read returns bytes read (0 at the end, -1 on error);
 * write returns 0 or -1; flush (may be NULL) pushes buffered output.
 */
typedef struct ps_req_io {
	const char *(*param)(void *ctx, const char *name);
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	int (*write)(void *ctx, const void *buf, size_t n);
	int (*flush)(void *ctx);
	/*
	 * 1 when the transport marks the end of the body itself (FastCGI:
	 * an empty FCGI_STDIN record), so a body without CONTENT_LENGTH
	 * (nginx passes a chunked request on unbuffered that way) can be
	 * read to its end; 0 for CGI, where no CONTENT_LENGTH means no body
	 * (RFC 3875, 4.1.2).
	 */
	int framed;
} ps_req_io;

/* A request over io/ctx (both stay the caller's); NULL on ENOMEM. */
ps_req *ps_req_new(const ps_req_io *io, void *ctx);
/* Flush the transport: 0, or -1 when the client is gone. */
int ps_req_flush(ps_req *req);
void ps_req_free(ps_req *req);

/*
 * Cross-site requests (CSRF): ps_req_check_origin() refuses a browser's
 * request from another site with PS_E_FORBIDDEN (403):
 *  1. Sec-Fetch-Site, when sent, must be same-origin, same-site or none
 *     (Fetch Metadata; every current browser sends it);
 *  2. then Origin, when sent, must be PUBLIC_ORIGIN when that is set,
 *     else the request's own origin: https when HTTPS is "on" (or
 *     REQUEST_SCHEME is https), else http, "://", and the Host header
 *     (RFC 6454; scheme and host compared without case, a default port
 *     is the same as none).  "Origin: null" never matches.
 * A request with neither header is not from a browser form and passes:
 * it carries its own credentials (a bearer token) or none.  Behind a
 * proxy that terminates TLS the request's own origin is wrong: set
 * PUBLIC_ORIGIN there.
 */
#define PS_ORIGIN_MAX 256

/* PS_OK, PS_E_FORBIDDEN, or PS_E_CONFIG for a bad public_origin.
 * public_origin may be NULL or "" (the request's own origin), else it is
 * normalised first. */
ps_code ps_req_check_origin(const ps_req *req, const char *public_origin,
    ps_err *err);

/*
 * Normalise an origin (RFC 6454, 4 and 6.2): scheme and host lowercased,
 * the scheme's default port dropped.  Only http and https; no userinfo,
 * path, query or fragment (slash: one trailing '/' tolerated, for a
 * setting).  0, or -1 when s is not such an origin or does not fit.
 */
int ps_origin_norm(const char *s, int slash, char *out, size_t outsz);

#endif /* PS_HTTP_H */
