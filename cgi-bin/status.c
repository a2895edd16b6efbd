/*
 * status - where a pairing job is:
 *   GET /cgi-bin/status?job=ID   one job (its owner only; the code while
 *                                it is valid)
 *   GET /cgi-bin/status          the caller's lock and latest job
 *   GET /cgi-bin/status/health   operator view (JSON)
 *   GET /cgi-bin/status/metrics  Prometheus text format
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_app.h"
#include "ps_html.h"
#include "ps_lock.h"
#include "ps_log.h"
#include "ps_pairing.h"

static void
add_time(json_object *o, const char *name, int64_t ms)
{
	char buf[40];

	if (ms <= 0)
		return;
	ps_iso8601(ms, buf, sizeof(buf));
	json_object_object_add(o, name, json_object_new_string(buf));
}

/* The JSON view of a job, for its owner. */
static json_object *
job_json(const ps_job *job)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "job", json_object_new_string(job->id));
	json_object_object_add(o, "state",
	    json_object_new_string(ps_job_state_name(job->state)));
	if (job->state == PS_JOB_WAITING)
		json_object_object_add(o, "position",
		    json_object_new_int64(job->position));
	if (job->state == PS_JOB_COMPLETED && job->result[0] != '\0') {
		json_object_object_add(o, "code",
		    json_object_new_string(job->result));
		add_time(o, "code_expires_at", job->result_expires_ms);
		json_object_object_add(o, "code_expires_in_ms",
		    json_object_new_int64(job->result_expires_ms -
		    job->now_ms));
	}
	if ((job->state == PS_JOB_FAILED || job->state == PS_JOB_DELAYED) &&
	    job->error[0] != '\0')
		json_object_object_add(o, "error",
		    json_object_new_string(job->error));
	json_object_object_add(o, "attempts",
	    json_object_new_int(job->attempts));
	json_object_object_add(o, "max_attempts",
	    json_object_new_int(job->max_attempts));
	add_time(o, "created_at", job->created_ms);
	add_time(o, "started_at", job->started_ms);
	add_time(o, "finished_at", job->finished_ms);
	if (job->state == PS_JOB_DELAYED)
		add_time(o, "next_attempt_at", job->next_run_ms);
	return o;
}

/* Errors: a page for a browser, problem+json for everyone else. */
static void
fail(ps_req *req, ps_code code, const char *detail)
{
	char home[256];
	ps_err err = {0};

	if (!ps_req_wants_html(req)) {
		ps_resp_problem(req, code, detail);
		return;
	}
	ps_err_set(&err, code, "%s", detail);
	ps_html_home(req, home, sizeof(home));
	ps_html_error(req, &err, NULL, home, "Back to the form");
}

static void
fail_err(ps_req *req, const ps_err *err)
{
	char home[256];

	if (!ps_req_wants_html(req)) {
		ps_app_error(req, err);
		return;
	}
	ps_html_home(req, home, sizeof(home));
	ps_html_error(req, err, NULL, home, "Back to the form");
}

/*
 * The page a plain form post lands on (pair answers 303 here): the job's
 * state, refreshed every 2 s while it runs, the code large once done.
 */
static void
job_page(ps_req *req, const ps_job *job)
{
	int running = job->state == PS_JOB_WAITING ||
	    job->state == PS_JOB_ACTIVE || job->state == PS_JOB_DELAYED;
	char buf[96], home[256];
	int64_t left;
	ps_html h;

	if (ps_html_open(&h, "Pairing code", running ? 2 : 0) != PS_OK) {
		ps_resp_problem(req, PS_E_NOMEM, NULL);
		return;
	}
	ps_html_raw(&h, "<h1>Pairing code</h1>\n<p id=\"state\">");
	switch (job->state) {
	case PS_JOB_WAITING:
		snprintf(buf, sizeof(buf), "Waiting: position %lld in line.",
		    (long long)job->position);
		ps_html_put(&h, buf);
		break;
	case PS_JOB_ACTIVE:
		ps_html_raw(&h, "Working on it&hellip;");
		break;
	case PS_JOB_DELAYED:
		ps_html_raw(&h, "The last attempt failed; trying again "
		    "shortly.");
		break;
	case PS_JOB_COMPLETED:
		left = job->result_expires_ms - job->now_ms;
		if (job->result[0] == '\0' || left <= 0) {
			ps_html_raw(&h, "The code has expired. Ask for a new "
			    "one.");
			break;
		}
		ps_html_raw(&h, "Your code:</p>\n<p class=\"code\" "
		    "id=\"code\">");
		if (strlen(job->result) == 8)
			snprintf(buf, sizeof(buf), "%.4s-%.4s", job->result,
			    job->result + 4);
		else
			snprintf(buf, sizeof(buf), "%s", job->result);
		ps_html_put(&h, buf);
		snprintf(buf, sizeof(buf), "</p>\n<p>Valid for %lld more "
		    "second%s (reload to see the time left).",
		    (long long)(left / 1000),
		    left / 1000 == 1 ? "" : "s");
		ps_html_raw(&h, buf);
		break;
	case PS_JOB_FAILED:
	default:
		ps_html_raw(&h, "<span class=\"error\">The request failed");
		if (job->error[0] != '\0') {
			ps_html_raw(&h, ": ");
			ps_html_put(&h, job->error);
		}
		ps_html_raw(&h, ".</span>");
		break;
	}
	ps_html_raw(&h, "</p>\n");
	if (running)
		ps_html_raw(&h, "<p>This page refreshes itself every two "
		    "seconds.</p>\n");
	ps_html_home(req, home, sizeof(home));
	ps_html_raw(&h, "<p><a href=\"");
	ps_html_put(&h, home);
	ps_html_raw(&h, "\">Back to the form</a></p>\n");
	ps_html_send(req, &h, 200);
}

static void
one_job(ps_app *app, ps_req *req, const char *user, const char *id)
{
	ps_job job;
	ps_err err = {0};
	int found;
	json_object *o;

	if (ps_queue_get(app->queue, id, &job, &found, &err) != PS_OK) {
		fail_err(req, &err);
		return;
	}
	if (!found) {
		fail(req, PS_E_NOT_FOUND, "no such job");
		return;
	}
	if (strcmp(job.user, user) != 0) {
		fail(req, PS_E_FORBIDDEN, "this job belongs to another user");
		return;
	}
	if (ps_req_wants_html(req)) {
		job_page(req, &job);
		return;
	}
	o = job_json(&job);
	ps_resp_json(req, 200, o);
	json_object_put(o);
}

static void
own_status(ps_app *app, ps_req *req, const char *user)
{
	char id[PS_JOB_ID_MAX + 1];
	json_object *o, *lock;
	int64_t lock_ms;
	ps_job job;
	ps_err err = {0};
	int found;

	ps_pairing_job_id(user, id, sizeof(id));
	if (ps_queue_get_with_lock(app->queue, id, user, &job, &found,
	    &lock_ms, &err) != PS_OK) {
		fail_err(req, &err);
		return;
	}
	if (ps_req_wants_html(req)) {
		if (found)
			job_page(req, &job);
		else
			fail(req, PS_E_NOT_FOUND, "no pairing request yet");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "user", json_object_new_string(user));
	lock = json_object_new_object();
	json_object_object_add(lock, "held",
	    json_object_new_boolean(lock_ms != -2));
	if (lock_ms >= 0)
		json_object_object_add(lock, "ms_left",
		    json_object_new_int64(lock_ms));
	json_object_object_add(o, "lock", lock);
	json_object_object_add(o, "job", found ? job_json(&job) : NULL);
	ps_resp_json(req, 200, o);
	json_object_put(o);
}

static void
health(ps_app *app, ps_req *req)
{
	ps_queue_stats st;
	json_object *o, *q, *ws, *w;
	int64_t t0 = ps_mono_ms();
	ps_err err = {0};
	int i;

	o = json_object_new_object();
	/* What the browser page needs to know to identify its user. */
	json_object_object_add(o, "auth_mode", json_object_new_string(
	    ps_config_str(app->cfg, PS_CFG_AUTH_MODE)));
	if (ps_queue_stats_get(app->queue, &st, &err) != PS_OK) {
		json_object_object_add(o, "status",
		    json_object_new_string("down"));
		q = json_object_new_object();
		json_object_object_add(q, "ok", json_object_new_boolean(0));
		json_object_object_add(q, "error",
		    json_object_new_string(ps_code_title(err.code)));
		json_object_object_add(o, "redis", q);
		ps_error("Server", "health: %s", err.msg);
		ps_resp_json(req, 503, o);
		json_object_put(o);
		return;
	}
	json_object_object_add(o, "status", json_object_new_string(
	    st.nworkers > 0 || st.waiting + st.active + st.delayed == 0 ?
	    "ok" : "degraded"));
	q = json_object_new_object();
	json_object_object_add(q, "ok", json_object_new_boolean(1));
	json_object_object_add(q, "latency_ms",
	    json_object_new_int64(ps_mono_ms() - t0));
	json_object_object_add(o, "redis", q);
	q = json_object_new_object();
	json_object_object_add(q, "waiting", json_object_new_int64(st.waiting));
	json_object_object_add(q, "delayed", json_object_new_int64(st.delayed));
	json_object_object_add(q, "active", json_object_new_int64(st.active));
	json_object_object_add(q, "completed",
	    json_object_new_int64(st.completed));
	json_object_object_add(q, "failed", json_object_new_int64(st.failed));
	json_object_object_add(o, "queue", q);
	ws = json_object_new_array();
	for (i = 0; i < st.nworkers; i++) {
		w = json_object_new_object();
		json_object_object_add(w, "id",
		    json_object_new_string(st.workers[i].id));
		json_object_object_add(w, "last_seen_ms_ago",
		    json_object_new_int64(st.now_ms -
		    st.workers[i].last_seen_ms));
		json_object_array_add(ws, w);
	}
	json_object_object_add(o, "workers", ws);
	ps_resp_json(req, 200, o);
	json_object_put(o);
}

/* Prometheus text exposition format 0.0.4. */
static void
metrics(ps_app *app, ps_req *req)
{
	static const char ctype[] = "text/plain; version=0.0.4; charset=utf-8";
	char buf[8192];
	size_t n = 0;
	ps_queue_stats st;
	ps_err err = {0};
	int i;

#define OUT(...)                                                           \
	do {                                                               \
		int w_ = snprintf(buf + n, sizeof(buf) - n, __VA_ARGS__);  \
		if (w_ > 0 && (size_t)w_ < sizeof(buf) - n)                \
			n += (size_t)w_;                                   \
	} while (0)

	if (ps_queue_stats_get(app->queue, &st, &err) != PS_OK) {
		ps_error("Server", "metrics: %s", err.msg);
		OUT("# HELP pairstore_redis_up Whether Redis answered.\n"
		    "# TYPE pairstore_redis_up gauge\npairstore_redis_up 0\n");
		ps_resp_text(req, 503, ctype, buf);
		return;
	}
	OUT("# HELP pairstore_redis_up Whether Redis answered.\n"
	    "# TYPE pairstore_redis_up gauge\npairstore_redis_up 1\n");
	OUT("# HELP pairstore_queue_jobs Jobs in the queue by state.\n"
	    "# TYPE pairstore_queue_jobs gauge\n");
	OUT("pairstore_queue_jobs{state=\"waiting\"} %lld\n",
	    (long long)st.waiting);
	OUT("pairstore_queue_jobs{state=\"delayed\"} %lld\n",
	    (long long)st.delayed);
	OUT("pairstore_queue_jobs{state=\"active\"} %lld\n",
	    (long long)st.active);
	OUT("pairstore_queue_jobs{state=\"completed\"} %lld\n",
	    (long long)st.completed);
	OUT("pairstore_queue_jobs{state=\"failed\"} %lld\n",
	    (long long)st.failed);
#define COUNTER(name, help, v)                                             \
	OUT("# HELP pairstore_" name " " help "\n# TYPE pairstore_" name   \
	    " counter\npairstore_" name " %lld\n", (long long)(v))
	COUNTER("jobs_submitted_total", "Jobs accepted.", st.submitted_total);
	COUNTER("jobs_completed_total", "Jobs completed.",
	    st.completed_total);
	COUNTER("jobs_failed_total", "Jobs failed for good.", st.failed_total);
	COUNTER("jobs_retried_total", "Failed attempts that were retried.",
	    st.retried_total);
	COUNTER("jobs_stalled_total", "Leases that ran out (lost workers).",
	    st.stalled_total);
	COUNTER("jobs_timed_out_total", "Attempts past JOB_TIMEOUT_MS.",
	    st.timed_out_total);
	COUNTER("lock_acquisitions_total", "Session locks taken by submits.",
	    st.lock_acquired_total);
	COUNTER("lock_refusals_total", "Submits refused: lock held or job "
	    "in flight.", st.lock_refused_total);
#undef COUNTER
	OUT("# HELP pairstore_workers_alive Workers seen in the last "
	    "60 seconds.\n# TYPE pairstore_workers_alive gauge\n"
	    "pairstore_workers_alive %d\n", st.nworkers);
	OUT("# HELP pairstore_worker_last_seen_seconds Seconds since a "
	    "worker's last heartbeat.\n"
	    "# TYPE pairstore_worker_last_seen_seconds gauge\n");
	for (i = 0; i < st.nworkers; i++)
		OUT("pairstore_worker_last_seen_seconds{worker=\"%s\"} "
		    "%.3f\n", st.workers[i].id,
		    (double)(st.now_ms - st.workers[i].last_seen_ms) / 1000.0);
#undef OUT
	ps_resp_text(req, 200, ctype, buf);
}

static void
handle(ps_req *req, void *arg)
{
	ps_app *app = arg;
	const char *path = ps_req_path_info(req), *job;
	char user[PS_USER_ID_MAX + 1];
	ps_err err = {0};

	if (strcmp(ps_req_method(req), "GET") != 0 &&
	    strcmp(ps_req_method(req), "HEAD") != 0) {
		ps_resp_header(req, "Allow", "GET, HEAD");
		ps_resp_problem(req, PS_E_METHOD, "use GET");
		return;
	}
	if (strcmp(path, "/health") == 0) {
		health(app, req);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		metrics(app, req);
		return;
	}
	if (path[0] != '\0' && strcmp(path, "/") != 0) {
		ps_resp_problem(req, PS_E_NOT_FOUND, "no such resource");
		return;
	}
	if (ps_req_query_error(req, &err) != PS_OK ||
	    ps_auth_identify(app->auth, req, user, &err) != PS_OK) {
		fail_err(req, &err);
		return;
	}
	if ((job = ps_req_query(req, "job")) != NULL)
		one_job(app, req, user, job);
	else
		own_status(app, req, user);
}

int
main(int argc, char **argv)
{
	return ps_app_main(argc, argv, "status",
	    "pairing job status, health and metrics", handle);
}
