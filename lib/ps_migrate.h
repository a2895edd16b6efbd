/*
 * ps_migrate.h - move the media of a Supabase Storage bucket to
 * Cloudinary (`pairstore migrate', issue 6).
 *
 * The bucket (SUPABASE_BUCKET) is listed recursively; each object under
 * <kind>/<userId>/ is downloaded into a spool (ps_spool.h, never whole in
 * memory), typed from its bytes (ps_sniff.h) and uploaded to Cloudinary
 * under the folder <kind>/<userId> with a public_id derived from the
 * source path alone: the file name's stem, cut to 60 characters, plus
 * "-" and 12 hex digits of the SHA-256 of the whole source path (raw
 * assets add the extension, as the backend does).  A rerun therefore
 * addresses the same asset, and two sources never share one.  Uploads
 * send overwrite=1: an upload that reached Cloudinary but was not
 * recorded (crash, kill) is simply replaced by the same bytes on the next
 * run instead of being refused as "existing".
 *
 * Success is recorded only when Cloudinary's "bytes" equals the spooled
 * size and the size the listing gave.  Then, in this order:
 *  1. one JSON line {"source_path","old_url","new_url","public_id",
 *     "bytes","status"} is appended to the mapping file (O_APPEND, one
 *     write(2) per line);
 *  2. one Lua script replaces the object's media index entry (matched by
 *     its old URL or Supabase path, or the new public_id) with the
 *     Cloudinary one, or adds it, and sets the progress hash
 *     {prefix}:migrate:<bucket> field <source path> to
 *     "done <public_id> <bytes>".
 * SIGINT and SIGTERM are held during both, so an interrupted run never
 * leaves one without the other; after a SIGKILL or crash between them
 * the object is migrated again and its mapping line appears twice (the
 * same public_id; the last line of a source path wins).
 *
 * Empty objects cannot be stored in Cloudinary ("Empty file"): they get a
 * mapping line with status "empty" and no new_url, the progress value
 * "empty", and are counted as skipped, never deleted.  Objects outside
 * <kind>/<userId>/ (unknown kind, bad user id) fail with that reason.
 *
 * Work is shared by N worker processes (fork(2)); the listing, made
 * before the fork, is inherited, and each worker takes the next index
 * from a counter in shared memory, so large and small objects spread
 * evenly.  Each worker has its own Redis connection and libcurl handles.
 * The parent only draws progress, forwards SIGINT/SIGTERM and, with
 * delete_source, deletes the verified sources once the workers are done.
 */
#ifndef PS_MIGRATE_H
#define PS_MIGRATE_H

#include <stdint.h>
#include <stdio.h>

#include "ps_config.h"
#include "ps_error.h"

#define PS_MIGRATE_MAX_CONCURRENCY 16
#define PS_MIGRATE_ATTEMPTS 3
/* Failures listed by name in the summary. */
#define PS_MIGRATE_SHOW_FAILED 20

typedef struct ps_migrate_opts {
	const char *prefix;	/* only paths starting with it; NULL: all */
	const char *user;	/* only <kind>/<user>/...; NULL: all */
	int has_since;
	int64_t since;		/* unix seconds: updated_at >= since */
	int64_t limit;		/* at most this many objects; 0: all */
	int dry_run;
	int concurrency;	/* 1..PS_MIGRATE_MAX_CONCURRENCY */
	int delete_source;
	const char *mapping;	/* mapping file (JSON lines) */
	int progress_bar;	/* redraw one line with \r; else lines */
	FILE *out;		/* dry-run listing and the summary */
	FILE *log;		/* progress */
} ps_migrate_opts;

typedef struct ps_migrate_summary {
	uint64_t listed;	/* objects matching the filters */
	uint64_t moved;		/* migrated by this run */
	uint64_t skipped;	/* done before, or empty */
	uint64_t failed;
	uint64_t deleted;	/* sources deleted (delete_source) */
	uint64_t bytes;		/* moved by this run */
	uint64_t pending_bytes;	/* dry run: what would move */
	int interrupted;
	double elapsed_s;
} ps_migrate_summary;

/*
 * Run a migration with the settings in cfg.  PS_OK means the run itself
 * worked (objects may still have failed: sum->failed); errors are
 * configuration, Redis or listing failures that stop it before any work.
 * The summary, with up to PS_MIGRATE_SHOW_FAILED failed objects and
 * their reasons, is written to o->out.
 */
ps_code ps_migrate_run(const ps_config *cfg, const ps_migrate_opts *o,
    ps_migrate_summary *sum, ps_err *err);

/* "2024-06-25", "2024-06-25T09:25:44Z", "...44.123+02:00" or unix
 * seconds ("1719307544") to unix seconds. */
ps_code ps_migrate_parse_time(const char *s, int64_t *out, ps_err *err);

/* The public_id stem for a source path (see above) into out (at least
 * 80 bytes). */
void ps_migrate_stem(const char *path, char *out, size_t sz);

#endif /* PS_MIGRATE_H */
