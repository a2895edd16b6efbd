/*
 * ps_upload.c - the upload program's logic; see ps_upload.h.
 *
 * Decisions where the RFCs leave room (also in the tests):
 * - The file part is the part named "file" (RFC 7578, 4.2: its filename
 *   is optional, so an API client may leave it out).  Its filename and
 *   Content-Type are never looked at, so "../../etc/passwd" or "a/b.png"
 *   can do nothing: objects get generated names (ps_storage.h).  Only
 *   filename="" with no bytes is refused: that is what a browser sends
 *   when no file was chosen.
 * - kind and user are text fields (no filename) of at most
 *   PS_UPLOAD_FIELD_MAX bytes without control characters.
 * - CONTENT_LENGTH is required (RFC 3875, 4.1.2: without it there is no
 *   body); a missing one is 400, as everywhere in ps_http.  Chunked
 *   request bodies never reach us as such: lighttpd (with
 *   server.stream-request-body) sets CONTENT_LENGTH when the whole body
 *   is in before it hands the request on and answers 411 itself
 *   otherwise; mod_fcgid reads the whole body first.
 * - A client that goes away in the middle of the body makes
 *   ps_req_read() fail: the spool is removed, and the 400 written to the
 *   gone client is dropped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ps_app.h"
#include "ps_log.h"
#include "ps_multipart.h"
#include "ps_spool.h"
#include "ps_upload.h"
#include "ps_util.h"

#define TAG "Upload"
#define KINDS "deleted-messages, view-once, scheduled-status"
/* Parts a valid form can have: kind, file and (demo) user.  One more is
 * let through so that the part rules, not the parser, name the problem. */
#define MAX_PARTS 4
#define HTML_TYPE "text/html; charset=utf-8"
#define HTML_CSP "default-src 'none'; style-src 'unsafe-inline'; " \
	"form-action 'self'"

/* ------------------------------------------------------------ origins */

static int
host_char(int c)
{
	/* RFC 3986, 3.2.2: reg-name as DNS names use it; IPv6 literals. */
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_' || c == '[' || c == ']' ||
	    c == ':';
}

/*
 * Normalise an origin (RFC 6454, 4 and 6.2): scheme and host lowercased,
 * the scheme's default port dropped.  Only http and https; no userinfo,
 * path, query or fragment (slash: one trailing '/' tolerated, for a
 * setting).  0, or -1 when s is not such an origin.
 */
static int
origin_norm(const char *s, int slash, char *out, size_t outsz)
{
	size_t n, i, skip, colon = 0, ports;
	const char *dflt;
	int https;

	n = strlen(s);
	if (slash && n > 0 && s[n - 1] == '/')
		n--;
	if (n > 8 && strncasecmp(s, "https://", 8) == 0) {
		https = 1;
		skip = 8;
	} else if (n > 7 && strncasecmp(s, "http://", 7) == 0) {
		https = 0;
		skip = 7;
	} else
		return -1;
	if (n >= outsz)
		return -1;
	memcpy(out, https ? "https://" : "http://", skip);
	for (i = skip; i < n; i++) {
		int c = s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!host_char(c))
			return -1;
		if (c == ':')
			colon = i;
		else if (c == ']')
			colon = 0;	/* colons so far were IPv6's */
		out[i] = (char)c;
	}
	if (i == skip || out[skip] == ':')
		return -1;
	if (colon != 0) {
		/* ":port" with 1 to 5 digits and nothing else after it. */
		for (ports = colon + 1; ports < n; ports++)
			if (out[ports] < '0' || out[ports] > '9')
				return -1;
		if (n - colon - 1 < 1 || n - colon - 1 > 5)
			return -1;
		dflt = https ? ":443" : ":80";
		if (n - colon == strlen(dflt) &&
		    memcmp(out + colon, dflt, n - colon) == 0)
			n = colon;
	}
	out[n] = '\0';
	return 0;
}

/* The origin this request was made to: scheme from HTTPS or
 * REQUEST_SCHEME, host from Host (else SERVER_NAME:SERVER_PORT). */
static int
own_origin(const ps_req *req, char *out, size_t outsz)
{
	char buf[PS_UPLOAD_ORIGIN_MAX + 16];
	const char *https, *scheme, *host, *name, *port;
	int tls, n;

	https = ps_req_param(req, "HTTPS");
	scheme = ps_req_param(req, "REQUEST_SCHEME");
	tls = (https != NULL && (strcasecmp(https, "on") == 0 ||
	    strcmp(https, "1") == 0)) ||
	    (scheme != NULL && strcasecmp(scheme, "https") == 0);
	host = ps_req_param(req, "HTTP_HOST");
	if (host != NULL && *host != '\0')
		n = snprintf(buf, sizeof(buf), "%s://%s",
		    tls ? "https" : "http", host);
	else {
		name = ps_req_param(req, "SERVER_NAME");
		port = ps_req_param(req, "SERVER_PORT");
		if (name == NULL || *name == '\0')
			return -1;
		n = snprintf(buf, sizeof(buf), "%s://%s%s%s",
		    tls ? "https" : "http", name,
		    port != NULL && *port != '\0' ? ":" : "",
		    port != NULL ? port : "");
	}
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return origin_norm(buf, 0, out, outsz);
}

ps_code
ps_upload_check_origin(const ps_req *req, const char *public_origin,
    ps_err *err)
{
	char want[PS_UPLOAD_ORIGIN_MAX], got[PS_UPLOAD_ORIGIN_MAX];
	const char *site, *origin;

	/*
	 * Fetch Metadata (W3C), Sec-Fetch-Site: the browser's own word on
	 * where the request comes from; "none" is a user action (typed
	 * URL, bookmark).  An unknown value is refused, not guessed at.
	 */
	site = ps_req_param(req, "HTTP_SEC_FETCH_SITE");
	if (site != NULL && strcmp(site, "same-origin") != 0 &&
	    strcmp(site, "same-site") != 0 && strcmp(site, "none") != 0)
		return ps_err_set(err, PS_E_FORBIDDEN, "cross-site upload "
		    "refused (Sec-Fetch-Site: %.32s)", site);
	/* RFC 6454, 7: the origin that caused the request. */
	origin = ps_req_param(req, "HTTP_ORIGIN");
	if (origin == NULL)
		return PS_OK;
	if (public_origin != NULL && *public_origin != '\0') {
		if (origin_norm(public_origin, 1, want, sizeof(want)) != 0)
			return ps_err_set(err, PS_E_CONFIG, "PUBLIC_ORIGIN "
			    "is not an http(s) origin");
	} else if (own_origin(req, want, sizeof(want)) != 0)
		return ps_err_set(err, PS_E_FORBIDDEN, "cross-site upload "
		    "refused: the request's own origin is unknown (no Host)");
	if (origin_norm(origin, 0, got, sizeof(got)) != 0 ||
	    strcmp(got, want) != 0)
		return ps_err_set(err, PS_E_FORBIDDEN, "cross-site upload "
		    "refused (Origin: %.100s)", origin);
	return PS_OK;
}

/* ------------------------------------------------------------ settings */

ps_code
ps_upload_conf_load(ps_upload_conf *conf, const ps_config *cfg,
    ps_err *err)
{
	const char *po, *mode;

	memset(conf, 0, sizeof(*conf));
	conf->max_bytes = (uint64_t)ps_config_int(cfg,
	    PS_CFG_UPLOAD_MAX_BYTES);
	conf->spool_dir = ps_config_str(cfg, PS_CFG_SPOOL_DIR);
	if (conf->spool_dir != NULL && conf->spool_dir[0] != '/')
		return ps_err_set(err, PS_E_CONFIG,
		    "SPOOL_DIR must be an absolute path");
	po = ps_config_str(cfg, PS_CFG_PUBLIC_ORIGIN);
	if (po != NULL && origin_norm(po, 1, conf->public_origin,
	    sizeof(conf->public_origin)) != 0)
		return ps_err_set(err, PS_E_CONFIG, "PUBLIC_ORIGIN must be "
		    "http(s)://host[:port], like https://example.com");
	mode = ps_config_str(cfg, PS_CFG_AUTH_MODE);
	conf->demo = mode != NULL && strcmp(mode, "demo") == 0;
	return PS_OK;
}

/* ------------------------------------------------------------ the body */

enum part { PART_NONE, PART_KIND, PART_FILE, PART_USER };

struct rx {
	const ps_upload_conf *conf;
	ps_upload_form *form;
	enum part cur;
	char *field;		/* form->kind or form->user being filled */
	size_t flen;
	int no_file_chosen;	/* filename="" */
};

static ps_code
on_begin(void *arg, const ps_multipart_part *p, ps_err *err)
{
	struct rx *rx = arg;
	ps_upload_form *f = rx->form;
	const char *name = p->name != NULL ? p->name : "";

	if (strcmp(name, "file") == 0) {
		if (f->has_file)
			return ps_err_set(err, PS_E_INVALID,
			    "more than one file part: one file per upload");
		f->has_file = 1;
		rx->cur = PART_FILE;
		rx->no_file_chosen = p->filename != NULL &&
		    p->filename[0] == '\0';
		return ps_spool_new(&f->spool, rx->conf->spool_dir,
		    rx->conf->max_bytes, rx->conf->spool_flags, err);
	}
	if (strcmp(name, "kind") == 0 ||
	    (rx->conf->demo && strcmp(name, "user") == 0)) {
		int kind = name[0] == 'k';

		if (kind ? f->has_kind : f->has_user)
			return ps_err_set(err, PS_E_INVALID, "more than one "
			    "%s part", name);
		if (p->filename != NULL)
			return ps_err_set(err, PS_E_INVALID, "%s must be a "
			    "text field, not a file", name);
		rx->cur = kind ? PART_KIND : PART_USER;
		rx->field = kind ? f->kind : f->user;
		rx->flen = 0;
		return PS_OK;
	}
	return ps_err_set(err, PS_E_INVALID, "unexpected part \"%.40s\": "
	    "the form has only kind, %sfile", name,
	    rx->conf->demo ? "user and " : "and ");
}

static ps_code
on_data(void *arg, const char *buf, size_t len, ps_err *err)
{
	struct rx *rx = arg;
	const char *what = rx->cur == PART_KIND ? "kind" : "user";
	ps_code rc;
	size_t i;

	if (rx->cur == PART_FILE) {
		rc = ps_spool_write(rx->form->spool, buf, len, err);
		if (rc == PS_E_TOO_LARGE)
			ps_err_set(err, rc, "the file is larger than the "
			    "limit of %llu bytes (UPLOAD_MAX_BYTES)",
			    (unsigned long long)rx->conf->max_bytes);
		return rc;
	}
	if (rx->cur == PART_NONE)
		return ps_err_set(err, PS_E_INTERNAL, "data outside a part");
	if (len > PS_UPLOAD_FIELD_MAX - rx->flen)
		return ps_err_set(err, PS_E_INVALID, "%s longer than %d bytes",
		    what, PS_UPLOAD_FIELD_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			return ps_err_set(err, PS_E_INVALID,
			    "control character in %s", what);
	memcpy(rx->field + rx->flen, buf, len);
	rx->flen += len;
	rx->field[rx->flen] = '\0';
	return PS_OK;
}

static ps_code
on_end(void *arg, ps_err *err)
{
	struct rx *rx = arg;
	ps_upload_form *f = rx->form;
	enum part cur = rx->cur;

	rx->cur = PART_NONE;
	switch (cur) {
	case PART_FILE:
		if (rx->no_file_chosen && ps_spool_size(f->spool) == 0)
			return ps_err_set(err, PS_E_INVALID,
			    "no file chosen");
		return ps_spool_finish(f->spool, err);
	case PART_KIND:
		/* DESIGN.md, "Storage chain": the allow-list, checked now
		 * so that a bad kind sent first stops the upload here. */
		f->has_kind = 1;
		if (!ps_storage_kind_valid(f->kind))
			return ps_err_set(err, PS_E_INVALID,
			    "kind must be one of " KINDS);
		return PS_OK;
	case PART_USER:
		f->has_user = 1;
		if (!ps_user_id_valid(f->user))
			return ps_err_set(err, PS_E_AUTH, "user is not a "
			    "valid user id ([A-Za-z0-9_.-]{1,64})");
		return PS_OK;
	case PART_NONE:
		break;
	}
	return ps_err_set(err, PS_E_INTERNAL, "end outside a part");
}

void
ps_upload_form_clear(ps_upload_form *form)
{
	if (form == NULL)
		return;
	ps_spool_free(form->spool);
	memset(form, 0, sizeof(*form));
}

/* The body, read to its end (or the first error) through the parser. */
static ps_code
pump(ps_req *req, ps_multipart *mp, int64_t len, ps_upload_form *form,
    ps_err *err)
{
	char *buf;
	uint64_t got = 0;
	ssize_t n;
	ps_code rc;

	if ((buf = malloc(PS_UPLOAD_READ_BYTES)) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	for (;;) {
		n = ps_req_read(req, buf, PS_UPLOAD_READ_BYTES);
		if (n < 0) {
			form->aborted = 1;
			rc = ps_err_set(err, PS_E_INVALID, "body cut short "
			    "after %llu of %lld bytes: the client went away",
			    (unsigned long long)got, (long long)len);
			break;
		}
		if (n == 0) {
			/* RFC 2046, 5.1.1: the close delimiter must have
			 * been seen. */
			rc = ps_multipart_finish(mp, err);
			break;
		}
		got += (uint64_t)n;
		if ((rc = ps_multipart_feed(mp, buf, (size_t)n, err)) != PS_OK)
			break;
	}
	free(buf);
	return rc;
}

ps_code
ps_upload_receive(ps_req *req, const ps_upload_conf *conf,
    ps_upload_form *form, ps_err *err)
{
	char boundary[PS_MULTIPART_BOUNDARY_MAX + 1];
	ps_multipart_limits lim;
	ps_multipart_cb cb;
	ps_multipart *mp = NULL;
	struct rx rx;
	const char *ct, *cl;
	uint64_t limit;
	int64_t len;
	int aborted;
	ps_code rc;

	memset(form, 0, sizeof(*form));
	ct = ps_req_param(req, "CONTENT_TYPE");
	if (ct == NULL || *ct == '\0')
		return ps_err_set(err, PS_E_UNSUPPORTED,
		    "Content-Type must be multipart/form-data");
	/* RFC 7578, 4.1: the boundary parameter. */
	if ((rc = ps_multipart_boundary(ct, boundary, sizeof(boundary),
	    err)) != PS_OK) {
		if (rc == PS_E_UNSUPPORTED)
			ps_err_set(err, rc,
			    "Content-Type must be multipart/form-data");
		return rc;
	}
	/* RFC 3875, 4.1.2 (and ps_http.c): no CONTENT_LENGTH, no body. */
	cl = ps_req_param(req, "CONTENT_LENGTH");
	if (cl == NULL || *cl == '\0')
		return ps_err_set(err, PS_E_INVALID,
		    "Content-Length required");
	if ((len = ps_req_content_length(req)) < 0)
		return ps_err_set(err, PS_E_INVALID,
		    "malformed Content-Length");
	/* RFC 9110, 15.5.14: refused before a byte of the body is read. */
	limit = conf->max_bytes + PS_UPLOAD_OVERHEAD;
	if ((uint64_t)len > limit)
		return ps_err_set(err, PS_E_TOO_LARGE, "upload of %lld bytes "
		    "is over the limit of %llu bytes (UPLOAD_MAX_BYTES) plus "
		    "%d bytes for the form", (long long)len,
		    (unsigned long long)conf->max_bytes, PS_UPLOAD_OVERHEAD);

	memset(&rx, 0, sizeof(rx));
	rx.conf = conf;
	rx.form = form;
	memset(&lim, 0, sizeof(lim));
	lim.max_parts = MAX_PARTS;
	/* A file part without a filename is a "field" to the parser: the
	 * spool enforces the file's limit, on_data() the fields'. */
	lim.max_field_bytes = conf->max_bytes < SIZE_MAX ?
	    (size_t)conf->max_bytes + 1 : SIZE_MAX;
	lim.max_total_bytes = limit;
	memset(&cb, 0, sizeof(cb));
	cb.part_begin = on_begin;
	cb.part_data = on_data;
	cb.part_end = on_end;
	cb.arg = &rx;
	rc = ps_multipart_new(&mp, boundary, &lim, &cb, err);
	if (rc == PS_OK)
		rc = pump(req, mp, len, form, err);
	ps_multipart_free(mp);
	if (rc == PS_OK && !form->has_file)
		rc = ps_err_set(err, PS_E_INVALID, "no file part");
	else if (rc == PS_OK && !form->has_kind)
		rc = ps_err_set(err, PS_E_INVALID, "no kind part (one of "
		    KINDS ")");
	if (rc != PS_OK) {
		aborted = form->aborted;
		ps_upload_form_clear(form);
		form->aborted = aborted;
	}
	return rc;
}

/* ------------------------------------------------------------ the POST */

ps_code
ps_upload_post(ps_req *req, const ps_upload_conf *conf,
    const ps_auth *auth, ps_storage *st, ps_storage_result *res,
    ps_err *err)
{
	char user[PS_USER_ID_MAX + 1];
	ps_upload_form form;
	ps_err id_err = {0};
	ps_code rc, id_rc;

	memset(res, 0, sizeof(*res));
	rc = ps_upload_check_origin(req, conf->public_origin, err);
	if (rc != PS_OK) {
		if (rc == PS_E_FORBIDDEN)
			ps_info(TAG, "%s", err->msg);
		return rc;
	}
	/*
	 * Who, before the body where the request says it: a bad token
	 * costs no upload.  In demo mode the user may come in the body
	 * instead (the no-JS form), and a user part wins over the query
	 * and the header, as a form field does in ps_auth.
	 */
	id_rc = ps_auth_identify(auth, req, user, &id_err);
	if (id_rc != PS_OK && !(conf->demo && id_rc == PS_E_AUTH)) {
		*err = id_err;
		return id_rc;
	}
	if ((rc = ps_upload_receive(req, conf, &form, err)) != PS_OK) {
		if (form.aborted)
			ps_info(TAG, "%s", err->msg);
		return rc;
	}
	if (form.has_user)
		snprintf(user, sizeof(user), "%s", form.user);
	else if (id_rc != PS_OK) {
		ps_upload_form_clear(&form);
		*err = id_err;
		return id_rc;
	}
	rc = ps_storage_store(st, form.spool, form.kind, user, res, err);
	ps_upload_form_clear(&form);
	return rc;
}

/* ------------------------------------------------------------ answers */

static void
put_esc(FILE *f, const char *s)
{
	char *e = ps_html_escape(s != NULL ? s : "");

	if (e != NULL) {
		fputs(e, f);
		free(e);
	}
}

/* An HTML document as a memory stream; NULL on ENOMEM. */
static FILE *
html_open(char **buf, size_t *len, const char *title)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>", f);
	put_esc(f, title);
	fputs(" - pairstore</title>\n<style>\n"
	    "body { font: 16px/1.5 system-ui, sans-serif; max-width: 40em; "
	    "margin: 2em auto; padding: 0 1em; }\n"
	    "label { display: block; margin: 1em 0 .25em; }\n"
	    "button { margin-top: 1.5em; padding: .4em 1.2em; }\n"
	    "dt { font-weight: bold; }\n"
	    "code, dd { overflow-wrap: anywhere; }\n"
	    "</style>\n</head>\n<body>\n", f);
	return f;
}

/* The program's own URL path, for the form's action and links back. */
static const char *
self_path(const ps_req *req)
{
	const char *s = ps_req_param(req, "SCRIPT_NAME");

	return s != NULL ? s : "";
}

static void
html_send(ps_req *req, int status, FILE *f, char **buf)
{
	int bad;

	fputs("</body>\n</html>\n", f);
	bad = ferror(f);
	if (fclose(f) != 0 || bad || *buf == NULL) {
		free(*buf);
		ps_resp_problem(req, PS_E_NOMEM, NULL);
		return;
	}
	ps_resp_header(req, "Content-Security-Policy", HTML_CSP);
	ps_resp_header(req, "X-Frame-Options", "DENY");
	ps_resp_header(req, "Cache-Control", "no-store");
	ps_resp_text(req, status, HTML_TYPE, *buf);
	free(*buf);
}

void
ps_upload_form_page(ps_req *req, const ps_upload_conf *conf)
{
	static const char *const kinds[] = {
		"deleted-messages", "view-once", "scheduled-status"
	};
	const char *user = NULL;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = html_open(&buf, &len, "Upload media")) == NULL) {
		ps_resp_problem(req, PS_E_NOMEM, NULL);
		return;
	}
	fputs("<h1>Upload media</h1>\n<form method=\"post\" action=\"", f);
	put_esc(f, self_path(req));
	fputs("\" enctype=\"multipart/form-data\">\n"
	    "<label for=\"kind\">Kind</label>\n"
	    "<select id=\"kind\" name=\"kind\" required>\n", f);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		fprintf(f, "<option value=\"%s\">%s</option>\n", kinds[i],
		    kinds[i]);
	fputs("</select>\n", f);
	if (conf->demo) {
		user = ps_req_query(req, "user");
		fputs("<label for=\"user\">User id (demo mode)</label>\n"
		    "<input id=\"user\" name=\"user\" required "
		    "maxlength=\"64\" pattern=\"[A-Za-z0-9_.\\-]{1,64}\" "
		    "autocomplete=\"username\" value=\"", f);
		put_esc(f, user);
		fputs("\">\n", f);
	}
	fprintf(f, "<label for=\"file\">File (at most %llu bytes)</label>\n"
	    "<input id=\"file\" name=\"file\" type=\"file\" required>\n"
	    "<button type=\"submit\">Upload</button>\n</form>\n",
	    (unsigned long long)conf->max_bytes);
	html_send(req, 200, f, &buf);
}

static void
result_page(ps_req *req, const ps_storage_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = html_open(&buf, &len, "Stored")) == NULL) {
		ps_resp_problem(req, PS_E_NOMEM, NULL);
		return;
	}
	fputs("<h1>Stored</h1>\n<p><a rel=\"noopener noreferrer\" href=\"",
	    f);
	put_esc(f, res->url);
	fputs("\">", f);
	put_esc(f, res->url);
	fputs("</a></p>\n<dl>\n<dt>Backend</dt><dd>", f);
	put_esc(f, res->backend);
	fputs("</dd>\n<dt>Type</dt><dd>", f);
	put_esc(f, res->resource_type);
	fprintf(f, "</dd>\n<dt>Bytes</dt><dd>%llu</dd>\n<dt>SHA-256</dt>"
	    "<dd><code>", (unsigned long long)res->bytes);
	put_esc(f, res->sha256);
	fputs("</code></dd>\n<dt>Public id</dt><dd><code>", f);
	put_esc(f, res->public_id);
	fputs("</code></dd>\n</dl>\n<p><a href=\"", f);
	put_esc(f, self_path(req));
	fputs("\">Upload another file</a></p>\n", f);
	ps_resp_header(req, "Location", res->url);
	html_send(req, 201, f, &buf);
}

static void
error_page(ps_req *req, const ps_err *err)
{
	ps_code code = err->code != PS_OK ? err->code : PS_E_INTERNAL;
	int status = ps_code_http_status(code);
	char *buf = NULL, title[64];
	size_t len = 0;
	FILE *f;

	if (status >= 500)
		/* As ps_app_error(): the detail is for the log only. */
		ps_error("Server", "%s %s: %s", ps_req_method(req),
		    self_path(req), err->msg);
	else if (code == PS_E_AUTH)
		/* RFC 9110, 15.5.2 */
		ps_resp_header(req, "WWW-Authenticate",
		    "Bearer realm=\"pairstore\"");
	snprintf(title, sizeof(title), "%d %s", status,
	    ps_http_reason(status));
	if ((f = html_open(&buf, &len, title)) == NULL) {
		ps_resp_problem(req, code, NULL);
		return;
	}
	fputs("<h1>", f);
	put_esc(f, title);
	fputs("</h1>\n<p>", f);
	put_esc(f, ps_code_title(code));
	if (status < 500 && err->msg[0] != '\0') {
		fputs(": ", f);
		put_esc(f, err->msg);
	}
	fputs("</p>\n<p><a href=\"", f);
	put_esc(f, self_path(req));
	fputs("\">Back to the form</a></p>\n", f);
	html_send(req, status, f, &buf);
}

void
ps_upload_respond(ps_req *req, ps_code rc, const ps_storage_result *res,
    const ps_err *err)
{
	json_object *o;

	if (rc != PS_OK) {
		if (ps_req_wants_html(req))
			error_page(req, err);
		else
			ps_app_error(req, err);
		return;
	}
	if (ps_req_wants_html(req)) {
		result_page(req, res);
		return;
	}
	/* RFC 9110, 15.3.2: 201 with Location naming the new resource. */
	o = json_object_new_object();
	if (o == NULL) {
		ps_resp_problem(req, PS_E_NOMEM, NULL);
		return;
	}
	json_object_object_add(o, "url", json_object_new_string(res->url));
	json_object_object_add(o, "backend",
	    json_object_new_string(res->backend));
	json_object_object_add(o, "resource_type",
	    json_object_new_string(res->resource_type));
	json_object_object_add(o, "bytes",
	    json_object_new_int64((int64_t)res->bytes));
	json_object_object_add(o, "sha256",
	    json_object_new_string(res->sha256));
	json_object_object_add(o, "public_id",
	    json_object_new_string(res->public_id));
	ps_resp_header(req, "Location", res->url);
	ps_resp_json(req, 201, o);
	json_object_put(o);
}
