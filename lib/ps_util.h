/*
 * ps_util.h - small things every module needs: randomness from the
 * kernel's CSPRNG, clocks, user id validation, hex.
 */
#ifndef PS_UTIL_H
#define PS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ps_error.h"

/* User ids (DESIGN.md): [A-Za-z0-9_.-]{1,64}, not starting with a dot. */
#define PS_USER_ID_MAX 64
int ps_user_id_valid(const char *s);

/* n bytes from getrandom(2) (the kernel CSPRNG); never a weak fallback. */
ps_code ps_random_bytes(void *buf, size_t n, ps_err *err);
/* 2*nbytes lowercase hex characters plus NUL into out. */
ps_code ps_random_hex(char *out, size_t nbytes, ps_err *err);

void ps_hex(const unsigned char *in, size_t n, char *out);
/* Value of one hex digit, -1 if c is not one. */
int ps_hexval(int c);
/*
 * Percent-decode (RFC 3986, 2.1) src[0..len) into dst (dstsz bytes, NUL
 * added).  Returns 0, or -1 on a malformed escape, a decoded NUL, or no
 * room.  For credentials in URLs; form decoding lives in ps_http.
 */
int ps_pct_decode(const char *src, size_t len, char *dst, size_t dstsz);

/* Wall clock in milliseconds since the epoch; monotonic milliseconds. */
int64_t ps_now_ms(void);
int64_t ps_mono_ms(void);

/* Character sets for identifiers that end up in keys, paths, JSON and
 * log lines. */
#define PS_CS_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
	"0123456789"
/* 1 when s has 1 to max characters, all from allowed. */
int ps_charset_ok(const char *s, size_t max, const char *allowed);

/* Parse a decimal int64 that fills the whole string; 0 on success. */
int ps_parse_i64(const char *s, size_t len, int64_t *out);

/* Zero memory in a way the compiler may not elide. */
void ps_wipe(void *p, size_t n);

#endif /* PS_UTIL_H */
