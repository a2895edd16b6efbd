/* pairstore.h - shared bits of the pairstore command's subcommands. */
#ifndef PAIRSTORE_TOOL_H
#define PAIRSTORE_TOOL_H

#include "ps_config.h"
#include "ps_error.h"

/* Exit statuses every subcommand uses (documented in --help). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* error: configuration, Redis, I/O */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_REFUSED = 3	/* lock held / not the holder */
};

/* Load the configuration and set up logging; prints errors itself. */
int tool_setup(ps_config **cfg);

int cmd_check(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_queue(int argc, char **argv);
int cmd_migrate(int argc, char **argv);

#endif
