/* ps_config.c - see ps_config.h. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps_config.h"
#include "ps_log.h"

extern char **environ;

enum ps_ctype { CT_STR, CT_INT, CT_BOOL, CT_ENUM };
enum { CF_SECRET = 1, CF_URLSECRET = 2 };
#define STR CT_STR
#define INT CT_INT
#define BOOL CT_BOOL
#define ENUM CT_ENUM
#define SECRET CF_SECRET
#define URLSECRET CF_URLSECRET

static const struct setting {
	const char *name;
	enum ps_ctype type;
	const char *def;
	long long min, max;
	int flags;
	const char *help;
} settings[PS_CFG__COUNT] = {
#define X(id, name, type, def, min, max, flags, help)                      \
	[PS_CFG_##id] = {name, type, def, min, max, flags, help},
#include "ps_settings.def"
#undef X
};

#undef STR
#undef INT
#undef BOOL
#undef ENUM
#undef SECRET
#undef URLSECRET

/* Choices of the ENUM settings, '|'-separated. */
static const char *
choices(ps_setting s)
{
	switch (s) {
	case PS_CFG_LOG_LEVEL:
		return "debug|info|warn|error";
	case PS_CFG_AUTH_MODE:
		return "jwt|remote_user|demo";
	case PS_CFG_PAIRING_PROVIDER:
		return "builtin|http|exec";
	default:
		return "";
	}
}

struct ps_config {
	char *val[PS_CFG__COUNT];
	long long ival[PS_CFG__COUNT];
	ps_config_source src[PS_CFG__COUNT];
	int line[PS_CFG__COUNT];
	char *env_file;
};

/* ------------------------------------------------------------ .env parser */

struct dotenv {
	const char *name;
	const char *p, *end;
	int line;
	char *value;
	size_t vlen;
	ps_err *err;
};

static ps_code
dotenv_fail(struct dotenv *d, int line, const char *what)
{
	return ps_err_set(d->err, PS_E_CONFIG, "%s:%d: %s", d->name, line,
	    what);
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static void
skip_blanks(struct dotenv *d)
{
	while (d->p < d->end && is_blank(*d->p))
		d->p++;
}

/* At end of line (LF, CRLF or end of input)?  Consumes it when so. */
static int
take_eol(struct dotenv *d)
{
	if (d->p == d->end)
		return 1;
	if (*d->p == '\n') {
		d->p++;
		d->line++;
		return 1;
	}
	if (*d->p == '\r' && d->p + 1 < d->end && d->p[1] == '\n') {
		d->p += 2;
		d->line++;
		return 1;
	}
	return 0;
}

static void
skip_to_eol(struct dotenv *d)
{
	while (d->p < d->end && *d->p != '\n')
		d->p++;
	take_eol(d);
}

static int
vput(struct dotenv *d, char c)
{
	if (d->vlen >= PS_DOTENV_MAX_VALUE)
		return -1;
	d->value[d->vlen++] = c;
	return 0;
}

/* A quoted value; q is the quote character.  Double quotes take the
 * escapes dotenv users rely on (\n for PEM keys); single quotes and
 * backticks are literal.  Quoted values may span lines. */
static ps_code
quoted_value(struct dotenv *d, char q)
{
	int start = d->line;

	d->p++;
	for (;;) {
		char c;

		if (d->p == d->end)
			return dotenv_fail(d, start, "unterminated quoted value");
		c = *d->p++;
		if (c == q)
			return PS_OK;
		if (c == '\n')
			d->line++;
		if (c == '\r' && d->p < d->end && *d->p == '\n')
			continue;	/* CRLF inside a value becomes LF */
		if (c == '\\' && q == '"' && d->p < d->end) {
			char e = *d->p++;

			/* A backslash before CRLF: the CR goes too. */
			if (e == '\r' && d->p < d->end && *d->p == '\n')
				e = *d->p++;
			switch (e) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			default:
				/* Unknown escape: keep it as written. */
				if (vput(d, '\\') < 0)
					goto toolong;
				c = e;
				if (c == '\n')
					d->line++;
			}
		}
		if (vput(d, c) < 0)
			goto toolong;
	}
toolong:
	return dotenv_fail(d, start, "value longer than 65536 bytes");
}

/* An unquoted value runs to the end of the line; " #" starts a comment;
 * trailing blanks are dropped. */
static ps_code
plain_value(struct dotenv *d)
{
	int start = d->line;

	while (d->p < d->end && *d->p != '\n' &&
	    !(*d->p == '\r' && d->p + 1 < d->end && d->p[1] == '\n')) {
		if (*d->p == '#' && d->vlen > 0 &&
		    is_blank(d->value[d->vlen - 1]))
			break;
		if (vput(d, *d->p++) < 0)
			return dotenv_fail(d, start,
			    "value longer than 65536 bytes");
	}
	while (d->vlen > 0 && is_blank(d->value[d->vlen - 1]))
		d->vlen--;
	skip_to_eol(d);
	return PS_OK;
}

static int
key_char(int c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-');
}

ps_code
ps_dotenv_parse_buf(const char *name, const char *buf, size_t len,
    ps_dotenv_fn fn, void *arg, ps_err *err)
{
	struct dotenv d;
	char key[PS_DOTENV_MAX_KEY + 1];
	size_t klen, nentries = 0;
	ps_code rc = PS_OK;

	if (len > PS_DOTENV_MAX_FILE)
		return ps_err_set(err, PS_E_CONFIG,
		    "%s: larger than %d bytes", name, PS_DOTENV_MAX_FILE);
	if (memchr(buf, '\0', len) != NULL)
		return ps_err_set(err, PS_E_CONFIG,
		    "%s: contains a NUL byte (not a text file?)", name);
	memset(&d, 0, sizeof(d));
	d.name = name;
	d.p = buf;
	d.end = buf + len;
	d.line = 1;
	d.err = err;
	if ((d.value = malloc(PS_DOTENV_MAX_VALUE + 1)) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	/* A UTF-8 byte order mark, as some editors write. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		d.p += 3;

	while (d.p < d.end) {
		int line;

		skip_blanks(&d);
		if (take_eol(&d))
			continue;
		if (*d.p == '#') {
			skip_to_eol(&d);
			continue;
		}
		line = d.line;
		if (d.end - d.p > 7 && memcmp(d.p, "export", 6) == 0 &&
		    is_blank(d.p[6])) {
			d.p += 6;
			skip_blanks(&d);
		}
		for (klen = 0; d.p < d.end && key_char(*d.p, klen == 0);
		    d.p++) {
			if (klen == PS_DOTENV_MAX_KEY) {
				rc = dotenv_fail(&d, line, "name too long");
				goto out;
			}
			key[klen++] = *d.p;
		}
		key[klen] = '\0';
		if (klen == 0) {
			rc = dotenv_fail(&d, line,
			    "expected NAME=value (a name starts with a "
			    "letter or '_')");
			goto out;
		}
		skip_blanks(&d);
		if (d.p == d.end || *d.p != '=') {
			rc = ps_err_set(err, PS_E_CONFIG,
			    "%s:%d: expected '=' after %s", name, line, key);
			goto out;
		}
		d.p++;
		skip_blanks(&d);
		d.vlen = 0;
		if (d.p < d.end && (*d.p == '"' || *d.p == '\'' ||
		    *d.p == '`')) {
			if ((rc = quoted_value(&d, *d.p)) != PS_OK)
				goto out;
			skip_blanks(&d);
			if (d.p < d.end && *d.p == '#')
				skip_to_eol(&d);
			else if (!take_eol(&d)) {
				rc = ps_err_set(err, PS_E_CONFIG,
				    "%s:%d: unexpected text after the closing "
				    "quote of %s", name, d.line, key);
				goto out;
			}
		} else if ((rc = plain_value(&d)) != PS_OK)
			goto out;
		d.value[d.vlen] = '\0';
		if (++nentries > PS_DOTENV_MAX_ENTRIES) {
			rc = dotenv_fail(&d, line, "more than 1000 entries");
			goto out;
		}
		if (fn(key, d.value, line, arg) != 0) {
			rc = ps_err_set(err, PS_E_CONFIG, "%s:%d: %s rejected",
			    name, line, key);
			goto out;
		}
	}
out:
	free(d.value);
	return rc;
}

ps_code
ps_dotenv_parse_file(const char *path, ps_dotenv_fn fn, void *arg,
    ps_err *err)
{
	FILE *f;
	char *buf;
	size_t len;
	ps_code rc;

	if ((f = fopen(path, "rb")) == NULL)
		return ps_err_set(err, PS_E_CONFIG, "cannot open %s: %s",
		    path, strerror(errno));
	if ((buf = malloc(PS_DOTENV_MAX_FILE + 1)) == NULL) {
		fclose(f);
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	}
	len = fread(buf, 1, PS_DOTENV_MAX_FILE + 1, f);
	if (ferror(f)) {
		rc = ps_err_set(err, PS_E_CONFIG, "cannot read %s: %s", path,
		    strerror(errno));
	} else
		rc = ps_dotenv_parse_buf(path, buf, len, fn, arg, err);
	free(buf);
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------ loading */

struct fileval {
	char *val[PS_CFG__COUNT];
	int line[PS_CFG__COUNT];
};

int
ps_config_lookup(const char *name)
{
	int i;

	for (i = 0; i < PS_CFG__COUNT; i++)
		if (strcmp(settings[i].name, name) == 0)
			return i;
	return -1;
}

static int
collect(const char *key, const char *value, int line, void *arg)
{
	struct fileval *fv = arg;
	int s = ps_config_lookup(key);
	char *copy;

	/* Unknown names are the application's own variables: ignored. */
	if (s < 0 || s == PS_CFG_PAIRSTORE_ENV_FILE)
		return 0;
	if ((copy = strdup(value)) == NULL)
		return -1;
	free(fv->val[s]);
	fv->val[s] = copy;
	fv->line[s] = line;
	return 0;
}

static const char *
env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *yes[] = {"1", "true", "yes", "on"};
	static const char *no[] = {"0", "false", "no", "off"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
enum_has(const char *list, const char *v)
{
	size_t n = strlen(v);
	const char *p = list;

	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		p += len + (bar != NULL);
	}
	return 0;
}

static const char *
where(const ps_config *cfg, ps_setting s, char *buf, size_t sz)
{
	switch (cfg->src[s]) {
	case PS_SRC_FILE:
		snprintf(buf, sz, " (%s line %d)", cfg->env_file, cfg->line[s]);
		break;
	case PS_SRC_ENV:
		snprintf(buf, sz, " (environment)");
		break;
	default:
		snprintf(buf, sz, " (default)");
	}
	return buf;
}

static ps_code
check_value(ps_config *cfg, ps_setting s, ps_err *err)
{
	const struct setting *st = &settings[s];
	const char *v = cfg->val[s];
	char w[PATH_MAX + 32];
	char *endp;
	long long n;
	int b;

	if (v == NULL)
		return PS_OK;
	switch (st->type) {
	case CT_INT:
		errno = 0;
		n = strtoll(v, &endp, 10);
		if (errno != 0 || endp == v || *endp != '\0' ||
		    n < st->min || n > st->max)
			return ps_err_set(err, PS_E_CONFIG,
			    "%s must be a whole number from %lld to %lld, "
			    "not \"%.40s\"%s", st->name, st->min, st->max,
			    (st->flags & CF_SECRET) ? "..." : v,
			    where(cfg, s, w, sizeof(w)));
		cfg->ival[s] = n;
		break;
	case CT_BOOL:
		if (parse_bool(v, &b) < 0)
			return ps_err_set(err, PS_E_CONFIG,
			    "%s must be true or false, not \"%.40s\"%s",
			    st->name, v, where(cfg, s, w, sizeof(w)));
		cfg->ival[s] = b;
		break;
	case CT_ENUM:
		if (!enum_has(choices(s), v))
			return ps_err_set(err, PS_E_CONFIG,
			    "%s must be one of %s, not \"%.40s\"%s",
			    st->name, choices(s), v,
			    where(cfg, s, w, sizeof(w)));
		break;
	case CT_STR:
		break;
	}
	return PS_OK;
}

/* Settings whose values have a shape of their own. */
static ps_code
check_shapes(ps_config *cfg, ps_err *err)
{
	const char *p = cfg->val[PS_CFG_REDIS_KEY_PREFIX];
	size_t i;

	if (p != NULL) {
		for (i = 0; p[i] != '\0'; i++)
			if (!key_char(p[i], 0) && p[i] != ':')
				break;
		if (p[i] != '\0' || i == 0 || i > 64)
			return ps_err_set(err, PS_E_CONFIG,
			    "REDIS_KEY_PREFIX must be 1 to 64 of "
			    "A-Z a-z 0-9 _ . - : (it becomes the hash tag "
			    "{PREFIX})");
	}
	return PS_OK;
}

ps_code
ps_config_load_from(ps_config **out, char *const *envp, const char *env_file,
    ps_err *err)
{
	struct fileval fv;
	ps_config *cfg;
	ps_code rc = PS_OK;
	int s;

	*out = NULL;
	memset(&fv, 0, sizeof(fv));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	if (env_file == NULL)
		env_file = env_get(envp, "PAIRSTORE_ENV_FILE");
	if (env_file != NULL && *env_file != '\0') {
		if ((cfg->env_file = strdup(env_file)) == NULL) {
			rc = ps_err_set(err, PS_E_NOMEM, "out of memory");
			goto out;
		}
		rc = ps_dotenv_parse_file(env_file, collect, &fv, err);
		if (rc != PS_OK)
			goto out;
	}
	for (s = 0; s < PS_CFG__COUNT; s++) {
		const char *v = env_get(envp, settings[s].name);

		if (s == PS_CFG_PAIRSTORE_ENV_FILE)
			v = cfg->env_file;
		if (v != NULL && *v != '\0')
			cfg->src[s] = PS_SRC_ENV;
		else if (fv.val[s] != NULL && *fv.val[s] != '\0') {
			v = fv.val[s];
			cfg->src[s] = PS_SRC_FILE;
			cfg->line[s] = fv.line[s];
		} else {
			v = settings[s].def;
			cfg->src[s] = PS_SRC_DEFAULT;
		}
		if (v != NULL && (cfg->val[s] = strdup(v)) == NULL) {
			rc = ps_err_set(err, PS_E_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = check_value(cfg, s, err)) != PS_OK)
			goto out;
	}
	rc = check_shapes(cfg, err);
out:
	for (s = 0; s < PS_CFG__COUNT; s++)
		free(fv.val[s]);
	if (rc != PS_OK)
		ps_config_free(cfg);
	else
		*out = cfg;
	return rc;
}

ps_code
ps_config_load(ps_config **cfg, ps_err *err)
{
	return ps_config_load_from(cfg, environ, NULL, err);
}

void
ps_config_free(ps_config *cfg)
{
	int s;

	if (cfg == NULL)
		return;
	for (s = 0; s < PS_CFG__COUNT; s++) {
		if (cfg->val[s] != NULL && (settings[s].flags &
		    (CF_SECRET | CF_URLSECRET)))
			memset(cfg->val[s], 0, strlen(cfg->val[s]));
		free(cfg->val[s]);
	}
	free(cfg->env_file);
	free(cfg);
}

/* ------------------------------------------------------------ access */

const char *
ps_config_str(const ps_config *cfg, ps_setting s)
{
	return cfg->val[s];
}

long long
ps_config_int(const ps_config *cfg, ps_setting s)
{
	return cfg->ival[s];
}

int
ps_config_bool(const ps_config *cfg, ps_setting s)
{
	return cfg->ival[s] != 0;
}

int
ps_config_is_set(const ps_config *cfg, ps_setting s)
{
	return cfg->val[s] != NULL;
}

ps_config_source
ps_config_source_of(const ps_config *cfg, ps_setting s)
{
	return cfg->src[s];
}

const char *
ps_config_name(ps_setting s)
{
	return settings[s].name;
}

const char *
ps_config_help(ps_setting s)
{
	return settings[s].help;
}

int
ps_config_is_secret(ps_setting s)
{
	return (settings[s].flags & (CF_SECRET | CF_URLSECRET)) != 0;
}

/* ------------------------------------------------------------ masking */

/* The schemes ps_redis_parse_url reads as a unix socket path. */
static int
unix_scheme(const char *url)
{
	return strncasecmp(url, "unix://", 7) == 0 ||
	    strncasecmp(url, "redis+unix://", 13) == 0 ||
	    strncasecmp(url, "redis-socket://", 15) == 0;
}

void
ps_config_mask_url(const char *url, char *buf, size_t bufsz)
{
	const char *auth, *end, *at, *colon, *q, *rest;
	size_t o = 0;

#define EMIT(s, n)                                                         \
	do {                                                               \
		size_t n_ = (n);                                           \
		if (o + n_ >= bufsz)                                       \
			n_ = bufsz - 1 - o;                                \
		memcpy(buf + o, (s), n_);                                  \
		o += n_;                                                   \
	} while (0)

	if (bufsz == 0)
		return;
	auth = strstr(url, "://");
	auth = auth != NULL ? auth + 3 : url;
	/* The user info ends where ps_redis_parse_url ends it: for the
	 * unix socket schemes at the first '/' (a password may hold '?' or
	 * '#'), for every other scheme where RFC 3986 ends the authority,
	 * at the first '/', '?' or '#' (a '?' there starts the query, whose
	 * password= value must not be swallowed into the user info and
	 * then shown).  Masking too much is harmless, too little is not. */
	end = auth + strcspn(auth, unix_scheme(url) ? "/" : "/?#");
	at = NULL;
	for (q = auth; q < end; q++)
		if (*q == '@')
			at = q;		/* the last '@' ends the user info */
	if (at == NULL) {
		EMIT(url, (size_t)(auth - url));
		rest = auth;
	} else {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon != NULL) {
			EMIT(url, (size_t)(colon + 1 - url));
			EMIT("****", 4);
		} else {
			/* A lone user-info part may be a password. */
			EMIT(url, (size_t)(auth - url));
			EMIT("****", 4);
		}
		rest = at;
	}
	/* Host and path as they are, then query parameters that carry
	 * credentials; a value runs to the next '&' as the parser reads
	 * it. */
	q = rest + strcspn(rest, "?");
	EMIT(rest, (size_t)(q - rest));
	while (*q != '\0') {
		size_t n = strcspn(q + 1, "&") + 1;
		const char *eq = memchr(q, '=', n);
		if (eq != NULL && (*q == '?' || *q == '&') &&
		    ((eq - q - 1 == 8 && strncasecmp(q + 1, "password", 8) == 0)
		    || (eq - q - 1 == 4 && strncasecmp(q + 1, "pass", 4) == 0)
		    || (eq - q - 1 == 5 && strncasecmp(q + 1, "token", 5) == 0)
		    || (eq - q - 1 == 6 && strncasecmp(q + 1, "secret", 6) == 0))) {
			EMIT(q, (size_t)(eq + 1 - q));
			EMIT("****", 4);
		} else
			EMIT(q, n);
		q += n;
	}
	buf[o] = '\0';
#undef EMIT
}

void
ps_config_masked(const ps_config *cfg, ps_setting s, char *buf, size_t bufsz)
{
	const char *v = cfg->val[s];

	if (bufsz == 0)
		return;
	if (v == NULL)
		buf[0] = '\0';
	else if (settings[s].flags & CF_SECRET)
		snprintf(buf, bufsz, "********");
	else if (settings[s].flags & CF_URLSECRET)
		ps_config_mask_url(v, buf, bufsz);
	else
		snprintf(buf, bufsz, "%s", v);
}

void
ps_config_print(const ps_config *cfg, FILE *out)
{
	static const char *const src[] = {"default", "environment", "file"};
	char v[512];
	int s;

	for (s = 0; s < PS_CFG__COUNT; s++) {
		ps_config_masked(cfg, s, v, sizeof(v));
		if (cfg->val[s] == NULL)
			fprintf(out, "%-26s (unset)\n", settings[s].name);
		else
			fprintf(out, "%-26s %s  [%s]\n", settings[s].name, v,
			    src[cfg->src[s]]);
	}
}

void
ps_config_register_secrets(const ps_config *cfg)
{
	int s;

	for (s = 0; s < PS_CFG__COUNT; s++)
		if (cfg->val[s] != NULL && (settings[s].flags & CF_SECRET))
			ps_log_add_secret(cfg->val[s]);
}
