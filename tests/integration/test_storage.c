/*
 * test_storage.c - the storage chain against the Cloudinary and Supabase
 * fakes (tests/fakes/), a real redis-server (tests/with-redis.sh) and the
 * local disk: every backend alone, their error shapes, the whole chain
 * under every fault mode of the fakes (each upload in exactly one
 * backend, its URL serving the same bytes: DESIGN.md invariant 5), a
 * chunked upload, the shared circuit breaker and its failing open when
 * Redis is down, the media index, and the one-time "not configured"
 * warnings.  Log lines (our stderr) go to a file the tests read; no
 * secret may ever appear in it.
 */
#include "config.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "ps_breaker.h"
#include "ps_log.h"
#include "ps_media_index.h"
#include "ps_spool.h"
#include "ps_storage.h"
#include "ps_util.h"
#include "tap.h"
#include "testlib.h"

/* Test-only credentials, named so nobody mistakes them. */
#define CLD_CLOUD "demo"
#define CLD_KEY "614335564976464"
#define CLD_SECRET "test-cloudinary-secret"
#define CLD_WRONG_SECRET "test-wrong-cloudinary-secret"
#define SB_KEY "test-supabase-service-key"
#define SB_MAX_OBJECT 2000000

enum { FAKE_CLD, FAKE_CLD256, FAKE_CLDSTALE, FAKE_SB, FAKE_N };

static struct fake {
	pid_t pid;
	int port;
	char base[64];
} fakes[FAKE_N];

static char tmp[512], logpath[600], spooldir[600], localdir[600];
static char env_cld_url[128], env_sb_url[128], env_spool[700],
    env_local[700];
static ps_config *cfg;
static ps_redis *r;

/* ------------------------------------------------------------ fakes */

static pid_t main_pid;

static void
stop_fakes(void)
{
	int i;

	/* A forked child that bails out must not stop the parent's. */
	if (getpid() != main_pid)
		return;
	for (i = 0; i < FAKE_N; i++)
		if (fakes[i].pid > 0) {
			kill(fakes[i].pid, SIGTERM);
			waitpid(fakes[i].pid, NULL, 0);
			fakes[i].pid = 0;
		}
}

static void
start_fake(int which, const char *script, const char *const *args,
    int stale)
{
	char portfile[700], store[700], logf[700], prog[4096];
	const char *srcdir = getenv("srcdir");
	const char *py = getenv("PYTHON3");
	const char *argv[32];
	FILE *f;
	pid_t parent = getpid();
	int n = 0, i;

	snprintf(prog, sizeof(prog), "%s/tests/fakes/%s",
	    srcdir != NULL && *srcdir != '\0' ? srcdir : ".", script);
	snprintf(portfile, sizeof(portfile), "%s/fake%d.port", tmp, which);
	snprintf(store, sizeof(store), "%s/fake%d", tmp, which);
	snprintf(logf, sizeof(logf), "%s/fake%d.log", tmp, which);
	mkdir(store, 0700);
	if (py == NULL || *py == '\0')
		py = "python3";
	argv[n++] = py;
	if (stale) {
		/* The fake's clock two hours ahead: our fresh timestamps
		 * look stale to it, as a wrong server clock would. */
		argv[n++] = "-c";
		argv[n++] = "import runpy, sys, time\n"
		    "t = time.time\n"
		    "time.time = lambda: t() + 7200\n"
		    "sys.argv = sys.argv[1:]\n"
		    "runpy.run_path(sys.argv[0], run_name='__main__')\n";
	}
	argv[n++] = prog;
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	argv[n++] = "--storage-dir";
	argv[n++] = store;
	argv[n++] = "--log";
	argv[n++] = logf;
	for (; args != NULL && *args != NULL && n < 30; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	unlink(portfile);
	if ((fakes[which].pid = fork()) < 0)
		tap_bail("fork: %s", strerror(errno));
	if (fakes[which].pid == 0) {
		/* Dies with the test, whatever way the test ends. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		setenv("FAKE_CLOUDINARY_API_SECRET", CLD_SECRET, 1);
		setenv("FAKE_SUPABASE_SERVICE_KEY", SB_KEY, 1);
		execvp(py, (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 400; i++) {
		if ((f = fopen(portfile, "r")) != NULL) {
			int ok_ = fscanf(f, "%d", &fakes[which].port) == 1;
			fclose(f);
			if (ok_)
				break;
		}
		if (waitpid(fakes[which].pid, NULL, WNOHANG) != 0)
			tap_bail("fake %s exited at start-up", script);
		tst_sleep_ms(25);
	}
	if (i == 400)
		tap_bail("fake %s did not start", script);
	snprintf(fakes[which].base, sizeof(fakes[which].base),
	    "http://127.0.0.1:%d", fakes[which].port);
}

/* ------------------------------------------------------------ HTTP */

struct buf {
	char data[256 * 1024];
	size_t len;
	EVP_MD_CTX *md;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n, keep;

	if (b->md != NULL)
		EVP_DigestUpdate(b->md, p, len);
	keep = len < sizeof(b->data) - 1 - b->len ? len :
	    sizeof(b->data) - 1 - b->len;
	memcpy(b->data + b->len, p, keep);
	b->len += keep;
	b->data[b->len] = '\0';
	return len;
}

/* method GET or POST; body NULL for none.  Returns the HTTP status. */
static long
http(const char *method, const char *url, const char *body, struct buf *b,
    char *ctype, size_t ctsz)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = NULL;
	long status = 0;
	char *ct = NULL;

	b->len = 0;
	b->data[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
	if (strcmp(method, "POST") == 0) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body != NULL ? body :
		    "");
	}
	if (curl_easy_perform(e) == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		if (ctype != NULL &&
		    curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) ==
		    CURLE_OK)
			snprintf(ctype, ctsz, "%s", ct != NULL ? ct : "");
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return status;
}

/* sha256 of what url serves ("" when not 200). */
static void
url_sha256(const char *url, char hex[65], char *ctype, size_t ctsz)
{
	static struct buf b;
	unsigned char md[32];
	unsigned int mdlen = 0;

	hex[0] = '\0';
	b.md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(b.md, EVP_sha256(), NULL);
	if (http("GET", url, NULL, &b, ctype, ctsz) == 200) {
		EVP_DigestFinal_ex(b.md, md, &mdlen);
		ps_hex(md, mdlen, hex);
	}
	EVP_MD_CTX_free(b.md);
	b.md = NULL;
}

static void
file_sha256(const char *path, char hex[65])
{
	unsigned char buf[65536], md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	ssize_t n;
	int fd = open(path, O_RDONLY);

	hex[0] = '\0';
	if (fd < 0) {
		EVP_MD_CTX_free(m);
		return;
	}
	EVP_DigestInit_ex(m, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(m, buf, (size_t)n);
	close(fd);
	EVP_DigestFinal_ex(m, md, &mdlen);
	EVP_MD_CTX_free(m);
	ps_hex(md, mdlen, hex);
}

static void
fault(int which, const char *mode, int count, const char *match,
    int delay_ms)
{
	static struct buf b;
	char url[128], body[256];

	snprintf(url, sizeof(url), "%s/__fake/faults", fakes[which].base);
	snprintf(body, sizeof(body), "{\"mode\":\"%s\",\"count\":%d%s%s%s"
	    ",\"delay_ms\":%d}", mode, count,
	    match != NULL ? ",\"match\":\"" : "", match != NULL ? match : "",
	    match != NULL ? "\"" : "", delay_ms);
	if (http("POST", url, body, &b, NULL, 0) != 200)
		tap_bail("fault %s: %s", mode, b.data);
}

static void
fake_reset(int which)
{
	static struct buf b;
	char url[128];

	snprintf(url, sizeof(url), "%s/__fake/reset", fakes[which].base);
	if (http("POST", url, "{}", &b, NULL, 0) != 200)
		tap_bail("reset: %s", b.data);
}

/* Objects stored in a fake (Cloudinary assets, Supabase objects). */
static int
fake_objects(int which)
{
	static struct buf b;
	char url[128];
	json_object *j, *a;
	int n = -1;

	snprintf(url, sizeof(url), "%s/__fake/objects", fakes[which].base);
	if (http("GET", url, NULL, &b, NULL, 0) != 200)
		return -1;
	if ((j = json_tokener_parse(b.data)) == NULL)
		return -1;
	if (json_object_object_get_ex(j, which == FAKE_SB ? "objects" :
	    "assets", &a))
		n = (int)json_object_array_length(a);
	json_object_put(j);
	return n;
}

static int
fake_requests(int which)
{
	static struct buf b;
	char url[128];
	json_object *j, *t;
	int n = -1;

	snprintf(url, sizeof(url), "%s/__fake/stats", fakes[which].base);
	if (http("GET", url, NULL, &b, NULL, 0) != 200)
		return -1;
	if ((j = json_tokener_parse(b.data)) == NULL)
		return -1;
	if (json_object_object_get_ex(j, "requests_total", &t))
		n = json_object_get_int(t);
	json_object_put(j);
	return n;
}

/* Successful chunk requests the Cloudinary fake answered. */
static int
fake_uploads_ok(int which)
{
	static struct buf b;
	char url[128];
	json_object *j, *req, *up, *ok200;
	int n = 0;

	snprintf(url, sizeof(url), "%s/__fake/stats", fakes[which].base);
	if (http("GET", url, NULL, &b, NULL, 0) != 200 ||
	    (j = json_tokener_parse(b.data)) == NULL)
		return -1;
	if (json_object_object_get_ex(j, "requests", &req) &&
	    json_object_object_get_ex(req, "upload", &up) &&
	    json_object_object_get_ex(up, "200", &ok200))
		n = json_object_get_int(ok200);
	json_object_put(j);
	return n;
}

/* ------------------------------------------------------------ logs */

static long
log_mark(void)
{
	struct stat st;

	return stat(logpath, &st) == 0 ? (long)st.st_size : 0;
}

/* The log written since mark (static buffer). */
static const char *
log_since(long mark)
{
	static char text[1 << 20];
	FILE *f = fopen(logpath, "r");
	size_t n = 0;

	text[0] = '\0';
	if (f == NULL)
		return text;
	if (fseek(f, mark, SEEK_SET) == 0)
		n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static int
count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* ------------------------------------------------------------ set-up */

/* A configuration: the fakes, local storage, plus extra settings
 * (first match wins, so extras override the defaults listed after). */
static ps_config *
config(const char *const *extra)
{
	const char *all[48];
	static const char *const defaults[] = {
		"CLOUDINARY_CLOUD_NAME=" CLD_CLOUD,
		"CLOUDINARY_API_KEY=" CLD_KEY,
		"CLOUDINARY_API_SECRET=" CLD_SECRET,
		"SUPABASE_SERVICE_ROLE_KEY=" SB_KEY,
		"SUPABASE_BUCKET=media",
		"LOCAL_STORAGE_URL=https://media.example.test/m/",
		"STORAGE_TIMEOUT_MS=5000",
		"STORAGE_CONNECT_TIMEOUT_MS=2000",
		"BACKEND_FAILURES_TO_TRIP=1000",
		"BACKEND_COOLDOWN_S=1",
		NULL
	};
	size_t n = 0, i;

	for (; extra != NULL && *extra != NULL && n < 30; extra++)
		all[n++] = *extra;
	all[n++] = env_cld_url;
	all[n++] = env_sb_url;
	all[n++] = env_spool;
	all[n++] = env_local;
	for (i = 0; defaults[i] != NULL; i++)
		all[n++] = defaults[i];
	all[n] = NULL;
	return tst_config(all);
}

static ps_storage *
chain(const ps_config *c, ps_redis *rr, const ps_storage_backend *a,
    const ps_storage_backend *b, const ps_storage_backend *d)
{
	const ps_storage_backend *list[3];
	ps_storage *st;
	ps_err err = {0};
	size_t n = 0;

	if (a != NULL)
		list[n++] = a;
	if (b != NULL)
		list[n++] = b;
	if (d != NULL)
		list[n++] = d;
	if (ps_storage_new_with(&st, c, rr, list, n, &err) != PS_OK)
		tap_bail("storage: %s", err.msg);
	return st;
}

/* A spool holding head then pseudo-random bytes up to total. */
static ps_spool *
spool_of(const void *head, size_t headlen, size_t total, unsigned seed)
{
	static unsigned char chunk[65536];
	ps_spool *sp;
	ps_err err = {0};
	size_t off = 0, n, i;
	uint32_t x = seed * 2654435761u + 1;

	if (ps_spool_new(&sp, spooldir, (uint64_t)1 << 34, 0, &err) != PS_OK)
		tap_bail("spool: %s", err.msg);
	if (headlen > total)
		headlen = total;
	if (headlen > 0 && ps_spool_write(sp, head, headlen, &err) != PS_OK)
		tap_bail("spool write: %s", err.msg);
	for (off = headlen; off < total; off += n) {
		n = total - off < sizeof(chunk) ? total - off : sizeof(chunk);
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			chunk[i] = (unsigned char)x;
		}
		if (ps_spool_write(sp, chunk, n, &err) != PS_OK)
			tap_bail("spool write: %s", err.msg);
	}
	return sp;
}

static size_t
read_media(const char *name, unsigned char *buf, size_t sz)
{
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/media/%s", tst_datadir(), name);
	if ((f = fopen(path, "rb")) == NULL)
		tap_bail("open %s", path);
	n = fread(buf, 1, sz, f);
	fclose(f);
	return n;
}

static ps_spool *
spool_media(const char *name, size_t total, unsigned seed)
{
	unsigned char head[8192];
	size_t n = read_media(name, head, sizeof(head));

	return spool_of(head, n, total > n ? total : n, seed);
}

/* Where the chain put it: the sha256 of what its URL (or, for local, the
 * file) serves. */
static void
stored_sha256(const ps_storage_result *res, char hex[65])
{
	char path[1200];

	if (strcmp(res->backend, "local") == 0) {
		snprintf(path, sizeof(path), "%s/%s", localdir, res->path);
		file_sha256(path, hex);
	} else
		url_sha256(res->url, hex, NULL, 0);
}

static ps_code
store(ps_storage *st, ps_spool *sp, const char *kind, const char *user,
    ps_storage_result *res, ps_err *err)
{
	ps_code rc = ps_storage_store(st, sp, kind, user, res, err);

	ps_spool_free(sp);
	return rc;
}

/* ------------------------------------------------------------ tests */

static void
cloudinary_signed_upload_accepted(void)
{
	ps_storage *st = chain(cfg, r, &ps_storage_cloudinary, NULL, NULL);
	ps_storage_result res;
	ps_err err = {0};
	ps_spool *sp;
	char want[65], got[65], line[1400], prefix[200];
	long mark = log_mark();
	int before = fake_objects(FAKE_CLD);

	sp = spool_media("sample.png", 0, 1);
	is_int(ps_storage_store(st, sp, "view-once", "alice", &res, &err),
	    PS_OK, "cloudinary: signed PNG upload accepted (%s)", err.msg);
	snprintf(want, sizeof(want), "%s", ps_spool_sha256(sp));
	ps_spool_free(sp);
	is_str(res.backend, "cloudinary", "stored in Cloudinary");
	is_str(res.resource_type, "image", "as an image");
	snprintf(prefix, sizeof(prefix), "view-once/alice/");
	ok(strncmp(res.public_id, prefix, strlen(prefix)) == 0 &&
	    strchr(res.public_id + strlen(prefix), '.') == NULL,
	    "public_id is folder kind/user plus the name without extension "
	    "(%s)", res.public_id);
	ok(strncmp(res.path, prefix, strlen(prefix)) == 0 &&
	    strstr(res.path, ".png") != NULL, "path %s", res.path);
	url_sha256(res.url, got, NULL, 0);
	is_str(got, want, "secure_url serves the same bytes");
	is_str(res.sha256, want, "the result carries the sha256");
	is_int(fake_objects(FAKE_CLD), before + 1, "one asset more");
	snprintf(line, sizeof(line),
	    "[CloudinaryStorage] Media uploaded: %s -> %s", res.path, res.url);
	ok(strstr(log_since(mark), line) != NULL,
	    "logged the line users grep for");

	/* Audio goes up as Cloudinary's "video"; unknown bytes as raw,
	 * whose public_id keeps the extension. */
	sp = spool_media("sample-id3.mp3", 0, 2);
	is_int(store(st, sp, "deleted-messages", "alice", &res, &err), PS_OK,
	    "cloudinary: MP3 accepted (%s)", err.msg);
	is_str(res.resource_type, "video", "audio is resource_type video");
	sp = spool_of("just some text\n", 15, 15, 3);
	is_int(store(st, sp, "scheduled-status", "alice", &res, &err), PS_OK,
	    "cloudinary: raw upload accepted (%s)", err.msg);
	ok(strcmp(res.resource_type, "raw") == 0 &&
	    strstr(res.public_id, ".bin") != NULL &&
	    strcmp(res.mime, "application/octet-stream") == 0,
	    "text is raw, application/octet-stream, public_id %s",
	    res.public_id);
	ps_storage_free(st);
}

static void
cloudinary_sha256_signatures_accepted(void)
{
	char url[128];
	const char *extra[] = {url, "CLOUDINARY_SIGNATURE_ALGORITHM=sha256",
	    NULL};
	ps_config *c;
	ps_storage *st;
	ps_storage_result res;
	ps_err err = {0};

	snprintf(url, sizeof(url), "CLOUDINARY_API_URL=%s",
	    fakes[FAKE_CLD256].base);
	c = config(extra);
	st = chain(c, r, &ps_storage_cloudinary, NULL, NULL);
	is_int(store(st, spool_media("sample.jpg", 0, 4), "view-once", "bob",
	    &res, &err), PS_OK, "cloudinary: SHA-256 signature accepted by an "
	    "account set to SHA-256 (%s)", err.msg);
	ps_storage_free(st);
	ps_config_free(c);
}

static void
cloudinary_wrong_secret_falls_through(void)
{
	const char *extra[] = {"CLOUDINARY_API_SECRET=" CLD_WRONG_SECRET,
	    NULL};
	ps_config *c = config(extra);
	ps_storage *st = chain(c, r, &ps_storage_cloudinary, NULL,
	    &ps_storage_local);
	ps_storage_result res;
	ps_err err = {0};
	const char *log;
	char got[65], want[65];
	long mark = log_mark();
	int before = fake_objects(FAKE_CLD);
	ps_spool *sp = spool_media("sample.gif", 0, 5);

	is_int(ps_storage_store(st, sp, "view-once", "carol", &res, &err),
	    PS_OK, "wrong secret: the upload still succeeds (%s)", err.msg);
	snprintf(want, sizeof(want), "%s", ps_spool_sha256(sp));
	ps_spool_free(sp);
	is_str(res.backend, "local", "in the next backend");
	is_int(fake_objects(FAKE_CLD), before, "and not in Cloudinary");
	stored_sha256(&res, got);
	is_str(got, want, "the local file holds the bytes");
	log = log_since(mark);
	ok(strstr(log, "[CloudinaryStorage] upload of") != NULL &&
	    strstr(log, "HTTP 401") != NULL &&
	    strstr(log, "Invalid Signature") != NULL,
	    "the 401 reason is logged");
	ok(strstr(log, CLD_WRONG_SECRET) == NULL &&
	    strstr(log, CLD_SECRET) == NULL, "without the secret");
	ps_storage_free(st);
	ps_config_free(c);
}

static void
cloudinary_stale_clock_reported(void)
{
	char url[128];
	const char *extra[] = {url, NULL};
	ps_config *c;
	ps_storage *st;
	ps_storage_result res;
	ps_err err = {0};

	snprintf(url, sizeof(url), "CLOUDINARY_API_URL=%s",
	    fakes[FAKE_CLDSTALE].base);
	c = config(extra);
	st = chain(c, r, &ps_storage_cloudinary, NULL, NULL);
	is_int(store(st, spool_media("sample.png", 0, 6), "view-once",
	    "dave", &res, &err), PS_E_BACKEND,
	    "a timestamp an hour old to the service fails the upload");
	ok(strstr(err.msg, "Stale request") != NULL &&
	    strstr(err.msg, "clock") != NULL,
	    "with Cloudinary's reason and a hint (%s)", err.msg);
	ps_storage_free(st);
	ps_config_free(c);
}

static void
cloudinary_url_setting_works(void)
{
	char url[128], cu[160];
	const char *extra[] = {url, cu, "CLOUDINARY_CLOUD_NAME=",
	    "CLOUDINARY_API_KEY=", "CLOUDINARY_API_SECRET=", NULL};
	const char *bad[] = {"CLOUDINARY_URL=cloudinary://" CLD_KEY "@demo",
	    NULL};
	ps_config *c;
	ps_storage *st;
	ps_storage_result res;
	ps_err err = {0};

	snprintf(url, sizeof(url), "CLOUDINARY_API_URL=%s",
	    fakes[FAKE_CLD].base);
	snprintf(cu, sizeof(cu), "CLOUDINARY_URL=cloudinary://%s:%s@%s",
	    CLD_KEY, CLD_SECRET, CLD_CLOUD);
	c = config(extra);
	st = chain(c, r, &ps_storage_cloudinary, NULL, NULL);
	is_int(store(st, spool_media("sample.webp", 0, 7), "view-once",
	    "erin", &res, &err), PS_OK,
	    "CLOUDINARY_URL alone configures Cloudinary (%s)", err.msg);
	ps_storage_free(st);
	ps_config_free(c);

	c = config(bad);
	is_int(ps_storage_new(&st, c, r, &err), PS_E_CONFIG,
	    "a CLOUDINARY_URL without a secret is a configuration error");
	ok(strstr(err.msg, "cloudinary://API_KEY:API_SECRET@CLOUD_NAME") !=
	    NULL && strstr(err.msg, CLD_KEY) == NULL,
	    "the message shows the format, not the value (%s)", err.msg);
	ps_config_free(c);
}

static void
supabase_upload_public_url(void)
{
	ps_storage *st = chain(cfg, r, &ps_storage_supabase, NULL, NULL);
	ps_storage_result res;
	ps_err err = {0};
	char want[65], got[65], ctype[128], line[1400], url[1100];
	long mark = log_mark();
	ps_spool *sp = spool_media("sample.png", 0, 8);

	is_int(ps_storage_store(st, sp, "view-once", "frank", &res, &err),
	    PS_OK, "supabase: upload accepted (%s)", err.msg);
	snprintf(want, sizeof(want), "%s", ps_spool_sha256(sp));
	ps_spool_free(sp);
	is_str(res.backend, "supabase", "stored in Supabase");
	snprintf(url, sizeof(url), "%s/storage/v1/object/public/media/%s",
	    fakes[FAKE_SB].base, res.path);
	is_str(res.url, url, "the URL is the bucket's public URL");
	url_sha256(res.url, got, ctype, sizeof(ctype));
	is_str(got, want, "which serves the same bytes");
	is_str(ctype, "image/png", "with the detected Content-Type");
	snprintf(line, sizeof(line),
	    "[SupabaseStorage] Media uploaded: %s -> %s", res.path, res.url);
	ok(strstr(log_since(mark), line) != NULL, "logged the success line");
	ps_storage_free(st);
}

static void
supabase_error_shapes_understood(void)
{
	const char *wrongkey[] = {"SUPABASE_SERVICE_ROLE_KEY=test-wrong-key",
	    NULL};
	const char *nobucket[] = {"SUPABASE_BUCKET=nosuchbucket", NULL};
	ps_storage_object obj;
	ps_storage_result res;
	ps_err err = {0};
	const char *missing;
	ps_config *c;
	ps_storage *st;
	ps_spool *sp;
	void *state;

	c = config(wrongkey);
	st = chain(c, r, &ps_storage_supabase, NULL, NULL);
	store(st, spool_media("sample.png", 0, 9), "view-once", "gina", &res,
	    &err);
	ok(strstr(err.msg, "403 AccessDenied") != NULL,
	    "wrong key: 403 AccessDenied read from the 400 body (%s)",
	    err.msg);
	ok(strstr(err.msg, "test-wrong-key") == NULL, "without the key");
	ps_storage_free(st);
	ps_config_free(c);

	c = config(nobucket);
	st = chain(c, r, &ps_storage_supabase, NULL, NULL);
	store(st, spool_media("sample.png", 0, 10), "view-once", "gina", &res,
	    &err);
	ok(strstr(err.msg, "404 NoSuchBucket") != NULL,
	    "unknown bucket: 404 NoSuchBucket (%s)", err.msg);
	ps_storage_free(st);
	ps_config_free(c);

	st = chain(cfg, r, &ps_storage_supabase, NULL, NULL);
	is_int(store(st, spool_of("x", 1, SB_MAX_OBJECT + 1000, 11),
	    "view-once", "gina", &res, &err), PS_E_TOO_LARGE,
	    "too large: PS_E_TOO_LARGE, the client's problem (413)");
	ok(strstr(err.msg, "413 EntityTooLarge") != NULL, "%s", err.msg);
	ps_storage_free(st);

	/* The same object twice, straight through the backend interface:
	 * x-upsert false means the second is refused, not replaced. */
	if (ps_storage_supabase.open(&state, cfg, &missing, &err) != PS_OK ||
	    state == NULL)
		tap_bail("supabase open: %s", err.msg);
	sp = spool_media("sample.png", 0, 12);
	ps_spool_finish(sp, &err);
	memset(&obj, 0, sizeof(obj));
	obj.kind = "view-once";
	obj.user = "gina";
	obj.name = "fixed-name.png";
	obj.stem = "fixed-name";
	obj.path = "view-once/gina/fixed-name.png";
	obj.resource_type = "image";
	obj.mime = "image/png";
	obj.ext = "png";
	obj.sha256 = ps_spool_sha256(sp);
	obj.bytes = ps_spool_size(sp);
	ps_err_clear(&err);
	is_int(ps_storage_supabase.store(state, sp, &obj, &res, &err), PS_OK,
	    "backend interface: first store (%s)", err.msg);
	is_int(ps_storage_supabase.store(state, sp, &obj, &res, &err),
	    PS_E_CONFLICT, "the same path again is refused, never replaced");
	ok(strstr(err.msg, "409 KeyAlreadyExists") != NULL, "%s", err.msg);
	ps_spool_free(sp);
	ps_storage_supabase.close(state);
}

static void
local_publish_is_atomic(void)
{
	ps_storage *st = chain(cfg, r, &ps_storage_local, NULL, NULL);
	ps_storage_result res;
	ps_err err = {0};
	struct stat fst, sst, dst;
	char path[1200], dir[1200], want[65], got[65], url[1200];
	ps_spool *sp = spool_media("sample.png", 300000, 13);
	long mark = log_mark();

	ps_spool_finish(sp, &err);
	fstat(ps_spool_fd(sp), &sst);
	is_int(ps_storage_store(st, sp, "scheduled-status", "hank", &res,
	    &err), PS_OK, "local: stored (%s)", err.msg);
	snprintf(want, sizeof(want), "%s", ps_spool_sha256(sp));
	ps_spool_free(sp);
	snprintf(path, sizeof(path), "%s/%s", localdir, res.path);
	snprintf(dir, sizeof(dir), "%s/scheduled-status/hank", localdir);
	file_sha256(path, got);
	is_str(got, want, "the file holds the bytes");
	ok(stat(path, &fst) == 0 && (fst.st_mode & 0777) == 0640,
	    "mode 0640");
	ok(fst.st_ino == sst.st_ino, "same filesystem: the spool was linked, "
	    "not copied");
	ok(stat(dir, &dst) == 0 && (dst.st_mode & 0777) == 0750,
	    "directories 0750");
	is_int(tst_count_entries(dir), 1, "no temp file beside it");
	snprintf(url, sizeof(url), "https://media.example.test/m/%s",
	    res.path);
	is_str(res.url, url, "URL = LOCAL_STORAGE_URL + / + path");
	is_str(res.public_id, res.path, "public_id is the path");
	ok(strstr(log_since(mark), "[LocalStorage] Media uploaded: ") != NULL,
	    "logged the success line");
	is_int(tst_count_entries(spooldir), 0, "the spool is gone");
	ps_storage_free(st);
}

/* LOCAL_STORAGE_WORLD_READABLE: 0644 files in 0755 directories. */
static void
local_world_readable(void)
{
	static const char *const extra[] = {
		"LOCAL_STORAGE_WORLD_READABLE=true", NULL
	};
	ps_config *c = config(extra);
	ps_storage *st = chain(c, r, &ps_storage_local, NULL, NULL);
	ps_storage_result res;
	ps_err err = {0};
	struct stat fst, dst;
	char path[1200], dir[1200];
	ps_spool *sp = spool_media("sample.png", 1000, 17);

	ps_spool_finish(sp, &err);
	is_int(ps_storage_store(st, sp, "view-once", "wendy", &res, &err),
	    PS_OK, "world-readable: stored (%s)", err.msg);
	ps_spool_free(sp);
	snprintf(path, sizeof(path), "%s/%s", localdir, res.path);
	snprintf(dir, sizeof(dir), "%s/view-once/wendy", localdir);
	ok(stat(path, &fst) == 0 && (fst.st_mode & 0777) == 0644,
	    "world-readable: mode 0644");
	ok(stat(dir, &dst) == 0 && (dst.st_mode & 0777) == 0755,
	    "world-readable: directories 0755");
	ps_storage_free(st);
	ps_config_free(c);
}

static void
local_copies_across_filesystems(void)
{
	char shm[] = "/dev/shm/ps-spool.XXXXXX", sp_env[64], path[1200];
	char want[65], got[65], dir[1200];
	const char *extra[] = {sp_env, NULL};
	struct stat a, b, fst;
	ps_storage_result res;
	ps_err err = {0};
	ps_config *c;
	ps_storage *st;
	ps_spool *sp;

	if (stat("/dev/shm", &a) < 0 || stat(localdir, &b) < 0 ||
	    a.st_dev == b.st_dev || mkdtemp(shm) == NULL) {
		tap_skip("no second filesystem", "local: copy across "
		    "filesystems");
		return;
	}
	snprintf(sp_env, sizeof(sp_env), "SPOOL_DIR=%s", shm);
	c = config(extra);
	st = chain(c, r, &ps_storage_local, NULL, NULL);
	if (ps_spool_new(&sp, shm, 1 << 24, 0, &err) != PS_OK)
		tap_bail("spool: %s", err.msg);
	ps_spool_write(sp, "\x89PNG\r\n\x1a\n", 8, &err);
	ps_spool_write(sp, "more bytes", 10, &err);
	ps_spool_finish(sp, &err);
	snprintf(want, sizeof(want), "%s", ps_spool_sha256(sp));
	is_int(store(st, sp, "view-once", "ivan", &res, &err), PS_OK,
	    "local: stored from a spool on another filesystem (%s)", err.msg);
	snprintf(path, sizeof(path), "%s/%s", localdir, res.path);
	snprintf(dir, sizeof(dir), "%s/view-once/ivan", localdir);
	file_sha256(path, got);
	is_str(got, want, "the copy holds the bytes");
	ok(stat(path, &fst) == 0 && (fst.st_mode & 0777) == 0640 &&
	    fst.st_nlink == 1, "mode 0640, one link");
	is_int(tst_count_entries(dir), 1, "no temp file beside it");
	is_int(tst_count_entries(shm), 0, "the spool is gone");
	rmdir(shm);
	ps_storage_free(st);
	ps_config_free(c);
}

static void
local_refuses_symlinked_dirs(void)
{
	ps_storage *st = chain(cfg, r, &ps_storage_local, NULL, NULL);
	char outside[700], link_[1200], udir[1200];
	ps_storage_result res;
	ps_err err = {0};

	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	mkdir(outside, 0700);
	snprintf(link_, sizeof(link_), "%s/deleted-messages", localdir);
	if (symlink(outside, link_) < 0)
		tap_bail("symlink: %s", strerror(errno));
	is_int(store(st, spool_media("sample.png", 0, 14), "deleted-messages",
	    "judy", &res, &err), PS_E_BACKEND,
	    "a symlinked kind directory is refused");
	ok(strstr(err.msg, "symlink") != NULL, "saying why (%s)", err.msg);
	is_int(tst_count_entries(outside), 0, "nothing written through it");
	unlink(link_);

	snprintf(udir, sizeof(udir), "%s/view-once", localdir);
	mkdir(udir, 0750);
	snprintf(link_, sizeof(link_), "%s/view-once/judy", localdir);
	if (symlink(outside, link_) < 0)
		tap_bail("symlink: %s", strerror(errno));
	is_int(store(st, spool_media("sample.png", 0, 15), "view-once",
	    "judy", &res, &err), PS_E_BACKEND,
	    "a symlinked user directory is refused");
	is_int(tst_count_entries(outside), 0, "nothing written through it");
	unlink(link_);
	rmdir(outside);
	ps_storage_free(st);
}

static void
bad_kind_and_user_refused(void)
{
	ps_storage *st = chain(cfg, r, &ps_storage_local, NULL, NULL);
	ps_storage_result res;
	ps_err err = {0};

	is_int(store(st, spool_media("sample.png", 0, 16), "../etc", "kim",
	    &res, &err), PS_E_INVALID, "kind outside the allow-list refused");
	is_int(store(st, spool_media("sample.png", 0, 17), "view-once", "..",
	    &res, &err), PS_E_INVALID, "user id \"..\" refused");
	is_int(store(st, spool_media("sample.png", 0, 18), "view-once",
	    "a/b", &res, &err), PS_E_INVALID, "user id with / refused");
	is_int(tst_count_entries(spooldir), 0, "spools removed on those paths");
	ps_storage_free(st);
}

/* Total objects across the three backends. */
static int
stored_everywhere(void)
{
	char cmd[800];
	FILE *p;
	int local = 0;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", localdir);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fscanf(p, "%d", &local) != 1)
			local = -1000;
		pclose(p);
	}
	return fake_objects(FAKE_CLD) + fake_objects(FAKE_SB) + local;
}

static void
chain_survives_every_fault_mode(void)
{
	static const char *const modes[] = {
		"500", "420", "429", "hang", "close", "reset", "garbage"
	};
	const char *extra[] = {"STORAGE_TIMEOUT_MS=1500", NULL};
	ps_config *c = config(extra);
	ps_storage *st = chain(c, r, &ps_storage_cloudinary,
	    &ps_storage_supabase, &ps_storage_local);
	ps_storage_result res;
	ps_err err = {0};
	char want[65], got[65];
	size_t i;
	int n, round;
	ps_spool *sp;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		for (round = 0; round < 2; round++) {
			const char *expect = round == 0 ? "supabase" : "local";
			int64_t t0, ms;
			ps_code rc;

			n = stored_everywhere();
			/* Until cleared: libcurl retries a request once on
			 * a fresh connection when a reused one dies. */
			fault(FAKE_CLD, modes[i], -1, "/v1_1/", 3000);
			if (round == 1)
				fault(FAKE_SB, modes[i], -1, "/object/media/",
				    3000);
			sp = spool_media("sample.jpg", 2000,
			    100 + (unsigned)i);
			t0 = ps_mono_ms();
			rc = ps_storage_store(st, sp, "view-once", "lena",
			    &res, &err);
			ms = ps_mono_ms() - t0;
			ok(rc == PS_OK && strcmp(res.backend, expect) == 0,
			    "fault %s in %s: stored in %s (%s) in %lld ms",
			    modes[i], round == 0 ? "Cloudinary" :
			    "Cloudinary and Supabase", res.backend, err.msg,
			    (long long)ms);
			if (strcmp(modes[i], "hang") == 0)
				ok(ms >= 1500 * (round + 1) &&
				    ms < 1500 * (round + 1) + 1500,
				    "hang: cut by STORAGE_TIMEOUT_MS (1500) "
				    "per hung service");
			snprintf(want, sizeof(want), "%s",
			    ps_spool_sha256(sp));
			ps_spool_free(sp);
			is_int(stored_everywhere(), n + 1,
			    "fault %s: exactly one object more overall",
			    modes[i]);
			stored_sha256(&res, got);
			is_str(got, want, "fault %s: its URL serves the bytes",
			    modes[i]);
			fault(FAKE_CLD, "ok", 1, NULL, 0);
			fault(FAKE_SB, "ok", 1, NULL, 0);
		}
	ps_storage_free(st);
	ps_config_free(c);
}

static void
chunked_upload_of_four_chunks(void)
{
	char url[128];
	const char *extra[] = {url, "CLOUDINARY_CHUNK_SIZE=6291456",
	    "CLOUDINARY_CHUNKED_ABOVE=10000000", "STORAGE_TIMEOUT_MS=60000",
	    NULL};
	ps_config *c;
	ps_storage *st;
	ps_storage_result res;
	ps_err err = {0};
	char want[65], got[65];
	const size_t total = 20 * 1024 * 1024;
	int before;
	int64_t t0, ms;
	ps_spool *sp;

	snprintf(url, sizeof(url), "CLOUDINARY_API_URL=%s",
	    fakes[FAKE_CLD].base);
	c = config(extra);
	st = chain(c, r, &ps_storage_cloudinary, NULL, NULL);
	before = fake_uploads_ok(FAKE_CLD);
	sp = spool_media("sample.mp4", total, 19);
	ps_spool_finish(sp, &err);
	snprintf(want, sizeof(want), "%s", ps_spool_sha256(sp));
	t0 = ps_mono_ms();
	is_int(store(st, sp, "scheduled-status", "mia", &res, &err), PS_OK,
	    "a 20 MiB video goes up in 6 MiB chunks (%s)", err.msg);
	ms = ps_mono_ms() - t0;
	tap_diag("chunked upload of 20 MiB (4 chunks) took %lld ms",
	    (long long)ms);
	is_int(fake_uploads_ok(FAKE_CLD) - before, 4,
	    "four chunk requests, each accepted (3 x 6 MiB + 2 MiB)");
	is_str(res.resource_type, "video", "as a video");
	url_sha256(res.url, got, NULL, 0);
	is_str(got, want, "the assembled asset is the file");
	ps_storage_free(st);
	ps_config_free(c);
}

static void
chain_refuses_what_every_backend_finds_too_large(void)
{
	ps_storage *st = chain(cfg, r, &ps_storage_cloudinary,
	    &ps_storage_supabase, NULL);
	ps_storage_result res;
	ps_err err = {0};

	/* Raw over Cloudinary's 10 MB free-plan limit and over the Supabase
	 * fake's object limit. */
	is_int(store(st, spool_of("raw", 3, 10485761, 20), "view-once", "ned",
	    &res, &err), PS_E_TOO_LARGE,
	    "every backend refused the size: PS_E_TOO_LARGE (413)");
	ok(strstr(err.msg, "File size too large") != NULL &&
	    strstr(err.msg, "EntityTooLarge") != NULL,
	    "with both reasons (%s)", err.msg);
	ps_storage_free(st);
}

/*
 * Child processes re-run this program (a fresh image, nothing of the
 * parent's heap) with "--child MODE": own configuration, own Redis
 * connection, own chain, as another FastCGI process would have.
 */
static int
run_child(const char *mode, int k, const char *errlog)
{
	char exe[4096], ks[16], cport[16], sport[16];
	ssize_t n;
	pid_t pid;
	int status, fd;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		tap_bail("readlink /proc/self/exe");
	exe[n] = '\0';
	snprintf(ks, sizeof(ks), "%d", k);
	snprintf(cport, sizeof(cport), "%d", fakes[FAKE_CLD].port);
	snprintf(sport, sizeof(sport), "%d", fakes[FAKE_SB].port);
	if ((pid = fork()) < 0)
		tap_bail("fork");
	if (pid == 0) {
		if (errlog != NULL) {
			fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd < 0 || dup2(fd, 2) < 0)
				_exit(3);
			close(fd);
		}
		execl(exe, exe, "--child", mode, ks, cport, sport,
		    (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Child: exit 0 when the upload lands in Supabase without a request to
 * Cloudinary (the breaker, opened by the parent, read from Redis). */
static int
child_skips(void)
{
	const char *extra[] = {"BACKEND_FAILURES_TO_TRIP=2",
	    "BACKEND_COOLDOWN_S=1", NULL};
	ps_config *c = config(extra);
	ps_redis *rr = tst_redis(c);
	ps_storage *st = chain(c, rr, &ps_storage_cloudinary,
	    &ps_storage_supabase, NULL);
	ps_storage_result res;
	ps_err err = {0};
	int before = fake_requests(FAKE_CLD), good;

	good = store(st, spool_media("sample.png", 0, 21), "view-once",
	    "olga", &res, &err) == PS_OK &&
	    strcmp(res.backend, "supabase") == 0 &&
	    fake_requests(FAKE_CLD) == before;
	ps_storage_free(st);
	ps_redis_free(rr);
	ps_config_free(c);
	return good ? 0 : 1;
}

/* Child: three uploads with only local storage configured (k 0) or
 * Cloudinary half configured (k 1); exit 0 when all went to local. */
static int
child_unconfigured(int k)
{
	const char *none[] = {"CLOUDINARY_CLOUD_NAME=", "CLOUDINARY_API_KEY=",
	    "CLOUDINARY_API_SECRET=", "SUPABASE_URL=",
	    "SUPABASE_SERVICE_ROLE_KEY=", NULL};
	const char *partial[] = {"CLOUDINARY_API_SECRET=", "SUPABASE_URL=",
	    "SUPABASE_SERVICE_ROLE_KEY=", NULL};
	ps_config *c = config(k == 0 ? none : partial);
	ps_storage *st;
	ps_storage_result res;
	ps_err err = {0};
	int i, good = 1;

	if (ps_storage_new(&st, c, NULL, &err) != PS_OK)
		return 2;
	for (i = 0; i < 3; i++)
		good &= store(st, spool_media("sample.png", 0,
		    60 + (unsigned)i), "view-once", "rita", &res, &err) ==
		    PS_OK && strcmp(res.backend, "local") == 0;
	ps_storage_free(st);
	ps_config_free(c);
	return good ? 0 : 1;
}

static void
breaker_skips_then_probes_back(void)
{
	const char *extra[] = {"BACKEND_FAILURES_TO_TRIP=2",
	    "BACKEND_COOLDOWN_S=1", NULL};
	ps_config *c = config(extra);
	ps_storage *st = chain(c, r, &ps_storage_cloudinary,
	    &ps_storage_supabase, NULL);
	ps_storage_backend_status bs;
	ps_storage_result res;
	ps_err err = {0};
	long mark;
	int reqs, i;

	tst_redis_flushall(r);
	fault(FAKE_CLD, "500", -1, "/v1_1/", 0);
	for (i = 0; i < 2; i++)
		ok(store(st, spool_media("sample.png", 0, 30 + (unsigned)i),
		    "view-once", "olga", &res, &err) == PS_OK &&
		    strcmp(res.backend, "supabase") == 0,
		    "Cloudinary failing (%d): stored in Supabase", i + 1);
	ps_storage_backend_status_of(st, 0, &bs, &err);
	ok(strcmp(bs.breaker, "open") == 0 && bs.failures == 2 &&
	    bs.open_ms > 0, "after 2 failures the breaker is open (%s, %lld)",
	    bs.breaker, (long long)bs.failures);
	reqs = fake_requests(FAKE_CLD);
	mark = log_mark();
	ok(store(st, spool_media("sample.png", 0, 33), "view-once", "olga",
	    &res, &err) == PS_OK && strcmp(res.backend, "supabase") == 0,
	    "open: the upload goes to Supabase");
	is_int(fake_requests(FAKE_CLD), reqs,
	    "without a request to Cloudinary");
	ok(strstr(log_since(mark), "Cloudinary skipped") != NULL,
	    "and says it skipped Cloudinary");
	is_int(run_child("skips", 0, NULL), 0,
	    "another process skips it too (state in Redis)");

	/* The service recovers; after the cool-down one upload probes. */
	fault(FAKE_CLD, "ok", 1, NULL, 0);
	tst_sleep_ms(1100);
	mark = log_mark();
	ok(store(st, spool_media("sample.png", 0, 34), "view-once", "olga",
	    &res, &err) == PS_OK && strcmp(res.backend, "cloudinary") == 0,
	    "after the cool-down the probe goes to Cloudinary and succeeds");
	ok(strstr(log_since(mark), "this upload probes it") != NULL &&
	    strstr(log_since(mark), "Cloudinary is back") != NULL,
	    "logged as a probe and a recovery");
	ps_storage_backend_status_of(st, 0, &bs, &err);
	ok(strcmp(bs.breaker, "closed") == 0 && bs.failures == 0,
	    "the breaker is closed again (%s)", bs.breaker);
	ok(store(st, spool_media("sample.png", 0, 35), "view-once", "olga",
	    &res, &err) == PS_OK && strcmp(res.backend, "cloudinary") == 0,
	    "and the next upload goes to Cloudinary");

	/* A failed probe opens it again for a whole cool-down. */
	fault(FAKE_CLD, "500", -1, "/v1_1/", 0);
	for (i = 0; i < 2; i++)
		store(st, spool_media("sample.png", 0, 36 + (unsigned)i),
		    "view-once", "olga", &res, &err);
	tst_sleep_ms(1100);
	store(st, spool_media("sample.png", 0, 38), "view-once", "olga", &res,
	    &err);
	ps_storage_backend_status_of(st, 0, &bs, &err);
	ok(strcmp(bs.breaker, "open") == 0 && bs.open_ms > 500,
	    "a failed probe opens the breaker again (%s, %lld ms)",
	    bs.breaker, (long long)bs.open_ms);
	fault(FAKE_CLD, "ok", 1, NULL, 0);
	ps_storage_free(st);
	ps_config_free(c);
}

static void
breaker_lets_one_probe_through(void)
{
	ps_breaker_conf bc = {2, 200, 5000};
	ps_breaker_verdict v1, v2;
	int64_t fails, wait_ms;
	ps_err err = {0};
	int tripped;

	tst_redis_flushall(r);
	ps_breaker_failure(r, "probe-test", &bc, &tripped, &fails, &err);
	ok(!tripped, "one failure does not trip");
	ps_breaker_failure(r, "probe-test", &bc, &tripped, &fails, &err);
	ok(tripped && fails == 2, "the second trips it");
	ps_breaker_allow(r, "probe-test", &bc, &v1, &fails, &wait_ms, &err);
	ok(v1 == PS_BREAKER_SKIP && wait_ms > 0, "open: skip (%lld ms left)",
	    (long long)wait_ms);
	tst_sleep_ms(250);
	ps_breaker_allow(r, "probe-test", &bc, &v1, &fails, &wait_ms, &err);
	ps_breaker_allow(r, "probe-test", &bc, &v2, &fails, &wait_ms, &err);
	ok(v1 == PS_BREAKER_PROBE && v2 == PS_BREAKER_SKIP,
	    "after the cool-down exactly one caller probes");
	ps_breaker_success(r, "probe-test", &err);
	ps_breaker_allow(r, "probe-test", &bc, &v1, &fails, &wait_ms, &err);
	ok(v1 == PS_BREAKER_PASS && fails == 0, "its success closes it");
}

static void
breaker_fails_open_without_redis(void)
{
	ps_storage *st = chain(cfg, r, &ps_storage_cloudinary,
	    &ps_storage_supabase, NULL);
	ps_storage_result res;
	ps_err err = {0};
	char want[65], got[65];
	long mark = log_mark();
	ps_spool *sp;

	tst_redis_stop();
	sp = spool_media("sample.png", 0, 40);
	ok(ps_storage_store(st, sp, "view-once", "pete", &res, &err) ==
	    PS_OK && strcmp(res.backend, "cloudinary") == 0,
	    "Redis stopped: the upload still goes to Cloudinary (%s)",
	    err.msg);
	snprintf(want, sizeof(want), "%s", ps_spool_sha256(sp));
	ps_spool_free(sp);
	url_sha256(res.url, got, NULL, 0);
	is_str(got, want, "and its URL works");
	ok(strstr(log_since(mark), "storing anyway") != NULL,
	    "the missing breaker state is logged");
	tst_redis_start();
	ok(store(st, spool_media("sample.png", 0, 41), "view-once", "pete",
	    &res, &err) == PS_OK, "Redis back: uploads go on (%s)", err.msg);
	ps_storage_free(st);
}

struct listing {
	int n;
	int64_t last_time;
	int ordered;
	ps_storage_result first;
};

static int
collect(const ps_storage_result *e, void *arg)
{
	struct listing *l = arg;

	if (l->n == 0)
		l->first = *e;
	else if (e->time_ms > l->last_time)
		l->ordered = 0;
	l->last_time = e->time_ms;
	l->n++;
	return 0;
}

static void
media_index_records_and_lists(void)
{
	const char *extra[] = {"MEDIA_INDEX_MAX=3", NULL};
	ps_config *c = config(extra);
	ps_storage *st = chain(c, r, &ps_storage_local, NULL, NULL);
	ps_storage_result res, last;
	struct listing l;
	ps_err err = {0};
	int64_t total;
	size_t bad;
	redisReply *rep;
	unsigned long long rt;
	int i;

	tst_redis_flushall(r);
	memset(&last, 0, sizeof(last));
	for (i = 0; i < 5; i++) {
		store(st, spool_media("sample.png", 0, 50 + (unsigned)i),
		    "view-once", "quinn", &res, &err);
		last = res;
		tst_sleep_ms(2);
	}
	memset(&l, 0, sizeof(l));
	l.ordered = 1;
	ps_err_clear(&err);
	is_int(ps_media_index_list(r, "quinn", 0, 100, collect, &l, &total,
	    &bad, &err), PS_OK, "list a user's media (%s)", err.msg);
	ok(total == 3 && l.n == 3 && bad == 0,
	    "bounded to MEDIA_INDEX_MAX = 3 entries (%lld)",
	    (long long)total);
	ok(l.ordered, "newest first");
	ok(strcmp(l.first.url, last.url) == 0 &&
	    strcmp(l.first.backend, "local") == 0 &&
	    strcmp(l.first.kind, "view-once") == 0 &&
	    strcmp(l.first.sha256, last.sha256) == 0 &&
	    strcmp(l.first.path, last.path) == 0 &&
	    strcmp(l.first.mime, "image/png") == 0 &&
	    strcmp(l.first.resource_type, "image") == 0 &&
	    l.first.bytes == last.bytes && l.first.time_ms == last.time_ms,
	    "the newest entry is the last upload, every field");
	memset(&l, 0, sizeof(l));
	ps_media_index_list(r, "quinn", 2, 10, collect, &l, &total, &bad,
	    &err);
	is_int(l.n, 1, "offset skips entries");
	if (ps_redis_cmd(r, &rep, &err, "SISMEMBER {pairstore}:media-users "
	    "quinn") == PS_OK) {
		ok(rep->type == REDIS_REPLY_INTEGER && rep->integer == 1,
		    "the user is in the set of users with media");
		freeReplyObject(rep);
	} else
		ok(0, "SISMEMBER: %s", err.msg);
	rt = ps_redis_round_trips(r);
	ps_media_index_add(r, "quinn", &last, 3, &total, &err);
	is_int(ps_redis_round_trips(r) - rt, 1, "recording is one round trip");
	ps_storage_free(st);
	ps_config_free(c);
}

/* Children with their own stderr: the warnings appear once each. */
static void
unconfigured_backends_warned_once(void)
{
	static char text[65536];
	char out[700];
	const char *log;
	FILE *f;
	size_t n;
	int k;

	for (k = 0; k < 2; k++) {
		snprintf(out, sizeof(out), "%s/child%d.log", tmp, k);
		is_int(run_child("unconfigured", k, out), 0,
		    "%s: three uploads stored locally", k == 0 ?
		    "nothing remote configured" :
		    "Cloudinary half configured");
		text[0] = '\0';
		if ((f = fopen(out, "r")) != NULL) {
			n = fread(text, 1, sizeof(text) - 1, f);
			text[n] = '\0';
			fclose(f);
		}
		log = text;
		is_int(count_of(log, "[CloudinaryStorage] Cloudinary not "
		    "configured"), 1, "\"Cloudinary not configured\" once per "
		    "process");
		is_int(count_of(log, "[SupabaseStorage] Supabase not "
		    "configured"), 1, "\"Supabase not configured\" once");
		if (k == 1)
			ok(strstr(log, "Cloudinary not configured "
			    "(CLOUDINARY_API_SECRET is not set)") != NULL,
			    "a half configuration names what is missing");
		is_int(count_of(log, "[LocalStorage] Media uploaded: "), 3,
		    "three success lines");
	}
}

static void
no_secret_in_any_log(void)
{
	const char *log = log_since(0);
	char path[700], cmd[1600];
	int rc;

	ok(strlen(log) > 1000, "the log has content (%zu bytes)",
	    strlen(log));
	ok(strstr(log, CLD_SECRET) == NULL && strstr(log, SB_KEY) == NULL &&
	    strstr(log, CLD_WRONG_SECRET) == NULL,
	    "no secret in our log lines");
	snprintf(path, sizeof(path), "%s", tmp);
	snprintf(cmd, sizeof(cmd), "grep -rqs -e '%s' -e '%s' '%s'/fake*.log "
	    "'%s'/child*.log", CLD_SECRET, SB_KEY, path, path);
	rc = system(cmd);
	ok(WIFEXITED(rc) && WEXITSTATUS(rc) == 1,
	    "nor in the fakes' or the children's logs");
}

static void
set_paths(void)
{
	snprintf(tmp, sizeof(tmp), "%s", tst_tmpdir());
	snprintf(logpath, sizeof(logpath), "%s/storage.log", tmp);
	snprintf(spooldir, sizeof(spooldir), "%s/spool", tmp);
	snprintf(localdir, sizeof(localdir), "%s/local", tmp);
	snprintf(env_spool, sizeof(env_spool), "SPOOL_DIR=%s", spooldir);
	snprintf(env_local, sizeof(env_local), "LOCAL_STORAGE_DIR=%s",
	    localdir);
}

static void
set_fake_urls(void)
{
	int i;

	for (i = 0; i < FAKE_N; i++)
		snprintf(fakes[i].base, sizeof(fakes[i].base),
		    "http://127.0.0.1:%d", fakes[i].port);
	snprintf(env_cld_url, sizeof(env_cld_url), "CLOUDINARY_API_URL=%s",
	    fakes[FAKE_CLD].base);
	snprintf(env_sb_url, sizeof(env_sb_url), "SUPABASE_URL=%s",
	    fakes[FAKE_SB].base);
}

/* argv: --child MODE K CLOUDINARY_PORT SUPABASE_PORT */
static int
child_main(char **argv)
{
	int k = atoi(argv[3]), rc;

	set_paths();
	fakes[FAKE_CLD].port = atoi(argv[4]);
	fakes[FAKE_SB].port = atoi(argv[5]);
	set_fake_urls();
	ps_log_init("test_storage", PS_LOG_INFO);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[2], "skips") == 0)
		rc = child_skips();
	else if (strcmp(argv[2], "unconfigured") == 0)
		rc = child_unconfigured(k);
	else
		rc = 64;
	curl_global_cleanup();
	return rc;
}

int
main(int argc, char **argv)
{
	static const char *const sb_args[] = {"--max-object-size", "2000000",
	    NULL};
	static const char *const cld_args[] = {"--cloud-name", CLD_CLOUD,
	    "--api-key", CLD_KEY, NULL};
	static const char *const cld256_args[] = {"--cloud-name", CLD_CLOUD,
	    "--api-key", CLD_KEY, "--signature-algorithm", "sha256", NULL};
	int fd;

	if (argc == 6 && strcmp(argv[1], "--child") == 0)
		return child_main(argv);
	set_paths();
	mkdir(spooldir, 0700);
	/* Our log lines go to a file the tests read; TAP stays on stdout. */
	fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0 || dup2(fd, 2) < 0)
		tap_bail("log file");
	close(fd);
	ps_log_init("test_storage", PS_LOG_INFO);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	main_pid = getpid();
	atexit(stop_fakes);

	start_fake(FAKE_CLD, "cloudinary_fake.py", cld_args, 0);
	start_fake(FAKE_CLD256, "cloudinary_fake.py", cld256_args, 0);
	start_fake(FAKE_CLDSTALE, "cloudinary_fake.py", cld_args, 1);
	start_fake(FAKE_SB, "supabase_fake.py", sb_args, 0);
	set_fake_urls();
	cfg = config(NULL);
	r = tst_redis(cfg);
	tst_redis_flushall(r);

	cloudinary_signed_upload_accepted();
	cloudinary_sha256_signatures_accepted();
	cloudinary_wrong_secret_falls_through();
	cloudinary_stale_clock_reported();
	cloudinary_url_setting_works();
	supabase_upload_public_url();
	supabase_error_shapes_understood();
	local_publish_is_atomic();
	local_world_readable();
	local_copies_across_filesystems();
	local_refuses_symlinked_dirs();
	bad_kind_and_user_refused();
	chain_survives_every_fault_mode();
	chunked_upload_of_four_chunks();
	chain_refuses_what_every_backend_finds_too_large();
	breaker_skips_then_probes_back();
	breaker_lets_one_probe_through();
	breaker_fails_open_without_redis();
	media_index_records_and_lists();
	unconfigured_backends_warned_once();
	no_secret_in_any_log();
	is_int(tst_count_entries(spooldir), 0, "no spool file left behind");

	fake_reset(FAKE_CLD);
	stop_fakes();
	ps_redis_free(r);
	ps_config_free(cfg);
	curl_global_cleanup();
	return tap_done();
}
