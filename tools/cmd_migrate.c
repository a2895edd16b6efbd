/*
 * cmd_migrate.c - `pairstore migrate': move the media of the Supabase
 * bucket to Cloudinary (the work is lib/ps_migrate.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ps_migrate.h"
#include "ps_util.h"
#include "pairstore.h"


#define DEFAULT_MAPPING "./pairstore-migrate-mapping.jsonl"

static void
migrate_usage(FILE *out)
{
	fprintf(out,
"usage: pairstore migrate [OPTIONS]\n"
"\n"
"Copy every object of the Supabase bucket (SUPABASE_BUCKET) to\n"
"Cloudinary, under the same <kind>/<userId>/ folder, verify it, record\n"
"it in the media index (Redis) and in a mapping file, and remember it so\n"
"that a rerun skips it.  Interrupt it at any time (Ctrl-C): the next run\n"
"continues where it stopped.  A second full run changes nothing.\n"
"\n"
"Options:\n"
"  --prefix P         only objects whose path starts with P (view-once/)\n"
"  --user U           only objects under <kind>/U/\n"
"  --since DATE       only objects updated at or after DATE (ISO 8601,\n"
"                     2024-06-25 or 2024-06-25T09:25:44Z, or unix seconds)\n"
"  --limit N          migrate at most N objects in this run\n"
"  --dry-run          list what would move and the total size; change\n"
"                     nothing (Redis is only read)\n"
"  --concurrency N    N worker processes, 1 to %d (default 4)\n"
"  --delete-source    after the run, delete from Supabase the objects\n"
"                     that were verified in Cloudinary (this run or an\n"
"                     earlier one); off by default\n"
"  --mapping FILE     JSON lines {\"source_path\",\"old_url\",\"new_url\",\n"
"                     \"public_id\",\"bytes\",\"status\"} are appended\n"
"                     here (default %s)\n"
"  --help             this text\n"
"\n"
"Each object is downloaded to a temp file (SPOOL_DIR), its type is read\n"
"from its bytes, and it is uploaded (in chunks above\n"
"CLOUDINARY_CHUNKED_ABOVE) with public_id <name>-<hash of the source\n"
"path>, overwrite=1, so repeating an upload replaces the same asset\n"
"instead of adding one.  It counts as migrated only when Cloudinary\n"
"reports the size that was downloaded and listed.  Each object is tried\n"
"3 times with backoff; a failure never stops the run and is retried on\n"
"the next one.  Empty objects cannot be stored in Cloudinary: they get a\n"
"mapping line with status \"empty\" and are skipped.  Progress lives in\n"
"Redis, {REDIS_KEY_PREFIX}:migrate:<bucket> (source path -> \"done\n"
"<public_id> <bytes>\" or \"failed <reason>\"); delete that key to start\n"
"over.\n"
"\n"
"Settings: SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, SUPABASE_BUCKET,\n"
"CLOUDINARY_URL or CLOUDINARY_CLOUD_NAME/API_KEY/API_SECRET, REDIS_URL,\n"
"STORAGE_TIMEOUT_MS, UPLOAD_MAX_BYTES (largest object copied).\n"
"\n"
"Output: a progress bar when stderr is a terminal, else one line per\n"
"object; then a summary (moved, skipped, failed with reasons, bytes,\n"
"elapsed) on stdout.  Exit status 0 when nothing failed, 1 when an\n"
"object failed or the run could not start or was interrupted, 2 for a\n"
"bad command line.\n"
"\n"
"Example:\n"
"  pairstore migrate --dry-run --prefix view-once/\n"
"  pairstore migrate --concurrency 8 --mapping /var/tmp/map.jsonl\n"
"  pairstore migrate --delete-source     # once the app uses new_url\n",
	    PS_MIGRATE_MAX_CONCURRENCY, DEFAULT_MAPPING);
}

static int
parse_num(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (ps_parse_i64(s, strlen(s), out) != 0 || *out < min || *out > max)
		return -1;
	return 0;
}

int
cmd_migrate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"prefix", required_argument, NULL, 'p'},
		{"user", required_argument, NULL, 'u'},
		{"since", required_argument, NULL, 's'},
		{"limit", required_argument, NULL, 'l'},
		{"dry-run", no_argument, NULL, 'n'},
		{"concurrency", required_argument, NULL, 'c'},
		{"delete-source", no_argument, NULL, 'D'},
		{"mapping", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	ps_migrate_opts o;
	ps_migrate_summary sum;
	ps_config *cfg = NULL;
	ps_err err;
	int64_t v;
	int ch;
	ps_code rc;

	memset(&o, 0, sizeof(o));
	o.concurrency = 4;
	o.mapping = DEFAULT_MAPPING;
	ps_err_clear(&err);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o.prefix = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 's':
			if (ps_migrate_parse_time(optarg, &o.since, &err) !=
			    PS_OK) {
				fprintf(stderr, "pairstore migrate: --since: "
				    "%s\n", err.msg);
				return EXIT_USAGE;
			}
			o.has_since = 1;
			break;
		case 'l':
			if (parse_num(optarg, 1, INT64_MAX, &o.limit) < 0) {
				fprintf(stderr, "pairstore migrate: --limit "
				    "must be a positive number\n");
				return EXIT_USAGE;
			}
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'c':
			if (parse_num(optarg, 1, PS_MIGRATE_MAX_CONCURRENCY,
			    &v) < 0) {
				fprintf(stderr, "pairstore migrate: "
				    "--concurrency must be 1 to %d\n",
				    PS_MIGRATE_MAX_CONCURRENCY);
				return EXIT_USAGE;
			}
			o.concurrency = (int)v;
			break;
		case 'D':
			o.delete_source = 1;
			break;
		case 'm':
			o.mapping = optarg;
			break;
		case 'h':
			migrate_usage(stdout);
			return EXIT_OK;
		default:
			migrate_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		migrate_usage(stderr);
		return EXIT_USAGE;
	}
	if (o.user != NULL && !ps_user_id_valid(o.user)) {
		fprintf(stderr, "pairstore migrate: --user: invalid user id "
		    "(1 to 64 of A-Z a-z 0-9 _ . -)\n");
		return EXIT_USAGE;
	}
	if (o.delete_source && o.dry_run) {
		fprintf(stderr, "pairstore migrate: --dry-run deletes "
		    "nothing; drop one of them\n");
		return EXIT_USAGE;
	}
	if (tool_setup(&cfg) < 0)
		return EXIT_FAIL;
	o.progress_bar = isatty(STDERR_FILENO);
	o.out = stdout;
	o.log = stderr;
	rc = ps_migrate_run(cfg, &o, &sum, &err);
	ps_config_free(cfg);
	if (rc != PS_OK) {
		fprintf(stderr, "pairstore migrate: %s\n", err.msg);
		return EXIT_FAIL;
	}
	return sum.failed > 0 ? EXIT_FAIL : EXIT_OK;
}
