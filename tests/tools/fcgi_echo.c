/*
 * fcgi_echo.c - test fixture for the accept loop (ps_fcgi_run): answers
 * every request with what it saw, as JSON:
 *   {"method","path_info","q","field","user","pid","cgi","stopping",
 *    "slept_ms"}
 * q is the query field "q", field the form field "f" (POST bodies are
 * parsed as small forms), user the identity under AUTH_MODE.  Knobs in
 * the query string:
 *   sleep_ms=N   sleep N ms before answering, whatever signals arrive
 *                (an in-flight request for the graceful-stop test)
 *   pad=N        add N bytes of "x" as "pad" (a response bigger than
 *                libfcgi's 8 KiB buffers)
 *   silent=1     send nothing (the loop must answer 500)
 * Errors are answered with ps_resp_error() (problem+json).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "ps_auth.h"
#include "ps_config.h"
#include "ps_error.h"
#include "ps_fcgi.h"
#include "ps_http.h"
#include "ps_log.h"
#include "ps_util.h"

#define MAX_SLEEP_MS 60000
#define MAX_PAD (1024 * 1024)

static long
knob(ps_req *req, const char *name, long max)
{
	const char *v;
	int64_t n;

	v = ps_req_query(req, name);
	if (v == NULL || ps_parse_i64(v, strlen(v), &n) != 0 || n < 0)
		return 0;
	return n > max ? max : (long)n;
}

/* Sleep ms whole: a signal (SIGTERM) does not cut it short. */
static void
sleep_ms(long ms)
{
	struct timespec ts, rem;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
		ts = rem;
}

static json_object *
str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static void
handle(ps_req *req, void *arg)
{
	const ps_auth *auth = arg;
	char user[PS_USER_ID_MAX + 1];
	ps_err err = {0};
	json_object *o;
	long slept, pad;
	char *padding;

	if (ps_req_query_error(req, &err) != PS_OK) {
		ps_resp_error(req, &err);
		return;
	}
	if (knob(req, "silent", 1) == 1)
		return;
	slept = knob(req, "sleep_ms", MAX_SLEEP_MS);
	if (slept > 0)
		sleep_ms(slept);
	if (strcmp(ps_req_method(req), "POST") == 0 &&
	    ps_req_parse_form(req, &err) != PS_OK) {
		ps_resp_error(req, &err);
		return;
	}
	if (ps_auth_identify(auth, req, user, &err) != PS_OK) {
		ps_resp_error(req, &err);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "method",
	    json_object_new_string(ps_req_method(req)));
	json_object_object_add(o, "path_info",
	    json_object_new_string(ps_req_path_info(req)));
	json_object_object_add(o, "q", str_or_null(ps_req_query(req, "q")));
	json_object_object_add(o, "field",
	    str_or_null(ps_req_field(req, "f")));
	json_object_object_add(o, "user", json_object_new_string(user));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "cgi",
	    json_object_new_boolean(ps_fcgi_is_cgi()));
	json_object_object_add(o, "stopping",
	    json_object_new_boolean(ps_fcgi_stopping()));
	json_object_object_add(o, "slept_ms", json_object_new_int64(slept));
	pad = knob(req, "pad", MAX_PAD);
	if (pad > 0) {
		padding = malloc((size_t)pad + 1);
		if (padding != NULL) {
			memset(padding, 'x', (size_t)pad);
			padding[pad] = '\0';
			json_object_object_add(o, "pad",
			    json_object_new_string(padding));
			free(padding);
		}
	}
	ps_resp_json(req, 200, o);
	json_object_put(o);
}

int
main(int argc, char **argv)
{
	ps_fcgi_opts opts = {0};
	ps_config *cfg = NULL;
	ps_auth *auth = NULL;
	ps_log_level level;
	ps_err err = {0};
	int rc;

	opts.program = "fcgi_echo";
	opts.summary = "Test fixture: answers each request with what it saw.";
	rc = ps_fcgi_parse_args(argc, argv, &opts);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	ps_log_init("fcgi_echo", PS_LOG_INFO);
	if (ps_config_load(&cfg, &err) != PS_OK) {
		ps_error(NULL, "%s", err.msg);
		return 1;
	}
	if (ps_log_level_parse(ps_config_str(cfg, PS_CFG_LOG_LEVEL),
	    &level) == 0)
		ps_log_set_level(level);
	ps_config_register_secrets(cfg);
	if (ps_auth_new(&auth, cfg, &err) != PS_OK) {
		ps_error("Auth", "%s", err.msg);
		ps_config_free(cfg);
		return 1;
	}
	rc = ps_fcgi_run(&opts, handle, auth);
	ps_auth_free(auth);
	ps_config_free(cfg);
	return rc;
}
