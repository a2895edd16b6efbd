/*
 * ps_queue.h - a Redis job queue with Bull's semantics, done atomically.
 *
 * Every state change is one Lua script (one round trip); all keys share
 * the hash tag {prefix}.  Times are the Redis server's clock (TIME inside
 * the scripts), so hosts with skewed clocks agree on leases and deadlines.
 *
 *   submit ─► waiting ─take─► active ─complete─► completed
 *                ▲              │ └──fail/timeout/stall─► delayed ─┐
 *                │              │      (attempts left)            │
 *                └──────────────┴──── due / lease lost ◄──────────┘
 *                               └──fail (no attempts left)─► failed
 *
 * A job id is chosen by the caller and unique while the job is waiting,
 * delayed or active; a finished job with the same id is replaced.  The
 * submitter's session lock is taken by the submit script and handed to
 * the job; the script that moves the job to completed or failed releases
 * it (only if the job's token still owns it).
 *
 * Active jobs hold a short lease (QUEUE_LEASE_MS) that the worker renews;
 * a lease that runs out means the worker is gone: the job goes back to
 * waiting, or fails once it has stalled more than QUEUE_MAX_STALLED
 * times.  A separate hard deadline (JOB_TIMEOUT_MS) fails an attempt
 * that runs too long.  Finished jobs are kept QUEUE_RETENTION_S.
 *
 * Recovery (due delayed jobs, lost leases, deadlines) runs inside take,
 * so it costs no extra round trip, and in ps_queue_get for the one job a
 * caller looks at.
 */
#ifndef PS_QUEUE_H
#define PS_QUEUE_H

#include <stdint.h>

#include "ps_config.h"
#include "ps_error.h"
#include "ps_redis.h"

#define PS_JOB_ID_MAX 80
#define PS_JOB_DATA_MAX 1024
#define PS_JOB_RESULT_MAX 64
#define PS_JOB_ERROR_MAX 256
#define PS_WORKER_ID_MAX 96

typedef enum ps_job_state {
	PS_JOB_UNKNOWN = 0,
	PS_JOB_WAITING,
	PS_JOB_DELAYED,		/* waiting for a retry after a failure */
	PS_JOB_ACTIVE,
	PS_JOB_COMPLETED,
	PS_JOB_FAILED
} ps_job_state;

const char *ps_job_state_name(ps_job_state s);

typedef struct ps_job {
	char id[PS_JOB_ID_MAX + 1];
	char user[65];
	char data[PS_JOB_DATA_MAX + 1];		/* JSON object */
	ps_job_state state;
	int attempts;
	int max_attempts;
	int stalled;
	int64_t created_ms;
	int64_t started_ms;		/* of the current/last attempt */
	int64_t finished_ms;
	int64_t next_run_ms;		/* delayed: when it runs again */
	int64_t lease_until_ms;
	int64_t deadline_ms;
	int64_t result_expires_ms;
	int64_t position;		/* waiting: 1 = next; else 0 */
	int64_t fence;			/* of the lock handed to the job */
	int64_t now_ms;			/* Redis time of the read */
	char result[PS_JOB_RESULT_MAX + 1];	/* "" unless completed and
						 * not expired */
	char error[PS_JOB_ERROR_MAX + 1];
	char lease[33];			/* worker's proof of ownership */
	char worker[PS_WORKER_ID_MAX + 1];
} ps_job;

typedef struct ps_queue ps_queue;

/* Options come from the QUEUE_*, JOB_*, LOCK_TTL_MS, PAIRING_CODE_TTL_S
 * settings.  The queue borrows r (one connection per process). */
ps_code ps_queue_new(ps_queue **q, ps_redis *r, const ps_config *cfg,
    ps_err *err);
void ps_queue_free(ps_queue *q);
ps_redis *ps_queue_redis(ps_queue *q);

typedef struct ps_submit_result {
	int accepted;
	int64_t fence;
	int64_t position;
	int64_t retry_ms;	/* refused: ms left on the lock (or 1000) */
	int workers_alive;	/* heartbeats in the last 15 s (-1: not
				 * looked at, on-demand workers off) */
	int spawn_worker;	/* none alive and this caller should start one */
} ps_submit_result;

/*
 * Take user's session lock and enqueue job id with data, in one round
 * trip.  Refused (PS_E_CONFLICT, "Lock already exists") when the lock is
 * held or a job with that id is waiting, delayed or active; PS_E_TOO_LARGE
 * ("queue full") at QUEUE_MAX_WAITING.  res is filled in every case.
 */
ps_code ps_queue_submit(ps_queue *q, const char *id, const char *user,
    const char *data, ps_submit_result *res, ps_err *err);

/* A job recovery or timeout that a script performed, for logging. */
typedef void (*ps_queue_event_fn)(const char *id, const char *user,
    const char *what, const char *reason, void *arg);
void ps_queue_set_event_handler(ps_queue *q, ps_queue_event_fn fn,
    void *arg);

/*
 * Take the next waiting job for worker_id, after recovering what is due.
 * *got = 1 and job filled when one was taken; otherwise *next_due_ms is
 * the Redis time of the next delayed job (-1: none) and job->now_ms the
 * Redis time now.
 */
ps_code ps_queue_take(ps_queue *q, const char *worker_id, ps_job *job,
    int *got, int64_t *next_due_ms, ps_err *err);
/* Block until a job may be available, at most max_ms (BLPOP on a wake-up
 * list; no polling). */
ps_code ps_queue_wait(ps_queue *q, int64_t max_ms, ps_err *err);
/* Both in one round trip: wait (returns at once while jobs are waiting),
 * then take, as ps_queue_take. */
ps_code ps_queue_wait_take(ps_queue *q, const char *worker_id,
    int64_t max_ms, ps_job *job, int *got, int64_t *next_due_ms,
    ps_err *err);

/* Renew the lease of an active job.  PS_E_NOT_FOUND when the job is no
 * longer ours (lease lost, timed out, finished): stop working on it. */
ps_code ps_queue_renew(ps_queue *q, const ps_job *job, const char *worker_id,
    ps_err *err);
/*
 * Ending a job can take the worker's next one in the same round trip:
 * pass a ps_next with worker_id set (NULL next, or a NULL worker_id:
 * don't).  With wait_ms 0 the ending script takes it when one is ready
 * (nothing is taken when the job was no longer ours).  With wait_ms > 0
 * the same round trip also waits, up to wait_ms, for one to come (as
 * ps_queue_wait_take): the take then runs whatever the ending answered,
 * and take_rc/take_err say how it went.  It is read by
 * ps_queue_next_finish(), which the caller must call before anything
 * else uses the queue (in between: log the ending, nothing more).  Then
 * got says whether next->job was filled, as with ps_queue_take.
 */
typedef struct ps_next {
	const char *worker_id;
	ps_job *job;
	int64_t wait_ms;
	int got;
	int64_t next_due_ms;
	ps_code take_rc;
	ps_err take_err;
} ps_next;

ps_code ps_queue_next_finish(ps_queue *q, ps_next *next);

/* Complete with a result; releases the handed-over lock.  PS_E_NOT_FOUND
 * when the job is no longer ours (nothing changed, nothing taken). */
ps_code ps_queue_complete(ps_queue *q, const ps_job *job, const char *result,
    int *lock_released, ps_next *next, ps_err *err);
/* Fail this attempt: retried with backoff while attempts are left (and
 * retryable), else failed for good and the lock released.  *final says
 * which.  PS_E_NOT_FOUND when the job is no longer ours. */
ps_code ps_queue_fail(ps_queue *q, const ps_job *job, const char *reason,
    int retryable, int *final, int *lock_released, ps_next *next,
    ps_err *err);

/* Read a job (with its position when waiting); *found = 0 when unknown.
 * Applies a due lease/deadline recovery to that job first. */
ps_code ps_queue_get(ps_queue *q, const char *id, ps_job *job, int *found,
    ps_err *err);
/* The same, also reporting user's session lock in the same round trip:
 * *lock_ms = ms left, -2 when free, -1 when it has no expiry. */
ps_code ps_queue_get_with_lock(ps_queue *q, const char *id,
    const char *user, ps_job *job, int *found, int64_t *lock_ms,
    ps_err *err);

typedef struct ps_queue_stats {
	int64_t waiting, delayed, active, completed, failed;
	int64_t submitted_total, completed_total, failed_total;
	int64_t retried_total, stalled_total, timed_out_total;
	int64_t lock_acquired_total, lock_refused_total;
	int nworkers;
	struct {
		char id[PS_WORKER_ID_MAX + 1];
		int64_t last_seen_ms;
	} workers[32];
	int64_t now_ms;
} ps_queue_stats;

/* Counts by state, totals, workers seen (last 60 s) — one round trip. */
ps_code ps_queue_stats_get(ps_queue *q, ps_queue_stats *st, ps_err *err);
/* Record a worker heartbeat outside take (idle workers). */
ps_code ps_queue_heartbeat(ps_queue *q, const char *worker_id, ps_err *err);
/* An idle on-demand worker leaves only when nothing is waiting, delayed
 * or active, atomically with that check: *left = 1 when it did. */
ps_code ps_queue_leave_if_idle(ps_queue *q, const char *worker_id,
    int *left, ps_err *err);
/* Remove a worker from the heartbeat set (clean exit). */
ps_code ps_queue_worker_gone(ps_queue *q, const char *worker_id,
    ps_err *err);

#endif /* PS_QUEUE_H */
