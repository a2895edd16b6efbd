/*
 * ps_error.h - the one error type every pairstore module returns.
 *
 * A function that can fail returns a ps_code (PS_OK == 0) and, when the
 * caller passes a ps_err, fills it with the same code and a message that
 * says what went wrong in words an operator can act on.  The HTTP status
 * for a code is chosen in one place: ps_code_http_status().
 */
#ifndef PS_ERROR_H
#define PS_ERROR_H

#include <stddef.h>

typedef enum ps_code {
	PS_OK = 0,
	PS_E_INVALID,     /* malformed or out-of-range input        -> 400 */
	PS_E_AUTH,        /* no or bad identity                     -> 401 */
	PS_E_FORBIDDEN,   /* identity known, not allowed            -> 403 */
	PS_E_NOT_FOUND,   /* no such thing                          -> 404 */
	PS_E_METHOD,      /* HTTP method not allowed                -> 405 */
	PS_E_CONFLICT,    /* lock held / job in flight              -> 429 */
	PS_E_TOO_LARGE,   /* over a size limit                      -> 413 */
	PS_E_UNSUPPORTED, /* unsupported media type                 -> 415 */
	PS_E_REDIS,       /* "Redis not available"                  -> 503 */
	PS_E_BACKEND,     /* a remote service failed                -> 502 */
	PS_E_TIMEOUT,     /* a time limit ran out                   -> 504 */
	PS_E_CONFIG,      /* unusable configuration                 -> 500 */
	PS_E_NOMEM,       /* out of memory                          -> 500 */
	PS_E_IO,          /* local I/O failed                       -> 500 */
	PS_E_INTERNAL,    /* a bug or an unexpected answer          -> 500 */
	PS_CODE__COUNT
} ps_code;

#define PS_ERR_MSG_MAX 256

typedef struct ps_err {
	ps_code code;
	char msg[PS_ERR_MSG_MAX];
} ps_err;

/* Short stable name of a code ("invalid", "redis", ...). */
const char *ps_code_name(ps_code code);
/* Default human title of a code ("Bad Request", "Redis not available"). */
const char *ps_code_title(ps_code code);
/* The HTTP status a code maps to; the single place that decides it. */
int ps_code_http_status(ps_code code);

/*
 * Fill err (may be NULL) with code and a printf-style message; returns
 * code so callers can write `return ps_err_set(err, PS_E_INVALID, ...)`.
 * Control characters in the formatted message are replaced by '?', so a
 * message that quotes user input cannot inject lines into a log.
 */
ps_code ps_err_set(ps_err *err, ps_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err to PS_OK with an empty message. */
void ps_err_clear(ps_err *err);

/* *dst = *src (dst may be NULL); returns the code. */
ps_code ps_err_copy(ps_err *dst, const ps_err *src);

/* Prepend context: "context: old message".  Keeps the code. */
ps_code ps_err_prefix(ps_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* PS_ERROR_H */
