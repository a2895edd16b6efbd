/*
 * testlib.h - helpers for tests that talk to the private redis-server
 * started by tests/with-redis.sh.
 */
#ifndef PS_TESTLIB_H
#define PS_TESTLIB_H

#include <sys/types.h>

#include "ps_config.h"
#include "ps_redis.h"

/* Build a configuration: REDIS_URL of the private server plus extra
 * "KEY=VALUE" strings (NULL-terminated list).  Bails out on error. */
ps_config *tst_config(const char *const *extra);
/* A connected ps_redis on that configuration; bails out on error. */
ps_redis *tst_redis(const ps_config *cfg);
/* FLUSHALL on the private server. */
void tst_redis_flushall(ps_redis *r);

/* PID of the private server (from its pidfile), -1 if not running. */
pid_t tst_redis_pid(void);
/* Stop the server (SIGTERM, then wait until gone). */
void tst_redis_stop(void);
/* Start it again with the same configuration and wait until it serves. */
void tst_redis_start(void);
/* A private temp directory that the wrapper removes afterwards. */
const char *tst_tmpdir(void);
/* The directory with test data files ($srcdir/tests/data). */
const char *tst_datadir(void);

/* Sleep for ms milliseconds. */
void tst_sleep_ms(long ms);

/* Entries of dir other than . and .. ; -1 when it cannot be read. */
int tst_count_entries(const char *dir);

#endif
