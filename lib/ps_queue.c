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

struct pending;
static struct pending *pending_new(void);

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
	struct pending *pend;	/* a worker's wait-and-take in flight */
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
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->pend = pending_new()) == NULL) {
		free(q);
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	}
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
		ps_queue_free(q);
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
	if (q != NULL)
		free(q->pend);
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

/* A script call: KEYS[1] = the wait list, the common arguments, then the
 * script's own.  Not to be copied (argv points into it). */
struct call {
	const char *argv[MAX_ARGS];
	char wait_key[128];
	int argc;
};

static void
call_init(ps_queue *q, struct call *c, int n, const char *const *extra)
{
	int i;

	c->argc = 0;
	snprintf(c->wait_key, sizeof(c->wait_key), "%sq:wait", q->prefix);
	c->argv[c->argc++] = c->wait_key;
	c->argv[c->argc++] = q->prefix;
	for (i = 0; i < NCOMMON - 1; i++)
		c->argv[c->argc++] = q->common[i];
	for (i = 0; i < n && c->argc < MAX_ARGS; i++)
		c->argv[c->argc++] = extra[i];
}

/* Run script s with n extra arguments. */
static ps_code
run(ps_queue *q, int s, int n, const char *const *extra, redisReply **rep,
    ps_err *err)
{
	struct call c;

	call_init(q, &c, n, extra);
	return ps_redis_eval(q->r, &scripts[s], 1, c.argc - 1, c.argv, NULL,
	    rep, err);
}

/* The same as the step of a pipeline. */
static void
call_step(int s, struct call *c, ps_redis_step *st)
{
	memset(st, 0, sizeof(*st));
	st->script = &scripts[s];
	st->nkeys = 1;
	st->argc = c->argc;
	st->argv = c->argv;
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
	/* Taken after a wait (end_job) is already in next. */
	if (next == NULL || next->wait_ms > 0)
		return PS_OK;
	next->got = 0;
	next->next_due_ms = -1;
	if (next->worker_id == NULL || rep->elements <= i ||
	    rep->element[i]->type != REDIS_REPLY_ARRAY)
		return PS_OK;
	return parse_take(q, rep->element[i], next->job, &next->got,
	    &next->next_due_ms, err);
}

/* BLPOP on the wake-up list for at most max_ms (whole seconds, rounded
 * up: decimals need Redis 6), as a pipeline step. */
struct wake_wait {
	char key[128], secs[32];
	const char *argv[3];
	long timeout_ms;	/* for the whole exchange */
};

static void
wake_step(ps_queue *q, int64_t max_ms, struct wake_wait *w,
    ps_redis_step *st)
{
	if (max_ms < 1)
		max_ms = 1;
	snprintf(w->key, sizeof(w->key), "%sq:wake", q->prefix);
	snprintf(w->secs, sizeof(w->secs), "%lld",
	    (long long)((max_ms + 999) / 1000));
	w->argv[0] = "BLPOP";
	w->argv[1] = w->key;
	w->argv[2] = w->secs;
	w->timeout_ms = (long)(((max_ms + 999) / 1000) * 1000 + 1000 +
	    ps_redis_command_timeout_ms(q->r));
	memset(st, 0, sizeof(*st));
	st->argc = 3;
	st->argv = w->argv;
}

ps_code
ps_queue_wait(ps_queue *q, int64_t max_ms, ps_err *err)
{
	struct wake_wait w;
	ps_redis_step st;
	ps_code rc;

	wake_step(q, max_ms, &w, &st);
	rc = ps_redis_pipeline(q->r, w.timeout_ms, &st, 1, err);
	if (rc == PS_OK && (rc = st.rc) != PS_OK)
		ps_err_copy(err, &st.err);
	if (st.reply != NULL)
		freeReplyObject(st.reply);
	return rc;
}

/*
 * A worker's wait-and-take: [ending script] + BLPOP wake + take, in one
 * round trip.  The BLPOP returns at once while jobs are waiting (the
 * wake-up list is kept as long as the wait list, up to 64), else when a
 * submit comes or the time is up; the take then runs whatever woke it.
 * Its arguments live here until the replies are read (a script the
 * server lost is sent again from them).
 */
struct pending {
	ps_redis_step steps[3];
	int n, nread;		/* steps; read by begin (0: none owed) */
	struct call end, take;
	struct next_args a;
	struct wake_wait w;
};

static struct pending *
pending_new(void)
{
	return calloc(1, sizeof(struct pending));
}

/* Send [the ending in q->pend.end when with_end] + BLPOP + take; read
 * the replies of the first nread steps. */
static ps_code
wait_take_begin(ps_queue *q, int with_end, int end_script, int64_t max_ms,
    const char *worker_id, int read_all, ps_err *err)
{
	struct pending *p = q->pend;
	ps_next n = {.worker_id = worker_id};
	ps_code rc;
	int k = 0;

	p->n = p->nread = 0;
	if ((rc = next_args(q, &n, &p->a, err)) != PS_OK)
		return rc;
	if (with_end)
		call_step(end_script, &p->end, &p->steps[k++]);
	wake_step(q, max_ms, &p->w, &p->steps[k++]);
	call_init(q, &p->take, 4, p->a.v);
	call_step(S_TAKE, &p->take, &p->steps[k++]);
	p->n = k;
	p->nread = read_all ? k : 1;
	return ps_redis_pipeline_begin(q->r, p->w.timeout_ms, p->steps, p->n,
	    p->nread, err);
}

/* Read what wait_take_begin left owed; the take's outcome into job. */
static ps_code
wait_take_finish(ps_queue *q, ps_job *job, int *got, int64_t *next_due_ms,
    ps_err *err)
{
	struct pending *p = q->pend;
	ps_redis_step *wst, *tst;
	ps_code rc;

	*got = 0;
	*next_due_ms = -1;
	memset(job, 0, sizeof(*job));
	if (p->n < 2)
		return ps_err_set(err, PS_E_INTERNAL, "no take pending");
	ps_redis_pipeline_finish(q->r, p->steps, p->n, p->nread, NULL);
	wst = &p->steps[p->n - 2];
	tst = &p->steps[p->n - 1];
	p->n = p->nread = 0;
	if (wst->reply != NULL)
		freeReplyObject(wst->reply);
	if (tst->rc != PS_OK) {
		rc = ps_err_copy(err, &tst->err);
	} else {
		rc = parse_take(q, tst->reply, job, got, next_due_ms, err);
		freeReplyObject(tst->reply);
	}
	/* The take ran all the same; the wait's trouble matters only
	 * when it got nothing. */
	if (rc == PS_OK && wst->rc != PS_OK && !*got)
		rc = ps_err_copy(err, &wst->err);
	return rc;
}

ps_code
ps_queue_wait_take(ps_queue *q, const char *worker_id, int64_t max_ms,
    ps_job *job, int *got, int64_t *next_due_ms, ps_err *err)
{
	ps_code rc;

	rc = wait_take_begin(q, 0, 0, max_ms, worker_id, 1, err);
	if (rc != PS_OK) {
		*got = 0;
		*next_due_ms = -1;
		memset(job, 0, sizeof(*job));
		q->pend->n = 0;
		return rc;
	}
	return wait_take_finish(q, job, got, next_due_ms, err);
}

ps_code
ps_queue_next_finish(ps_queue *q, ps_next *next)
{
	if (next == NULL || next->worker_id == NULL || next->wait_ms <= 0 ||
	    q->pend->n == 0)
		return PS_OK;
	next->take_rc = wait_take_finish(q, next->job, &next->got,
	    &next->next_due_ms, &next->take_err);
	return next->take_rc;
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

/*
 * Run ending script s (extra: its four own arguments) and take the next
 * job as next asks: inside the script when next->wait_ms is 0, else in
 * the same round trip after a wait (wait_take).  *rep is the ending's
 * reply.  In the second way the take runs whatever the ending answered:
 * next->got and next->take_rc tell what it did.
 */
static ps_code
end_job(ps_queue *q, int s, const char *const *own, ps_next *next,
    redisReply **rep, ps_err *err)
{
	struct next_args a;
	const char *extra[8];
	ps_redis_step *st = &q->pend->steps[0];
	ps_code rc;

	*rep = NULL;
	if (next != NULL) {
		next->got = 0;
		next->next_due_ms = -1;
		next->take_rc = PS_OK;
	}
	memcpy(extra, own, 4 * sizeof(extra[0]));
	if (next == NULL || next->worker_id == NULL || next->wait_ms <= 0) {
		if ((rc = next_args(q, next, &a, err)) != PS_OK)
			return rc;
		memcpy(extra + 4, a.v, sizeof(a.v));
		return run(q, s, 8, extra, rep, err);
	}
	next_args(q, NULL, &a, NULL);
	memcpy(extra + 4, a.v, sizeof(a.v));
	call_init(q, &q->pend->end, 8, extra);
	rc = wait_take_begin(q, 1, s, next->wait_ms, next->worker_id, 0,
	    err);
	if (rc != PS_OK) {
		q->pend->n = 0;
		next->take_rc = rc;
		ps_err_copy(&next->take_err, &st->err);
		return rc;
	}
	if (st->rc != PS_OK)
		return ps_err_copy(err, &st->err);
	*rep = st->reply;
	st->reply = NULL;
	return PS_OK;
}

ps_code
ps_queue_complete(ps_queue *q, const ps_job *job, const char *result,
    int *lock_released, ps_next *next, ps_err *err)
{
	char ttl[24];
	const char *own[4];
	redisReply *rep;
	ps_code rc;

	*lock_released = 0;
	if (next != NULL)
		next->got = 0;
	if (strlen(result) > PS_JOB_RESULT_MAX)
		return ps_err_set(err, PS_E_INVALID, "job result too long");
	snprintf(ttl, sizeof(ttl), "%lld", (long long)q->result_ttl_ms);
	own[0] = job->id;
	own[1] = job->lease;
	own[2] = result;
	own[3] = ttl;
	if ((rc = end_job(q, S_COMPLETE, own, next, &rep, err)) != PS_OK)
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
	char why[PS_JOB_ERROR_MAX + 1];
	const char *own[4];
	redisReply *rep;
	ps_code rc;

	*final = 0;
	*lock_released = 0;
	if (next != NULL)
		next->got = 0;
	snprintf(why, sizeof(why), "%s", reason);
	own[0] = job->id;
	own[1] = job->lease;
	own[2] = why;
	own[3] = retryable ? "1" : "0";
	if ((rc = end_job(q, S_FAIL, own, next, &rep, err)) != PS_OK)
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
