/*
 * ps_provider.c - see ps_provider.h.
 *
 * Every call is bounded by PAIRING_TIMEOUT_MS and calls the tick
 * callback every TICK_MS while it waits.  Nothing is allocated per call
 * except by libcurl and json-c, which give it all back: a provider lives
 * as long as its worker process and serves thousands of calls.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "ps_curl.h"
#include "ps_provider.h"
#include "ps_util.h"

/* The contract says at most 500 ms between ticks; keep a margin. */
#define TICK_MS 200
/* Without a pidfd, how often to look for the command's exit. */
#define EXIT_POLL_MS 20
/* stderr kept for the failure message, and the part of it shown. */
#define STDERR_KEEP 1024
#define STDERR_SHOWN 160
/* A connection that takes this long will not answer in time anyway. */
#define CONNECT_MAX_MS 10000L
/* Longest phone number passed on (E.164 has at most 15 digits). */
#define PHONE_MAX 32

enum kind {
	KIND_BUILTIN,
	KIND_HTTP,
	KIND_EXEC
};

struct ps_provider {
	enum kind kind;
	long timeout_ms;
	char *desc;
	/* exec */
	char *path;
	/* http: one easy handle in one multi handle for the process, so
	 * the connection to the provider stays open between calls. */
	int curl_ready;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	size_t body_len;
	int body_over;
	char body[PS_PROVIDER_HTTP_MAX_BODY];
	char curl_err[CURL_ERROR_SIZE];
};

/* ------------------------------------------------------------ builtin */

void
ps_provider_builtin_encode(const unsigned char in[5], char out[9])
{
	static const char alphabet[] = PS_CODE_ALPHABET;
	uint64_t v = 0;
	int i;

	for (i = 0; i < 5; i++)
		v = (v << 8) | in[i];
	/* Each 5-bit group indexes the 32 symbols exactly: no bias. */
	for (i = 0; i < 8; i++)
		out[i] = alphabet[(v >> (35 - 5 * i)) & 31];
	out[8] = '\0';
}

ps_code
ps_provider_builtin_code(char out[9], ps_err *err)
{
	unsigned char b[5];
	ps_code rc;

	rc = ps_random_bytes(b, sizeof(b), err);
	if (rc != PS_OK)
		return rc;
	ps_provider_builtin_encode(b, out);
	ps_wipe(b, sizeof(b));
	return PS_OK;
}

/* ------------------------------------------------------------ common */

/* A code from http or exec: 4 to 32 of [A-Za-z0-9-]. */
static int
code_valid(const char *s, size_t n)
{
	size_t i;

	if (n < 4 || n > PS_CODE_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

/* Digits with an optional leading '+'; the HTTP layer is stricter. */
static int
phone_valid(const char *s)
{
	size_t i = 0, n;

	if (s == NULL)
		return 0;
	if (s[0] == '+')
		i = 1;
	n = strlen(s);
	if (n == i || n > PHONE_MAX)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static long
ms_left(int64_t now, int64_t until)
{
	return until > now ? (long)(until - now) : 0;
}

/* How long a wait may last so that the next tick is on time. */
static long
tick_wait(int64_t now, int64_t last_tick)
{
	long w = TICK_MS - (long)(now - last_tick);

	return w < 0 ? 0 : w;
}

/* ------------------------------------------------------------ http */

static size_t
http_write(char *data, size_t size, size_t nmemb, void *arg)
{
	ps_provider *p = arg;
	size_t n = size * nmemb;

	if (n > sizeof(p->body) - p->body_len) {
		p->body_over = 1;
		return 0;	/* CURLE_WRITE_ERROR ends the transfer */
	}
	memcpy(p->body + p->body_len, data, n);
	p->body_len += n;
	return n;
}

/*
 * "http scheme://host[:port]/path": no user info, no query (either may
 * hold a credential), no fragment.
 */
static ps_code
http_describe(ps_provider *p, CURLU *u, ps_err *err)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	size_t n;
	ps_code rc = PS_OK;

	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		rc = ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_HTTP_URL has no host");
		goto out;
	}
	/* Absent unless the URL names a port. */
	(void)curl_url_get(u, CURLUPART_PORT, &port, 0);
	for (n = 0; host[n] != '\0'; n++)
		if (host[n] >= 'A' && host[n] <= 'Z')
			host[n] = (char)(host[n] - 'A' + 'a');
	n = strlen(scheme) + strlen(host) + strlen(path) +
	    (port != NULL ? strlen(port) : 0) + 16;
	if ((p->desc = malloc(n)) == NULL) {
		rc = ps_err_set(err, PS_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(p->desc, n, "http %s://%s%s%s%s", scheme, host,
	    port != NULL ? ":" : "", port != NULL ? port : "", path);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	return rc;
}

static ps_code
http_check_url(ps_provider *p, const char *url, ps_err *err)
{
	CURLU *u;
	char *scheme = NULL;
	ps_code rc = PS_OK;

	if ((u = curl_url()) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	/* The URL itself is never quoted: it may carry a password. */
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		rc = ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_HTTP_URL is not a valid URL");
		goto out;
	}
	/* libcurl gives the scheme in lower case. */
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		rc = ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_HTTP_URL must be an http:// or https:// URL, "
		    "not %.16s://", scheme);
		goto out;
	}
	rc = http_describe(p, u, err);
out:
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

static ps_code
http_headers(ps_provider *p, const char *token, ps_err *err)
{
	static const char *const fixed[] = {
		"Content-Type: application/json",
		"Accept: application/json",
		/* No "100 Continue" round trip for a tiny body. */
		"Expect:",
	};
	struct curl_slist *l;
	const char *t;
	char *h;
	size_t i, n;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((l = curl_slist_append(p->headers, fixed[i])) == NULL)
			return ps_err_set(err, PS_E_NOMEM, "out of memory");
		p->headers = l;
	}
	if (token == NULL)
		return PS_OK;
	/* A CR or LF would end the header and start another one. */
	for (t = token; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || *t == 0x7f)
			return ps_err_set(err, PS_E_CONFIG,
			    "PAIRING_HTTP_TOKEN contains a control character");
	n = strlen(token) + sizeof("Authorization: Bearer ");
	if ((h = malloc(n)) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	snprintf(h, n, "Authorization: Bearer %s", token);
	l = curl_slist_append(p->headers, h);
	ps_wipe(h, n);
	free(h);
	if (l == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	p->headers = l;
	return PS_OK;
}

static ps_code
http_init(ps_provider *p, const char *url, const char *token, ps_err *err)
{
	CURL *e;
	long connect_ms;
	int bad = 0;
	ps_code rc;

	if (url == NULL)
		return ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_PROVIDER=http needs PAIRING_HTTP_URL");
	if ((rc = http_check_url(p, url, err)) != PS_OK)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ps_err_set(err, PS_E_INTERNAL,
		    "libcurl initialisation failed");
	p->curl_ready = 1;
	if ((p->multi = curl_multi_init()) == NULL ||
	    (p->easy = curl_easy_init()) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	if ((rc = http_headers(p, token, err)) != PS_OK)
		return rc;
	connect_ms = p->timeout_ms < CONNECT_MAX_MS ? p->timeout_ms :
	    CONNECT_MAX_MS;
	e = p->easy;

	/* No proxy ever (httpoxy), http(s) only, no redirects: ps_curl. */
	bad = ps_curl_safe(e, url, p->timeout_ms, connect_ms,
	    (curl_off_t)PS_PROVIDER_HTTP_MAX_BODY) != 0;
#define SET(opt, val) bad |= curl_easy_setopt(e, (opt), (val)) != CURLE_OK
	SET(CURLOPT_WRITEFUNCTION, http_write);
	SET(CURLOPT_WRITEDATA, p);
	SET(CURLOPT_HTTPHEADER, p->headers);
	SET(CURLOPT_ERRORBUFFER, p->curl_err);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
#undef SET
	if (bad)
		return ps_err_set(err, PS_E_INTERNAL,
		    "libcurl refused an option of the http provider");
	return PS_OK;
}

/* A 2xx body: a JSON object with a string "code". */
static ps_code
http_parse(const char *buf, size_t len, char *code, ps_err *err)
{
	json_tokener *tok;
	json_object *o, *c;
	const char *s;
	size_t i, end, n;
	int bad;

	if (len == 0 || memchr(buf, '\0', len) != NULL)
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing provider answered invalid JSON");
	if ((tok = json_tokener_new_ex(16)) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	bad = o == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success;
	json_tokener_free(tok);
	/* Whitespace may follow the value; nothing else. */
	for (i = end; !bad && i < len; i++)
		if (strchr(" \t\r\n", buf[i]) == NULL)
			bad = 1;
	if (bad) {
		json_object_put(o);
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing provider answered invalid JSON");
	}
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "code", &c) ||
	    !json_object_is_type(c, json_type_string)) {
		json_object_put(o);
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing provider gave no code");
	}
	s = json_object_get_string(c);
	n = (size_t)json_object_get_string_len(c);
	if (!code_valid(s, n)) {
		json_object_put(o);
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing provider gave an invalid code "
		    "(want 4 to 32 of A-Z a-z 0-9 -)");
	}
	memcpy(code, s, n);
	code[n] = '\0';
	json_object_put(o);
	return PS_OK;
}

static ps_code
http_request_body(ps_provider *p, const char *user, const char *phone,
    ps_err *err)
{
	json_object *o, *u, *ph;
	CURLcode cc;

	o = json_object_new_object();
	u = json_object_new_string(user);
	ph = json_object_new_string(phone);
	if (o == NULL || u == NULL || ph == NULL) {
		json_object_put(o);
		json_object_put(u);
		json_object_put(ph);
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	}
	json_object_object_add(o, "userId", u);
	json_object_object_add(o, "phone", ph);
	cc = curl_easy_setopt(p->easy, CURLOPT_COPYPOSTFIELDS,
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (cc != CURLE_OK)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	return PS_OK;
}

static ps_code
http_get_code(ps_provider *p, const char *user, const char *phone,
    ps_provider_tick tick, void *tick_arg, char *code, ps_err *err)
{
	CURLMsg *msg;
	CURLMcode mc = CURLM_OK;
	CURLcode cc = CURLE_OK;
	int64_t start, now, last_tick;
	long status = 0;
	int running = 1, left, aborted = 0, late = 0, done = 0;
	ps_code rc;

	if ((rc = http_request_body(p, user, phone, err)) != PS_OK)
		return rc;
	p->body_len = 0;
	p->body_over = 0;
	p->curl_err[0] = '\0';
	if (curl_multi_add_handle(p->multi, p->easy) != CURLM_OK)
		return ps_err_set(err, PS_E_INTERNAL,
		    "pairing provider: libcurl refused the transfer");
	start = last_tick = ps_mono_ms();
	/*
	 * Our own loop rather than curl_easy_perform(): libcurl calls a
	 * progress callback only about once a second while nothing
	 * arrives, and the tick must come every TICK_MS.
	 */
	for (;;) {
		mc = curl_multi_perform(p->multi, &running);
		if (mc != CURLM_OK || running == 0)
			break;
		now = ps_mono_ms();
		if (tick != NULL && now - last_tick >= TICK_MS) {
			last_tick = now;
			if (tick(tick_arg) != 0) {
				aborted = 1;
				break;
			}
			now = ps_mono_ms();
		}
		/* libcurl enforces the limit; this is only a backstop. */
		if (now - start > p->timeout_ms + 1000) {
			late = 1;
			break;
		}
		mc = curl_multi_poll(p->multi, NULL, 0,
		    (int)tick_wait(now, last_tick), NULL);
		if (mc != CURLM_OK)
			break;
	}
	while ((msg = curl_multi_info_read(p->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == p->easy) {
			cc = msg->data.result;
			done = 1;
		}
	if (done && cc == CURLE_OK)
		(void)curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE,
		    &status);
	/* Removing an unfinished transfer closes its connection. */
	(void)curl_multi_remove_handle(p->multi, p->easy);

	if (aborted)
		return ps_err_set(err, PS_E_TIMEOUT, "aborted");
	if (late || (done && cc == CURLE_OPERATION_TIMEDOUT))
		return ps_err_set(err, PS_E_TIMEOUT,
		    "pairing provider timed out after %ld ms", p->timeout_ms);
	if (mc != CURLM_OK || !done)
		return ps_err_set(err, PS_E_INTERNAL,
		    "pairing provider: libcurl: %s", curl_multi_strerror(mc));
	if (p->body_over || cc == CURLE_FILESIZE_EXCEEDED)
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing provider answered more than %d bytes",
		    PS_PROVIDER_HTTP_MAX_BODY);
	/* libcurl's messages name host and port, never user info. */
	if (cc != CURLE_OK)
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing provider unreachable: %s",
		    p->curl_err[0] != '\0' ? p->curl_err :
		    curl_easy_strerror(cc));
	if (status < 200 || status > 299)
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing provider answered HTTP %ld", status);
	return http_parse(p->body, p->body_len, code, err);
}

/* ------------------------------------------------------------ exec */

/* pidfd_open(2) said ENOSYS once: a fact about this process's kernel. */
static int no_pidfd;

static ps_code
exec_init(ps_provider *p, const char *path, ps_err *err)
{
	struct stat st;
	size_t n;

	if (path == NULL)
		return ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_PROVIDER=exec needs PAIRING_EXEC (the absolute "
		    "path of the program to run)");
	if (path[0] != '/')
		return ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_EXEC %s: not an absolute path", path);
	if (strlen(path) >= PATH_MAX)
		return ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_EXEC: path too long");
	if (stat(path, &st) == -1)
		return ps_err_set(err, PS_E_CONFIG, "PAIRING_EXEC %s: %s",
		    path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_EXEC %s: not a regular file", path);
	/* access() alone says yes to root for any file. */
	if ((st.st_mode & 0111) == 0 || access(path, X_OK) == -1)
		return ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_EXEC %s: not executable (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
	n = strlen(path) + sizeof("exec ");
	if ((p->path = strdup(path)) == NULL ||
	    (p->desc = malloc(n)) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	snprintf(p->desc, n, "exec %s", path);
	return PS_OK;
}

/* The running command: read ends of its pipes (-1 once closed). */
struct child {
	pid_t pid;
	int out;		/* its stdout */
	int errfd;		/* its stderr */
	int xfd;		/* errno of a failed execve, or EOF */
	int pidfd;		/* readable when it exits; -1 if unsupported */
	size_t outlen;
	size_t errlen;
	size_t xlen;
	unsigned char xbuf[sizeof(int)];
	char outbuf[PS_PROVIDER_EXEC_MAX_OUTPUT + 1];
	char errbuf[STDERR_KEEP];
};

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
}

/* After fork, so async-signal-safe calls only. */
static void
close_from(int lowfd)
{
	struct rlimit rl;
	long fd, max = 1024;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0U) == 0)
		return;
#endif
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY)
		max = rl.rlim_cur > (1UL << 20) ? 1L << 20 :
		    (long)rl.rlim_cur;
	for (fd = lowfd; fd < max; fd++)
		(void)close((int)fd);
}

/*
 * In the child: own process group, default signal handling, stdin
 * /dev/null, stdout and stderr the pipes, fd 3 the exec-error pipe
 * (close-on-exec), nothing else open, then execve.
 */
static void
child_exec(const char *path, char *const argv[], char *const envp[],
    const int fds[4])
{
	struct sigaction sa;
	sigset_t none;
	int moved[4], i, sig, e;

	(void)setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* Ignored signals (SIGPIPE in a FastCGI program) stay ignored
	 * across execve unless reset. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	/* Above 2 first, so that no dup2 below clobbers another one. */
	for (i = 0; i < 4; i++)
		if ((moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) == -1)
			_exit(127);
	for (i = 0; i < 4; i++)
		if (dup2(moved[i], i) == -1)
			_exit(127);
	if (fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		_exit(127);
	/* The FastCGI listening socket and everything else stay here. */
	close_from(4);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, envp);
	e = errno;
	(void)!write(3, &e, sizeof(e));
	_exit(127);
}

static ps_code
spawn(const ps_provider *p, const char *user, const char *phone,
    struct child *c, ps_err *err)
{
	static char env_path[] = "PATH=/usr/bin:/bin";
	static char env_lang[] = "LANG=C";
	char env_user[32 + PS_USER_ID_MAX], env_phone[32 + PHONE_MAX];
	char *argv[4], *envp[5];
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, xp[2] = {-1, -1};
	int fds[4], devnull, saved;
	sigset_t all, old;
	pid_t pid;

	snprintf(env_user, sizeof(env_user), "PAIRSTORE_USER_ID=%s", user);
	snprintf(env_phone, sizeof(env_phone), "PAIRSTORE_PHONE=%s", phone);
	argv[0] = p->path;
	argv[1] = (char *)user;
	argv[2] = (char *)phone;
	argv[3] = NULL;
	/* A clean environment: nothing of the parent's (JWT_SECRET,
	 * REDIS_PASSWORD, ...) reaches the command. */
	envp[0] = env_path;
	envp[1] = env_lang;
	envp[2] = env_user;
	envp[3] = env_phone;
	envp[4] = NULL;

	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull == -1 || pipe2(outp, O_CLOEXEC) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1 || pipe2(xp, O_CLOEXEC) == -1) {
		saved = errno;
		pid = -1;
		goto out;
	}
	fds[0] = devnull;
	fds[1] = outp[1];
	fds[2] = errp[1];
	fds[3] = xp[1];
	/* No handler of ours may run in the child before execve. */
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(p->path, argv, envp, fds);
	saved = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid > 0) {
		/* Also done by the child: whichever runs first wins, and
		 * kill(-pid) works as soon as fork returns. */
		(void)setpgid(pid, pid);
		c->pid = pid;
		c->out = outp[0];
		c->errfd = errp[0];
		c->xfd = xp[0];
		outp[0] = errp[0] = xp[0] = -1;
		(void)fcntl(c->out, F_SETFL, O_NONBLOCK);
		(void)fcntl(c->errfd, F_SETFL, O_NONBLOCK);
		(void)fcntl(c->xfd, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
		/* Linux 5.3+; valgrind 3.19 does not know it either. */
		if (!no_pidfd) {
			c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
			if (c->pidfd == -1 && errno == ENOSYS)
				no_pidfd = 1;
		}
#endif
	}
out:
	close_fd(&devnull);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	close_fd(&xp[0]);
	close_fd(&xp[1]);
	if (pid == -1)
		return ps_err_set(err, PS_E_IO,
		    "cannot start pairing command: %s", strerror(saved));
	return PS_OK;
}

/* Read what is there on one pipe; EOF or an error closes it. */
static void
pump(struct child *c, int *fd)
{
	char scratch[4096];
	ssize_t n;
	size_t room, *len;
	char *dst;

	if (fd == &c->out) {
		/* One byte over the cap is how overflow is seen. */
		len = &c->outlen;
		room = sizeof(c->outbuf) - *len;
		dst = c->outbuf + *len;
	} else if (fd == &c->errfd) {
		len = &c->errlen;
		room = sizeof(c->errbuf) - *len;
		dst = c->errbuf + *len;
	} else {
		len = &c->xlen;
		room = sizeof(c->xbuf) - *len;
		dst = (char *)c->xbuf + *len;
	}
	if (room == 0) {
		/* stdout over the cap ends the call; the others are
		 * read and dropped so that the writer never blocks. */
		if (fd == &c->out)
			return;
		len = NULL;
		dst = scratch;
		room = sizeof(scratch);
	}
	n = read(*fd, dst, room);
	if (n > 0) {
		if (len != NULL)
			*len += (size_t)n;
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	close_fd(fd);
}

/* What the command wrote before it exited is still in the pipes. */
static void
drain(struct child *c)
{
	int *fds[3] = {&c->out, &c->errfd, &c->xfd};
	size_t before;
	int i, round;

	/* Bounded: a leftover process may still be writing. */
	for (i = 0; i < 3; i++)
		for (round = 0; round < 64 && *fds[i] != -1; round++) {
			before = c->outlen + c->errlen + c->xlen;
			pump(c, fds[i]);
			if (*fds[i] != -1 &&
			    c->outlen + c->errlen + c->xlen == before)
				break;
		}
}

static int
exited(const struct child *c)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	/* WNOWAIT: the zombie keeps its pid, and so its process group
	 * id, reserved until we have killed the group. */
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG |
	    WNOWAIT) == -1)
		return errno != EINTR;	/* ECHILD: SIGCHLD ignored */
	return si.si_pid == c->pid;
}

/* Kill what is left of the group, then reap the command. */
static int
finish(struct child *c, int *status)
{
	pid_t r;

	if (kill(-c->pid, SIGKILL) == -1)
		(void)kill(c->pid, SIGKILL);
	do
		r = waitpid(c->pid, status, 0);
	while (r == -1 && errno == EINTR);
	close_fd(&c->out);
	close_fd(&c->errfd);
	close_fd(&c->xfd);
	close_fd(&c->pidfd);
	return r == c->pid;
}

static const char *
signame(int sig)
{
	switch (sig) {
	case SIGHUP:	return "SIGHUP";
	case SIGINT:	return "SIGINT";
	case SIGQUIT:	return "SIGQUIT";
	case SIGILL:	return "SIGILL";
	case SIGABRT:	return "SIGABRT";
	case SIGBUS:	return "SIGBUS";
	case SIGFPE:	return "SIGFPE";
	case SIGKILL:	return "SIGKILL";
	case SIGSEGV:	return "SIGSEGV";
	case SIGPIPE:	return "SIGPIPE";
	case SIGALRM:	return "SIGALRM";
	case SIGTERM:	return "SIGTERM";
	case SIGUSR1:	return "SIGUSR1";
	case SIGUSR2:	return "SIGUSR2";
	case SIGXCPU:	return "SIGXCPU";
	case SIGXFSZ:	return "SIGXFSZ";
	default:	return "signal";
	}
}

/* ": first line of stderr", printable ASCII only, or "". */
static void
stderr_excerpt(const struct child *c, char *buf, size_t sz)
{
	size_t i = 0, o = 0;

	while (i < c->errlen && (c->errbuf[i] == ' ' ||
	    c->errbuf[i] == '\t'))
		i++;
	if (i == c->errlen || c->errbuf[i] == '\n' || sz < 4) {
		buf[0] = '\0';
		return;
	}
	buf[o++] = ':';
	buf[o++] = ' ';
	for (; i < c->errlen && c->errbuf[i] != '\n' && o + 1 < sz &&
	    o < STDERR_SHOWN; i++) {
		unsigned char ch = (unsigned char)c->errbuf[i];
		if (ch == '\r')
			continue;
		buf[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	buf[o] = '\0';
}

static ps_code
exec_result(const ps_provider *p, const struct child *c, int status,
    char *code, ps_err *err)
{
	char why[STDERR_SHOWN + 8];
	const char *s, *e, *nl;
	int x;

	stderr_excerpt(c, why, sizeof(why));
	if (c->xlen == sizeof(x)) {
		memcpy(&x, c->xbuf, sizeof(x));
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing command %s could not be run: %s", p->path,
		    strerror(x));
	}
	if (WIFSIGNALED(status))
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing command was killed by signal %d (%s)%s",
		    WTERMSIG(status), signame(WTERMSIG(status)), why);
	if (!WIFEXITED(status))
		return ps_err_set(err, PS_E_INTERNAL,
		    "pairing command: unexpected wait status %d", status);
	if (WEXITSTATUS(status) != 0)
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing command exited with status %d%s",
		    WEXITSTATUS(status), why);
	if (c->outlen > PS_PROVIDER_EXEC_MAX_OUTPUT)
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing command wrote more than %d bytes",
		    PS_PROVIDER_EXEC_MAX_OUTPUT);
	/* The first line, trimmed, is the code. */
	s = c->outbuf;
	nl = memchr(s, '\n', c->outlen);
	e = nl != NULL ? nl : s + c->outlen;
	while (s < e && strchr(" \t\r", *s) != NULL && *s != '\0')
		s++;
	while (e > s && strchr(" \t\r", e[-1]) != NULL && e[-1] != '\0')
		e--;
	if (s == e)
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing command gave no code");
	if (!code_valid(s, (size_t)(e - s)))
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing command gave an invalid code "
		    "(want 4 to 32 of A-Z a-z 0-9 -)");
	memcpy(code, s, (size_t)(e - s));
	code[e - s] = '\0';
	return PS_OK;
}

enum ending {
	END_EXITED,
	END_TIMEOUT,
	END_ABORTED,
	END_TOO_MUCH,
	END_POLL
};

static ps_code
exec_get_code(ps_provider *p, const char *user, const char *phone,
    ps_provider_tick tick, void *tick_arg, char *code, ps_err *err)
{
	struct child c;
	struct pollfd pfd[4];
	int *which[4];
	int64_t start, now, last_tick, deadline;
	enum ending end;
	long wait;
	int status = 0, nfd, i, reaped, poll_errno = 0;
	ps_code rc;

	memset(&c, 0, sizeof(c));
	c.out = c.errfd = c.xfd = c.pidfd = -1;
	start = last_tick = ps_mono_ms();
	deadline = start + p->timeout_ms;
	if ((rc = spawn(p, user, phone, &c, err)) != PS_OK)
		return rc;
	for (;;) {
		now = ps_mono_ms();
		if (tick != NULL && now - last_tick >= TICK_MS) {
			last_tick = now;
			if (tick(tick_arg) != 0) {
				end = END_ABORTED;
				break;
			}
			now = ps_mono_ms();
		}
		if (c.outlen > PS_PROVIDER_EXEC_MAX_OUTPUT) {
			end = END_TOO_MUCH;
			break;
		}
		if (exited(&c)) {
			end = END_EXITED;
			break;
		}
		if (now >= deadline) {
			end = END_TIMEOUT;
			break;
		}
		wait = tick_wait(now, last_tick);
		if (ms_left(now, deadline) < wait)
			wait = ms_left(now, deadline);
		if (c.pidfd == -1 && wait > EXIT_POLL_MS)
			wait = EXIT_POLL_MS;
		nfd = 0;
		if (c.out != -1 && c.outlen <= PS_PROVIDER_EXEC_MAX_OUTPUT)
			which[nfd++] = &c.out;
		if (c.errfd != -1)
			which[nfd++] = &c.errfd;
		if (c.xfd != -1)
			which[nfd++] = &c.xfd;
		if (c.pidfd != -1)
			which[nfd++] = &c.pidfd;
		for (i = 0; i < nfd; i++) {
			pfd[i].fd = *which[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)nfd, (int)wait) == -1) {
			if (errno == EINTR)
				continue;
			poll_errno = errno;
			end = END_POLL;
			break;
		}
		for (i = 0; i < nfd; i++)
			if (pfd[i].revents != 0 && which[i] != &c.pidfd)
				pump(&c, which[i]);
	}
	if (end == END_EXITED)
		drain(&c);
	reaped = finish(&c, &status);

	switch (end) {
	case END_ABORTED:
		return ps_err_set(err, PS_E_TIMEOUT, "aborted");
	case END_TIMEOUT:
		return ps_err_set(err, PS_E_TIMEOUT,
		    "pairing command timed out after %ld ms", p->timeout_ms);
	case END_TOO_MUCH:
		return ps_err_set(err, PS_E_BACKEND,
		    "pairing command wrote more than %d bytes",
		    PS_PROVIDER_EXEC_MAX_OUTPUT);
	case END_POLL:
		return ps_err_set(err, PS_E_IO, "pairing command: poll: %s",
		    strerror(poll_errno));
	case END_EXITED:
		break;
	}
	if (!reaped)
		return ps_err_set(err, PS_E_INTERNAL,
		    "pairing command: exit status lost (is SIGCHLD ignored?)");
	return exec_result(p, &c, status, code, err);
}

/* ------------------------------------------------------------ API */

ps_code
ps_provider_new(ps_provider **pp, const ps_config *cfg, ps_err *err)
{
	const char *kind = ps_config_str(cfg, PS_CFG_PAIRING_PROVIDER);
	ps_provider *p;
	ps_code rc;

	*pp = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	p->timeout_ms = (long)ps_config_int(cfg, PS_CFG_PAIRING_TIMEOUT_MS);
	if (kind == NULL || strcmp(kind, "builtin") == 0) {
		p->kind = KIND_BUILTIN;
		p->desc = strdup("builtin");
		rc = p->desc != NULL ? PS_OK :
		    ps_err_set(err, PS_E_NOMEM, "out of memory");
	} else if (strcmp(kind, "http") == 0) {
		p->kind = KIND_HTTP;
		rc = http_init(p, ps_config_str(cfg, PS_CFG_PAIRING_HTTP_URL),
		    ps_config_str(cfg, PS_CFG_PAIRING_HTTP_TOKEN), err);
	} else if (strcmp(kind, "exec") == 0) {
		p->kind = KIND_EXEC;
		rc = exec_init(p, ps_config_str(cfg, PS_CFG_PAIRING_EXEC),
		    err);
	} else
		rc = ps_err_set(err, PS_E_CONFIG,
		    "PAIRING_PROVIDER %s: unknown (builtin, http or exec)",
		    kind);
	if (rc != PS_OK) {
		ps_provider_free(p);
		return rc;
	}
	*pp = p;
	return PS_OK;
}

void
ps_provider_free(ps_provider *p)
{
	struct curl_slist *h;

	if (p == NULL)
		return;
	if (p->easy != NULL)
		curl_easy_cleanup(p->easy);
	if (p->multi != NULL)
		curl_multi_cleanup(p->multi);
	/* The Authorization header holds the token. */
	for (h = p->headers; h != NULL; h = h->next)
		ps_wipe(h->data, strlen(h->data));
	curl_slist_free_all(p->headers);
	if (p->curl_ready)
		curl_global_cleanup();
	ps_wipe(p->body, sizeof(p->body));
	free(p->path);
	free(p->desc);
	free(p);
}

const char *
ps_provider_describe(const ps_provider *p)
{
	return p != NULL && p->desc != NULL ? p->desc : "none";
}

ps_code
ps_provider_get_code(ps_provider *p, const char *user, const char *phone,
    ps_provider_tick tick, void *tick_arg, char *code, ps_err *err)
{
	if (p == NULL || code == NULL)
		return ps_err_set(err, PS_E_INTERNAL,
		    "pairing provider: no provider or no buffer");
	code[0] = '\0';
	if (!ps_user_id_valid(user))
		return ps_err_set(err, PS_E_INVALID,
		    "invalid user id (1 to 64 of A-Z a-z 0-9 _ . -)");
	if (!phone_valid(phone))
		return ps_err_set(err, PS_E_INVALID,
		    "invalid phone number (digits, optional leading +)");
	switch (p->kind) {
	case KIND_BUILTIN:
		return ps_provider_builtin_code(code, err);
	case KIND_HTTP:
		return http_get_code(p, user, phone, tick, tick_arg, code,
		    err);
	case KIND_EXEC:
		return exec_get_code(p, user, phone, tick, tick_arg, code,
		    err);
	}
	return ps_err_set(err, PS_E_INTERNAL, "pairing provider: bad kind");
}
