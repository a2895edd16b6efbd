/* tap.c - see tap.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int tap_n;
static int tap_nfail;

static void vok(int, const char *, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
vline(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void
tap_ok_at(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vok(cond, file, line, fmt, ap);
	va_end(ap);
}

static void
vok(int cond, const char *file, int line, const char *fmt, va_list ap)
{
	tap_n++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	vline("", fmt, ap);
	if (!cond) {
		tap_nfail++;
		printf("#   failed at %s:%d\n", file, line);
		fflush(stdout);
	}
}

void
tap_is_int_at(long long got, long long want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vok(got == want, file, line, fmt, ap);
	va_end(ap);
	if (got != want)
		tap_diag("  got %lld, want %lld", got, want);
}

void
tap_is_str_at(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	va_start(ap, fmt);
	vok(same, file, line, fmt, ap);
	va_end(ap);
	if (!same)
		tap_diag("  got \"%s\", want \"%s\"",
		    got != NULL ? got : "(null)",
		    want != NULL ? want : "(null)");
}

void
tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("ok %d - ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

void
tap_bail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("Bail out! ", fmt, ap);
	va_end(ap);
	exit(1);
}

int
tap_failed(void)
{
	return tap_nfail;
}

int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_nfail == 0 ? 0 : 1;
}
