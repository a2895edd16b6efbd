/*
 * test_lock.c - session locks against a real redis-server: ownership,
 * expiry, fencing, inspection, and behaviour while Redis is down.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_lock.h"
#include "ps_util.h"
#include "tap.h"
#include "testlib.h"

static ps_config *cfg;
static ps_redis *r;

static void
lock_acquire_then_refuse_second(void)
{
	ps_lock_grant a, b;
	int64_t retry = -1;
	ps_err err = {0};

	is_int(ps_lock_acquire(r, "alice", 5000, "test", &a, NULL, &err),
	    PS_OK, "first acquire succeeds");
	is_int(strlen(a.token), PS_LOCK_TOKEN_LEN, "token is 32 hex chars");
	ok(a.fence > 0, "a fencing token is returned");
	ok(ps_lock_acquire(r, "alice", 5000, "test", &b, &retry, &err) ==
	    PS_E_CONFLICT && strcmp(err.msg, "Lock already exists") == 0,
	    "second acquire is refused with 'Lock already exists'");
	ok(retry > 4000 && retry <= 5000,
	    "the refusal carries the holder's time left (%lld ms)",
	    (long long)retry);
	is_int(ps_lock_acquire(r, "bob", 5000, "test", &b, NULL, &err),
	    PS_OK, "another user's lock is independent");
	ps_lock_release(r, "alice", a.token, &err);
	ps_lock_release(r, "bob", b.token, &err);
}

static void
lock_owner_only_release(void)
{
	ps_lock_grant a, b;
	ps_lock_info info;
	char forged[PS_LOCK_TOKEN_LEN + 1];
	ps_err err = {0};

	ps_lock_acquire(r, "carol", 5000, "owner-a", &a, NULL, &err);
	memcpy(forged, a.token, sizeof(forged));
	forged[0] = forged[0] == 'a' ? 'b' : 'a';
	is_int(ps_lock_release(r, "carol", forged, &err), PS_E_NOT_FOUND,
	    "release with another token is refused");
	ps_lock_inspect(r, "carol", &info, &err);
	ok(info.held && strcmp(info.token, a.token) == 0,
	    "and the holder's lock is untouched");
	is_int(ps_lock_release(r, "carol", a.token, &err), PS_OK,
	    "the owner releases");
	is_int(ps_lock_release(r, "carol", a.token, &err), PS_E_NOT_FOUND,
	    "a second release by the old owner is refused");

	/* The old owner must not release the next holder's lock. */
	ps_lock_acquire(r, "carol", 5000, "owner-b", &b, NULL, &err);
	is_int(ps_lock_release(r, "carol", a.token, &err), PS_E_NOT_FOUND,
	    "an old token cannot release the next holder's lock");
	ps_lock_inspect(r, "carol", &info, &err);
	ok(info.held && strcmp(info.owner, "owner-b") == 0,
	    "the next holder still holds it");
	ps_lock_release(r, "carol", b.token, &err);
}

static void
lock_owner_only_extend(void)
{
	ps_lock_grant a;
	ps_lock_info info;
	char forged[PS_LOCK_TOKEN_LEN + 1];
	ps_err err = {0};

	ps_lock_acquire(r, "dave", 1000, "x", &a, NULL, &err);
	memcpy(forged, a.token, sizeof(forged));
	forged[5] = forged[5] == '0' ? '1' : '0';
	is_int(ps_lock_extend(r, "dave", forged, 60000, &err),
	    PS_E_NOT_FOUND, "extend with another token is refused");
	ps_lock_inspect(r, "dave", &info, &err);
	ok(info.ttl_ms <= 1000, "and the TTL is unchanged (%lld)",
	    (long long)info.ttl_ms);
	is_int(ps_lock_extend(r, "dave", a.token, 60000, &err), PS_OK,
	    "the owner extends");
	ps_lock_inspect(r, "dave", &info, &err);
	ok(info.ttl_ms > 59000, "the TTL is the new one (%lld)",
	    (long long)info.ttl_ms);
	ps_lock_release(r, "dave", a.token, &err);
	is_int(ps_lock_extend(r, "dave", a.token, 60000, &err),
	    PS_E_NOT_FOUND, "extending a released lock is refused");
}

static void
lock_expires_at_ttl(void)
{
	ps_lock_grant a, b;
	ps_lock_info info;
	ps_err err = {0};

	is_int(ps_lock_acquire(r, "erin", 200, "x", &a, NULL, &err), PS_OK,
	    "acquire with a 200 ms TTL");
	tst_sleep_ms(350);
	ps_lock_inspect(r, "erin", &info, &err);
	ok(!info.held, "after the TTL the lock is free");
	is_int(ps_lock_acquire(r, "erin", 5000, "x", &b, NULL, &err), PS_OK,
	    "and can be taken again");
	is_int(ps_lock_release(r, "erin", a.token, &err), PS_E_NOT_FOUND,
	    "the expired holder cannot release the new one");
	ps_lock_release(r, "erin", b.token, &err);
}

static void
lock_fencing_tokens_strictly_increase(void)
{
	ps_lock_grant g;
	int64_t last = 0;
	int i, increasing = 1;
	ps_err err = {0};

	for (i = 0; i < 50; i++) {
		const char *user = i % 2 ? "fence-a" : "fence-b";
		if (ps_lock_acquire(r, user, 5000, "x", &g, NULL, &err) !=
		    PS_OK) {
			increasing = 0;
			break;
		}
		if (g.fence <= last)
			increasing = 0;
		last = g.fence;
		ps_lock_release(r, user, g.token, &err);
	}
	ok(increasing, "50 acquisitions over two keys: fences strictly "
	    "increase (last %lld)", (long long)last);
}

static void
lock_inspect_reports_holder(void)
{
	ps_lock_grant a;
	ps_lock_info info;
	ps_err err = {0};

	is_int(ps_lock_inspect(r, "frank", &info, &err), PS_OK,
	    "inspect a free lock");
	ok(!info.held, "not held");
	ps_lock_acquire(r, "frank", 30000, "cli:host:42", &a, NULL, &err);
	ps_lock_inspect(r, "frank", &info, &err);
	ok(info.held && strcmp(info.owner, "cli:host:42") == 0 &&
	    info.fence == a.fence && info.ttl_ms > 29000,
	    "held, by whom, fence and ms left");
	ps_lock_release(r, "frank", a.token, &err);
}

static void
lock_refuses_bad_input_and_changes_nothing(void)
{
	ps_lock_grant g;
	redisReply *rep;
	ps_err err = {0};
	long long keys_before, keys_after;

	ps_redis_cmd(r, &rep, &err, "DBSIZE");
	keys_before = rep->integer;
	freeReplyObject(rep);
	is_int(ps_lock_acquire(r, "../etc", 1000, "x", &g, NULL, &err),
	    PS_E_INVALID, "a user id with / is refused");
	is_int(ps_lock_acquire(r, "", 1000, "x", &g, NULL, &err),
	    PS_E_INVALID, "an empty user id is refused");
	is_int(ps_lock_acquire(r, "a*b", 1000, "x", &g, NULL, &err),
	    PS_E_INVALID, "a user id with * is refused");
	is_int(ps_lock_acquire(r,
	    "a123456789b123456789c123456789d123456789e123456789f123456789g1234",
	    1000, "x", &g, NULL, &err), PS_E_INVALID,
	    "a 65-character user id is refused");
	is_int(ps_lock_acquire(r, "ok", 0, "x", &g, NULL, &err),
	    PS_E_INVALID, "a zero TTL is refused");
	is_int(ps_lock_acquire(r, "ok", 1000, "has space", &g, NULL, &err),
	    PS_E_INVALID, "an owner label with a space is refused");
	is_int(ps_lock_release(r, "ok", "not-hex", &err), PS_E_INVALID,
	    "a malformed token is refused");
	ps_redis_cmd(r, &rep, &err, "DBSIZE");
	keys_after = rep->integer;
	freeReplyObject(rep);
	is_int(keys_after, keys_before, "nothing was written to Redis");
}

static void
lock_with_redis_down_then_back(void)
{
	const char *extra[] = {"REDIS_CONNECT_TIMEOUT_MS=300",
		"REDIS_COMMAND_TIMEOUT_MS=300", NULL};
	ps_config *c2 = tst_config(extra);
	ps_redis *r2 = tst_redis(c2);
	ps_lock_grant g;
	int64_t t0, dt;
	ps_err err = {0};

	tst_redis_stop();
	t0 = ps_mono_ms();
	ok(ps_lock_acquire(r2, "gina", 5000, "x", &g, NULL, &err) ==
	    PS_E_REDIS && strstr(err.msg, "Redis not available") != NULL,
	    "with Redis stopped, acquire fails with 'Redis not available'");
	dt = ps_mono_ms() - t0;
	ok(dt < 1500, "quickly (%lld ms)", (long long)dt);
	tst_redis_start();
	is_int(ps_lock_acquire(r2, "gina", 5000, "x", &g, NULL, &err), PS_OK,
	    "after Redis is back the next acquire succeeds (%s)", err.msg);
	ps_lock_release(r2, "gina", g.token, &err);
	ps_redis_free(r2);
	ps_config_free(c2);
}

int
main(void)
{
	cfg = tst_config(NULL);
	r = tst_redis(cfg);
	lock_acquire_then_refuse_second();
	lock_owner_only_release();
	lock_owner_only_extend();
	lock_expires_at_ttl();
	lock_fencing_tokens_strictly_increase();
	lock_inspect_reports_holder();
	lock_refuses_bad_input_and_changes_nothing();
	ps_redis_free(r);
	lock_with_redis_down_then_back();
	ps_config_free(cfg);
	return tap_done();
}
