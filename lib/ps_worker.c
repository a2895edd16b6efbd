/* ps_worker.c - see ps_worker.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ps_log.h"
#include "ps_pairing.h"
#include "ps_provider.h"
#include "ps_queue.h"
#include "ps_redis.h"
#include "ps_util.h"
#include "ps_worker.h"

#ifndef PS_DEFAULT_WORKER_BIN
#define PS_DEFAULT_WORKER_BIN "/usr/local/bin/pairstore"
#endif

/* Idle workers block at most this long at a time, so a stop request
 * or a heartbeat never waits longer. */
#define WAIT_SLICE_MS 2000

static volatile sig_atomic_t stop_requested;

void
ps_worker_request_stop(void)
{
	stop_requested = 1;
}

int
ps_worker_stopping(void)
{
	return stop_requested != 0;
}

static void
worker_id(char *buf, size_t sz)
{
	char host[64];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	/* Worker ids end up in JSON, log lines and metric labels. */
	for (char *c = host; *c != '\0'; c++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789.-_", *c) == NULL)
			*c = '_';
	snprintf(buf, sz, "%s:%ld", host, (long)getpid());
}

/* How long the next wait may last: a slice, or until the next delayed
 * job is due (both in Redis time). */
static int64_t
wait_ms(int64_t due, int64_t now_ms)
{
	if (due > 0 && now_ms > 0 && due - now_ms < WAIT_SLICE_MS)
		return due - now_ms > 0 ? due - now_ms : 1;
	return WAIT_SLICE_MS;
}

/* An on-demand worker idle for its time leaves, if the queue is idle
 * too, in one step with that check: a submit before it is still ours,
 * one after it sees no worker and starts another.  1: leave now. */
static int
idle_exit(ps_queue *q, const char *wid, const ps_worker_opts *opts,
    int64_t *idle_since, int *left_idle)
{
	ps_err err = {0};
	int left = 0;

	if (opts->idle_exit_ms <= 0 ||
	    ps_mono_ms() - *idle_since < opts->idle_exit_ms)
		return 0;
	if (ps_queue_leave_if_idle(q, wid, &left, &err) != PS_OK || !left) {
		*idle_since = ps_mono_ms();
		return 0;
	}
	ps_info("Worker", "worker %s idle for %lld s, exiting", wid,
	    (long long)(opts->idle_exit_ms / 1000));
	*left_idle = 1;
	return 1;
}

int
ps_worker_run(const ps_config *cfg, const ps_worker_opts *opts,
    ps_worker_totals *totals)
{
	ps_redis *r = NULL;
	ps_queue *q = NULL;
	ps_provider *p = NULL;
	ps_job job, next_job;
	char wid[PS_WORKER_ID_MAX + 1];
	int64_t idle_since, lease_ms, backoff = 0, due = -1, now_ms = 0;
	long done = 0;
	int status = 0, left_idle = 0, got = 0, fresh = 1, took_nothing = 0;
	ps_err err = {0};

	memset(totals, 0, sizeof(*totals));
	worker_id(wid, sizeof(wid));
	if (ps_redis_new(&r, cfg, &err) != PS_OK ||
	    ps_queue_new(&q, r, cfg, &err) != PS_OK ||
	    ps_provider_new(&p, cfg, &err) != PS_OK) {
		ps_error("Worker", "cannot start: %s", err.msg);
		status = 1;
		goto out;
	}
	lease_ms = ps_config_int(cfg, PS_CFG_QUEUE_LEASE_MS);
	ps_info("Worker", "worker %s started (provider %s%s)", wid,
	    ps_provider_describe(p), opts->drain ? ", drain" : "");
	idle_since = ps_mono_ms();

	/*
	 * One round trip per job: ending a job also waits for and takes
	 * the next (ps_next.wait_ms); with nothing to do, wait and take
	 * are one round trip too.  The first take, and one after trouble,
	 * does not wait.  A drain run takes without waiting, and ends when
	 * a take finds nothing.
	 */
	while (!stop_requested) {
		ps_pairing_outcome outcome;
		ps_next next = {.job = &next_job};
		ps_code rc;
		int more;

		if (!got) {
			if (took_nothing) {
				took_nothing = 0;
				if (opts->drain)
					break;
				if (idle_exit(q, wid, opts, &idle_since,
				    &left_idle))
					break;
			}
			if (fresh)
				rc = ps_queue_take(q, wid, &job, &got, &due,
				    &err);
			else
				rc = ps_queue_wait_take(q, wid,
				    wait_ms(due, now_ms), &job, &got, &due,
				    &err);
			if (rc != PS_OK) {
				/* Redis away: back off (up to 5 s) and try
				 * again; a drain run gives up. */
				ps_error("Worker", "%s", err.msg);
				got = 0;
				fresh = 1;
				if (opts->drain) {
					status = 1;
					break;
				}
				/* An on-demand worker does not outlive its
				 * idle time just because Redis went away;
				 * the next submit starts a new one. */
				if (opts->idle_exit_ms > 0 && ps_mono_ms() -
				    idle_since >= opts->idle_exit_ms) {
					ps_info("Worker", "worker %s: Redis "
					    "unavailable and idle for %lld s, "
					    "exiting", wid, (long long)
					    (opts->idle_exit_ms / 1000));
					left_idle = 1;
					break;
				}
				backoff = backoff == 0 ? 250 : backoff * 2;
				if (backoff > 5000)
					backoff = 5000;
				usleep((useconds_t)backoff * 1000);
				continue;
			}
			backoff = 0;
			fresh = 0;
			took_nothing = !got;
			now_ms = job.now_ms;
			continue;
		}

		more = !stop_requested && (opts->max_jobs == 0 ||
		    done + 1 < opts->max_jobs);
		next.worker_id = more ? wid : NULL;
		next.wait_ms = more && !opts->drain ? wait_ms(due, now_ms) : 0;
		next_job.now_ms = 0;	/* set by a take that ran */
		rc = ps_pairing_process(q, p, &job, wid, lease_ms, &outcome,
		    &next, &err);
		if (rc != PS_OK)
			ps_error("Worker", "job %s: %s (it will be recovered "
			    "when its lease runs out)", job.id, err.msg);
		else if (outcome == PS_PAIR_COMPLETED)
			totals->completed++;
		else if (outcome == PS_PAIR_RETRY)
			totals->retried++;
		else if (outcome == PS_PAIR_FAILED)
			totals->failed++;
		else
			totals->lost++;
		done++;
		idle_since = ps_mono_ms();
		/* The ending is logged; now the wait and the next job. */
		ps_queue_next_finish(q, &next);
		if (opts->max_jobs > 0 && done >= opts->max_jobs)
			break;
		got = next.got;
		if (got) {
			job = next_job;
			continue;
		}
		if (next.take_rc != PS_OK)
			ps_error("Worker", "%s", next.take_err.msg);
		/* A take that ran and found nothing says when the next
		 * delayed job is due; without one, take again at once. */
		if (next_job.now_ms > 0 && next.take_rc == PS_OK) {
			took_nothing = 1;
			due = next.next_due_ms;
			now_ms = next_job.now_ms;
		} else
			fresh = 1;
	}
	if (q != NULL && !left_idle)
		ps_queue_worker_gone(q, wid, NULL);
	ps_info("Worker", "worker %s stopping: %ld completed, %ld retried, "
	    "%ld failed", wid, totals->completed, totals->retried,
	    totals->failed);
out:
	ps_provider_free(p);
	ps_queue_free(q);
	ps_redis_free(r);
	return status;
}

ps_code
ps_worker_spawn(const ps_config *cfg, ps_err *err)
{
	const char *bin = ps_config_str(cfg, PS_CFG_WORKER_BIN);
	char idle[24];
	pid_t pid;
	int status;

	if (bin == NULL)
		bin = PS_DEFAULT_WORKER_BIN;
	if (access(bin, X_OK) != 0)
		return ps_err_set(err, PS_E_CONFIG,
		    "cannot start a worker: %s is not executable (set "
		    "WORKER_BIN)", bin);
	snprintf(idle, sizeof(idle), "%lld",
	    ps_config_int(cfg, PS_CFG_WORKER_IDLE_EXIT_S));
	if ((pid = fork()) < 0)
		return ps_err_set(err, PS_E_IO, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* First child: new session, fork again so the worker is
		 * not our child (no zombie, survives our exit). */
		int fd;

		if (setsid() < 0 || (pid = fork()) < 0)
			_exit(1);
		if (pid > 0)
			_exit(0);
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			_exit(1);
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		{
			/* A FastCGI program keeps its stop signals blocked
			 * while it serves a request: the worker must not
			 * inherit that, nor the handlers. */
			struct sigaction sa;
			sigset_t none;
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = SIG_DFL;
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGUSR1, &sa, NULL);
			sigaction(SIGPIPE, &sa, NULL);
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
		}
		execl(bin, "pairstore", "worker", "--idle-exit", idle,
		    (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ps_err_set(err, PS_E_IO, "could not start a worker");
	ps_info("Worker", "started an on-demand worker (%s)", bin);
	return PS_OK;
}
