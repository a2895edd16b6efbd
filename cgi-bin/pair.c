/*
 * pair - ask for a pairing code: POST /cgi-bin/pair with phone (form
 * field or JSON).  Takes the caller's session lock and enqueues the job
 * in one Redis round trip; answers 202 with where to watch it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_app.h"
#include "ps_html.h"
#include "ps_log.h"
#include "ps_pairing.h"
#include "ps_worker.h"

/* "/cgi-bin/status?job=pair%3Aalice", next to this program. */
static void
status_url(ps_req *req, const char *id, char *buf, size_t sz)
{
	const char *script = ps_req_param(req, "SCRIPT_NAME");
	const char *slash;
	size_t dir = 0, o, i;

	if (script != NULL && (slash = strrchr(script, '/')) != NULL)
		dir = (size_t)(slash - script);
	if (dir > sz / 2)
		dir = 0;
	memcpy(buf, script != NULL ? script : "", dir);
	o = dir + (size_t)snprintf(buf + dir, sz - dir, "/status?job=");
	for (i = 0; id[i] != '\0' && o + 4 < sz; i++) {
		if (id[i] == ':')
			o += (size_t)snprintf(buf + o, sz - o, "%%3A");
		else
			buf[o++] = id[i];
	}
	buf[o] = '\0';
}

/* Plain form posts (no JavaScript) get pages, API clients JSON. */
static void
fail(ps_req *req, const ps_err *err, const char *text)
{
	char home[256];

	if (!ps_req_wants_html(req)) {
		if (text != NULL)
			ps_resp_problem(req, err->code, text);
		else
			ps_app_error(req, err);
		return;
	}
	ps_html_home(req, home, sizeof(home));
	ps_html_error(req, err, text, home, "Back to the form");
}

/* 303 See Other to the job's status page, which refreshes itself. */
static void
see_status(ps_req *req, const char *url, const char *user, int demo)
{
	char loc[512];
	ps_html h;

	/* In demo mode the page names the user, as the form did. */
	snprintf(loc, sizeof(loc), "%s%s%s", url, demo ? "&user=" : "",
	    demo ? user : "");
	ps_resp_header(req, "Location", loc);
	if (ps_html_open(&h, "Pairing code requested", 0) != PS_OK) {
		ps_resp_problem(req, PS_E_NOMEM, NULL);
		return;
	}
	ps_html_raw(&h, "<h1>Pairing code requested</h1>\n<p><a href=\"");
	ps_html_put(&h, loc);
	ps_html_raw(&h, "\">See its status</a></p>\n");
	ps_html_send(req, &h, 303);
}

static void
handle(ps_req *req, void *arg)
{
	ps_app *app = arg;
	char user[PS_USER_ID_MAX + 1], id[PS_JOB_ID_MAX + 1], url[256];
	char retry[24], text[160];
	ps_submit_result res;
	json_object *out;
	ps_err err = {0};
	ps_code rc;
	long long secs;
	int demo;

	if (strcmp(ps_req_method(req), "POST") != 0) {
		ps_resp_header(req, "Allow", "POST");
		ps_resp_problem(req, PS_E_METHOD, "use POST");
		return;
	}
	/* A browser's form post from another site is refused before
	 * anything is read (ps_http.h: Sec-Fetch-Site, Origin). */
	if ((rc = ps_req_check_origin(req, ps_config_str(app->cfg,
	    PS_CFG_PUBLIC_ORIGIN), &err)) != PS_OK) {
		ps_info("Pair", "%s", err.msg);
		fail(req, &err, NULL);
		return;
	}
	/* The body first: demo identity may come from a form field. */
	if ((rc = ps_req_parse_form(req, &err)) != PS_OK ||
	    (rc = ps_auth_identify(app->auth, req, user, &err)) != PS_OK) {
		fail(req, &err, NULL);
		return;
	}
	rc = ps_pairing_submit(app->queue, user, ps_req_field(req, "phone"),
	    &res, &err);
	if (rc == PS_E_CONFLICT) {
		secs = (long long)((res.retry_ms + 999) / 1000);
		snprintf(retry, sizeof(retry), "%lld", secs);
		ps_resp_header(req, "Retry-After", retry);
		if (ps_req_wants_html(req)) {
			snprintf(text, sizeof(text), "A pairing request for "
			    "this user is already in progress. Try again in "
			    "%lld second%s.", secs, secs == 1 ? "" : "s");
			err.code = PS_E_CONFLICT;
			fail(req, &err, text);
		} else
			ps_resp_problem(req, PS_E_CONFLICT, "a pairing request "
			    "for this user is already in progress");
		return;
	}
	if (rc != PS_OK) {
		fail(req, &err, NULL);
		return;
	}
	ps_pairing_job_id(user, id, sizeof(id));
	status_url(req, id, url, sizeof(url));
	if (res.spawn_worker && ps_config_bool(app->cfg, PS_CFG_WORKER_SPAWN) &&
	    ps_worker_spawn(app->cfg, &err) != PS_OK)
		ps_error("Worker", "no worker is running and none could be "
		    "started: %s", err.msg);
	if (ps_req_wants_html(req)) {
		demo = strcmp(ps_config_str(app->cfg, PS_CFG_AUTH_MODE),
		    "demo") == 0;
		see_status(req, url, user, demo);
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "job", json_object_new_string(id));
	json_object_object_add(out, "state", json_object_new_string("waiting"));
	json_object_object_add(out, "position",
	    json_object_new_int64(res.position));
	json_object_object_add(out, "status_url", json_object_new_string(url));
	ps_resp_header(req, "Location", url);
	ps_resp_json(req, 202, out);
	json_object_put(out);
}

int
main(int argc, char **argv)
{
	return ps_app_main(argc, argv, "pair",
	    "ask for a pairing code (POST phone)", handle);
}
