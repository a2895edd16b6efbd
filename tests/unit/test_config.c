/* test_config.c - .env parsing, loading precedence, validation, masking. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ps_config.h"
#include "ps_log.h"
#include "tap.h"

struct kv {
	int n;
	char key[32][64];
	char val[32][512];
	int line[32];
};

static int
collect(const char *key, const char *value, int line, void *arg)
{
	struct kv *kv = arg;

	if (kv->n == 32)
		return -1;
	snprintf(kv->key[kv->n], sizeof(kv->key[0]), "%s", key);
	snprintf(kv->val[kv->n], sizeof(kv->val[0]), "%s", value);
	kv->line[kv->n] = line;
	kv->n++;
	return 0;
}

static ps_code
parse(const char *text, struct kv *kv, ps_err *err)
{
	memset(kv, 0, sizeof(*kv));
	ps_err_clear(err);
	return ps_dotenv_parse_buf("test.env", text, strlen(text), collect,
	    kv, err);
}

static void
dotenv_accepts_the_common_forms(void)
{
	struct kv kv;
	ps_err err = {0};
	ps_code rc;

	rc = parse(
	    "# a comment\n"
	    "\n"
	    "PLAIN=value\n"
	    "export EXPORTED=yes\n"
	    "  SPACED = around equals  \n"
	    "SINGLE='literal \\n $HOME'\n"
	    "DOUBLE=\"tab\\there\\nnewline \\\"q\\\"\"\n"
	    "BACKTICK=`it's`\n"
	    "INLINE=value # comment\n"
	    "HASH=abc#def\n"
	    "EMPTY=\n"
	    "QUOTED_EMPTY=\"\"\n"
	    "AFTER_QUOTE=\"x\"   # trailing comment\n"
	    "DOTTED.NAME-1=ok\n",
	    &kv, &err);
	is_int(rc, PS_OK, "a file with every common form parses (%s)",
	    err.msg);
	is_int(kv.n, 12, "twelve assignments found");
	is_str(kv.val[0], "value", "plain value");
	is_str(kv.key[1], "EXPORTED", "export prefix dropped from the name");
	is_str(kv.val[2], "around equals", "blanks around = and at end dropped");
	is_str(kv.val[3], "literal \\n $HOME", "single quotes are literal");
	is_str(kv.val[4], "tab\there\nnewline \"q\"",
	    "double quotes take \\t \\n \\\" escapes");
	is_str(kv.val[5], "it's", "backticks are literal");
	is_str(kv.val[6], "value", "' #' starts a comment after a value");
	is_str(kv.val[7], "abc#def", "'#' inside a value is kept");
	is_str(kv.val[8], "", "empty value");
	is_str(kv.val[9], "", "empty quoted value");
	is_str(kv.val[10], "x", "comment after a closing quote");
	is_str(kv.key[11], "DOTTED.NAME-1", "names may contain . and -");
	is_int(kv.line[6], 9, "line numbers are counted");
}

static void
dotenv_multiline_and_crlf(void)
{
	struct kv kv;
	ps_err err = {0};

	is_int(parse("\xef\xbb\xbfKEY=\"-----BEGIN KEY-----\r\nabc\r\n"
	    "-----END KEY-----\"\r\nNEXT=1\r\n", &kv, &err), PS_OK,
	    "BOM, CRLF and a multi-line quoted value parse (%s)", err.msg);
	is_int(kv.n, 2, "two entries");
	is_str(kv.val[0], "-----BEGIN KEY-----\nabc\n-----END KEY-----",
	    "CRLF inside a quoted value becomes LF");
	is_str(kv.val[1], "1", "the entry after it is read");
	is_int(kv.line[1], 4, "line count continues after the value");
	is_int(parse("A=\"\\\r\nb\"\r\n", &kv, &err), PS_OK,
	    "a backslash before CRLF in a quoted value (fuzz_dotenv)");
	is_str(kv.val[0], "\\\nb", "keeps the backslash and LF, no CR");
	is_int(parse("A=1\r\nB=two words\r\n", &kv, &err), PS_OK,
	    "CRLF line ends");
	is_str(kv.val[1], "two words", "no CR left in an unquoted value");
}

static void
dotenv_rejects_malformed_lines_with_file_and_line(void)
{
	static const struct {
		const char *text;
		const char *where;
		const char *what;
	} bad[] = {
		{"OK=1\nNOEQUALS\n", "test.env:2:", "a line without ="},
		{"1KEY=x\n", "test.env:1:", "a name starting with a digit"},
		{"KEY=\"unterminated\nMORE=1\n", "test.env:1:",
		    "an unterminated double quote"},
		{"A=1\n\nKEY='x' junk\n", "test.env:3:",
		    "text after a closing quote"},
		{"=value\n", "test.env:1:", "an empty name"},
		{"KEY value\n", "test.env:1:", "a missing ="},
		{"export\n", "test.env:1:", "export alone"},
	};
	struct kv kv;
	ps_err err = {0};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ps_code rc = parse(bad[i].text, &kv, &err);
		ok(rc == PS_E_CONFIG && strstr(err.msg, bad[i].where) != NULL,
		    "%s is refused at %s (%s)", bad[i].what, bad[i].where,
		    err.msg);
	}
}

static void
dotenv_limits(void)
{
	struct kv kv;
	ps_err err = {0};
	char *big;
	size_t n = PS_DOTENV_MAX_VALUE + 10;

	big = malloc(n + 16);
	memcpy(big, "K=", 2);
	memset(big + 2, 'v', n);
	big[2 + n] = '\0';
	ok(parse(big, &kv, &err) == PS_E_CONFIG &&
	    strstr(err.msg, "longer") != NULL,
	    "a value over 64 KiB is refused");
	free(big);
	ok(ps_dotenv_parse_buf("nul.env", "A=1\0B=2", 7, collect, &kv,
	    &err) == PS_E_CONFIG, "a NUL byte is refused");
}

/* Write text to a fresh temp file; returns its path (static buffer). */
static const char *
temp_env(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/pairstore-test-env.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		tap_bail("mkstemp");
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		tap_bail("write");
	close(fd);
	return path;
}

static void
config_precedence_env_then_file_then_default(void)
{
	const char *path = temp_env(
	    "REDIS_HOST=file-host\nREDIS_PORT=7000\nLOCK_TTL_MS=60000\n"
	    "UNRELATED_APP_VAR=ignored\n");
	char *envp[] = {"REDIS_HOST=env-host", "LOCK_TTL_MS=", NULL};
	ps_config *cfg;
	ps_err err = {0};

	is_int(ps_config_load_from(&cfg, envp, path, &err), PS_OK,
	    "config with env and file loads (%s)", err.msg);
	is_str(ps_config_str(cfg, PS_CFG_REDIS_HOST), "env-host",
	    "the environment wins over the file");
	is_int(ps_config_int(cfg, PS_CFG_REDIS_PORT), 7000,
	    "the file fills what the environment lacks");
	is_int(ps_config_int(cfg, PS_CFG_LOCK_TTL_MS), 60000,
	    "an empty environment value counts as unset");
	is_int(ps_config_int(cfg, PS_CFG_REDIS_DB), 0, "defaults apply");
	is_int(ps_config_source_of(cfg, PS_CFG_REDIS_PORT), PS_SRC_FILE,
	    "source of a file value is the file");
	ok(!ps_config_is_set(cfg, PS_CFG_REDIS_PASSWORD),
	    "a secret without default stays unset");
	ps_config_free(cfg);
	unlink(path);
}

static void
config_validation_messages_say_what_to_fix(void)
{
	const char *path = temp_env("# settings\nREDIS_PORT=70000\n");
	char *none[] = {NULL};
	char *bad_enum[] = {"AUTH_MODE=magic", NULL};
	char *bad_int[] = {"LOCK_TTL_MS=5 minutes", NULL};
	char *bad_prefix[] = {"REDIS_KEY_PREFIX=a{b}", NULL};
	ps_config *cfg;
	ps_err err = {0};

	ok(ps_config_load_from(&cfg, none, path, &err) == PS_E_CONFIG &&
	    strstr(err.msg, "REDIS_PORT") != NULL &&
	    strstr(err.msg, "1 to 65535") != NULL &&
	    strstr(err.msg, "line 2") != NULL,
	    "an out-of-range port names the setting, range and line (%s)",
	    err.msg);
	unlink(path);
	ok(ps_config_load_from(&cfg, bad_enum, "", &err) == PS_E_CONFIG &&
	    strstr(err.msg, "jwt|remote_user|demo") != NULL,
	    "an unknown AUTH_MODE lists the choices (%s)", err.msg);
	ok(ps_config_load_from(&cfg, bad_int, "", &err) == PS_E_CONFIG &&
	    strstr(err.msg, "LOCK_TTL_MS") != NULL,
	    "a non-number is refused (%s)", err.msg);
	ok(ps_config_load_from(&cfg, bad_prefix, "", &err) == PS_E_CONFIG &&
	    strstr(err.msg, "REDIS_KEY_PREFIX") != NULL,
	    "braces in the key prefix are refused (%s)", err.msg);
	ok(ps_config_load_from(&cfg, none, "/nonexistent/.env", &err) ==
	    PS_E_CONFIG && strstr(err.msg, "/nonexistent/.env") != NULL,
	    "a missing env file is an error naming the path (%s)", err.msg);
}

static void
config_env_file_from_variable(void)
{
	const char *path = temp_env("REDIS_DB=3\n");
	char var[128];
	char *envp[] = {var, NULL};
	ps_config *cfg;
	ps_err err = {0};

	snprintf(var, sizeof(var), "PAIRSTORE_ENV_FILE=%s", path);
	is_int(ps_config_load_from(&cfg, envp, NULL, &err), PS_OK,
	    "PAIRSTORE_ENV_FILE names the file to read (%s)", err.msg);
	is_int(ps_config_int(cfg, PS_CFG_REDIS_DB), 3, "its values are used");
	ps_config_free(cfg);
	unlink(path);
}

static void
mask_url_hides_passwords(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"redis://user:s3cret@host:6379/0",
		    "redis://user:****@host:6379/0"},
		{"redis://:s3cret@host", "redis://:****@host"},
		{"redis://s3cret@host:1/2", "redis://****@host:1/2"},
		{"redis://host:6379/0", "redis://host:6379/0"},
		{"unix:///run/r.sock?db=1&password=s3cret",
		    "unix:///run/r.sock?db=1&password=****"},
		{"https://a:b@x.test/p?token=t0k&q=1",
		    "https://a:****@x.test/p?token=****&q=1"},
		/* Found by fuzz_redis_url: the parser's boundaries. */
		{"unix://:s3c?ret@/s", "unix://:****@/s"},
		{"unix://:s3c#ret@/s", "unix://:****@/s"},
		{"unix:///s#?password=s3cret", "unix:///s#?password=****"},
		{"redis://h/0?password=a#s3cret", "redis://h/0?password=****"},
		{"redis://[:pw@d1?password=s3cret",
		    "redis://[:****@d1?password=****"},
		/* A '?' ends a redis:// authority; a later '@' belongs to
		 * the query's password value. */
		{"redis://u@h?db=3&password=a@b//c",
		    "redis://****@h?db=3&password=****"},
		{"redis://h?password=x@y", "redis://h?password=****"},
	};
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ps_config_mask_url(cases[i].in, buf, sizeof(buf));
		is_str(buf, cases[i].out, "mask_url %s", cases[i].out);
	}
}

static void
config_print_never_shows_secrets(void)
{
	char *envp[] = {
		"REDIS_URL=redis://u:TopSecretPw1@h:6379/0",
		"REDIS_PASSWORD=AnotherSecret2",
		"JWT_SECRET=jwt-secret-value-that-is-long-enough-123",
		"PAIRING_HTTP_TOKEN=tok-secret-3",
		NULL
	};
	ps_config *cfg;
	ps_err err = {0};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (ps_config_load_from(&cfg, envp, "", &err) != PS_OK)
		tap_bail("%s", err.msg);
	f = open_memstream(&out, &len);
	ps_config_print(cfg, f);
	fclose(f);
	ok(strstr(out, "TopSecretPw1") == NULL &&
	    strstr(out, "AnotherSecret2") == NULL &&
	    strstr(out, "jwt-secret-value") == NULL &&
	    strstr(out, "tok-secret-3") == NULL,
	    "printed configuration carries no secret value");
	ok(strstr(out, "redis://u:****@h:6379/0") != NULL,
	    "the Redis URL is shown with its password masked");
	ok(strstr(out, "JWT_SECRET") != NULL && strstr(out, "********"),
	    "a set secret shows as ********");
	free(out);
	ps_config_free(cfg);
}

static void
log_redacts_registered_secrets(void)
{
	char *envp[] = {"JWT_SECRET=jwt-secret-value-that-is-long-enough-123",
		NULL};
	char path[] = "/tmp/pairstore-test-log.XXXXXX";
	char buf[4096];
	ps_config *cfg;
	ps_err err = {0};
	int fd, saved;
	ssize_t n;

	if (ps_config_load_from(&cfg, envp, "", &err) != PS_OK)
		tap_bail("%s", err.msg);
	ps_config_register_secrets(cfg);
	fd = mkstemp(path);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	ps_log_init("test", PS_LOG_DEBUG);
	ps_info("Test", "leak jwt-secret-value-that-is-long-enough-123 "
	    "and\nnewline");
	ps_debug(NULL, "debug shown");
	ps_log_set_level(PS_LOG_WARN);
	ps_info("Test", "info hidden at warn level");
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	ok(strstr(buf, "jwt-secret-value") == NULL &&
	    strstr(buf, "[REDACTED]") != NULL,
	    "a registered secret is redacted from log lines");
	ok(strstr(buf, "[Test] leak") != NULL && strstr(buf, " INFO test[")
	    != NULL, "the line carries level, program and [Tag]");
	ok(strstr(buf, "and\\x0anewline") != NULL,
	    "a newline in a message is escaped, not a new line");
	ok(strstr(buf, "debug shown") != NULL &&
	    strstr(buf, "info hidden") == NULL, "the level filters lines");
	ps_log_clear_secrets();
	ps_config_free(cfg);
}

int
main(void)
{
	dotenv_accepts_the_common_forms();
	dotenv_multiline_and_crlf();
	dotenv_rejects_malformed_lines_with_file_and_line();
	dotenv_limits();
	config_precedence_env_then_file_then_default();
	config_validation_messages_say_what_to_fix();
	config_env_file_from_variable();
	mask_url_hides_passwords();
	config_print_never_shows_secrets();
	log_redacts_registered_secrets();
	return tap_done();
}
