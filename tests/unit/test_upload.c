/*
 * test_upload.c - the upload program's logic (lib/ps_upload.c) on
 * in-memory requests (ps_req_mem_new) with a local-only storage chain in
 * a temp directory: both orders of kind and file, every part rule, a
 * body cut short anywhere (nothing left in the spool directory, nothing
 * stored), the size limits before and while reading, identity (demo and
 * REMOTE_USER), the cross-site rules, and the answers (JSON, HTML, the
 * form) with everything echoed escaped.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ps_auth.h"
#include "ps_config.h"
#include "ps_http.h"
#include "ps_log.h"
#include "ps_spool.h"
#include "ps_storage.h"
#include "ps_upload.h"
#include "tap.h"
#include "testlib.h"

#define BOUNDARY "----pairstoreTestBoundary7MA4YWxkTrZu0gW"
#define CT "CONTENT_TYPE=multipart/form-data; boundary=" BOUNDARY
#define MAX_BODY (256 * 1024)

static char tmp[256], spooldir[300], storedir[300];
static char env_dir[400], env_url[64];
static ps_config *cfg_demo, *cfg_ru;
static ps_auth *auth_demo, *auth_ru;
static ps_storage *st;
static ps_upload_conf conf_demo, conf_ru;

/* ------------------------------------------------------------ helpers */

static int nfiles;

static int
remove_one(const char *path, const struct stat *sb, int flag,
    struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
}

static int
count_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)path;
	(void)sb;
	(void)f;
	if (flag == FTW_F)
		nfiles++;
	return 0;
}

/* Regular files anywhere under the store. */
static int
stored_files(void)
{
	nfiles = 0;
	if (nftw(storedir, count_one, 16, FTW_PHYS) != 0)
		return -1;
	return nfiles;
}

struct part {
	const char *name;
	const char *filename;	/* NULL: a text field */
	const char *data;
	size_t len;		/* 0: strlen(data) */
};

/* A multipart/form-data body as curl writes it. */
static size_t
build(char *out, size_t sz, const struct part *p, size_t n)
{
	size_t o = 0, i, len;

	for (i = 0; i < n; i++) {
		o += (size_t)snprintf(out + o, sz - o, "--%s\r\n"
		    "Content-Disposition: form-data; name=\"%s\"", BOUNDARY,
		    p[i].name);
		if (p[i].filename != NULL)
			o += (size_t)snprintf(out + o, sz - o,
			    "; filename=\"%s\"\r\nContent-Type: "
			    "application/octet-stream", p[i].filename);
		o += (size_t)snprintf(out + o, sz - o, "\r\n\r\n");
		len = p[i].len != 0 ? p[i].len : strlen(p[i].data);
		if (o + len + 200 > sz)
			tap_bail("test body too large");
		memcpy(out + o, p[i].data, len);
		o += len;
		o += (size_t)snprintf(out + o, sz - o, "\r\n");
	}
	o += (size_t)snprintf(out + o, sz - o, "--%s--\r\n", BOUNDARY);
	return o;
}

struct call {
	const char *params[12];	/* extra "NAME=value"s, NULL at the end */
	long long content_length; /* -1: the body's length; -2: none */
	int remote_user;	/* the REMOTE_USER configuration */
	uint64_t max_bytes;	/* 0: keep the configured limit */
	/* results */
	ps_storage_result res;
	ps_err err;
	char out[64 * 1024];
};

/* POST body through ps_upload_post() and ps_upload_respond(). */
static ps_code
post(struct call *c, const char *body, size_t len)
{
	char *params[20], cl[64];
	ps_upload_conf conf;
	size_t n = 0, i, outlen;
	const char *out;
	ps_req *req;
	ps_code rc;

	params[n++] = "REQUEST_METHOD=POST";
	params[n++] = "SCRIPT_NAME=/cgi-bin/upload";
	for (i = 0; c->params[i] != NULL; i++)
		params[n++] = (char *)c->params[i];
	if (c->content_length != -2) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%lld",
		    c->content_length == -1 ? (long long)len :
		    c->content_length);
		params[n++] = cl;
	}
	params[n] = NULL;
	if ((req = ps_req_mem_new(params, body, len)) == NULL)
		tap_bail("ps_req_mem_new");
	conf = c->remote_user ? conf_ru : conf_demo;
	if (c->max_bytes != 0)
		conf.max_bytes = c->max_bytes;
	memset(&c->err, 0, sizeof(c->err));
	rc = ps_upload_post(req, &conf, c->remote_user ? auth_ru : auth_demo,
	    st, &c->res, &c->err);
	ps_upload_respond(req, rc, &c->res, &c->err);
	out = ps_req_mem_output(req, &outlen);
	snprintf(c->out, sizeof(c->out), "%s", out != NULL ? out : "");
	ps_req_mem_free(req);
	return rc;
}

static void
call_init(struct call *c)
{
	memset(c, 0, sizeof(*c));
	c->params[0] = CT;
	c->params[1] = "HTTP_X_PAIRSTORE_USER=alice";
	c->content_length = -1;
}

static ps_code
post_parts(struct call *c, const struct part *p, size_t n)
{
	static char body[MAX_BODY];
	size_t len = build(body, sizeof(body), p, n);

	return post(c, body, len);
}

static void
sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* The stored file of res has exactly data. */
static int
stored_is(const ps_storage_result *res, const char *data, size_t len)
{
	char path[1024], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", storedir, res->path);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n >= 0 && (size_t)n == len && memcmp(buf, data, len) == 0;
}

static int
nothing_left(void)
{
	return tst_count_entries(spooldir) == 0;
}

/* ------------------------------------------------------------ tests */

static void
upload_kind_before_file_is_stored(void)
{
	const struct part p[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "photo.png", "tiny file", 0},
	};
	char want[65];
	struct call c;
	int before = stored_files();

	call_init(&c);
	is_int(post_parts(&c, p, 2), PS_OK, "kind then file: stored");
	is_str(c.res.backend, "local", "in the local backend");
	is_str(c.res.kind, "view-once", "under its kind");
	ok(strncmp(c.res.path, "view-once/alice/", 16) == 0,
	    "at kind/user/... (%s)", c.res.path);
	sha256_hex("tiny file", 9, want);
	is_str(c.res.sha256, want, "SHA-256 of the bytes");
	is_int(c.res.bytes, 9, "byte count");
	ok(stored_is(&c.res, "tiny file", 9), "the stored file has the bytes");
	is_int(stored_files(), before + 1, "exactly one file more");
	ok(nothing_left(), "no spool file left");
	ok(strncmp(c.out, "Status: 201 Created\r\n", 21) == 0,
	    "answer 201");
	ok(strstr(c.out, "Content-Type: application/json\r\n") != NULL,
	    "as JSON");
	ok(strstr(c.out, "\r\nLocation: /media/view-once/alice/") != NULL,
	    "Location is the URL");
	ok(strstr(c.out, "\"backend\":\"local\"") != NULL &&
	    strstr(c.out, "\"resource_type\":\"raw\"") != NULL &&
	    strstr(c.out, "\"bytes\":9") != NULL &&
	    strstr(c.out, "\"sha256\":\"") != NULL &&
	    strstr(c.out, "\"public_id\":\"") != NULL &&
	    strstr(c.out, "\"url\":\"/media/") != NULL,
	    "JSON has url, backend, resource_type, bytes, sha256, public_id");
}

static void
upload_kind_after_file_is_stored(void)
{
	const struct part p[] = {
		{"file", "a.txt", "kind comes last", 0},
		{"kind", NULL, "scheduled-status", 0},
	};
	struct call c;

	call_init(&c);
	is_int(post_parts(&c, p, 2), PS_OK, "file then kind: stored");
	is_str(c.res.kind, "scheduled-status", "with the kind sent last");
	ok(stored_is(&c.res, "kind comes last", 15), "bytes stored");
	ok(nothing_left(), "no spool file left");
}

/* A refused form: code, nothing stored, nothing spooled. */
static void
refused(const struct part *p, size_t n, ps_code want, int remote_user,
    const char *what)
{
	struct call c;
	int before = stored_files();
	ps_code rc;

	call_init(&c);
	c.remote_user = remote_user;
	if (remote_user)
		c.params[1] = "REMOTE_USER=rita";
	rc = post_parts(&c, p, n);
	is_int(rc, want, "%s: refused", what);
	if (rc != want)
		tap_diag("  %s", c.err.msg);
	is_int(stored_files(), before, "%s: nothing stored", what);
	ok(nothing_left(), "%s: no spool file left", what);
}

static void
upload_part_rules(void)
{
	const struct part unknown[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "a", "x", 0},
		{"caption", NULL, "hello", 0},
	};
	const struct part unknown_first[] = {
		{"public_id", NULL, "../../x", 0},
		{"kind", NULL, "view-once", 0},
		{"file", "a", "x", 0},
	};
	const struct part two_files[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "a", "first", 0},
		{"file", "b", "second", 0},
	};
	const struct part no_kind[] = {
		{"file", "a", "x", 0},
	};
	const struct part no_file[] = {
		{"kind", NULL, "view-once", 0},
	};
	const struct part two_kinds[] = {
		{"kind", NULL, "view-once", 0},
		{"kind", NULL, "view-once", 0},
		{"file", "a", "x", 0},
	};
	const struct part kind_file[] = {
		{"kind", "kind.txt", "view-once", 0},
		{"file", "a", "x", 0},
	};
	const struct part user_part[] = {
		{"kind", NULL, "view-once", 0},
		{"user", NULL, "mallory", 0},
		{"file", "a", "x", 0},
	};
	const struct part no_file_chosen[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "", "", 0},
	};
	struct call c;
	ps_code rc;

	refused(unknown, 3, PS_E_INVALID, 0, "an unknown part");
	refused(unknown_first, 3, PS_E_INVALID, 0, "an unknown part first");
	refused(two_files, 3, PS_E_INVALID, 0, "two file parts");
	refused(no_kind, 1, PS_E_INVALID, 0, "no kind");
	refused(no_file, 1, PS_E_INVALID, 0, "no file");
	refused(two_kinds, 3, PS_E_INVALID, 0, "two kind parts");
	refused(kind_file, 2, PS_E_INVALID, 0, "kind sent as a file");
	refused(user_part, 3, PS_E_INVALID, 1,
	    "a user part outside demo mode");
	refused(no_file_chosen, 2, PS_E_INVALID, 0,
	    "an empty file input (no file chosen)");
	refused(NULL, 0, PS_E_INVALID, 0, "an empty form");

	call_init(&c);
	rc = post_parts(&c, two_files, 3);
	ok(rc == PS_E_INVALID && strstr(c.err.msg, "one file") != NULL,
	    "the message says one file (%s)", c.err.msg);
	ok(strncmp(c.out, "Status: 400 ", 12) == 0 &&
	    strstr(c.out, "application/problem+json") != NULL,
	    "answered 400 problem+json");
	call_init(&c);
	post_parts(&c, unknown, 3);
	ok(strstr(c.err.msg, "caption") != NULL,
	    "the message names the unknown part (%s)", c.err.msg);
}

static void
upload_kind_rules(void)
{
	static const char *const bad[] = {
		"", "../x", "view-once/../../etc", "VIEW-ONCE", "view-once ",
		"photos", "deleted-messages\n", "view-once\r\nX: y",
		/* 65 bytes: one more than a field may have */
		("view-oncexxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxx"),
	};
	char what[160], shown[24];
	struct part p[2];
	size_t i, k;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(shown, sizeof(shown), "%s", bad[i]);
		for (k = 0; shown[k] != '\0'; k++)
			if ((unsigned char)shown[k] < 0x20)
				shown[k] = '?';
		/* A bad kind first (the upload stops there) and last. */
		p[0] = (struct part){"kind", NULL, bad[i], 0};
		p[1] = (struct part){"file", "a", "x", 0};
		snprintf(what, sizeof(what), "kind \"%s\" first", shown);
		refused(p, 2, PS_E_INVALID, 0, what);
		p[1] = p[0];
		p[0] = (struct part){"file", "a", "x", 0};
		snprintf(what, sizeof(what), "kind \"%s\" last", shown);
		refused(p, 2, PS_E_INVALID, 0, what);
	}
	{
		const struct part nul[] = {
			{"kind", NULL, "view-once\0", 10},
			{"file", "a", "x", 0},
		};

		refused(nul, 2, PS_E_INVALID, 0, "kind with a NUL byte");
	}
}

static void
upload_filename_is_never_used(void)
{
	static const char *const names[] = {
		"../../etc/passwd", "a/b.png", "..", "/etc/shadow",
		"C:\\x\\..\\y.png", "index.html", "x.php",
	};
	struct part p[2];
	struct call c;
	size_t i;
	char *slash;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p[0] = (struct part){"kind", NULL, "deleted-messages", 0};
		p[1] = (struct part){"file", names[i], "<p>x</p>", 0};
		call_init(&c);
		is_int(post_parts(&c, p, 2), PS_OK, "filename \"%s\": stored",
		    names[i]);
		slash = strrchr(c.res.path, '/');
		ok(strncmp(c.res.path, "deleted-messages/alice/", 23) == 0 &&
		    slash == c.res.path + 22 &&
		    strspn(slash + 1, "0123456789TZ-abcdef") == 41 &&
		    strcmp(slash + 42, ".bin") == 0,
		    "... under a generated name (%s)", c.res.path);
	}
}

static void
upload_active_content_is_raw(void)
{
	static const char html[] = "<!DOCTYPE html><html><body><script>"
	    "alert(1)</script></body></html>";
	static const char svg[] = "<?xml version=\"1.0\"?><svg xmlns="
	    "\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
	struct part p[2];
	struct call c;

	p[0] = (struct part){"kind", NULL, "view-once", 0};
	p[1] = (struct part){"file", "x.html", html, 0};
	call_init(&c);
	is_int(post_parts(&c, p, 2), PS_OK, "HTML upload stored");
	is_str(c.res.resource_type, "raw", "HTML is raw");
	ok(strlen(c.res.path) > 4 &&
	    strcmp(c.res.path + strlen(c.res.path) - 4, ".bin") == 0,
	    "HTML stored as .bin");
	p[1] = (struct part){"file", "x.svg", svg, 0};
	call_init(&c);
	is_int(post_parts(&c, p, 2), PS_OK, "SVG upload stored");
	is_str(c.res.resource_type, "raw", "SVG is raw");
	is_str(c.res.mime, "application/octet-stream", "SVG is octet-stream");
}

static void
upload_empty_file_is_stored(void)
{
	const struct part p[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "empty.txt", "", 0},
	};
	struct call c;

	call_init(&c);
	is_int(post_parts(&c, p, 2), PS_OK, "an empty file is stored");
	is_int(c.res.bytes, 0, "0 bytes");
	is_str(c.res.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
	    "934ca495991b7852b855", "SHA-256 of nothing");
	ok(stored_is(&c.res, "", 0), "an empty file on disk");
}

static void
upload_file_without_filename_is_stored(void)
{
	const struct part p[] = {
		{"kind", NULL, "view-once", 0},
		{"file", NULL, "an API client's bytes", 0},
	};
	struct call c;

	call_init(&c);
	is_int(post_parts(&c, p, 2), PS_OK,
	    "a file part without filename (RFC 7578, 4.2) is stored");
	ok(stored_is(&c.res, "an API client's bytes", 21), "bytes stored");
}

static void
upload_body_cut_short_leaves_nothing(void)
{
	static char body[MAX_BODY];
	static char data[20000];
	struct part p[2];
	struct call c;
	size_t len, cut;
	int before = stored_files(), bad = 0, leftovers = 0, kept = 0;
	ps_code rc;

	memset(data, 'z', sizeof(data));
	p[0] = (struct part){"kind", NULL, "view-once", 0};
	p[1] = (struct part){"file", "f", data, sizeof(data)};
	len = build(body, sizeof(body), p, 2);
	/* Every cut: in the headers, the kind, the file, the delimiter. */
	for (cut = 0; cut < len; cut += cut < 400 || cut > len - 100 ?
	    1 : 997) {
		call_init(&c);
		c.content_length = (long long)len;
		rc = post(&c, body, cut);
		if (rc != PS_E_INVALID) {
			bad++;
			tap_diag("cut at %zu: %d %s", cut, rc, c.err.msg);
		}
		if (!nothing_left())
			leftovers++;
		if (stored_files() != before)
			kept++;
	}
	is_int(bad, 0, "a body cut short anywhere is refused");
	is_int(leftovers, 0, "... leaving no spool file");
	is_int(kept, 0, "... and storing nothing");
	call_init(&c);
	c.content_length = (long long)len;
	post(&c, body, len / 2);
	ok(strstr(c.err.msg, "went away") != NULL,
	    "the message says the client went away (%s)", c.err.msg);
}

static void
upload_limits(void)
{
	static char data[2001];
	struct part p[2];
	struct call c;
	int before = stored_files();
	ps_code rc;

	memset(data, 'q', sizeof(data));
	p[0] = (struct part){"kind", NULL, "view-once", 0};

	/* CONTENT_LENGTH over the limit: refused before reading. */
	call_init(&c);
	c.max_bytes = 2000;
	c.content_length = 2000 + PS_UPLOAD_OVERHEAD + 1;
	is_int(post(&c, "", 0), PS_E_TOO_LARGE,
	    "Content-Length over limit + overhead: 413 before reading");
	ok(strncmp(c.out, "Status: 413 ", 12) == 0, "answered 413");
	ok(strstr(c.err.msg, "UPLOAD_MAX_BYTES") != NULL,
	    "the message names the setting (%s)", c.err.msg);

	/* The file itself one byte over, within the overhead. */
	p[1] = (struct part){"file", "f", data, 2001};
	call_init(&c);
	c.max_bytes = 2000;
	rc = post_parts(&c, p, 2);
	is_int(rc, PS_E_TOO_LARGE, "a file of limit + 1 bytes: 413");
	ok(nothing_left(), "... no spool file left");
	is_int(stored_files(), before, "... nothing stored");

	/* Also with the file sent before the kind. */
	p[1] = p[0];
	p[0] = (struct part){"file", NULL, data, 2001};
	call_init(&c);
	c.max_bytes = 2000;
	is_int(post_parts(&c, p, 2), PS_E_TOO_LARGE,
	    "a file part without filename over the limit: 413");
	ok(nothing_left(), "... no spool file left");

	/* Exactly the limit is fine. */
	p[0] = (struct part){"kind", NULL, "view-once", 0};
	p[1] = (struct part){"file", "f", data, 2000};
	call_init(&c);
	c.max_bytes = 2000;
	is_int(post_parts(&c, p, 2), PS_OK, "a file of exactly the limit");
	is_int(c.res.bytes, 2000, "... all of it");

	/* No CONTENT_LENGTH at all. */
	call_init(&c);
	c.content_length = -2;
	is_int(post_parts(&c, p, 2), PS_E_INVALID,
	    "no Content-Length: 400");
	ok(strstr(c.err.msg, "Content-Length required") != NULL,
	    "... Content-Length required (%s)", c.err.msg);
	call_init(&c);
	c.content_length = -2;
	c.params[2] = "CONTENT_LENGTH=12x";
	is_int(post_parts(&c, p, 2), PS_E_INVALID,
	    "a malformed Content-Length: 400");
}

static void
upload_content_type_rules(void)
{
	const struct part p[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "f", "x", 0},
	};
	struct call c;

	call_init(&c);
	c.params[0] = "CONTENT_TYPE=application/x-www-form-urlencoded";
	is_int(post_parts(&c, p, 2), PS_E_UNSUPPORTED,
	    "urlencoded: 415");
	call_init(&c);
	c.params[0] = "CONTENT_TYPE=multipart/mixed; boundary=" BOUNDARY;
	is_int(post_parts(&c, p, 2), PS_E_UNSUPPORTED,
	    "multipart/mixed: 415");
	call_init(&c);
	c.params[0] = "HTTP_ACCEPT=*/*";
	is_int(post_parts(&c, p, 2), PS_E_UNSUPPORTED,
	    "no Content-Type: 415");
	call_init(&c);
	c.params[0] = "CONTENT_TYPE=multipart/form-data";
	is_int(post_parts(&c, p, 2), PS_E_INVALID, "no boundary: 400");
	call_init(&c);
	c.params[0] = "CONTENT_TYPE=multipart/form-data; boundary=other";
	is_int(post_parts(&c, p, 2), PS_E_INVALID,
	    "a boundary that is not in the body: 400");
	ok(nothing_left(), "no spool file left");
}

static void
upload_identity(void)
{
	const struct part with_user[] = {
		{"kind", NULL, "view-once", 0},
		{"user", NULL, "bob", 0},
		{"file", "f", "x", 0},
	};
	const struct part bad_user[] = {
		{"kind", NULL, "view-once", 0},
		{"user", NULL, "../x", 0},
		{"file", "f", "x", 0},
	};
	const struct part plain[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "f", "x", 0},
	};
	struct call c;
	int before;

	call_init(&c);
	is_int(post_parts(&c, with_user, 3), PS_OK,
	    "demo: a user part identifies");
	ok(strncmp(c.res.path, "view-once/bob/", 14) == 0,
	    "... and wins over the header (%s)", c.res.path);

	call_init(&c);
	c.params[1] = "QUERY_STRING=user=carol";
	is_int(post_parts(&c, plain, 2), PS_OK, "demo: ?user= identifies");
	ok(strncmp(c.res.path, "view-once/carol/", 16) == 0,
	    "... as carol (%s)", c.res.path);

	before = stored_files();
	call_init(&c);
	c.params[1] = "HTTP_X_PAIRSTORE_USER=../x";
	is_int(post_parts(&c, plain, 2), PS_E_AUTH,
	    "demo: header user ../x: 401");
	ok(strstr(c.out, "WWW-Authenticate: Bearer") != NULL,
	    "... naming the scheme");
	call_init(&c);
	is_int(post_parts(&c, bad_user, 3), PS_E_AUTH,
	    "demo: user part ../x: 401");
	call_init(&c);
	c.params[1] = "HTTP_X_PAIRSTORE_USER=..";
	is_int(post_parts(&c, plain, 2), PS_E_AUTH, "demo: user ..: 401");
	call_init(&c);
	c.params[1] = "HTTP_ACCEPT=*/*";
	is_int(post_parts(&c, plain, 2), PS_E_AUTH, "demo: no user: 401");
	call_init(&c);
	c.remote_user = 1;
	c.params[1] = "HTTP_X_PAIRSTORE_USER=alice";
	is_int(post_parts(&c, plain, 2), PS_E_AUTH,
	    "remote_user: no REMOTE_USER: 401 (the header means nothing)");
	is_int(stored_files(), before, "none of these stored anything");
	ok(nothing_left(), "... or left a spool file");

	call_init(&c);
	c.remote_user = 1;
	c.params[1] = "REMOTE_USER=rita";
	is_int(post_parts(&c, plain, 2), PS_OK, "remote_user: stored");
	ok(strncmp(c.res.path, "view-once/rita/", 15) == 0,
	    "... for the web server's user (%s)", c.res.path);
}

/* ps_req_check_origin() with up to four parameters. */
static ps_code
origin(const char *public_origin, const char *p1, const char *p2,
    const char *p3, const char *p4)
{
	char *params[8];
	ps_err err = {0};
	ps_req *req;
	ps_code rc;
	int n = 0;

	params[n++] = "REQUEST_METHOD=POST";
	if (p1 != NULL)
		params[n++] = (char *)p1;
	if (p2 != NULL)
		params[n++] = (char *)p2;
	if (p3 != NULL)
		params[n++] = (char *)p3;
	if (p4 != NULL)
		params[n++] = (char *)p4;
	params[n] = NULL;
	if ((req = ps_req_mem_new(params, NULL, 0)) == NULL)
		tap_bail("ps_req_mem_new");
	rc = ps_req_check_origin(req, public_origin, &err);
	ps_req_mem_free(req);
	return rc;
}

#define H "HTTP_HOST=app.example"
#define SFS "HTTP_SEC_FETCH_SITE="
#define O "HTTP_ORIGIN="

static void
upload_origin_rules(void)
{
	const ps_code OK = PS_OK, NO = PS_E_FORBIDDEN;
	const char *pub = "https://www.example.com/";

	is_int(origin(NULL, H, NULL, NULL, NULL), OK,
	    "no Sec-Fetch-Site, no Origin (curl, API clients): allowed");
	is_int(origin(NULL, H, SFS "cross-site", NULL, NULL), NO,
	    "Sec-Fetch-Site: cross-site: 403");
	is_int(origin(NULL, H, SFS "cross-site", O "http://app.example",
	    NULL), NO, "cross-site even with a matching Origin: 403");
	is_int(origin(NULL, H, SFS "same-origin", NULL, NULL), OK,
	    "same-origin: allowed");
	is_int(origin(NULL, H, SFS "none", NULL, NULL), OK,
	    "none (user action): allowed");
	is_int(origin(NULL, H, SFS "same-site", NULL, NULL), OK,
	    "same-site without Origin: allowed");
	is_int(origin(NULL, H, SFS "Cross-Site", NULL, NULL), NO,
	    "an unknown Sec-Fetch-Site value: 403");
	is_int(origin(NULL, H, O "http://evil.example", NULL, NULL), NO,
	    "Origin: http://evil.example: 403");
	is_int(origin(NULL, H, SFS "same-origin", O "http://evil.example",
	    NULL), NO, "same-origin but a foreign Origin: 403");
	is_int(origin(NULL, H, O "http://app.example", NULL, NULL), OK,
	    "Origin = the request's own: allowed");
	is_int(origin(NULL, H, O "HTTP://APP.Example:80", NULL, NULL), OK,
	    "case and the default port do not matter");
	is_int(origin(NULL, "HTTP_HOST=app.example:80",
	    O "http://app.example", NULL, NULL), OK,
	    "Host with the default port");
	is_int(origin(NULL, H, O "https://app.example", NULL, NULL), NO,
	    "https Origin to a plain http request: 403");
	is_int(origin(NULL, H, O "https://app.example", "HTTPS=on", NULL),
	    OK, "https Origin, HTTPS=on: allowed");
	is_int(origin(NULL, "HTTP_HOST=app.example:443",
	    O "https://app.example", "REQUEST_SCHEME=https", NULL), OK,
	    "REQUEST_SCHEME=https and :443");
	is_int(origin(NULL, H, O "http://app.example:8080", NULL, NULL), NO,
	    "another port: 403");
	is_int(origin(NULL, H, O "http://app.example.evil.example", NULL,
	    NULL), NO, "a longer host: 403");
	is_int(origin(NULL, H, O "http://evil.example/app.example", NULL,
	    NULL), NO, "a path in Origin: 403");
	is_int(origin(NULL, H, O "http://app.example@evil.example", NULL,
	    NULL), NO, "userinfo in Origin: 403");
	is_int(origin(NULL, H, O "null", NULL, NULL), NO,
	    "Origin: null: 403");
	is_int(origin(NULL, H, O "", NULL, NULL), NO, "an empty Origin: 403");
	is_int(origin(NULL, "HTTP_HOST=[::1]:8080", O "http://[::1]:8080",
	    NULL, NULL), OK, "IPv6 literal with a port");
	is_int(origin(NULL, "SERVER_NAME=app.example", "SERVER_PORT=80",
	    O "http://app.example", NULL), OK,
	    "no Host: SERVER_NAME and SERVER_PORT");
	is_int(origin(NULL, NULL, O "http://app.example", NULL, NULL), NO,
	    "no Host and no SERVER_NAME: 403");

	is_int(origin(pub, H, O "https://www.example.com", NULL, NULL), OK,
	    "PUBLIC_ORIGIN: its Origin is allowed");
	is_int(origin(pub, H, SFS "same-site", O "https://www.example.com",
	    NULL), OK, "PUBLIC_ORIGIN: same-site from it is allowed");
	is_int(origin(pub, H, O "http://app.example", NULL, NULL), NO,
	    "PUBLIC_ORIGIN set: the request's own origin is not enough");
	is_int(origin(pub, H, O "http://www.example.com", NULL, NULL), NO,
	    "PUBLIC_ORIGIN: another scheme: 403");
	is_int(origin(pub, H, NULL, NULL, NULL), OK,
	    "PUBLIC_ORIGIN: no Origin (API client): allowed");
	is_int(origin("ftp://x", H, O "ftp://x", NULL, NULL), PS_E_CONFIG,
	    "a malformed public origin is a configuration error");
}

static void
upload_cross_site_post_stores_nothing(void)
{
	const struct part p[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "f", "x", 0},
	};
	struct call c;
	int before = stored_files();

	call_init(&c);
	c.params[2] = SFS "cross-site";
	c.params[3] = O "http://evil.example";
	is_int(post_parts(&c, p, 2), PS_E_FORBIDDEN, "cross-site POST: 403");
	ok(strncmp(c.out, "Status: 403 ", 12) == 0, "answered 403");
	is_int(stored_files(), before, "nothing stored");
	ok(nothing_left(), "no spool file");
}

static ps_code
conf_with(const char *public_origin, ps_upload_conf *conf)
{
	char env[300];
	char *envp[3];
	ps_config *cfg;
	ps_err err = {0};
	ps_code rc;

	snprintf(env, sizeof(env), "PUBLIC_ORIGIN=%s", public_origin);
	envp[0] = env;
	envp[1] = "AUTH_MODE=demo";
	envp[2] = NULL;
	if (ps_config_load_from(&cfg, envp, NULL, &err) != PS_OK)
		tap_bail("config: %s", err.msg);
	rc = ps_upload_conf_load(conf, cfg, &err);
	ps_config_free(cfg);
	return rc;
}

static void
upload_conf_checks_public_origin(void)
{
	static const char *const bad[] = {
		"example.com", "https://example.com/app", "ftp://example.com",
		"https://", "https://example.com:",
		"https://example.com:123456",
		"https://user@example.com", "https://example.com?x",
		"null",
	};
	ps_upload_conf conf;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(conf_with(bad[i], &conf), PS_E_CONFIG,
		    "PUBLIC_ORIGIN=%s refused", bad[i]);
	is_int(conf_with("HTTPS://Example.COM:443/", &conf), PS_OK,
	    "PUBLIC_ORIGIN with case, default port and '/' accepted");
	is_str(conf.public_origin, "https://example.com", "... normalised");
	ok(conf.demo, "AUTH_MODE=demo seen");
	is_int(conf.max_bytes, 104857600, "UPLOAD_MAX_BYTES default");
	is_int(conf_with("http://[::1]:8080", &conf), PS_OK,
	    "an IPv6 origin accepted");
}

static void
upload_html_answers(void)
{
	const struct part p[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "f", "x", 0},
	};
	const struct part bad[] = {
		{"<script>alert(1)</script>", NULL, "x", 0},
		{"file", "f", "x", 0},
	};
	struct call c;

	call_init(&c);
	c.params[2] = "HTTP_ACCEPT=text/html,application/xhtml+xml,*/*;q=0.8";
	is_int(post_parts(&c, p, 2), PS_OK, "a browser's upload: stored");
	ok(strncmp(c.out, "Status: 201 Created\r\n", 21) == 0,
	    "HTML answer 201");
	ok(strstr(c.out, "Content-Type: text/html; charset=utf-8\r\n") !=
	    NULL, "as text/html");
	ok(strstr(c.out, "Content-Security-Policy: default-src 'none'; "
	    "style-src 'unsafe-inline'; form-action 'self'\r\n") != NULL,
	    "with the CSP");
	ok(strstr(c.out, "X-Frame-Options: DENY\r\n") != NULL,
	    "with X-Frame-Options DENY");
	ok(strstr(c.out, "\r\nLocation: /media/") != NULL, "and Location");
	ok(strstr(c.out, "href=\"/media/view-once/alice/") != NULL,
	    "the page links the URL");

	call_init(&c);
	c.params[2] = "HTTP_ACCEPT=text/html";
	is_int(post_parts(&c, bad, 2), PS_E_INVALID, "a hostile part name");
	ok(strncmp(c.out, "Status: 400 ", 12) == 0, "HTML error 400");
	ok(strstr(c.out, "<script>") == NULL &&
	    strstr(c.out, "&lt;script&gt;") != NULL,
	    "the echoed part name is escaped");
}

static void
upload_form_page(void)
{
	char *params[] = {
		"REQUEST_METHOD=GET", "SCRIPT_NAME=/cgi-bin/upload",
		"QUERY_STRING=user=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
		NULL
	};
	ps_upload_conf conf = conf_demo;
	const char *out;
	ps_req *req;

	if ((req = ps_req_mem_new(params, NULL, 0)) == NULL)
		tap_bail("ps_req_mem_new");
	ps_upload_form_page(req, &conf);
	out = ps_req_mem_output(req, NULL);
	ok(strncmp(out, "Status: 200 OK\r\n", 16) == 0, "form: 200");
	ok(strstr(out, "Content-Type: text/html; charset=utf-8\r\n") != NULL,
	    "form: text/html");
	ok(strstr(out, "Content-Security-Policy: default-src 'none'; "
	    "style-src 'unsafe-inline'; form-action 'self'\r\n") != NULL,
	    "form: CSP");
	ok(strstr(out, "X-Frame-Options: DENY\r\n") != NULL,
	    "form: X-Frame-Options");
	ok(strstr(out, "enctype=\"multipart/form-data\"") != NULL &&
	    strstr(out, "action=\"/cgi-bin/upload\"") != NULL &&
	    strstr(out, "method=\"post\"") != NULL, "form: posts multipart "
	    "to itself");
	ok(strstr(out, "name=\"kind\"") != NULL &&
	    strstr(out, "value=\"deleted-messages\"") != NULL &&
	    strstr(out, "value=\"view-once\"") != NULL &&
	    strstr(out, "value=\"scheduled-status\"") != NULL,
	    "form: kind offers the allow-list");
	ok(strstr(out, "name=\"file\" type=\"file\"") != NULL,
	    "form: a file input");
	ok(strstr(out, "name=\"user\"") != NULL, "form: demo: a user field");
	ok(strstr(out, "<script") == NULL &&
	    strstr(out, "&quot;&gt;&lt;script&gt;") != NULL,
	    "form: the echoed user is escaped");
	ok(strstr(out, "src=") == NULL && strstr(out, "<link") == NULL,
	    "form: no external resources");
	ps_req_mem_free(req);

	conf = conf_ru;
	params[2] = NULL;
	if ((req = ps_req_mem_new(params, NULL, 0)) == NULL)
		tap_bail("ps_req_mem_new");
	ps_upload_form_page(req, &conf);
	out = ps_req_mem_output(req, NULL);
	ok(strstr(out, "name=\"user\"") == NULL,
	    "form: no user field outside demo mode");
	ps_req_mem_free(req);
}

/* A backend that is configured and always fails with its code. */
static ps_code
failing_open(void **state, const ps_config *cfg, const char **missing,
    ps_err *err)
{
	static ps_code code;

	(void)cfg;
	(void)err;
	*missing = NULL;
	*state = &code;
	return PS_OK;
}

static ps_code
down_store(void *state, ps_spool *spool, const ps_storage_object *obj,
    ps_storage_result *res, ps_err *err)
{
	(void)state;
	(void)spool;
	(void)obj;
	(void)res;
	return ps_err_set(err, PS_E_BACKEND, "HTTP 500 from the test");
}

static ps_code
picky_store(void *state, ps_spool *spool, const ps_storage_object *obj,
    ps_storage_result *res, ps_err *err)
{
	(void)state;
	(void)spool;
	(void)obj;
	(void)res;
	return ps_err_set(err, PS_E_TOO_LARGE, "File size too large");
}

static void
failing_close(void *state)
{
	(void)state;
}

static const ps_storage_backend down_backend = {
	"down", "DownStorage", "Down", 0, failing_open, down_store,
	failing_close
};
static const ps_storage_backend picky_backend = {
	"picky", "PickyStorage", "Picky", 0, failing_open, picky_store,
	failing_close
};

/* The storage chain's failures reach the client with their status. */
static void
upload_backend_failures(void)
{
	static const ps_storage_backend *const down[] = {
		&down_backend, &down_backend
	};
	static const ps_storage_backend *const picky[] = {
		&picky_backend
	};
	const struct part p[] = {
		{"kind", NULL, "view-once", 0},
		{"file", "f", "x", 0},
	};
	ps_storage *keep = st;
	struct call c;
	ps_err err = {0};
	int before = stored_files();

	if (ps_storage_new_with(&st, cfg_demo, NULL, down, 2, &err) != PS_OK)
		tap_bail("chain: %s", err.msg);
	call_init(&c);
	is_int(post_parts(&c, p, 2), PS_E_BACKEND,
	    "every backend failing: PS_E_BACKEND");
	ok(strncmp(c.out, "Status: 502 ", 12) == 0, "... answered 502");
	ok(strstr(c.out, "HTTP 500 from the test") == NULL,
	    "... without the backends' inner details");
	ok(nothing_left(), "... no spool file left");
	ps_storage_free(st);

	if (ps_storage_new_with(&st, cfg_demo, NULL, picky, 1, &err) !=
	    PS_OK)
		tap_bail("chain: %s", err.msg);
	call_init(&c);
	is_int(post_parts(&c, p, 2), PS_E_TOO_LARGE,
	    "every backend refusing the size: PS_E_TOO_LARGE");
	ok(strncmp(c.out, "Status: 413 ", 12) == 0, "... answered 413");
	ok(nothing_left(), "... no spool file left");
	ps_storage_free(st);

	st = keep;
	is_int(stored_files(), before, "failing backends stored nothing");
}

/* ------------------------------------------------------------ main */

static ps_config *
config(const char *mode)
{
	char *envp[5];
	char m[64];
	ps_config *cfg;
	ps_err err = {0};

	snprintf(m, sizeof(m), "AUTH_MODE=%s", mode);
	envp[0] = m;
	envp[1] = env_dir;
	envp[2] = env_url;
	envp[3] = NULL;
	if (ps_config_load_from(&cfg, envp, NULL, &err) != PS_OK)
		tap_bail("config: %s", err.msg);
	return cfg;
}

int
main(void)
{
	static const ps_storage_backend *const local[] = {
		&ps_storage_local
	};
	const char *t = getenv("TMPDIR");
	ps_err err = {0};

	ps_log_init("test_upload", PS_LOG_WARN);
	snprintf(tmp, sizeof(tmp), "%s/test-upload.XXXXXX",
	    t != NULL && *t == '/' ? t : "/tmp");
	if (mkdtemp(tmp) == NULL)
		tap_bail("mkdtemp");
	snprintf(spooldir, sizeof(spooldir), "%s/spool", tmp);
	snprintf(storedir, sizeof(storedir), "%s/store", tmp);
	if (mkdir(spooldir, 0700) != 0 || mkdir(storedir, 0700) != 0)
		tap_bail("mkdir");
	snprintf(env_dir, sizeof(env_dir), "LOCAL_STORAGE_DIR=%s", storedir);
	snprintf(env_url, sizeof(env_url), "LOCAL_STORAGE_URL=/media");

	cfg_demo = config("demo");
	cfg_ru = config("remote_user");
	if (ps_auth_new(&auth_demo, cfg_demo, &err) != PS_OK ||
	    ps_auth_new(&auth_ru, cfg_ru, &err) != PS_OK ||
	    ps_storage_new_with(&st, cfg_demo, NULL, local, 1, &err) !=
	    PS_OK || ps_upload_conf_load(&conf_demo, cfg_demo, &err) !=
	    PS_OK || ps_upload_conf_load(&conf_ru, cfg_ru, &err) != PS_OK)
		tap_bail("setup: %s", err.msg);
	/* Named spool files, so that one left behind would be seen. */
	conf_demo.spool_dir = conf_ru.spool_dir = spooldir;
	conf_demo.spool_flags = conf_ru.spool_flags = PS_SPOOL_NAMED;

	upload_kind_before_file_is_stored();
	upload_kind_after_file_is_stored();
	upload_part_rules();
	upload_kind_rules();
	upload_filename_is_never_used();
	upload_active_content_is_raw();
	upload_empty_file_is_stored();
	upload_file_without_filename_is_stored();
	upload_body_cut_short_leaves_nothing();
	upload_limits();
	upload_content_type_rules();
	upload_identity();
	upload_origin_rules();
	upload_cross_site_post_stores_nothing();
	upload_backend_failures();
	upload_conf_checks_public_origin();
	upload_html_answers();
	upload_form_page();
	is_int(tst_count_entries(spooldir), 0, "no spool file is left at all");

	ps_storage_free(st);
	ps_auth_free(auth_demo);
	ps_auth_free(auth_ru);
	ps_config_free(cfg_demo);
	ps_config_free(cfg_ru);
	if (nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		tap_diag("cannot remove %s", tmp);
	return tap_done();
}
