/*
 * test_redis.c - the Redis connection against a real redis-server:
 * script cache, reconnects, timeouts, AUTH/SELECT, the server check.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_redis.h"
#include "ps_util.h"
#include "tap.h"
#include "testlib.h"

static const char echo_lua[] = "return ARGV[1] .. KEYS[1]";

static void
script_runs_and_survives_script_flush(void)
{
	ps_config *cfg = tst_config(NULL);
	ps_redis *r = tst_redis(cfg);
	ps_redis_script s;
	const char *argv[] = {"k", "v"};
	redisReply *rep;
	ps_err err = {0};

	ps_redis_script_init(&s, "echo", echo_lua);
	is_int(ps_redis_eval(r, &s, 1, 1, argv, NULL, &rep, &err), PS_OK,
	    "a script runs (%s)", err.msg);
	is_str(rep->str, "vk", "and returns its result");
	freeReplyObject(rep);
	if (ps_redis_cmd(r, &rep, &err, "SCRIPT FLUSH") == PS_OK)
		freeReplyObject(rep);
	is_int(ps_redis_eval(r, &s, 1, 1, argv, NULL, &rep, &err), PS_OK,
	    "after SCRIPT FLUSH the script is reloaded on NOSCRIPT");
	is_str(rep->str, "vk", "with the same result");
	freeReplyObject(rep);
	if (ps_redis_cmd(r, &rep, &err, "SCRIPT EXISTS %s", s.sha) ==
	    PS_OK) {
		ok(rep->type == REDIS_REPLY_ARRAY &&
		    rep->element[0]->integer == 1,
		    "EVAL cached it again for the next EVALSHA");
		freeReplyObject(rep);
	}
	ps_redis_free(r);
	ps_config_free(cfg);
}

static void
error_reply_is_an_error_not_a_crash(void)
{
	ps_config *cfg = tst_config(NULL);
	ps_redis *r = tst_redis(cfg);
	redisReply *rep;
	ps_err err = {0};

	if (ps_redis_cmd(r, &rep, &err, "SET str x") == PS_OK)
		freeReplyObject(rep);
	ok(ps_redis_cmd(r, &rep, &err, "LPUSH str y") == PS_E_INTERNAL &&
	    strstr(err.msg, "WRONGTYPE") != NULL,
	    "a Redis error reply comes back as an error with its text");
	is_int(ps_redis_cmd(r, &rep, &err, "PING"), PS_OK,
	    "the connection is still usable after an error reply");
	freeReplyObject(rep);
	ps_redis_free(r);
	ps_config_free(cfg);
}

static void
unreachable_redis_is_reported_quickly(void)
{
	const char *extra[] = {"REDIS_CONNECT_TIMEOUT_MS=300",
		"REDIS_COMMAND_TIMEOUT_MS=300", NULL};
	ps_config *cfg = tst_config(extra);
	ps_redis *r = tst_redis(cfg);
	redisReply *rep;
	int64_t t0, dt;
	ps_err err = {0};
	pid_t pid = tst_redis_pid();

	/* A server that accepts but never answers (stopped process). */
	kill(pid, SIGSTOP);
	t0 = ps_mono_ms();
	ok(ps_redis_cmd(r, &rep, &err, "PING") == PS_E_REDIS &&
	    strstr(err.msg, "Redis not available") != NULL,
	    "a hung server gives 'Redis not available' (%s)", err.msg);
	dt = ps_mono_ms() - t0;
	ok(dt < 2000, "within the command timeout (took %lld ms)",
	    (long long)dt);
	kill(pid, SIGCONT);
	is_int(ps_redis_cmd(r, &rep, &err, "PING"), PS_OK,
	    "the next command after the server resumes succeeds (%s)",
	    err.msg);
	if (rep != NULL)
		freeReplyObject(rep);

	tst_redis_stop();
	t0 = ps_mono_ms();
	ok(ps_redis_cmd(r, &rep, &err, "PING") == PS_E_REDIS &&
	    strstr(err.msg, "Redis not available") != NULL,
	    "a stopped server gives 'Redis not available' (%s)", err.msg);
	dt = ps_mono_ms() - t0;
	ok(dt < 2000, "at once (took %lld ms)", (long long)dt);
	tst_redis_start();
	is_int(ps_redis_cmd(r, &rep, &err, "PING"), PS_OK,
	    "after the server is back the next command succeeds (%s)",
	    err.msg);
	if (rep != NULL)
		freeReplyObject(rep);

	/* Restart while the connection is idle: the first command after
	 * it must not fail (the closed connection is noticed). */
	tst_redis_stop();
	tst_redis_start();
	is_int(ps_redis_cmd(r, &rep, &err, "PING"), PS_OK,
	    "a restart while idle costs the caller nothing (%s)", err.msg);
	if (rep != NULL)
		freeReplyObject(rep);
	ps_redis_free(r);
	ps_config_free(cfg);
}

static void
auth_and_select(void)
{
	ps_config *cfg = tst_config(NULL);
	ps_redis *r = tst_redis(cfg), *r2;
	char url[512];
	const char *good[] = {"REDIS_PASSWORD=test-only-pw-1", url, NULL};
	const char *bad[] = {"REDIS_PASSWORD=wrong-pw-here", NULL};
	ps_config *cfg2;
	redisReply *rep;
	ps_err err = {0};

	snprintf(url, sizeof(url), "REDIS_URL=unix://%s?db=3",
	    getenv("PS_TEST_REDIS_SOCK"));
	if (ps_redis_cmd(r, &rep, &err,
	    "CONFIG SET requirepass test-only-pw-1") != PS_OK)
		tap_bail("CONFIG SET: %s", err.msg);
	freeReplyObject(rep);

	cfg2 = tst_config(good);
	if (ps_redis_new(&r2, cfg2, &err) != PS_OK)
		tap_bail("%s", err.msg);
	is_int(ps_redis_cmd(r2, &rep, &err, "SET where db3"), PS_OK,
	    "AUTH with the password works (%s)", err.msg);
	if (rep != NULL)
		freeReplyObject(rep);
	is_int(ps_redis_cmd(r2, &rep, &err, "CLIENT INFO"), PS_OK,
	    "CLIENT INFO");
	ok(rep != NULL && strstr(rep->str, " db=3 ") != NULL,
	    "SELECT chose database 3");
	if (rep != NULL && strstr(rep->str, " db=3 ") == NULL)
		tap_diag("CLIENT INFO: %s", rep->str);
	ok(rep != NULL && strstr(rep->str, "name=pairstore-") != NULL,
	    "the connection is named for CLIENT LIST");
	if (rep != NULL)
		freeReplyObject(rep);
	ps_redis_free(r2);
	ps_config_free(cfg2);

	cfg2 = tst_config(bad);
	if (ps_redis_new(&r2, cfg2, &err) != PS_OK)
		tap_bail("%s", err.msg);
	ok(ps_redis_cmd(r2, &rep, &err, "PING") == PS_E_REDIS &&
	    strstr(err.msg, "wrong-pw-here") == NULL,
	    "a wrong password is 'Redis not available' without the "
	    "password in the message (%s)", err.msg);
	ps_redis_free(r2);
	/* Undo, authenticated. */
	ps_config_free(cfg2);
	cfg2 = tst_config(good);
	ps_redis_new(&r2, cfg2, &err);
	if (ps_redis_cmd(r2, &rep, &err, "CONFIG SET requirepass %s", "") ==
	    PS_OK)
		freeReplyObject(rep);
	ps_redis_free(r2);
	ps_config_free(cfg2);
	ps_redis_free(r);
	ps_config_free(cfg);
}

struct warnings {
	int n;
	char text[4][256];
};

static void
collect_warning(const char *msg, void *arg)
{
	struct warnings *w = arg;

	if (w->n < 4)
		snprintf(w->text[w->n], sizeof(w->text[0]), "%s", msg);
	w->n++;
}

static void
server_check_warns_about_persistence_and_eviction(void)
{
	ps_config *cfg = tst_config(NULL);
	ps_redis *r = tst_redis(cfg);
	struct warnings w;
	redisReply *rep;
	char version[32];
	ps_err err = {0};

	memset(&w, 0, sizeof(w));
	is_int(ps_redis_check_server(r, collect_warning, &w, version,
	    sizeof(version), &err), PS_OK, "server check runs");
	ok(w.n == 1 && strstr(w.text[0], "no persistence") != NULL,
	    "no AOF and no snapshots: one warning (%s)", w.text[0]);
	ok(version[0] >= '5' && version[0] <= '9', "version read (%s)",
	    version);

	if (ps_redis_cmd(r, &rep, &err, "CONFIG SET appendonly yes") == PS_OK)
		freeReplyObject(rep);
	if (ps_redis_cmd(r, &rep, &err,
	    "CONFIG SET maxmemory-policy allkeys-lru") == PS_OK)
		freeReplyObject(rep);
	memset(&w, 0, sizeof(w));
	ps_redis_check_server(r, collect_warning, &w, NULL, 0, &err);
	ok(w.n == 1 && strstr(w.text[0], "allkeys-lru") != NULL,
	    "AOF on, eviction policy wrong: one warning naming it (%s)",
	    w.text[0]);
	if (ps_redis_cmd(r, &rep, &err,
	    "CONFIG SET maxmemory-policy noeviction") == PS_OK)
		freeReplyObject(rep);
	memset(&w, 0, sizeof(w));
	ps_redis_check_server(r, collect_warning, &w, NULL, 0, &err);
	is_int(w.n, 0, "AOF on and noeviction: no warning");
	if (ps_redis_cmd(r, &rep, &err, "CONFIG SET appendonly no") == PS_OK)
		freeReplyObject(rep);
	ps_redis_free(r);
	ps_config_free(cfg);
}

static void
round_trips_are_counted(void)
{
	ps_config *cfg = tst_config(NULL);
	ps_redis *r = tst_redis(cfg);
	unsigned long long before = ps_redis_round_trips(r);
	redisReply *rep;
	ps_err err = {0};

	ps_redis_cmd(r, &rep, &err, "PING");
	freeReplyObject(rep);
	is_int(ps_redis_round_trips(r) - before, 1,
	    "one command on an open connection is one round trip");
	ps_redis_free(r);
	ps_config_free(cfg);
}

/* A plain command as a pipeline step. */
static void
step_cmd(ps_redis_step *st, int argc, const char **argv)
{
	memset(st, 0, sizeof(*st));
	st->argc = argc;
	st->argv = argv;
}

static void
pipeline_runs_in_order_in_one_round_trip(void)
{
	ps_config *cfg = tst_config(NULL);
	ps_redis *r = tst_redis(cfg);
	const char *set[] = {"SET", "pl", "41"}, *incr[] = {"INCR", "pl"};
	const char *bad[] = {"LPUSH", "pl", "x"}, *get[] = {"GET", "pl"};
	const char *blpop[] = {"BLPOP", "pl-empty", "1"};
	const char *argv[] = {"k", "v"};
	ps_redis_script s;
	ps_redis_step st[4];
	unsigned long long rt;
	redisReply *rep;
	ps_err err = {0};
	int64_t t0;
	int i;

	tst_redis_flushall(r);
	step_cmd(&st[0], 3, set);
	step_cmd(&st[1], 2, incr);
	step_cmd(&st[2], 3, bad);
	step_cmd(&st[3], 2, get);
	rt = ps_redis_round_trips(r);
	is_int(ps_redis_pipeline(r, 2000, st, 4, &err), PS_OK,
	    "a pipeline of four commands (%s)", err.msg);
	is_int(ps_redis_round_trips(r) - rt, 1, "is one round trip");
	ok(st[0].rc == PS_OK && st[1].rc == PS_OK &&
	    st[1].reply->integer == 42, "run in order (INCR saw the SET)");
	ok(st[2].rc == PS_E_INTERNAL && st[2].reply == NULL &&
	    strstr(st[2].err.msg, "WRONGTYPE") != NULL,
	    "an error reply is that step's error");
	ok(st[3].rc == PS_OK && strcmp(st[3].reply->str, "42") == 0,
	    "and the steps after it still ran");
	for (i = 0; i < 4; i++)
		if (st[i].reply != NULL)
			freeReplyObject(st[i].reply);

	/* Read in two halves: the first answer before a blocking one. */
	ps_redis_script_init(&s, "echo", echo_lua);
	memset(&st[0], 0, sizeof(st[0]));
	st[0].script = &s;
	st[0].nkeys = 1;
	st[0].argc = 2;
	st[0].argv = argv;
	step_cmd(&st[1], 3, blpop);
	if (ps_redis_cmd(r, &rep, &err, "SCRIPT FLUSH") == PS_OK)
		freeReplyObject(rep);
	t0 = ps_mono_ms();
	is_int(ps_redis_pipeline_begin(r, 3000, st, 2, 1, &err), PS_OK,
	    "begin: script + BLPOP, the first answer read");
	ok(st[0].rc == PS_OK && strcmp(st[0].reply->str, "vk") == 0,
	    "a script the server had lost ran from its text");
	freeReplyObject(st[0].reply);
	is_int(ps_redis_pipeline_finish(r, st, 2, 1, &err), PS_OK,
	    "finish: the rest");
	ok(st[1].rc == PS_OK && st[1].reply->type == REDIS_REPLY_NIL &&
	    ps_mono_ms() - t0 >= 900, "the BLPOP ran to its limit");
	freeReplyObject(st[1].reply);

	/* Replies still owed when another command comes are read first. */
	step_cmd(&st[0], 2, get);
	step_cmd(&st[1], 2, incr);
	ps_redis_pipeline_begin(r, 2000, st, 2, 1, &err);
	freeReplyObject(st[0].reply);
	is_int(ps_redis_cmd(r, &rep, &err, "GET pl"), PS_OK,
	    "a command while a reply is owed");
	ok(rep->type == REDIS_REPLY_STRING && strcmp(rep->str, "43") == 0,
	    "gets its own answer, not the owed one");
	freeReplyObject(rep);
	ps_redis_free(r);
	ps_config_free(cfg);
}

int
main(void)
{
	script_runs_and_survives_script_flush();
	error_reply_is_an_error_not_a_crash();
	auth_and_select();
	server_check_warns_about_persistence_and_eviction();
	round_trips_are_counted();
	pipeline_runs_in_order_in_one_round_trip();
	unreachable_redis_is_reported_quickly();
	return tap_done();
}
