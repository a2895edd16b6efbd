/*
 * ps_pairing.h - pairing codes through the queue: the request side
 * (validate, submit: lock + enqueue in one round trip) and the worker
 * side (run the provider for a job under its lease, then complete or
 * fail it, which releases the user's lock).
 */
#ifndef PS_PAIRING_H
#define PS_PAIRING_H

#include "ps_error.h"
#include "ps_provider.h"
#include "ps_queue.h"

#define PS_PHONE_MAX 15

/*
 * Phone numbers: 7 to 15 digits (E.164 without the '+').  A leading '+'
 * and the separators people type (space, '-', '.', '(', ')') are dropped;
 * anything else is PS_E_INVALID.  out has room for PS_PHONE_MAX + 1.
 */
ps_code ps_phone_normalize(const char *in, char *out, ps_err *err);

/* "pair:<user>" into buf (size PS_JOB_ID_MAX + 1). */
void ps_pairing_job_id(const char *user, char *buf, size_t sz);

/* Validate phone, then lock + enqueue.  See ps_queue_submit. */
ps_code ps_pairing_submit(ps_queue *q, const char *user, const char *phone,
    ps_submit_result *res, ps_err *err);

/* Outcome of one job run by a worker. */
typedef enum ps_pairing_outcome {
	PS_PAIR_COMPLETED,
	PS_PAIR_RETRY,		/* failed, will run again */
	PS_PAIR_FAILED,		/* failed for good */
	PS_PAIR_LOST		/* the job was no longer ours */
} ps_pairing_outcome;

/*
 * Run job (taken by worker_id) to its end: provider call with lease
 * renewal, then complete or fail.  Logs the documented lines.  Returns
 * PS_OK with *outcome set, or a Redis error (the job then recovers by
 * its lease).  next, when not NULL, takes the worker's next job in the
 * same round trip that ends this one (see ps_queue_complete; with
 * next->wait_ms, call ps_queue_next_finish() afterwards).
 */
ps_code ps_pairing_process(ps_queue *q, ps_provider *p, const ps_job *job,
    const char *worker_id, int64_t lease_ms, ps_pairing_outcome *outcome,
    ps_next *next, ps_err *err);

#endif /* PS_PAIRING_H */
