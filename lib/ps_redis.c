/* ps_redis.c - see ps_redis.h. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "ps_log.h"
#include "ps_redis.h"
#include "ps_util.h"

struct ps_redis {
	ps_redis_target target;
	redisContext *ctx;
	long connect_ms;
	long command_ms;
	char tag[80];
	char name[64];
	unsigned long long trips;
	long timeout_set;	/* the socket's read/write limit now, ms */
	int pending;		/* replies of a pipeline not read yet */
	int reused;		/* the open connection served a command */
};

/* ------------------------------------------------------------ URLs */

static int
parse_uint(const char *s, size_t n, long max, long *out)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Query of a unix: URL: db=N, password=P, username=U. */
static ps_code
parse_query(const char *q, ps_redis_target *t, ps_err *err)
{
	while (*q != '\0') {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		long v;

		if (eq == NULL)
			goto bad;
		if (eq - q == 2 && strncmp(q, "db", 2) == 0) {
			if (parse_uint(eq + 1, n - 3, 10000, &v) < 0)
				goto bad;
			t->db = (int)v;
		} else if (eq - q == 8 && strncmp(q, "password", 8) == 0) {
			if (ps_pct_decode(eq + 1, n - 9, t->password,
			    sizeof(t->password)) < 0)
				goto bad;
		} else if (eq - q == 8 && strncmp(q, "username", 8) == 0) {
			if (ps_pct_decode(eq + 1, n - 9, t->username,
			    sizeof(t->username)) < 0)
				goto bad;
		} else
			goto bad;
		q += n + (q[n] == '&');
	}
	return PS_OK;
bad:
	return ps_err_set(err, PS_E_CONFIG,
	    "REDIS_URL: bad query parameter (allowed: db=N, password=, "
	    "username=)");
}

ps_code
ps_redis_parse_url(const char *url, ps_redis_target *t, ps_err *err)
{
	const char *p, *auth_end, *at, *hp, *hp_end, *colon;
	long v;

	memset(t, 0, sizeof(*t));
	t->port = 6379;
	if (strlen(url) > 2048)
		return ps_err_set(err, PS_E_CONFIG, "REDIS_URL too long");
	if (strncasecmp(url, "rediss://", 9) == 0)
		return ps_err_set(err, PS_E_CONFIG,
		    "REDIS_URL: rediss:// (TLS) is not supported by this "
		    "build's hiredis; use a local stunnel or a unix socket");
	if (strncasecmp(url, "unix://", 7) == 0 ||
	    strncasecmp(url, "redis+unix://", 13) == 0 ||
	    strncasecmp(url, "redis-socket://", 15) == 0) {
		const char *q;
		size_t n;

		p = strstr(url, "://") + 3;
		/* Optional user info before the path: unix://:pw@/path */
		at = strchr(p, '@');
		if (at != NULL && at < p + strcspn(p, "/")) {
			colon = memchr(p, ':', (size_t)(at - p));
			if (colon != NULL) {
				if (ps_pct_decode(p, (size_t)(colon - p),
				    t->username, sizeof(t->username)) < 0 ||
				    ps_pct_decode(colon + 1,
				    (size_t)(at - colon - 1), t->password,
				    sizeof(t->password)) < 0)
					goto bad;
			} else if (ps_pct_decode(p, (size_t)(at - p),
			    t->password, sizeof(t->password)) < 0)
				goto bad;
			p = at + 1;
		}
		if (*p != '/')
			return ps_err_set(err, PS_E_CONFIG,
			    "REDIS_URL: a unix socket URL needs an absolute "
			    "path (unix:///run/redis/redis.sock)");
		q = strchr(p, '?');
		n = q != NULL ? (size_t)(q - p) : strlen(p);
		if (n == 0 || n >= sizeof(t->path))
			return ps_err_set(err, PS_E_CONFIG,
			    "REDIS_URL: socket path empty or longer than %zu "
			    "bytes", sizeof(t->path) - 1);
		memcpy(t->path, p, n);
		t->path[n] = '\0';
		t->is_unix = 1;
		if (q != NULL)
			return parse_query(q + 1, t, err);
		return PS_OK;
	}
	if (strncasecmp(url, "redis://", 8) != 0)
		return ps_err_set(err, PS_E_CONFIG,
		    "REDIS_URL must start with redis:// or unix:// "
		    "(e.g. redis://127.0.0.1:6379/0)");
	p = url + 8;
	auth_end = p + strcspn(p, "/?#");
	at = NULL;
	for (hp = p; hp < auth_end; hp++)
		if (*hp == '@')
			at = hp;
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon != NULL) {
			if (ps_pct_decode(p, (size_t)(colon - p), t->username,
			    sizeof(t->username)) < 0 ||
			    ps_pct_decode(colon + 1, (size_t)(at - colon - 1),
			    t->password, sizeof(t->password)) < 0)
				goto bad;
		} else if (ps_pct_decode(p, (size_t)(at - p), t->password,
		    sizeof(t->password)) < 0)
			/* redis://secret@host: ioredis reads it as the
			 * password, the common intent. */
			goto bad;
		hp = at + 1;
	} else
		hp = p;
	hp_end = auth_end;
	if (hp < hp_end && *hp == '[') {
		const char *rb = memchr(hp, ']', (size_t)(hp_end - hp));
		if (rb == NULL || (size_t)(rb - hp - 1) >= sizeof(t->host))
			goto bad;
		memcpy(t->host, hp + 1, (size_t)(rb - hp - 1));
		t->host[rb - hp - 1] = '\0';
		colon = rb + 1 < hp_end && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < hp_end && colon == NULL)
			goto bad;
	} else {
		colon = memchr(hp, ':', (size_t)(hp_end - hp));
		size_t hl = (size_t)((colon != NULL ? colon : hp_end) - hp);
		if (hl >= sizeof(t->host))
			goto bad;
		memcpy(t->host, hp, hl);
		t->host[hl] = '\0';
	}
	if (t->host[0] == '\0')
		snprintf(t->host, sizeof(t->host), "127.0.0.1");
	if (colon != NULL) {
		if (parse_uint(colon + 1, (size_t)(hp_end - colon - 1), 65535,
		    &v) < 0 || v == 0)
			return ps_err_set(err, PS_E_CONFIG,
			    "REDIS_URL: port must be 1 to 65535");
		t->port = (int)v;
	}
	p = auth_end;
	if (*p == '/') {
		size_t n = strcspn(p + 1, "?#");
		if (n > 0) {
			if (parse_uint(p + 1, n, 10000, &v) < 0)
				return ps_err_set(err, PS_E_CONFIG,
				    "REDIS_URL: database must be a number "
				    "(redis://host:port/0)");
			t->db = (int)v;
		}
		p += 1 + n;
	}
	if (*p == '?')
		return parse_query(p + 1, t, err);
	if (*p != '\0')
		goto bad;
	return PS_OK;
bad:
	return ps_err_set(err, PS_E_CONFIG,
	    "REDIS_URL is malformed (expected redis://[user:password@]"
	    "host:port/db or unix:///path.sock)");
}

ps_code
ps_redis_target_from_config(const ps_config *cfg, ps_redis_target *t,
    ps_err *err)
{
	const char *url = ps_config_str(cfg, PS_CFG_REDIS_URL);
	const char *pw;

	if (url != NULL) {
		ps_code rc = ps_redis_parse_url(url, t, err);
		/* REDIS_PASSWORD completes a URL without one. */
		pw = ps_config_str(cfg, PS_CFG_REDIS_PASSWORD);
		if (rc == PS_OK && t->password[0] == '\0' && pw != NULL)
			snprintf(t->password, sizeof(t->password), "%s", pw);
		return rc;
	}
	memset(t, 0, sizeof(*t));
	if (snprintf(t->host, sizeof(t->host), "%s",
	    ps_config_str(cfg, PS_CFG_REDIS_HOST)) >= (int)sizeof(t->host))
		return ps_err_set(err, PS_E_CONFIG, "REDIS_HOST too long");
	if (t->host[0] == '/') {
		/* A socket path in REDIS_HOST, as some hosts document. */
		if (strlen(t->host) >= sizeof(t->path))
			return ps_err_set(err, PS_E_CONFIG,
			    "REDIS_HOST socket path too long");
		memcpy(t->path, t->host, strlen(t->host) + 1);
		t->is_unix = 1;
	}
	t->port = (int)ps_config_int(cfg, PS_CFG_REDIS_PORT);
	t->db = (int)ps_config_int(cfg, PS_CFG_REDIS_DB);
	if ((pw = ps_config_str(cfg, PS_CFG_REDIS_PASSWORD)) != NULL &&
	    snprintf(t->password, sizeof(t->password), "%s", pw) >=
	    (int)sizeof(t->password))
		return ps_err_set(err, PS_E_CONFIG, "REDIS_PASSWORD too long");
	if ((pw = ps_config_str(cfg, PS_CFG_REDIS_USERNAME)) != NULL &&
	    snprintf(t->username, sizeof(t->username), "%s", pw) >=
	    (int)sizeof(t->username))
		return ps_err_set(err, PS_E_CONFIG, "REDIS_USERNAME too long");
	return PS_OK;
}

void
ps_redis_target_describe(const ps_redis_target *t, char *buf, size_t sz)
{
	if (t->is_unix)
		snprintf(buf, sz, "unix:%s/%d", t->path, t->db);
	else if (strchr(t->host, ':') != NULL)
		snprintf(buf, sz, "[%s]:%d/%d", t->host, t->port, t->db);
	else
		snprintf(buf, sz, "%s:%d/%d", t->host, t->port, t->db);
}

/* ------------------------------------------------------------ connection */

ps_code
ps_redis_new(ps_redis **out, const ps_config *cfg, ps_err *err)
{
	ps_redis *r;
	ps_code rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	if ((rc = ps_redis_target_from_config(cfg, &r->target, err)) !=
	    PS_OK) {
		free(r);
		return rc;
	}
	if (r->target.password[0] != '\0')
		ps_log_add_secret(r->target.password);
	r->connect_ms = (long)ps_config_int(cfg,
	    PS_CFG_REDIS_CONNECT_TIMEOUT_MS);
	r->command_ms = (long)ps_config_int(cfg,
	    PS_CFG_REDIS_COMMAND_TIMEOUT_MS);
	snprintf(r->tag, sizeof(r->tag), "{%s}",
	    ps_config_str(cfg, PS_CFG_REDIS_KEY_PREFIX));
	*out = r;
	return PS_OK;
}

void
ps_redis_disconnect(ps_redis *r)
{
	if (r != NULL && r->ctx != NULL) {
		redisFree(r->ctx);
		r->ctx = NULL;
	}
	if (r != NULL)
		r->pending = 0;
}

void
ps_redis_free(ps_redis *r)
{
	if (r == NULL)
		return;
	ps_redis_disconnect(r);
	memset(r->target.password, 0, sizeof(r->target.password));
	free(r);
}

const char *
ps_redis_tag(const ps_redis *r)
{
	return r->tag;
}

char *
ps_redis_key(const ps_redis *r, char *buf, size_t sz, const char *suffix)
{
	int n = snprintf(buf, sz, "%s:%s", r->tag, suffix);

	return n < 0 || (size_t)n >= sz ? NULL : buf;
}

unsigned long long
ps_redis_round_trips(const ps_redis *r)
{
	return r->trips;
}

long
ps_redis_command_timeout_ms(const ps_redis *r)
{
	return r->command_ms;
}

static struct timeval
ms_tv(long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* Why a context failed, in words. */
static ps_code
ctx_error(ps_redis *r, ps_err *err, const char *during)
{
	char where[400];
	const char *why = "unknown error";

	ps_redis_target_describe(&r->target, where, sizeof(where));
	if (r->ctx != NULL) {
		if (r->ctx->err == REDIS_ERR_IO &&
		    (errno == EAGAIN || errno == EWOULDBLOCK ||
		    strstr(r->ctx->errstr, "temporarily") != NULL))
			why = "timed out";
		else if (r->ctx->err == REDIS_ERR_EOF)
			why = "connection closed by server";
		else
			why = r->ctx->errstr;
	}
	ps_err_set(err, PS_E_REDIS, "Redis not available: %s %s (%s)", why,
	    during, where);
	ps_redis_disconnect(r);
	return PS_E_REDIS;
}

/* Error replies that mean "cannot serve now" rather than "bad command". */
static int
unavailable_reply(const redisReply *rep)
{
	static const char *const pfx[] = {
		"LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN",
		"NOAUTH", "WRONGPASS", "NOPERM", "TRYAGAIN", "CLUSTERDOWN"
	};
	size_t i;

	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (strncmp(rep->str, pfx[i], strlen(pfx[i])) == 0)
			return 1;
	return 0;
}

/* An idle connection the server has closed (restart, timeout, kill)
 * reads as EOF: find that without a round trip, so the first command
 * after a Redis restart does not fail. */
static int
peer_closed(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char c;

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
		return 1;
	/* Readable while idle: EOF, or data nobody asked for; either way
	 * the connection cannot be trusted for the next reply. */
	(void)recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return 1;
}

static ps_code
do_connect(ps_redis *r, ps_err *err)
{
	struct timeval tv = ms_tv(r->connect_ms);
	redisReply *rep;
	int n = 0, i;
	ps_code rc = PS_OK;

	if (r->target.is_unix)
		r->ctx = redisConnectUnixWithTimeout(r->target.path, tv);
	else
		r->ctx = redisConnectWithTimeout(r->target.host,
		    r->target.port, tv);
	if (r->ctx == NULL)
		return ps_err_set(err, PS_E_NOMEM,
		    "Redis not available: out of memory");
	if (r->ctx->err)
		return ctx_error(r, err, "while connecting");
	if (redisSetTimeout(r->ctx, ms_tv(r->command_ms)) != REDIS_OK)
		return ctx_error(r, err, "while setting timeouts");
	r->timeout_set = r->command_ms;

	/* AUTH, SELECT and CLIENT SETNAME in one round trip. */
	if (r->target.password[0] != '\0') {
		if (r->target.username[0] != '\0')
			redisAppendCommand(r->ctx, "AUTH %s %s",
			    r->target.username, r->target.password);
		else
			redisAppendCommand(r->ctx, "AUTH %s",
			    r->target.password);
		n++;
	}
	if (r->target.db != 0) {
		redisAppendCommand(r->ctx, "SELECT %d", r->target.db);
		n++;
	}
	if (r->name[0] == '\0')
		snprintf(r->name, sizeof(r->name), "pairstore-%ld",
		    (long)getpid());
	redisAppendCommand(r->ctx, "CLIENT SETNAME %s", r->name);
	n++;
	for (i = 0; i < n; i++) {
		if (redisGetReply(r->ctx, (void **)&rep) != REDIS_OK)
			return ctx_error(r, err, "while authenticating");
		if (rep->type == REDIS_REPLY_ERROR && rc == PS_OK) {
			char where[400];
			ps_redis_target_describe(&r->target, where,
			    sizeof(where));
			rc = ps_err_set(err, PS_E_REDIS,
			    "Redis not available: %s refused the connection "
			    "setup: %.120s", where, rep->str);
		}
		freeReplyObject(rep);
	}
	r->trips++;
	r->reused = 0;
	if (rc != PS_OK)
		ps_redis_disconnect(r);
	return rc;
}

ps_code
ps_redis_connect(ps_redis *r, ps_err *err)
{
	if (r->ctx != NULL && r->ctx->err == 0 && !peer_closed(r->ctx->fd))
		return PS_OK;
	ps_redis_disconnect(r);
	return do_connect(r, err);
}

/* Use timeout_ms for the socket's reads and writes; a no-op (no system
 * call) when it is already the one set. */
static void
set_timeout(ps_redis *r, long timeout_ms)
{
	if (r->timeout_set == timeout_ms)
		return;
	if (redisSetTimeout(r->ctx, ms_tv(timeout_ms)) == REDIS_OK)
		r->timeout_set = timeout_ms;
}

/* What an error reply means to the caller; PS_OK for any other reply. */
static ps_code
reply_rc(const redisReply *rep, ps_err *err)
{
	if (rep->type != REDIS_REPLY_ERROR)
		return PS_OK;
	if (strncmp(rep->str, "NOSCRIPT", 8) == 0)
		/* Kept distinguishable for the script callers. */
		return ps_err_set(err, PS_E_NOT_FOUND, "NOSCRIPT");
	if (unavailable_reply(rep))
		return ps_err_set(err, PS_E_REDIS,
		    "Redis not available: %.200s", rep->str);
	return ps_err_set(err, PS_E_INTERNAL, "Redis error: %.200s",
	    rep->str);
}

/* Read the replies of a pipeline still owed (ps_redis_pipeline_begin):
 * into replies[0..count-1], or discarded when replies is NULL. */
static ps_code
read_pending(ps_redis *r, redisReply **replies, int count, ps_err *err)
{
	int i;

	for (i = 0; i < count; i++) {
		redisReply *rep = NULL;

		if (redisGetReply(r->ctx, (void **)&rep) != REDIS_OK ||
		    rep == NULL) {
			r->pending = 0;
			for (; replies != NULL && i < count; i++)
				replies[i] = NULL;
			return ctx_error(r, err, "during a command");
		}
		r->pending--;
		if (replies != NULL)
			replies[i] = rep;
		else
			freeReplyObject(rep);
	}
	return PS_OK;
}

/*
 * Write n formatted commands (cmd holds them back to back) in one go and
 * read the first nread (at least one) of their replies; the others are owed
 * (r->pending) until read_pending().  One round trip.  A connection
 * closed under us before any reply (the server restarted between our
 * check and the write) means no command ran, so one retry on a fresh
 * connection is safe; a timeout is never retried, a command may have
 * run.  On PS_OK replies[0..nread-1] are set, error replies included.
 */
static ps_code
exchange(ps_redis *r, long timeout_ms, const char *cmd, size_t len, int n,
    int nread, redisReply **replies, ps_err *err)
{
	int attempt, was_reused, i, got;

	/* Replies someone left owed come before ours. */
	if (r->pending > 0 && r->ctx != NULL &&
	    read_pending(r, NULL, r->pending, NULL) != PS_OK)
		r->pending = 0;
	for (i = 0; i < nread; i++)
		replies[i] = NULL;
	for (attempt = 0;; attempt++) {
		ps_code rc;

		if ((rc = ps_redis_connect(r, err)) != PS_OK)
			return rc;
		was_reused = r->reused;
		set_timeout(r, timeout_ms);
		got = redisAppendFormattedCommand(r->ctx, cmd, len) ==
		    REDIS_OK;
		for (i = 0; got && i < nread; i++)
			got = redisGetReply(r->ctx, (void **)&replies[i]) ==
			    REDIS_OK && replies[i] != NULL;
		r->trips++;
		if (got)
			break;
		for (i = 0; i < nread; i++)
			if (replies[i] != NULL) {
				freeReplyObject(replies[i]);
				replies[i] = NULL;
				/* Something ran: never send it again. */
				was_reused = 0;
			}
		if (attempt == 0 && was_reused &&
		    r->ctx->err == REDIS_ERR_EOF) {
			ps_redis_disconnect(r);
			continue;
		}
		return ctx_error(r, err, "during a command");
	}
	r->pending = n - nread;
	r->reused = 1;
	return PS_OK;
}

static ps_code
roundtrip(ps_redis *r, long timeout_ms, const char *cmd, size_t len,
    redisReply **reply, ps_err *err)
{
	redisReply *rep;
	ps_code rc;

	*reply = NULL;
	if ((rc = exchange(r, timeout_ms, cmd, len, 1, 1, &rep, err)) !=
	    PS_OK)
		return rc;
	if ((rc = reply_rc(rep, err)) != PS_OK) {
		freeReplyObject(rep);
		return rc;
	}
	*reply = rep;
	return PS_OK;
}

ps_code
ps_redis_argv_timeout(ps_redis *r, long timeout_ms, redisReply **reply,
    int argc, const char **argv, const size_t *argvlen, ps_err *err)
{
	char *cmd;
	int len;
	ps_code rc;

	*reply = NULL;
	if ((len = redisFormatCommandArgv(&cmd, argc, argv, argvlen)) < 0)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	rc = roundtrip(r, timeout_ms, cmd, (size_t)len, reply, err);
	redisFreeCommand(cmd);
	return rc;
}

ps_code
ps_redis_argv(ps_redis *r, redisReply **reply, int argc, const char **argv,
    const size_t *argvlen, ps_err *err)
{
	return ps_redis_argv_timeout(r, r->command_ms, reply, argc, argv,
	    argvlen, err);
}

ps_code
ps_redis_cmd(ps_redis *r, redisReply **reply, ps_err *err, const char *fmt,
    ...)
{
	char *cmd;
	va_list ap;
	int len;
	ps_code rc;

	*reply = NULL;
	va_start(ap, fmt);
	len = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	if (len < 0)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	rc = roundtrip(r, r->command_ms, cmd, (size_t)len, reply, err);
	redisFreeCommand(cmd);
	return rc;
}

/* ------------------------------------------------------------ scripts */

void
ps_redis_script_init(ps_redis_script *s, const char *name, const char *body)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	int i;

	s->name = name;
	s->body = body;
	SHA1((const unsigned char *)body, strlen(body), md);
	for (i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(s->sha + 2 * i, 3, "%02x", md[i]);
}

#define EVAL_MAX_ARGS 64

/* The argument vector of EVALSHA sha nkeys... (with_body: EVAL body
 * nkeys...) into av/al, which hold EVAL_MAX_ARGS + 3; nk is scratch.
 * Returns the number of arguments, or -1 when there are too many. */
static int
script_argv(const ps_redis_script *s, int with_body, int nkeys, int nargs,
    const char **argv, const size_t *argvlen, const char **av, size_t *al,
    char nk[16])
{
	int i, total = nkeys + nargs;

	if (nkeys < 0 || nargs < 0 || total > EVAL_MAX_ARGS)
		return -1;
	snprintf(nk, 16, "%d", nkeys);
	av[0] = with_body ? "EVAL" : "EVALSHA";
	al[0] = strlen(av[0]);
	av[1] = with_body ? s->body : s->sha;
	al[1] = with_body ? strlen(s->body) : 40;
	av[2] = nk;
	al[2] = strlen(nk);
	for (i = 0; i < total; i++) {
		av[3 + i] = argv[i];
		al[3 + i] = argvlen != NULL ? argvlen[i] : strlen(argv[i]);
	}
	return total + 3;
}

/* Run the script: EVALSHA, or (with_body) EVAL with its text, which
 * also caches it again on a server that lost its script cache (a
 * restart, SCRIPT FLUSH). */
static ps_code
eval_script(ps_redis *r, const ps_redis_script *s, int with_body,
    int nkeys, int nargs, const char **argv, const size_t *argvlen,
    redisReply **reply, ps_err *err)
{
	const char *av[EVAL_MAX_ARGS + 3];
	size_t al[EVAL_MAX_ARGS + 3];
	char nk[16];
	int n;

	*reply = NULL;
	if ((n = script_argv(s, with_body, nkeys, nargs, argv, argvlen, av,
	    al, nk)) < 0)
		return ps_err_set(err, PS_E_INTERNAL,
		    "script %s: too many arguments", s->name);
	return ps_redis_argv(r, reply, n, av, al, err);
}

static ps_code
eval_body(ps_redis *r, const ps_redis_script *s, int nkeys, int nargs,
    const char **argv, const size_t *argvlen, redisReply **reply,
    ps_err *err)
{
	return eval_script(r, s, 1, nkeys, nargs, argv, argvlen, reply, err);
}

ps_code
ps_redis_eval(ps_redis *r, const ps_redis_script *s, int nkeys, int nargs,
    const char **argv, const size_t *argvlen, redisReply **reply,
    ps_err *err)
{
	ps_code rc;

	rc = eval_script(r, s, 0, nkeys, nargs, argv, argvlen, reply, err);
	if (rc != PS_E_NOT_FOUND)
		return rc;
	return eval_body(r, s, nkeys, nargs, argv, argvlen, reply, err);
}

/* Take the raw replies into the steps, from step first on; scripts the
 * server had lost are run again, on their own, when nothing is owed. */
static void
steps_settle(ps_redis *r, ps_redis_step *steps, int first, int n,
    redisReply **rep)
{
	int i;

	for (i = first; i < n; i++) {
		ps_redis_step *st = &steps[i];

		st->rc = reply_rc(rep[i - first], &st->err);
		if (st->rc == PS_OK)
			st->reply = rep[i - first];
		else
			freeReplyObject(rep[i - first]);
	}
	if (r->pending > 0)
		return;
	for (i = 0; i < n; i++) {
		ps_redis_step *st = &steps[i];

		if (st->rc == PS_E_NOT_FOUND && st->script != NULL &&
		    st->reply == NULL)
			st->rc = eval_body(r, st->script, st->nkeys,
			    st->argc - st->nkeys, st->argv, st->argvlen,
			    &st->reply, &st->err);
	}
}

/* Every step fails with the exchange's error. */
static void
steps_fail(ps_redis_step *steps, int first, int n, ps_code rc,
    const ps_err *err)
{
	int i;

	for (i = first; i < n; i++) {
		steps[i].reply = NULL;
		steps[i].rc = rc;
		if (err != NULL)
			steps[i].err = *err;
		else
			ps_err_set(&steps[i].err, rc, "Redis not available");
	}
}

ps_code
ps_redis_pipeline_begin(ps_redis *r, long timeout_ms, ps_redis_step *steps,
    int n, int nread, ps_err *err)
{
	char *cmd[PS_REDIS_PIPELINE_MAX], *all = NULL;
	redisReply *rep[PS_REDIS_PIPELINE_MAX];
	size_t len[PS_REDIS_PIPELINE_MAX], total = 0;
	int i, built = 0, lost = 0;
	ps_code rc = PS_OK;

	if (n < 1 || n > PS_REDIS_PIPELINE_MAX || nread < 1 || nread > n)
		return ps_err_set(err, PS_E_INTERNAL,
		    "pipeline of %d commands", n);
	for (i = 0; i < n; i++) {
		const char *av[EVAL_MAX_ARGS + 3];
		size_t al[EVAL_MAX_ARGS + 3];
		char nk[16];
		int argc = steps[i].argc;
		const char **v = steps[i].argv;
		const size_t *vl = steps[i].argvlen;
		long long l;

		steps[i].reply = NULL;
		steps[i].rc = PS_OK;
		if (steps[i].script != NULL) {
			argc = script_argv(steps[i].script, 0, steps[i].nkeys,
			    steps[i].argc - steps[i].nkeys, steps[i].argv,
			    steps[i].argvlen, av, al, nk);
			v = av;
			vl = al;
		}
		if (argc < 1) {
			rc = ps_err_set(err, PS_E_INTERNAL,
			    "pipeline: bad command %d", i);
			goto out;
		}
		l = redisFormatCommandArgv(&cmd[i], argc, v, vl);
		if (l < 0) {
			rc = ps_err_set(err, PS_E_NOMEM, "out of memory");
			goto out;
		}
		built++;
		len[i] = (size_t)l;
		total += len[i];
	}
	if ((all = malloc(total)) == NULL) {
		rc = ps_err_set(err, PS_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0, total = 0; i < n; i++) {
		memcpy(all + total, cmd[i], len[i]);
		total += len[i];
	}
	rc = exchange(r, timeout_ms, all, total, n, nread, rep, err);
	if (rc != PS_OK)
		goto out;
	for (i = 0; i < nread; i++)
		if (rep[i]->type == REDIS_REPLY_ERROR &&
		    strncmp(rep[i]->str, "NOSCRIPT", 8) == 0)
			lost = 1;
	/* A lost script is sent again before anything else can be: read
	 * what is owed first. */
	if (lost && r->pending > 0) {
		rc = read_pending(r, rep + nread, n - nread, err);
		if (rc != PS_OK) {
			for (i = 0; i < nread; i++)
				freeReplyObject(rep[i]);
			goto out;
		}
		nread = n;
	}
	for (i = nread; i < n; i++)
		ps_err_set(&steps[i].err, steps[i].rc = PS_E_INTERNAL,
		    "pipeline: reply not read");
	steps_settle(r, steps, 0, nread, rep);
out:
	if (rc != PS_OK)
		steps_fail(steps, 0, n, rc, err);
	for (i = 0; i < built; i++)
		redisFreeCommand(cmd[i]);
	free(all);
	return rc;
}

ps_code
ps_redis_pipeline_finish(ps_redis *r, ps_redis_step *steps, int n,
    int nread, ps_err *err)
{
	redisReply *rep[PS_REDIS_PIPELINE_MAX];
	ps_code rc;

	if (r->pending == 0 || nread >= n)
		return PS_OK;	/* all read (or the exchange failed) */
	if (r->pending != n - nread)
		return ps_err_set(err, PS_E_INTERNAL,
		    "pipeline: %d replies owed, %d expected", r->pending,
		    n - nread);
	if ((rc = read_pending(r, rep, n - nread, err)) != PS_OK) {
		steps_fail(steps, nread, n, rc, err);
		return rc;
	}
	steps_settle(r, steps, nread, n, rep);
	return PS_OK;
}

ps_code
ps_redis_pipeline(ps_redis *r, long timeout_ms, ps_redis_step *steps,
    int n, ps_err *err)
{
	return ps_redis_pipeline_begin(r, timeout_ms, steps, n, n, err);
}

/* ------------------------------------------------------------ server check */

/* Value of "field:" in an INFO reply, copied into out. */
static int
info_field(const char *info, const char *field, char *out, size_t sz)
{
	size_t n = strlen(field);
	const char *p = info;

	while ((p = strstr(p, field)) != NULL) {
		if ((p == info || p[-1] == '\n') && p[n] == ':') {
			size_t len = strcspn(p + n + 1, "\r\n");
			if (len >= sz)
				len = sz - 1;
			memcpy(out, p + n + 1, len);
			out[len] = '\0';
			return 0;
		}
		p += n;
	}
	return -1;
}

/* CONFIG GET name -> value, or -1 when CONFIG is not allowed. */
static int
config_get(ps_redis *r, const char *name, char *out, size_t sz)
{
	redisReply *rep;

	if (ps_redis_cmd(r, &rep, NULL, "CONFIG GET %s", name) != PS_OK)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[1]->type != REDIS_REPLY_STRING) {
		freeReplyObject(rep);
		return -1;
	}
	snprintf(out, sz, "%s", rep->element[1]->str);
	freeReplyObject(rep);
	return 0;
}

ps_code
ps_redis_check_server(ps_redis *r, ps_redis_warn_fn warn, void *arg,
    char *version, size_t versionsz, ps_err *err)
{
	char aof[16] = "", policy[64] = "", save[256] = "", fsync[32] = "";
	char msg[256];
	redisReply *rep;
	ps_code rc;

	rc = ps_redis_cmd(r, &rep, err, "INFO");
	if (rc != PS_OK)
		return rc;
	if (rep->type != REDIS_REPLY_STRING && rep->type !=
	    REDIS_REPLY_STATUS) {
		freeReplyObject(rep);
		return ps_err_set(err, PS_E_INTERNAL, "unexpected INFO reply");
	}
	if (version != NULL && info_field(rep->str, "redis_version", version,
	    versionsz) < 0)
		snprintf(version, versionsz, "unknown");
	info_field(rep->str, "aof_enabled", aof, sizeof(aof));
	info_field(rep->str, "maxmemory_policy", policy, sizeof(policy));
	freeReplyObject(rep);

	if (config_get(r, "save", save, sizeof(save)) < 0)
		snprintf(save, sizeof(save), "?");
	if (strcmp(aof, "1") != 0) {
		if (save[0] == '\0')
			warn("Redis has no persistence (appendonly no, no "
			    "save points): queued jobs and locks are lost on "
			    "restart; set appendonly yes, appendfsync everysec",
			    arg);
		else
			warn("Redis AOF is off: jobs accepted since the last "
			    "snapshot are lost on a crash; set appendonly yes, "
			    "appendfsync everysec", arg);
	} else if (config_get(r, "appendfsync", fsync, sizeof(fsync)) == 0 &&
	    strcmp(fsync, "no") == 0)
		warn("Redis appendfsync is 'no': set everysec so at most one "
		    "second of jobs can be lost", arg);
	if (policy[0] != '\0' && strcmp(policy, "noeviction") != 0) {
		snprintf(msg, sizeof(msg),
		    "Redis maxmemory-policy is %s: under memory pressure "
		    "Redis may evict locks and jobs; set noeviction", policy);
		warn(msg, arg);
	}
	return PS_OK;
}
