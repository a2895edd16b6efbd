/* ps_log.c - see ps_log.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ps_log.h"

#define LOG_LINE_MAX 2048
#define LOG_SECRETS_MAX 16

static char log_program[32] = "pairstore";
static ps_log_level log_level = PS_LOG_INFO;
static char *log_secrets[LOG_SECRETS_MAX];
static size_t log_nsecrets;

static const char *const level_names[] = {
	"DEBUG", "INFO", "WARN", "ERROR", "OFF"
};

void
ps_log_init(const char *program, ps_log_level level)
{
	const char *base;

	if (program != NULL) {
		base = strrchr(program, '/');
		base = base != NULL ? base + 1 : program;
		snprintf(log_program, sizeof(log_program), "%s", base);
	}
	log_level = level;
}

void
ps_log_set_level(ps_log_level level)
{
	log_level = level;
}

ps_log_level
ps_log_get_level(void)
{
	return log_level;
}

const char *
ps_log_level_name(ps_log_level level)
{
	if ((int)level < 0 || level > PS_LOG_OFF)
		return "?";
	return level_names[level];
}

int
ps_log_level_parse(const char *s, ps_log_level *out)
{
	static const struct {
		const char *name;
		ps_log_level level;
	} names[] = {
		{"debug", PS_LOG_DEBUG}, {"info", PS_LOG_INFO},
		{"warn", PS_LOG_WARN}, {"warning", PS_LOG_WARN},
		{"error", PS_LOG_ERROR}, {"off", PS_LOG_OFF},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	return -1;
}

void
ps_log_add_secret(const char *value)
{
	size_t i;

	if (value == NULL || strlen(value) < 4 || log_nsecrets == LOG_SECRETS_MAX)
		return;
	for (i = 0; i < log_nsecrets; i++)
		if (strcmp(log_secrets[i], value) == 0)
			return;
	log_secrets[log_nsecrets] = strdup(value);
	if (log_secrets[log_nsecrets] != NULL)
		log_nsecrets++;
}

void
ps_log_clear_secrets(void)
{
	while (log_nsecrets > 0)
		free(log_secrets[--log_nsecrets]);
}

/* Replace every registered secret in line (in place, line grows at most
 * to cap because "[REDACTED]" may be longer than the secret: then the line
 * is truncated, never left with a partial secret). */
static void
redact(char *line, size_t cap)
{
	static const char mask[] = "[REDACTED]";
	size_t i, slen, mlen = sizeof(mask) - 1, len;
	char *p;

	for (i = 0; i < log_nsecrets; i++) {
		slen = strlen(log_secrets[i]);
		p = line;
		while ((p = strstr(p, log_secrets[i])) != NULL) {
			len = strlen(p + slen);
			if ((size_t)(p - line) + mlen + len + 1 > cap)
				len = cap - 1 - (size_t)(p - line) - mlen;
			memmove(p + mlen, p + slen, len);
			p[mlen + len] = '\0';
			memcpy(p, mask, mlen);
			p += mlen;
		}
	}
}

void
ps_log(ps_log_level level, const char *tag, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 128];
	char out[sizeof(line) * 4];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t i, o;
	int n;

	if (level < log_level || level >= PS_LOG_OFF)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s[%ld]: %s%s%s%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
	    level_names[level], log_program, (long)getpid(),
	    tag != NULL ? "[" : "", tag != NULL ? tag : "",
	    tag != NULL ? "] " : "", msg);
	if (n < 0)
		return;
	redact(line, sizeof(line));

	/* One line per call: escape what could forge or break lines. */
	for (i = 0, o = 0; line[i] != '\0' && o + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '\n';
	/* A single write keeps lines from concurrent processes whole. */
	if (write(STDERR_FILENO, out, o) < 0)
		return;
}
