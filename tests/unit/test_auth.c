/*
 * test_auth.c - who the caller is (ps_auth): AUTH_MODE jwt (HS256 and
 * RS256 tokens made here with OpenSSL, as test_jwt.c does, and the
 * TEST-ONLY keys in tests/data/jwt), remote_user and demo; configuration
 * errors.  Key files are found under $srcdir (default ".").
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "ps_auth.h"
#include "ps_config.h"
#include "ps_error.h"
#include "ps_http.h"
#include "ps_log.h"
#include "ps_util.h"
#include "tap.h"

#define TOKMAX 4096
#define PATHMAX 4096

/* TEST-ONLY secret (the one test_jwt.c and make-vectors.py use). */
static const char hs_secret[] =
    "pairstore-test-only-hs256-secret-0123456789";
static const char other_secret[] =
    "another-test-only-secret-that-is-long-enough";

static const char HDR_HS[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
static const char HDR_RS[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";

static char rsa_pub_path[PATHMAX];

static void
datapath(char *buf, size_t sz, const char *name)
{
	const char *srcdir;

	srcdir = getenv("srcdir");
	if (srcdir == NULL || srcdir[0] == '\0')
		srcdir = ".";
	if ((size_t)snprintf(buf, sz, "%s/tests/data/jwt/%s", srcdir,
	    name) >= sz)
		tap_bail("path too long for %s", name);
}

/* base64url without padding, independent of ps_base64. */
static size_t
b64u(char *out, size_t outsz, const void *in, size_t len)
{
	int i, n;

	if (4 * ((len + 2) / 3) + 1 > outsz)
		tap_bail("b64u: output buffer too small");
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	return (size_t)n;
}

static size_t
sign_rsa(const char *data, size_t len, unsigned char *sig, size_t sigsz)
{
	char path[PATHMAX];
	EVP_MD_CTX *md;
	EVP_PKEY *k;
	size_t siglen = sigsz;
	BIO *b;

	datapath(path, sizeof(path), "test-rsa-private.pem");
	b = BIO_new_file(path, "r");
	if (b == NULL)
		tap_bail("cannot open %s (set srcdir?)", path);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	md = EVP_MD_CTX_new();
	if (k == NULL || md == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k,
	    NULL) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)data,
	    len) != 1)
		tap_bail("RS256 signing failed");
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return siglen;
}

/*
 * A compact JWS of hdr and the claims; secret NULL signs with the RSA
 * test key.
 */
static const char *
token(const char *hdr, const char *secret, const char *claims_fmt, ...)
{
	static char out[TOKMAX];
	char claims[1024], seg[TOKMAX];
	unsigned char sig[1024];
	unsigned int maclen = 0;
	size_t n, siglen;
	va_list ap;

	va_start(ap, claims_fmt);
	vsnprintf(claims, sizeof(claims), claims_fmt, ap);
	va_end(ap);
	n = b64u(out, sizeof(out), hdr, strlen(hdr));
	out[n++] = '.';
	n += b64u(out + n, sizeof(out) - n, claims, strlen(claims));
	if (secret != NULL) {
		if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
		    (const unsigned char *)out, n, sig, &maclen) == NULL)
			tap_bail("HMAC failed");
		siglen = maclen;
	} else
		siglen = sign_rsa(out, n, sig, sizeof(sig));
	b64u(seg, sizeof(seg), sig, siglen);
	snprintf(out + n, sizeof(out) - n, ".%s", seg);
	return out;
}

/* Claims for sub, valid now (ps_auth checks with the real clock). */
static const char *
good(const char *hdr, const char *secret, const char *sub)
{
	long long now = (long long)time(NULL);

	return token(hdr, secret, "{\"sub\":\"%s\",\"iat\":%lld,"
	    "\"exp\":%lld}", sub, now - 5, now + 300);
}

/* A configuration from up to four "KEY=VALUE" strings. */
static ps_config *
cfg(const char *a, const char *b, const char *c, const char *d)
{
	const char *env[5];
	ps_config *config = NULL;
	ps_err err = {0};
	int n = 0;

	if (a != NULL)
		env[n++] = a;
	if (b != NULL)
		env[n++] = b;
	if (c != NULL)
		env[n++] = c;
	if (d != NULL)
		env[n++] = d;
	env[n] = NULL;
	if (ps_config_load_from(&config, (char *const *)env, NULL, &err) !=
	    PS_OK)
		tap_bail("config: %s", err.msg);
	return config;
}

static ps_auth *
auth_of(const char *a, const char *b, const char *c, const char *d)
{
	ps_config *config;
	ps_auth *auth = NULL;
	ps_err err = {0};

	config = cfg(a, b, c, d);
	if (ps_auth_new(&auth, config, &err) != PS_OK)
		tap_bail("ps_auth_new: %s", err.msg);
	ps_config_free(config);
	return auth;
}

/* ps_auth_new's code; a failure must leave *auth NULL. */
static ps_code
auth_new_code(const char *a, const char *b, const char *c, ps_err *err)
{
	static char sentinel;
	ps_config *config;
	ps_auth *auth = (ps_auth *)(void *)&sentinel;
	ps_code rc;

	config = cfg(a, b, c, NULL);
	rc = ps_auth_new(&auth, config, err);
	if (rc != PS_OK) {
		ok(auth == NULL, "config: a failed ps_auth_new sets *auth "
		    "to NULL");
		auth = NULL;
	}
	ps_auth_free(auth);
	ps_config_free(config);
	return rc;
}

/* Identify with up to three "NAME=value" parameters. */
static ps_code
who(const ps_auth *auth, const char *p1, const char *p2, const char *p3,
    char *user, ps_err *err)
{
	char *params[4];
	ps_req *req;
	ps_code rc;
	int n = 0;

	if (p1 != NULL)
		params[n++] = (char *)p1;
	if (p2 != NULL)
		params[n++] = (char *)p2;
	if (p3 != NULL)
		params[n++] = (char *)p3;
	params[n] = NULL;
	req = ps_req_mem_new(params, NULL, 0);
	if (req == NULL)
		tap_bail("ps_req_mem_new");
	strcpy(user, "stale");
	rc = ps_auth_identify(auth, req, user, err);
	ps_req_mem_free(req);
	return rc;
}

static const char *
hdr(const char *name, const char *scheme, const char *tok)
{
	static char buf[4][TOKMAX + 64];
	static int which;

	which = (which + 1) % 4;
	snprintf(buf[which], sizeof(buf[which]), "%s=%s%s", name, scheme,
	    tok);
	return buf[which];
}

/* ---------------------------------------------------------------- jwt */

static void
jwt_hs256_identifies_sub(void)
{
	char user[PS_USER_ID_MAX + 1];
	ps_err err = {0};
	ps_auth *auth;
	const char *t;

	auth = auth_of("AUTH_MODE=jwt", hdr("JWT_SECRET", "", hs_secret),
	    NULL, NULL);
	is_str(ps_auth_describe(auth), "jwt (HS256)",
	    "jwt: describes itself as HS256");
	t = good(HDR_HS, hs_secret, "alice");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ", t), NULL,
	    NULL, user, &err), PS_OK, "jwt: a good HS256 token is accepted");
	is_str(user, "alice", "jwt: the user is the sub claim");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "bearer ", t), NULL,
	    NULL, user, &err), PS_OK, "jwt: the scheme is case-insensitive");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "BEARER ", t), NULL,
	    NULL, user, &err), PS_OK, "jwt: BEARER works too");

	is_int(who(auth, NULL, NULL, NULL, user, &err), PS_E_AUTH,
	    "jwt: no Authorization is refused");
	is_str(err.msg, "missing bearer token",
	    "jwt: ... as a missing bearer token");
	is_str(user, "", "jwt: a refusal leaves the user empty");
	is_int(who(auth, "HTTP_AUTHORIZATION=", NULL, NULL, user, &err),
	    PS_E_AUTH, "jwt: an empty Authorization is missing too");

	/* Apache's SetEnvIf / RewriteRule workaround. */
	is_int(who(auth, hdr("REDIRECT_HTTP_AUTHORIZATION", "Bearer ", t),
	    NULL, NULL, user, &err), PS_OK,
	    "jwt: REDIRECT_HTTP_AUTHORIZATION is read");
	is_str(user, "alice", "jwt: ... and identifies the user");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ",
	    good(HDR_HS, hs_secret, "bob")),
	    hdr("REDIRECT_HTTP_AUTHORIZATION", "Bearer ", t), NULL, user,
	    &err), PS_OK, "jwt: both headers present");
	is_str(user, "bob", "jwt: HTTP_AUTHORIZATION wins");
	ps_auth_free(auth);
}

static void
jwt_malformed_headers_refused(void)
{
	static const char *bad[] = {
		"Bearer", "Bearer ", "Bearer  %s", " Bearer %s", "Bearer\t%s",
		"Bearerx %s", "Basic dXNlcjpwYXNzd29yZA==", "Token %s", "%s",
	};
	char user[PS_USER_ID_MAX + 1], h[TOKMAX + 64];
	const char *t, *mark;
	ps_err err = {0};
	ps_auth *auth;
	size_t i, n;

	auth = auth_of("AUTH_MODE=jwt", hdr("JWT_SECRET", "", hs_secret),
	    NULL, NULL);
	t = good(HDR_HS, hs_secret, "alice");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* bad[i] with "%s" replaced by the token */
		mark = strstr(bad[i], "%s");
		n = mark != NULL ? (size_t)(mark - bad[i]) : strlen(bad[i]);
		snprintf(h, sizeof(h), "HTTP_AUTHORIZATION=%.*s%s%s", (int)n,
		    bad[i], mark != NULL ? t : "", mark != NULL ? mark + 2 :
		    "");
		is_int(who(auth, h, NULL, NULL, user, &err), PS_E_AUTH,
		    "jwt: Authorization \"%s\" is refused (%s)", bad[i],
		    err.msg);
		ok(strstr(err.msg, t) == NULL && strstr(err.msg,
		    "dXNlcjpw") == NULL,
		    "jwt: ... and the message does not quote the credential");
	}
	ps_auth_free(auth);
}

static void
jwt_bad_tokens_refused(void)
{
	char user[PS_USER_ID_MAX + 1];
	long long now = (long long)time(NULL);
	ps_err err = {0};
	ps_auth *auth;
	const char *t;

	auth = auth_of("AUTH_MODE=jwt", hdr("JWT_SECRET", "", hs_secret),
	    "JWT_LEEWAY_S=0", NULL);
	t = good(HDR_HS, other_secret, "alice");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ", t), NULL,
	    NULL, user, &err), PS_E_AUTH,
	    "jwt: a token signed with another secret is refused");
	ok(strstr(err.msg, t) == NULL, "jwt: the message does not quote it");
	is_str(user, "", "jwt: no user");

	t = token(HDR_HS, hs_secret, "{\"sub\":\"alice\",\"exp\":%lld}",
	    now - 60);
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ", t), NULL,
	    NULL, user, &err), PS_E_AUTH, "jwt: an expired token is refused");

	t = good(HDR_HS, hs_secret, "../etc");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ", t), NULL,
	    NULL, user, &err), PS_E_AUTH,
	    "jwt: a sub that is not a valid user id is refused");
	is_str(user, "", "jwt: ... and never returned");

	t = good(HDR_RS, NULL, "alice");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ", t), NULL,
	    NULL, user, &err), PS_E_AUTH,
	    "jwt: an RS256 token is refused by an HS256 verifier");
	ps_auth_free(auth);

	auth = auth_of("AUTH_MODE=jwt", hdr("JWT_SECRET", "", hs_secret),
	    "JWT_ISSUER=https://issuer.test", "JWT_AUDIENCE=pairstore");
	t = good(HDR_HS, hs_secret, "alice");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ", t), NULL,
	    NULL, user, &err), PS_E_AUTH,
	    "jwt: JWT_ISSUER/JWT_AUDIENCE are passed on (no iss, aud)");
	t = token(HDR_HS, hs_secret, "{\"sub\":\"carol\",\"exp\":%lld,"
	    "\"iss\":\"https://issuer.test\",\"aud\":\"pairstore\"}",
	    now + 300);
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ", t), NULL,
	    NULL, user, &err), PS_OK,
	    "jwt: a token with the right iss and aud is accepted");
	is_str(user, "carol", "jwt: ... for its sub");
	ps_auth_free(auth);
}

static void
jwt_rs256(void)
{
	char user[PS_USER_ID_MAX + 1], setting[PATHMAX + 32];
	char pem[4096];
	ps_err err = {0};
	ps_auth *auth;
	const char *t;
	FILE *f;
	size_t n;

	snprintf(setting, sizeof(setting), "JWT_PUBLIC_KEY_FILE=%s",
	    rsa_pub_path);
	auth = auth_of("AUTH_MODE=jwt", setting, NULL, NULL);
	is_str(ps_auth_describe(auth), "jwt (RS256)",
	    "rs256: describes itself");
	t = good(HDR_RS, NULL, "rsa.user-1");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ", t), NULL,
	    NULL, user, &err), PS_OK, "rs256: a good token is accepted (%s)",
	    err.msg);
	is_str(user, "rsa.user-1", "rs256: the sub is the user");

	/* Algorithm confusion: HS256 keyed with the public key's PEM. */
	f = fopen(rsa_pub_path, "rb");
	if (f == NULL)
		tap_bail("cannot open %s", rsa_pub_path);
	n = fread(pem, 1, sizeof(pem) - 1, f);
	fclose(f);
	pem[n] = '\0';
	t = good(HDR_HS, pem, "mallory");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ", t), NULL,
	    NULL, user, &err), PS_E_AUTH,
	    "rs256: an HS256 token keyed with the public key is refused");
	ps_auth_free(auth);
}

static void
jwt_config_errors(void)
{
	char setting[PATHMAX + 32];
	ps_err err = {0};

	is_int(auth_new_code("AUTH_MODE=jwt", NULL, NULL, &err), PS_E_CONFIG,
	    "config: jwt without secret or key is refused");
	ok(strstr(err.msg, "JWT_SECRET") != NULL &&
	    strstr(err.msg, "JWT_PUBLIC_KEY_FILE") != NULL,
	    "config: ... naming both settings (%s)", err.msg);
	is_int(auth_new_code(NULL, NULL, NULL, &err), PS_E_CONFIG,
	    "config: the default mode is jwt, never demo");

	snprintf(setting, sizeof(setting), "JWT_PUBLIC_KEY_FILE=%s",
	    rsa_pub_path);
	is_int(auth_new_code("AUTH_MODE=jwt", hdr("JWT_SECRET", "",
	    hs_secret), setting, &err), PS_E_CONFIG,
	    "config: secret and key file together are refused");
	ok(strstr(err.msg, "only one") != NULL,
	    "config: ... saying to set only one (%s)", err.msg);
	ok(strstr(err.msg, hs_secret) == NULL,
	    "config: ... without printing the secret");

	is_int(auth_new_code("AUTH_MODE=jwt", "JWT_SECRET=short-secret",
	    NULL, &err), PS_E_CONFIG,
	    "config: a secret under 32 bytes is refused");
	is_int(auth_new_code("AUTH_MODE=jwt",
	    "JWT_PUBLIC_KEY_FILE=/nonexistent/key.pem", NULL, &err),
	    PS_E_CONFIG, "config: an unreadable key file is refused");
}

/* -------------------------------------------------------- remote_user */

/* "REMOTE_USER=" and PS_USER_ID_MAX + 1 letters. */
static char long_id[12 + PS_USER_ID_MAX + 2];

static void
remote_user_mode(void)
{
	const char *bad[] = {
		"REMOTE_USER=bob smith", "REMOTE_USER=../x", "REMOTE_USER=.",
		"REMOTE_USER=..", "REMOTE_USER=a;b", "REMOTE_USER=\xc3\xa9lan",
		"REMOTE_USER=a/b", "REMOTE_USER=bob\n", long_id,
	};
	char user[PS_USER_ID_MAX + 1];
	ps_err err = {0};
	ps_auth *auth;
	size_t i;

	memcpy(long_id, "REMOTE_USER=", 12);
	memset(long_id + 12, 'a', PS_USER_ID_MAX + 1);
	long_id[12 + PS_USER_ID_MAX + 1] = '\0';
	auth = auth_of("AUTH_MODE=remote_user", NULL, NULL, NULL);
	is_str(ps_auth_describe(auth), "remote_user",
	    "remote_user: describes itself");
	is_int(who(auth, "REMOTE_USER=bob.smith_2-x", NULL, NULL, user,
	    &err), PS_OK, "remote_user: REMOTE_USER identifies the user");
	is_str(user, "bob.smith_2-x", "remote_user: the id as given");
	is_int(who(auth, NULL, NULL, NULL, user, &err), PS_E_AUTH,
	    "remote_user: no REMOTE_USER is refused");
	is_int(who(auth, "REMOTE_USER=", NULL, NULL, user, &err), PS_E_AUTH,
	    "remote_user: an empty REMOTE_USER is refused");
	is_int(who(auth, hdr("HTTP_AUTHORIZATION", "Bearer ",
	    good(HDR_HS, hs_secret, "alice")), "HTTP_X_PAIRSTORE_USER=eve",
	    "QUERY_STRING=user=eve", user, &err), PS_E_AUTH,
	    "remote_user: tokens, headers and ?user= do not count");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(who(auth, bad[i], NULL, NULL, user, &err), PS_E_AUTH,
		    "remote_user: invalid id #%zu is refused", i + 1);
		is_str(user, "", "remote_user: ... and not returned");
	}
	ok(strstr(err.msg, "aaaaaaaa") == NULL,
	    "remote_user: the message does not echo the id");
	ps_auth_free(auth);
}

/* --------------------------------------------------------------- demo */

static void
demo_warns_at_start(void)
{
	char buf[1024];
	ps_auth *auth;
	FILE *tmp;
	size_t n;
	int saved;

	tmp = tmpfile();
	saved = dup(STDERR_FILENO);
	if (tmp == NULL || saved < 0)
		tap_bail("tmpfile/dup");
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	auth = auth_of("AUTH_MODE=demo", NULL, NULL, NULL);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	ok(strstr(buf, " WARN ") != NULL && strstr(buf,
	    "AUTH_MODE=demo: anyone can act as any user; for local trials "
	    "only") != NULL, "demo: ps_auth_new logs the warning");
	is_str(ps_auth_describe(auth), "demo", "demo: describes itself");
	ps_auth_free(auth);
}

static void
demo_mode(void)
{
	char user[PS_USER_ID_MAX + 1];
	char *params[5];
	ps_err err = {0};
	ps_auth *auth;
	ps_req *req;

	ps_log_set_level(PS_LOG_ERROR);
	auth = auth_of("AUTH_MODE=demo", NULL, NULL, NULL);
	ps_log_set_level(PS_LOG_INFO);

	is_int(who(auth, "QUERY_STRING=user=quinn", NULL, NULL, user, &err),
	    PS_OK, "demo: ?user= identifies");
	is_str(user, "quinn", "demo: ... the query's user");
	is_int(who(auth, "HTTP_X_PAIRSTORE_USER=hedy", NULL, NULL, user,
	    &err), PS_OK, "demo: X-Pairstore-User identifies");
	is_str(user, "hedy", "demo: ... the header's user");
	is_int(who(auth, "QUERY_STRING=user=quinn",
	    "HTTP_X_PAIRSTORE_USER=hedy", NULL, user, &err), PS_OK,
	    "demo: query and header");
	is_str(user, "quinn", "demo: the query wins over the header");

	params[0] = "REQUEST_METHOD=POST";
	params[1] = "CONTENT_TYPE=application/x-www-form-urlencoded";
	params[2] = "CONTENT_LENGTH=20";
	params[3] = "QUERY_STRING=user=quinn";
	params[4] = NULL;
	req = ps_req_mem_new(params, "phone=123&user=frank", 20);
	is_int(ps_req_parse_form(req, &err), PS_OK, "demo: form parsed");
	is_int(ps_auth_identify(auth, req, user, &err), PS_OK,
	    "demo: a form field identifies");
	is_str(user, "frank", "demo: the parsed form wins over the query");
	ps_req_mem_free(req);

	params[2] = "CONTENT_LENGTH=9";
	req = ps_req_mem_new(params, "phone=123", 9);
	ps_req_parse_form(req, NULL);
	ps_auth_identify(auth, req, user, &err);
	is_str(user, "quinn", "demo: a form without user falls back");
	ps_req_mem_free(req);

	is_int(who(auth, NULL, NULL, NULL, user, &err), PS_E_AUTH,
	    "demo: no user anywhere is refused");
	ok(strstr(err.msg, "X-Pairstore-User") != NULL,
	    "demo: ... saying where to put it (%s)", err.msg);
	is_int(who(auth, "QUERY_STRING=user=..%2Fetc", NULL, NULL, user,
	    &err), PS_E_AUTH, "demo: an invalid id is refused");
	is_str(user, "", "demo: ... and not returned");
	ok(strstr(err.msg, "etc") == NULL,
	    "demo: the message does not echo it");
	is_int(who(auth, "HTTP_X_PAIRSTORE_USER=a b", NULL, NULL, user,
	    &err), PS_E_AUTH, "demo: a header with a space is refused");
	is_int(who(auth, "QUERY_STRING=user=", NULL, NULL, user, &err),
	    PS_E_AUTH, "demo: an empty user is refused");
	is_int(ps_auth_identify(auth, NULL, user, &err), PS_E_INTERNAL,
	    "demo: no request is an internal error");
	ps_auth_free(auth);
}

int
main(void)
{
	ps_log_init("test_auth", PS_LOG_INFO);
	datapath(rsa_pub_path, sizeof(rsa_pub_path), "test-rsa-public.pem");
	if (access(rsa_pub_path, R_OK) != 0)
		tap_bail("cannot read %s (set srcdir?)", rsa_pub_path);
	jwt_hs256_identifies_sub();
	jwt_malformed_headers_refused();
	jwt_bad_tokens_refused();
	jwt_rs256();
	jwt_config_errors();
	remote_user_mode();
	demo_warns_at_start();
	demo_mode();
	return tap_done();
}
