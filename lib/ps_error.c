/* ps_error.c - the project-wide error type. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ps_error.h"

static const struct {
	const char *name;
	const char *title;
	int http;
} codes[PS_CODE__COUNT] = {
	[PS_OK] = {"ok", "OK", 200},
	[PS_E_INVALID] = {"invalid", "Bad Request", 400},
	[PS_E_AUTH] = {"auth", "Unauthorized", 401},
	[PS_E_FORBIDDEN] = {"forbidden", "Forbidden", 403},
	[PS_E_NOT_FOUND] = {"not_found", "Not Found", 404},
	[PS_E_METHOD] = {"method", "Method Not Allowed", 405},
	[PS_E_CONFLICT] = {"conflict", "Lock already exists", 429},
	[PS_E_TOO_LARGE] = {"too_large", "Payload Too Large", 413},
	[PS_E_UNSUPPORTED] = {"unsupported", "Unsupported Media Type", 415},
	[PS_E_REDIS] = {"redis", "Redis not available", 503},
	[PS_E_BACKEND] = {"backend", "Bad Gateway", 502},
	[PS_E_TIMEOUT] = {"timeout", "Gateway Timeout", 504},
	[PS_E_CONFIG] = {"config", "Server misconfigured", 500},
	[PS_E_NOMEM] = {"nomem", "Out of memory", 500},
	[PS_E_IO] = {"io", "I/O error", 500},
	[PS_E_INTERNAL] = {"internal", "Internal Server Error", 500},
};

static int
valid(ps_code code)
{
	return (int)code >= 0 && code < PS_CODE__COUNT;
}

const char *
ps_code_name(ps_code code)
{
	return valid(code) ? codes[code].name : "unknown";
}

const char *
ps_code_title(ps_code code)
{
	return valid(code) ? codes[code].title : "Internal Server Error";
}

int
ps_code_http_status(ps_code code)
{
	return valid(code) ? codes[code].http : 500;
}

static void
scrub(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

ps_code
ps_err_set(ps_err *err, ps_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	scrub(err->msg);
	return code;
}

void
ps_err_clear(ps_err *err)
{
	if (err == NULL)
		return;
	err->code = PS_OK;
	err->msg[0] = '\0';
}

ps_code
ps_err_copy(ps_err *dst, const ps_err *src)
{
	if (dst != NULL && dst != src)
		*dst = *src;
	return src->code;
}

ps_code
ps_err_prefix(ps_err *err, const char *fmt, ...)
{
	char head[PS_ERR_MSG_MAX], old[PS_ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return PS_E_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Bounded pieces: the result is cut to the buffer, as intended. */
	snprintf(err->msg, sizeof(err->msg), "%.*s: %.*s",
	    (int)(sizeof(err->msg) / 2), head,
	    (int)(sizeof(err->msg) / 2 - 3), old);
	scrub(err->msg);
	return err->code;
}
