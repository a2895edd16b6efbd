/*
 * ps_redis.h - the process's one Redis connection.
 *
 * The connection is opened lazily, kept for the life of the process, and
 * re-opened after a failure.  Every failure to reach Redis in time comes
 * back as PS_E_REDIS, whose title is "Redis not available"; no call waits
 * longer than REDIS_CONNECT_TIMEOUT_MS + REDIS_COMMAND_TIMEOUT_MS (twice,
 * when a connection found closed is re-opened once).
 *
 * Lua scripts are run with EVALSHA; when Redis answers NOSCRIPT (a
 * restart, SCRIPT FLUSH) the script is sent again with EVAL, which also
 * caches it, in the same call.
 */
#ifndef PS_REDIS_H
#define PS_REDIS_H

#include <stddef.h>

#include <hiredis.h>

#include "ps_config.h"
#include "ps_error.h"

typedef struct ps_redis_target {
	int is_unix;		/* 1: path is a unix socket */
	char host[256];
	int port;
	char path[108];		/* sizeof(sun_path) */
	char username[128];
	char password[512];
	int db;
} ps_redis_target;

/* Parse redis://[user[:password]@]host[:port][/db] (IPv6 as [::1]),
 * unix:///path/to.sock[?db=N&password=P].  rediss:// is refused: Debian
 * 12's hiredis has no TLS.  Percent-escapes in user/password decoded. */
ps_code ps_redis_parse_url(const char *url, ps_redis_target *t,
    ps_err *err);
/* REDIS_URL when set, else REDIS_HOST/PORT/USERNAME/PASSWORD/DB. */
ps_code ps_redis_target_from_config(const ps_config *cfg,
    ps_redis_target *t, ps_err *err);
/* "127.0.0.1:6379/0" or "unix:/path.sock/0", no credentials. */
void ps_redis_target_describe(const ps_redis_target *t, char *buf,
    size_t sz);

typedef struct ps_redis ps_redis;

ps_code ps_redis_new(ps_redis **r, const ps_config *cfg, ps_err *err);
void ps_redis_free(ps_redis *r);
/* Connect now (or check the open connection still works). */
ps_code ps_redis_connect(ps_redis *r, ps_err *err);
/* Drop the connection (after fork(): each process needs its own). */
void ps_redis_disconnect(ps_redis *r);

/* "{prefix}" as configured, e.g. "{pairstore}". */
const char *ps_redis_tag(const ps_redis *r);
/* Build "{prefix}:<suffix>" into buf; returns buf, or NULL if it does
 * not fit. */
char *ps_redis_key(const ps_redis *r, char *buf, size_t sz,
    const char *suffix);

/*
 * Send one command and wait for its reply.  A Redis error reply is
 * returned as PS_E_INTERNAL with Redis's message (except the errors that
 * mean the server cannot serve now - LOADING, BUSY, OOM, READONLY,
 * MASTERDOWN - which are PS_E_REDIS).  *reply is set only on PS_OK and
 * must be released with freeReplyObject().
 */
ps_code ps_redis_argv(ps_redis *r, redisReply **reply, int argc,
    const char **argv, const size_t *argvlen, ps_err *err);
ps_code ps_redis_cmd(ps_redis *r, redisReply **reply, ps_err *err,
    const char *fmt, ...);
/* The same with a different read time limit, for blocking commands. */
ps_code ps_redis_argv_timeout(ps_redis *r, long timeout_ms,
    redisReply **reply, int argc, const char **argv, const size_t *argvlen,
    ps_err *err);

typedef struct ps_redis_script {
	const char *name;	/* for messages */
	const char *body;
	char sha[41];
} ps_redis_script;

/* Compute the SHA-1 once; body must outlive the struct. */
void ps_redis_script_init(ps_redis_script *s, const char *name,
    const char *body);
/* EVALSHA sha nkeys keys... args...; on NOSCRIPT, EVAL body ... */
ps_code ps_redis_eval(ps_redis *r, const ps_redis_script *s, int nkeys,
    int nargs, const char **argv, const size_t *argvlen, redisReply **reply,
    ps_err *err);

/*
 * Several commands in one round trip: all written at once, then every
 * reply read (Redis runs them in order; other clients' commands may run
 * between them - put what must be atomic in one script).  A step is a
 * script (EVALSHA; argv holds its nkeys keys, then its arguments) or,
 * with script NULL, a plain command.  Returns PS_OK when the exchange
 * took place.  Each step has its own rc in every case (the exchange's
 * error when it failed), and reply when rc is PS_OK (release it with
 * freeReplyObject()).  A script the server had lost
 * (NOSCRIPT) is sent again with EVAL on its own, after the exchange.
 * timeout_ms bounds the exchange (a blocking command in it included).
 */
#define PS_REDIS_PIPELINE_MAX 4
typedef struct ps_redis_step {
	const ps_redis_script *script;
	int nkeys;
	int argc;
	const char **argv;
	const size_t *argvlen;
	redisReply *reply;	/* out */
	ps_code rc;		/* out */
	ps_err err;		/* out, when rc is not PS_OK */
} ps_redis_step;
ps_code ps_redis_pipeline(ps_redis *r, long timeout_ms, ps_redis_step *steps,
    int n, ps_err *err);
/*
 * The same in two halves: write all n steps and read the replies of the
 * first nread; ps_redis_pipeline_finish() reads the others (the caller
 * can act on the first ones meanwhile - log, answer - without waiting
 * for a blocking command after them).  Nothing else may be sent on the
 * connection in between; a command that is sends after reading and
 * dropping what is owed.  finish returns PS_OK at once when nothing is
 * owed (begin failed, or read everything: then every step is settled).
 */
ps_code ps_redis_pipeline_begin(ps_redis *r, long timeout_ms,
    ps_redis_step *steps, int n, int nread, ps_err *err);
ps_code ps_redis_pipeline_finish(ps_redis *r, ps_redis_step *steps, int n,
    int nread, ps_err *err);

/* Round trips so far (a pipelined exchange counts once): benchmarks and
 * tests use it to prove round-trip counts. */
unsigned long long ps_redis_round_trips(const ps_redis *r);
long ps_redis_command_timeout_ms(const ps_redis *r);

/*
 * Look at how the server is set up for queue data and call warn() once
 * per problem: no persistence (AOF off and no RDB snapshots), appendfsync
 * other than everysec/always, maxmemory-policy other than noeviction.
 * Works when CONFIG is disabled (managed Redis) by reading INFO.
 */
typedef void (*ps_redis_warn_fn)(const char *msg, void *arg);
ps_code ps_redis_check_server(ps_redis *r, ps_redis_warn_fn warn, void *arg,
    char *version, size_t versionsz, ps_err *err);

#endif /* PS_REDIS_H */
