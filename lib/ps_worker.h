/*
 * ps_worker.h - the process that runs jobs (`pairstore worker`).
 *
 * Three ways to run it (DESIGN.md, "Who runs jobs"):
 *  - a daemon (systemd, supervisord): `pairstore worker`, optionally
 *    --concurrency N (N processes, each with its own connection);
 *  - cron on shared hosting: `pairstore worker --drain` runs what is
 *    ready and exits;
 *  - on demand: when a job is submitted and no worker has sent a
 *    heartbeat for 15 s, the submitting program starts
 *    `pairstore worker --idle-exit WORKER_IDLE_EXIT_S` detached; it
 *    exits after that long without jobs (WORKER_SPAWN=false turns it
 *    off).
 * SIGTERM/SIGINT: stop taking jobs, finish the one in progress (its
 * provider call is bounded by PAIRING_TIMEOUT_MS), leave.
 */
#ifndef PS_WORKER_H
#define PS_WORKER_H

#include <stdint.h>

#include "ps_config.h"
#include "ps_error.h"

typedef struct ps_worker_opts {
	int drain;		/* exit when nothing is ready */
	int64_t idle_exit_ms;	/* exit after this long idle (0: never) */
	long max_jobs;		/* exit after this many jobs (0: no limit) */
} ps_worker_opts;

typedef struct ps_worker_totals {
	long completed, retried, failed, lost;
} ps_worker_totals;

/* Run one worker process until stopped; returns the exit status. */
int ps_worker_run(const ps_config *cfg, const ps_worker_opts *opts,
    ps_worker_totals *totals);

/* Ask running loops in this process to stop (signal-safe). */
void ps_worker_request_stop(void);
int ps_worker_stopping(void);

/*
 * Start `BIN worker --idle-exit S` detached from the caller (new session,
 * stdin/stdout on /dev/null, stderr kept for the error log, every other
 * descriptor closed — a FastCGI listening socket must not leak).  BIN is
 * WORKER_BIN or the installed pairstore.  Never waits for the worker.
 */
ps_code ps_worker_spawn(const ps_config *cfg, ps_err *err);

#endif /* PS_WORKER_H */
