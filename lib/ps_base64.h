/*
 * ps_base64.h - strict base64url (RFC 4648, section 5) without padding.
 *
 * This is the encoding JWS uses for every segment (RFC 7515, section 2:
 * "with all trailing '=' characters omitted").  The decoder is strict so
 * that one byte string has exactly one accepted encoding: it refuses '='
 * padding, the '+' and '/' of plain base64, whitespace, a length that is
 * 1 modulo 4, and non-zero unused bits in the last character (RFC 4648,
 * section 3.5).  Both directions write into caller buffers and never
 * write past outsz.
 */
#ifndef PS_BASE64_H
#define PS_BASE64_H

#include <stddef.h>

#include "ps_error.h"

/* Bytes needed to decode inlen characters (an upper bound). */
#define PS_BASE64URL_DECODED_MAX(inlen) (((inlen) / 4) * 3 + 2)
/* Characters an encoding of inlen bytes takes, without the NUL. */
#define PS_BASE64URL_ENCODED_LEN(inlen) \
	(((inlen) / 3) * 4 + ((inlen) % 3 == 0 ? 0 : (inlen) % 3 + 1))

/*
 * Decode inlen characters of unpadded base64url into out (outsz bytes).
 * On success *outlen is the number of bytes written.  Fails with
 * PS_E_INVALID on any character or length the encoding does not allow,
 * and PS_E_TOO_LARGE when out is too small.  The message never quotes
 * the input.
 */
ps_code ps_base64url_decode(const char *in, size_t inlen,
    unsigned char *out, size_t outsz, size_t *outlen, ps_err *err);

/*
 * Encode inlen bytes as unpadded base64url into out, NUL-terminated;
 * outsz must be at least PS_BASE64URL_ENCODED_LEN(inlen) + 1, or the call
 * fails with PS_E_TOO_LARGE.  *outlen (may be NULL) gets the length
 * without the NUL.
 */
ps_code ps_base64url_encode(const unsigned char *in, size_t inlen,
    char *out, size_t outsz, size_t *outlen, ps_err *err);

#endif /* PS_BASE64_H */
