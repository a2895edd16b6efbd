/* ps_app.c - see ps_app.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ps_app.h"
#include "ps_log.h"

void
ps_iso8601(int64_t ms, char *buf, size_t sz)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

void
ps_app_error(ps_req *req, const ps_err *err)
{
	int status = ps_code_http_status(err->code);

	if (status >= 500) {
		ps_error("Server", "%s %s: %s", ps_req_method(req),
		    ps_req_param(req, "SCRIPT_NAME") != NULL ?
		    ps_req_param(req, "SCRIPT_NAME") : "", err->msg);
		/* The client learns the kind of failure, not our insides,
		 * except for the one users know by name. */
		if (err->code == PS_E_REDIS)
			ps_resp_problem(req, err->code,
			    "Redis not available; try again shortly");
		else
			ps_resp_problem(req, err->code, NULL);
		return;
	}
	/* RFC 9110, 15.5.2: a 401 names the scheme it wants. */
	if (err->code == PS_E_AUTH)
		ps_resp_header(req, "WWW-Authenticate",
		    "Bearer realm=\"pairstore\"");
	ps_resp_error(req, err);
}

static void
dispatch(ps_req *req, void *arg)
{
	ps_app *app = arg;

	if (app->broken) {
		ps_resp_problem(req, PS_E_CONFIG, NULL);
		return;
	}
	app->handler(req, app);
}

static int
setup(ps_app *app, const char *program)
{
	ps_log_level level;
	ps_err err = {0};

	if (ps_config_load(&app->cfg, &err) != PS_OK)
		goto fail;
	if (ps_log_level_parse(ps_config_str(app->cfg, PS_CFG_LOG_LEVEL),
	    &level) == 0)
		ps_log_set_level(level);
	ps_config_register_secrets(app->cfg);
	if (ps_redis_new(&app->redis, app->cfg, &err) != PS_OK ||
	    ps_queue_new(&app->queue, app->redis, app->cfg, &err) != PS_OK ||
	    ps_auth_new(&app->auth, app->cfg, &err) != PS_OK)
		goto fail;
	return 0;
fail:
	ps_error("Server", "%s: configuration error: %s; answering 500 "
	    "until it is fixed", program, err.msg);
	app->broken = 1;
	return -1;
}

int
ps_app_main(int argc, char **argv, const char *program, const char *summary,
    ps_fcgi_handler handler)
{
	ps_fcgi_opts opts;
	ps_app app;
	int rc;

	ps_log_init(program, PS_LOG_INFO);
	memset(&opts, 0, sizeof(opts));
	opts.program = program;
	opts.summary = summary;
	rc = ps_fcgi_parse_args(argc, argv, &opts);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	memset(&app, 0, sizeof(app));
	app.handler = handler;
	setup(&app, program);
	rc = ps_fcgi_run(&opts, dispatch, &app);
	ps_auth_free(app.auth);
	ps_queue_free(app.queue);
	ps_redis_free(app.redis);
	ps_config_free(app.cfg);
	return rc;
}
