/*
 * test_queue.c - every queue transition against a real redis-server:
 * submit (lock + enqueue), take, renew, complete, fail with retry and
 * backoff, lease expiry and stalled-job recovery, the hard timeout, the
 * lock handed over and released by the terminal script, retention,
 * blocking wait, round trips, and persistence across a Redis crash.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ps_lock.h"
#include "ps_log.h"
#include "ps_queue.h"
#include "ps_util.h"
#include "tap.h"
#include "testlib.h"

static ps_config *cfg;
static ps_redis *r;
static ps_queue *q;

static void
setup(const char *const *extra)
{
	ps_err err = {0};

	if (q != NULL) {
		ps_queue_free(q);
		ps_redis_free(r);
		ps_config_free(cfg);
	}
	cfg = tst_config(extra);
	r = tst_redis(cfg);
	tst_redis_flushall(r);
	if (ps_queue_new(&q, r, cfg, &err) != PS_OK)
		tap_bail("queue: %s", err.msg);
}

static ps_job_state
state_of(const char *id)
{
	ps_job job;
	ps_err err = {0};
	int found;

	if (ps_queue_get(q, id, &job, &found, &err) != PS_OK || !found)
		return PS_JOB_UNKNOWN;
	return job.state;
}

static int
lock_held_by_job(const char *user, const char *id)
{
	ps_lock_info info;
	ps_err err = {0};
	char owner[128];

	snprintf(owner, sizeof(owner), "job:%s", id);
	return ps_lock_inspect(r, user, &info, &err) == PS_OK && info.held &&
	    strcmp(info.owner, owner) == 0;
}

static int
lock_free(const char *user)
{
	ps_lock_info info;
	ps_err err = {0};

	return ps_lock_inspect(r, user, &info, &err) == PS_OK && !info.held;
}

static void
queue_submit_takes_lock_and_enqueues(void)
{
	ps_submit_result res;
	ps_job job;
	ps_err err = {0};
	int found, got;
	int64_t due;
	unsigned long long rt;

	setup(NULL);
	/* Steady state: the first use of a script in a process costs one
	 * more round trip (EVALSHA answers NOSCRIPT, EVAL loads it). */
	ps_queue_submit(q, "pair:warm", "warm", "{}", &res, &err);
	ps_queue_take(q, "warm", &job, &got, &due, &err);
	ps_queue_complete(q, &job, "X", &got, NULL, &err);
	rt = ps_redis_round_trips(r);
	is_int(ps_queue_submit(q, "pair:alice", "alice", "{\"phone\":\"1\"}",
	    &res, &err), PS_OK, "submit accepted (%s)", err.msg);
	is_int(ps_redis_round_trips(r) - rt, 1,
	    "submitting (lock + enqueue) is one round trip");
	ok(res.accepted && res.position == 1 && res.fence > 0,
	    "position 1 and a fencing number");
	ok(lock_held_by_job("alice", "pair:alice"),
	    "the user's lock is held, owned by the job");
	is_int(ps_queue_get(q, "pair:alice", &job, &found, &err), PS_OK,
	    "get the job");
	ok(found && job.state == PS_JOB_WAITING && job.position == 1 &&
	    job.attempts == 0 && job.created_ms > 0 &&
	    strcmp(job.user, "alice") == 0 &&
	    strcmp(job.data, "{\"phone\":\"1\"}") == 0,
	    "waiting, first in line, with user and data");

	ok(ps_queue_submit(q, "pair:alice", "alice", "{}", &res, &err) ==
	    PS_E_CONFLICT && strcmp(err.msg, "Lock already exists") == 0 &&
	    !res.accepted && res.retry_ms > 0,
	    "a second submit for the same user is refused with retry time");
	is_int(ps_queue_submit(q, "pair:bob", "bob", "{}", &res, &err),
	    PS_OK, "another user is accepted");
	is_int(res.position, 2, "behind the first");
	is_int(ps_queue_get(q, "pair:nobody", &job, &found, &err), PS_OK,
	    "get of an unknown job works");
	ok(!found, "and finds nothing");
	is_int(ps_queue_get(q, "bad id!", &job, &found, &err), PS_E_INVALID,
	    "an invalid job id is refused");
	ok(ps_queue_submit(q, "pair:x", "../x", "{}", &res, &err) ==
	    PS_E_INVALID && lock_free("x"), "an invalid user is refused");
}

static void
queue_take_complete_releases_lock(void)
{
	ps_submit_result res;
	ps_job job, seen;
	ps_err err = {0};
	int got, found, released;
	int64_t due;
	unsigned long long rt;

	setup(NULL);
	ps_queue_submit(q, "pair:alice", "alice", "{}", &res, &err);
	ps_queue_submit(q, "pair:bob", "bob", "{}", &res, &err);
	rt = ps_redis_round_trips(r);
	is_int(ps_queue_take(q, "w1", &job, &got, &due, &err), PS_OK,
	    "take (%s)", err.msg);
	is_int(ps_redis_round_trips(r) - rt, 1, "take is one round trip");
	ok(got && strcmp(job.id, "pair:alice") == 0, "first in, first out");
	ok(job.state == PS_JOB_ACTIVE && job.attempts == 1 &&
	    strlen(job.lease) == 32 && strcmp(job.worker, "w1") == 0 &&
	    job.lease_until_ms > job.now_ms && job.deadline_ms > job.now_ms,
	    "active: attempt 1, lease, worker, lease and deadline times");
	ps_queue_get(q, "pair:bob", &seen, &found, &err);
	is_int(seen.position, 1, "the next job moved up to position 1");
	is_int(ps_queue_renew(q, &job, "w1", &err), PS_OK, "renew the lease");

	rt = ps_redis_round_trips(r);
	is_int(ps_queue_complete(q, &job, "ABCD1234", &released, NULL, &err), PS_OK,
	    "complete");
	is_int(ps_redis_round_trips(r) - rt, 1, "complete is one round trip");
	ok(released, "the terminal script released the handed-over lock");
	ok(lock_free("alice"), "alice's lock is free");
	ps_queue_get(q, "pair:alice", &seen, &found, &err);
	ok(seen.state == PS_JOB_COMPLETED &&
	    strcmp(seen.result, "ABCD1234") == 0 && seen.finished_ms > 0 &&
	    seen.result_expires_ms > seen.finished_ms,
	    "completed with its result and an expiry for it");
	is_int(ps_queue_renew(q, &job, "w1", &err), PS_E_NOT_FOUND,
	    "a finished job's lease cannot be renewed");
	is_int(ps_queue_complete(q, &job, "OTHER", &released, NULL, &err),
	    PS_E_NOT_FOUND, "a finished job cannot complete twice");
	ps_queue_get(q, "pair:alice", &seen, &found, &err);
	is_str(seen.result, "ABCD1234", "and its result is unchanged");

	is_int(ps_queue_submit(q, "pair:alice", "alice", "{\"n\":2}", &res,
	    &err), PS_OK, "a finished job id can be submitted again");
	ps_queue_get(q, "pair:alice", &seen, &found, &err);
	ok(seen.state == PS_JOB_WAITING && seen.result[0] == '\0' &&
	    strcmp(seen.data, "{\"n\":2}") == 0,
	    "the new job replaced the finished one");
}

static void
queue_complete_takes_next_in_same_round_trip(void)
{
	ps_submit_result res;
	ps_job job, next_job;
	ps_next next = {.worker_id = "w1", .job = &next_job};
	ps_err err = {0};
	int got, released;
	int64_t due;
	unsigned long long rt;

	setup(NULL);
	ps_queue_submit(q, "pair:n1", "n1", "{}", &res, &err);
	ps_queue_submit(q, "pair:n2", "n2", "{}", &res, &err);
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	rt = ps_redis_round_trips(r);
	is_int(ps_queue_complete(q, &job, "C1", &released, &next, &err), PS_OK,
	    "complete asking for the next job (%s)", err.msg);
	ok(ps_redis_round_trips(r) - rt <= 2, "one round trip in steady "
	    "state (two the first time: NOSCRIPT)");
	ok(released && next.got && strcmp(next_job.id, "pair:n2") == 0 &&
	    next_job.state == PS_JOB_ACTIVE && strlen(next_job.lease) == 32 &&
	    strcmp(next_job.lease, job.lease) != 0,
	    "the next job came back active with its own lease");
	rt = ps_redis_round_trips(r);
	is_int(ps_queue_complete(q, &next_job, "C2", &released, &next, &err),
	    PS_OK, "complete the second");
	is_int(ps_redis_round_trips(r) - rt, 1, "in one round trip");
	ok(!next.got, "nothing left to take");
	ok(state_of("pair:n1") == PS_JOB_COMPLETED &&
	    state_of("pair:n2") == PS_JOB_COMPLETED, "both completed");
}

/* Submit from another process after ms milliseconds (a child). */
static pid_t
submit_later(const char *id, const char *user, long ms)
{
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		ps_config *c2 = tst_config(NULL);
		ps_submit_result res;
		ps_err err = {0};
		ps_redis *r2;
		ps_queue *q2;

		tst_sleep_ms(ms);
		if (ps_redis_new(&r2, c2, &err) != PS_OK ||
		    ps_queue_new(&q2, r2, c2, &err) != PS_OK)
			_exit(1);
		_exit(ps_queue_submit(q2, id, user, "{}", &res, &err) ==
		    PS_OK ? 0 : 1);
	}
	return pid;
}

static int64_t
list_len(const char *key)
{
	redisReply *rep;
	ps_err err = {0};
	int64_t n = -1;

	if (ps_redis_cmd(r, &rep, &err, "LLEN %s", key) == PS_OK) {
		n = rep->integer;
		freeReplyObject(rep);
	}
	return n;
}

static void
queue_end_wait_take_is_one_round_trip(void)
{
	ps_submit_result res;
	ps_job job, next_job;
	ps_next next = {.worker_id = "w1", .job = &next_job, .wait_ms = 3000};
	ps_err err = {0};
	int got, released, status;
	int64_t due, t0, dt;
	unsigned long long rt;
	pid_t pid;

	setup(NULL);
	/* Three waiting: every ending takes the next at once. */
	ps_queue_submit(q, "pair:p1", "p1", "{}", &res, &err);
	ps_queue_submit(q, "pair:p2", "p2", "{}", &res, &err);
	ps_queue_submit(q, "pair:p3", "p3", "{}", &res, &err);
	is_int(list_len("{pairstore}:q:wake"), 3,
	    "one wake-up per waiting job");
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	is_int(list_len("{pairstore}:q:wake"), 2,
	    "a take leaves one per job still waiting");
	/* Load the scripts: the counts below are the steady state. */
	is_int(ps_queue_complete(q, &job, "C1", &released, &next, &err),
	    PS_OK, "complete, wait and take (%s)", err.msg);
	is_int(ps_queue_next_finish(q, &next), PS_OK, "the take's answer");
	ok(next.got && strcmp(next_job.id, "pair:p2") == 0 &&
	    next_job.state == PS_JOB_ACTIVE, "took the next job (%s)",
	    next_job.id);
	job = next_job;
	rt = ps_redis_round_trips(r);
	is_int(ps_queue_complete(q, &job, "C2", &released, &next, &err),
	    PS_OK, "complete the second");
	ok(released, "its lock released");
	ps_queue_next_finish(q, &next);
	is_int(ps_redis_round_trips(r) - rt, 1,
	    "ending, wait and take: one round trip");
	ok(next.got && strcmp(next_job.id, "pair:p3") == 0,
	    "and the third job came with it");
	job = next_job;

	/* Nothing waiting: the ending is answered (and can be logged)
	 * first; the take then waits for a submit. */
	pid = submit_later("pair:p4", "p4", 700);
	t0 = ps_mono_ms();
	is_int(ps_queue_complete(q, &job, "C3", &released, &next, &err),
	    PS_OK, "complete the last");
	dt = ps_mono_ms() - t0;
	ok(dt < 600, "answered before the submit came (%lld ms)",
	    (long long)dt);
	rt = ps_redis_round_trips(r);
	is_int(ps_queue_next_finish(q, &next), PS_OK, "then the wait");
	waitpid(pid, &status, 0);
	ok(next.got && strcmp(next_job.id, "pair:p4") == 0,
	    "took the job submitted while it waited");
	is_int(ps_redis_round_trips(r) - rt, 0,
	    "still in the same round trip");
	ok(state_of("pair:p1") == PS_JOB_COMPLETED &&
	    state_of("pair:p3") == PS_JOB_COMPLETED, "the jobs completed");
	is_int(list_len("{pairstore}:q:wake"), 0,
	    "no wake-up left with nothing waiting");

	/* Nothing comes: the wait ends at its limit, empty-handed. */
	next.wait_ms = 1000;
	job = next_job;
	t0 = ps_mono_ms();
	ps_queue_complete(q, &job, "C4", &released, &next, &err);
	is_int(ps_queue_next_finish(q, &next), PS_OK, "an idle wait");
	dt = ps_mono_ms() - t0;
	ok(!next.got && dt >= 900, "ends empty-handed after its limit "
	    "(%lld ms)", (long long)dt);

	/* A job no longer ours: the ending is refused, the take still
	 * runs. */
	ps_queue_submit(q, "pair:p5", "p5", "{}", &res, &err);
	ps_queue_submit(q, "pair:p6", "p6", "{}", &res, &err);
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	snprintf(job.lease, sizeof(job.lease), "not-the-lease");
	next.wait_ms = 3000;
	is_int(ps_queue_complete(q, &job, "X", &released, &next, &err),
	    PS_E_NOT_FOUND, "a job no longer ours is not completed");
	ps_queue_next_finish(q, &next);
	ok(next.got && strcmp(next_job.id, "pair:p6") == 0,
	    "the next job is taken all the same");
	ok(state_of("pair:p5") == PS_JOB_ACTIVE, "the other stays active");
}

static void
queue_wait_take_after_script_flush(void)
{
	ps_submit_result res;
	ps_job job, next_job;
	ps_next next = {.worker_id = "w1", .job = &next_job, .wait_ms = 2000};
	ps_err err = {0};
	redisReply *rep;
	int got, released;
	int64_t due;

	setup(NULL);
	ps_queue_submit(q, "pair:f1", "f1", "{}", &res, &err);
	ps_queue_submit(q, "pair:f2", "f2", "{}", &res, &err);
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	/* A restart or SCRIPT FLUSH empties the cache under us. */
	ps_redis_cmd(r, &rep, &err, "SCRIPT FLUSH");
	freeReplyObject(rep);
	is_int(ps_queue_complete(q, &job, "C", &released, &next, &err),
	    PS_OK, "complete after SCRIPT FLUSH (%s)", err.msg);
	ps_queue_next_finish(q, &next);
	ok(next.take_rc == PS_OK && next.got &&
	    strcmp(next_job.id, "pair:f2") == 0,
	    "both scripts ran again from their text, in order");
	ok(state_of("pair:f1") == PS_JOB_COMPLETED, "the first completed");
	ps_redis_cmd(r, &rep, &err, "SCRIPT FLUSH");
	freeReplyObject(rep);
	ps_queue_submit(q, "pair:f3", "f3", "{}", &res, &err);
	is_int(ps_queue_wait_take(q, "w1", 2000, &job, &got, &due, &err),
	    PS_OK, "wait and take after SCRIPT FLUSH (%s)", err.msg);
	ok(got && strcmp(job.id, "pair:f3") == 0, "took the waiting job");
}

static void
queue_fail_retries_with_backoff_then_fails(void)
{
	const char *extra[] = {"QUEUE_ATTEMPTS=2", "QUEUE_BACKOFF_MS=300",
		NULL};
	ps_submit_result res;
	ps_job job, seen;
	ps_err err = {0};
	int got, found, final, released;
	int64_t due;

	setup(extra);
	ps_queue_submit(q, "pair:carol", "carol", "{}", &res, &err);
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	is_int(ps_queue_fail(q, &job, "provider said no", 1, &final, &released, NULL, &err), PS_OK, "fail attempt 1");
	ok(!final && !released, "not final: a retry is scheduled, the lock "
	    "stays with the job");
	ps_queue_get(q, "pair:carol", &seen, &found, &err);
	ok(seen.state == PS_JOB_DELAYED &&
	    strcmp(seen.error, "provider said no") == 0 &&
	    seen.next_run_ms >= seen.now_ms + 200,
	    "delayed with the reason and a backoff");
	ok(lock_held_by_job("carol", "pair:carol"), "lock still held");
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	ok(!got && due > 0, "nothing to take before the backoff ends; "
	    "next due time reported");
	tst_sleep_ms(400);
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	ok(got && job.attempts == 2, "after the backoff, attempt 2 is taken");
	is_int(ps_queue_fail(q, &job, "provider said no again", 1, &final, &released, NULL, &err), PS_OK, "fail attempt 2");
	ok(final && released, "no attempts left: failed, lock released");
	ps_queue_get(q, "pair:carol", &seen, &found, &err);
	ok(seen.state == PS_JOB_FAILED &&
	    strcmp(seen.error, "provider said no again") == 0,
	    "failed with the last reason");
	ok(lock_free("carol"), "carol's lock is free");

	ps_queue_submit(q, "pair:dan", "dan", "{}", &res, &err);
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	ps_queue_fail(q, &job, "bad phone", 0, &final, &released, NULL, &err);
	ok(final && released && state_of("pair:dan") == PS_JOB_FAILED,
	    "a non-retryable failure is final at once");
}

static void
queue_lease_expiry_recovers_then_fails_stalled(void)
{
	const char *extra[] = {"QUEUE_LEASE_MS=1000", "QUEUE_MAX_STALLED=1",
		"QUEUE_ATTEMPTS=5", NULL};
	ps_submit_result res;
	ps_job job, job2, seen;
	ps_err err = {0};
	int got, found, released;
	int64_t due;

	setup(extra);
	ps_queue_submit(q, "pair:erin", "erin", "{}", &res, &err);
	ps_queue_take(q, "dead-worker", &job, &got, &due, &err);
	ok(got, "a worker takes the job and then dies (stops renewing)");
	tst_sleep_ms(1150);
	ps_queue_take(q, "w2", &job2, &got, &due, &err);
	ok(got && strcmp(job2.id, "pair:erin") == 0 && job2.attempts == 2 &&
	    job2.stalled == 1, "after the lease ran out another worker "
	    "takes it again (stalled once)");
	ok(lock_held_by_job("erin", "pair:erin"),
	    "the lock stayed with the job");
	is_int(ps_queue_complete(q, &job, "LATE", &released, NULL, &err),
	    PS_E_NOT_FOUND, "the lost worker's late complete is refused");
	ps_queue_get(q, "pair:erin", &seen, &found, &err);
	ok(seen.state == PS_JOB_ACTIVE && strcmp(seen.worker, "w2") == 0,
	    "and changed nothing");

	tst_sleep_ms(1150);
	/* Nobody takes: reading the job applies the recovery. */
	ps_queue_get(q, "pair:erin", &seen, &found, &err);
	ok(seen.state == PS_JOB_FAILED && strstr(seen.error, "stalled"),
	    "stalled past QUEUE_MAX_STALLED: failed (%s)", seen.error);
	ok(lock_free("erin"), "and the lock was released");
}

static void
queue_hard_timeout_fails_and_releases_lock(void)
{
	const char *extra[] = {"QUEUE_LEASE_MS=1000", "JOB_TIMEOUT_MS=1500",
		"QUEUE_ATTEMPTS=1", NULL};
	ps_submit_result res;
	ps_job job, seen;
	ps_err err = {0};
	int got, found, renewals = 0;
	int64_t due, t0;
	ps_code rc;

	setup(extra);
	ps_queue_submit(q, "pair:fay", "fay", "{}", &res, &err);
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	t0 = ps_mono_ms();
	/* A job that keeps its lease alive but runs too long. */
	while ((rc = ps_queue_renew(q, &job, "w1", &err)) == PS_OK &&
	    ps_mono_ms() - t0 < 5000) {
		renewals++;
		tst_sleep_ms(200);
	}
	ok(rc == PS_E_NOT_FOUND && renewals >= 5,
	    "renewing works until the deadline, then the job is no longer "
	    "the worker's (%d renewals)", renewals);
	ps_queue_get(q, "pair:fay", &seen, &found, &err);
	ok(seen.state == PS_JOB_FAILED &&
	    strstr(seen.error, "timed out") != NULL,
	    "the job failed with a timeout reason (%s)", seen.error);
	ok(lock_free("fay"), "and the lock was released");
}

static void
queue_result_expires(void)
{
	ps_submit_result res;
	ps_job job, seen;
	ps_err err = {0};
	int got, found, released;
	int64_t due;
	redisReply *rep;

	setup(NULL);
	ps_queue_submit(q, "pair:gus", "gus", "{}", &res, &err);
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	ps_queue_complete(q, &job, "CODE0001", &released, NULL, &err);
	/* Move the expiry into the past, as time would. */
	ps_redis_cmd(r, &rep, &err,
	    "HSET {pairstore}:job:pair:gus result_expires 1");
	freeReplyObject(rep);
	ps_queue_get(q, "pair:gus", &seen, &found, &err);
	ok(found && seen.state == PS_JOB_COMPLETED && seen.result[0] == '\0',
	    "a result past its expiry is not shown");
	ps_redis_cmd(r, &rep, &err, "HEXISTS {pairstore}:job:pair:gus result");
	is_int(rep->integer, 0, "and is deleted from Redis");
	freeReplyObject(rep);
	ps_redis_cmd(r, &rep, &err, "PTTL {pairstore}:job:pair:gus");
	ok(rep->integer > 0 && rep->integer <= 3600 * 1000,
	    "finished jobs expire after QUEUE_RETENTION_S");
	freeReplyObject(rep);
}

static void
queue_full_refuses_and_changes_nothing(void)
{
	const char *extra[] = {"QUEUE_MAX_WAITING=2", NULL};
	ps_submit_result res;
	ps_err err = {0};

	setup(extra);
	ps_queue_submit(q, "pair:u1", "u1", "{}", &res, &err);
	ps_queue_submit(q, "pair:u2", "u2", "{}", &res, &err);
	is_int(ps_queue_submit(q, "pair:u3", "u3", "{}", &res, &err),
	    PS_E_TOO_LARGE, "a full queue refuses");
	ok(lock_free("u3") && state_of("pair:u3") == PS_JOB_UNKNOWN,
	    "without taking the lock or creating the job");
}

static void
queue_wait_blocks_until_submit(void)
{
	ps_err err = {0};
	int64_t t0, dt;
	pid_t pid;
	int status;
	redisReply *rep;

	setup(NULL);
	/* Drain wake-ups left by earlier submits. */
	ps_redis_cmd(r, &rep, &err, "DEL {pairstore}:q:wake");
	freeReplyObject(rep);
	t0 = ps_mono_ms();
	is_int(ps_queue_wait(q, 1000, &err), PS_OK,
	    "wait with nothing to do returns at its limit");
	dt = ps_mono_ms() - t0;
	ok(dt >= 900, "after about a second (%lld ms)", (long long)dt);

	pid = submit_later("pair:late", "late", 300);
	t0 = ps_mono_ms();
	is_int(ps_queue_wait(q, 10000, &err), PS_OK, "wait for a submit");
	dt = ps_mono_ms() - t0;
	waitpid(pid, &status, 0);
	ok(dt < 5000, "a submit from another process wakes the waiter "
	    "(%lld ms, limit 10000)", (long long)dt);
}

static void
queue_asks_for_a_worker_only_when_none_alive(void)
{
	ps_submit_result res;
	ps_err err = {0};

	setup(NULL);
	ps_queue_submit(q, "pair:s1", "s1", "{}", &res, &err);
	ok(res.workers_alive == 0 && res.spawn_worker == 1,
	    "no worker alive: the first submitter is asked to start one");
	ps_queue_submit(q, "pair:s2", "s2", "{}", &res, &err);
	ok(res.spawn_worker == 0, "the next one within the guard time is "
	    "not (one start at a time)");
	ps_queue_heartbeat(q, "w9", &err);
	ps_queue_submit(q, "pair:s3", "s3", "{}", &res, &err);
	ok(res.workers_alive == 1 && res.spawn_worker == 0,
	    "with a live worker nobody is asked");
}

static void
queue_idle_worker_leaves_only_when_idle(void)
{
	ps_submit_result res;
	ps_job job;
	ps_err err = {0};
	int left, got, released;
	int64_t due;

	setup(NULL);
	ps_queue_heartbeat(q, "w1", &err);
	ps_queue_submit(q, "pair:t1", "t1", "{}", &res, &err);
	is_int(ps_queue_leave_if_idle(q, "w1", &left, &err), PS_OK,
	    "leave_if_idle runs");
	ok(!left, "a worker does not leave while a job waits");
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	ps_queue_leave_if_idle(q, "w1", &left, &err);
	ok(!left, "nor while one is active");
	ps_queue_complete(q, &job, "X", &released, NULL, &err);
	ps_queue_leave_if_idle(q, "w1", &left, &err);
	ok(left, "it leaves when the queue is idle");
	ps_queue_submit(q, "pair:t2", "t2", "{}", &res, &err);
	ok(res.workers_alive == 0 && res.spawn_worker == 1,
	    "and the next submit is asked to start a worker at once");
}

static void
queue_stats_count_states(void)
{
	ps_submit_result res;
	ps_queue_stats st;
	ps_job job;
	ps_err err = {0};
	int got, final, released;
	int64_t due;

	setup(NULL);
	ps_queue_submit(q, "pair:a", "a", "{}", &res, &err);
	ps_queue_submit(q, "pair:b", "b", "{}", &res, &err);
	ps_queue_submit(q, "pair:c", "c", "{}", &res, &err);
	ps_queue_submit(q, "pair:a", "a", "{}", &res, &err);	/* refused */
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	ps_queue_complete(q, &job, "X", &released, NULL, &err);
	ps_queue_take(q, "w1", &job, &got, &due, &err);
	ps_queue_fail(q, &job, "no", 0, &final, &released, NULL, &err);
	is_int(ps_queue_stats_get(q, &st, &err), PS_OK, "stats (%s)",
	    err.msg);
	ok(st.waiting == 1 && st.active == 0 && st.completed == 1 &&
	    st.failed == 1, "counts by state");
	ok(st.submitted_total == 3 && st.completed_total == 1 &&
	    st.failed_total == 1 && st.lock_acquired_total == 3 &&
	    st.lock_refused_total == 1, "totals");
	ok(st.nworkers == 1 && strcmp(st.workers[0].id, "w1") == 0 &&
	    st.workers[0].last_seen_ms > 0, "the worker's heartbeat");
}

static void
queue_survives_redis_crash_with_aof(void)
{
	ps_submit_result res;
	ps_job job;
	ps_err err = {0};
	redisReply *rep;
	int got, i;
	int64_t due;

	setup(NULL);
	ps_redis_cmd(r, &rep, &err, "CONFIG SET appendonly yes");
	freeReplyObject(rep);
	ps_redis_cmd(r, &rep, &err, "CONFIG SET appendfsync always");
	freeReplyObject(rep);
	ps_redis_cmd(r, &rep, &err, "CONFIG REWRITE");
	freeReplyObject(rep);
	/* Wait for the initial AOF rewrite to finish. */
	for (i = 0; i < 100; i++) {
		ps_redis_cmd(r, &rep, &err, "INFO persistence");
		int busy = strstr(rep->str, "aof_rewrite_in_progress:1") !=
		    NULL || strstr(rep->str, "aof_rewrite_scheduled:1") != NULL;
		freeReplyObject(rep);
		if (!busy)
			break;
		tst_sleep_ms(50);
	}
	is_int(ps_queue_submit(q, "pair:persist", "persist", "{}", &res,
	    &err), PS_OK, "submit with AOF on");
	kill(tst_redis_pid(), SIGKILL);
	tst_sleep_ms(100);
	tst_redis_start();
	is_int(ps_queue_take(q, "w1", &job, &got, &due, &err), PS_OK,
	    "take after Redis was killed and restarted (%s)", err.msg);
	ok(got && strcmp(job.id, "pair:persist") == 0,
	    "the accepted job survived the crash");
	ok(lock_held_by_job("persist", "pair:persist"), "and so did its lock");
}

int
main(void)
{
	ps_log_init("test_queue", PS_LOG_WARN);
	queue_submit_takes_lock_and_enqueues();
	queue_take_complete_releases_lock();
	queue_complete_takes_next_in_same_round_trip();
	queue_end_wait_take_is_one_round_trip();
	queue_wait_take_after_script_flush();
	queue_fail_retries_with_backoff_then_fails();
	queue_lease_expiry_recovers_then_fails_stalled();
	queue_hard_timeout_fails_and_releases_lock();
	queue_result_expires();
	queue_full_refuses_and_changes_nothing();
	queue_wait_blocks_until_submit();
	queue_asks_for_a_worker_only_when_none_alive();
	queue_idle_worker_leaves_only_when_idle();
	queue_stats_count_states();
	queue_survives_redis_crash_with_aof();
	ps_queue_free(q);
	ps_redis_free(r);
	ps_config_free(cfg);
	return tap_done();
}
