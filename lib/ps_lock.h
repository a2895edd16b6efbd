/*
 * ps_lock.h - per-user session locks in Redis.
 *
 * One key per user, {prefix}:lock:<userId>, whose value is
 * "<token>:<fence>:<owner>".  The token (128 bits from the kernel CSPRNG,
 * hex) proves ownership: release and extend compare it inside a Lua
 * script, so a caller whose lock expired can never touch the next
 * holder's.  Every acquisition draws a fencing token from one counter per
 * prefix, so tokens strictly increase across all locks and holders; work
 * done under a lock can be refused when a newer fence exists.
 */
#ifndef PS_LOCK_H
#define PS_LOCK_H

#include <stdint.h>

#include "ps_error.h"
#include "ps_redis.h"

#define PS_LOCK_TOKEN_LEN 32		/* hex characters */
#define PS_LOCK_OWNER_MAX 96

typedef struct ps_lock_grant {
	char token[PS_LOCK_TOKEN_LEN + 1];
	int64_t fence;
	int64_t ttl_ms;
} ps_lock_grant;

typedef struct ps_lock_info {
	int held;
	char token[PS_LOCK_TOKEN_LEN + 1];
	char owner[PS_LOCK_OWNER_MAX + 1];
	int64_t fence;
	int64_t ttl_ms;		/* ms left; -1 if the key has no expiry */
} ps_lock_info;

/* The lock key of a user into buf; NULL if the user id is invalid. */
char *ps_lock_key(const ps_redis *r, const char *user, char *buf,
    size_t sz);
/* The fencing counter key. */
char *ps_lock_fence_key(const ps_redis *r, char *buf, size_t sz);

/*
 * Acquire user's lock for ttl_ms.  owner is a short label shown by
 * inspect ("cli:host:pid", "job:pair:alice").  When the lock is held,
 * returns PS_E_CONFLICT ("Lock already exists") and, if retry_ms is not
 * NULL, stores the holder's remaining milliseconds there.
 */
ps_code ps_lock_acquire(ps_redis *r, const char *user, int64_t ttl_ms,
    const char *owner, ps_lock_grant *grant, int64_t *retry_ms,
    ps_err *err);
/* Release if token still owns the lock; PS_E_NOT_FOUND otherwise. */
ps_code ps_lock_release(ps_redis *r, const char *user, const char *token,
    ps_err *err);
/* Set the remaining time to ttl_ms if token owns the lock. */
ps_code ps_lock_extend(ps_redis *r, const char *user, const char *token,
    int64_t ttl_ms, ps_err *err);
/* Who holds the lock and for how long, in one round trip. */
ps_code ps_lock_inspect(ps_redis *r, const char *user, ps_lock_info *info,
    ps_err *err);

/* Parse a stored value "<token>:<fence>:<owner>" into info. */
int ps_lock_parse_value(const char *v, size_t len, ps_lock_info *info);

#endif /* PS_LOCK_H */
