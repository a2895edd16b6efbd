/*
 * ps_migrate_io.h - the two entry points `pairstore migrate' needs from
 * the storage backends beyond the ps_storage_backend interface.  The
 * state pointers are the ones the backends' open() returned.
 *
 *  - ps_cloudinary_upload: the Cloudinary backend's store(), with the
 *    overwrite flag chosen by the caller (the chain always sends
 *    overwrite=0) and the size and etag Cloudinary reports, so the
 *    migration can verify what arrived.  Chunking is the backend's.
 *  - ps_supabase_conn_of: the Supabase backend's connection (its libcurl
 *    handle, base URL, bucket and ready-made key headers), so listing,
 *    downloading and deleting reuse the same validated settings and safe
 *    request set-up.  Its answers are read by ps_sb_parse_answer and
 *    ps_sb_parse_list (ps_storage_parse.h), as the backend's are.
 */
#ifndef PS_MIGRATE_IO_H
#define PS_MIGRATE_IO_H

#include <stdint.h>

#include <json-c/json.h>

#include "ps_error.h"
#include "ps_spool.h"
#include "ps_storage.h"
#include "ps_storage_http.h"
#include "ps_storage_parse.h"

ps_code ps_cloudinary_upload(void *state, ps_spool *spool,
    const ps_storage_object *obj, int overwrite, ps_storage_result *res,
    ps_cld_answer *ans, ps_err *err);

typedef struct ps_supabase_conn {
	ps_shttp *http;
	const char *base;	/* SUPABASE_URL without a final / */
	const char *bucket;
	const char *auth;	/* "Authorization: Bearer <key>" */
	const char *apikey;	/* "apikey: <key>" */
} ps_supabase_conn;

void ps_supabase_conn_of(void *state, ps_supabase_conn *out);

#endif /* PS_MIGRATE_IO_H */
