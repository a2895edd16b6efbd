/* cmd_queue.c - `pairstore queue stats|show JOB`: what the queue holds. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_queue.h"
#include "ps_redis.h"
#include "pairstore.h"

static void
queue_usage(FILE *out)
{
	fprintf(out,
	    "usage: pairstore queue stats\n"
	    "       pairstore queue show JOB_ID     (e.g. pair:alice)\n");
}

int
cmd_queue(int argc, char **argv)
{
	ps_config *cfg = NULL;
	ps_redis *r = NULL;
	ps_queue *q = NULL;
	ps_err err = {0};
	int status = EXIT_OK, i;

	if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
		queue_usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "stats") == 0 && argc != 2) ||
	    (strcmp(argv[1], "show") == 0 && argc != 3) ||
	    (strcmp(argv[1], "stats") != 0 && strcmp(argv[1], "show") != 0)) {
		queue_usage(stderr);
		return EXIT_USAGE;
	}
	if (tool_setup(&cfg) < 0)
		return EXIT_FAIL;
	if (ps_redis_new(&r, cfg, &err) != PS_OK ||
	    ps_queue_new(&q, r, cfg, &err) != PS_OK) {
		fprintf(stderr, "pairstore queue: %s\n", err.msg);
		status = EXIT_FAIL;
		goto out;
	}
	if (strcmp(argv[1], "stats") == 0) {
		ps_queue_stats st;

		if (ps_queue_stats_get(q, &st, &err) != PS_OK) {
			fprintf(stderr, "pairstore queue: %s\n", err.msg);
			status = EXIT_FAIL;
			goto out;
		}
		printf("waiting=%lld\ndelayed=%lld\nactive=%lld\n"
		    "completed=%lld\nfailed=%lld\nsubmitted_total=%lld\n"
		    "completed_total=%lld\nfailed_total=%lld\n"
		    "retried_total=%lld\nstalled_total=%lld\n"
		    "timed_out_total=%lld\nlock_acquired_total=%lld\n"
		    "lock_refused_total=%lld\nworkers=%d\n",
		    (long long)st.waiting, (long long)st.delayed,
		    (long long)st.active, (long long)st.completed,
		    (long long)st.failed, (long long)st.submitted_total,
		    (long long)st.completed_total, (long long)st.failed_total,
		    (long long)st.retried_total, (long long)st.stalled_total,
		    (long long)st.timed_out_total,
		    (long long)st.lock_acquired_total,
		    (long long)st.lock_refused_total, st.nworkers);
		for (i = 0; i < st.nworkers; i++)
			printf("worker=%s seen_ms_ago=%lld\n", st.workers[i].id,
			    (long long)(st.now_ms - st.workers[i].last_seen_ms));
	} else {
		ps_job job;
		int found;

		if (ps_queue_get(q, argv[2], &job, &found, &err) != PS_OK) {
			fprintf(stderr, "pairstore queue: %s\n", err.msg);
			status = err.code == PS_E_INVALID ? EXIT_USAGE :
			    EXIT_FAIL;
			goto out;
		}
		if (!found) {
			fprintf(stderr, "pairstore queue: no job %s\n",
			    argv[2]);
			status = EXIT_REFUSED;
			goto out;
		}
		/* The result (a pairing code) is not printed: codes are
		 * shown only to their owner, through the status program. */
		printf("id=%s\nuser=%s\nstate=%s\nattempts=%d/%d\n"
		    "position=%lld\nstalled=%d\nworker=%s\nerror=%s\n"
		    "has_result=%d\n", job.id, job.user,
		    ps_job_state_name(job.state), job.attempts,
		    job.max_attempts, (long long)job.position, job.stalled,
		    job.worker, job.error, job.result[0] != '\0');
	}
out:
	ps_queue_free(q);
	ps_redis_free(r);
	ps_config_free(cfg);
	return status;
}
