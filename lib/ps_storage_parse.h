/*
 * ps_storage_parse.h - what the remote storage backends make of a
 * service's answer: an HTTP status and a body in, the result or the
 * error the request returns out.  No I/O: the backends (and `pairstore
 * migrate') call these on the answer they read, and the fuzz harness
 * tests/fuzz/fuzz_storage_parse.c calls them on made-up ones.
 *
 * The rules every function here keeps:
 *  - PS_OK only for HTTP 200 and the answer's expected shape;
 *  - an error's message is "<service>: " and fixed words, the status,
 *    and at most PS_STORAGE_QUOTE_MAX bytes of the service's own message
 *    (plus PS_STORAGE_QUOTE_CODE_MAX of Supabase's error code), quoted
 *    through ps_shttp_quote: nothing else of the body, no control byte;
 *  - the code tells the chain whether the service is unwell
 *    (PS_E_BACKEND, PS_E_CONFIG) or the object was refused
 *    (PS_E_TOO_LARGE, PS_E_UNSUPPORTED, PS_E_INVALID, PS_E_CONFLICT),
 *    see ps_storage.h;
 *  - res and ans are written only on PS_OK;
 *  - body[0..len) need not be NUL-terminated; body may be NULL if len
 *    is 0.  The same answer always gives the same result.
 */
#ifndef PS_STORAGE_PARSE_H
#define PS_STORAGE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "ps_error.h"
#include "ps_storage.h"

/* How much of a service's message, and of Supabase's error code, an
 * error message quotes. */
#define PS_STORAGE_QUOTE_MAX 160
#define PS_STORAGE_QUOTE_CODE_MAX 40

/* What `pairstore migrate' checks of a Cloudinary upload. */
typedef struct ps_cld_answer {
	int64_t bytes;		/* "bytes" of the final answer; -1: none */
	char etag[64];		/* "etag", "" when absent, quoted */
} ps_cld_answer;

/*
 * A Cloudinary upload answer (PROTOCOLS.md, "Cloudinary Upload API").
 * With res: the final answer; PS_OK for a 200 JSON object without
 * "error" or "existing": true, whose secure_url is http(s), fits
 * res->url and holds no blank, quote or angle bracket, and whose
 * public_id fits res->public_id; both are copied to res, and to ans
 * (may be NULL) "bytes" and "etag".  With res NULL: the answer to an
 * intermediate chunk of a chunked upload, PS_OK for any 200 JSON object
 * without "error".  Errors follow {"error":{"message"}} and the status:
 * 400 PS_E_INVALID (PS_E_TOO_LARGE "File size too large", PS_E_CONFIG
 * "Stale request", PS_E_UNSUPPORTED for a file it cannot read),
 * 401/403/404 PS_E_CONFIG, "existing" PS_E_CONFLICT, else PS_E_BACKEND.
 */
ps_code ps_cld_parse_answer(long status, const char *body, size_t len,
    ps_storage_result *res, ps_cld_answer *ans, ps_err *err);

/*
 * A Supabase Storage upload answer (PROTOCOLS.md, "Supabase Storage
 * REST API"): PS_OK for a 200 JSON object with a string "Key".  Errors
 * come as HTTP 400 with the real code as "statusCode" (a string, or a
 * number from older servers): 409 PS_E_CONFLICT, 413 PS_E_TOO_LARGE,
 * 400 PS_E_INVALID, 401/403/404 PS_E_CONFIG, else PS_E_BACKEND.  Any
 * other request's error answer (a download's) reads the same way.
 */
ps_code ps_sb_parse_answer(long status, const char *body, size_t len,
    ps_err *err);

/*
 * A Supabase list or delete answer: PS_OK and *rows (the caller puts
 * it) for a 200 JSON array, else *rows NULL and the error as
 * ps_sb_parse_answer reads it.
 */
ps_code ps_sb_parse_list(long status, const char *body, size_t len,
    json_object **rows, ps_err *err);

#endif /* PS_STORAGE_PARSE_H */
