/*
 * ps_storage.h - the media storage chain (DESIGN.md, "Storage chain").
 *
 * An upload, once spooled (ps_spool.h), is offered to Cloudinary, then
 * Supabase Storage, then the local disk, and lands in exactly one of
 * them (DESIGN.md, invariant 5):
 *  - a backend whose settings are missing is skipped, with one warning
 *    per process ("Cloudinary not configured");
 *  - one that fails (no connection, time limit, 5xx, 420/429, bad JSON,
 *    refused size or credentials) is logged with the reason and the next
 *    one is tried;
 *  - a remote backend that failed BACKEND_FAILURES_TO_TRIP times in a row
 *    is skipped by every process for BACKEND_COOLDOWN_S (ps_breaker.h),
 *    then one upload probes it;
 *  - success logs "[CloudinaryStorage] Media uploaded: {path} -> {url}"
 *    (SupabaseStorage, LocalStorage likewise) and records the object in
 *    the user's media index (ps_media_index.h).
 * Objects are named <kind>/<userId>/<UTC time>-<96 random bits>.<ext>;
 * kind is allow-listed and type, MIME type and extension come from the
 * bytes (ps_sniff.h), never from what the client claimed.
 */
#ifndef PS_STORAGE_H
#define PS_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ps_config.h"
#include "ps_error.h"
#include "ps_redis.h"
#include "ps_spool.h"

#define PS_STORAGE_URL_MAX 1024
#define PS_STORAGE_ID_MAX 512
#define PS_STORAGE_KIND_MAX 32
/* "<kind>/<user>/<name>" with the longest kind, user id and name. */
#define PS_STORAGE_PATH_MAX 160
/* "20261130T014924Z-" + 24 hex digits + "." + extension. */
#define PS_STORAGE_NAME_MAX 64
/* Largest answer body read from a storage service. */
#define PS_STORAGE_MAX_ANSWER (64 * 1024)

/* What was stored, and where: the upload's answer and an index entry. */
typedef struct ps_storage_result {
	char url[PS_STORAGE_URL_MAX];
	char public_id[PS_STORAGE_ID_MAX];
	char backend[16];		/* "cloudinary", "supabase", "local" */
	char kind[PS_STORAGE_KIND_MAX];
	char path[PS_STORAGE_PATH_MAX];	/* kind/user/name */
	char resource_type[8];		/* image, video or raw */
	char mime[64];
	uint64_t bytes;
	char sha256[PS_SPOOL_SHA256_HEX];
	int64_t time_ms;		/* when it was stored */
} ps_storage_result;

/* ------------------------------------------------------------ the chain */

typedef struct ps_storage ps_storage;

/*
 * Read the storage settings.  Missing settings make a backend
 * "not configured"; malformed ones (a CLOUDINARY_URL that does not parse,
 * an unknown signature algorithm, a URL that is not http(s)) are
 * PS_E_CONFIG with a message saying what to fix.  r may be NULL: no
 * circuit breaker and no media index then.  The chain keeps r (not cfg).
 */
ps_code ps_storage_new(ps_storage **st, const ps_config *cfg, ps_redis *r,
    ps_err *err);
void ps_storage_free(ps_storage *st);

/*
 * Store a spooled upload for user under kind.  The spool is finished here
 * if the caller has not done it.  Errors: PS_E_INVALID (kind not allowed,
 * bad user id), PS_E_CONFIG (no backend configured), PS_E_TOO_LARGE when
 * every backend tried refused the size, else PS_E_BACKEND with each
 * backend's reason.  Never fails because Redis is down.
 */
ps_code ps_storage_store(ps_storage *st, ps_spool *spool, const char *kind,
    const char *user, ps_storage_result *res, ps_err *err);

/* The allow-list: deleted-messages, view-once, scheduled-status. */
int ps_storage_kind_valid(const char *kind);

/*
 * A fresh object name: "YYYYMMDDTHHMMSSZ-" + 24 hex digits of CSPRNG
 * randomness + "." + ext, into out (PS_STORAGE_NAME_MAX).  ext must be
 * 1 to 8 of [a-z0-9].
 */
ps_code ps_storage_unique_name(char *out, size_t sz, const char *ext,
    ps_err *err);

/* What the operator view shows for each backend, in chain order. */
typedef struct ps_storage_backend_status {
	const char *name;
	int configured;
	const char *missing;	/* when not configured: what is missing */
	const char *breaker;	/* closed, open, half-open, probing; off
				 * (local, or no Redis), unknown */
	int64_t failures;	/* in a row */
	int64_t open_ms;	/* time left in the cool-down */
} ps_storage_backend_status;

size_t ps_storage_backend_count(const ps_storage *st);
ps_code ps_storage_backend_status_of(ps_storage *st, size_t i,
    ps_storage_backend_status *out, ps_err *err);

/* ------------------------------------------------------------ backends */

/* What a backend is asked to store; every string is validated. */
typedef struct ps_storage_object {
	const char *kind;
	const char *user;
	const char *name;	/* unique name with its extension */
	const char *stem;	/* name without the extension */
	const char *path;	/* kind/user/name */
	const char *resource_type;
	const char *mime;
	const char *ext;
	const char *sha256;
	uint64_t bytes;
} ps_storage_object;

/*
 * The one backend interface.  open() reads the backend's settings: PS_OK
 * with *state set when configured, PS_OK with *state NULL and *missing
 * naming what is missing when not, PS_E_CONFIG when malformed.  store()
 * fills res->url and res->public_id; its error code tells the chain
 * whether the service itself is unwell (PS_E_BACKEND, PS_E_TIMEOUT,
 * PS_E_CONFIG count for the circuit breaker) or this object was refused
 * (PS_E_TOO_LARGE, PS_E_UNSUPPORTED, PS_E_INVALID, PS_E_CONFLICT do not).
 * Messages never contain a secret.
 */
typedef struct ps_storage_backend {
	const char *name;	/* "cloudinary": results, index, breaker */
	const char *tag;	/* "CloudinaryStorage": log lines */
	const char *title;	/* "Cloudinary": "<title> not configured" */
	int remote;		/* guarded by the circuit breaker */
	ps_code (*open)(void **state, const ps_config *cfg,
	    const char **missing, ps_err *err);
	ps_code (*store)(void *state, ps_spool *spool,
	    const ps_storage_object *obj, ps_storage_result *res,
	    ps_err *err);
	void (*close)(void *state);
} ps_storage_backend;

extern const ps_storage_backend ps_storage_cloudinary;
extern const ps_storage_backend ps_storage_supabase;
extern const ps_storage_backend ps_storage_local;

/* A chain of the given backends, in order (tests; the default chain is
 * Cloudinary, Supabase, local). */
ps_code ps_storage_new_with(ps_storage **st, const ps_config *cfg,
    ps_redis *r, const ps_storage_backend *const *backends, size_t n,
    ps_err *err);

#endif /* PS_STORAGE_H */
