/*
 * test_lock_contention.c - mutual exclusion under contention.
 *
 * 32 processes, each with its own Redis connection, compete for one lock
 * key until each has held it ROUNDS times.  Inside the critical section a
 * holder (1) appends "enter" and "leave" records to a shared O_APPEND
 * journal and (2) increments a counter in a plain file with an unlocked
 * read-modify-write.  Afterwards, independently of Redis:
 *   - the journal must be a strict alternation enter(p,f) leave(p,f)
 *     with the same process and fence in each pair: no two holders ever
 *     overlapped;
 *   - fences must strictly increase along the journal;
 *   - the counter must equal the number of critical sections: an overlap
 *     would lose an update.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ps_lock.h"
#include "ps_log.h"
#include "ps_util.h"
#include "tap.h"
#include "testlib.h"

#define NPROC 32
#define ROUNDS 15

static char journal_path[512], counter_path[512];

static void
journal(int fd, char what, long long fence)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%c %ld %lld\n", what,
	    (long)getpid(), fence);

	if (write(fd, line, (size_t)n) != n)
		_exit(3);
}

static void
bump_counter(void)
{
	char buf[32] = "";
	int fd = open(counter_path, O_RDWR), n;
	long v;

	if (fd < 0)
		_exit(4);
	n = (int)pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	v = strtol(buf, NULL, 10);
	/* Widen the race window: an overlapping holder would read the
	 * same value and one increment would be lost. */
	tst_sleep_ms(1);
	n = snprintf(buf, sizeof(buf), "%ld\n", v + 1);
	if (pwrite(fd, buf, (size_t)n, 0) != n)
		_exit(4);
	close(fd);
}

static int
child(void)
{
	ps_config *cfg = tst_config(NULL);
	ps_redis *r;
	ps_lock_grant g;
	ps_err err = {0};
	int done = 0, fd, attempts = 0;

	ps_log_set_level(PS_LOG_WARN);
	if (ps_redis_new(&r, cfg, &err) != PS_OK)
		return 2;
	fd = open(journal_path, O_WRONLY | O_APPEND);
	if (fd < 0)
		return 2;
	while (done < ROUNDS) {
		ps_code rc = ps_lock_acquire(r, "contended", 10000, "worker",
		    &g, NULL, &err);
		if (++attempts > 200000)
			return 5;
		if (rc == PS_E_CONFLICT) {
			usleep(200 + (unsigned)(getpid() % 7) * 50);
			continue;
		}
		if (rc != PS_OK)
			return 6;
		journal(fd, 'E', (long long)g.fence);
		bump_counter();
		journal(fd, 'L', (long long)g.fence);
		if (ps_lock_release(r, "contended", g.token, &err) != PS_OK)
			return 7;
		done++;
	}
	close(fd);
	ps_redis_free(r);
	ps_config_free(cfg);
	return 0;
}

int
main(void)
{
	pid_t pids[NPROC];
	int i, status, all_ok = 1, fd;
	FILE *f;
	char what, last = 'L';
	long pid, holder = 0;
	long long fence, last_fence = 0, holder_fence = 0;
	int pairs = 0, alternation = 1, fences_increase = 1;
	char buf[32];
	long counter;

	snprintf(journal_path, sizeof(journal_path), "%s/journal",
	    tst_tmpdir());
	snprintf(counter_path, sizeof(counter_path), "%s/counter",
	    tst_tmpdir());
	fd = open(journal_path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	close(fd);
	fd = open(counter_path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (write(fd, "0\n", 2) != 2)
		tap_bail("write counter");
	close(fd);

	for (i = 0; i < NPROC; i++) {
		fflush(stdout);
		if ((pids[i] = fork()) < 0)
			tap_bail("fork: %s", strerror(errno));
		if (pids[i] == 0)
			_exit(child());
	}
	for (i = 0; i < NPROC; i++) {
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			all_ok = 0;
			tap_diag("child %d ended with status %d", i, status);
		}
	}
	ok(all_ok, "%d processes each held the lock %d times", NPROC, ROUNDS);

	if ((f = fopen(journal_path, "r")) == NULL)
		tap_bail("journal: %s", strerror(errno));
	while (fscanf(f, " %c %ld %lld", &what, &pid, &fence) == 3) {
		if (what == 'E') {
			if (last != 'L')
				alternation = 0;
			if (fence <= last_fence)
				fences_increase = 0;
			holder = pid;
			holder_fence = fence;
			last_fence = fence;
		} else {
			if (last != 'E' || pid != holder ||
			    fence != holder_fence)
				alternation = 0;
			else
				pairs++;
		}
		last = what;
	}
	fclose(f);
	ok(alternation && last == 'L',
	    "journal: every enter is followed by the same holder's leave "
	    "(no overlap)");
	is_int(pairs, NPROC * ROUNDS, "journal holds every critical section");
	ok(fences_increase, "fencing tokens strictly increase along the "
	    "journal");

	fd = open(counter_path, O_RDONLY);
	i = (int)read(fd, buf, sizeof(buf) - 1);
	buf[i > 0 ? i : 0] = '\0';
	close(fd);
	counter = strtol(buf, NULL, 10);
	is_int(counter, NPROC * ROUNDS,
	    "unlocked read-modify-write counter lost no update");
	return tap_done();
}
