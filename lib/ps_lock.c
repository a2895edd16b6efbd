/* ps_lock.c - see ps_lock.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_lock.h"
#include "ps_log.h"
#include "ps_util.h"

/* KEYS[1] lock, KEYS[2] fence counter; ARGV token, ttl ms, owner.
 * Refusal returns the holder's time left so callers can answer
 * Retry-After without a second round trip. */
static const char acquire_lua[] =
    "local left = redis.call('PTTL', KEYS[1])\n"
    "if left ~= -2 then return {0, left} end\n"
    "local fence = redis.call('INCR', KEYS[2])\n"
    "redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence .. ':' .. ARGV[3],"
    " 'PX', ARGV[2])\n"
    "return {1, fence}\n";

/* Compare-and-delete: only the token's owner releases. */
static const char release_lua[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. ':' then\n"
    "  return redis.call('DEL', KEYS[1])\n"
    "end\n"
    "return 0\n";

/* Compare-and-pexpire. */
static const char extend_lua[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. ':' then\n"
    "  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "end\n"
    "return 0\n";

static const char inspect_lua[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then return {false, -2} end\n"
    "return {v, redis.call('PTTL', KEYS[1])}\n";

static ps_redis_script acquire_script, release_script, extend_script,
    inspect_script;
static int scripts_ready;

static void
scripts_init(void)
{
	if (scripts_ready)
		return;
	ps_redis_script_init(&acquire_script, "lock-acquire", acquire_lua);
	ps_redis_script_init(&release_script, "lock-release", release_lua);
	ps_redis_script_init(&extend_script, "lock-extend", extend_lua);
	ps_redis_script_init(&inspect_script, "lock-inspect", inspect_lua);
	scripts_ready = 1;
}

char *
ps_lock_key(const ps_redis *r, const char *user, char *buf, size_t sz)
{
	char suffix[16 + PS_USER_ID_MAX];

	if (!ps_user_id_valid(user))
		return NULL;
	snprintf(suffix, sizeof(suffix), "lock:%s", user);
	return ps_redis_key(r, buf, sz, suffix);
}

char *
ps_lock_fence_key(const ps_redis *r, char *buf, size_t sz)
{
	return ps_redis_key(r, buf, sz, "lock-fence");
}

static ps_code
bad_user(ps_err *err)
{
	return ps_err_set(err, PS_E_INVALID,
	    "invalid user id (1 to 64 of A-Z a-z 0-9 _ . -)");
}

static ps_code
bad_reply(ps_err *err, const char *what)
{
	return ps_err_set(err, PS_E_INTERNAL,
	    "unexpected Redis reply to %s", what);
}

static int
owner_ok(const char *owner)
{
	/* A plain charset: labels end up in JSON and log lines. */
	return ps_charset_ok(owner, PS_LOCK_OWNER_MAX, PS_CS_ALNUM "_.:@/-");
}

ps_code
ps_lock_acquire(ps_redis *r, const char *user, int64_t ttl_ms,
    const char *owner, ps_lock_grant *grant, int64_t *retry_ms, ps_err *err)
{
	char key[256], fkey[256], ttl[24];
	const char *argv[5];
	redisReply *rep;
	ps_code rc;

	scripts_init();
	memset(grant, 0, sizeof(*grant));
	if (ps_lock_key(r, user, key, sizeof(key)) == NULL)
		return bad_user(err);
	if (owner == NULL || *owner == '\0' || !owner_ok(owner))
		return ps_err_set(err, PS_E_INVALID,
		    "lock owner label must be 1 to %d of A-Z a-z 0-9 "
		    "_ . : @ / -", PS_LOCK_OWNER_MAX);
	if (ttl_ms < 1 || ttl_ms > 86400000LL * 30)
		return ps_err_set(err, PS_E_INVALID,
		    "lock TTL must be 1 ms to 30 days");
	if ((rc = ps_random_hex(grant->token, PS_LOCK_TOKEN_LEN / 2, err)) !=
	    PS_OK)
		return rc;
	ps_lock_fence_key(r, fkey, sizeof(fkey));
	snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
	argv[0] = key;
	argv[1] = fkey;
	argv[2] = grant->token;
	argv[3] = ttl;
	argv[4] = owner;
	rc = ps_redis_eval(r, &acquire_script, 2, 3, argv, NULL, &rep, err);
	if (rc != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_INTEGER ||
	    rep->element[1]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return bad_reply(err, "lock acquire");
	}
	if (rep->element[0]->integer == 0) {
		if (retry_ms != NULL)
			*retry_ms = rep->element[1]->integer;
		freeReplyObject(rep);
		memset(grant, 0, sizeof(*grant));
		return ps_err_set(err, PS_E_CONFLICT, "Lock already exists");
	}
	grant->fence = rep->element[1]->integer;
	grant->ttl_ms = ttl_ms;
	freeReplyObject(rep);
	ps_info("SessionLock", "Lock acquired for user %s", user);
	return PS_OK;
}

static int
token_ok(const char *token)
{
	size_t i;

	for (i = 0; token[i] != '\0'; i++)
		if (!((token[i] >= '0' && token[i] <= '9') ||
		    (token[i] >= 'a' && token[i] <= 'f')))
			return 0;
	return i == PS_LOCK_TOKEN_LEN;
}

/* Run a compare-and-X script; 1 when the token owned the lock. */
static ps_code
owner_op(ps_redis *r, const ps_redis_script *s, const char *user,
    const char *token, const char *arg, int *done, ps_err *err)
{
	char key[256];
	const char *argv[3];
	redisReply *rep;
	ps_code rc;

	scripts_init();
	*done = 0;
	if (ps_lock_key(r, user, key, sizeof(key)) == NULL)
		return bad_user(err);
	if (token == NULL || !token_ok(token))
		return ps_err_set(err, PS_E_INVALID,
		    "lock token must be %d lowercase hex characters",
		    PS_LOCK_TOKEN_LEN);
	argv[0] = key;
	argv[1] = token;
	argv[2] = arg;
	rc = ps_redis_eval(r, s, 1, arg != NULL ? 2 : 1, argv, NULL, &rep,
	    err);
	if (rc != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return bad_reply(err, s->name);
	}
	*done = rep->integer == 1;
	freeReplyObject(rep);
	return PS_OK;
}

ps_code
ps_lock_release(ps_redis *r, const char *user, const char *token,
    ps_err *err)
{
	ps_code rc;
	int done;

	rc = owner_op(r, &release_script, user, token, NULL, &done, err);
	if (rc != PS_OK)
		return rc;
	if (!done)
		return ps_err_set(err, PS_E_NOT_FOUND,
		    "lock of user %s is not held with this token (expired or "
		    "taken by another holder)", user);
	ps_info("SessionLock", "Lock released for user %s", user);
	return PS_OK;
}

ps_code
ps_lock_extend(ps_redis *r, const char *user, const char *token,
    int64_t ttl_ms, ps_err *err)
{
	char ttl[24];
	ps_code rc;
	int done;

	scripts_init();
	if (ttl_ms < 1 || ttl_ms > 86400000LL * 30)
		return ps_err_set(err, PS_E_INVALID,
		    "lock TTL must be 1 ms to 30 days");
	snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
	rc = owner_op(r, &extend_script, user, token, ttl, &done, err);
	if (rc != PS_OK)
		return rc;
	if (!done)
		return ps_err_set(err, PS_E_NOT_FOUND,
		    "lock of user %s is not held with this token (expired or "
		    "taken by another holder)", user);
	return PS_OK;
}

int
ps_lock_parse_value(const char *v, size_t len, ps_lock_info *info)
{
	const char *c1, *c2;
	int64_t fence;
	size_t olen;

	if (len < PS_LOCK_TOKEN_LEN + 4 || v[PS_LOCK_TOKEN_LEN] != ':')
		return -1;
	c1 = v + PS_LOCK_TOKEN_LEN;
	c2 = memchr(c1 + 1, ':', len - PS_LOCK_TOKEN_LEN - 1);
	if (c2 == NULL || ps_parse_i64(c1 + 1, (size_t)(c2 - c1 - 1),
	    &fence) < 0)
		return -1;
	olen = len - (size_t)(c2 + 1 - v);
	if (olen > PS_LOCK_OWNER_MAX)
		olen = PS_LOCK_OWNER_MAX;
	memcpy(info->token, v, PS_LOCK_TOKEN_LEN);
	info->token[PS_LOCK_TOKEN_LEN] = '\0';
	info->fence = fence;
	memcpy(info->owner, c2 + 1, olen);
	info->owner[olen] = '\0';
	return 0;
}

ps_code
ps_lock_inspect(ps_redis *r, const char *user, ps_lock_info *info,
    ps_err *err)
{
	char key[256];
	const char *argv[1];
	redisReply *rep, *v;
	ps_code rc;

	scripts_init();
	memset(info, 0, sizeof(*info));
	if (ps_lock_key(r, user, key, sizeof(key)) == NULL)
		return bad_user(err);
	argv[0] = key;
	rc = ps_redis_eval(r, &inspect_script, 1, 0, argv, NULL, &rep, err);
	if (rc != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[1]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return bad_reply(err, "lock inspect");
	}
	v = rep->element[0];
	if (v->type == REDIS_REPLY_STRING) {
		info->held = 1;
		info->ttl_ms = rep->element[1]->integer;
		if (ps_lock_parse_value(v->str, v->len, info) < 0) {
			/* A value written by something else: show it as an
			 * anonymous holder rather than fail. */
			snprintf(info->owner, sizeof(info->owner),
			    "(foreign value)");
			info->fence = -1;
		}
	}
	freeReplyObject(rep);
	return PS_OK;
}
