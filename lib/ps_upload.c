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
#include "ps_html.h"
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
	if (po != NULL && ps_origin_norm(po, 1, conf->public_origin,
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
			    "valid user id ([A-Za-z0-9_.-]{1,64}, not "
			    "starting with a dot)");
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
	/*
	 * RFC 3875, 4.1.2 (and ps_http.c): no CONTENT_LENGTH, no body --
	 * unless FastCGI frames it (a chunked request nginx passes on
	 * unbuffered): then it is read to its end, and the parser's total
	 * limit refuses it with 413 once it grows past the limit.
	 */
	cl = ps_req_param(req, "CONTENT_LENGTH");
	if ((cl == NULL || *cl == '\0') && !ps_req_body_unsized(req))
		return ps_err_set(err, PS_E_INVALID,
		    "Content-Length required");
	if (cl == NULL || *cl == '\0')
		len = -1;
	else if ((len = ps_req_content_length(req)) < 0)
		return ps_err_set(err, PS_E_INVALID,
		    "malformed Content-Length");
	/* RFC 9110, 15.5.14: refused before a byte of the body is read. */
	limit = conf->max_bytes + PS_UPLOAD_OVERHEAD;
	if (len >= 0 && (uint64_t)len > limit)
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
	rc = ps_req_check_origin(req, conf->public_origin, err);
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

void
ps_upload_form_page(ps_req *req, const ps_upload_conf *conf)
{
	static const char *const kinds[] = {
		"deleted-messages", "view-once", "scheduled-status"
	};
	char line[160];
	ps_html h;
	size_t i;

	if (ps_html_open(&h, "Upload media", 0) != PS_OK) {
		ps_resp_problem(req, PS_E_NOMEM, NULL);
		return;
	}
	ps_html_raw(&h, "<h1>Upload media</h1>\n<form method=\"post\" "
	    "action=\"");
	ps_html_put(&h, ps_html_self(req));
	ps_html_raw(&h, "\" enctype=\"multipart/form-data\">\n"
	    "<label for=\"kind\">Kind</label>\n"
	    "<select id=\"kind\" name=\"kind\" required>\n");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(line, sizeof(line), "<option value=\"%s\">%s</option>"
		    "\n", kinds[i], kinds[i]);
		ps_html_raw(&h, line);
	}
	ps_html_raw(&h, "</select>\n");
	if (conf->demo) {
		ps_html_raw(&h, "<label for=\"user\">User id (demo mode)"
		    "</label>\n<input id=\"user\" name=\"user\" required "
		    "maxlength=\"64\" pattern=\"[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]{0,63}\" "
		    "autocomplete=\"username\" value=\"");
		ps_html_put(&h, ps_req_query(req, "user"));
		ps_html_raw(&h, "\">\n");
	}
	snprintf(line, sizeof(line), "<label for=\"file\">File (at most "
	    "%llu bytes)</label>\n", (unsigned long long)conf->max_bytes);
	ps_html_raw(&h, line);
	ps_html_raw(&h, "<input id=\"file\" name=\"file\" type=\"file\" "
	    "required>\n<button type=\"submit\">Upload</button>\n"
	    "</form>\n");
	ps_html_send(req, &h, 200);
}

static void
result_page(ps_req *req, const ps_storage_result *res)
{
	char num[32];
	ps_html h;

	if (ps_html_open(&h, "Stored", 0) != PS_OK) {
		ps_resp_problem(req, PS_E_NOMEM, NULL);
		return;
	}
	ps_html_raw(&h, "<h1>Stored</h1>\n<p><a rel=\"noopener noreferrer\" "
	    "href=\"");
	ps_html_put(&h, res->url);
	ps_html_raw(&h, "\">");
	ps_html_put(&h, res->url);
	ps_html_raw(&h, "</a></p>\n<dl>\n<dt>Backend</dt><dd>");
	ps_html_put(&h, res->backend);
	ps_html_raw(&h, "</dd>\n<dt>Type</dt><dd>");
	ps_html_put(&h, res->resource_type);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)res->bytes);
	ps_html_raw(&h, "</dd>\n<dt>Bytes</dt><dd>");
	ps_html_raw(&h, num);
	ps_html_raw(&h, "</dd>\n<dt>SHA-256</dt><dd><code>");
	ps_html_put(&h, res->sha256);
	ps_html_raw(&h, "</code></dd>\n<dt>Public id</dt><dd><code>");
	ps_html_put(&h, res->public_id);
	ps_html_raw(&h, "</code></dd>\n</dl>\n<p><a href=\"");
	ps_html_put(&h, ps_html_self(req));
	ps_html_raw(&h, "\">Upload another file</a></p>\n");
	ps_resp_header(req, "Location", res->url);
	ps_html_send(req, &h, 201);
}

void
ps_upload_respond(ps_req *req, ps_code rc, const ps_storage_result *res,
    const ps_err *err)
{
	json_object *o;

	if (rc != PS_OK) {
		if (ps_req_wants_html(req))
			ps_html_error(req, err, NULL, ps_html_self(req),
			    "Back to the form");
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
