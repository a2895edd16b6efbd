/* ps_migrate.c - see ps_migrate.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ps_log.h"
#include "ps_media_index.h"
#include "ps_migrate.h"
#include "ps_migrate_io.h"
#include "ps_redis.h"
#include "ps_sniff.h"
#include "ps_storage.h"
#include "ps_storage_http.h"
#include "ps_storage_parse.h"
#include "ps_util.h"

#define TAG "Migrate"
/* Objects per list request (the server's cap) and per delete request. */
#define LIST_PAGE 1000
#define DELETE_BATCH 1000
/* Largest list or delete answer read (1000 rows of about 400 bytes). */
#define LIST_MAX_ANSWER (16 * 1024 * 1024)
#define MAX_DEPTH 32
#define KEY_MAX 1024		/* Supabase's own limit on object names */
#define REASON_MAX 200
#define STEM_MAX 60
#define HASH_HEX 12
#define BACKOFF_MS 500
#define HMGET_BATCH 500

enum slot_state {
	SLOT_PENDING = 0,
	SLOT_MOVED,
	SLOT_FAILED,
	SLOT_EMPTY,
	SLOT_SKIPPED		/* done by an earlier run */
};

struct item {
	char *path;
	int64_t size;		/* from the listing; -1 unknown */
	int64_t time_s;		/* updated_at (else created_at); 0 unknown */
	char md5[33];		/* the listing's eTag when it is an MD5 */
};

/* Per-object results, written by workers, read by the parent. */
struct slot {
	_Atomic int state;
	char reason[REASON_MAX];
};

/* Shared between the parent and the workers (MAP_SHARED). */
struct shared {
	atomic_ullong next;	/* next index of work[] to take */
	atomic_ullong done;	/* objects finished (any outcome) */
	atomic_ullong moved, failed, empty;
	atomic_ullong bytes;	/* bytes finished (any outcome) */
	atomic_ullong moved_bytes;
};

struct run {
	const ps_config *cfg;
	const ps_migrate_opts *o;
	void *sb;			/* Supabase backend state */
	ps_supabase_conn conn;
	ps_redis *r;
	char progress_key[512];
	struct item *items;
	size_t nitems, cap;
	size_t *work;			/* indexes of items to migrate */
	size_t nwork;
	struct slot *slots;		/* per item, shared */
	struct shared *sh;
	size_t shared_len;
	int map_fd;
	uint64_t spool_max;
};

/* ------------------------------------------------------------ helpers */

ps_code
ps_migrate_parse_time(const char *s, int64_t *out, ps_err *err)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, oh, om;
	const char *p;
	int64_t t;

	if (s[0] != '\0' && strspn(s, "0123456789") == strlen(s)) {
		if (ps_parse_i64(s, strlen(s), out) != 0)
			goto bad;
		return PS_OK;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		goto bad;
	p = s + n;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		n = 0;
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 ||
		    n != 8)
			goto bad;
		p += 1 + n;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				continue;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || y < 1970)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		n = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
			goto bad;
		t += (*p == '+' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
		p += 1 + n;
	}
	if (*p != '\0')
		goto bad;
	*out = t;
	return PS_OK;
bad:
	return ps_err_set(err, PS_E_INVALID, "not a date: use ISO 8601 "
	    "(2024-06-25 or 2024-06-25T09:25:44Z) or unix seconds");
}

void
ps_migrate_stem(const char *path, char *out, size_t sz)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	const char *base, *dot;
	size_t n, i, o = 0;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	n = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
	if (n > STEM_MAX)
		n = STEM_MAX;
	/* Cloudinary refuses ? & # \ % < > + in a public_id; keep a plain
	 * set, the hash keeps names apart. */
	for (i = 0; i < n && o + 1 < sz; i++) {
		unsigned char c = (unsigned char)base[i];
		out[o++] = isalnum(c) || c == '_' || c == '-' ? (char)c : '_';
	}
	SHA256((const unsigned char *)path, strlen(path), md);
	ps_hex(md, sizeof(md), hex);
	snprintf(out + o, sz - o, "%s%.*s", o > 0 ? "-" : "", HASH_HEX,
	    hex);
}

/* Percent-encode an object name for a URL path; '/' stays. */
static int
encode_path(const char *in, char *out, size_t sz)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;

		if (isalnum(c) || strchr("/-._~", c) != NULL) {
			if (o + 1 >= sz)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= sz)
				return -1;
			out[o++] = '%';
			out[o++] = hx[c >> 4];
			out[o++] = hx[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* A growing answer buffer, capped. */
struct abuf {
	char *p;
	size_t len, cap;
	int over;
};

static size_t
abuf_write(char *data, size_t size, size_t n, void *arg)
{
	struct abuf *b = arg;
	size_t len = size * n, ncap;
	char *np;

	if (len > LIST_MAX_ANSWER - b->len) {
		b->over = 1;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		ncap = b->cap == 0 ? 65536 : b->cap;
		while (ncap < b->len + len + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->over = 1;
			return 0;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/*
 * One JSON request to Supabase (list: POST, delete: DELETE) whose answer
 * is an array; *out is it on PS_OK.
 */
static ps_code
sb_json(struct run *m, const char *method, const char *url,
    const char *body, json_object **out, ps_err *err)
{
	struct curl_slist *h = NULL, *l;
	const char *hs[3];
	struct abuf b = {NULL, 0, 0, 0};
	CURL *easy = NULL;
	long status;
	ps_code rc;
	int bad = 0, i;

	*out = NULL;
	hs[0] = m->conn.auth;
	hs[1] = m->conn.apikey;
	hs[2] = "Content-Type: application/json";
	for (i = 0; i < 3 && !bad; i++) {
		if ((l = curl_slist_append(h, hs[i])) == NULL)
			bad = 1;
		else
			h = l;
	}
	if (bad) {
		curl_slist_free_all(h);
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	}
	if ((rc = ps_shttp_begin(m->conn.http, url, &easy, err)) != PS_OK)
		goto out;
	/* Our own buffer: a page of 1000 rows is longer than the shared
	 * one. */
	bad |= curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, abuf_write) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_WRITEDATA, &b) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)LIST_MAX_ANSWER) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body) != CURLE_OK;
	bad |= curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h) != CURLE_OK;
	if (bad) {
		rc = ps_err_set(err, PS_E_INTERNAL,
		    "libcurl refused an option");
		goto out;
	}
	rc = ps_shttp_perform(m->conn.http, "Supabase", &status, err);
	if (b.over) {
		rc = ps_err_set(err, PS_E_BACKEND, "Supabase: answer longer "
		    "than %d bytes", LIST_MAX_ANSWER);
		goto out;
	}
	if (rc != PS_OK)
		goto out;
	rc = ps_sb_parse_list(status, b.p, b.len, out, err);
out:
	if (easy != NULL) {
		(void)curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
		(void)curl_easy_setopt(easy, CURLOPT_WRITEDATA, NULL);
	}
	curl_slist_free_all(h);
	free(b.p);
	return rc;
}

/* ------------------------------------------------------------ listing */

static int
starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* The n-th (0-based) segment of path equals want. */
static int
segment_is(const char *path, int n, const char *want)
{
	const char *s = path, *e;

	while (n-- > 0) {
		if ((s = strchr(s, '/')) == NULL)
			return 0;
		s++;
	}
	e = strchr(s, '/');
	if (e == NULL)
		return 0;	/* a folder segment: followed by '/' */
	return (size_t)(e - s) == strlen(want) &&
	    strncmp(s, want, strlen(want)) == 0;
}

/* Might something under folder dir ("a/b/") match the filters? */
static int
folder_wanted(const ps_migrate_opts *o, const char *dir)
{
	const char *p = o->prefix;

	if (p != NULL && *p != '\0' && !starts(p, dir) && !starts(dir, p))
		return 0;
	/* dir is "<kind>/<user>/...": the second segment is the user. */
	if (o->user != NULL && strchr(dir, '/') != strrchr(dir, '/') &&
	    !segment_is(dir, 1, o->user))
		return 0;
	return 1;
}

static int
file_wanted(const ps_migrate_opts *o, const char *path, int64_t t)
{
	if (o->prefix != NULL && !starts(path, o->prefix))
		return 0;
	if (o->user != NULL && !segment_is(path, 1, o->user))
		return 0;
	if (o->has_since && t < o->since)
		return 0;
	return 1;
}

static int64_t
entry_time(json_object *e)
{
	const char *s = ps_shttp_json_str(e, "updated_at");
	int64_t t;

	if (s == NULL)
		s = ps_shttp_json_str(e, "created_at");
	if (s == NULL || ps_migrate_parse_time(s, &t, NULL) != PS_OK)
		return 0;
	return t;
}

static int
is_md5(const char *s, size_t n)
{
	return n == 32 && strspn(s, "0123456789abcdef") >= 32;
}

/* metadata.eTag "\"<32 hex>\"": the MD5 of a single-part upload. */
static void
entry_md5(json_object *e, char *out)
{
	json_object *md;
	const char *t;
	size_t n;

	out[0] = '\0';
	if (!json_object_object_get_ex(e, "metadata", &md) ||
	    (t = ps_shttp_json_str(md, "eTag")) == NULL)
		return;
	n = strlen(t);
	if (n == 34 && t[0] == '"' && t[33] == '"') {
		t++;
		n -= 2;
	}
	if (is_md5(t, n)) {
		memcpy(out, t, 32);
		out[32] = '\0';
	}
}

static int64_t
entry_size(json_object *e)
{
	json_object *md, *v;

	if (!json_object_object_get_ex(e, "metadata", &md) ||
	    !json_object_is_type(md, json_type_object))
		return -1;
	if ((json_object_object_get_ex(md, "size", &v) ||
	    json_object_object_get_ex(md, "contentLength", &v)) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return -1;
}

static ps_code
add_item(struct run *m, const char *path, int64_t size, int64_t t,
    json_object *e, ps_err *err)
{
	struct item *ni;
	size_t ncap;

	if (m->nitems == m->cap) {
		ncap = m->cap == 0 ? 1024 : m->cap * 2;
		if ((ni = realloc(m->items, ncap * sizeof(*ni))) == NULL)
			return ps_err_set(err, PS_E_NOMEM, "out of memory");
		m->items = ni;
		m->cap = ncap;
	}
	if ((m->items[m->nitems].path = strdup(path)) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	m->items[m->nitems].size = size;
	m->items[m->nitems].time_s = t;
	entry_md5(e, m->items[m->nitems].md5);
	m->nitems++;
	return PS_OK;
}

static ps_code list_dir(struct run *m, const char *dir, int depth,
    ps_err *err);

/* One row of a listing: a folder (id null) is listed in turn. */
static ps_code
list_entry(struct run *m, const char *dir, json_object *e, int depth,
    ps_err *err)
{
	char child[KEY_MAX + 2];
	const char *name;
	json_object *id;
	int64_t t;

	if ((name = ps_shttp_json_str(e, "name")) == NULL || *name == '\0' ||
	    strlen(dir) + strlen(name) + 2 > sizeof(child))
		return PS_OK;
	/* A placeholder some clients create in empty folders. */
	if (strcmp(name, ".emptyFolderPlaceholder") == 0)
		return PS_OK;
	snprintf(child, sizeof(child), "%s%s", dir, name);
	if (!json_object_object_get_ex(e, "id", &id) || id == NULL) {
		strcat(child, "/");
		if (!folder_wanted(m->o, child))
			return PS_OK;
		return list_dir(m, child, depth + 1, err);
	}
	t = entry_time(e);
	if (!file_wanted(m->o, child, t))
		return PS_OK;
	return add_item(m, child, entry_size(e), t, e, err);
}

static ps_code
list_dir(struct run *m, const char *dir, int depth, ps_err *err)
{
	char url[1024];
	json_object *req, *arr, *sort;
	size_t i, n, off = 0;
	ps_code rc;

	if (depth > MAX_DEPTH)
		return ps_err_set(err, PS_E_INVALID, "folders nested deeper "
		    "than %d levels under '%.200s'", MAX_DEPTH, dir);
	snprintf(url, sizeof(url), "%s/storage/v1/object/list/%s",
	    m->conn.base, m->conn.bucket);
	for (;;) {
		req = json_object_new_object();
		sort = json_object_new_object();
		if (req == NULL || sort == NULL) {
			json_object_put(req);
			json_object_put(sort);
			return ps_err_set(err, PS_E_NOMEM, "out of memory");
		}
		json_object_object_add(req, "prefix",
		    json_object_new_string(dir));
		json_object_object_add(req, "limit",
		    json_object_new_int(LIST_PAGE));
		json_object_object_add(req, "offset",
		    json_object_new_int64((int64_t)off));
		json_object_object_add(sort, "column",
		    json_object_new_string("name"));
		json_object_object_add(sort, "order",
		    json_object_new_string("asc"));
		json_object_object_add(req, "sortBy", sort);
		rc = sb_json(m, "POST", url,
		    json_object_to_json_string_ext(req,
		    JSON_C_TO_STRING_PLAIN), &arr, err);
		json_object_put(req);
		if (rc != PS_OK) {
			ps_err_prefix(err, "listing '%.200s'", dir);
			return rc;
		}
		n = json_object_array_length(arr);
		for (i = 0; i < n && rc == PS_OK; i++)
			rc = list_entry(m, dir, json_object_array_get_idx(arr,
			    i), depth, err);
		json_object_put(arr);
		if (rc != PS_OK)
			return rc;
		if (n < LIST_PAGE)
			return PS_OK;
		off += n;
	}
}

/* ------------------------------------------------------------ progress */

/*
 * A progress value still describes the object of that size: "done
 * <public_id> <bytes>" or "empty".  An object replaced in the bucket by
 * one of another size since is migrated again (to the same public_id)
 * and never deleted on the strength of the old copy.
 */
static int
still_done(const char *v, int64_t size)
{
	const char *sp;
	int64_t b;

	if (strcmp(v, "empty") == 0)
		return size <= 0;
	if (strncmp(v, "done ", 5) != 0 || (sp = strrchr(v, ' ')) == NULL ||
	    ps_parse_i64(sp + 1, strlen(sp + 1), &b) != 0)
		return 0;
	return size < 0 || b == size;
}

static ps_code
read_progress(struct run *m, ps_err *err)
{
	const char **argv;
	redisReply *rep;
	size_t i, j, n;
	ps_code rc = PS_OK;

	if ((argv = calloc(HMGET_BATCH + 2, sizeof(*argv))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	argv[0] = "HMGET";
	argv[1] = m->progress_key;
	for (i = 0; i < m->nitems; i += n) {
		n = m->nitems - i < HMGET_BATCH ? m->nitems - i : HMGET_BATCH;
		for (j = 0; j < n; j++)
			argv[2 + j] = m->items[i + j].path;
		if ((rc = ps_redis_argv(m->r, &rep, (int)n + 2, argv, NULL,
		    err)) != PS_OK)
			break;
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == n)
			for (j = 0; j < n; j++) {
				redisReply *v = rep->element[j];

				if (v->type == REDIS_REPLY_STRING &&
				    still_done(v->str, m->items[i + j].size))
					m->slots[i + j].state = SLOT_SKIPPED;
			}
		freeReplyObject(rep);
	}
	free(argv);
	return rc;
}

/* ------------------------------------------------------------ worker */

/* KEYS media:<user>, media-users, progress hash; ARGV entry JSON, score,
 * source path, old url, max entries, user, progress value, public_id. */
static const char record_lua[] =
    "local found = 0\n"
    "for _, v in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  local ok, e = pcall(cjson.decode, v)\n"
    "  if ok and type(e) == 'table' and (e.url == ARGV[4] or\n"
    "      (e.backend == 'supabase' and e.path == ARGV[3]) or\n"
    "      (e.backend == 'cloudinary' and e.public_id == ARGV[8])) then\n"
    "    redis.call('ZREM', KEYS[1], v)\n"
    "    found = found + 1\n"
    "  end\n"
    "end\n"
    "redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])\n"
    "local n = redis.call('ZCARD', KEYS[1])\n"
    "local max = tonumber(ARGV[5])\n"
    "if n > max then\n"
    "  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1)\n"
    "end\n"
    "redis.call('SADD', KEYS[2], ARGV[6])\n"
    "redis.call('HSET', KEYS[3], ARGV[3], ARGV[7])\n"
    "return found\n";

static ps_redis_script record_script;

struct worker {
	struct run *m;
	void *cld;		/* Cloudinary backend state */
	ps_supabase_conn conn;	/* this process's own */
	void *sb;
};

struct dl {
	CURL *easy;
	ps_spool *spool;
	long status;
	int spool_failed;
	ps_err serr;
	struct abuf ebuf;	/* an error answer */
};

static size_t
dl_write(char *data, size_t size, size_t n, void *arg)
{
	struct dl *d = arg;
	size_t len = size * n;

	if (d->status == 0)
		(void)curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE,
		    &d->status);
	if (d->status != 200) {
		/* Keep a little of an error answer, drop the rest. */
		if (d->ebuf.len < 4096)
			(void)abuf_write(data, 1, len, &d->ebuf);
		return len;
	}
	if (ps_spool_write(d->spool, data, len, &d->serr) != PS_OK) {
		d->spool_failed = 1;
		return 0;
	}
	return len;
}

static ps_code
download(struct worker *w, const struct item *it, ps_spool *spool,
    ps_err *err)
{
	char url[KEY_MAX * 3 + 600], enc[KEY_MAX * 3 + 1];
	struct curl_slist *h = NULL, *l;
	struct dl d;
	long status;
	ps_code rc;
	int bad = 0;

	memset(&d, 0, sizeof(d));
	if (encode_path(it->path, enc, sizeof(enc)) < 0)
		return ps_err_set(err, PS_E_INVALID, "name too long");
	snprintf(url, sizeof(url), "%s/storage/v1/object/%s/%s",
	    w->conn.base, w->conn.bucket, enc);
	if ((l = curl_slist_append(h, w->conn.auth)) != NULL)
		h = l;
	if (l == NULL || (l = curl_slist_append(h, w->conn.apikey)) == NULL) {
		curl_slist_free_all(h);
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	}
	h = l;
	if ((rc = ps_shttp_begin(w->conn.http, url, &d.easy, err)) != PS_OK)
		goto out;
	d.spool = spool;
	bad |= curl_easy_setopt(d.easy, CURLOPT_WRITEFUNCTION, dl_write) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(d.easy, CURLOPT_WRITEDATA, &d) != CURLE_OK;
	bad |= curl_easy_setopt(d.easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)w->m->spool_max) != CURLE_OK;
	bad |= curl_easy_setopt(d.easy, CURLOPT_HTTPHEADER, h) != CURLE_OK;
	if (bad) {
		rc = ps_err_set(err, PS_E_INTERNAL,
		    "libcurl refused an option");
		goto out;
	}
	rc = ps_shttp_perform(w->conn.http, "Supabase download", &status,
	    err);
	if (d.spool_failed) {
		rc = ps_err_set(err, d.serr.code, "Supabase download: %s",
		    d.serr.msg);
		goto out;
	}
	if (rc != PS_OK)
		goto out;
	if (status != 200) {
		rc = ps_sb_parse_answer(status, d.ebuf.p, d.ebuf.len, err);
		if (rc == PS_OK)
			rc = ps_err_set(err, PS_E_BACKEND,
			    "Supabase download: HTTP %ld", status);
		goto out;
	}
	rc = ps_spool_finish(spool, err);
out:
	if (d.easy != NULL) {
		(void)curl_easy_setopt(d.easy, CURLOPT_HTTPHEADER, NULL);
		(void)curl_easy_setopt(d.easy, CURLOPT_WRITEDATA, NULL);
	}
	free(d.ebuf.p);
	curl_slist_free_all(h);
	return rc;
}

/* The MD5 of a finished spool, in hex. */
static ps_code
spool_md5(ps_spool *spool, char *hex, ps_err *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	uint64_t off = 0;
	size_t got;
	ps_code rc = PS_OK;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return ps_err_set(err, PS_E_INTERNAL, "MD5 unavailable");
	}
	for (;;) {
		if ((rc = ps_spool_pread(spool, buf, sizeof(buf), off, &got,
		    err)) != PS_OK || got == 0)
			break;
		EVP_DigestUpdate(ctx, buf, got);
		off += got;
	}
	if (rc == PS_OK && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1)
		ps_hex(md, mdlen, hex);
	else if (rc == PS_OK)
		rc = ps_err_set(err, PS_E_INTERNAL, "MD5 failed");
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Split "<kind>/<user>/<rest>" and check both. */
static ps_code
kind_user(const char *path, char *kind, char *user, ps_err *err)
{
	const char *a = strchr(path, '/'), *b;

	if (a == NULL || (b = strchr(a + 1, '/')) == NULL || b[1] == '\0' ||
	    (size_t)(a - path) >= PS_STORAGE_KIND_MAX ||
	    (size_t)(b - a - 1) > PS_USER_ID_MAX)
		goto bad;
	memcpy(kind, path, (size_t)(a - path));
	kind[a - path] = '\0';
	memcpy(user, a + 1, (size_t)(b - a - 1));
	user[b - a - 1] = '\0';
	if (!ps_storage_kind_valid(kind) || !ps_user_id_valid(user))
		goto bad;
	return PS_OK;
bad:
	return ps_err_set(err, PS_E_INVALID, "not under <kind>/<userId>/ "
	    "(kind: deleted-messages, view-once, scheduled-status)");
}

static void
old_url(const struct worker *w, const char *path, char *out, size_t sz)
{
	char enc[KEY_MAX * 3 + 1];

	if (encode_path(path, enc, sizeof(enc)) < 0)
		enc[0] = '\0';
	snprintf(out, sz, "%s/storage/v1/object/public/%s/%s", w->conn.base,
	    w->conn.bucket, enc);
}

static ps_code
write_mapping(struct run *m, const char *src, const char *oldu,
    const char *newu, const char *pid, uint64_t bytes, const char *status,
    ps_err *err)
{
	json_object *o = json_object_new_object();
	const char *s;
	char *line;
	size_t n;
	ssize_t wr;

	if (o == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	json_object_object_add(o, "source_path", json_object_new_string(src));
	json_object_object_add(o, "old_url", json_object_new_string(oldu));
	json_object_object_add(o, "new_url", json_object_new_string(newu));
	json_object_object_add(o, "public_id", json_object_new_string(pid));
	json_object_object_add(o, "bytes",
	    json_object_new_int64((int64_t)bytes));
	json_object_object_add(o, "status", json_object_new_string(status));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(s);
	if ((line = malloc(n + 2)) == NULL) {
		json_object_put(o);
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	}
	memcpy(line, s, n);
	line[n++] = '\n';
	json_object_put(o);
	/* One write(2) on an O_APPEND file: lines of several workers never
	 * interleave. */
	wr = write(m->map_fd, line, n);
	free(line);
	if (wr != (ssize_t)n)
		return ps_err_set(err, PS_E_IO, "mapping file: %s",
		    wr < 0 ? strerror(errno) : "short write");
	return PS_OK;
}

static ps_code
record(struct worker *w, const struct item *it, const char *user,
    const ps_storage_result *res, const char *oldu, ps_err *err)
{
	struct run *m = w->m;
	char key[256], suffix[16 + PS_USER_ID_MAX], users[128], score[24];
	char max[24], val[PS_STORAGE_ID_MAX + 48], *json = NULL;
	const char *argv[11];
	redisReply *rep = NULL;
	ps_code rc;

	snprintf(suffix, sizeof(suffix), "media:%s", user);
	if (ps_redis_key(m->r, key, sizeof(key), suffix) == NULL)
		return ps_err_set(err, PS_E_INVALID, "key too long");
	ps_redis_key(m->r, users, sizeof(users), "media-users");
	snprintf(score, sizeof(score), "%lld", (long long)res->time_ms);
	snprintf(max, sizeof(max), "%lld",
	    ps_config_int(m->cfg, PS_CFG_MEDIA_INDEX_MAX));
	snprintf(val, sizeof(val), "done %s %llu", res->public_id,
	    (unsigned long long)res->bytes);
	if ((rc = write_mapping(m, it->path, oldu, res->url, res->public_id,
	    res->bytes, "migrated", err)) != PS_OK)
		return rc;
	if ((rc = ps_media_entry_json(res, &json, err)) != PS_OK)
		return rc;
	argv[0] = key;
	argv[1] = users;
	argv[2] = m->progress_key;
	argv[3] = json;
	argv[4] = score;
	argv[5] = it->path;
	argv[6] = oldu;
	argv[7] = max;
	argv[8] = user;
	argv[9] = val;
	argv[10] = res->public_id;
	rc = ps_redis_eval(m->r, &record_script, 3, 8, argv, NULL, &rep,
	    err);
	if (rep != NULL)
		freeReplyObject(rep);
	free(json);
	return rc;
}

static ps_code
set_progress(struct run *m, const char *path, const char *val,
    ps_err *err)
{
	redisReply *rep;
	ps_code rc;

	rc = ps_redis_cmd(m->r, &rep, err, "HSET %s %s %s", m->progress_key,
	    path, val);
	if (rc == PS_OK)
		freeReplyObject(rep);
	return rc;
}

/* Mask the signals that end a run while a result is being recorded. */
static void
hold_signals(int hold, sigset_t *old)
{
	sigset_t s;

	if (hold) {
		sigemptyset(&s);
		sigaddset(&s, SIGINT);
		sigaddset(&s, SIGTERM);
		sigaddset(&s, SIGHUP);
		sigprocmask(SIG_BLOCK, &s, old);
	} else
		sigprocmask(SIG_SETMASK, old, NULL);
}

/* One attempt at one object: download, upload, verify, record.
 * *empty is set for an empty source (recorded here, not uploaded). */
static ps_code
migrate_one(struct worker *w, const struct item *it, int *empty,
    ps_storage_result *res, ps_err *err)
{
	struct run *m = w->m;
	char kind[PS_STORAGE_KIND_MAX], user[PS_USER_ID_MAX + 1];
	char stem[STEM_MAX + HASH_HEX + 8], name[STEM_MAX + HASH_HEX + 20];
	char path[PS_STORAGE_PATH_MAX], oldu[KEY_MAX * 3 + 600], md5[33];
	const unsigned char *head;
	ps_storage_object obj;
	ps_sniff_result sn;
	ps_cld_answer ans;
	ps_spool *spool = NULL;
	sigset_t old;
	uint64_t size;
	size_t hlen;
	ps_code rc;

	*empty = 0;
	memset(res, 0, sizeof(*res));
	if ((rc = kind_user(it->path, kind, user, err)) != PS_OK)
		return rc;
	old_url(w, it->path, oldu, sizeof(oldu));
	if ((rc = ps_spool_new(&spool, ps_config_str(m->cfg,
	    PS_CFG_SPOOL_DIR), m->spool_max, 0, err)) != PS_OK)
		return rc;
	if ((rc = download(w, it, spool, err)) != PS_OK)
		goto out;
	size = ps_spool_size(spool);
	if (it->size >= 0 && (uint64_t)it->size != size) {
		rc = ps_err_set(err, PS_E_BACKEND, "downloaded %llu bytes, "
		    "the listing says %lld", (unsigned long long)size,
		    (long long)it->size);
		goto out;
	}
	/* The checksum, where the source gives one (PROTOCOLS.md: eTag). */
	if ((rc = spool_md5(spool, md5, err)) != PS_OK)
		goto out;
	if (it->md5[0] != '\0' && strcmp(it->md5, md5) != 0) {
		rc = ps_err_set(err, PS_E_BACKEND, "downloaded MD5 %s, the "
		    "listing's eTag is %s", md5, it->md5);
		goto out;
	}
	if (size == 0) {
		*empty = 1;
		hold_signals(1, &old);
		rc = write_mapping(m, it->path, oldu, "", "", 0, "empty",
		    err);
		if (rc == PS_OK)
			rc = set_progress(m, it->path, "empty", err);
		hold_signals(0, &old);
		goto out;
	}
	head = ps_spool_head(spool, &hlen);
	sn = ps_sniff(head, hlen);
	ps_migrate_stem(it->path, stem, sizeof(stem));
	snprintf(name, sizeof(name), "%s.%s", stem, sn.ext);
	snprintf(path, sizeof(path), "%s/%s/%s", kind, user, name);
	memset(&obj, 0, sizeof(obj));
	obj.kind = kind;
	obj.user = user;
	obj.name = name;
	obj.stem = stem;
	obj.path = path;
	obj.resource_type = sn.resource_type;
	obj.mime = sn.mime;
	obj.ext = sn.ext;
	obj.sha256 = ps_spool_sha256(spool);
	obj.bytes = size;
	if ((rc = ps_cloudinary_upload(w->cld, spool, &obj, 1, res, &ans,
	    err)) != PS_OK)
		goto out;
	/* Verify before anything is recorded. */
	if (ans.bytes < 0 || (uint64_t)ans.bytes != size) {
		rc = ps_err_set(err, PS_E_BACKEND, "verification failed: "
		    "Cloudinary reports %lld bytes, the source has %llu",
		    (long long)ans.bytes, (unsigned long long)size);
		goto out;
	}
	if (is_md5(ans.etag, strlen(ans.etag)) && strcmp(ans.etag, md5) !=
	    0) {
		rc = ps_err_set(err, PS_E_BACKEND, "verification failed: "
		    "Cloudinary's etag %s is not the MD5 %s of the source",
		    ans.etag, md5);
		goto out;
	}
	snprintf(res->backend, sizeof(res->backend), "cloudinary");
	snprintf(res->kind, sizeof(res->kind), "%s", kind);
	/* The entry keeps the source path when it fits, so the index
	 * still finds the object by it. */
	snprintf(res->path, sizeof(res->path), "%s",
	    strlen(it->path) < sizeof(res->path) ? it->path : path);
	snprintf(res->resource_type, sizeof(res->resource_type), "%s",
	    sn.resource_type);
	snprintf(res->mime, sizeof(res->mime), "%s", sn.mime);
	snprintf(res->sha256, sizeof(res->sha256), "%s", obj.sha256);
	res->bytes = size;
	res->time_ms = it->time_s > 0 ? it->time_s * 1000 : ps_now_ms();
	hold_signals(1, &old);
	rc = record(w, it, user, res, oldu, err);
	hold_signals(0, &old);
out:
	ps_spool_free(spool);
	return rc;
}

static int
permanent(ps_code rc)
{
	return rc == PS_E_INVALID || rc == PS_E_TOO_LARGE ||
	    rc == PS_E_UNSUPPORTED;
}

static void
say(struct run *m, const char *fmt, ...) __attribute__((format(printf, 2,
    3)));

/* A per-object line (not on a terminal): one write. */
static void
say(struct run *m, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (m->o->progress_bar || m->o->log == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fflush(m->o->log);
	(void)!write(fileno(m->o->log), line, (size_t)n);
}

static void
process(struct worker *w, size_t idx)
{
	struct run *m = w->m;
	struct item *it = &m->items[idx];
	struct slot *sl = &m->slots[idx];
	ps_storage_result res;
	char val[REASON_MAX + 16];
	int attempt, empty = 0;
	unsigned long long nth;
	ps_code rc = PS_OK;
	ps_err err;

	for (attempt = 0; attempt < PS_MIGRATE_ATTEMPTS; attempt++) {
		ps_err_clear(&err);
		rc = migrate_one(w, it, &empty, &res, &err);
		if (rc == PS_OK || permanent(rc))
			break;
		if (attempt + 1 < PS_MIGRATE_ATTEMPTS)
			sleep_ms((long)BACKOFF_MS << attempt);
	}
	atomic_fetch_add(&m->sh->bytes, it->size > 0 ? (uint64_t)it->size :
	    0);
	nth = atomic_fetch_add(&m->sh->done, 1) + 1;
	if (rc == PS_OK && empty) {
		sl->state = SLOT_EMPTY;
		atomic_fetch_add(&m->sh->empty, 1);
		say(m, "[%llu/%zu] empty   %s (not migrated: Cloudinary "
		    "refuses empty files)", nth, m->nwork, it->path);
	} else if (rc == PS_OK) {
		sl->state = SLOT_MOVED;
		atomic_fetch_add(&m->sh->moved, 1);
		atomic_fetch_add(&m->sh->moved_bytes, res.bytes);
		say(m, "[%llu/%zu] moved   %s -> %s (%llu bytes)", nth,
		    m->nwork, it->path, res.url,
		    (unsigned long long)res.bytes);
	} else {
		snprintf(sl->reason, sizeof(sl->reason), "%s", err.msg);
		sl->state = SLOT_FAILED;
		atomic_fetch_add(&m->sh->failed, 1);
		snprintf(val, sizeof(val), "failed %s", err.msg);
		/* Best effort: the next run retries it anyway. */
		(void)set_progress(m, it->path, val, NULL);
		say(m, "[%llu/%zu] FAILED  %s: %s", nth, m->nwork, it->path,
		    err.msg);
	}
}

static void
worker_main(struct run *m, pid_t parent)
{
	struct worker w;
	const char *missing = NULL;
	ps_err err;
	unsigned long long i;
	int status = 0;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* Die with the parent (killed or crashed): nothing keeps running
	 * unseen. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	memset(&w, 0, sizeof(w));
	w.m = m;
	ps_err_clear(&err);
	/* A connection and handles of its own. */
	ps_redis_disconnect(m->r);
	if (ps_storage_cloudinary.open(&w.cld, m->cfg, &missing, &err) !=
	    PS_OK || w.cld == NULL ||
	    ps_storage_supabase.open(&w.sb, m->cfg, &missing, &err) !=
	    PS_OK || w.sb == NULL) {
		ps_error(TAG, "worker: %s", missing != NULL ? missing :
		    err.msg);
		_exit(1);
	}
	ps_supabase_conn_of(w.sb, &w.conn);
	for (;;) {
		i = atomic_fetch_add(&m->sh->next, 1);
		if (i >= m->nwork)
			break;
		process(&w, m->work[i]);
	}
	ps_storage_cloudinary.close(w.cld);
	ps_storage_supabase.close(w.sb);
	ps_redis_disconnect(m->r);
	_exit(status);
}

/* ------------------------------------------------------------ parent */

static volatile sig_atomic_t stop_sig;

static void
on_stop(int sig)
{
	stop_sig = sig;
}

static void
fmt_dur(char *buf, size_t sz, double s)
{
	long t = s < 0 ? 0 : (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, sz, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60,
		    t % 60);
	else
		snprintf(buf, sz, "%ld:%02ld", t / 60, t % 60);
}

static void
draw_bar(struct run *m, uint64_t total_bytes, int64_t t0, int final)
{
	unsigned long long done = atomic_load(&m->sh->done);
	unsigned long long bytes = atomic_load(&m->sh->bytes);
	double el = (double)(ps_mono_ms() - t0) / 1000.0, rate, frac;
	char bar[21], eta[16], line[160];
	int i, fill;

	if (!m->o->progress_bar || m->o->log == NULL)
		return;
	rate = el > 0 ? (double)bytes / el : 0;
	frac = total_bytes > 0 ? (double)bytes / (double)total_bytes :
	    (m->nwork > 0 ? (double)done / (double)m->nwork : 1);
	fill = (int)(frac * 20);
	for (i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	if (rate > 0 && total_bytes > bytes)
		fmt_dur(eta, sizeof(eta), (double)(total_bytes - bytes) /
		    rate);
	else
		snprintf(eta, sizeof(eta), "--:--");
	snprintf(line, sizeof(line), "\r[%s] %llu/%zu objects %.1f/%.1f MB "
	    "%.1f MB/s ETA %s  ", bar, done, m->nwork, bytes / 1e6,
	    total_bytes / 1e6, rate / 1e6, final ? "0:00" : eta);
	fputs(line, m->o->log);
	if (final)
		fputc('\n', m->o->log);
	fflush(m->o->log);
}

static ps_code
delete_sources(struct run *m, uint64_t *deleted, ps_err *err)
{
	char url[1024];
	json_object *body, *arr, *ans;
	size_t i, n = 0;
	ps_code rc = PS_OK;
	int st;

	snprintf(url, sizeof(url), "%s/storage/v1/object/%s", m->conn.base,
	    m->conn.bucket);
	for (i = 0; i <= m->nitems && rc == PS_OK; i++) {
		if (i < m->nitems) {
			st = m->slots[i].state;
			/* Only what was verified, now or by an earlier
			 * run. */
			if (st != SLOT_MOVED && st != SLOT_SKIPPED)
				continue;
			if (st == SLOT_SKIPPED && m->items[i].size == 0)
				continue;	/* "empty", never moved */
			if (n == 0 && (arr = json_object_new_array()) == NULL)
				return ps_err_set(err, PS_E_NOMEM,
				    "out of memory");
			json_object_array_add(arr,
			    json_object_new_string(m->items[i].path));
			n++;
		}
		if (n == 0 || (n < DELETE_BATCH && i < m->nitems))
			continue;
		body = json_object_new_object();
		json_object_object_add(body, "prefixes", arr);
		rc = sb_json(m, "DELETE", url, json_object_to_json_string_ext(
		    body, JSON_C_TO_STRING_PLAIN), &ans, err);
		json_object_put(body);
		if (rc == PS_OK) {
			*deleted += json_object_array_length(ans);
			json_object_put(ans);
		}
		n = 0;
	}
	if (rc != PS_OK)
		ps_err_prefix(err, "deleting migrated sources");
	return rc;
}

static void
run_free(struct run *m)
{
	size_t i;

	for (i = 0; i < m->nitems; i++)
		free(m->items[i].path);
	free(m->items);
	free(m->work);
	if (m->sh != NULL)
		munmap(m->sh, m->shared_len);
	if (m->sb != NULL)
		ps_storage_supabase.close(m->sb);
	ps_redis_free(m->r);
	if (m->map_fd >= 0)
		close(m->map_fd);
}

static void
summary(struct run *m, ps_migrate_summary *sum)
{
	FILE *out = m->o->out;
	size_t i, shown = 0;

	if (out == NULL)
		return;
	if (m->o->dry_run) {
		fprintf(out, "dry run: would move %zu objects, %llu bytes "
		    "(%.1f MB); already migrated: %llu\n", m->nwork,
		    (unsigned long long)sum->pending_bytes,
		    sum->pending_bytes / 1e6,
		    (unsigned long long)sum->skipped);
		return;
	}
	fprintf(out, "moved: %llu\nskipped: %llu\nfailed: %llu\n"
	    "bytes: %llu (%.1f MB)\n",
	    (unsigned long long)sum->moved, (unsigned long long)sum->skipped,
	    (unsigned long long)sum->failed, (unsigned long long)sum->bytes,
	    sum->bytes / 1e6);
	if (m->o->delete_source)
		fprintf(out, "deleted: %llu\n",
		    (unsigned long long)sum->deleted);
	fprintf(out, "elapsed: %.1f s\n", sum->elapsed_s);
	if (sum->interrupted)
		fprintf(out, "interrupted: rerun to continue\n");
	for (i = 0; i < m->nitems && shown < PS_MIGRATE_SHOW_FAILED; i++)
		if (m->slots[i].state == SLOT_FAILED) {
			fprintf(out, "failed: %s: %s\n", m->items[i].path,
			    m->slots[i].reason);
			shown++;
		}
	if (sum->failed > shown)
		fprintf(out, "failed: ... and %llu more\n",
		    (unsigned long long)(sum->failed - shown));
}

ps_code
ps_migrate_run(const ps_config *cfg, const ps_migrate_opts *o,
    ps_migrate_summary *sum, ps_err *err)
{
	struct run m;
	const char *missing = NULL;
	void *cld = NULL;
	pid_t pids[PS_MIGRATE_MAX_CONCURRENCY], self = getpid();
	struct sigaction sa, old_int, old_term;
	uint64_t total_bytes = 0;
	size_t i, nproc, alive;
	int64_t t0 = ps_mono_ms(), last = 0;
	char suffix[128];
	ps_code rc;
	int wst;

	memset(&m, 0, sizeof(m));
	memset(sum, 0, sizeof(*sum));
	m.cfg = cfg;
	m.o = o;
	m.map_fd = -1;
	if (o->concurrency < 1 || o->concurrency > PS_MIGRATE_MAX_CONCURRENCY)
		return ps_err_set(err, PS_E_INVALID, "concurrency must be 1 "
		    "to %d", PS_MIGRATE_MAX_CONCURRENCY);
	if (o->user != NULL && !ps_user_id_valid(o->user))
		return ps_err_set(err, PS_E_INVALID,
		    "invalid user id (1 to 64 of A-Z a-z 0-9 _ . -)");
	ps_redis_script_init(&record_script, "migrate-record", record_lua);
	m.spool_max = (uint64_t)ps_config_int(cfg, PS_CFG_UPLOAD_MAX_BYTES);
	if ((rc = ps_storage_supabase.open(&m.sb, cfg, &missing, err)) !=
	    PS_OK)
		goto out;
	if (m.sb == NULL) {
		rc = ps_err_set(err, PS_E_CONFIG, "Supabase not configured: "
		    "%s", missing != NULL ? missing : "SUPABASE_URL and "
		    "SUPABASE_SERVICE_ROLE_KEY are not set");
		goto out;
	}
	ps_supabase_conn_of(m.sb, &m.conn);
	if (!o->dry_run) {
		if ((rc = ps_storage_cloudinary.open(&cld, cfg, &missing,
		    err)) != PS_OK)
			goto out;
		if (cld == NULL) {
			rc = ps_err_set(err, PS_E_CONFIG, "Cloudinary not "
			    "configured: %s", missing != NULL ? missing :
			    "CLOUDINARY_URL or CLOUDINARY_CLOUD_NAME, "
			    "CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET");
			goto out;
		}
		ps_storage_cloudinary.close(cld);
	}
	if ((rc = ps_redis_new(&m.r, cfg, err)) != PS_OK ||
	    (rc = ps_redis_connect(m.r, err)) != PS_OK)
		goto out;
	snprintf(suffix, sizeof(suffix), "migrate:%s", m.conn.bucket);
	ps_redis_key(m.r, m.progress_key, sizeof(m.progress_key), suffix);
	if ((rc = list_dir(&m, "", 0, err)) != PS_OK)
		goto out;
	sum->listed = m.nitems;
	m.shared_len = sizeof(struct shared) + (m.nitems + 1) *
	    sizeof(struct slot);
	m.sh = mmap(NULL, m.shared_len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m.sh == MAP_FAILED) {
		m.sh = NULL;
		rc = ps_err_set(err, PS_E_NOMEM, "mmap: %s", strerror(errno));
		goto out;
	}
	m.slots = (struct slot *)(m.sh + 1);
	if ((rc = read_progress(&m, err)) != PS_OK)
		goto out;
	if ((m.work = calloc(m.nitems + 1, sizeof(*m.work))) == NULL) {
		rc = ps_err_set(err, PS_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < m.nitems; i++) {
		if (m.slots[i].state == SLOT_SKIPPED) {
			sum->skipped++;
			continue;
		}
		if (o->limit > 0 && (int64_t)m.nwork >= o->limit)
			continue;
		m.work[m.nwork++] = i;
		if (m.items[i].size > 0)
			total_bytes += (uint64_t)m.items[i].size;
	}
	if (o->dry_run) {
		for (i = 0; i < m.nwork && o->out != NULL; i++)
			fprintf(o->out, "would move %s (%lld bytes)\n",
			    m.items[m.work[i]].path,
			    (long long)m.items[m.work[i]].size);
		sum->pending_bytes = total_bytes;
		sum->elapsed_s = (double)(ps_mono_ms() - t0) / 1000.0;
		summary(&m, sum);
		rc = PS_OK;
		goto out;
	}
	m.map_fd = open(o->mapping, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC, 0600);
	if (m.map_fd < 0) {
		rc = ps_err_set(err, PS_E_IO, "mapping file %.200s: %s",
		    o->mapping, strerror(errno));
		goto out;
	}
	nproc = m.nwork < (size_t)o->concurrency ? m.nwork :
	    (size_t)o->concurrency;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	stop_sig = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (o->log != NULL)
		fflush(o->log);
	if (o->out != NULL)
		fflush(o->out);
	for (i = 0; i < nproc; i++) {
		if ((pids[i] = fork()) == 0)
			worker_main(&m, self);
		if (pids[i] < 0) {
			ps_error(TAG, "fork: %s", strerror(errno));
			break;
		}
	}
	nproc = i;
	if (nproc == 0 && m.nwork > 0) {
		sum->failed = m.nwork;
		rc = ps_err_set(err, PS_E_INTERNAL, "no worker started");
		goto restore;
	}
	for (alive = nproc; alive > 0;) {
		if (stop_sig != 0 && !sum->interrupted) {
			sum->interrupted = 1;
			for (i = 0; i < nproc; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
		}
		for (i = 0; i < nproc; i++)
			if (pids[i] > 0 &&
			    waitpid(pids[i], &wst, WNOHANG) == pids[i]) {
				pids[i] = 0;
				alive--;
			}
		if (ps_mono_ms() - last >= 200) {
			draw_bar(&m, total_bytes, t0, 0);
			last = ps_mono_ms();
		}
		if (alive > 0)
			sleep_ms(50);
	}
	draw_bar(&m, total_bytes, t0, 1);
	sum->moved = atomic_load(&m.sh->moved);
	sum->failed = atomic_load(&m.sh->failed);
	sum->skipped += atomic_load(&m.sh->empty);
	sum->bytes = atomic_load(&m.sh->moved_bytes);
	/* Workers that died mid-object (interrupted, crashed): what they
	 * held was neither moved nor failed; the next run retries it. */
	rc = PS_OK;
	if (!sum->interrupted && o->delete_source)
		rc = delete_sources(&m, &sum->deleted, err);
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sum->elapsed_s = (double)(ps_mono_ms() - t0) / 1000.0;
	summary(&m, sum);
	if (sum->interrupted)
		rc = ps_err_set(err, PS_E_INTERNAL, "interrupted by signal %d",
		    (int)stop_sig);
out:
	run_free(&m);
	return rc;
}
