/*
 * pairstore - the operator's command: check the setup, manage session
 * locks, run the worker, look into the queue.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ps_log.h"
#include "pairstore.h"

static const struct command {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} commands[] = {
	{"check", cmd_check,
	    "print the effective configuration and check Redis"},
	{"lock", cmd_lock,
	    "acquire, release or show a user's session lock"},
	{"worker", cmd_worker,
	    "run pairing jobs (daemon, --drain for cron)"},
	{"migrate", cmd_migrate,
	    "copy the Supabase bucket to Cloudinary (resumable)"},
	{"queue", cmd_queue,
	    "queue counts and workers, or one job"},
};

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out,
	    "usage: pairstore [--help] [--version] COMMAND [ARGS]\n"
	    "\n"
	    "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out,
	    "\n"
	    "Run 'pairstore COMMAND --help' for a command's options.\n"
	    "\n"
	    "Settings come from the environment and from the .env file named\n"
	    "by PAIRSTORE_ENV_FILE (the environment wins).\n"
	    "\n"
	    "Exit status: 0 success, 1 error (configuration, Redis, I/O),\n"
	    "2 bad usage, 3 refused (lock held, not the holder).\n");
}

int
tool_setup(ps_config **cfg)
{
	ps_log_level level;
	ps_err err;

	ps_err_clear(&err);
	if (ps_config_load(cfg, &err) != PS_OK) {
		fprintf(stderr, "pairstore: configuration error: %s\n",
		    err.msg);
		return -1;
	}
	if (ps_log_level_parse(ps_config_str(*cfg, PS_CFG_LOG_LEVEL),
	    &level) < 0)
		level = PS_LOG_INFO;
	ps_log_set_level(level);
	ps_config_register_secrets(*cfg);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	ps_log_init("pairstore", PS_LOG_INFO);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("pairstore %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "pairstore: unknown command '%.64s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
