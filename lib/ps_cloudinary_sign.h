/*
 * ps_cloudinary_sign.h - Cloudinary API request signatures.
 *
 * PROTOCOLS.md, "Cloudinary Upload API", Signature: drop empty values,
 * join array values with ',', write each parameter as key=value with '&'
 * replaced by "%26" (signature version 2), sort by key, join with '&',
 * append the API secret, hash with SHA-1 or SHA-256, lowercase hex.
 *
 * A ps_cld_params is the list of parameters a request sends; the upload
 * code fills it once, signs it and sends the same fields, so what is
 * signed and what is sent cannot drift apart.
 *
 * ps_cld_sign() signs every parameter it is given (the PROTOCOLS.md test
 * vectors sign cloud_name that way).  ps_cld_sign_upload() is what an
 * upload or destroy request uses: it leaves out file, cloud_name,
 * resource_type, api_key and signature, which Cloudinary never signs.
 */
#ifndef PS_CLOUDINARY_SIGN_H
#define PS_CLOUDINARY_SIGN_H

#include <stddef.h>

#include "ps_error.h"

/* Limits: past any of them a call fails with PS_E_INVALID. */
#define PS_CLD_MAX_PARAMS 64	/* parameters in one request */
#define PS_CLD_MAX_KEY 64	/* bytes in a parameter name */
#define PS_CLD_MAX_VALUE 4096	/* bytes in a value, arrays once joined */
#define PS_CLD_MAX_SECRET 256	/* bytes in the API secret (PS_E_CONFIG) */

/* Room for the longest digest in hex (SHA-256) and its NUL. */
#define PS_CLD_HEX_SIZE 65

typedef enum ps_cld_algo {
	PS_CLD_SHA1 = 0,	/* the SDK default */
	PS_CLD_SHA256
} ps_cld_algo;

typedef struct ps_cld_params ps_cld_params;

ps_code ps_cld_params_new(ps_cld_params **out, ps_err *err);
void ps_cld_params_free(ps_cld_params *p);

/*
 * Add a parameter.  Names are 1 to PS_CLD_MAX_KEY of [a-z_], as every
 * Cloudinary parameter is: for those, byte order, the Node SDK's
 * localeCompare and pycloudinary's sorted() all agree, so the sort below
 * is the SDKs'.  A name may be added once.  A NULL or empty value is kept
 * but never signed, like null and "" in the SDK.
 */
ps_code ps_cld_params_add(ps_cld_params *p, const char *key,
    const char *value, ps_err *err);

/*
 * Add an array parameter (tags, allowed_formats, ...): the n values are
 * joined with ',' as JavaScript's Array.join does (a NULL element counts
 * as ""), so an empty array is an empty, unsigned value.
 */
ps_code ps_cld_params_add_list(ps_cld_params *p, const char *key,
    const char *const *values, size_t n, ps_err *err);

/* Number of parameters, and the i-th in the order added (arrays joined);
 * returns 0 when i is out of range. */
size_t ps_cld_params_count(const ps_cld_params *p);
int ps_cld_params_at(const ps_cld_params *p, size_t i, const char **key,
    const char **value);

/* 0 for the parameters an upload never signs (file, cloud_name,
 * resource_type, api_key, signature), 1 otherwise. */
int ps_cld_param_is_signed(const char *key);

/*
 * The string to sign, before the secret: every non-empty parameter, or
 * for the upload variant every non-empty signed one.  *out is allocated;
 * the caller frees it with free().  Cloudinary's 401 quotes the string it
 * computed, so logging ours alongside shows which rule disagreed.
 */
ps_code ps_cld_string_to_sign(const ps_cld_params *p, char **out,
    ps_err *err);
ps_code ps_cld_upload_string_to_sign(const ps_cld_params *p, char **out,
    ps_err *err);

/*
 * Hash the string to sign followed by secret with algo and write the
 * lowercase hex digest (40 or 64 characters) to hex_out; on failure
 * hex_out is the empty string.  The secret is never copied nor quoted in
 * an error message.
 */
ps_code ps_cld_sign(const ps_cld_params *p, const char *secret,
    ps_cld_algo algo, char hex_out[PS_CLD_HEX_SIZE], ps_err *err);
ps_code ps_cld_sign_upload(const ps_cld_params *p, const char *secret,
    ps_cld_algo algo, char hex_out[PS_CLD_HEX_SIZE], ps_err *err);

#endif /* PS_CLOUDINARY_SIGN_H */
