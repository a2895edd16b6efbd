/*
 * test_worker.c - the worker against a real redis-server: jobs run to
 * completion with each provider, provider failures and hangs fail the
 * job cleanly (lock released, reason visible), a worker SIGKILLed in the
 * middle of a job is recovered by another, SIGTERM finishes the job in
 * progress, --drain and --idle-exit end by themselves.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ps_lock.h"
#include "ps_log.h"
#include "ps_pairing.h"
#include "ps_provider.h"
#include "ps_queue.h"
#include "ps_util.h"
#include "ps_worker.h"
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

static void
submit(const char *user)
{
	ps_submit_result res;
	ps_err err = {0};

	if (ps_pairing_submit(q, user, "+49 151 0000000", &res, &err) != PS_OK)
		tap_bail("submit %s: %s", user, err.msg);
}

static int
get(const char *user, ps_job *job)
{
	char id[PS_JOB_ID_MAX + 1];
	ps_err err = {0};
	int found = 0;

	ps_pairing_job_id(user, id, sizeof(id));
	ps_queue_get(q, id, job, &found, &err);
	return found;
}

static int
lock_free(const char *user)
{
	ps_lock_info info;
	ps_err err = {0};

	return ps_lock_inspect(r, user, &info, &err) == PS_OK && !info.held;
}

static int
in_alphabet(const char *code)
{
	return strlen(code) == 8 && strspn(code, PS_CODE_ALPHABET) == 8;
}

/* Write an executable provider script into the test's temp dir. */
static const char *
script(const char *name, const char *body)
{
	static char path[4][512];
	static int n;
	char *p = path[n++ % 4];
	FILE *f;

	snprintf(p, 512, "%s/%s", tst_tmpdir(), name);
	if ((f = fopen(p, "w")) == NULL)
		tap_bail("cannot write %s", p);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(p, 0755);
	return p;
}

static void
worker_drain_completes_jobs_with_builtin_codes(void)
{
	ps_worker_opts o = {.drain = 1};
	ps_worker_totals t;
	ps_job job;
	int i, all = 1;
	char user[16];

	setup(NULL);
	for (i = 0; i < 5; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		submit(user);
	}
	is_int(ps_worker_run(cfg, &o, &t), 0, "a drain run exits 0");
	is_int(t.completed, 5, "and completed all five jobs");
	for (i = 0; i < 5; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		if (!get(user, &job) || job.state != PS_JOB_COMPLETED ||
		    !in_alphabet(job.result) || !lock_free(user))
			all = 0;
	}
	ok(all, "each job completed with an 8-character code from the "
	    "alphabet, and each lock was released");
}

static void
worker_exec_provider_code_reaches_the_job(void)
{
	char setting[600];
	const char *extra[] = {"PAIRING_PROVIDER=exec", setting, NULL};
	ps_worker_opts o = {.drain = 1};
	ps_worker_totals t;
	ps_job job;

	snprintf(setting, sizeof(setting), "PAIRING_EXEC=%s", script(
	    "ok.sh", "echo \"CODE-$1\""));
	setup(extra);
	submit("execuser");
	ps_worker_run(cfg, &o, &t);
	ok(get("execuser", &job) && job.state == PS_JOB_COMPLETED &&
	    strcmp(job.result, "CODE-execuser") == 0,
	    "the exec provider's code is the job's result (%s)", job.result);
}

static void
worker_provider_hang_fails_job_cleanly(void)
{
	char setting[600];
	const char *extra[] = {"PAIRING_PROVIDER=exec", setting,
		"PAIRING_TIMEOUT_MS=300", "QUEUE_ATTEMPTS=2",
		"QUEUE_BACKOFF_MS=100", NULL};
	ps_worker_opts o = {.drain = 1};
	ps_worker_totals t;
	ps_job job;

	snprintf(setting, sizeof(setting), "PAIRING_EXEC=%s", script(
	    "hang.sh", "sleep 30"));
	setup(extra);
	submit("hanger");
	ps_worker_run(cfg, &o, &t);
	ok(get("hanger", &job) && job.state == PS_JOB_DELAYED &&
	    strstr(job.error, "timed out") != NULL,
	    "a hanging provider fails the attempt with a timeout reason "
	    "(%s); a retry is scheduled", job.error);
	tst_sleep_ms(250);
	ps_worker_run(cfg, &o, &t);
	ok(get("hanger", &job) && job.state == PS_JOB_FAILED &&
	    job.attempts == 2 && strstr(job.error, "timed out") != NULL,
	    "after the last attempt the job failed (%s)", job.error);
	ok(lock_free("hanger"), "and the lock was released");
}

static void
worker_provider_error_reason_visible(void)
{
	char setting[600];
	const char *extra[] = {"PAIRING_PROVIDER=exec", setting,
		"QUEUE_ATTEMPTS=1", NULL};
	ps_worker_opts o = {.drain = 1};
	ps_worker_totals t;
	ps_job job;

	snprintf(setting, sizeof(setting), "PAIRING_EXEC=%s", script(
	    "fail.sh", "echo 'session engine offline' >&2; exit 4"));
	setup(extra);
	submit("failer");
	ps_worker_run(cfg, &o, &t);
	ok(get("failer", &job) && job.state == PS_JOB_FAILED &&
	    strstr(job.error, "session engine offline") != NULL &&
	    strstr(job.error, "status 4") != NULL,
	    "the provider's error is the job's visible reason (%s)",
	    job.error);
	ok(lock_free("failer"), "and the lock was released");
}

static void
on_term(int sig)
{
	(void)sig;
	ps_worker_request_stop();
}

static pid_t
spawn_worker(const ps_worker_opts *o)
{
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		ps_worker_totals t;
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		_exit(ps_worker_run(cfg, o, &t));
	}
	return pid;
}

static int
wait_state(const char *user, ps_job_state want, long ms)
{
	ps_job job;

	for (; ms > 0; ms -= 50) {
		if (get(user, &job) && job.state == want)
			return 1;
		tst_sleep_ms(50);
	}
	return 0;
}

static void
worker_killed_mid_job_is_recovered(void)
{
	char marker[512], body[1200], setting[600];
	const char *extra[] = {"PAIRING_PROVIDER=exec", setting,
		"QUEUE_LEASE_MS=1000", "PAIRING_TIMEOUT_MS=20000", NULL};
	ps_worker_opts o = {.drain = 0};
	ps_worker_opts drain = {.drain = 1};
	ps_worker_totals t;
	ps_job job;
	pid_t pid;
	int status;

	/* Hangs on the first attempt only; answers on the next. */
	snprintf(marker, sizeof(marker), "%s/first-attempt", tst_tmpdir());
	snprintf(body, sizeof(body),
	    "if [ ! -e '%s' ]; then : > '%s'; exec sleep 3; fi\n"
	    "echo RECOVERED", marker, marker);
	snprintf(setting, sizeof(setting), "PAIRING_EXEC=%s",
	    script("once.sh", body));
	setup(extra);
	submit("victim");
	pid = spawn_worker(&o);
	ok(wait_state("victim", PS_JOB_ACTIVE, 5000),
	    "a worker started the job");
	tst_sleep_ms(300);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status), "the worker was SIGKILLed mid-job");
	ok(get("victim", &job) && job.state == PS_JOB_ACTIVE,
	    "the job is still active with nobody renewing it");
	tst_sleep_ms(1200);
	ps_worker_run(cfg, &drain, &t);
	ok(get("victim", &job) && job.state == PS_JOB_COMPLETED &&
	    strcmp(job.result, "RECOVERED") == 0 && job.stalled == 1 &&
	    job.attempts == 2,
	    "after the lease ran out another worker recovered and "
	    "finished it (stalled %d, attempts %d)", job.stalled,
	    job.attempts);
	ok(lock_free("victim"), "and the lock ended with the job");
}

static void
worker_sigterm_finishes_current_job(void)
{
	char setting[600];
	const char *extra[] = {"PAIRING_PROVIDER=exec", setting, NULL};
	ps_worker_opts o = {.drain = 0};
	ps_job job;
	pid_t pid;
	int status;

	snprintf(setting, sizeof(setting), "PAIRING_EXEC=%s", script(
	    "slow.sh", "sleep 1; echo SLOWCODE"));
	setup(extra);
	submit("graceful");
	pid = spawn_worker(&o);
	ok(wait_state("graceful", PS_JOB_ACTIVE, 5000), "job started");
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "SIGTERM: the worker exited 0");
	ok(get("graceful", &job) && job.state == PS_JOB_COMPLETED &&
	    strcmp(job.result, "SLOWCODE") == 0,
	    "after finishing the job in progress");
	ok(lock_free("graceful"), "lock released");
}

static void
worker_idle_exit_ends_by_itself(void)
{
	ps_worker_opts o = {.idle_exit_ms = 1000};
	ps_worker_totals t;
	ps_queue_stats st;
	ps_err err = {0};
	int64_t t0;
	int rc;

	setup(NULL);
	t0 = ps_mono_ms();
	rc = ps_worker_run(cfg, &o, &t);
	ok(rc == 0 && ps_mono_ms() - t0 >= 900,
	    "an on-demand worker with nothing to do exits after its idle "
	    "time (%lld ms)", (long long)(ps_mono_ms() - t0));
	ps_queue_stats_get(q, &st, &err);
	is_int(st.nworkers, 0, "and removes its heartbeat on the way out");
}

int
main(void)
{
	ps_log_init("test_worker", PS_LOG_WARN);
	worker_drain_completes_jobs_with_builtin_codes();
	worker_exec_provider_code_reaches_the_job();
	worker_provider_hang_fails_job_cleanly();
	worker_provider_error_reason_visible();
	worker_killed_mid_job_is_recovered();
	worker_sigterm_finishes_current_job();
	worker_idle_exit_ends_by_itself();
	ps_queue_free(q);
	ps_redis_free(r);
	ps_config_free(cfg);
	return tap_done();
}
