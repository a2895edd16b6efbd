/* ps_queue.c - see ps_queue.h; the scripts are in ps_queue_lua.h. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_lock.h"
#include "ps_log.h"
#include "ps_queue.h"
#include "ps_queue_lua.h"
#include "ps_util.h"

/* A worker counts as alive this long after its last heartbeat. */
#define ALIVE_WINDOW_MS 15000
/* At most one on-demand worker start per this period. */
#define SPAWN_GUARD_MS 10000
#define NCOMMON 5

enum { S_SUBMIT, S_TAKE, S_RENEW, S_COMPLETE, S_FAIL, S_GET, S_STATS,
	S_HEARTBEAT, S__COUNT };

static ps_redis_script scripts[S__COUNT];
static int scripts_ready;

struct ps_queue {
	ps_redis *r;
	char prefix[96];		/* "{tag}:" */
	char common[NCOMMON][24];
	int64_t lease_ms, timeout_ms, lock_ttl_ms, result_ttl_ms;
	int attempts;
	int64_t max_waiting;
	int spawn_guard_ms;	/* 0: on-demand workers are off */
	ps_queue_event_fn on_event;
	void *event_arg;
};

static void
scripts_init(void)
{
	if (scripts_ready)
		return;
	ps_redis_script_init(&scripts[S_SUBMIT], "queue-submit", submit_lua);
	ps_redis_script_init(&scripts[S_TAKE], "queue-take", take_lua);
	ps_redis_script_init(&scripts[S_RENEW], "queue-renew", renew_lua);
	ps_redis_script_init(&scripts[S_COMPLETE], "queue-complete",
	    complete_lua);
	ps_redis_script_init(&scripts[S_FAIL], "queue-fail", fail_lua);
	ps_redis_script_init(&scripts[S_GET], "queue-get", get_lua);
	ps_redis_script_init(&scripts[S_STATS], "queue-stats", stats_lua);
	ps_redis_script_init(&scripts[S_HEARTBEAT], "queue-heartbeat",
	    heartbeat_lua);
	scripts_ready = 1;
}

const char *
ps_job_state_name(ps_job_state s)
{
	static const char *const names[] = {
		"unknown", "waiting", "delayed", "active", "completed",
		"failed"
	};

	return (int)s >= 0 && s <= PS_JOB_FAILED ? names[s] : "unknown";
}

static ps_job_state
state_parse(const char *s, size_t n)
{
	int i;

	for (i = PS_JOB_WAITING; i <= PS_JOB_FAILED; i++)
		if (strlen(ps_job_state_name(i)) == n &&
		    memcmp(ps_job_state_name(i), s, n) == 0)
			return i;
	return PS_JOB_UNKNOWN;
}

ps_code
ps_queue_new(ps_queue **out, ps_redis *r, const ps_config *cfg, ps_err *err)
{
	ps_queue *q;

	scripts_init();
	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	q->r = r;
	snprintf(q->prefix, sizeof(q->prefix), "%s:", ps_redis_tag(r));
	snprintf(q->common[0], sizeof(q->common[0]), "%lld",
	    ps_config_int(cfg, PS_CFG_QUEUE_RETENTION_S) * 1000);
	snprintf(q->common[1], sizeof(q->common[1]), "%lld",
	    ps_config_int(cfg, PS_CFG_QUEUE_BACKOFF_MS));
	snprintf(q->common[2], sizeof(q->common[2]), "%lld",
	    ps_config_int(cfg, PS_CFG_QUEUE_MAX_STALLED));
	snprintf(q->common[3], sizeof(q->common[3]), "%lld",
	    ps_config_int(cfg, PS_CFG_JOB_TIMEOUT_MS));
	q->lease_ms = ps_config_int(cfg, PS_CFG_QUEUE_LEASE_MS);
	q->timeout_ms = ps_config_int(cfg, PS_CFG_JOB_TIMEOUT_MS);
	q->lock_ttl_ms = ps_config_int(cfg, PS_CFG_LOCK_TTL_MS);
	q->result_ttl_ms = ps_config_int(cfg, PS_CFG_PAIRING_CODE_TTL_S) * 1000;
	q->attempts = (int)ps_config_int(cfg, PS_CFG_QUEUE_ATTEMPTS);
	q->max_waiting = ps_config_int(cfg, PS_CFG_QUEUE_MAX_WAITING);
	q->spawn_guard_ms = ps_config_bool(cfg, PS_CFG_WORKER_SPAWN) ?
	    SPAWN_GUARD_MS : 0;
	if (q->lease_ms >= q->timeout_ms) {
		free(q);
		return ps_err_set(err, PS_E_CONFIG,
		    "QUEUE_LEASE_MS (%lld) must be shorter than JOB_TIMEOUT_MS "
		    "(%lld): the lease notices a lost worker, the timeout a "
		    "job that runs too long",
		    (long long)ps_config_int(cfg, PS_CFG_QUEUE_LEASE_MS),
		    (long long)ps_config_int(cfg, PS_CFG_JOB_TIMEOUT_MS));
	}
	*out = q;
	return PS_OK;
}

void
ps_queue_free(ps_queue *q)
{
	free(q);
}

ps_redis *
ps_queue_redis(ps_queue *q)
{
	return q->r;
}

void
ps_queue_set_event_handler(ps_queue *q, ps_queue_event_fn fn, void *arg)
{
	q->on_event = fn;
	q->event_arg = arg;
}

#define MAX_ARGS 16

/* Run script s with KEYS[1] = the wait list, the common arguments, then
 * n extra arguments. */
static ps_code
run(ps_queue *q, int s, int n, const char *const *extra, redisReply **rep,
    ps_err *err)
{
	const char *argv[MAX_ARGS];
	char wait_key[128];
	int i, k = 0;

	snprintf(wait_key, sizeof(wait_key), "%sq:wait", q->prefix);
	argv[k++] = wait_key;
	argv[k++] = q->prefix;
	for (i = 0; i < NCOMMON - 1; i++)
		argv[k++] = q->common[i];
	for (i = 0; i < n && k < MAX_ARGS; i++)
		argv[k++] = extra[i];
	return ps_redis_eval(q->r, &scripts[s], 1, k - 1, argv, NULL, rep,
	    err);
}

static ps_code
bad_reply(redisReply *rep, ps_err *err, const char *what)
{
	if (rep != NULL)
		freeReplyObject(rep);
	return ps_err_set(err, PS_E_INTERNAL, "unexpected reply to %s", what);
}

static int64_t
rint64(const redisReply *r)
{
	int64_t v = 0;

	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING &&
	    ps_parse_i64(r->str, r->len, &v) == 0)
		return v;
	return 0;
}

static void
copy_str(char *dst, size_t sz, const redisReply *r)
{
	size_t n = r->len < sz - 1 ? r->len : sz - 1;

	if (r->type != REDIS_REPLY_STRING) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, r->str, n);
	dst[n] = '\0';
}

/* Fill job from an HGETALL reply. */
static void
job_from_hash(ps_job *job, const redisReply *h)
{
	static const struct {
		const char *name;
		size_t off;
		size_t size;	/* 0: int64 field */
	} fields[] = {
#define S(f, n) {n, offsetof(ps_job, f), sizeof(((ps_job *)0)->f)}
#define I(f, n) {n, offsetof(ps_job, f), 0}
		S(id, "id"), S(user, "user"), S(data, "data"),
		S(result, "result"), S(error, "error"), S(lease, "lease"),
		S(worker, "worker"),
		I(created_ms, "created"), I(started_ms, "started"),
		I(finished_ms, "finished"), I(next_run_ms, "next_run"),
		I(lease_until_ms, "lease_until"), I(deadline_ms, "deadline"),
		I(result_expires_ms, "result_expires"), I(fence, "fence"),
#undef S
#undef I
	};
	size_t i, f;

	for (i = 0; i + 1 < h->elements; i += 2) {
		const redisReply *k = h->element[i], *v = h->element[i + 1];

		if (k->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "state") == 0) {
			job->state = state_parse(v->str, v->len);
			continue;
		}
		if (strcmp(k->str, "attempts") == 0) {
			job->attempts = (int)rint64(v);
			continue;
		}
		if (strcmp(k->str, "max_attempts") == 0) {
			job->max_attempts = (int)rint64(v);
			continue;
		}
		if (strcmp(k->str, "stalled") == 0) {
			job->stalled = (int)rint64(v);
			continue;
		}
		for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			if (strcmp(k->str, fields[f].name) != 0)
				continue;
			if (fields[f].size == 0)
				*(int64_t *)(void *)((char *)job +
				    fields[f].off) = rint64(v);
			else
				copy_str((char *)job + fields[f].off,
				    fields[f].size, v);
			break;
		}
	}
}

/* Log and report what the recovery parts of a script did. */
static void
events(ps_queue *q, const redisReply *ev)
{
	size_t i;

	if (ev == NULL || ev->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i + 3 < ev->elements; i += 4) {
		const char *id = ev->element[i]->str;
		const char *user = ev->element[i + 1]->str;
		const char *what = ev->element[i + 2]->str;
		const char *why = ev->element[i + 3]->str;

		if (id == NULL || user == NULL || what == NULL || why == NULL)
			continue;
		if (strcmp(what, "failed") == 0)
			ps_warn("PairingQueue", "Job %s failed for user %s: %s",
			    id, user, why);
		else
			ps_warn("PairingQueue", "Job %s for user %s: %s", id,
			    user, why);
		if (q->on_event != NULL)
			q->on_event(id, user, what, why, q->event_arg);
	}
}

static int
id_ok(const char *id)
{
	return ps_charset_ok(id, PS_JOB_ID_MAX, PS_CS_ALNUM "_.:-");
}

ps_code
ps_queue_submit(ps_queue *q, const char *id, const char *user,
    const char *data, ps_submit_result *res, ps_err *err)
{
	char token[PS_LOCK_TOKEN_LEN + 1], ttl[24], maxa[16], maxw[24],
	    alive[24], guard[24], owner[PS_JOB_ID_MAX + 8];
	const char *extra[10];
	redisReply *rep;
	ps_code rc;

	memset(res, 0, sizeof(*res));
	if (!id_ok(id))
		return ps_err_set(err, PS_E_INVALID, "invalid job id");
	if (!ps_user_id_valid(user))
		return ps_err_set(err, PS_E_INVALID, "invalid user id");
	if (data == NULL || strlen(data) > PS_JOB_DATA_MAX)
		return ps_err_set(err, PS_E_TOO_LARGE, "job data too large");
	if ((rc = ps_random_hex(token, PS_LOCK_TOKEN_LEN / 2, err)) != PS_OK)
		return rc;
	snprintf(ttl, sizeof(ttl), "%lld", (long long)q->lock_ttl_ms);
	snprintf(maxa, sizeof(maxa), "%d", q->attempts);
	snprintf(maxw, sizeof(maxw), "%lld", (long long)q->max_waiting);
	snprintf(alive, sizeof(alive), "%d", ALIVE_WINDOW_MS);
	snprintf(guard, sizeof(guard), "%d", q->spawn_guard_ms);
	snprintf(owner, sizeof(owner), "job:%s", id);
	extra[0] = id;
	extra[1] = user;
	extra[2] = data;
	extra[3] = token;
	extra[4] = ttl;
	extra[5] = maxa;
	extra[6] = maxw;
	extra[7] = alive;
	extra[8] = guard;
	extra[9] = owner;
	if ((rc = run(q, S_SUBMIT, 10, extra, &rep, err)) != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 3)
		return bad_reply(rep, err, "submit");
	if (rint64(rep->element[0]) == 1 && rep->elements >= 6) {
		res->accepted = 1;
		res->fence = rint64(rep->element[1]);
		res->position = rint64(rep->element[2]);
		res->workers_alive = (int)rint64(rep->element[3]);
		res->spawn_worker = (int)rint64(rep->element[4]);
		freeReplyObject(rep);
		ps_info("SessionLock", "Lock acquired for user %s", user);
		return PS_OK;
	}
	res->retry_ms = rint64(rep->element[2]);
	if (res->retry_ms <= 0)
		res->retry_ms = 1000;
	if (rep->element[1]->type == REDIS_REPLY_STRING &&
	    strcmp(rep->element[1]->str, "full") == 0) {
		freeReplyObject(rep);
		return ps_err_set(err, PS_E_TOO_LARGE,
		    "queue full: too many waiting jobs");
	}
	freeReplyObject(rep);
	return ps_err_set(err, PS_E_CONFLICT, "Lock already exists");
}

/* A take reply {1, now, events, job} | {0, now, events, next due}. */
static ps_code
parse_take(ps_queue *q, const redisReply *rep, ps_job *job, int *got,
    int64_t *next_due_ms, ps_err *err)
{
	*got = 0;
	*next_due_ms = -1;
	memset(job, 0, sizeof(*job));
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 4)
		return ps_err_set(err, PS_E_INTERNAL,
		    "unexpected reply to take");
	events(q, rep->element[2]);
	job->now_ms = rint64(rep->element[1]);
	if (rint64(rep->element[0]) == 1) {
		job_from_hash(job, rep->element[3]);
		job->now_ms = rint64(rep->element[1]);
		*got = 1;
	} else
		*next_due_ms = rint64(rep->element[3]);
	return PS_OK;
}

/* The four arguments that ask an ending script to take the next job. */
struct next_args {
	char lease[24], token[33], ttl[24];
	const char *v[4];
};

static ps_code
next_args(ps_queue *q, const ps_next *next, struct next_args *a,
    ps_err *err)
{
	ps_code rc;

	a->v[0] = "";
	a->v[1] = a->v[2] = a->v[3] = "0";
	if (next == NULL || next->worker_id == NULL)
		return PS_OK;
	if ((rc = ps_random_hex(a->token, 16, err)) != PS_OK)
		return rc;
	snprintf(a->lease, sizeof(a->lease), "%lld", (long long)q->lease_ms);
	snprintf(a->ttl, sizeof(a->ttl), "%lld", (long long)q->lock_ttl_ms);
	a->v[0] = next->worker_id;
	a->v[1] = a->lease;
	a->v[2] = a->token;
	a->v[3] = a->ttl;
	return PS_OK;
}

ps_code
ps_queue_take(ps_queue *q, const char *worker_id, ps_job *job, int *got,
    int64_t *next_due_ms, ps_err *err)
{
	struct next_args a;
	ps_next n = {.worker_id = worker_id};
	redisReply *rep;
	ps_code rc;

	*got = 0;
	*next_due_ms = -1;
	memset(job, 0, sizeof(*job));
	if ((rc = next_args(q, &n, &a, err)) != PS_OK)
		return rc;
	if ((rc = run(q, S_TAKE, 4, a.v, &rep, err)) != PS_OK)
		return rc;
	rc = parse_take(q, rep, job, got, next_due_ms, err);
	freeReplyObject(rep);
	return rc;
}

/* The take part of an ending script's reply (element i), if asked. */
static ps_code
end_next(ps_queue *q, const redisReply *rep, size_t i, ps_next *next,
    ps_err *err)
{
	if (next == NULL)
		return PS_OK;
	next->got = 0;
	next->next_due_ms = -1;
	if (next->worker_id == NULL || rep->elements <= i ||
	    rep->element[i]->type != REDIS_REPLY_ARRAY)
		return PS_OK;
	return parse_take(q, rep->element[i], next->job, &next->got,
	    &next->next_due_ms, err);
}

ps_code
ps_queue_wait(ps_queue *q, int64_t max_ms, ps_err *err)
{
	char key[128], secs[32];
	const char *argv[3];
	redisReply *rep;
	ps_code rc;

	if (max_ms < 1)
		max_ms = 1;
	snprintf(key, sizeof(key), "%sq:wake", q->prefix);
	/* BLPOP takes seconds as a decimal since Redis 6; whole seconds
	 * (rounded up) work everywhere. */
	snprintf(secs, sizeof(secs), "%lld", (long long)((max_ms + 999) / 1000));
	argv[0] = "BLPOP";
	argv[1] = key;
	argv[2] = secs;
	rc = ps_redis_argv_timeout(q->r,
	    (long)(max_ms + 1000 + ps_redis_command_timeout_ms(q->r)), &rep, 3,
	    argv, NULL, err);
	if (rc == PS_OK)
		freeReplyObject(rep);
	return rc;
}

ps_code
ps_queue_renew(ps_queue *q, const ps_job *job, const char *worker_id,
    ps_err *err)
{
	char lease[24];
	const char *extra[4];
	redisReply *rep;
	ps_code rc;
	int ok;

	snprintf(lease, sizeof(lease), "%lld", (long long)q->lease_ms);
	extra[0] = job->id;
	extra[1] = job->lease;
	extra[2] = lease;
	extra[3] = worker_id;
	if ((rc = run(q, S_RENEW, 4, extra, &rep, err)) != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 3)
		return bad_reply(rep, err, "renew");
	ok = rint64(rep->element[0]) == 1;
	events(q, rep->element[2]);
	freeReplyObject(rep);
	if (!ok)
		return ps_err_set(err, PS_E_NOT_FOUND,
		    "job %s is no longer held by this worker", job->id);
	return PS_OK;
}

ps_code
ps_queue_complete(ps_queue *q, const ps_job *job, const char *result,
    int *lock_released, ps_next *next, ps_err *err)
{
	struct next_args a;
	char ttl[24];
	const char *extra[8];
	redisReply *rep;
	ps_code rc;

	*lock_released = 0;
	if (next != NULL)
		next->got = 0;
	if (strlen(result) > PS_JOB_RESULT_MAX)
		return ps_err_set(err, PS_E_INVALID, "job result too long");
	if ((rc = next_args(q, next, &a, err)) != PS_OK)
		return rc;
	snprintf(ttl, sizeof(ttl), "%lld", (long long)q->result_ttl_ms);
	extra[0] = job->id;
	extra[1] = job->lease;
	extra[2] = result;
	extra[3] = ttl;
	memcpy(extra + 4, a.v, sizeof(a.v));
	if ((rc = run(q, S_COMPLETE, 8, extra, &rep, err)) != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 2)
		return bad_reply(rep, err, "complete");
	if (rint64(rep->element[0]) != 1) {
		freeReplyObject(rep);
		return ps_err_set(err, PS_E_NOT_FOUND,
		    "job %s is no longer held by this worker", job->id);
	}
	*lock_released = rep->elements > 2 && rint64(rep->element[2]) == 1;
	rc = end_next(q, rep, 3, next, err);
	freeReplyObject(rep);
	return rc;
}

ps_code
ps_queue_fail(ps_queue *q, const ps_job *job, const char *reason,
    int retryable, int *final, int *lock_released, ps_next *next,
    ps_err *err)
{
	struct next_args a;
	char why[PS_JOB_ERROR_MAX + 1];
	const char *extra[8];
	redisReply *rep;
	ps_code rc;

	*final = 0;
	*lock_released = 0;
	if (next != NULL)
		next->got = 0;
	if ((rc = next_args(q, next, &a, err)) != PS_OK)
		return rc;
	snprintf(why, sizeof(why), "%s", reason);
	extra[0] = job->id;
	extra[1] = job->lease;
	extra[2] = why;
	extra[3] = retryable ? "1" : "0";
	memcpy(extra + 4, a.v, sizeof(a.v));
	if ((rc = run(q, S_FAIL, 8, extra, &rep, err)) != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 2)
		return bad_reply(rep, err, "fail");
	if (rint64(rep->element[0]) != 1) {
		freeReplyObject(rep);
		return ps_err_set(err, PS_E_NOT_FOUND,
		    "job %s is no longer held by this worker", job->id);
	}
	*final = rep->elements > 2 && rint64(rep->element[2]) == 1;
	*lock_released = rep->elements > 3 && rint64(rep->element[3]) == 1;
	rc = end_next(q, rep, 4, next, err);
	freeReplyObject(rep);
	return rc;
}

ps_code
ps_queue_get_with_lock(ps_queue *q, const char *id, const char *user,
    ps_job *job, int *found, int64_t *lock_ms, ps_err *err)
{
	const char *extra[2];
	redisReply *rep;
	ps_code rc;

	*found = 0;
	if (lock_ms != NULL)
		*lock_ms = -2;
	memset(job, 0, sizeof(*job));
	if (!id_ok(id))
		return ps_err_set(err, PS_E_INVALID, "invalid job id");
	if (user != NULL && !ps_user_id_valid(user))
		return ps_err_set(err, PS_E_INVALID, "invalid user id");
	extra[0] = id;
	extra[1] = user != NULL ? user : "";
	if ((rc = run(q, S_GET, 2, extra, &rep, err)) != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 3)
		return bad_reply(rep, err, "get");
	if (rint64(rep->element[0]) == 1 && rep->elements == 6) {
		events(q, rep->element[2]);
		job_from_hash(job, rep->element[4]);
		job->position = rint64(rep->element[3]);
		job->now_ms = rint64(rep->element[1]);
		/* A result past its time is never shown. */
		if (job->result_expires_ms > 0 &&
		    job->result_expires_ms <= job->now_ms)
			job->result[0] = '\0';
		if (lock_ms != NULL)
			*lock_ms = rint64(rep->element[5]);
		*found = 1;
	} else {
		job->now_ms = rint64(rep->element[1]);
		if (lock_ms != NULL)
			*lock_ms = rint64(rep->element[2]);
	}
	freeReplyObject(rep);
	return PS_OK;
}

ps_code
ps_queue_get(ps_queue *q, const char *id, ps_job *job, int *found,
    ps_err *err)
{
	return ps_queue_get_with_lock(q, id, NULL, job, found, NULL, err);
}

static int64_t
stat_field(const redisReply *h, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0)
			return rint64(h->element[i + 1]);
	return 0;
}

ps_code
ps_queue_stats_get(ps_queue *q, ps_queue_stats *st, ps_err *err)
{
	const char *extra[1] = {"60000"};
	redisReply *rep, *h, *w;
	ps_code rc;
	size_t i;

	memset(st, 0, sizeof(*st));
	if ((rc = run(q, S_STATS, 1, extra, &rep, err)) != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 8 ||
	    rep->element[6]->type != REDIS_REPLY_ARRAY ||
	    rep->element[7]->type != REDIS_REPLY_ARRAY)
		return bad_reply(rep, err, "stats");
	st->now_ms = rint64(rep->element[0]);
	st->waiting = rint64(rep->element[1]);
	st->delayed = rint64(rep->element[2]);
	st->active = rint64(rep->element[3]);
	st->completed = rint64(rep->element[4]);
	st->failed = rint64(rep->element[5]);
	h = rep->element[6];
	st->submitted_total = stat_field(h, "submitted");
	st->completed_total = stat_field(h, "completed");
	st->failed_total = stat_field(h, "failed");
	st->retried_total = stat_field(h, "retried");
	st->stalled_total = stat_field(h, "stalled");
	st->timed_out_total = stat_field(h, "timed_out");
	/* Every accepted submit took its user's lock. */
	st->lock_acquired_total = st->submitted_total;
	st->lock_refused_total = stat_field(h, "lock_refused");
	w = rep->element[7];
	for (i = 0; i + 1 < w->elements && st->nworkers < 32; i += 2) {
		copy_str(st->workers[st->nworkers].id,
		    sizeof(st->workers[0].id), w->element[i]);
		st->workers[st->nworkers].last_seen_ms =
		    rint64(w->element[i + 1]);
		st->nworkers++;
	}
	freeReplyObject(rep);
	return PS_OK;
}

static ps_code
heartbeat(ps_queue *q, const char *worker_id, const char *here, ps_err *err)
{
	const char *extra[2];
	redisReply *rep;
	ps_code rc;

	extra[0] = worker_id;
	extra[1] = here;
	if ((rc = run(q, S_HEARTBEAT, 2, extra, &rep, err)) == PS_OK)
		freeReplyObject(rep);
	return rc;
}

ps_code
ps_queue_heartbeat(ps_queue *q, const char *worker_id, ps_err *err)
{
	return heartbeat(q, worker_id, "1", err);
}

ps_code
ps_queue_leave_if_idle(ps_queue *q, const char *worker_id, int *left,
    ps_err *err)
{
	const char *extra[2];
	redisReply *rep;
	ps_code rc;

	*left = 0;
	extra[0] = worker_id;
	extra[1] = "leave";
	if ((rc = run(q, S_HEARTBEAT, 2, extra, &rep, err)) != PS_OK)
		return rc;
	*left = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return PS_OK;
}

ps_code
ps_queue_worker_gone(ps_queue *q, const char *worker_id, ps_err *err)
{
	return heartbeat(q, worker_id, "0", err);
}
