/*
 * ps_upload.h - the upload program's logic (DESIGN.md, "HTTP interface"
 * and "Storage chain"): the cross-site check, the multipart/form-data
 * body streamed into a spool, the rules a form must follow, the answer.
 *
 * POST /cgi-bin/upload takes a multipart/form-data body (RFC 7578) with
 *   kind   one of deleted-messages, view-once, scheduled-status
 *   file   the file, exactly one part; its filename and Content-Type
 *          are never used (name and type come from the bytes)
 *   user   the user id, AUTH_MODE=demo only
 * in any order, and nothing else.  The body is read in
 * PS_UPLOAD_READ_BYTES pieces straight into the multipart parser and the
 * file part into a spool (ps_spool.h), so memory stays the same whatever
 * the size.  Nothing is stored before every rule has been checked, and
 * the spool is gone when ps_upload_post() returns, whatever happened
 * (DESIGN.md, invariant 5).
 *
 * Cross-site posts (ps_req_check_origin, ps_http.h) are refused with 403.
 */

#ifndef PS_UPLOAD_H
#define PS_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "ps_auth.h"
#include "ps_config.h"
#include "ps_error.h"
#include "ps_http.h"
#include "ps_storage.h"

/* Bytes of multipart framing (boundaries, part headers, the kind and
 * user fields) allowed on top of UPLOAD_MAX_BYTES in CONTENT_LENGTH. */
#define PS_UPLOAD_OVERHEAD (64 * 1024)
/* One ps_req_read(): the only buffer the body passes through. */
#define PS_UPLOAD_READ_BYTES (64 * 1024)
/* Longest kind or user value (the longest kind is 16, a user id 64). */
#define PS_UPLOAD_FIELD_MAX 64
/* Room for a normalised "scheme://host:port" origin. */
#define PS_UPLOAD_ORIGIN_MAX PS_ORIGIN_MAX

typedef struct ps_upload_conf {
	uint64_t max_bytes;	/* UPLOAD_MAX_BYTES: the file part */
	const char *spool_dir;	/* SPOOL_DIR; NULL: $TMPDIR, else /tmp */
	unsigned spool_flags;	/* ps_spool_new() flags (tests) */
	char public_origin[PS_UPLOAD_ORIGIN_MAX]; /* "" when unset */
	int demo;		/* AUTH_MODE=demo: a user part is allowed */
} ps_upload_conf;

/*
 * Read the settings: UPLOAD_MAX_BYTES, SPOOL_DIR (kept as a pointer into
 * cfg), PUBLIC_ORIGIN (PS_E_CONFIG unless it is http(s)://host[:port],
 * a trailing '/' tolerated), AUTH_MODE.
 */
ps_code ps_upload_conf_load(ps_upload_conf *conf, const ps_config *cfg,
    ps_err *err);


/*
 * A form as received: the file spooled and finished (NULL when there
 * was no file part), the text fields, and whether the client went away
 * in the middle of the body.
 */
typedef struct ps_upload_form {
	ps_spool *spool;
	char kind[PS_UPLOAD_FIELD_MAX + 1];
	char user[PS_UPLOAD_FIELD_MAX + 1];
	int has_file, has_kind, has_user;
	int aborted;		/* ps_req_read() failed: client gone */
} ps_upload_form;

/*
 * Check CONTENT_TYPE (multipart/form-data with a boundary, else
 * PS_E_UNSUPPORTED) and CONTENT_LENGTH (required: PS_E_INVALID; over
 * max_bytes + PS_UPLOAD_OVERHEAD: PS_E_TOO_LARGE, before a byte is
 * read), then stream the body into form.  Part rules: only kind, file
 * and (demo) user, each at most once, kind and user as short text
 * without control characters, kind from the allow-list (checked as soon
 * as its part ends, so a bad kind sent first stops the upload before the
 * file is read); a file larger than max_bytes is PS_E_TOO_LARGE.  On
 * success the form has a file and a valid kind (and, when present, a
 * valid user: PS_E_AUTH otherwise); on any error form->spool is NULL:
 * nothing of the upload is left.  form is reset first.
 */
ps_code ps_upload_receive(ps_req *req, const ps_upload_conf *conf,
    ps_upload_form *form, ps_err *err);

/* Remove the spool (if any) and reset form; harmless when empty. */
void ps_upload_form_clear(ps_upload_form *form);

/*
 * The whole POST: the cross-site check (403), the caller's identity
 * (401; in demo mode the user part wins over ?user= and the
 * X-Pairstore-User header and may stand in for them), the body
 * (ps_upload_receive), then ps_storage_store() into res.  The spool is
 * removed before it returns, on every path.
 */
ps_code ps_upload_post(ps_req *req, const ps_upload_conf *conf,
    const ps_auth *auth, ps_storage *st, ps_storage_result *res,
    ps_err *err);

/*
 * The answers.  ps_upload_respond(): on PS_OK 201 with Location = url and
 * {"url","backend","resource_type","bytes","sha256","public_id"}, or a
 * small HTML page when the client prefers HTML (ps_req_wants_html);
 * otherwise the error as problem+json (ps_app_error) or as an HTML page
 * with the same status.  ps_upload_form_page(): 200, the HTML form (a
 * user field in demo mode).  HTML answers are self-contained and carry
 * Content-Security-Policy "default-src 'none'; style-src 'unsafe-inline';
 * form-action 'self'" and X-Frame-Options DENY; everything echoed in
 * them is escaped.
 */
void ps_upload_respond(ps_req *req, ps_code rc,
    const ps_storage_result *res, const ps_err *err);
void ps_upload_form_page(ps_req *req, const ps_upload_conf *conf);

#endif /* PS_UPLOAD_H */
