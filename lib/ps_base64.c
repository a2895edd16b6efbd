/* ps_base64.c - strict unpadded base64url; see ps_base64.h. */
#include "config.h"

#include <stdint.h>

#include "ps_base64.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of a base64url character (RFC 4648, table 2), or -1. */
static int
b64url_value(unsigned char c)
{

	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

ps_code
ps_base64url_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outsz, size_t *outlen, ps_err *err)
{
	size_t i, n, need;
	uint32_t acc;
	int bits, val;

	if (outlen != NULL)
		*outlen = 0;
	if (in == NULL && inlen > 0)
		return ps_err_set(err, PS_E_INVALID, "base64url: no input");

	/*
	 * 4n+1 characters carry 6 spare bits, never a whole byte: no
	 * encoder produces that length (RFC 4648, section 4).
	 */
	if (inlen % 4 == 1)
		return ps_err_set(err, PS_E_INVALID,
		    "base64url: impossible length");
	need = (inlen / 4) * 3 + (inlen % 4 == 0 ? 0 : inlen % 4 - 1);
	if (need > outsz)
		return ps_err_set(err, PS_E_TOO_LARGE,
		    "base64url: decoded data too large");

	acc = 0;
	bits = 0;
	n = 0;
	for (i = 0; i < inlen; i++) {
		/* '=' padding is refused too: JWS omits it (RFC 7515, 2). */
		val = b64url_value((unsigned char)in[i]);
		if (val < 0)
			return ps_err_set(err, PS_E_INVALID,
			    "base64url: invalid character at offset %zu", i);
		acc = (acc << 6) | (uint32_t)val;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}

	/*
	 * Canonical encoding: the unused low bits of the last character
	 * must be zero (RFC 4648, section 3.5), so a signature has one
	 * spelling only.
	 */
	if (acc != 0)
		return ps_err_set(err, PS_E_INVALID,
		    "base64url: non-canonical final character");

	if (outlen != NULL)
		*outlen = n;
	return PS_OK;
}

ps_code
ps_base64url_encode(const unsigned char *in, size_t inlen, char *out,
    size_t outsz, size_t *outlen, ps_err *err)
{
	size_t i, n, need;
	uint32_t v;

	if (outlen != NULL)
		*outlen = 0;
	if (in == NULL && inlen > 0)
		return ps_err_set(err, PS_E_INVALID, "base64url: no input");
	if (inlen > (SIZE_MAX / 4) * 3 - 3)
		return ps_err_set(err, PS_E_TOO_LARGE,
		    "base64url: input too large");
	need = PS_BASE64URL_ENCODED_LEN(inlen) + 1;
	if (out == NULL || need > outsz)
		return ps_err_set(err, PS_E_TOO_LARGE,
		    "base64url: output buffer too small");

	n = 0;
	for (i = 0; i + 3 <= inlen; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[n++] = b64url_alphabet[(v >> 18) & 0x3f];
		out[n++] = b64url_alphabet[(v >> 12) & 0x3f];
		out[n++] = b64url_alphabet[(v >> 6) & 0x3f];
		out[n++] = b64url_alphabet[v & 0x3f];
	}
	if (inlen - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[n++] = b64url_alphabet[(v >> 18) & 0x3f];
		out[n++] = b64url_alphabet[(v >> 12) & 0x3f];
	} else if (inlen - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[n++] = b64url_alphabet[(v >> 18) & 0x3f];
		out[n++] = b64url_alphabet[(v >> 12) & 0x3f];
		out[n++] = b64url_alphabet[(v >> 6) & 0x3f];
	}
	out[n] = '\0';

	if (outlen != NULL)
		*outlen = n;
	return PS_OK;
}
