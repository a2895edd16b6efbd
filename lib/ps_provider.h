/*
 * ps_provider.h - where a pairing code comes from (PAIRING_PROVIDER).
 *
 *  builtin  8 characters of the alphabet 123456789ABCDEFGHJKLMNPQRSTVWXYZ
 *           (32 symbols, 5 bits each) from 5 bytes of the kernel CSPRNG.
 *  http     POST {"userId":..., "phone":...} as JSON to PAIRING_HTTP_URL
 *           (Authorization: Bearer PAIRING_HTTP_TOKEN when set); a 2xx
 *           answer {"code":"..."} gives the code.
 *  exec     run PAIRING_EXEC (no shell) with argv [prog, userId, phone]
 *           and PAIRSTORE_USER_ID / PAIRSTORE_PHONE in its environment;
 *           the first line of its stdout is the code; exit status 0.
 * Every call is bounded by PAIRING_TIMEOUT_MS.  A code from http/exec
 * must be 4 to 32 of [A-Za-z0-9-]; anything else fails the call.
 */
#ifndef PS_PROVIDER_H
#define PS_PROVIDER_H

#include "ps_config.h"
#include "ps_error.h"

#define PS_CODE_MAX 32

/* The builtin alphabet: 32 symbols, so 5 random bits pick one exactly. */
#define PS_CODE_ALPHABET "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
/* Limits: an http answer body over this fails the call, and so does an
 * exec command that writes more than this on stdout. */
#define PS_PROVIDER_HTTP_MAX_BODY 16384
#define PS_PROVIDER_EXEC_MAX_OUTPUT 4096

typedef struct ps_provider ps_provider;

/* Validate the PAIRING_* settings once per process (PS_E_CONFIG with a
 * message saying what to fix, e.g. exec program missing/not executable,
 * URL not http(s)).  The provider copies what it needs: cfg may be
 * freed afterwards. */
ps_code ps_provider_new(ps_provider **p, const ps_config *cfg, ps_err *err);
void ps_provider_free(ps_provider *p);
/* "builtin", "http https://host/path" (URL without credentials), "exec /path". */
const char *ps_provider_describe(const ps_provider *p);

/*
 * Called at least every 500 ms while a call is in progress.  Returning
 * non-zero aborts the call (PS_E_TIMEOUT "aborted"): the worker uses it
 * to renew its lease and to stop when its lease is lost or it is told
 * to stop.
 */
typedef int (*ps_provider_tick)(void *arg);

/*
 * Get a code for user/phone into code (size PS_CODE_MAX + 1).  Errors:
 * PS_E_TIMEOUT (time limit or aborted), PS_E_BACKEND (provider failed:
 * HTTP status, bad JSON, exit status, bad code), with a message that
 * becomes the job's visible failure reason, so it must never contain
 * PAIRING_HTTP_TOKEN or other secrets.  PS_E_INVALID when user is not a
 * valid user id or phone is not 1 to 32 digits (optional leading '+').
 * exec: when a call ends, for whatever reason, the command's whole
 * process group is killed and reaped; nothing it started outlives it.
 */
ps_code ps_provider_get_code(ps_provider *p, const char *user,
    const char *phone, ps_provider_tick tick, void *tick_arg, char *code,
    ps_err *err);

/* The builtin generator alone (exposed for tests). */
ps_code ps_provider_builtin_code(char out[9], ps_err *err);
/* Its encoding: 40 bits, most significant first, as 8 symbols of 5 bits
 * (exposed so tests can check the mapping exactly). */
void ps_provider_builtin_encode(const unsigned char in[5], char out[9]);

#endif /* PS_PROVIDER_H */
