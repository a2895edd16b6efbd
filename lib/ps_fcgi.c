/*
 * ps_fcgi.c - the accept loop every program in cgi-bin/ shares; see
 * ps_fcgi.h.  Also the two transports a ps_req runs over here: libfcgi's
 * FCGX_Request and plain CGI (RFC 3875: environment, stdin, stdout).
 *
 * How libfcgi 2.4.2 behaves, and what follows (checked by
 * tests/integration/test_fcgi.sh):
 * - FCGX_Accept_r() knows nothing of CGI (only fcgi_stdio's FCGI_Accept
 *   does): on a stdin that is not a socket, accept() fails with
 *   ENOTSOCK.  So FCGX_IsCGI() decides, and CGI is served here from the
 *   environment, stdin and stdout.
 * - Its accept loop retries accept() on EINTR unless FCGX_ShutdownPending()
 *   was called; then it returns -1.  But a signal handler installed
 *   without SA_RESTART also interrupts the read()s inside FCGX_Accept_r()
 *   and of the request, and libfcgi does not retry those: a SIGTERM that
 *   arrived while it read the parameters of a new connection gave the
 *   handler a request with no parameters at all (seen in testing), and
 *   one during the request would cut its body or response.  So:
 *     - the stop handlers are installed with SA_RESTART: no I/O of
 *       libfcgi or of a request is ever cut by them;
 *     - the stop signals are blocked except while the loop waits for
 *       the next connection (or the next request on a kept connection)
 *       in ppoll(), which unblocks them atomically and, being a poll,
 *       always returns on a signal: no wakeup is lost, and one that
 *       comes during a request waits for its end (no system call per
 *       request to block and unblock them; a child started from a
 *       request - the on-demand worker - resets its mask);
 *     - FCGX_Accept_r() is called only when a connection is waiting, on
 *       a non-blocking listening socket, so a connection that a sibling
 *       process took first gives EAGAIN instead of a blocked accept().
 *       (Linux accept() does not pass O_NONBLOCK on to the connection.)
 * - FCGX_OpenSocket() binds ":PORT" to every interface, unlinks whatever
 *   file is at a unix socket path and knows no IPv6, so --listen sockets
 *   are opened here and handed to FCGX_InitRequest(), which takes any
 *   listening descriptor.
 * - FCGX_Init() installs handlers for SIGPIPE and SIGUSR1 when they are
 *   at SIG_DFL; ours are installed after it and replace them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "ps_error.h"
#include "ps_fcgi.h"
#include "ps_http.h"
#include "ps_log.h"

#define DEFAULT_BACKLOG 128
#define CGI_OUTBUF 8192

static volatile sig_atomic_t stop_flag;
static int cgi_mode;

int
ps_fcgi_stopping(void)
{
	sigset_t pending;

	if (stop_flag)
		return 1;
	/* During a request the stop signals are blocked: one that came
	 * is pending until the loop waits again. */
	return sigpending(&pending) == 0 && (sigismember(&pending,
	    SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1 ||
	    sigismember(&pending, SIGUSR1) == 1);
}

int
ps_fcgi_is_cgi(void)
{
	return cgi_mode;
}

/* ------------------------------------------------------------ signals */

static void
on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
	/* Only sets libfcgi's flag: async-signal-safe. */
	FCGX_ShutdownPending();
}

static void
stop_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
}

static void
stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	stop_set(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

/* ------------------------------------------------ FastCGI transport */

static const char *
fcgx_param(void *ctx, const char *name)
{
	FCGX_Request *r = ctx;

	return FCGX_GetParam(name, r->envp);
}

static ssize_t
fcgx_read(void *ctx, void *buf, size_t n)
{
	FCGX_Request *r = ctx;
	int k;

	if (n > INT_MAX)
		n = INT_MAX;
	/* FCGX_GetStr() returns fewer than n bytes only at the end. */
	k = FCGX_GetStr(buf, (int)n, r->in);
	if (k < 0 || (k == 0 && FCGX_GetError(r->in) != 0))
		return -1;
	return k;
}

static int
fcgx_write(void *ctx, const void *buf, size_t n)
{
	FCGX_Request *r = ctx;
	const char *p = buf;
	int k;

	while (n > 0) {
		k = n > INT_MAX ? INT_MAX : (int)n;
		if (FCGX_PutStr(p, k, r->out) != k)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
fcgx_flush(void *ctx)
{
	FCGX_Request *r = ctx;

	return FCGX_FFlush(r->out) == 0 ? 0 : -1;
}

static const ps_req_io fcgx_io = {
	fcgx_param, fcgx_read, fcgx_write, fcgx_flush, 1
};

/* ----------------------------------------------------- CGI transport */

struct cgi {
	char out[CGI_OUTBUF];
	size_t len;
	uint64_t consumed;	/* body bytes read from stdin */
};

/* RFC 3875, 4: meta-variables are the process environment. */
static const char *
cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* RFC 3875, 4.2: the body is on stdin. */
static ssize_t
cgi_read(void *ctx, void *buf, size_t n)
{
	struct cgi *c = ctx;
	ssize_t r;

	do
		r = read(STDIN_FILENO, buf, n);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		c->consumed += (uint64_t)r;
	return r;
}

/*
 * After an early answer (a refusal before the body was read), read and
 * drop the rest of the body: a CGI program that exits with unread input
 * makes mod_cgid's write fail, and the client gets a reset connection
 * instead of the answer.  Bounded: at most CGI_DRAIN_MAX bytes, and no
 * more than CGI_DRAIN_WAIT_MS waiting for any one read.
 */
#define CGI_DRAIN_MAX (1024ULL * 1024 * 1024)
#define CGI_DRAIN_WAIT_MS 5000

static void
cgi_drain(struct cgi *c)
{
	const char *cl = getenv("CONTENT_LENGTH");
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	unsigned long long want;
	char buf[65536];
	char *end;
	ssize_t r;

	if (cl == NULL || *cl < '0' || *cl > '9')
		return;
	errno = 0;
	want = strtoull(cl, &end, 10);
	if (errno != 0 || *end != '\0' || want > CGI_DRAIN_MAX)
		return;
	while (c->consumed < want) {
		size_t n = want - c->consumed < sizeof(buf) ?
		    (size_t)(want - c->consumed) : sizeof(buf);

		if (poll(&pfd, 1, CGI_DRAIN_WAIT_MS) <= 0)
			return;
		if ((r = cgi_read(c, buf, n)) <= 0)
			return;
	}
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
cgi_flush(void *ctx)
{
	struct cgi *c = ctx;
	int rc;

	rc = write_all(STDOUT_FILENO, c->out, c->len);
	c->len = 0;
	return rc;
}

/* RFC 3875, 6: the response goes to stdout. */
static int
cgi_write(void *ctx, const void *buf, size_t n)
{
	struct cgi *c = ctx;

	if (c->len + n > sizeof(c->out)) {
		if (cgi_flush(c) != 0)
			return -1;
		if (n > sizeof(c->out))
			return write_all(STDOUT_FILENO, buf, n);
	}
	memcpy(c->out + c->len, buf, n);
	c->len += n;
	return 0;
}

static const ps_req_io cgi_io = {
	cgi_param, cgi_read, cgi_write, cgi_flush, 0
};

/* ------------------------------------------------------ one request */

/* Serve one request; returns 1 when its input was read to the end. */
static int
serve_one(const ps_req_io *io, void *ctx, ps_fcgi_handler handler,
    void *arg)
{
	static const char oom[] = "Status: 500 Internal Server Error\r\n"
	    "Content-Type: text/plain\r\n\r\nout of memory\n";
	const char *role;
	ps_req *req;
	int consumed;

	req = ps_req_new(io, ctx);
	if (req == NULL) {
		ps_error("Server", "out of memory");
		io->write(ctx, oom, sizeof(oom) - 1);
		if (io->flush != NULL)
			io->flush(ctx);
		return 0;
	}
	role = ps_req_param(req, "FCGI_ROLE");
	if (role != NULL && strcmp(role, "RESPONDER") != 0) {
		ps_error("Server", "unsupported FastCGI role %.32s", role);
		ps_resp_problem(req, PS_E_CONFIG, "not a FastCGI responder");
	} else
		handler(req, arg);
	if (!ps_resp_started(req)) {
		ps_error("Server", "the handler sent no response");
		ps_resp_problem(req, PS_E_INTERNAL, NULL);
	}
	/* FastCGI: FCGX_Finish_r() sends what is buffered with the end
	 * records, in one write. */
	if (io != &fcgx_io)
		ps_req_flush(req);
	consumed = ps_req_input_consumed(req);
	ps_req_free(req);
	return consumed;
}

/* ------------------------------------------------------ listen socket */

struct listener {
	int fd;
	char desc[128];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
};

static int
parse_port(const char *s, unsigned short *port)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*port = (unsigned short)v;
	return 0;
}

static int
listen_unix(struct listener *l, const char *path, int backlog)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t mask;
	int fd, probe, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		ps_error("Server", "socket path longer than %zu bytes",
		    sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			ps_error("Server", "%s exists and is not a socket; "
			    "not removing it", path);
			return -1;
		}
		/* A socket someone still accepts on is not stale. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe < 0) {
			ps_error("Server", "socket: %s", strerror(errno));
			return -1;
		}
		rc = connect(probe, (struct sockaddr *)&sa, sizeof(sa));
		close(probe);
		if (rc == 0) {
			ps_error("Server", "%s is in use by a running server",
			    path);
			return -1;
		}
		if (unlink(path) != 0 && errno != ENOENT) {
			ps_error("Server", "cannot remove stale socket %s: %s",
			    path, strerror(errno));
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ps_error("Server", "socket: %s", strerror(errno));
		return -1;
	}
	/* Born 0660: the web server's group may connect, nobody else. */
	mask = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(mask);
	if (rc != 0 || chmod(path, 0660) != 0 || listen(fd, backlog) != 0 ||
	    stat(path, &st) != 0) {
		ps_error("Server", "cannot listen on %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	snprintf(l->path, sizeof(l->path), "%s", path);
	snprintf(l->desc, sizeof(l->desc), "%s", path);
	return 0;
}

/*
 * "HOST:PORT", "[V6]:PORT", ":PORT" (loopback, unlike libfcgi, which
 * binds every interface) or a unix socket path (it contains a '/').
 */
static int
open_listener(struct listener *l, const char *addr, int backlog)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr *sa;
	socklen_t salen;
	unsigned short port;
	char host[64];
	const char *colon, *close_br;
	int fd, one = 1, v6 = 0;
	size_t hl;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (strchr(addr, '/') != NULL)
		return listen_unix(l, addr, backlog);
	if (addr[0] == '[') {
		close_br = strchr(addr, ']');
		if (close_br == NULL || close_br[1] != ':')
			goto bad;
		hl = (size_t)(close_br - addr - 1);
		colon = close_br + 1;
		if (hl == 0 || hl >= sizeof(host))
			goto bad;
		memcpy(host, addr + 1, hl);
		v6 = 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			goto bad;
		hl = (size_t)(colon - addr);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, addr, hl);
	}
	host[hl] = '\0';
	if (parse_port(colon + 1, &port) != 0)
		goto bad;
	if (hl == 0 || strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (v6) {
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &s6.sin6_addr) != 1)
			goto bad;
		sa = (struct sockaddr *)&s6;
		salen = sizeof(s6);
		snprintf(l->desc, sizeof(l->desc), "[%s]:%u", host, port);
	} else {
		s4.sin_family = AF_INET;
		s4.sin_port = htons(port);
		if (inet_pton(AF_INET, host, &s4.sin_addr) != 1)
			goto bad;
		sa = (struct sockaddr *)&s4;
		salen = sizeof(s4);
		snprintf(l->desc, sizeof(l->desc), "%s:%u", host, port);
	}
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ps_error("Server", "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, salen) != 0 || listen(fd, backlog) != 0) {
		ps_error("Server", "cannot listen on %s: %s", l->desc,
		    strerror(errno));
		close(fd);
		return -1;
	}
	l->fd = fd;
	return 0;
bad:
	ps_error("Server", "bad --listen address \"%.100s\": use HOST:PORT, "
	    "[IPV6]:PORT, :PORT or a socket path with a '/'", addr);
	return -1;
}

static void
close_listener(struct listener *l)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	/* Remove our socket file, not one a successor has bound since. */
	if (l->path[0] != '\0' && lstat(l->path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
}

/* ------------------------------------------------------------ loops */

static int
serve_cgi(const char *program, ps_fcgi_handler handler, void *arg)
{
	struct cgi *c;

	/* RFC 3875, 4.1.12: every CGI request has a REQUEST_METHOD. */
	if (getenv("REQUEST_METHOD") == NULL) {
		ps_error("Server", "%s was not started by a web server (no "
		    "REQUEST_METHOD); see --help", program);
		return 2;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ps_error("Server", "out of memory");
		return 1;
	}
	serve_one(&cgi_io, c, handler, arg);
	cgi_drain(c);
	free(c);
	return 0;
}

/*
 * Wait until fd is readable with the stop signals unblocked (they are
 * blocked on entry and again on return).  1 readable, 0 interrupted by a
 * signal, -1 on error.
 */
static int
wait_readable(int fd, const sigset_t *unblocked)
{
	struct pollfd pfd;
	int n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	n = ppoll(&pfd, 1, NULL, unblocked);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	return 1;
}

static int
serve_fcgi(int fd, const ps_fcgi_opts *opts, ps_fcgi_handler handler,
    void *arg)
{
	sigset_t stops, unblocked;
	FCGX_Request r;
	long served = 0;
	int flags, rc, status = 0;

	if (FCGX_InitRequest(&r, fd, 0) != 0) {
		ps_error("Server", "FCGX_InitRequest failed");
		return 1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		ps_error("Server", "listening socket: %s", strerror(errno));
		return 1;
	}
	stop_set(&stops);
	sigprocmask(SIG_BLOCK, &stops, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);
	sigdelset(&unblocked, SIGUSR1);
	/* One request at a time: mod_fcgid routes one per process. */
	while (!stop_flag) {
		/* A kept connection (FCGI_KEEP_CONN) brings the next
		 * request; otherwise the listening socket does. */
		rc = wait_readable(r.ipcFd >= 0 ? r.ipcFd : fd, &unblocked);
		if (rc == 0)
			continue;
		if (rc < 0) {
			ps_error("Server", "poll: %s", strerror(errno));
			status = 1;
			break;
		}
		if (stop_flag)
			break;
		rc = FCGX_Accept_r(&r);
		/* Taken by a sibling, or given up on stop: look again. */
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR ||
		    (rc < 0 && stop_flag))
			continue;
		if (rc < 0) {
			ps_error("Server", "accept failed: %s",
			    rc > -1000 ? strerror(-rc) : "libfcgi error");
			status = 1;
			break;
		}
		/* A request read to its end (the web server's empty
		 * FCGI_STDIN record seen) leaves nothing unread: close
		 * the connection at once, not with libfcgi's lingering
		 * close (shutdown, then up to 2 s waiting for the server
		 * to close first - a sleep and three system calls per
		 * request).  Otherwise the lingering close drains what is
		 * left, so the server never writes into a reset socket. */
		if (serve_one(&fcgx_io, &r, handler, arg) &&
		    !r.keepConnection && (FCGX_HasSeenEOF(r.in) == EOF ||
		    FCGX_GetChar(r.in) == EOF))
			FCGX_Detach(&r);
		FCGX_Finish_r(&r);
		served++;
		if (opts->max_requests > 0 && served >= opts->max_requests) {
			ps_info("Server", "served %ld requests; exiting",
			    served);
			break;
		}
	}
	FCGX_Free(&r, 1);
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	return status;
}

int
ps_fcgi_run(const ps_fcgi_opts *opts, ps_fcgi_handler handler, void *arg)
{
	struct listener l;
	const char *program;
	int backlog, rc;

	program = opts->program != NULL ? opts->program : "pairstore";
	backlog = opts->backlog > 0 ? opts->backlog : DEFAULT_BACKLOG;
	if (FCGX_Init() != 0) {
		ps_error("Server", "FCGX_Init failed");
		return 1;
	}
	/* A client that went away must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	stop_handlers();
	if (opts->listen != NULL) {
		if (open_listener(&l, opts->listen, backlog) != 0)
			return 1;
		ps_info("Server", "%s serving as FastCGI on %s", program,
		    l.desc);
		rc = serve_fcgi(l.fd, opts, handler, arg);
		close_listener(&l);
		return rc;
	}
	if (FCGX_IsCGI()) {
		cgi_mode = 1;
		/* Debug: one line per request would be noise. */
		ps_debug("Server", "%s serving as CGI", program);
		return serve_cgi(program, handler, arg);
	}
	ps_info("Server", "%s serving as FastCGI", program);
	/* FastCGI spec, 2.2: the web server passes the listening socket
	 * as descriptor 0 (FCGI_LISTENSOCK_FILENO). */
	return serve_fcgi(STDIN_FILENO, opts, handler, arg);
}

/* ------------------------------------------------------- command line */

static void
usage(const ps_fcgi_opts *opts, FILE *f)
{
	const char *p = opts->program != NULL ? opts->program : "pairstore";

	fprintf(f, "Usage: %s [--listen ADDRESS] [--backlog N] "
	    "[--max-requests N]\n", p);
	if (opts->summary != NULL)
		fprintf(f, "%s\n", opts->summary);
	fprintf(f, "\n"
	    "Started by the web server it serves FastCGI (mod_fcgid, "
	    "lighttpd) or,\nunder mod_cgi, one CGI request.  Options:\n"
	    "  --listen ADDRESS    serve FastCGI on 127.0.0.1:9000, "
	    "[::1]:9000,\n"
	    "                      :9000 (loopback only) or a unix socket "
	    "path\n"
	    "                      containing a '/' (made mode 0660)\n"
	    "  --backlog N         listen queue length (default %d)\n"
	    "  --max-requests N    exit after N requests (default 0: no "
	    "limit)\n"
	    "  --help, --version\n"
	    "SIGTERM, SIGINT or SIGUSR1 finish the request in progress, "
	    "then exit.\n"
	    "Settings come from the environment and PAIRSTORE_ENV_FILE.\n",
	    DEFAULT_BACKLOG);
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (LONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
ps_fcgi_parse_args(int argc, char **argv, ps_fcgi_opts *opts)
{
	const char *p, *opt = "", *val;
	size_t n;
	long v;
	int i;

	p = opts->program != NULL ? opts->program : "pairstore";
	if (opts->backlog <= 0)
		opts->backlog = DEFAULT_BACKLOG;
	for (i = 1; i < argc; i++) {
		opt = argv[i];
		if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
			usage(opts, stdout);
			return 1;
		}
		if (strcmp(opt, "--version") == 0 || strcmp(opt, "-V") == 0) {
			printf("%s (%s) %s\n", p, PACKAGE_NAME,
			    PACKAGE_VERSION);
			return 1;
		}
		if (strncmp(opt, "--", 2) != 0)
			goto bad;
		/* --name VALUE or --name=VALUE */
		val = strchr(opt, '=');
		n = val != NULL ? (size_t)(val - opt) : strlen(opt);
		if (val != NULL)
			val++;
		else if (i + 1 < argc)
			val = argv[++i];
		if (n == 8 && strncmp(opt, "--listen", n) == 0) {
			if (val == NULL || *val == '\0')
				goto bad;
			opts->listen = val;
		} else if (n == 9 && strncmp(opt, "--backlog", n) == 0) {
			if (parse_long(val, 1, 65535, &v) != 0)
				goto bad;
			opts->backlog = (int)v;
		} else if (n == 14 && strncmp(opt, "--max-requests", n) == 0) {
			if (parse_long(val, 0, LONG_MAX, &v) != 0)
				goto bad;
			opts->max_requests = v;
		} else
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "%s: bad option or value: %.100s\n"
	    "Try '%s --help'.\n", p, opt, p);
	return -1;
}
