/* ps_util.c - see ps_util.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "ps_util.h"

int
ps_user_id_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == PS_USER_ID_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return 0;
	}
	/*
	 * A user id is a directory name in storage paths: no leading dot,
	 * so not "." or "..", and not a hidden file a web server treats
	 * specially (".htaccess" would make Apache refuse every file of
	 * that kind's directory).
	 */
	return i > 0 && s[0] != '.';
}

ps_code
ps_random_bytes(void *buf, size_t n, ps_err *err)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return ps_err_set(err, PS_E_INTERNAL,
			    "getrandom failed: %s", strerror(errno));
		}
		p += got;
		n -= (size_t)got;
	}
	return PS_OK;
}

void
ps_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
ps_charset_ok(const char *s, size_t max, const char *allowed)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i == max || strchr(allowed, s[i]) == NULL)
			return 0;
	return i > 0;
}

int
ps_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ps_pct_decode(const char *src, size_t len, char *dst, size_t dstsz)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)src[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = ps_hexval(src[i + 1]);
			lo = ps_hexval(src[i + 2]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= dstsz)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

ps_code
ps_random_hex(char *out, size_t nbytes, ps_err *err)
{
	unsigned char buf[64];
	ps_code rc;

	if (nbytes > sizeof(buf))
		return ps_err_set(err, PS_E_INTERNAL, "random_hex: too long");
	if ((rc = ps_random_bytes(buf, nbytes, err)) != PS_OK)
		return rc;
	ps_hex(buf, nbytes, out);
	ps_wipe(buf, sizeof(buf));
	return PS_OK;
}

int64_t
ps_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ps_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ps_parse_i64(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;
	int neg = 0;

	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len || len - i > 18)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

void
ps_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}
