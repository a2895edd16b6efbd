/*
 * upload - store a media file (DESIGN.md, "HTTP interface"):
 *   GET  /cgi-bin/upload   a self-contained HTML form
 *   POST /cgi-bin/upload   multipart/form-data with kind and file (and
 *                          user in demo mode): 201 {"url","backend",
 *                          "resource_type","bytes","sha256","public_id"}
 * The body streams into a spool and goes through the storage chain
 * (Cloudinary, Supabase, local disk); see lib/ps_upload.h for the rules.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ps_app.h"
#include "ps_log.h"
#include "ps_storage.h"
#include "ps_upload.h"

/* Set up on the first request, kept for the life of the process. */
static ps_storage *storage;
static ps_upload_conf conf;
static int ready;	/* 1 set up, -1 failed (logged once) */

static void
teardown(void)
{
	ps_storage_free(storage);
	storage = NULL;
}

static int
setup(ps_app *app)
{
	ps_err err = {0};

	if (ready != 0)
		return ready;
	if (ps_upload_conf_load(&conf, app->cfg, &err) != PS_OK ||
	    ps_storage_new(&storage, app->cfg, app->redis, &err) != PS_OK) {
		ps_error("Server", "upload: configuration error: %s; "
		    "answering 500 until it is fixed", err.msg);
		ready = -1;
		return ready;
	}
	atexit(teardown);
	ready = 1;
	return ready;
}

static void
handle(ps_req *req, void *arg)
{
	ps_app *app = arg;
	const char *m = ps_req_method(req);
	ps_storage_result res;
	ps_err err = {0};
	ps_code rc;

	if (setup(app) < 0) {
		ps_resp_problem(req, PS_E_CONFIG, NULL);
		return;
	}
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
		ps_upload_form_page(req, &conf);
		return;
	}
	if (strcmp(m, "POST") != 0) {
		ps_resp_header(req, "Allow", "GET, HEAD, POST");
		ps_resp_problem(req, PS_E_METHOD, "use POST to upload, GET "
		    "for the form");
		return;
	}
	rc = ps_upload_post(req, &conf, app->auth, storage, &res, &err);
	ps_upload_respond(req, rc, &res, &err);
}

int
main(int argc, char **argv)
{
	return ps_app_main(argc, argv, "upload",
	    "store a media file (POST multipart kind and file)", handle);
}
