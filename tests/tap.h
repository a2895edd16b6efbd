/*
 * tap.h - a minimal Test Anything Protocol emitter for the C tests.
 *
 * Every check prints "ok N - name" or "not ok N - name" with the file and
 * line of a failure on a diagnostic line; tap_done() prints the plan and
 * returns the exit status (non-zero when anything failed).  The automake
 * TAP driver turns these into the suite's totals.
 */
#ifndef PS_TAP_H
#define PS_TAP_H

#include <stdint.h>

void tap_ok_at(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void tap_skip(const char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2)))
    __attribute__((noreturn));
int tap_failed(void);
int tap_done(void);

#define ok(cond, ...) tap_ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
void tap_is_int_at(long long got, long long want, const char *file,
    int line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tap_is_str_at(const char *got, const char *want, const char *file,
    int line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define is_int(got, want, ...)                                             \
	tap_is_int_at((long long)(got), (long long)(want), __FILE__,       \
	    __LINE__, __VA_ARGS__)
#define is_str(got, want, ...)                                             \
	tap_is_str_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)

#endif /* PS_TAP_H */
