/*
 * ps_auth.c - who the caller is (AUTH_MODE); see ps_auth.h.
 *
 * Refusals are PS_E_AUTH with a message that names what is missing or
 * wrong and never quotes the credential or the rejected user id.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ps_auth.h"
#include "ps_config.h"
#include "ps_error.h"
#include "ps_http.h"
#include "ps_jwt.h"
#include "ps_log.h"
#include "ps_util.h"

enum auth_mode {
	AUTH_JWT,
	AUTH_REMOTE_USER,
	AUTH_DEMO
};

struct ps_auth {
	enum auth_mode mode;
	ps_jwt_verifier *jwt;
	char describe[32];
};

static ps_code
jwt_new(ps_auth *a, const ps_config *cfg, ps_err *err)
{
	const char *secret, *keyfile;
	ps_jwt_opts o;
	ps_code rc;

	secret = ps_config_str(cfg, PS_CFG_JWT_SECRET);
	keyfile = ps_config_str(cfg, PS_CFG_JWT_PUBLIC_KEY_FILE);
	if (secret != NULL && *secret == '\0')
		secret = NULL;
	if (keyfile != NULL && *keyfile == '\0')
		keyfile = NULL;
	if (secret == NULL && keyfile == NULL)
		return ps_err_set(err, PS_E_CONFIG, "AUTH_MODE=jwt needs "
		    "JWT_SECRET (HS256) or JWT_PUBLIC_KEY_FILE (RS256/ES256)");
	if (secret != NULL && keyfile != NULL)
		return ps_err_set(err, PS_E_CONFIG, "set only one of "
		    "JWT_SECRET and JWT_PUBLIC_KEY_FILE");
	ps_jwt_opts_init(&o);
	o.hs256_secret = secret;
	o.hs256_secret_len = secret != NULL ? strlen(secret) : 0;
	o.public_key_pem_path = keyfile;
	o.leeway_s = (long)ps_config_int(cfg, PS_CFG_JWT_LEEWAY_S);
	o.issuer = ps_config_str(cfg, PS_CFG_JWT_ISSUER);
	o.audience = ps_config_str(cfg, PS_CFG_JWT_AUDIENCE);
	rc = ps_jwt_verifier_new(&a->jwt, &o, err);
	if (rc != PS_OK)
		return rc;
	snprintf(a->describe, sizeof(a->describe), "jwt (%s)",
	    ps_jwt_verifier_alg(a->jwt));
	return PS_OK;
}

ps_code
ps_auth_new(ps_auth **auth, const ps_config *cfg, ps_err *err)
{
	const char *mode;
	ps_auth *a;
	ps_code rc;

	if (auth == NULL || cfg == NULL)
		return ps_err_set(err, PS_E_INTERNAL,
		    "ps_auth_new: no config");
	*auth = NULL;
	mode = ps_config_str(cfg, PS_CFG_AUTH_MODE);
	if (mode == NULL)
		mode = "jwt";
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	if (strcmp(mode, "jwt") == 0) {
		a->mode = AUTH_JWT;
		rc = jwt_new(a, cfg, err);
		if (rc != PS_OK) {
			free(a);
			return rc;
		}
	} else if (strcmp(mode, "remote_user") == 0) {
		a->mode = AUTH_REMOTE_USER;
		snprintf(a->describe, sizeof(a->describe), "remote_user");
	} else if (strcmp(mode, "demo") == 0) {
		a->mode = AUTH_DEMO;
		snprintf(a->describe, sizeof(a->describe), "demo");
		ps_warn("Auth", "AUTH_MODE=demo: anyone can act as any user; "
		    "for local trials only");
	} else {
		free(a);
		return ps_err_set(err, PS_E_CONFIG, "AUTH_MODE must be jwt, "
		    "remote_user or demo");
	}
	*auth = a;
	return PS_OK;
}

void
ps_auth_free(ps_auth *auth)
{
	if (auth == NULL)
		return;
	ps_jwt_verifier_free(auth->jwt);
	free(auth);
}

const char *
ps_auth_describe(const ps_auth *auth)
{
	return auth != NULL ? auth->describe : "none";
}

/*
 * The token of "Authorization: Bearer <token>" (RFC 6750, 2.1; the
 * scheme is case-insensitive, RFC 9110, 11.1).
 *
 * Apache does not pass the Authorization header to CGI or FastCGI
 * programs by default (it keeps credentials from scripts).  The usual
 * workarounds are "CGIPassAuth On" (2.4.13+), or
 *   SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1
 *   RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]
 * which after an internal redirect (.htaccess rewrites) reach the
 * program as REDIRECT_HTTP_AUTHORIZATION; both names are read.
 */
static ps_code
bearer_token(ps_req *req, const char **tok, size_t *len, ps_err *err)
{
	const char *h, *t;

	h = ps_req_param(req, "HTTP_AUTHORIZATION");
	if (h == NULL || *h == '\0')
		h = ps_req_param(req, "REDIRECT_HTTP_AUTHORIZATION");
	if (h == NULL || *h == '\0')
		return ps_err_set(err, PS_E_AUTH, "missing bearer token");
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' &&
	    h[6] != '\0'))
		return ps_err_set(err, PS_E_AUTH,
		    "Authorization is not a Bearer token");
	t = h + 6;
	if (*t != ' ' || t[1] == '\0' || t[1] == ' ')
		return ps_err_set(err, PS_E_AUTH,
		    "malformed Authorization header");
	t++;
	*tok = t;
	*len = strlen(t);
	return PS_OK;
}

static ps_code
identify_jwt(const ps_auth *auth, ps_req *req, char *user, ps_err *err)
{
	const char *tok = NULL;
	size_t len = 0;
	ps_code rc;

	rc = bearer_token(req, &tok, &len, err);
	if (rc != PS_OK)
		return rc;
	return ps_jwt_verify(auth->jwt, tok, len, (long long)time(NULL),
	    user, PS_USER_ID_MAX + 1, err);
}

static ps_code
identify_remote_user(ps_req *req, char *user, ps_err *err)
{
	const char *u;

	/* RFC 3875, 4.1.11: set when the server authenticated the user. */
	u = ps_req_param(req, "REMOTE_USER");
	if (u == NULL || *u == '\0')
		return ps_err_set(err, PS_E_AUTH, "no REMOTE_USER: the web "
		    "server did not authenticate the request");
	if (!ps_user_id_valid(u))
		return ps_err_set(err, PS_E_AUTH, "REMOTE_USER is not a "
		    "valid user id ([A-Za-z0-9_.-]{1,64})");
	snprintf(user, PS_USER_ID_MAX + 1, "%s", u);
	return PS_OK;
}

static ps_code
identify_demo(ps_req *req, char *user, ps_err *err)
{
	const char *u;

	u = ps_req_field(req, "user");
	if (u == NULL)
		u = ps_req_query(req, "user");
	if (u == NULL)
		u = ps_req_param(req, "HTTP_X_PAIRSTORE_USER");
	if (u == NULL || *u == '\0')
		return ps_err_set(err, PS_E_AUTH, "AUTH_MODE=demo: no user "
		    "(send a user field, ?user= or X-Pairstore-User)");
	if (!ps_user_id_valid(u))
		return ps_err_set(err, PS_E_AUTH, "user is not a valid user "
		    "id ([A-Za-z0-9_.-]{1,64})");
	snprintf(user, PS_USER_ID_MAX + 1, "%s", u);
	return PS_OK;
}

ps_code
ps_auth_identify(const ps_auth *auth, ps_req *req, char *user,
    ps_err *err)
{
	ps_code rc;

	if (user == NULL)
		return ps_err_set(err, PS_E_INTERNAL, "no user buffer");
	user[0] = '\0';
	if (auth == NULL || req == NULL)
		return ps_err_set(err, PS_E_INTERNAL, "no auth or request");
	switch (auth->mode) {
	case AUTH_JWT:
		rc = identify_jwt(auth, req, user, err);
		break;
	case AUTH_REMOTE_USER:
		rc = identify_remote_user(req, user, err);
		break;
	case AUTH_DEMO:
		rc = identify_demo(req, user, err);
		break;
	default:
		rc = ps_err_set(err, PS_E_INTERNAL, "unknown auth mode");
		break;
	}
	/* Whatever the mode, nothing else ever leaves as a user id. */
	if (rc == PS_OK && !ps_user_id_valid(user))
		rc = ps_err_set(err, PS_E_AUTH, "not a valid user id");
	if (rc != PS_OK)
		user[0] = '\0';
	return rc;
}
