/* ps_breaker.c - see ps_breaker.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_breaker.h"

/*
 * KEYS fails, open, probe; ARGV failures_to_trip, probe_ms.
 * {verdict, fails, wait}: 0 skip, 1 pass, 2 probe.
 */
static const char allow_lua[] =
    "local left = redis.call('PTTL', KEYS[2])\n"
    "local f = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "if left > 0 then return {0, f, left} end\n"
    "if f < tonumber(ARGV[1]) then return {1, f, 0} end\n"
    "if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then\n"
    "  return {2, f, 0}\n"
    "end\n"
    "return {0, f, redis.call('PTTL', KEYS[3])}\n";

/*
 * KEYS fails, open, probe; ARGV failures_to_trip, cooldown_ms, window_ms.
 * The count outlives several cool-downs, so an open breaker still needs
 * its probe; a failure while already open (a request that started before
 * it opened) does not stretch the cool-down.  {tripped, fails}.
 */
static const char failure_lua[] =
    "local f = redis.call('INCR', KEYS[1])\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
    "local probing = redis.call('DEL', KEYS[3])\n"
    "if f >= tonumber(ARGV[1]) and (probing == 1 or\n"
    "    redis.call('EXISTS', KEYS[2]) == 0) then\n"
    "  redis.call('SET', KEYS[2], f, 'PX', ARGV[2])\n"
    "  return {1, f}\n"
    "end\n"
    "return {0, f}\n";

static const char success_lua[] =
    "return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])\n";

/* {fails, open ms left, probe ms left} */
static const char inspect_lua[] =
    "return {tonumber(redis.call('GET', KEYS[1]) or '0'),\n"
    "  redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[3])}\n";

static ps_redis_script allow_script, failure_script, success_script,
    inspect_script;
static int scripts_ready;

static void
scripts_init(void)
{
	if (scripts_ready)
		return;
	ps_redis_script_init(&allow_script, "breaker-allow", allow_lua);
	ps_redis_script_init(&failure_script, "breaker-failure", failure_lua);
	ps_redis_script_init(&success_script, "breaker-success", success_lua);
	ps_redis_script_init(&inspect_script, "breaker-inspect", inspect_lua);
	scripts_ready = 1;
}

static int
name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (i == PS_BREAKER_NAME_MAX ||
		    strchr("abcdefghijklmnopqrstuvwxyz0123456789_-",
		    name[i]) == NULL)
			return 0;
	return i > 0;
}

struct keys {
	char fails[160], open[160], probe[160];
};

static ps_code
make_keys(ps_redis *r, const char *name, struct keys *k, ps_err *err)
{
	char suffix[64];

	scripts_init();
	if (name == NULL || !name_ok(name))
		return ps_err_set(err, PS_E_INVALID, "bad breaker name");
	snprintf(suffix, sizeof(suffix), "breaker:%s:fails", name);
	ps_redis_key(r, k->fails, sizeof(k->fails), suffix);
	snprintf(suffix, sizeof(suffix), "breaker:%s:open", name);
	ps_redis_key(r, k->open, sizeof(k->open), suffix);
	snprintf(suffix, sizeof(suffix), "breaker:%s:probe", name);
	ps_redis_key(r, k->probe, sizeof(k->probe), suffix);
	return PS_OK;
}

/* 1 when rep is an array of n integers. */
static int
int_array(redisReply *rep, size_t n)
{
	size_t i;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n)
		return 0;
	for (i = 0; i < n; i++)
		if (rep->element[i]->type != REDIS_REPLY_INTEGER)
			return 0;
	return 1;
}

static ps_code
bad_reply(redisReply *rep, const char *what, ps_err *err)
{
	freeReplyObject(rep);
	return ps_err_set(err, PS_E_INTERNAL, "unexpected Redis reply to %s",
	    what);
}

ps_code
ps_breaker_allow(ps_redis *r, const char *name, const ps_breaker_conf *c,
    ps_breaker_verdict *v, int64_t *fails, int64_t *wait_ms, ps_err *err)
{
	struct keys k;
	char trip[24], probe[24];
	const char *argv[5];
	redisReply *rep;
	ps_code rc;

	*v = PS_BREAKER_PASS;
	*fails = 0;
	*wait_ms = 0;
	if ((rc = make_keys(r, name, &k, err)) != PS_OK)
		return rc;
	snprintf(trip, sizeof(trip), "%lld", (long long)c->failures_to_trip);
	snprintf(probe, sizeof(probe), "%lld", (long long)c->probe_ms);
	argv[0] = k.fails;
	argv[1] = k.open;
	argv[2] = k.probe;
	argv[3] = trip;
	argv[4] = probe;
	rc = ps_redis_eval(r, &allow_script, 3, 2, argv, NULL, &rep, err);
	if (rc != PS_OK)
		return rc;
	if (!int_array(rep, 3))
		return bad_reply(rep, "breaker allow", err);
	switch (rep->element[0]->integer) {
	case 0:
		*v = PS_BREAKER_SKIP;
		break;
	case 2:
		*v = PS_BREAKER_PROBE;
		break;
	default:
		*v = PS_BREAKER_PASS;
	}
	*fails = rep->element[1]->integer;
	*wait_ms = rep->element[2]->integer > 0 ? rep->element[2]->integer : 0;
	freeReplyObject(rep);
	return PS_OK;
}

ps_code
ps_breaker_success(ps_redis *r, const char *name, ps_err *err)
{
	struct keys k;
	const char *argv[3];
	redisReply *rep;
	ps_code rc;

	if ((rc = make_keys(r, name, &k, err)) != PS_OK)
		return rc;
	argv[0] = k.fails;
	argv[1] = k.open;
	argv[2] = k.probe;
	rc = ps_redis_eval(r, &success_script, 3, 0, argv, NULL, &rep, err);
	if (rc != PS_OK)
		return rc;
	freeReplyObject(rep);
	return PS_OK;
}

ps_code
ps_breaker_failure(ps_redis *r, const char *name, const ps_breaker_conf *c,
    int *tripped, int64_t *fails, ps_err *err)
{
	struct keys k;
	char trip[24], cool[24], window[24];
	const char *argv[6];
	redisReply *rep;
	ps_code rc;
	int64_t w;

	*tripped = 0;
	*fails = 0;
	if ((rc = make_keys(r, name, &k, err)) != PS_OK)
		return rc;
	/* Failures further apart than this are not "in a row". */
	w = c->cooldown_ms * 4;
	if (w < 600000)
		w = 600000;
	snprintf(trip, sizeof(trip), "%lld", (long long)c->failures_to_trip);
	snprintf(cool, sizeof(cool), "%lld", (long long)c->cooldown_ms);
	snprintf(window, sizeof(window), "%lld", (long long)w);
	argv[0] = k.fails;
	argv[1] = k.open;
	argv[2] = k.probe;
	argv[3] = trip;
	argv[4] = cool;
	argv[5] = window;
	rc = ps_redis_eval(r, &failure_script, 3, 3, argv, NULL, &rep, err);
	if (rc != PS_OK)
		return rc;
	if (!int_array(rep, 2))
		return bad_reply(rep, "breaker failure", err);
	*tripped = rep->element[0]->integer == 1;
	*fails = rep->element[1]->integer;
	freeReplyObject(rep);
	return PS_OK;
}

ps_code
ps_breaker_inspect(ps_redis *r, const char *name, const ps_breaker_conf *c,
    ps_breaker_info *info, ps_err *err)
{
	struct keys k;
	const char *argv[3];
	redisReply *rep;
	ps_code rc;
	long long open_ms, probe_ms;

	info->state = "closed";
	info->fails = 0;
	info->open_ms = 0;
	if ((rc = make_keys(r, name, &k, err)) != PS_OK)
		return rc;
	argv[0] = k.fails;
	argv[1] = k.open;
	argv[2] = k.probe;
	rc = ps_redis_eval(r, &inspect_script, 3, 0, argv, NULL, &rep, err);
	if (rc != PS_OK)
		return rc;
	if (!int_array(rep, 3))
		return bad_reply(rep, "breaker inspect", err);
	info->fails = rep->element[0]->integer;
	open_ms = rep->element[1]->integer;
	probe_ms = rep->element[2]->integer;
	freeReplyObject(rep);
	if (open_ms > 0) {
		info->state = "open";
		info->open_ms = open_ms;
	} else if (probe_ms > 0)
		info->state = "probing";
	else if (info->fails >= c->failures_to_trip)
		info->state = "half-open";	/* next upload probes */
	return PS_OK;
}
