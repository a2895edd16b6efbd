/*
 * ps_breaker.h - circuit breakers for the storage services, shared by
 * every process through Redis (DESIGN.md, "Storage chain": a backend
 * that keeps failing is skipped for a while instead of making every
 * upload wait for its time limit).
 *
 * Per service, three keys under the one hash tag:
 *   {prefix}:breaker:<name>:fails  failures in a row (expires after a
 *                                  quiet spell, so old failures fade)
 *   {prefix}:breaker:<name>:open   exists (PX = cool-down) while skipped
 *   {prefix}:breaker:<name>:probe  SET NX guard: one probe at a time
 * closed -> open after failures_to_trip failures in a row; open -> one
 * probe once the cool-down has passed; the probe's success closes the
 * breaker, its failure opens it again for a whole cool-down.  Each call
 * is one Lua script, one round trip.
 *
 * These functions report Redis failures (PS_E_REDIS); failing open - an
 * upload tries the service when the breaker cannot be read - is the
 * caller's policy (ps_storage.c).
 */
#ifndef PS_BREAKER_H
#define PS_BREAKER_H

#include <stdint.h>

#include "ps_error.h"
#include "ps_redis.h"

/* Breaker names: 1 to 32 of [a-z0-9_-]. */
#define PS_BREAKER_NAME_MAX 32

typedef struct ps_breaker_conf {
	int64_t failures_to_trip;
	int64_t cooldown_ms;
	int64_t probe_ms;	/* the probe guard's lifetime (> 1 request) */
} ps_breaker_conf;

typedef enum ps_breaker_verdict {
	PS_BREAKER_SKIP = 0,	/* open, or another process is probing */
	PS_BREAKER_PASS,	/* closed: go ahead */
	PS_BREAKER_PROBE	/* cool-down over: this call is the probe */
} ps_breaker_verdict;

/*
 * May a request go to name now?  *fails is the current count of failures
 * in a row (a PASS with 0 needs no ps_breaker_success afterwards), *wait_ms
 * the cool-down left when skipped.
 */
ps_code ps_breaker_allow(ps_redis *r, const char *name,
    const ps_breaker_conf *c, ps_breaker_verdict *v, int64_t *fails,
    int64_t *wait_ms, ps_err *err);
/* The request succeeded: closed, count reset. */
ps_code ps_breaker_success(ps_redis *r, const char *name, ps_err *err);
/* The request failed; *tripped is 1 when this failure opened it. */
ps_code ps_breaker_failure(ps_redis *r, const char *name,
    const ps_breaker_conf *c, int *tripped, int64_t *fails, ps_err *err);

typedef struct ps_breaker_info {
	const char *state;	/* closed, open, half-open, probing */
	int64_t fails;
	int64_t open_ms;	/* cool-down left */
} ps_breaker_info;

ps_code ps_breaker_inspect(ps_redis *r, const char *name,
    const ps_breaker_conf *c, ps_breaker_info *info, ps_err *err);

#endif /* PS_BREAKER_H */
