/*
 * cmd_lock.c - `pairstore lock acquire|release|extend|show USER`, for
 * operators and scripts.  Output is key=value lines (or JSON with
 * --json) so shell scripts can read it without guessing.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ps_lock.h"
#include "ps_redis.h"
#include "ps_util.h"
#include "pairstore.h"

static void
lock_usage(FILE *out)
{
	fprintf(out,
	    "usage: pairstore lock acquire USER [--ttl MS] [--owner LABEL] "
	    "[--json]\n"
	    "       pairstore lock release USER TOKEN\n"
	    "       pairstore lock extend USER TOKEN [--ttl MS]\n"
	    "       pairstore lock show USER [--json]\n"
	    "\n"
	    "acquire  take USER's session lock (default TTL: LOCK_TTL_MS);\n"
	    "         prints token=, fence= and ttl_ms=.  Exit 3 when held,\n"
	    "         with retry_after_ms= of the current holder.\n"
	    "release  release it; only the TOKEN from acquire can.  Exit 3\n"
	    "         when the token no longer holds the lock.\n"
	    "extend   reset the time left to --ttl; exit 3 as for release.\n"
	    "show     held=, owner=, fence=, ttl_ms= (held=0 when free).\n");
}

static int
parse_ttl(const char *s, int64_t *out)
{
	if (ps_parse_i64(s, strlen(s), out) < 0 || *out < 1 ||
	    *out > 86400000LL * 30) {
		fprintf(stderr, "pairstore lock: --ttl must be 1 to "
		    "2592000000 milliseconds\n");
		return -1;
	}
	return 0;
}

static int
report(ps_code rc, const ps_err *err)
{
	if (rc == PS_OK)
		return EXIT_OK;
	fprintf(stderr, "pairstore lock: %s\n", err->msg);
	if (rc == PS_E_CONFLICT || rc == PS_E_NOT_FOUND)
		return EXIT_REFUSED;
	if (rc == PS_E_INVALID)
		return EXIT_USAGE;
	return EXIT_FAIL;
}

int
cmd_lock(int argc, char **argv)
{
	const char *verb, *user, *token = NULL, *owner = NULL;
	char label[PS_LOCK_OWNER_MAX + 1], host[64];
	ps_config *cfg = NULL;
	ps_redis *r = NULL;
	int64_t ttl = -1, retry = 0;
	int json = 0, i, status;
	ps_code rc;
	ps_err err;

	if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
		lock_usage(stdout);
		return EXIT_OK;
	}
	if (argc < 3) {
		lock_usage(stderr);
		return EXIT_USAGE;
	}
	verb = argv[1];
	user = argv[2];
	i = 3;
	if (strcmp(verb, "release") == 0 || strcmp(verb, "extend") == 0) {
		if (argc < 4) {
			lock_usage(stderr);
			return EXIT_USAGE;
		}
		token = argv[3];
		i = 4;
	} else if (strcmp(verb, "acquire") != 0 && strcmp(verb, "show") != 0) {
		fprintf(stderr, "pairstore lock: unknown action '%.32s'\n",
		    verb);
		lock_usage(stderr);
		return EXIT_USAGE;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--ttl") == 0 && i + 1 < argc) {
			if (parse_ttl(argv[++i], &ttl) < 0)
				return EXIT_USAGE;
		} else if (strcmp(argv[i], "--owner") == 0 && i + 1 < argc)
			owner = argv[++i];
		else {
			fprintf(stderr, "pairstore lock: unexpected argument "
			    "'%.64s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!ps_user_id_valid(user)) {
		fprintf(stderr, "pairstore lock: invalid user id (1 to 64 of "
		    "A-Z a-z 0-9 _ . -)\n");
		return EXIT_USAGE;
	}
	if (tool_setup(&cfg) < 0)
		return EXIT_FAIL;
	ps_err_clear(&err);
	if (ttl < 0)
		ttl = ps_config_int(cfg, PS_CFG_LOCK_TTL_MS);
	if ((rc = ps_redis_new(&r, cfg, &err)) != PS_OK) {
		status = report(rc, &err);
		goto out;
	}
	if (strcmp(verb, "acquire") == 0) {
		ps_lock_grant g;

		if (owner == NULL) {
			if (gethostname(host, sizeof(host)) != 0)
				snprintf(host, sizeof(host), "unknown");
			host[sizeof(host) - 1] = '\0';
			snprintf(label, sizeof(label), "cli:%s:%ld", host,
			    (long)getpid());
			owner = label;
		}
		rc = ps_lock_acquire(r, user, ttl, owner, &g, &retry, &err);
		if (rc == PS_OK && json)
			printf("{\"acquired\":true,\"token\":\"%s\","
			    "\"fence\":%lld,\"ttl_ms\":%lld}\n", g.token,
			    (long long)g.fence, (long long)g.ttl_ms);
		else if (rc == PS_OK)
			printf("token=%s\nfence=%lld\nttl_ms=%lld\n", g.token,
			    (long long)g.fence, (long long)g.ttl_ms);
		else if (rc == PS_E_CONFLICT && json)
			printf("{\"acquired\":false,\"retry_after_ms\":%lld}\n",
			    (long long)retry);
		else if (rc == PS_E_CONFLICT)
			printf("retry_after_ms=%lld\n", (long long)retry);
	} else if (strcmp(verb, "release") == 0) {
		rc = ps_lock_release(r, user, token, &err);
	} else if (strcmp(verb, "extend") == 0) {
		rc = ps_lock_extend(r, user, token, ttl, &err);
		if (rc == PS_OK)
			printf("ttl_ms=%lld\n", (long long)ttl);
	} else {
		ps_lock_info info;

		rc = ps_lock_inspect(r, user, &info, &err);
		if (rc == PS_OK && json)
			printf("{\"user\":\"%s\",\"held\":%s,\"owner\":\"%s\","
			    "\"fence\":%lld,\"ttl_ms\":%lld}\n", user,
			    info.held ? "true" : "false", info.owner,
			    (long long)info.fence, (long long)info.ttl_ms);
		else if (rc == PS_OK)
			printf("held=%d\nowner=%s\nfence=%lld\nttl_ms=%lld\n",
			    info.held, info.owner, (long long)info.fence,
			    (long long)(info.held ? info.ttl_ms : 0));
	}
	status = report(rc, &err);
out:
	ps_redis_free(r);
	ps_config_free(cfg);
	return status;
}
