/*
 * ps_jwt.h - verify the Bearer tokens of the `jwt` identity mode.
 *
 * A verifier is built once from the configuration (JWT_SECRET, or a
 * public key file) and then used for every request of a long-running
 * FastCGI process.  It is immutable after ps_jwt_verifier_new(), so any
 * number of threads may call ps_jwt_verify() on it at once.
 *
 * Exactly one key is configured and it alone decides the algorithm:
 * an HMAC secret means HS256, an RSA public key RS256, an EC P-256
 * public key ES256.  The token's "alg" header must name that algorithm;
 * it never selects one (RFC 8725, section 3.1).
 *
 * Every refusal of a token is PS_E_AUTH with a short message that names
 * the rule broken ("token expired", "bad signature") and never quotes
 * the token or key material.  Unusable configuration is PS_E_CONFIG
 * with a message that says what to fix.
 */
#ifndef PS_JWT_H
#define PS_JWT_H

#include <stddef.h>

#include "ps_error.h"
#include "ps_util.h"	/* ps_user_id_valid(), PS_USER_ID_MAX */

/* Longest compact JWS accepted, in bytes. */
#define PS_JWT_MAX_TOKEN 8192
/* Shortest HS256 secret accepted (RFC 7518, section 3.2). */
#define PS_JWT_MIN_SECRET 32
/* Default clock skew allowed for exp, nbf and iat, in seconds. */
#define PS_JWT_DEFAULT_LEEWAY 30
/* Largest leeway accepted, in seconds (JWT_LEEWAY_S's range). */
#define PS_JWT_MAX_LEEWAY 600
/* A sub buffer of this size always holds a valid user id. */
#define PS_JWT_SUB_BUFSZ (PS_USER_ID_MAX + 1)

typedef struct ps_jwt_verifier ps_jwt_verifier;

/*
 * A zeroed ps_jwt_opts is a safe configuration apart from the key: no
 * leeway, exp required, no iss/aud check.  ps_jwt_opts_init() sets the
 * documented defaults (leeway PS_JWT_DEFAULT_LEEWAY).
 */
typedef struct ps_jwt_opts {
	const char *hs256_secret;        /* JWT_SECRET, or NULL */
	size_t hs256_secret_len;
	const char *public_key_pem_path; /* JWT_PUBLIC_KEY_FILE, or NULL */
	long leeway_s;                   /* JWT_LEEWAY_S */
	const char *issuer;              /* JWT_ISSUER: iss must equal it */
	const char *audience;            /* JWT_AUDIENCE: aud must hold it */
	int allow_no_exp;                /* 0: a token without exp fails */
} ps_jwt_opts;

/* Fill o with the defaults: no key, leeway 30 s, exp required. */
void ps_jwt_opts_init(ps_jwt_opts *o);

/*
 * Build a verifier from o; the strings in o are copied, so o may be
 * freed afterwards.  PS_E_CONFIG when no key or two keys are given,
 * the secret is shorter than PS_JWT_MIN_SECRET bytes, the key file
 * cannot be read or holds no usable public key (RSA under 2048 bits,
 * an EC curve other than P-256, another key type), or the leeway is
 * out of range.  PS_E_NOMEM when memory runs out.
 */
ps_code ps_jwt_verifier_new(ps_jwt_verifier **v, const ps_jwt_opts *o,
    ps_err *err);

/* Free v and wipe the secret it holds; NULL is ignored. */
void ps_jwt_verifier_free(ps_jwt_verifier *v);

/*
 * "HS256", "RS256" or "ES256": the one algorithm v accepts.  For the
 * startup log line.
 */
const char *ps_jwt_verifier_alg(const ps_jwt_verifier *v);

/*
 * Verify the compact JWS token (len bytes, no "Bearer " prefix) at time
 * now (Unix seconds; passed in so tests can fix the clock).  On PS_OK
 * the validated "sub" claim is copied to sub (subsz bytes; at least
 * PS_JWT_SUB_BUFSZ always suffices).  On failure sub is the empty
 * string and the code is PS_E_AUTH, or PS_E_NOMEM / PS_E_INTERNAL when
 * the fault is not the token's.
 */
ps_code ps_jwt_verify(const ps_jwt_verifier *v, const char *token,
    size_t len, long long now, char *sub, size_t subsz, ps_err *err);

#endif /* PS_JWT_H */
