/*
 * ps_auth.h - who the caller is (AUTH_MODE).
 *
 *  jwt          Authorization: Bearer <JWT>; HS256 with JWT_SECRET, or
 *               RS256/ES256 with JWT_PUBLIC_KEY_FILE; `sub` is the user id.
 *  remote_user  the web server authenticated the user: REMOTE_USER.
 *  demo         user id from the `user` query/form field or the
 *               X-Pairstore-User header; for local trials only, logged
 *               loudly at start.  Only when AUTH_MODE=demo is set
 *               explicitly (it is never the default).
 * In every mode the user id must be [A-Za-z0-9_.-]{1,64}.
 */
#ifndef PS_AUTH_H
#define PS_AUTH_H

#include "ps_config.h"
#include "ps_error.h"
#include "ps_http.h"
#include "ps_util.h"

typedef struct ps_auth ps_auth;

/* Validate the AUTH_* and JWT_* settings and build the verifier once per
 * process.  PS_E_CONFIG with a message saying what to fix. */
ps_code ps_auth_new(ps_auth **auth, const ps_config *cfg, ps_err *err);
void ps_auth_free(ps_auth *auth);
/* "jwt (HS256)", "remote_user", "demo". */
const char *ps_auth_describe(const ps_auth *auth);

/*
 * Identify the caller of req; user receives the id (size
 * PS_USER_ID_MAX + 1).  PS_E_AUTH when no or bad identity (the message
 * says which, without echoing the credential).  In demo mode the form
 * field is looked up with ps_req_field() when the body was parsed, else
 * the query, else the header.
 */
ps_code ps_auth_identify(const ps_auth *auth, ps_req *req, char *user,
    ps_err *err);

#endif /* PS_AUTH_H */
