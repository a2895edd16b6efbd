/*
 * fcgi_noop.c - the smallest useful FastCGI responder.
 *
 * Every request gets {"ok":true}: with nothing else in the way, this is
 * the throughput floor the benchmarks compare the real programs against.
 * It uses libfcgi's reentrant API directly (FCGX_*), as the programs in
 * cgi-bin/ do underneath, and serves plain CGI as well (one request on
 * stdin/stdout, then exit) when it is not started on a FastCGI socket.
 *
 * For the web server harness self-test (tests/with-lighttpd.sh) a query
 * with echo=1 answers instead what the program saw:
 *
 *   {"REQUEST_METHOD":"POST","SCRIPT_NAME":"/x","PATH_INFO":"/a",
 *    "QUERY_STRING":"echo=1","CONTENT_LENGTH":"5","body_bytes":5,
 *    "body_cksum":"1234 5","pid":42,"cgi":false,"env":{"NAME":"value"}}
 *
 * (on one line; a missing variable is null).  body_cksum is the POSIX
 * cksum(1) output "CRC LENGTH" of the body, so a test can check that a
 * large upload arrived intact.  Further echo parameters:
 *   env=NAME1,NAME2   getenv() of those names (the process environment,
 *                     which is what the web server handed the program)
 *   sleep=MS          wait MS milliseconds (at most 5000) before
 *                     answering, to hold a process busy
 * and one line "fcgi_noop: echo pid=N path_info=P" goes to stderr, which
 * the web server sends to its error log.
 *
 * The body is always read to the end, so a POST never leaves the server
 * writing into a closed connection.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#define NAME_MAX_LEN	64	/* longest env name echoed */
#define SLEEP_MAX_MS	5000
#define OUT_MAX		8192	/* the echo answer never exceeds this */

static const char noop_response[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    "{\"ok\":true}";
static const char echo_header[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "\r\n";
static const char too_long[] =
    "Status: 500 Internal Server Error\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "echo answer too long\n";

/* One request, served through libfcgi or (req == NULL) plain CGI. */
struct conn {
	FCGX_Request	*req;
	uint64_t	 cgi_left;	/* CGI: body bytes not yet read */
};

/* A fixed buffer that silently stops growing when full. */
struct buf {
	char	data[OUT_MAX];
	size_t	len;
	int	full;
};

/*
 * POSIX cksum(1): CRC-32, polynomial 0x04C11DB7, most significant bit
 * first, over the data and then its length, complemented.
 */
struct cksum {
	uint32_t	crc;
	uint64_t	len;
};

static const char *
conn_param(const struct conn *c, const char *name)
{

	if (c->req != NULL)
		return FCGX_GetParam(name, c->req->envp);
	return getenv(name);
}

/* Read up to n bytes of the request body; 0 at its end. */
static size_t
conn_read(struct conn *c, char *p, size_t n)
{
	int got;
	size_t rd;

	if (c->req != NULL) {
		got = FCGX_GetStr(p, (int)n, c->req->in);
		return got > 0 ? (size_t)got : 0;
	}
	/* RFC 3875, 4.2: no more than CONTENT_LENGTH bytes, EOF or not. */
	if (n > c->cgi_left)
		n = (size_t)c->cgi_left;
	rd = n == 0 ? 0 : fread(p, 1, n, stdin);
	c->cgi_left -= rd;
	return rd;
}

static void
conn_write(const struct conn *c, const char *p, size_t n)
{

	if (c->req != NULL)
		FCGX_PutStr(p, (int)n, c->req->out);
	else
		fwrite(p, 1, n, stdout);
}

static void
cksum_add(struct cksum *ck, const unsigned char *p, size_t n)
{
	size_t i;
	int bit;

	for (i = 0; i < n; i++) {
		ck->crc ^= (uint32_t)p[i] << 24;
		for (bit = 0; bit < 8; bit++)
			ck->crc = (ck->crc & 0x80000000u) ?
			    (ck->crc << 1) ^ 0x04C11DB7u : ck->crc << 1;
	}
	ck->len += n;
}

static uint32_t
cksum_final(const struct cksum *ck)
{
	struct cksum tail;
	unsigned char b;
	uint64_t len;

	tail = *ck;
	for (len = ck->len; len != 0; len >>= 8) {
		b = (unsigned char)(len & 0xff);
		cksum_add(&tail, &b, 1);
	}
	return ~tail.crc;
}

/* Read the whole body; returns its size and fills ck. */
static uint64_t
drain_body(struct conn *c, struct cksum *ck)
{
	char chunk[65536];
	size_t n;
	uint64_t total;

	total = 0;
	for (;;) {
		n = conn_read(c, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (ck != NULL)
			cksum_add(ck, (unsigned char *)chunk, n);
		total += n;
	}
	return total;
}

static void
buf_add(struct buf *b, const char *p, size_t n)
{

	if (b->full || n > sizeof(b->data) - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
buf_str(struct buf *b, const char *s)
{

	buf_add(b, s, strlen(s));
}

/* Append s as a JSON string (RFC 8259, section 7), or null. */
static void
buf_json(struct buf *b, const char *s)
{
	char esc[8];
	const unsigned char *p;

	if (s == NULL) {
		buf_str(b, "null");
		return;
	}
	buf_str(b, "\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			buf_add(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			buf_str(b, esc);
		} else
			buf_add(b, (const char *)p, 1);
	}
	buf_str(b, "\"");
}

/*
 * The value of parameter name in query string q (not URL-decoded: the
 * harness only sends plain values), copied into out; 0 if absent.
 */
static int
query_get(const char *q, const char *name, char *out, size_t outsz)
{
	size_t nlen, vlen;
	const char *p, *end;

	if (q == NULL || outsz == 0)
		return 0;
	nlen = strlen(name);
	for (p = q; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = strchr(p, '&');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen && p[nlen] == '=' &&
		    strncmp(p, name, nlen) == 0) {
			vlen = (size_t)(end - p) - nlen - 1;
			if (vlen >= outsz)
				vlen = outsz - 1;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 1;
		}
	}
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	if (ms > SLEEP_MAX_MS)
		ms = SLEEP_MAX_MS;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* Append "env":{...} for the comma-separated names in list. */
static void
echo_env(struct buf *b, char *list)
{
	char *name, *save;
	int first;

	buf_str(b, "\"env\":{");
	first = 1;
	for (name = strtok_r(list, ",", &save); name != NULL;
	    name = strtok_r(NULL, ",", &save)) {
		if (strlen(name) > NAME_MAX_LEN)
			continue;
		if (!first)
			buf_str(b, ",");
		first = 0;
		buf_json(b, name);
		buf_str(b, ":");
		buf_json(b, getenv(name));
	}
	buf_str(b, "}");
}

static void
echo(struct conn *c)
{
	static const char *const vars[] = { "REQUEST_METHOD",
	    "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_LENGTH" };
	struct buf b;
	struct cksum ck;
	char arg[1024], num[64];
	const char *pi;
	uint64_t bytes;
	size_t i;

	memset(&b, 0, sizeof(b));
	memset(&ck, 0, sizeof(ck));
	bytes = drain_body(c, &ck);
	if (query_get(conn_param(c, "QUERY_STRING"), "sleep", arg,
	    sizeof(arg)))
		sleep_ms(strtol(arg, NULL, 10));

	buf_str(&b, "{");
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		buf_json(&b, vars[i]);
		buf_str(&b, ":");
		buf_json(&b, conn_param(c, vars[i]));
		buf_str(&b, ",");
	}
	snprintf(num, sizeof(num), "\"body_bytes\":%llu,",
	    (unsigned long long)bytes);
	buf_str(&b, num);
	snprintf(num, sizeof(num), "\"body_cksum\":\"%lu %llu\",",
	    (unsigned long)cksum_final(&ck), (unsigned long long)bytes);
	buf_str(&b, num);
	snprintf(num, sizeof(num), "\"pid\":%ld,\"cgi\":%s,",
	    (long)getpid(), c->req == NULL ? "true" : "false");
	buf_str(&b, num);
	if (!query_get(conn_param(c, "QUERY_STRING"), "env", arg,
	    sizeof(arg)))
		arg[0] = '\0';
	echo_env(&b, arg);
	buf_str(&b, "}\n");

	if (b.full) {
		conn_write(c, too_long, sizeof(too_long) - 1);
		return;
	}
	pi = conn_param(c, "PATH_INFO");
	fprintf(stderr, "fcgi_noop: echo pid=%ld path_info=%s\n",
	    (long)getpid(), pi == NULL ? "(none)" : pi);
	fflush(stderr);
	conn_write(c, echo_header, sizeof(echo_header) - 1);
	conn_write(c, b.data, b.len);
}

static void
serve(struct conn *c)
{
	char arg[8];

	if (query_get(conn_param(c, "QUERY_STRING"), "echo", arg,
	    sizeof(arg)) && strcmp(arg, "1") == 0) {
		echo(c);
		return;
	}
	drain_body(c, NULL);
	conn_write(c, noop_response, sizeof(noop_response) - 1);
}

int
main(void)
{
	FCGX_Request req;
	struct conn c;
	const char *cl;

	if (FCGX_Init() != 0) {
		fprintf(stderr, "fcgi_noop: FCGX_Init failed\n");
		return 1;
	}
	if (FCGX_IsCGI()) {
		/* RFC 3875: one request on stdin/stdout, then exit. */
		c.req = NULL;
		cl = getenv("CONTENT_LENGTH");
		c.cgi_left = cl == NULL ? 0 : strtoull(cl, NULL, 10);
		serve(&c);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, "fcgi_noop: FCGX_InitRequest failed\n");
		return 1;
	}
	c.req = &req;
	c.cgi_left = 0;
	while (FCGX_Accept_r(&req) >= 0) {
		serve(&c);
		/* The body is read to its end: close the connection at once,
		 * as the programs do (lib/ps_fcgi.c), without libfcgi's
		 * lingering close - the floor must not carry a cost they
		 * do not. */
		if (!req.keepConnection && (FCGX_HasSeenEOF(req.in) == EOF ||
		    FCGX_GetChar(req.in) == EOF))
			FCGX_Detach(&req);
		FCGX_Finish_r(&req);
	}
	return 0;
}
