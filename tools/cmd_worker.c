/* cmd_worker.c - `pairstore worker`: run pairing jobs (see ps_worker.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ps_log.h"
#include "ps_util.h"
#include "ps_worker.h"
#include "pairstore.h"

#define MAX_CONCURRENCY 64

static volatile sig_atomic_t got_signal;

static void
on_stop(int sig)
{
	got_signal = sig;
	ps_worker_request_stop();
}

static void
worker_usage(FILE *out)
{
	fprintf(out,
	    "usage: pairstore worker [--concurrency N] [--drain] "
	    "[--idle-exit SECONDS]\n"
	    "                        [--max-jobs N]\n"
	    "\n"
	    "Run pairing jobs from the queue.\n"
	    "\n"
	    "  --concurrency N     N worker processes (1 to %d, default 1)\n"
	    "  --drain             run the jobs that are ready, then exit "
	    "(for cron:\n"
	    "                      * * * * * pairstore worker --drain)\n"
	    "  --idle-exit S       exit after S seconds without a job\n"
	    "  --max-jobs N        exit after N jobs (per process)\n"
	    "\n"
	    "SIGTERM or SIGINT: stop taking jobs, finish the current one, "
	    "exit.\n", MAX_CONCURRENCY);
}

static int
parse_long(const char *opt, const char *s, long min, long max, long *out)
{
	int64_t v;

	if (s == NULL || ps_parse_i64(s, strlen(s), &v) < 0 || v < min ||
	    v > max) {
		fprintf(stderr, "pairstore worker: %s takes a number from %ld "
		    "to %ld\n", opt, min, max);
		return -1;
	}
	*out = (long)v;
	return 0;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: waits return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int
one(const ps_config *cfg, const ps_worker_opts *o)
{
	ps_worker_totals t;

	return ps_worker_run(cfg, o, &t);
}

/* N processes; the parent forwards stop signals and restarts a process
 * that died abnormally (at most once a second). */
static int
supervise(const ps_config *cfg, const ps_worker_opts *o, long n)
{
	pid_t pids[MAX_CONCURRENCY];
	int status, i, result = 0, alive = 0;
	pid_t pid;

	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) == 0)
			_exit(one(cfg, o));
		if (pids[i] > 0)
			alive++;
	}
	while (alive > 0) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno != EINTR)
				break;
			if (got_signal)
				for (i = 0; i < n; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGTERM);
			continue;
		}
		for (i = 0; i < n && pids[i] != pid; i++)
			;
		if (i == n)
			continue;
		pids[i] = 0;
		alive--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		if (ps_worker_stopping() || o->drain) {
			result = 1;
			continue;
		}
		ps_warn("Worker", "worker process %ld ended abnormally "
		    "(status %d); starting another", (long)pid, status);
		sleep(1);
		if ((pids[i] = fork()) == 0)
			_exit(one(cfg, o));
		if (pids[i] > 0)
			alive++;
	}
	return result;
}

int
cmd_worker(int argc, char **argv)
{
	ps_worker_opts o;
	ps_config *cfg;
	long conc = 1, v;
	int i, status;

	memset(&o, 0, sizeof(o));
	for (i = 1; i < argc; i++) {
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--help") == 0) {
			worker_usage(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--drain") == 0)
			o.drain = 1;
		else if (strcmp(argv[i], "--concurrency") == 0) {
			if (parse_long(argv[i], next, 1, MAX_CONCURRENCY,
			    &conc) < 0)
				return EXIT_USAGE;
			i++;
		} else if (strcmp(argv[i], "--idle-exit") == 0) {
			if (parse_long(argv[i], next, 1, 86400 * 30, &v) < 0)
				return EXIT_USAGE;
			o.idle_exit_ms = (int64_t)v * 1000;
			i++;
		} else if (strcmp(argv[i], "--max-jobs") == 0) {
			if (parse_long(argv[i], next, 1, 1000000000L,
			    &o.max_jobs) < 0)
				return EXIT_USAGE;
			i++;
		} else {
			fprintf(stderr, "pairstore worker: unknown option "
			    "'%.64s'\n", argv[i]);
			worker_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (tool_setup(&cfg) < 0)
		return EXIT_FAIL;
	install_signals();
	status = conc == 1 ? one(cfg, &o) : supervise(cfg, &o, conc);
	ps_config_free(cfg);
	return status == 0 ? EXIT_OK : EXIT_FAIL;
}
