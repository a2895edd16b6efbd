/* cmd_check.c - `pairstore check`: is this configuration usable? */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_auth.h"
#include "ps_log.h"
#include "ps_provider.h"
#include "ps_queue.h"
#include "ps_redis.h"
#include "ps_storage.h"
#include "pairstore.h"

static void
warn_line(const char *msg, void *arg)
{
	int *nwarn = arg;

	printf("  warning: %s\n", msg);
	(*nwarn)++;
}

/* Each module validates its own settings, as the programs will; 0 when
 * all are usable. */
static int
check_modules(const ps_config *cfg)
{
	ps_auth *a = NULL;
	ps_provider *p = NULL;
	ps_storage *st = NULL;
	ps_queue *q = NULL;
	ps_redis *r = NULL;
	ps_err err = {0};
	size_t k, n;
	int bad = 0;

	printf("Settings:\n");
	if (ps_auth_new(&a, cfg, &err) != PS_OK) {
		printf("  identity: error: %s\n", err.msg);
		bad = 1;
	} else
		printf("  identity: %s\n", ps_auth_describe(a));
	if (ps_provider_new(&p, cfg, &err) != PS_OK) {
		printf("  pairing provider: error: %s\n", err.msg);
		bad = 1;
	} else
		printf("  pairing provider: %s\n", ps_provider_describe(p));
	if (ps_redis_new(&r, cfg, &err) == PS_OK &&
	    ps_queue_new(&q, r, cfg, &err) != PS_OK) {
		printf("  queue: error: %s\n", err.msg);
		bad = 1;
	}
	if (ps_storage_new(&st, cfg, NULL, &err) != PS_OK) {
		printf("  storage: error: %s\n", err.msg);
		bad = 1;
	} else {
		n = ps_storage_backend_count(st);
		for (k = 0; k < n; k++) {
			ps_storage_backend_status bs;

			if (ps_storage_backend_status_of(st, k, &bs, &err) !=
			    PS_OK)
				continue;
			if (bs.configured)
				printf("  storage %zu: %s\n", k + 1, bs.name);
			else
				printf("  storage %zu: %s not configured "
				    "(%s)\n", k + 1, bs.name,
				    bs.missing != NULL ? bs.missing :
				    "no settings");
		}
	}
	ps_storage_free(st);
	ps_queue_free(q);
	ps_redis_free(r);
	ps_provider_free(p);
	ps_auth_free(a);
	return bad;
}

int
cmd_check(int argc, char **argv)
{
	ps_config *cfg = NULL;
	ps_redis *r = NULL;
	ps_redis_target t;
	char where[400], version[32];
	int nwarn = 0, status = EXIT_OK, quiet = 0, i;
	ps_err err;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: pairstore check [--quiet]\n\n"
			    "Print the effective configuration (secrets "
			    "masked), connect to Redis and\n"
			    "warn about settings that put queued jobs at "
			    "risk.  Exits 1 when the\n"
			    "configuration is unusable or Redis cannot be "
			    "reached.\n\n"
			    "  --quiet   do not print the configuration\n");
			return EXIT_OK;
		} else if (strcmp(argv[i], "--quiet") == 0)
			quiet = 1;
		else {
			fprintf(stderr, "pairstore check: unknown option "
			    "'%.64s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (tool_setup(&cfg) < 0)
		return EXIT_FAIL;
	ps_err_clear(&err);
	if (!quiet) {
		printf("Configuration:\n");
		ps_config_print(cfg, stdout);
		printf("\n");
	}
	if (ps_redis_target_from_config(cfg, &t, &err) != PS_OK) {
		printf("error: %s\n", err.msg);
		ps_config_free(cfg);
		return EXIT_FAIL;
	}
	if (check_modules(cfg) != 0)
		status = EXIT_FAIL;
	ps_redis_target_describe(&t, where, sizeof(where));
	printf("Redis at %s:\n", where);
	if (ps_redis_new(&r, cfg, &err) != PS_OK ||
	    ps_redis_connect(r, &err) != PS_OK ||
	    ps_redis_check_server(r, warn_line, &nwarn, version,
	    sizeof(version), &err) != PS_OK) {
		printf("  error: %s\n", err.msg);
		status = EXIT_FAIL;
	} else if (nwarn == 0)
		printf("  ok (Redis %s)\n", version);
	else
		printf("  reachable (Redis %s), %d warning%s\n", version,
		    nwarn, nwarn == 1 ? "" : "s");
	ps_redis_free(r);
	ps_config_free(cfg);
	printf("%s\n", status == EXIT_OK ? "check: ok" : "check: FAILED");
	return status;
}
