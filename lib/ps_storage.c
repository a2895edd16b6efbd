/* ps_storage.c - the backend chain; see ps_storage.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ps_breaker.h"
#include "ps_log.h"
#include "ps_media_index.h"
#include "ps_sniff.h"
#include "ps_storage.h"
#include "ps_util.h"

#define TAG "StorageChain"
#define MAX_BACKENDS 8
/* Bits of randomness in an object name: 96 (DESIGN.md asks for a
 * timestamp plus randomness; 64 bits would do, 96 costs nothing). */
#define NAME_RANDOM_BYTES 12

struct slot {
	const ps_storage_backend *be;
	void *state;		/* NULL: not configured */
	const char *missing;
};

struct ps_storage {
	struct slot slot[MAX_BACKENDS];
	size_t n;
	ps_redis *r;
	ps_breaker_conf breaker;
	int64_t index_max;
};

static const char *const kinds[] = {
	"deleted-messages", "view-once", "scheduled-status"
};

/* "Not configured" is said once per process per backend, however many
 * chains and uploads there are. */
static const ps_storage_backend *warned[MAX_BACKENDS];
static size_t nwarned;
/* "Redis not available" for the breaker and the index: at most once a
 * minute, not once per upload. */
#define REDIS_WARN_EVERY_MS 60000
static int64_t redis_warned_ms = -REDIS_WARN_EVERY_MS;

int
ps_storage_kind_valid(const char *kind)
{
	size_t i;

	if (kind == NULL)
		return 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return 1;
	return 0;
}

ps_code
ps_storage_unique_name(char *out, size_t sz, const char *ext, ps_err *err)
{
	char rnd[2 * NAME_RANDOM_BYTES + 1];
	struct timespec ts;
	struct tm tm;
	size_t i;
	ps_code rc;
	int n;

	for (i = 0; ext != NULL && ext[i] != '\0'; i++)
		if (i == 8 || !((ext[i] >= 'a' && ext[i] <= 'z') ||
		    (ext[i] >= '0' && ext[i] <= '9')))
			break;
	if (ext == NULL || i == 0 || ext[i] != '\0')
		return ps_err_set(err, PS_E_INTERNAL, "bad file extension");
	if ((rc = ps_random_hex(rnd, NAME_RANDOM_BYTES, err)) != PS_OK)
		return rc;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(out, sz, "%04d%02d%02dT%02d%02d%02dZ-%s.%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, rnd, ext);
	if (n < 0 || (size_t)n >= sz)
		return ps_err_set(err, PS_E_INTERNAL, "object name too long");
	return PS_OK;
}

ps_code
ps_storage_new_with(ps_storage **out, const ps_config *cfg, ps_redis *r,
    const ps_storage_backend *const *backends, size_t n, ps_err *err)
{
	ps_storage *st;
	ps_code rc;
	size_t i;

	*out = NULL;
	if (n > MAX_BACKENDS)
		return ps_err_set(err, PS_E_INTERNAL, "too many backends");
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	st->r = r;
	st->breaker.failures_to_trip = ps_config_int(cfg,
	    PS_CFG_BACKEND_FAILURES_TO_TRIP);
	st->breaker.cooldown_ms = ps_config_int(cfg,
	    PS_CFG_BACKEND_COOLDOWN_S) * 1000;
	/* A probe that dies leaves its guard behind only this long. */
	st->breaker.probe_ms = ps_config_int(cfg, PS_CFG_STORAGE_TIMEOUT_MS) +
	    ps_config_int(cfg, PS_CFG_STORAGE_CONNECT_TIMEOUT_MS) + 5000;
	st->index_max = ps_config_int(cfg, PS_CFG_MEDIA_INDEX_MAX);
	/* Secrets of every backend are masked in every later log line,
	 * whether or not the program registered them itself. */
	ps_config_register_secrets(cfg);
	for (i = 0; i < n; i++) {
		struct slot *s = &st->slot[st->n++];

		s->be = backends[i];
		rc = s->be->open(&s->state, cfg, &s->missing, err);
		if (rc != PS_OK) {
			ps_storage_free(st);
			return rc;
		}
	}
	*out = st;
	return PS_OK;
}

ps_code
ps_storage_new(ps_storage **st, const ps_config *cfg, ps_redis *r,
    ps_err *err)
{
	static const ps_storage_backend *const chain[] = {
		&ps_storage_cloudinary, &ps_storage_supabase,
		&ps_storage_local
	};

	return ps_storage_new_with(st, cfg, r, chain,
	    sizeof(chain) / sizeof(chain[0]), err);
}

void
ps_storage_free(ps_storage *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++)
		if (st->slot[i].state != NULL)
			st->slot[i].be->close(st->slot[i].state);
	free(st);
}

static void
warn_unconfigured(const struct slot *s)
{
	size_t i;

	for (i = 0; i < nwarned; i++)
		if (warned[i] == s->be)
			return;
	if (nwarned < MAX_BACKENDS)
		warned[nwarned++] = s->be;
	/* The first words are the message users know and grep for. */
	if (s->missing != NULL && *s->missing != '\0')
		ps_warn(s->be->tag, "%s not configured (%s)", s->be->title,
		    s->missing);
	else
		ps_warn(s->be->tag, "%s not configured", s->be->title);
}

/* Per upload: once Redis has failed, do not wait for it again. */
struct run {
	ps_storage *st;
	int redis_down;
};

static void
redis_failed(struct run *run, const ps_err *e)
{
	int64_t now = ps_mono_ms();

	run->redis_down = 1;
	if (now - redis_warned_ms >= REDIS_WARN_EVERY_MS) {
		redis_warned_ms = now;
		ps_warn(TAG, "circuit breakers and media index unavailable, "
		    "storing anyway: %s", e->msg);
	}
}

/* 1 when the backend may be tried; *probe when this is its probe. */
static int
breaker_allows(struct run *run, const struct slot *s, int *probe,
    int64_t *fails)
{
	ps_breaker_verdict v;
	int64_t wait_ms;
	ps_err e = {0};

	*probe = 0;
	*fails = 0;
	if (!s->be->remote || run->st->r == NULL || run->redis_down)
		return 1;
	if (ps_breaker_allow(run->st->r, s->be->name, &run->st->breaker, &v,
	    fails, &wait_ms, &e) != PS_OK) {
		/* Fail open: an upload must not fail because Redis is
		 * down. */
		redis_failed(run, &e);
		return 1;
	}
	if (v == PS_BREAKER_SKIP) {
		ps_info(s->be->tag, "%s skipped: failed %lld times in a row, "
		    "next try in %lld s", s->be->title, (long long)*fails,
		    (long long)((wait_ms + 999) / 1000));
		return 0;
	}
	if (v == PS_BREAKER_PROBE) {
		*probe = 1;
		ps_info(s->be->tag, "%s cool-down over: this upload probes it",
		    s->be->title);
	}
	return 1;
}

static void
breaker_record(struct run *run, const struct slot *s, ps_code rc,
    int probe, int64_t fails)
{
	ps_err e = {0};
	int tripped;
	int64_t now;

	if (!s->be->remote || run->st->r == NULL || run->redis_down)
		return;
	if (rc == PS_OK) {
		if (fails == 0 && !probe)
			return;		/* nothing to reset: no round trip */
		if (ps_breaker_success(run->st->r, s->be->name, &e) != PS_OK)
			redis_failed(run, &e);
		else if (probe)
			ps_info(s->be->tag, "%s is back", s->be->title);
		return;
	}
	/* Only a failure of the service counts, not a refused object. */
	if (rc != PS_E_BACKEND && rc != PS_E_TIMEOUT && rc != PS_E_CONFIG)
		return;
	if (ps_breaker_failure(run->st->r, s->be->name, &run->st->breaker,
	    &tripped, &now, &e) != PS_OK) {
		redis_failed(run, &e);
		return;
	}
	if (tripped)
		ps_warn(s->be->tag, "%s failed %lld times in a row: every "
		    "process skips it for %lld s", s->be->title,
		    (long long)now,
		    (long long)(run->st->breaker.cooldown_ms / 1000));
}

static void
index_add(struct run *run, const char *user, const ps_storage_result *res)
{
	ps_err e = {0};

	if (run->st->r == NULL || run->redis_down)
		return;
	if (ps_media_index_add(run->st->r, user, res, run->st->index_max,
	    NULL, &e) != PS_OK) {
		if (e.code == PS_E_REDIS)
			redis_failed(run, &e);
		else
			ps_warn(TAG, "media index not updated for %s: %s",
			    res->path, e.msg);
	}
}

/* The next configured backend's title after slot i, for log lines. */
static const char *
next_title(const ps_storage *st, size_t i)
{
	for (i++; i < st->n; i++)
		if (st->slot[i].state != NULL)
			return st->slot[i].be->title;
	return NULL;
}

static void
copy(char *dst, size_t sz, const char *src)
{
	snprintf(dst, sz, "%s", src);
}

ps_code
ps_storage_store(ps_storage *st, ps_spool *spool, const char *kind,
    const char *user, ps_storage_result *res, ps_err *err)
{
	char name[PS_STORAGE_NAME_MAX], stem[PS_STORAGE_NAME_MAX];
	char path[PS_STORAGE_PATH_MAX], reasons[PS_ERR_MSG_MAX];
	struct run run = {st, 0};
	ps_storage_object obj;
	ps_sniff_result sn;
	const unsigned char *head;
	size_t headlen, i, tried = 0, off = 0;
	ps_code rc, last = PS_OK;
	int same = 1;

	memset(res, 0, sizeof(*res));
	if (!ps_storage_kind_valid(kind))
		return ps_err_set(err, PS_E_INVALID, "kind must be one of "
		    "deleted-messages, view-once, scheduled-status");
	if (!ps_user_id_valid(user))
		return ps_err_set(err, PS_E_INVALID,
		    "invalid user id (1 to 64 of A-Z a-z 0-9 _ . -)");
	if ((rc = ps_spool_finish(spool, err)) != PS_OK)
		return rc;
	head = ps_spool_head(spool, &headlen);
	sn = ps_sniff(head, headlen);
	if ((rc = ps_storage_unique_name(name, sizeof(name), sn.ext, err)) !=
	    PS_OK)
		return rc;
	copy(stem, sizeof(stem), name);
	stem[strcspn(stem, ".")] = '\0';
	snprintf(path, sizeof(path), "%s/%s/%s", kind, user, name);

	obj.kind = kind;
	obj.user = user;
	obj.name = name;
	obj.stem = stem;
	obj.path = path;
	obj.resource_type = sn.resource_type;
	obj.mime = sn.mime;
	obj.ext = sn.ext;
	obj.sha256 = ps_spool_sha256(spool);
	obj.bytes = ps_spool_size(spool);

	reasons[0] = '\0';
	for (i = 0; i < st->n; i++) {
		struct slot *s = &st->slot[i];
		const char *next;
		int probe;
		int64_t fails;
		ps_err e = {0};

		if (s->state == NULL) {
			warn_unconfigured(s);
			continue;
		}
		if (!breaker_allows(&run, s, &probe, &fails))
			continue;
		memset(res, 0, sizeof(*res));
		tried++;
		rc = s->be->store(s->state, spool, &obj, res, &e);
		if (rc == PS_OK) {
			copy(res->backend, sizeof(res->backend), s->be->name);
			copy(res->kind, sizeof(res->kind), kind);
			copy(res->path, sizeof(res->path), path);
			copy(res->resource_type, sizeof(res->resource_type),
			    sn.resource_type);
			copy(res->mime, sizeof(res->mime), sn.mime);
			copy(res->sha256, sizeof(res->sha256), obj.sha256);
			res->bytes = obj.bytes;
			res->time_ms = ps_now_ms();
			/* DESIGN.md, "Log lines": users grep for this. */
			ps_info(s->be->tag, "Media uploaded: %s -> %s", path,
			    res->url);
			breaker_record(&run, s, rc, probe, fails);
			index_add(&run, user, res);
			return PS_OK;
		}
		next = next_title(st, i);
		ps_warn(s->be->tag, "upload of %s failed: %s; %s", path, e.msg,
		    next != NULL ? "trying the next backend" :
		    "no backend left");
		breaker_record(&run, s, rc, probe, fails);
		if (last != PS_OK && rc != last)
			same = 0;
		last = rc;
		if (off < sizeof(reasons))
			off += (size_t)snprintf(reasons + off,
			    sizeof(reasons) - off, "%s%s", off > 0 ? "; " : "",
			    e.msg);
	}
	memset(res, 0, sizeof(*res));
	if (tried == 0) {
		for (i = 0; i < st->n; i++)
			if (st->slot[i].state != NULL)
				break;
		if (i == st->n)
			return ps_err_set(err, PS_E_CONFIG,
			    "no storage backend is configured");
		return ps_err_set(err, PS_E_BACKEND, "every storage backend "
		    "is failing and skipped for now");
	}
	/* Every backend refused the size: the client's problem (413). */
	if (same && last == PS_E_TOO_LARGE)
		return ps_err_set(err, PS_E_TOO_LARGE, "%s", reasons);
	return ps_err_set(err, PS_E_BACKEND, "%s", reasons);
}

size_t
ps_storage_backend_count(const ps_storage *st)
{
	return st->n;
}

ps_code
ps_storage_backend_status_of(ps_storage *st, size_t i,
    ps_storage_backend_status *out, ps_err *err)
{
	const struct slot *s;
	ps_breaker_info info;
	ps_code rc;

	memset(out, 0, sizeof(*out));
	if (i >= st->n)
		return ps_err_set(err, PS_E_NOT_FOUND, "no backend %zu", i);
	s = &st->slot[i];
	out->name = s->be->name;
	out->configured = s->state != NULL;
	out->missing = s->missing;
	out->breaker = "off";
	if (!s->be->remote || st->r == NULL || s->state == NULL)
		return PS_OK;
	rc = ps_breaker_inspect(st->r, s->be->name, &st->breaker, &info,
	    err);
	if (rc != PS_OK) {
		out->breaker = "unknown";
		return rc;
	}
	out->breaker = info.state;
	out->failures = info.fails;
	out->open_ms = info.open_ms;
	return PS_OK;
}
