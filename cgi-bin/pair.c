/*
 * pair - ask for a pairing code: POST /cgi-bin/pair with phone (form
 * field or JSON).  Takes the caller's session lock and enqueues the job
 * in one Redis round trip; answers 202 with where to watch it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_app.h"
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

static void
handle(ps_req *req, void *arg)
{
	ps_app *app = arg;
	char user[PS_USER_ID_MAX + 1], id[PS_JOB_ID_MAX + 1], url[256];
	char retry[24];
	ps_submit_result res;
	json_object *out;
	ps_err err = {0};
	ps_code rc;

	if (strcmp(ps_req_method(req), "POST") != 0) {
		ps_resp_header(req, "Allow", "POST");
		ps_resp_problem(req, PS_E_METHOD, "use POST");
		return;
	}
	/* The body first: demo identity may come from a form field. */
	if ((rc = ps_req_parse_form(req, &err)) != PS_OK ||
	    (rc = ps_auth_identify(app->auth, req, user, &err)) != PS_OK) {
		ps_app_error(req, &err);
		return;
	}
	rc = ps_pairing_submit(app->queue, user, ps_req_field(req, "phone"),
	    &res, &err);
	if (rc == PS_E_CONFLICT) {
		snprintf(retry, sizeof(retry), "%lld",
		    (long long)((res.retry_ms + 999) / 1000));
		ps_resp_header(req, "Retry-After", retry);
		ps_resp_problem(req, PS_E_CONFLICT, "a pairing request for "
		    "this user is already in progress");
		return;
	}
	if (rc != PS_OK) {
		ps_app_error(req, &err);
		return;
	}
	ps_pairing_job_id(user, id, sizeof(id));
	status_url(req, id, url, sizeof(url));
	if (res.spawn_worker && ps_config_bool(app->cfg, PS_CFG_WORKER_SPAWN) &&
	    ps_worker_spawn(app->cfg, &err) != PS_OK)
		ps_error("Worker", "no worker is running and none could be "
		    "started: %s", err.msg);
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
