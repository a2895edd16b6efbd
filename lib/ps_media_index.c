/* ps_media_index.c - see ps_media_index.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ps_media_index.h"
#include "ps_util.h"

/* KEYS user's set, users set; ARGV score, member, max, user id. */
static const char add_lua[] =
    "redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])\n"
    "local n = redis.call('ZCARD', KEYS[1])\n"
    "local max = tonumber(ARGV[3])\n"
    "if n > max then\n"
    "  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1)\n"
    "  n = max\n"
    "end\n"
    "redis.call('SADD', KEYS[2], ARGV[4])\n"
    "return n\n";

/* KEYS user's set; ARGV first, last rank (newest first). */
static const char list_lua[] =
    "return {redis.call('ZCARD', KEYS[1]),\n"
    "  redis.call('ZREVRANGE', KEYS[1], ARGV[1], ARGV[2])}\n";

static ps_redis_script add_script, list_script;
static int scripts_ready;

static void
scripts_init(void)
{
	if (scripts_ready)
		return;
	ps_redis_script_init(&add_script, "media-add", add_lua);
	ps_redis_script_init(&list_script, "media-list", list_lua);
	scripts_ready = 1;
}

static ps_code
user_key(ps_redis *r, const char *user, char *buf, size_t sz, ps_err *err)
{
	char suffix[16 + PS_USER_ID_MAX];

	if (!ps_user_id_valid(user))
		return ps_err_set(err, PS_E_INVALID,
		    "invalid user id (1 to 64 of A-Z a-z 0-9 _ . -)");
	snprintf(suffix, sizeof(suffix), "media:%s", user);
	if (ps_redis_key(r, buf, sz, suffix) == NULL)
		return ps_err_set(err, PS_E_INVALID, "key too long");
	return PS_OK;
}

static int
add_str(json_object *o, const char *k, const char *v)
{
	json_object *s = json_object_new_string(v);

	return s == NULL || json_object_object_add(o, k, s) != 0;
}

static int
add_int(json_object *o, const char *k, int64_t v)
{
	json_object *i = json_object_new_int64(v);

	return i == NULL || json_object_object_add(o, k, i) != 0;
}

ps_code
ps_media_entry_json(const ps_storage_result *e, char **out, ps_err *err)
{
	json_object *o;
	int bad = 0;

	*out = NULL;
	if ((o = json_object_new_object()) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	bad |= add_str(o, "kind", e->kind);
	bad |= add_str(o, "backend", e->backend);
	bad |= add_str(o, "url", e->url);
	bad |= add_str(o, "public_id", e->public_id);
	bad |= add_str(o, "path", e->path);
	bad |= add_int(o, "bytes", (int64_t)e->bytes);
	bad |= add_str(o, "sha256", e->sha256);
	bad |= add_str(o, "mime", e->mime);
	bad |= add_str(o, "resource_type", e->resource_type);
	bad |= add_int(o, "time", e->time_ms);
	if (!bad)
		*out = strdup(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (*out == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	return PS_OK;
}

static int
get_str(json_object *o, const char *k, char *buf, size_t sz)
{
	json_object *v;
	const char *s;
	size_t n;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n >= sz || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(buf, s, n + 1);
	return 0;
}

static int
get_int(json_object *o, const char *k, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return *out < 0 ? -1 : 0;
}

ps_code
ps_media_entry_parse(const char *json, size_t len, ps_storage_result *e,
    ps_err *err)
{
	json_tokener *tok;
	json_object *o;
	int64_t bytes = 0;
	int bad;

	memset(e, 0, sizeof(*e));
	if (len > 64 * 1024 || (tok = json_tokener_new()) == NULL)
		return ps_err_set(err, PS_E_INVALID, "media entry too long");
	o = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return ps_err_set(err, PS_E_INVALID,
		    "media entry is not a JSON object");
	}
	bad = get_str(o, "kind", e->kind, sizeof(e->kind)) ||
	    get_str(o, "backend", e->backend, sizeof(e->backend)) ||
	    get_str(o, "url", e->url, sizeof(e->url)) ||
	    get_str(o, "public_id", e->public_id, sizeof(e->public_id)) ||
	    get_str(o, "path", e->path, sizeof(e->path)) ||
	    get_int(o, "bytes", &bytes) ||
	    get_str(o, "sha256", e->sha256, sizeof(e->sha256)) ||
	    get_str(o, "mime", e->mime, sizeof(e->mime)) ||
	    get_str(o, "resource_type", e->resource_type,
	    sizeof(e->resource_type)) ||
	    get_int(o, "time", &e->time_ms);
	json_object_put(o);
	e->bytes = (uint64_t)bytes;
	if (bad)
		return ps_err_set(err, PS_E_INVALID,
		    "media entry lacks a field or has a bad one");
	return PS_OK;
}

ps_code
ps_media_index_add(ps_redis *r, const char *user,
    const ps_storage_result *res, int64_t max_entries, int64_t *count,
    ps_err *err)
{
	char key[256], users[128], score[24], max[24];
	const char *argv[6];
	redisReply *rep;
	char *json;
	ps_code rc;

	scripts_init();
	if (count != NULL)
		*count = 0;
	if ((rc = user_key(r, user, key, sizeof(key), err)) != PS_OK)
		return rc;
	if (max_entries < 1)
		return ps_err_set(err, PS_E_INVALID,
		    "media index size must be at least 1");
	if ((rc = ps_media_entry_json(res, &json, err)) != PS_OK)
		return rc;
	ps_redis_key(r, users, sizeof(users), "media-users");
	snprintf(score, sizeof(score), "%lld", (long long)res->time_ms);
	snprintf(max, sizeof(max), "%lld", (long long)max_entries);
	argv[0] = key;
	argv[1] = users;
	argv[2] = score;
	argv[3] = json;
	argv[4] = max;
	argv[5] = user;
	rc = ps_redis_eval(r, &add_script, 2, 4, argv, NULL, &rep, err);
	free(json);
	if (rc != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(rep);
		return ps_err_set(err, PS_E_INTERNAL,
		    "unexpected Redis reply to media-add");
	}
	if (count != NULL)
		*count = rep->integer;
	freeReplyObject(rep);
	return PS_OK;
}

ps_code
ps_media_index_list(ps_redis *r, const char *user, size_t offset,
    size_t limit, ps_media_fn fn, void *arg, int64_t *total, size_t *bad,
    ps_err *err)
{
	char key[256], first[24], last[24];
	const char *argv[3];
	redisReply *rep, *items;
	ps_storage_result e;
	ps_code rc;
	size_t i;

	scripts_init();
	if (total != NULL)
		*total = 0;
	if (bad != NULL)
		*bad = 0;
	if ((rc = user_key(r, user, key, sizeof(key), err)) != PS_OK)
		return rc;
	if (limit == 0 || limit > PS_MEDIA_LIST_MAX ||
	    offset > (size_t)INT64_MAX / 2)
		return ps_err_set(err, PS_E_INVALID,
		    "list 1 to %d entries at a time", PS_MEDIA_LIST_MAX);
	snprintf(first, sizeof(first), "%zu", offset);
	snprintf(last, sizeof(last), "%zu", offset + limit - 1);
	argv[0] = key;
	argv[1] = first;
	argv[2] = last;
	rc = ps_redis_eval(r, &list_script, 1, 2, argv, NULL, &rep, err);
	if (rc != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_INTEGER ||
	    rep->element[1]->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		return ps_err_set(err, PS_E_INTERNAL,
		    "unexpected Redis reply to media-list");
	}
	if (total != NULL)
		*total = rep->element[0]->integer;
	items = rep->element[1];
	for (i = 0; i < items->elements; i++) {
		redisReply *it = items->element[i];
		if (it->type != REDIS_REPLY_STRING ||
		    ps_media_entry_parse(it->str, it->len, &e, NULL) !=
		    PS_OK) {
			if (bad != NULL)
				(*bad)++;
			continue;
		}
		if (fn(&e, arg) != 0)
			break;
	}
	freeReplyObject(rep);
	return PS_OK;
}
