/*
 * fuzz_redis_url.c - REDIS_URL parsing (ps_redis_parse_url, describe) in
 * lib/ps_redis.c, and the URL masking that hides its password when the
 * configuration is shown (ps_config_mask_url, lib/ps_config.c).
 *
 * Input: the URL, up to a NUL.  Every 0x01 byte in it is replaced by a
 * canary, CANARY, before parsing: when the canary appears exactly once
 * and the parser makes it (part of) the password, the password is known
 * to be nowhere else in the URL, so any canary in a shown form is a leak.
 *
 * Invariants:
 *  - host, path, username and password are NUL-terminated inside their
 *    arrays; the port is 1 to 65535, the database 0 to 10000; a unix
 *    target has an absolute path, a TCP one a host;
 *  - ps_redis_target_describe() does not depend on the credentials (the
 *    same target with another username and password describes the same)
 *    and always fits its buffer;
 *  - a password from the URL is never visible in what
 *    ps_config_mask_url() makes of it, nor in the description.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_config.h"
#include "ps_redis.h"
#include "fuzz_common.h"

#define CANARY "Qz7CanaryPw"

static int
terminated(const char *s, size_t sz)
{
	return memchr(s, '\0', sz) != NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ps_log_set_level(PS_LOG_OFF);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char desc[512], desc2[512], *url, *masked, *p;
	size_t len, i, ncanary = 0, urllen, masksz;
	ps_redis_target t, t2;
	ps_err err;
	ps_code rc;

	len = strnlen((const char *)data, size);
	for (i = 0; i < len; i++)
		ncanary += data[i] == 0x01;
	if (ncanary > 0 && memmem(data, len, CANARY, sizeof(CANARY) - 1) !=
	    NULL)
		return 0;	/* the canary must come from 0x01 only */
	url = malloc(len + ncanary * (sizeof(CANARY) - 1) + 1);
	if (url == NULL)
		abort();
	for (i = 0, p = url; i < len; i++) {
		if (data[i] == 0x01) {
			memcpy(p, CANARY, sizeof(CANARY) - 1);
			p += sizeof(CANARY) - 1;
		} else
			*p++ = (char)data[i];
	}
	*p = '\0';
	urllen = (size_t)(p - url);

	memset(&t, 0x55, sizeof(t));
	rc = ps_redis_parse_url(url, &t, &err);
	if (rc != PS_OK) {
		fuzz_check_err_msg(&err);
		FUZZ_CHECK(rc == PS_E_CONFIG, "refused with %d", (int)rc);
		/* The message never quotes the URL (it may hold a secret). */
		if (ncanary > 0)
			FUZZ_CHECK(strstr(err.msg, CANARY) == NULL,
			    "the refusal quotes the URL: %s", err.msg);
		free(url);
		return 0;
	}
	FUZZ_CHECK(terminated(t.host, sizeof(t.host)) &&
	    terminated(t.path, sizeof(t.path)) &&
	    terminated(t.username, sizeof(t.username)) &&
	    terminated(t.password, sizeof(t.password)),
	    "a string of the target is not terminated");
	FUZZ_CHECK(t.port >= 1 && t.port <= 65535, "port %d", t.port);
	FUZZ_CHECK(t.db >= 0 && t.db <= 10000, "db %d", t.db);
	if (t.is_unix)
		FUZZ_CHECK(t.path[0] == '/', "unix path \"%s\"", t.path);
	else
		FUZZ_CHECK(t.host[0] != '\0', "no host");

	/* The description knows nothing of credentials. */
	ps_redis_target_describe(&t, desc, sizeof(desc));
	FUZZ_CHECK(terminated(desc, sizeof(desc)), "description");
	t2 = t;
	snprintf(t2.username, sizeof(t2.username), "other-user");
	snprintf(t2.password, sizeof(t2.password), "other-password");
	ps_redis_target_describe(&t2, desc2, sizeof(desc2));
	FUZZ_CHECK(strcmp(desc, desc2) == 0, "describe() depends on the "
	    "credentials: \"%s\" / \"%s\"", desc, desc2);
	/* A short buffer is cut, never overrun. */
	ps_redis_target_describe(&t, desc2, 8);
	FUZZ_CHECK(strlen(desc2) < 8, "describe() overran 8 bytes");

	/* Masked as the configuration shows it, at every buffer size. */
	masksz = urllen * 3 + 16;
	masked = malloc(masksz);
	if (masked == NULL)
		abort();
	ps_config_mask_url(url, masked, masksz);
	FUZZ_CHECK(terminated(masked, masksz), "masked URL");
	if (ncanary == 1 && strstr(t.password, CANARY) != NULL) {
		FUZZ_CHECK(strstr(masked, CANARY) == NULL, "the password "
		    "shows in the masked URL \"%s\"", masked);
		FUZZ_CHECK(strstr(desc, CANARY) == NULL, "the password "
		    "shows in the description");
	}
	free(masked);
	masksz = 1 + (size_t)(data[0] % 32);
	masked = malloc(masksz);
	if (masked == NULL)
		abort();
	ps_config_mask_url(url, masked, masksz);
	FUZZ_CHECK(terminated(masked, masksz), "short masked URL");
	free(masked);
	free(url);
	return 0;
}
