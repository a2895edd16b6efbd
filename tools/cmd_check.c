/* cmd_check.c - `pairstore check`: is this configuration usable? */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_redis.h"
#include "pairstore.h"

static void
warn_line(const char *msg, void *arg)
{
	int *nwarn = arg;

	printf("  warning: %s\n", msg);
	(*nwarn)++;
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
