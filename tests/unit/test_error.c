/* test_error.c - the project-wide error type. */
#include "config.h"

#include <string.h>

#include "ps_error.h"
#include "tap.h"

static void
error_set_returns_code_and_formats(void)
{
	ps_err err = {0};

	is_int(ps_err_set(&err, PS_E_INVALID, "bad %s %d", "phone", 7),
	    PS_E_INVALID, "ps_err_set returns the code it sets");
	is_int(err.code, PS_E_INVALID, "the code is stored");
	is_str(err.msg, "bad phone 7", "the message is formatted");
	is_int(ps_err_set(NULL, PS_E_REDIS, "x"), PS_E_REDIS,
	    "a NULL err still returns the code");
}

static void
error_message_cannot_inject_lines(void)
{
	ps_err err = {0};

	ps_err_set(&err, PS_E_INVALID, "user %s", "eve\r\nFAKE LOG LINE");
	ok(strchr(err.msg, '\n') == NULL && strchr(err.msg, '\r') == NULL,
	    "control characters in a message are replaced");
}

static void
error_long_message_is_truncated(void)
{
	char big[1000];
	ps_err err = {0};

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ps_err_set(&err, PS_E_INVALID, "%s", big);
	is_int(strlen(err.msg), PS_ERR_MSG_MAX - 1,
	    "a long message is cut to the buffer");
}

static void
error_prefix_keeps_code(void)
{
	ps_err err = {0};

	ps_err_set(&err, PS_E_IO, "disk full");
	ps_err_prefix(&err, "writing %s", "spool");
	is_str(err.msg, "writing spool: disk full", "prefix is prepended");
	is_int(err.code, PS_E_IO, "prefix keeps the code");
}

static void
error_http_status_mapping(void)
{
	is_int(ps_code_http_status(PS_E_INVALID), 400, "invalid is 400");
	is_int(ps_code_http_status(PS_E_AUTH), 401, "auth is 401");
	is_int(ps_code_http_status(PS_E_FORBIDDEN), 403, "forbidden is 403");
	is_int(ps_code_http_status(PS_E_NOT_FOUND), 404, "not found is 404");
	is_int(ps_code_http_status(PS_E_METHOD), 405, "method is 405");
	is_int(ps_code_http_status(PS_E_TOO_LARGE), 413, "too large is 413");
	is_int(ps_code_http_status(PS_E_CONFLICT), 429, "conflict is 429");
	is_int(ps_code_http_status(PS_E_REDIS), 503, "redis is 503");
	is_str(ps_code_title(PS_E_REDIS), "Redis not available",
	    "redis title is the message users know");
	is_str(ps_code_title(PS_E_CONFLICT), "Lock already exists",
	    "conflict title is the message users know");
	is_int(ps_code_http_status((ps_code)999), 500,
	    "an unknown code maps to 500");
	is_str(ps_code_name((ps_code)-1), "unknown",
	    "a negative code has a name");
}

int
main(void)
{
	error_set_returns_code_and_formats();
	error_message_cannot_inject_lines();
	error_long_message_is_truncated();
	error_prefix_keeps_code();
	error_http_status_mapping();
	return tap_done();
}
