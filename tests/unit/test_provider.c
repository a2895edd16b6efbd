/*
 * test_provider.c - pairing providers (ps_provider.h).
 *
 *  builtin  the 5-bit mapping is exact, codes are 8 symbols of the
 *           alphabet, and 20,000 of them are spread evenly.
 *  exec     fixtures in tests/tools/provider_*.sh: argv and a clean
 *           environment, the time limit, the tick, exit status and
 *           signal reported, output limits, no inherited descriptors,
 *           and the command's whole process group gone when a call ends.
 *  http     against tests/tools/provider_fake.py: the JSON request, the
 *           bearer token, status/JSON/shape/size failures, the time
 *           limit, the tick, and proxy variables ignored.
 *  config   what ps_provider_new refuses, and what describe shows.
 *  leaks    1000 builtin, 200 exec and 200 http calls on one provider
 *           (run under valgrind or ASan to see memory), and the number
 *           of open descriptors does not grow.
 *
 * Fixtures are found under $srcdir/tests/tools (default ".").  The test
 * makes itself a child subreaper (Linux), so a process a pairing command
 * leaves behind is re-parented here and can be seen: none may be alive
 * once a call has returned.  The Python fake is stopped by PID on every
 * exit path (atexit, fatal signals) and stops by itself when this
 * process dies.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "ps_config.h"
#include "ps_provider.h"
#include "ps_util.h"
#include "tap.h"

#define USER "alice"
#define PHONE "15551234567"
#define SECRET_VALUE "parent-secret-must-not-leak-0123456789"
#define TOKEN "tok-test-bearer-0123456789abcdef"

static char tmpdir[PATH_MAX];
static char tools[PATH_MAX];
static volatile pid_t fake_pid = -1;
static int fake_port;
static char fake_url[128];

/* ------------------------------------------------------------ plumbing */

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
fake_stop(void)
{
	pid_t pid = fake_pid;
	int st, i;

	if (pid <= 0)
		return;
	(void)kill(pid, SIGTERM);
	for (i = 0; i < 500; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			break;
		sleep_ms(10);
	}
	if (i == 500) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &st, 0);
	}
	fake_pid = -1;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
}

static void
cleanup(void)
{
	fake_stop();
	if (tmpdir[0] != '\0')
		(void)nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
on_signal(int sig)
{
	if (fake_pid > 0)
		(void)kill(fake_pid, SIGTERM);
	_exit(128 + sig);
}

static void
setup(void)
{
	const char *srcdir = getenv("srcdir");
	const char *t = getenv("TMPDIR");
	char rel[PATH_MAX];
	struct sigaction sa;

	snprintf(tmpdir, sizeof(tmpdir), "%s/ps-provider.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		tap_bail("mkdtemp: %s", strerror(errno));
	atexit(cleanup);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	snprintf(rel, sizeof(rel), "%s/tests/tools",
	    srcdir != NULL && *srcdir != '\0' ? srcdir : ".");
	if (realpath(rel, tools) == NULL)
		tap_bail("fixtures %s: %s (set srcdir)", rel, strerror(errno));
	/* Orphans of pairing commands come to us (Linux 3.4+). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		tap_diag("no child subreaper: %s", strerror(errno));
	/* Proxies of the caller's environment must not matter here. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
}

static void
tool(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "%s/%s", tools, name);
}

static ps_config *
cfg_of(const char *const *kv)
{
	char *envp[16];
	ps_config *cfg;
	ps_err err = {0};
	int n = 0;

	for (; kv != NULL && kv[n] != NULL && n < 15; n++)
		envp[n] = (char *)kv[n];
	envp[n] = NULL;
	if (ps_config_load_from(&cfg, envp, NULL, &err) != PS_OK)
		tap_bail("config: %s", err.msg);
	return cfg;
}

static ps_code
make(ps_provider **p, const char *const *kv, ps_err *err)
{
	ps_config *cfg = cfg_of(kv);
	ps_code rc;

	ps_err_clear(err);
	rc = ps_provider_new(p, cfg, err);
	/* The provider keeps copies of what it needs. */
	ps_config_free(cfg);
	return rc;
}

static ps_provider *
make_ok(const char *const *kv)
{
	ps_provider *p;
	ps_err err = {0};

	if (make(&p, kv, &err) != PS_OK)
		tap_bail("provider: %s", err.msg);
	return p;
}

struct ticker {
	int calls;
	int abort_at;		/* return non-zero on this call; 0 never */
	int64_t last;
	int64_t max_gap;
};

static int
tick_cb(void *arg)
{
	struct ticker *t = arg;
	int64_t now = ps_mono_ms();

	if (now - t->last > t->max_gap)
		t->max_gap = now - t->last;
	t->last = now;
	t->calls++;
	return t->abort_at > 0 && t->calls >= t->abort_at;
}

/* One call with a ticker; *ms gets the elapsed time. */
static ps_code
call(ps_provider *p, struct ticker *t, char *code, ps_err *err, long *ms)
{
	struct ticker none;
	int64_t start;
	ps_code rc;

	if (t == NULL) {
		memset(&none, 0, sizeof(none));
		t = &none;
	}
	ps_err_clear(err);
	start = t->last = ps_mono_ms();
	rc = ps_provider_get_code(p, USER, PHONE, tick_cb, t, code, err);
	if (ms != NULL)
		*ms = (long)(ps_mono_ms() - start);
	return rc;
}

/*
 * Reap what pairing commands left behind (re-parented to us), waiting up
 * to 3 s for them to die.  Returns how many are still alive; *killed
 * counts those that died of SIGKILL.  Not while the fake runs.
 */
static int
leftovers(int *killed)
{
	int64_t until = ps_mono_ms() + 3000;
	int st, alive = 0;
	pid_t r;

	if (killed != NULL)
		*killed = 0;
	for (;;) {
		r = waitpid(-1, &st, WNOHANG);
		if (r > 0) {
			if (killed != NULL && WIFSIGNALED(st) &&
			    WTERMSIG(st) == SIGKILL)
				(*killed)++;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return 0;	/* ECHILD: nobody left */
		if (ps_mono_ms() > until) {
			alive = 1;
			break;
		}
		sleep_ms(10);
	}
	return alive;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
contains(const char *hay, const char *needle)
{
	return hay != NULL && strstr(hay, needle) != NULL;
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		tap_bail("write %s: %s", path, strerror(errno));
	if (chmod(path, mode) == -1)
		tap_bail("chmod %s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------ builtin */

static int
sym_index(char c)
{
	const char *a = PS_CODE_ALPHABET;
	const char *s = strchr(a, c);

	return c != '\0' && s != NULL ? (int)(s - a) : -1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
builtin_alphabet_is_32_unambiguous_symbols(void)
{
	const char *a = PS_CODE_ALPHABET;
	int i, j, dup = 0;

	for (i = 0; a[i] != '\0'; i++)
		for (j = i + 1; a[j] != '\0'; j++)
			dup |= a[i] == a[j];
	ok(strlen(a) == 32 && !dup && strpbrk(a, "0IOUabc") == NULL,
	    "builtin_alphabet_is_32_unambiguous_symbols");
}

static void
builtin_encode_maps_each_5_bit_group_exactly(void)
{
	const char *a = PS_CODE_ALPHABET;
	unsigned char in[5];
	char out[9];
	int pos, s, b, bad = 0;
	uint64_t v;

	/* Symbol s in position pos, zero bits elsewhere. */
	for (pos = 0; pos < 8; pos++)
		for (s = 0; s < 32; s++) {
			v = (uint64_t)s << (35 - 5 * pos);
			for (b = 0; b < 5; b++)
				in[b] = (unsigned char)(v >> (32 - 8 * b));
			ps_provider_builtin_encode(in, out);
			for (b = 0; b < 8; b++)
				bad += out[b] != (b == pos ? a[s] : '1');
		}
	is_int(bad, 0, "builtin_encode_maps_each_5_bit_group_exactly");
	memset(in, 0, sizeof(in));
	ps_provider_builtin_encode(in, out);
	is_str(out, "11111111", "builtin_encode_all_zero_bits");
	memset(in, 0xff, sizeof(in));
	ps_provider_builtin_encode(in, out);
	is_str(out, "ZZZZZZZZ", "builtin_encode_all_one_bits");
	/* 0x08 0x86 0x42 0x98 0xe8 = 00001 00010 00011 ... 01000 */
	memcpy(in, "\x08\x86\x42\x98\xe8", 5);
	ps_provider_builtin_encode(in, out);
	is_str(out, "23456789", "builtin_encode_most_significant_first");
}

/*
 * 20,000 codes.  Per position a symbol appears 625 times on average
 * (sd ~24.6): the bounds 400..850 are over 9 sd away, and a symbol
 * missing from a position has probability ~32*8*(31/32)^20000 ~ 1e-273.
 * A per-position chi-square with 31 degrees of freedom has mean 31 and
 * sd ~7.9; 100 is ~8.7 sd above.  Codes are 40-bit: the expected number
 * of colliding pairs is 20000^2/2/2^40 ~ 1.8e-4, so 2 or more (p ~ 2e-8)
 * would mean a broken generator.  None of these fails by chance in
 * practice, and each catches a bias or a stuck position.
 */
static void
builtin_distribution(void)
{
	enum { N = 20000 };
	static int count[8][32];
	static uint64_t val[N];
	char code[PS_CODE_MAX + 1];
	ps_err err = {0};
	int i, pos, s, bad_form = 0, missing = 0, outside = 0, dups = 0;
	double chi, worst = 0;

	for (i = 0; i < N; i++) {
		if (ps_provider_builtin_code(code, &err) != PS_OK ||
		    strlen(code) != 8) {
			bad_form++;
			continue;
		}
		val[i] = 0;
		for (pos = 0; pos < 8; pos++) {
			s = sym_index(code[pos]);
			if (s < 0) {
				bad_form++;
				break;
			}
			count[pos][s]++;
			val[i] = (val[i] << 5) | (uint64_t)s;
		}
	}
	is_int(bad_form, 0, "builtin_codes_are_8_symbols_of_the_alphabet");
	for (pos = 0; pos < 8; pos++) {
		chi = 0;
		for (s = 0; s < 32; s++) {
			double d = count[pos][s] - N / 32.0;
			missing += count[pos][s] == 0;
			outside += count[pos][s] < 400 || count[pos][s] > 850;
			chi += d * d / (N / 32.0);
		}
		if (chi > worst)
			worst = chi;
	}
	is_int(missing, 0, "builtin_every_symbol_in_every_position");
	is_int(outside, 0, "builtin_position_counts_within_9_sd");
	ok(worst < 100, "builtin_chi_square_per_position_below_100 (worst "
	    "%.1f)", worst);
	qsort(val, N, sizeof(val[0]), cmp_u64);
	for (i = 1; i < N; i++)
		dups += val[i] == val[i - 1];
	ok(dups <= 1, "builtin_no_duplicates_beyond_birthday_bound (%d)",
	    dups);
}

static void
builtin_provider(void)
{
	static const char *const kv[] = {NULL};
	ps_provider *p = make_ok(kv);
	char code[PS_CODE_MAX + 1];
	ps_err err = {0};
	int i, bad = 0;

	is_str(ps_provider_describe(p), "builtin",
	    "builtin_is_the_default_provider");
	is_int(ps_provider_get_code(p, USER, PHONE, NULL, NULL, code, &err),
	    PS_OK, "builtin_provider_gives_a_code");
	ok(strlen(code) == 8 && strspn(code, PS_CODE_ALPHABET) == 8,
	    "builtin_provider_code_is_8_symbols (%s)", code);
	is_int(ps_provider_get_code(p, "bad user", PHONE, NULL, NULL, code,
	    &err), PS_E_INVALID, "get_code_rejects_an_invalid_user_id");
	is_int(ps_provider_get_code(p, USER, "12ab", NULL, NULL, code, &err),
	    PS_E_INVALID, "get_code_rejects_an_invalid_phone");
	/* Leak check (valgrind / ASan): 1000 calls on one provider. */
	for (i = 0; i < 1000; i++)
		bad += ps_provider_get_code(p, USER, "+" PHONE, NULL, NULL,
		    code, &err) != PS_OK;
	is_int(bad, 0, "builtin_1000_calls_on_one_provider");
	ps_provider_free(p);
}

/* ------------------------------------------------------------ config */

static void
expect_config_error(const char *const *kv, const char *want1,
    const char *want2, const char *name)
{
	ps_provider *p = NULL;
	ps_err err = {0};
	ps_code rc = make(&p, kv, &err);

	ok(rc == PS_E_CONFIG && p == NULL && contains(err.msg, want1) &&
	    (want2 == NULL || contains(err.msg, want2)), "%s", name);
	if (rc != PS_E_CONFIG || !contains(err.msg, want1))
		tap_diag("  got %d \"%s\"", rc, err.msg);
	ps_provider_free(p);
}

static void
config_errors(void)
{
	char path[PATH_MAX], exe[PATH_MAX + 16], noexec[PATH_MAX + 16];
	char rel[PATH_MAX + 16], missing[PATH_MAX + 16], dir[PATH_MAX + 16];

	{
		static const char *const kv[] = {"PAIRING_PROVIDER=http",
		    NULL};
		expect_config_error(kv, "PAIRING_HTTP_URL", NULL,
		    "config_http_without_url");
	}
	{
		static const char *const kv[] = {"PAIRING_PROVIDER=http",
		    "PAIRING_HTTP_URL=ftp://user:s3cretpw@example.com/x",
		    NULL};
		ps_provider *p = NULL;
		ps_err err = {0};

		expect_config_error(kv, "http:// or https://", "ftp",
		    "config_http_url_not_http");
		(void)make(&p, kv, &err);
		ok(!contains(err.msg, "s3cretpw") && !contains(err.msg,
		    "user"), "config_http_url_error_does_not_show_password");
	}
	{
		static const char *const kv[] = {"PAIRING_PROVIDER=http",
		    "PAIRING_HTTP_URL=file:///etc/passwd", NULL};
		expect_config_error(kv, "http:// or https://", NULL,
		    "config_http_url_file_scheme");
	}
	{
		static const char *const kv[] = {"PAIRING_PROVIDER=http",
		    "PAIRING_HTTP_URL=no url at all", NULL};
		expect_config_error(kv, "not a valid URL", NULL,
		    "config_http_url_invalid");
	}
	{
		static const char *const kv[] = {"PAIRING_PROVIDER=http",
		    "PAIRING_HTTP_URL=http://127.0.0.1:1/",
		    "PAIRING_HTTP_TOKEN=abc\ndef-injected: 1", NULL};
		expect_config_error(kv, "PAIRING_HTTP_TOKEN",
		    "control character", "config_http_token_with_newline");
	}
	{
		static const char *const kv[] = {"PAIRING_PROVIDER=exec",
		    NULL};
		expect_config_error(kv, "PAIRING_EXEC", "absolute",
		    "config_exec_without_path");
	}
	snprintf(rel, sizeof(rel), "PAIRING_EXEC=tests/tools/"
	    "provider_ok.sh");
	{
		const char *kv[] = {"PAIRING_PROVIDER=exec", rel, NULL};
		expect_config_error(kv, "tests/tools/provider_ok.sh",
		    "not an absolute path", "config_exec_relative_path");
	}
	snprintf(missing, sizeof(missing), "PAIRING_EXEC=%s/missing.sh",
	    tmpdir);
	{
		const char *kv[] = {"PAIRING_PROVIDER=exec", missing, NULL};
		expect_config_error(kv, "missing.sh",
		    "No such file or directory", "config_exec_missing_file");
	}
	snprintf(dir, sizeof(dir), "PAIRING_EXEC=%s", tmpdir);
	{
		const char *kv[] = {"PAIRING_PROVIDER=exec", dir, NULL};
		expect_config_error(kv, tmpdir, "not a regular file",
		    "config_exec_directory");
	}
	snprintf(path, sizeof(path), "%s/noexec.sh", tmpdir);
	write_file(path, "#!/bin/sh\necho ABCD1234\n", 0644);
	snprintf(noexec, sizeof(noexec), "PAIRING_EXEC=%s", path);
	{
		const char *kv[] = {"PAIRING_PROVIDER=exec", noexec, NULL};
		expect_config_error(kv, "noexec.sh", "not executable",
		    "config_exec_not_executable");
	}
	tool(path, sizeof(path), "provider_ok.sh");
	snprintf(exe, sizeof(exe), "PAIRING_EXEC=%s", path);
	{
		const char *kv[] = {"PAIRING_PROVIDER=exec", exe, NULL};
		ps_provider *p = make_ok(kv);
		char want[PATH_MAX + 8];

		snprintf(want, sizeof(want), "exec %s", path);
		is_str(ps_provider_describe(p), want,
		    "describe_exec_names_the_program");
		ps_provider_free(p);
	}
	{
		static const char *const kv[] = {"PAIRING_PROVIDER=http",
		    "PAIRING_HTTP_URL=https://bot:pw-s3cret@Example.COM:8443"
		    "/v1/pair?token=q-s3cret#frag", NULL};
		ps_provider *p = make_ok(kv);

		is_str(ps_provider_describe(p),
		    "http https://example.com:8443/v1/pair",
		    "describe_http_strips_credentials_and_query");
		ps_provider_free(p);
	}
}

/* ------------------------------------------------------------ exec */

static ps_provider *
exec_provider(const char *prog, long timeout_ms)
{
	char path[PATH_MAX], exe[PATH_MAX + 16], tmo[64];
	const char *kv[] = {"PAIRING_PROVIDER=exec", exe, tmo, NULL};

	if (prog[0] == '/')
		snprintf(path, sizeof(path), "%s", prog);
	else
		tool(path, sizeof(path), prog);
	snprintf(exe, sizeof(exe), "PAIRING_EXEC=%s", path);
	snprintf(tmo, sizeof(tmo), "PAIRING_TIMEOUT_MS=%ld", timeout_ms);
	return make_ok(kv);
}

static void
exec_ok(void)
{
	ps_provider *p = exec_provider("provider_ok.sh", 5000);
	char code[PS_CODE_MAX + 1];
	ps_err err = {0};
	long ms;

	is_int(call(p, NULL, code, &err, &ms), PS_OK,
	    "exec_ok_succeeds (%s)", err.msg);
	is_str(code, "OK-" USER "-" PHONE,
	    "exec_ok_code_is_first_line_trimmed_and_argv_matches_env");
	ps_provider_free(p);

	p = exec_provider("/bin/true", 5000);
	is_int(call(p, NULL, code, &err, &ms), PS_E_BACKEND,
	    "exec_no_output_fails");
	is_str(err.msg, "pairing command gave no code",
	    "exec_no_output_says_no_code");
	ps_provider_free(p);

	p = exec_provider("/bin/false", 5000);
	(void)call(p, NULL, code, &err, &ms);
	is_str(err.msg, "pairing command exited with status 1",
	    "exec_exit_status_without_stderr");
	ps_provider_free(p);
	is_int(leftovers(NULL), 0, "exec_ok_leaves_no_process");
}

static void
exec_timeout_and_tick(void)
{
	ps_provider *p = exec_provider("provider_sleep.sh", 1000);
	char code[PS_CODE_MAX + 1];
	struct ticker t;
	ps_err err = {0};
	ps_code rc;
	long ms;

	memset(&t, 0, sizeof(t));
	rc = call(p, &t, code, &err, &ms);
	is_int(rc, PS_E_TIMEOUT, "exec_timeout_is_a_timeout");
	is_str(err.msg, "pairing command timed out after 1000 ms",
	    "exec_timeout_message_names_the_limit");
	/* Not a tight timing: it waited for the limit, and returned well
	 * before the fixture's 30 s (or 5x the limit). */
	ok(ms >= 900 && ms < 5000, "exec_timeout_returns_at_the_limit "
	    "(%ld ms)", ms);
	ok(t.calls >= 3 && t.max_gap <= 500,
	    "exec_tick_called_at_least_every_500_ms (%d calls, max gap "
	    "%lld ms)", t.calls, (long long)t.max_gap);
	is_int(leftovers(NULL), 0,
	    "exec_timeout_kills_the_process_group (sleep child gone)");

	ps_provider_free(p);
	p = exec_provider("provider_sleep.sh", 10000);
	memset(&t, 0, sizeof(t));
	t.abort_at = 3;
	rc = call(p, &t, code, &err, &ms);
	ok(rc == PS_E_TIMEOUT && strcmp(err.msg, "aborted") == 0,
	    "exec_tick_nonzero_aborts (%d \"%s\")", rc, err.msg);
	ok(t.calls == 3 && ms < 3000,
	    "exec_tick_abort_is_prompt (%d calls, %ld ms)", t.calls, ms);
	is_int(leftovers(NULL), 0, "exec_tick_abort_kills_the_group");
	ps_provider_free(p);
}

static void
exec_failures(void)
{
	char code[PS_CODE_MAX + 1], path[PATH_MAX];
	ps_err err = {0};
	ps_provider *p;
	long ms;
	int killed, alive;

	p = exec_provider("provider_fail.sh", 5000);
	is_int(call(p, NULL, code, &err, &ms), PS_E_BACKEND,
	    "exec_nonzero_exit_is_backend_error");
	/* First stderr line, leading blanks dropped, ESC shown as '?'. */
	is_str(err.msg, "pairing command exited with status 1: upstream "
	    "said no: quota ?[31mexceeded",
	    "exec_nonzero_exit_reports_status_and_first_stderr_line");
	ok(code[0] == '\0', "exec_failure_leaves_code_empty");
	ps_provider_free(p);

	p = exec_provider("provider_signal.sh", 5000);
	is_int(call(p, NULL, code, &err, &ms), PS_E_BACKEND,
	    "exec_killed_by_signal_is_backend_error");
	is_str(err.msg, "pairing command was killed by signal 15 (SIGTERM): "
	    "about to be terminated", "exec_killed_by_signal_says_which");
	ps_provider_free(p);

	p = exec_provider("provider_garbage.sh", 5000);
	is_int(call(p, NULL, code, &err, &ms), PS_E_BACKEND,
	    "exec_garbage_output_is_backend_error");
	ok(contains(err.msg, "gave an invalid code") &&
	    !contains(err.msg, "html"),
	    "exec_garbage_output_is_an_invalid_code (%s)", err.msg);
	ps_provider_free(p);

	p = exec_provider("provider_huge.sh", 5000);
	is_int(call(p, NULL, code, &err, &ms), PS_E_BACKEND,
	    "exec_huge_output_fails");
	is_str(err.msg, "pairing command wrote more than 4096 bytes",
	    "exec_huge_output_message");
	ok(ms < 2500, "exec_huge_output_stops_early (%ld ms)", ms);
	is_int(leftovers(NULL), 0, "exec_huge_output_writer_killed");
	ps_provider_free(p);

	p = exec_provider("provider_grandchild.sh", 5000);
	is_int(call(p, NULL, code, &err, &ms), PS_OK,
	    "exec_grandchild_holding_stdout_still_gives_code (%s)", err.msg);
	is_str(code, "GRAND-1234", "exec_grandchild_code");
	ok(ms < 2500, "exec_grandchild_holding_stdout_does_not_hold_the_call "
	    "(%ld ms, limit 5000, grandchild sleeps 30 s)", ms);
	alive = leftovers(&killed);
	ok(alive == 0 && killed >= 1,
	    "exec_grandchild_killed_with_the_group (%d reaped after "
	    "SIGKILL)", killed);
	ps_provider_free(p);

	/* Valid at ps_provider_new, gone at the call: execve fails. */
	snprintf(path, sizeof(path), "%s/vanishing.sh", tmpdir);
	write_file(path, "#!/bin/sh\necho ABCD1234\n", 0755);
	p = exec_provider(path, 5000);
	unlink(path);
	is_int(call(p, NULL, code, &err, &ms), PS_E_BACKEND,
	    "exec_program_gone_is_backend_error");
	ok(contains(err.msg, "could not be run: No such file or directory"),
	    "exec_program_gone_says_why (%s)", err.msg);
	ps_provider_free(p);
}

static int
env_line_allowed(const char *line)
{
	static const char *const allowed[] = {"PATH=", "LANG=",
	    "PAIRSTORE_USER_ID=", "PAIRSTORE_PHONE=", "PWD=", "SHLVL=",
	    "OLDPWD=", "_=", NULL};
	int i;

	for (i = 0; allowed[i] != NULL; i++)
		if (strncmp(line, allowed[i], strlen(allowed[i])) == 0)
			return 1;
	return 0;
}

static void
exec_environment(void)
{
	char wrap[PATH_MAX], out[PATH_MAX], script[3 * PATH_MAX];
	char code[PS_CODE_MAX + 1], fixture[PATH_MAX], *env, *line, *save;
	ps_err err = {0};
	ps_provider *p;
	int foreign = 0;

	setenv("JWT_SECRET", SECRET_VALUE, 1);
	setenv("REDIS_PASSWORD", SECRET_VALUE, 1);
	setenv("PAIRING_HTTP_TOKEN", SECRET_VALUE, 1);
	snprintf(wrap, sizeof(wrap), "%s/envwrap.sh", tmpdir);
	snprintf(out, sizeof(out), "%s/env.txt", tmpdir);
	tool(fixture, sizeof(fixture), "provider_env.sh");
	snprintf(script, sizeof(script), "#!/bin/sh\nPS_ENV_OUT='%s' "
	    "exec '%s' \"$@\"\n", out, fixture);
	write_file(wrap, script, 0755);
	p = exec_provider(wrap, 5000);
	is_int(call(p, NULL, code, &err, NULL), PS_OK,
	    "exec_env_fixture_runs (%s)", err.msg);
	env = slurp(out);
	ok(env != NULL && !contains(env, SECRET_VALUE) &&
	    !contains(env, "JWT_SECRET") && !contains(env, "REDIS_PASSWORD"),
	    "exec_environment_has_no_parent_secret");
	ok(contains(env, "PAIRSTORE_USER_ID=" USER "\n") &&
	    contains(env, "PAIRSTORE_PHONE=" PHONE "\n") &&
	    contains(env, "PATH=/usr/bin:/bin\n") &&
	    contains(env, "LANG=C\n"),
	    "exec_environment_has_user_phone_path_lang");
	for (line = env != NULL ? strtok_r(env, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save))
		if (!env_line_allowed(line)) {
			tap_diag("  unexpected: %.40s", line);
			foreign++;
		}
	is_int(foreign, 0, "exec_environment_is_minimal");
	unsetenv("JWT_SECRET");
	unsetenv("REDIS_PASSWORD");
	unsetenv("PAIRING_HTTP_TOKEN");
	ps_provider_free(p);
}

static void
exec_descriptors(void)
{
	struct sockaddr_in sin;
	char code[PS_CODE_MAX + 1];
	ps_err err = {0};
	ps_provider *p;
	int s;

	/* Like a FastCGI listening socket: open, not close-on-exec. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s == -1 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 1) == -1 || dup2(s, 42) == -1)
		tap_bail("listening socket: %s", strerror(errno));
	close(s);
	p = exec_provider("provider_fds.sh", 5000);
	is_int(call(p, NULL, code, &err, NULL), PS_OK,
	    "exec_fds_fixture_runs (%s)", err.msg);
	is_str(code, "FDS-CLEAN",
	    "exec_child_inherits_no_descriptor_and_stdin_is_devnull");
	close(42);
	ps_provider_free(p);
}

static void
exec_many_calls(void)
{
	ps_provider *p = exec_provider("provider_ok.sh", 10000);
	char code[PS_CODE_MAX + 1];
	ps_err err = {0};
	int i, bad = 0, before, after;

	(void)call(p, NULL, code, &err, NULL);
	before = count_fds();
	for (i = 0; i < 200; i++)
		bad += call(p, NULL, code, &err, NULL) != PS_OK;
	after = count_fds();
	is_int(bad, 0, "exec_200_calls_on_one_provider");
	ok(before > 0 && after == before,
	    "exec_200_calls_leak_no_descriptor (%d -> %d)", before, after);
	is_int(leftovers(NULL), 0, "exec_200_calls_leave_no_process");
	ps_provider_free(p);
}

/* ------------------------------------------------------------ http */

struct buf {
	char data[4096];
	size_t len;
};

static size_t
buf_write(char *d, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n;

	if (len > sizeof(b->data) - 1 - b->len)
		len = sizeof(b->data) - 1 - b->len;
	memcpy(b->data + b->len, d, len);
	b->len += len;
	b->data[b->len] = '\0';
	return size * n;
}

/* A control request to the fake; its HTTP status, or -1. */
static long
fake_req(const char *path, const char *post, struct buf *b)
{
	char url[256];
	CURL *c = curl_easy_init();
	long status = -1;

	if (c == NULL)
		return -1;
	b->len = 0;
	b->data[0] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fake_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	if (post != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

static void
fake_mode(const char *json)
{
	struct buf b;

	if (fake_req("/__fake/mode", json, &b) != 200)
		tap_bail("fake mode %s: %s", json, b.data);
}

/* The fake's record of the last pairing request (caller puts it). */
static json_object *
fake_last(void)
{
	struct buf b;
	json_object *o;

	if (fake_req("/__fake/last", NULL, &b) != 200 ||
	    (o = json_tokener_parse(b.data)) == NULL)
		tap_bail("fake last: %s", b.data);
	return o;
}

static const char *
jstr(json_object *o, const char *k1, const char *k2)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 != NULL && !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

static long
fake_count(void)
{
	json_object *o = fake_last(), *v;
	long n = -1;

	if (json_object_object_get_ex(o, "count", &v))
		n = (long)json_object_get_int64(v);
	json_object_put(o);
	return n;
}

static int
fake_start(void)
{
	char script[PATH_MAX], portfile[PATH_MAX], log[PATH_MAX];
	const char *py = getenv("PYTHON3");
	FILE *f;
	pid_t pid;
	int i, st;

	if (py == NULL || *py == '\0')
		py = "python3";
	tool(script, sizeof(script), "provider_fake.py");
	snprintf(portfile, sizeof(portfile), "%s/fake.port", tmpdir);
	snprintf(log, sizeof(log), "%s/fake.log", tmpdir);
	fflush(stdout);
	pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0) {
		/* Its output must not mix with TAP on stdout. */
		dup2(2, 1);
		execlp(py, py, script, "--port-file", portfile, "--log", log,
		    "--code", "PAIR-1234", "--lifetime", "600", (char *)NULL);
		_exit(127);
	}
	fake_pid = pid;
	for (i = 0; i < 1500; i++) {
		if ((f = fopen(portfile, "r")) != NULL) {
			if (fscanf(f, "%d", &fake_port) != 1)
				fake_port = 0;
			fclose(f);
			if (fake_port > 0)
				break;
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fake_pid = -1;
			return -1;
		}
		sleep_ms(10);
	}
	if (fake_port <= 0) {
		fake_stop();
		return -1;
	}
	snprintf(fake_url, sizeof(fake_url), "http://127.0.0.1:%d/pair",
	    fake_port);
	return 0;
}

static ps_provider *
http_provider(const char *url, const char *token, long timeout_ms)
{
	char u[256], t[256], tmo[64];
	const char *kv[] = {"PAIRING_PROVIDER=http", u, tmo, NULL, NULL};

	snprintf(u, sizeof(u), "PAIRING_HTTP_URL=%s", url);
	snprintf(tmo, sizeof(tmo), "PAIRING_TIMEOUT_MS=%ld", timeout_ms);
	if (token != NULL) {
		snprintf(t, sizeof(t), "PAIRING_HTTP_TOKEN=%s", token);
		kv[3] = t;
	}
	return make_ok(kv);
}

static ps_code
http_once(const char *mode, char *code, ps_err *err)
{
	ps_provider *p = http_provider(fake_url, NULL, 5000);
	ps_code rc;

	fake_mode(mode);
	rc = call(p, NULL, code, err, NULL);
	ps_provider_free(p);
	return rc;
}

static void
http_answers(void)
{
	ps_provider *p = http_provider(fake_url, NULL, 5000);
	char code[PS_CODE_MAX + 1];
	ps_err err = {0};
	json_object *last;

	fake_mode("{\"mode\":\"ok\",\"code\":\"PAIR-1234\"}");
	is_int(call(p, NULL, code, &err, NULL), PS_OK,
	    "http_ok_succeeds (%s)", err.msg);
	is_str(code, "PAIR-1234", "http_ok_returns_the_code");
	last = fake_last();
	ok(contains(jstr(last, "body", "userId"), USER) &&
	    strcmp(jstr(last, "body", "userId"), USER) == 0 &&
	    contains(jstr(last, "body", "phone"), PHONE) &&
	    strcmp(jstr(last, "body", "phone"), PHONE) == 0 &&
	    jstr(last, "problem", NULL) == NULL,
	    "http_request_is_json_userId_and_phone");
	ok(contains(jstr(last, "content_type", NULL), "application/json") &&
	    contains(jstr(last, "accept", NULL), "application/json"),
	    "http_request_has_json_content_type_and_accept");
	is_str(jstr(last, "authorization", NULL), "none",
	    "http_no_token_no_authorization_header");
	json_object_put(last);
	ps_provider_free(p);

	is_int(http_once("{\"mode\":\"500\"}", code, &err), PS_E_BACKEND,
	    "http_500_is_backend_error");
	is_str(err.msg, "pairing provider answered HTTP 500",
	    "http_500_message_names_the_status");
	is_int(http_once("{\"mode\":\"garbage\"}", code, &err), PS_E_BACKEND,
	    "http_garbage_is_backend_error");
	is_str(err.msg, "pairing provider answered invalid JSON",
	    "http_garbage_is_invalid_json");
	is_int(http_once("{\"mode\":\"shape\"}", code, &err), PS_E_BACKEND,
	    "http_wrong_shape_is_backend_error");
	is_str(err.msg, "pairing provider gave no code",
	    "http_wrong_shape_gives_no_code");
	is_int(http_once("{\"mode\":\"raw\",\"status\":302,"
	    "\"body\":\"{\\\"code\\\":\\\"ABCD1234\\\"}\"}", code, &err),
	    PS_E_BACKEND, "http_redirect_is_not_followed");
	is_str(err.msg, "pairing provider answered HTTP 302",
	    "http_redirect_message_names_the_status");
}

static void
http_shapes_and_codes(void)
{
	static const struct {
		const char *body;
		const char *want;	/* NULL: success */
	} cases[] = {
		{"[\"ABCD1234\"]", "gave no code"},
		{"{\"code\":12345678}", "gave no code"},
		{"{\"code\":null}", "gave no code"},
		{"{\"data\":{\"code\":\"ABCD1234\"}}", "gave no code"},
		{"\"ABCD1234\"", "gave no code"},
		{"{\"code\":\"ABCD1234\"} trailing", "invalid JSON"},
		{"{\"code\":\"ABCD1234\"", "invalid JSON"},
		{"{'code':'ABCD1234'}", "invalid JSON"},
		{"", "invalid JSON"},
		{"{\"code\":\"abc\"}", "invalid code"},
		{"{\"code\":\"has space\"}", "invalid code"},
		{"{\"code\":\"ABCD_1234\"}", "invalid code"},
		{"{\"code\":\"ABCD\\u00e91234\"}", "invalid code"},
		{"{\"code\":\"ABCD\\u00001234\"}", "invalid code"},
		{"{\"code\":\"123456789012345678901234567890123\"}",
		    "invalid code"},
		{"{\"code\":\"abcd\"}", NULL},
		{"{\"code\":\"12345678901234567890123456789012\"}", NULL},
		{" {\"code\":\"Ab-9z\",\"extra\":[1,2]} \r\n", NULL},
	};
	ps_provider *p = http_provider(fake_url, NULL, 5000);
	char code[PS_CODE_MAX + 1], mode[512];
	json_object *o;
	ps_err err = {0};
	size_t i;
	int bad = 0;
	ps_code rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = json_object_new_object();
		json_object_object_add(o, "mode",
		    json_object_new_string("raw"));
		json_object_object_add(o, "status", json_object_new_int(200));
		json_object_object_add(o, "body",
		    json_object_new_string(cases[i].body));
		snprintf(mode, sizeof(mode), "%s",
		    json_object_to_json_string(o));
		json_object_put(o);
		fake_mode(mode);
		rc = call(p, NULL, code, &err, NULL);
		if (cases[i].want == NULL ? rc != PS_OK :
		    rc != PS_E_BACKEND || !contains(err.msg, cases[i].want)) {
			tap_diag("  body %s: got %d \"%s\"", cases[i].body, rc,
			    err.msg);
			bad++;
		}
	}
	is_int(bad, 0, "http_code_shape_and_validation_cases");
	ps_provider_free(p);
}

static void
http_limits(void)
{
	ps_provider *p;
	char code[PS_CODE_MAX + 1];
	struct ticker t;
	ps_err err = {0};
	ps_code rc;
	long ms;

	is_int(http_once("{\"mode\":\"huge\",\"code\":\"PAIR-1234\"}", code,
	    &err), PS_E_BACKEND, "http_huge_body_without_length_fails");
	is_str(err.msg, "pairing provider answered more than 16384 bytes",
	    "http_huge_body_without_length_message");
	is_int(http_once("{\"mode\":\"huge-cl\"}", code, &err), PS_E_BACKEND,
	    "http_huge_body_with_length_fails");
	is_str(err.msg, "pairing provider answered more than 16384 bytes",
	    "http_huge_body_with_length_message");

	p = http_provider(fake_url, NULL, 1000);
	fake_mode("{\"mode\":\"hang\",\"delay_ms\":30000}");
	memset(&t, 0, sizeof(t));
	rc = call(p, &t, code, &err, &ms);
	is_int(rc, PS_E_TIMEOUT, "http_hang_is_a_timeout");
	is_str(err.msg, "pairing provider timed out after 1000 ms",
	    "http_hang_message_names_the_limit");
	ok(ms >= 900 && ms < 5000, "http_hang_returns_at_the_limit (%ld ms)",
	    ms);
	ok(t.calls >= 3 && t.max_gap <= 500,
	    "http_tick_called_at_least_every_500_ms (%d calls, max gap "
	    "%lld ms)", t.calls, (long long)t.max_gap);
	ps_provider_free(p);

	p = http_provider(fake_url, NULL, 10000);
	memset(&t, 0, sizeof(t));
	t.abort_at = 3;
	rc = call(p, &t, code, &err, &ms);
	ok(rc == PS_E_TIMEOUT && strcmp(err.msg, "aborted") == 0,
	    "http_tick_nonzero_aborts (%d \"%s\")", rc, err.msg);
	ok(t.calls == 3 && ms < 3000,
	    "http_tick_abort_is_prompt (%d calls, %ld ms)", t.calls, ms);

	fake_mode("{\"mode\":\"slow\",\"delay_ms\":700}");
	memset(&t, 0, sizeof(t));
	rc = call(p, &t, code, &err, &ms);
	ok(rc == PS_OK && strcmp(code, "PAIR-1234") == 0 && ms >= 600,
	    "http_slow_answer_within_the_limit (%d, %ld ms)", rc, ms);
	ok(t.calls >= 2, "http_tick_called_while_waiting (%d)", t.calls);
	ps_provider_free(p);

	p = http_provider("http://127.0.0.1:1/pair", NULL, 5000);
	rc = call(p, NULL, code, &err, &ms);
	ok(rc == PS_E_BACKEND && contains(err.msg, "unreachable"),
	    "http_refused_connection_is_backend_error (%s)", err.msg);
	ps_provider_free(p);
}

static void
http_token(void)
{
	char code[PS_CODE_MAX + 1];
	ps_err err = {0};
	json_object *last;
	ps_provider *p;

	fake_mode("{\"mode\":\"ok\",\"code\":\"PAIR-1234\",\"token\":\""
	    TOKEN "\"}");
	p = http_provider(fake_url, TOKEN, 5000);
	is_int(call(p, NULL, code, &err, NULL), PS_OK,
	    "http_bearer_token_accepted (%s)", err.msg);
	last = fake_last();
	ok(contains(jstr(last, "authorization", NULL), "bearer") &&
	    json_object_get_boolean(json_object_object_get(last, "auth_ok")),
	    "http_bearer_token_sent");
	json_object_put(last);
	ps_provider_free(p);

	p = http_provider(fake_url, NULL, 5000);
	is_int(call(p, NULL, code, &err, NULL), PS_E_BACKEND,
	    "http_missing_token_refused");
	is_str(err.msg, "pairing provider answered HTTP 401",
	    "http_missing_token_message");
	ps_provider_free(p);

	p = http_provider(fake_url, "wrong-" TOKEN, 5000);
	(void)call(p, NULL, code, &err, NULL);
	ok(strcmp(err.msg, "pairing provider answered HTTP 401") == 0 &&
	    !contains(err.msg, TOKEN),
	    "http_wrong_token_message_has_no_token");
	ps_provider_free(p);

	/* Credentials in the URL are used but never described. */
	{
		char url[256];

		snprintf(url, sizeof(url), "http://bot:pw-s3cret@127.0.0.1:%d"
		    "/pair?k=q-s3cret", fake_port);
		p = http_provider(url, TOKEN, 5000);
		ok(!contains(ps_provider_describe(p), "s3cret") &&
		    !contains(ps_provider_describe(p), "bot"),
		    "http_describe_has_no_credentials (%s)",
		    ps_provider_describe(p));
		is_int(call(p, NULL, code, &err, NULL), PS_OK,
		    "http_url_with_credentials_works (%s)", err.msg);
		ps_provider_free(p);
	}
	fake_mode("{\"token\":null}");
}

static void
http_proxy_ignored(void)
{
	static const char *const vars[] = {"http_proxy", "HTTP_PROXY",
	    "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL};
	ps_provider *p = http_provider(fake_url, NULL, 5000);
	char code[PS_CODE_MAX + 1];
	ps_err err = {0};
	long before;
	int i;

	fake_mode("{\"mode\":\"ok\",\"code\":\"PAIR-1234\"}");
	before = fake_count();
	/* Port 1 refuses: a call through the "proxy" would fail.  In a
	 * CGI process HTTP_PROXY is what a client's Proxy: header sets. */
	for (i = 0; vars[i] != NULL; i++)
		setenv(vars[i], "http://127.0.0.1:1", 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	is_int(call(p, NULL, code, &err, NULL), PS_OK,
	    "http_proxy_environment_ignored (%s)", err.msg);
	for (i = 0; vars[i] != NULL; i++)
		unsetenv(vars[i]);
	is_int(fake_count(), before + 1, "http_call_reached_the_fake");
	ps_provider_free(p);
}

static void
http_many_calls(void)
{
	ps_provider *p = http_provider(fake_url, NULL, 10000);
	char code[PS_CODE_MAX + 1];
	ps_err err = {0};
	int i, bad = 0, before, after;

	fake_mode("{\"mode\":\"ok\",\"code\":\"PAIR-1234\"}");
	/* The first call opens the connection that the others reuse. */
	(void)call(p, NULL, code, &err, NULL);
	before = count_fds();
	for (i = 0; i < 200; i++)
		bad += call(p, NULL, code, &err, NULL) != PS_OK;
	after = count_fds();
	is_int(bad, 0, "http_200_calls_on_one_provider");
	ok(before > 0 && after <= before,
	    "http_200_calls_leak_no_descriptor (%d -> %d)", before, after);
	ps_provider_free(p);
}

int
main(void)
{
	setup();
	curl_global_init(CURL_GLOBAL_DEFAULT);

	builtin_alphabet_is_32_unambiguous_symbols();
	builtin_encode_maps_each_5_bit_group_exactly();
	builtin_distribution();
	builtin_provider();

	config_errors();

	exec_ok();
	exec_timeout_and_tick();
	exec_failures();
	exec_environment();
	exec_descriptors();
	exec_many_calls();

	/* Started after the exec tests: leftovers() reaps any child. */
	if (fake_start() == 0) {
		http_answers();
		http_shapes_and_codes();
		http_limits();
		http_token();
		http_proxy_ignored();
		http_many_calls();
		fake_stop();
	} else
		tap_skip("python3 or provider_fake.py did not start",
		    "http provider tests");

	curl_global_cleanup();
	return tap_done();
}
