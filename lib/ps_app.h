/*
 * ps_app.h - what every program in cgi-bin/ sets up once per process:
 * configuration, logging, the Redis connection, the queue, identity.
 *
 * A broken configuration does not crash-loop the process under
 * mod_fcgid: the error is logged once and every request is answered
 * 500 "Server misconfigured" (the detail stays in the log).
 */
#ifndef PS_APP_H
#define PS_APP_H

#include "ps_auth.h"
#include "ps_config.h"
#include "ps_fcgi.h"
#include "ps_queue.h"
#include "ps_redis.h"

typedef struct ps_app {
	ps_config *cfg;
	ps_redis *redis;
	ps_queue *queue;
	ps_auth *auth;
	int broken;		/* setup failed: answer 500 */
	ps_fcgi_handler handler;
} ps_app;

/*
 * The whole main() of a program: parse the command line (--help,
 * --version, --listen), set up the app, serve requests with handler
 * (called with the ps_app as its argument), clean up.
 */
int ps_app_main(int argc, char **argv, const char *program,
    const char *summary, ps_fcgi_handler handler);

/* Answer a problem for err and log it when it is the server's fault. */
void ps_app_error(ps_req *req, const ps_err *err);

/* ms since the epoch as "2026-11-30T01:39:24.123Z" (buf >= 32). */
void ps_iso8601(int64_t ms, char *buf, size_t sz);

#endif /* PS_APP_H */
