/*
 * fuzz_dotenv.c - the .env parser (ps_dotenv_parse_buf) and the
 * configuration loaded from such a file (ps_config_load_from), in
 * lib/ps_config.c.
 *
 * Input: the file.
 *
 * Invariants:
 *  - every assignment handed to the callback has a name of 1 to
 *    PS_DOTENV_MAX_KEY of [A-Za-z_][A-Za-z0-9_.-]*, a value of at most
 *    PS_DOTENV_MAX_VALUE bytes, a line number that never goes down and
 *    stays within the file; at most PS_DOTENV_MAX_ENTRIES of them;
 *  - a refusal is PS_E_CONFIG and its message starts "name:LINE:" or
 *    "name: ";
 *  - line ends do not matter: the same file with CRLF instead of LF
 *    gives the same assignments, values and line numbers;
 *  - when the file parses, loading it as PAIRSTORE_ENV_FILE (one input in
 *    16: it is slow) either works
 *    or is a PS_E_CONFIG refusal, and neither the refusal nor the
 *    printed configuration shows the value of a secret setting (those
 *    that are URLs are masked only in part; fuzz_redis_url checks them).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ps_config.h"
#include "fuzz_common.h"

#define FILE_NAME "fuzz.env"
#define MAX_REC 1100

struct entry {
	char *key;
	char *value;
	int line;
};

struct rec {
	struct entry e[MAX_REC];
	size_t n;
	int max_line;
};

static int memfd = -1;
static char memfd_path[64];

static int
key_ok(const char *k)
{
	size_t i;

	for (i = 0; k[i] != '\0'; i++) {
		int c = (unsigned char)k[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '_' || (i > 0 && ((c >= '0' && c <= '9') ||
		    c == '.' || c == '-'))))
			return 0;
	}
	return i >= 1 && i <= PS_DOTENV_MAX_KEY;
}

static int
on_entry(const char *key, const char *value, int line, void *arg)
{
	struct rec *r = arg;
	struct entry *e;

	FUZZ_CHECK(key_ok(key), "bad name \"%.40s\"", key);
	FUZZ_CHECK(strlen(value) <= PS_DOTENV_MAX_VALUE, "value of %zu "
	    "bytes", strlen(value));
	FUZZ_CHECK(line >= 1 && line <= r->max_line, "line %d of %d", line,
	    r->max_line);
	FUZZ_CHECK(r->n == 0 || line > r->e[r->n - 1].line, "line %d after "
	    "line %d", line, r->n > 0 ? r->e[r->n - 1].line : 0);
	FUZZ_CHECK(r->n < PS_DOTENV_MAX_ENTRIES, "more than %d entries",
	    PS_DOTENV_MAX_ENTRIES);
	e = &r->e[r->n++];
	e->key = strdup(key);
	e->value = strdup(value);
	if (e->key == NULL || e->value == NULL)
		abort();
	e->line = line;
	return 0;
}

static void
rec_free(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->e[i].key);
		free(r->e[i].value);
	}
	r->n = 0;
}

static ps_code
parse(const char *buf, size_t len, struct rec *r, ps_err *err)
{
	size_t i;
	ps_code rc;

	r->n = 0;
	r->max_line = 1;
	for (i = 0; i < len; i++)
		r->max_line += buf[i] == '\n';
	rc = ps_dotenv_parse_buf(FILE_NAME, buf, len, on_entry, r, err);
	if (rc != PS_OK) {
		fuzz_check_err_msg(err);
		FUZZ_CHECK(rc == PS_E_CONFIG, "refused with %d", (int)rc);
		FUZZ_CHECK(strncmp(err->msg, FILE_NAME ":", 9) == 0,
		    "message \"%s\" does not name the file", err->msg);
	}
	return rc;
}

/* Is s inside any value or name that may legitimately be shown? */
static int
shown_elsewhere(const struct rec *r, const char *s)
{
	size_t i;
	int k;

	for (i = 0; i < r->n; i++) {
		k = ps_config_lookup(r->e[i].key);
		/* Shown: a setting that is not secret, and the parts of a
		 * URL other than its password. */
		if (strstr(r->e[i].key, s) != NULL ||
		    ((k < 0 || !ps_config_is_secret((ps_setting)k) ||
		    strstr(r->e[i].key, "_URL") != NULL) &&
		    strstr(r->e[i].value, s) != NULL))
			return 1;
	}
	for (k = 0; k < PS_CFG__COUNT; k++)
		if (strstr(ps_config_name((ps_setting)k), s) != NULL)
			return 1;
	return strstr(FILE_NAME " environment default file (unset) "
	    "******** line must be a whole number true false one of",
	    s) != NULL || strstr(memfd_path, s) != NULL;
}

/* Load the file as the configuration; secrets never shown. */
static void
load(const uint8_t *data, size_t size, const struct rec *r)
{
	char *envp[1] = { NULL }, *out = NULL;
	ps_config *cfg = NULL;
	size_t outlen = 0, i;
	ps_err err;
	ps_code rc;
	FILE *f;
	int k;

	if (ftruncate(memfd, 0) != 0 ||
	    pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	rc = ps_config_load_from(&cfg, envp, memfd_path, &err);
	if (rc == PS_OK) {
		f = open_memstream(&out, &outlen);
		if (f == NULL)
			abort();
		ps_config_print(cfg, f);
		fclose(f);
	} else {
		fuzz_check_err_msg(&err);
		FUZZ_CHECK(rc == PS_E_CONFIG, "load refused with %d: %s",
		    (int)rc, err.msg);
	}
	for (i = 0; i < r->n; i++) {
		const char *v = r->e[i].value;

		k = ps_config_lookup(r->e[i].key);
		/* URLs are masked in part: fuzz_redis_url checks that. */
		if (k < 0 || !ps_config_is_secret((ps_setting)k) ||
		    strlen(v) < 8 || strstr(r->e[i].key, "_URL") != NULL ||
		    shown_elsewhere(r, v))
			continue;
		if (rc != PS_OK)
			FUZZ_CHECK(strstr(err.msg, v) == NULL, "%s shown in "
			    "\"%s\"", r->e[i].key, err.msg);
		else if (ps_config_str(cfg, (ps_setting)k) != NULL &&
		    strcmp(ps_config_str(cfg, (ps_setting)k), v) == 0)
			FUZZ_CHECK(strstr(out, v) == NULL, "%s shown by "
			    "ps_config_print", r->e[i].key);
	}
	free(out);
	ps_config_free(cfg);
}

/* Parse buf again with CRLF line ends: nothing may change. */
static void
check_crlf(const char *buf, size_t size, ps_code rc, const ps_err *err,
    const struct rec *lf)
{
	static struct rec crlf;
	const struct entry *a, *b;
	char *buf2;
	size_t i, n2;
	ps_err err2;
	ps_code rc2;

	buf2 = malloc(size * 2 + 1);
	if (buf2 == NULL)
		abort();
	for (i = n2 = 0; i < size; i++) {
		if (buf[i] == '\n')
			buf2[n2++] = '\r';
		buf2[n2++] = buf[i];
	}
	rc2 = parse(buf2, n2, &crlf, &err2);
	FUZZ_CHECK(rc == rc2, "LF: %s; CRLF: %s", rc == PS_OK ? "ok" :
	    err->msg, rc2 == PS_OK ? "ok" : err2.msg);
	FUZZ_CHECK(lf->n == crlf.n, "%zu entries with LF, %zu with CRLF",
	    lf->n, crlf.n);
	for (i = 0; i < lf->n; i++) {
		a = &lf->e[i];
		b = &crlf.e[i];
		FUZZ_CHECK(strcmp(a->key, b->key) == 0 &&
		    a->line == b->line && strcmp(a->value, b->value) == 0,
		    "entry %zu (%s, line %d) differs with CRLF", i, a->key,
		    a->line);
	}
	rec_free(&crlf);
	free(buf2);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ps_log_set_level(PS_LOG_OFF);
	memfd = memfd_create("fuzz-dotenv", 0);
	if (memfd < 0) {
		perror("memfd_create");
		exit(2);
	}
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec lf;
	char *buf;
	ps_err err;
	ps_code rc;

	buf = fuzz_strndup(data, size);
	rc = parse(buf, size, &lf, &err);

	/* The same file with CRLF line ends. */
	if (memchr(buf, '\r', size) == NULL)
		check_crlf(buf, size, rc, &err, &lf);
	/*
	 * Loading reads the file into a fresh 1 MiB buffer, which ASan
	 * maps and unmaps each time (about 1 ms): do it for one input in
	 * 16, chosen by content so a run is reproducible.
	 */
	if (rc == PS_OK && fuzz_fnv1a(FUZZ_FNV_INIT, data, size) % 16 == 0)
		load(data, size, &lf);
	rec_free(&lf);
	free(buf);
	return 0;
}
