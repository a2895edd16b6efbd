/*
 * ps_media_index.h - every stored object, per user, in Redis, so
 * operators and the migration tool can find what was stored where.
 *
 * {prefix}:media:<userId> is a sorted set scored by the time the object
 * was stored (ms); each member is one JSON object
 *   {"kind","backend","url","public_id","path","bytes","sha256","mime",
 *    "resource_type","time"}
 * Only the newest MEDIA_INDEX_MAX entries of a user are kept.  The users
 * with entries are in the set {prefix}:media-users.  Adding is one
 * round trip (one Lua script).
 */
#ifndef PS_MEDIA_INDEX_H
#define PS_MEDIA_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "ps_error.h"
#include "ps_redis.h"
#include "ps_storage.h"

/* Most entries one list call returns. */
#define PS_MEDIA_LIST_MAX 1000

/* Record res (its kind, backend, url, ... and time_ms) for user; keep the
 * newest max_entries; *count (may be NULL) is the user's entries after. */
ps_code ps_media_index_add(ps_redis *r, const char *user,
    const ps_storage_result *res, int64_t max_entries, int64_t *count,
    ps_err *err);

/*
 * Call fn for up to limit (<= PS_MEDIA_LIST_MAX) of user's entries,
 * newest first, skipping the first offset; a non-zero return from fn
 * stops the walk.  *total (may be NULL) is the user's entry count.
 * An entry that does not parse is skipped (and counted in *bad, which
 * may be NULL).
 */
typedef int (*ps_media_fn)(const ps_storage_result *e, void *arg);
ps_code ps_media_index_list(ps_redis *r, const char *user, size_t offset,
    size_t limit, ps_media_fn fn, void *arg, int64_t *total, size_t *bad,
    ps_err *err);

/* One entry's JSON to and from a ps_storage_result (exposed for tests
 * and tools).  The JSON is allocated; free() it. */
ps_code ps_media_entry_json(const ps_storage_result *e, char **json,
    ps_err *err);
ps_code ps_media_entry_parse(const char *json, size_t len,
    ps_storage_result *e, ps_err *err);

#endif /* PS_MEDIA_INDEX_H */
