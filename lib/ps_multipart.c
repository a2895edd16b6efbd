/*
 * ps_multipart.c - streaming multipart/form-data parser; see
 * ps_multipart.h.
 *
 * The body is RFC 2046 5.1.1:
 *
 *   [preamble CRLF] "--" boundary padding CRLF part
 *   *( CRLF "--" boundary padding CRLF part )
 *   CRLF "--" boundary "--" [padding CRLF epilogue]
 *
 * Finding delimiters: the delimiter is CRLF "--" boundary and CR is not a
 * boundary character, so a delimiter can only start at a CR and no CR can
 * appear inside a partial match.  The scanner memchr()s for CR, compares
 * at most the delimiter's length there, and on a mismatch resumes at the
 * byte that failed: every byte is looked at a bounded number of times.
 * A partial match at the end of a feed is held back; the held bytes are
 * always a prefix of the delimiter, so they are not copied: on a mismatch
 * they are delivered from the parser's own copy of the delimiter.
 *
 * Decisions where the RFCs leave room (also in the tests):
 * - A full delimiter counts only when followed by "--" (close), transport
 *   padding, CR or LF; otherwise ("\r\n--boundaryX") it is data, as Go's
 *   mime/multipart does.  Padding, CR or LF commit to a boundary line,
 *   which must then be padding CRLF or the body is refused.
 * - Line ends are CRLF only.  A bare LF after a boundary or in part
 *   headers is refused (PS_E_INVALID) rather than guessed at; the data of
 *   a part is never looked at for line ends.
 * - Quoted-string values undo the backslash escape only before '"' and
 *   '\' (curl --form-escape, RFC 2183), so "C:\dir\a.txt" keeps its
 *   backslashes; then %22, %0D and %0A, the only escapes the WHATWG HTML
 *   form encoder, curl and urllib3 write, are decoded in name and
 *   filename (RFC 7578 4.2).  Other '%' are kept: browsers do not escape
 *   '%' itself.  filename*=UTF-8''... (RFC 5987) wins over filename.
 * - A body with only the close delimiter has zero parts and is accepted;
 *   what a form needs is the caller's business.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_error.h"
#include "ps_util.h"
#include "ps_multipart.h"

/* Transport padding accepted after a boundary (RFC 2046 5.1.1). */
#define PADDING_MAX 256
/* No such string in the part's string buffer. */
#define NONE SIZE_MAX

enum mp_state {
	ST_PREAMBLE,	/* before the first delimiter: discarded */
	ST_DATA,	/* a part's body: delivered */
	ST_BLINE,	/* after a delimiter: padding, then CR */
	ST_BLINE_LF,	/* after the CR of a boundary line */
	ST_HEADERS,	/* a part's header section */
	ST_EPILOGUE,	/* after the close delimiter: discarded */
	ST_ERROR
};

struct ps_multipart {
	enum mp_state state;
	ps_multipart_limits lim;
	ps_multipart_cb cb;
	ps_err err;		/* the sticky error once state is ST_ERROR */
	/* CRLF "--" boundary "--": the delimiter, then the close marker */
	char delim[4 + PS_MULTIPART_BOUNDARY_MAX + 2];
	size_t dlen;		/* length of the delimiter alone */
	size_t mlen;		/* bytes of delim matched and held back */
	size_t pad;		/* transport padding on this boundary line */
	uint64_t total;		/* bytes fed */
	size_t nparts;		/* parts begun */
	int in_part;		/* part_begin done, part_end not yet */
	int is_file;		/* the current part has a filename */
	size_t fbytes;		/* bytes of the current field's value */
	/* the header section of the current part */
	char *line;		/* current header line */
	size_t llen;
	size_t hbytes;		/* header section bytes so far */
	int hcr;		/* the previous header byte was CR */
	int have_cd;
	int have_ct;
	/* decoded strings of the current part, NUL terminated */
	char *sbuf;
	size_t slen;
	size_t ssz;
	size_t name_off;
	size_t fn_off;		/* filename= */
	size_t fnx_off;		/* filename*= */
	size_t ct_off;
};

static ps_code fail(ps_multipart *, ps_code, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static ps_code
fail(ps_multipart *mp, ps_code code, const char *fmt, ...)
{
	char msg[PS_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mp->state = ST_ERROR;
	return ps_err_set(&mp->err, code, "%s", msg);
}

static ps_code
copy_err(const ps_multipart *mp, ps_err *err)
{
	if (err != NULL)
		*err = mp->err;
	return mp->err.code;
}

/* A callback said no: keep its code, and its message if it gave one. */
static ps_code
refused(ps_multipart *mp, ps_code rc, const char *what)
{
	if (rc == PS_OK)
		return PS_OK;
	if (mp->err.code != rc || mp->err.msg[0] == '\0')
		ps_err_set(&mp->err, rc, "part %zu: refused by the %s handler",
		    mp->nparts, what);
	mp->state = ST_ERROR;
	return rc;
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9110 5.6.2 tchar */
static int
is_tchar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 2046 5.1.1 bchars (bcharsnospace / " ") */
static int
is_bchar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	    (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}


/* Does s[0..n) equal the lower-case literal lit, ignoring ASCII case? */
static int
ieq(const char *s, size_t n, const char *lit)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		if (lit[i] == '\0')
			return 0;
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lit[i])
			return 0;
	}
	return lit[n] == '\0';
}

static size_t
skip_ows(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

static size_t
token_len(const char *s, size_t n, size_t i)
{
	size_t j;

	for (j = i; j < n && is_tchar((unsigned char)s[j]); j++)
		continue;
	return j - i;
}

static ps_code
check_boundary(const char *b, size_t n, ps_err *err)
{
	size_t i;

	/* RFC 2046 5.1.1: boundary := 0*69<bchars> bcharsnospace */
	if (n == 0)
		return ps_err_set(err, PS_E_INVALID,
		    "empty multipart boundary");
	if (n > PS_MULTIPART_BOUNDARY_MAX)
		return ps_err_set(err, PS_E_INVALID,
		    "multipart boundary longer than %d characters "
		    "(RFC 2046 5.1.1)",
		    PS_MULTIPART_BOUNDARY_MAX);
	for (i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return ps_err_set(err, PS_E_INVALID, "multipart "
			    "boundary has a character RFC 2046 5.1.1 does "
			    "not allow (0x%02x at %zu)",
			    (unsigned int)(unsigned char)b[i], i);
	if (b[n - 1] == ' ')
		return ps_err_set(err, PS_E_INVALID, "multipart boundary "
		    "ends in a space (RFC 2046 5.1.1)");
	return PS_OK;
}

ps_code
ps_multipart_boundary(const char *ct, char *out, size_t outsz, ps_err *err)
{
	char val[PS_MULTIPART_BOUNDARY_MAX + 1];
	size_t n, i, t, pn, pl, vlen, blen = 0;
	int isb, found = 0;
	ps_code rc;

	if (ct == NULL)
		return ps_err_set(err, PS_E_UNSUPPORTED, "no Content-Type");
	n = strlen(ct);
	/* RFC 9110 8.3.1: type "/" subtype *( OWS ";" OWS [ parameter ] ) */
	i = skip_ows(ct, n, 0);
	t = token_len(ct, n, i);
	if (t == 0 || i + t >= n || ct[i + t] != '/' ||
	    !ieq(ct + i, t, "multipart"))
		goto unsupported;
	i += t + 1;
	t = token_len(ct, n, i);
	if (!ieq(ct + i, t, "form-data"))
		goto unsupported;
	i += t;
	for (;;) {
		i = skip_ows(ct, n, i);
		if (i == n)
			break;
		if (ct[i] != ';')
			return ps_err_set(err, PS_E_INVALID, "malformed "
			    "Content-Type parameters (RFC 9110 5.6.6)");
		i = skip_ows(ct, n, i + 1);
		if (i == n || ct[i] == ';')
			continue; /* RFC 9110 5.6.6: empty parameter */
		pn = i;
		pl = token_len(ct, n, i);
		i += pl;
		if (pl == 0 || i == n || ct[i] != '=')
			return ps_err_set(err, PS_E_INVALID, "malformed "
			    "Content-Type parameter (RFC 9110 5.6.6)");
		i++;
		isb = ieq(ct + pn, pl, "boundary");
		if (isb && found)
			return ps_err_set(err, PS_E_INVALID, "Content-Type "
			    "has two boundary parameters");
		vlen = 0;
		if (i < n && ct[i] == '"') {
			/* RFC 9110 5.6.4 quoted-string with quoted-pair */
			for (i++; i < n && ct[i] != '"'; i++) {
				if (ct[i] == '\\' && i + 1 < n)
					i++;
				if (isb && vlen < sizeof(val))
					val[vlen] = ct[i];
				vlen++;
			}
			if (i == n)
				return ps_err_set(err, PS_E_INVALID,
				    "unterminated quoted string in "
				    "Content-Type");
			i++;
		} else {
			/*
			 * A token, but taken up to ';' or space: bchars such
			 * as '=' and '/' are tspecials that senders often
			 * leave unquoted; check_boundary() judges the rest.
			 */
			for (; i < n && ct[i] != ';' && ct[i] != ' ' &&
			    ct[i] != '\t'; i++) {
				if (isb && vlen < sizeof(val))
					val[vlen] = ct[i];
				vlen++;
			}
		}
		if (!isb)
			continue;
		found = 1;
		rc = check_boundary(val, vlen, err);
		if (rc != PS_OK)
			return rc;
		blen = vlen;
	}
	if (!found)
		return ps_err_set(err, PS_E_INVALID, "multipart/form-data "
		    "without a boundary parameter (RFC 7578 4.1)");
	if (out == NULL || outsz <= blen)
		return ps_err_set(err, PS_E_INTERNAL, "boundary buffer too "
		    "small");
	memcpy(out, val, blen);
	out[blen] = '\0';
	return PS_OK;
unsupported:
	return ps_err_set(err, PS_E_UNSUPPORTED, "Content-Type \"%.60s\" is "
	    "not multipart/form-data", ct);
}

ps_code
ps_multipart_new(ps_multipart **mpp, const char *boundary,
    const ps_multipart_limits *lim, const ps_multipart_cb *cb, ps_err *err)
{
	ps_multipart *mp;
	size_t blen;
	ps_code rc;

	if (mpp == NULL || boundary == NULL)
		return ps_err_set(err, PS_E_INTERNAL, "ps_multipart_new: "
		    "NULL argument");
	*mpp = NULL;
	for (blen = 0; blen <= PS_MULTIPART_BOUNDARY_MAX &&
	    boundary[blen] != '\0'; blen++)
		continue;
	rc = check_boundary(boundary, blen, err);
	if (rc != PS_OK)
		return rc;
	mp = calloc(1, sizeof(*mp));
	if (mp == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	mp->lim.max_header_bytes = PS_MULTIPART_DEF_HEADER_BYTES;
	mp->lim.max_parts = PS_MULTIPART_DEF_PARTS;
	mp->lim.max_field_bytes = PS_MULTIPART_DEF_FIELD_BYTES;
	mp->lim.max_total_bytes = PS_MULTIPART_DEF_TOTAL_BYTES;
	if (lim != NULL) {
		if (lim->max_header_bytes != 0)
			mp->lim.max_header_bytes = lim->max_header_bytes;
		if (lim->max_parts != 0)
			mp->lim.max_parts = lim->max_parts;
		if (lim->max_field_bytes != 0)
			mp->lim.max_field_bytes = lim->max_field_bytes;
		if (lim->max_total_bytes != 0)
			mp->lim.max_total_bytes = lim->max_total_bytes;
	}
	if (mp->lim.max_header_bytes > PS_MULTIPART_MAX_HEADER_BYTES) {
		free(mp);
		return ps_err_set(err, PS_E_CONFIG, "multipart header limit "
		    "over %d bytes", PS_MULTIPART_MAX_HEADER_BYTES);
	}
	if (cb != NULL)
		mp->cb = *cb;
	/* Decoded strings are never longer than the header section. */
	mp->ssz = mp->lim.max_header_bytes + 8;
	mp->line = malloc(mp->lim.max_header_bytes + 1);
	mp->sbuf = malloc(mp->ssz);
	if (mp->line == NULL || mp->sbuf == NULL) {
		ps_multipart_free(mp);
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	}
	memcpy(mp->delim, "\r\n--", 4);
	memcpy(mp->delim + 4, boundary, blen);
	memcpy(mp->delim + 4 + blen, "--", 2);
	mp->dlen = 4 + blen;
	/*
	 * RFC 2046 5.1.1: the first dash-boundary may open the body with
	 * no CRLF before it; act as if the body began with one.
	 */
	mp->state = ST_PREAMBLE;
	mp->mlen = 2;
	*mpp = mp;
	return PS_OK;
}

void
ps_multipart_free(ps_multipart *mp)
{
	if (mp == NULL)
		return;
	free(mp->line);
	free(mp->sbuf);
	free(mp);
}

size_t
ps_multipart_parts(const ps_multipart *mp)
{
	return mp == NULL ? 0 : mp->nparts;
}

/* Bytes of the body that are not a delimiter. */
static ps_code
deliver(ps_multipart *mp, const char *buf, size_t len)
{
	ps_code rc;

	/* RFC 2046 5.1.1: the preamble is to be ignored. */
	if (len == 0 || mp->state != ST_DATA)
		return PS_OK;
	if (!mp->is_file) {
		if (len > mp->lim.max_field_bytes - mp->fbytes)
			return fail(mp, PS_E_TOO_LARGE,
			    "part %zu (\"%.40s\"): field value larger than "
			    "%zu bytes", mp->nparts,
			    mp->sbuf + mp->name_off, mp->lim.max_field_bytes);
		mp->fbytes += len;
	}
	if (mp->cb.part_data == NULL)
		return PS_OK;
	ps_err_clear(&mp->err);
	rc = mp->cb.part_data(mp->cb.arg, buf, len, &mp->err);
	return refused(mp, rc, "data");
}

/* A delimiter was recognised: end the part, if any. */
static ps_code
delimiter(ps_multipart *mp, int close)
{
	ps_code rc;

	mp->mlen = 0;
	if (mp->in_part) {
		mp->in_part = 0;
		if (mp->cb.part_end != NULL) {
			ps_err_clear(&mp->err);
			rc = mp->cb.part_end(mp->cb.arg, &mp->err);
			if (rc != PS_OK)
				return refused(mp, rc, "end");
		}
	}
	/* RFC 2046 5.1.1: after the close delimiter, the epilogue. */
	mp->state = close ? ST_EPILOGUE : ST_BLINE;
	mp->pad = 0;
	return PS_OK;
}

/*
 * RFC 2046 5.1.1: what may follow "--" boundary on a boundary line.
 * LF is included so that a bare LF is refused with a clear message.
 */
static int
commits(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Preamble or part data: deliver (or drop) what is not a delimiter, stop
 * after a delimiter.  *used is how much of buf was consumed.
 */
static ps_code
scan(ps_multipart *mp, const char *buf, size_t len, size_t *used)
{
	const char *cr;
	size_t i = 0, start, p, q, k, m, r, held;
	ps_code rc;
	char c;

	/* Go on with a match held back from the previous feed. */
	while (mp->mlen > 0 && i < len) {
		c = buf[i];
		if (mp->mlen < mp->dlen) {
			if (c == mp->delim[mp->mlen]) {
				mp->mlen++;
				i++;
				continue;
			}
		} else if (mp->mlen == mp->dlen) {
			if (c == '-') {
				mp->mlen++;
				i++;
				continue;
			}
			if (commits(c)) {
				*used = i;
				return delimiter(mp, 0);
			}
		} else if (c == '-') {
			*used = i + 1;
			return delimiter(mp, 1);
		}
		/*
		 * Not a delimiter: the held bytes are data.  CR appears
		 * only first in the delimiter, so no later delimiter can
		 * start inside them; rescan from the byte that failed.
		 */
		held = mp->mlen;
		mp->mlen = 0;
		rc = deliver(mp, mp->delim, held);
		if (rc != PS_OK)
			return rc;
	}
	start = p = i;
	while (p < len) {
		cr = memchr(buf + p, '\r', len - p);
		if (cr == NULL)
			break;
		q = (size_t)(cr - buf);
		k = len - q < mp->dlen ? len - q : mp->dlen;
		for (m = 1; m < k && buf[q + m] == mp->delim[m]; m++)
			continue;
		if (m < k) {
			p = q + m;
			continue;
		}
		r = q + k;
		if (k == mp->dlen && r < len) {
			if (buf[r] == '-' && r + 1 < len) {
				if (buf[r + 1] != '-') {
					p = r + 1;
					continue;
				}
				rc = deliver(mp, buf + start, q - start);
				if (rc != PS_OK)
					return rc;
				*used = r + 2;
				return delimiter(mp, 1);
			}
			if (buf[r] != '-') {
				if (!commits(buf[r])) {
					/* "\r\n--boundaryX" is data */
					p = r;
					continue;
				}
				rc = deliver(mp, buf + start, q - start);
				if (rc != PS_OK)
					return rc;
				*used = r;
				return delimiter(mp, 0);
			}
		}
		/* Could be a delimiter that the next feed completes. */
		rc = deliver(mp, buf + start, q - start);
		mp->mlen = len - q;
		*used = len;
		return rc;
	}
	*used = len;
	return deliver(mp, buf + start, len - start);
}

/* The rest of a boundary line: transport-padding CRLF. */
static ps_code
bline(ps_multipart *mp, const char *buf, size_t len, size_t *used)
{
	size_t i;
	char c;

	for (i = 0; i < len; i++) {
		c = buf[i];
		if (mp->state == ST_BLINE_LF) {
			if (c != '\n')
				return fail(mp, PS_E_INVALID, "CR without LF "
				    "after a multipart boundary");
			if (mp->nparts >= mp->lim.max_parts)
				return fail(mp, PS_E_TOO_LARGE,
				    "too many parts (more than %zu)",
				    mp->lim.max_parts);
			mp->nparts++;
			mp->state = ST_HEADERS;
			mp->llen = mp->hbytes = 0;
			mp->hcr = mp->have_cd = mp->have_ct = 0;
			mp->slen = 0;
			mp->name_off = mp->fn_off = mp->fnx_off = NONE;
			mp->ct_off = NONE;
			*used = i + 1;
			return PS_OK;
		}
		if (c == ' ' || c == '\t') {
			if (++mp->pad > PADDING_MAX)
				return fail(mp, PS_E_INVALID, "more than %d "
				    "bytes of padding after a multipart "
				    "boundary", PADDING_MAX);
		} else if (c == '\r')
			mp->state = ST_BLINE_LF;
		else if (c == '\n')
			return fail(mp, PS_E_INVALID, "bare LF after a "
			    "multipart boundary: lines must end in CRLF "
			    "(RFC 2046 5.1.1)");
		else
			return fail(mp, PS_E_INVALID, "junk after a multipart "
			    "boundary (RFC 2046 5.1.1)");
	}
	*used = len;
	return PS_OK;
}

/* Room in sbuf for a string decoded from n raw bytes. */
static ps_code
sreserve(ps_multipart *mp, size_t n)
{
	if (n >= mp->ssz - mp->slen)
		return fail(mp, PS_E_INTERNAL, "part %zu: header strings "
		    "overflow", mp->nparts);
	return PS_OK;
}

/*
 * RFC 7578 4.2 and the WHATWG form encoder: '"', CR and LF in names and
 * filenames are sent as %22, %0D, %0A.  Decode those three, in place.
 */
static size_t
html_unescape(char *s, size_t n)
{
	size_t i, o;
	int hi, lo, v;

	for (i = o = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n) {
			hi = ps_hexval((unsigned char)s[i + 1]);
			lo = ps_hexval((unsigned char)s[i + 2]);
			v = hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
			if (v == '"' || v == '\r' || v == '\n') {
				s[o++] = (char)v;
				i += 2;
				continue;
			}
		}
		s[o++] = s[i];
	}
	return o;
}

/* RFC 5987 3.2.1 attr-char */
static int
is_attr_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	    (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

/*
 * RFC 5987 3.2.1 ext-value: charset "'" [ language ] "'" value-chars,
 * decoded in place.  Only UTF-8 is taken (RFC 5987 3.2.1 requires UTF-8
 * and ISO-8859-1 support from recipients; senders use UTF-8).
 */
static ps_code
ext_value(ps_multipart *mp, char *s, size_t n, size_t *outn)
{
	const char *q1, *q2;
	size_t i, o;
	int hi, lo;

	q1 = memchr(s, '\'', n);
	q2 = NULL;
	if (q1 != NULL)
		q2 = memchr(q1 + 1, '\'', n - (size_t)(q1 - s) - 1);
	if (q2 == NULL)
		return fail(mp, PS_E_INVALID, "part %zu: malformed filename* "
		    "(RFC 5987 3.2.1)", mp->nparts);
	if (!ieq(s, (size_t)(q1 - s), "utf-8"))
		return fail(mp, PS_E_INVALID, "part %zu: filename* charset "
		    "is not UTF-8 (RFC 5987 3.2.1)", mp->nparts);
	o = 0;
	for (i = (size_t)(q2 - s) + 1; i < n; i++) {
		if (s[i] == '%') {
			hi = i + 2 < n ? ps_hexval((unsigned char)s[i + 1]) : -1;
			lo = i + 2 < n ? ps_hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return fail(mp, PS_E_INVALID, "part %zu: bad "
				    "percent-encoding in filename* (RFC 5987 "
				    "3.2.1)", mp->nparts);
			if (hi == 0 && lo == 0)
				return fail(mp, PS_E_INVALID, "part %zu: NUL "
				    "in filename*", mp->nparts);
			s[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (is_attr_char((unsigned char)s[i]))
			s[o++] = s[i];
		else
			return fail(mp, PS_E_INVALID, "part %zu: character "
			    "not allowed in filename* (RFC 5987 3.2.1)",
			    mp->nparts);
	}
	*outn = o;
	return PS_OK;
}

/*
 * One parameter value at v[*ip]: token or quoted-string (RFC 2183 2,
 * RFC 6266 4.1).  Stored in sbuf at *off unless off is NULL.
 */
static ps_code
param_value(ps_multipart *mp, const char *v, size_t n, size_t *ip,
    size_t *off, int ext)
{
	size_t i = *ip, t, o, len = 0;
	char *out;
	ps_code rc;

	rc = sreserve(mp, n - i);
	if (rc != PS_OK)
		return rc;
	out = mp->sbuf + mp->slen;
	o = 0;
	if (i < n && v[i] == '"') {
		for (i++; i < n && v[i] != '"'; i++) {
			/*
			 * quoted-pair, but only for '"' and '\': browsers
			 * do not escape '\', and Windows paths keep theirs.
			 */
			if (v[i] == '\\' && i + 1 < n &&
			    (v[i + 1] == '"' || v[i + 1] == '\\'))
				i++;
			out[o++] = v[i];
		}
		if (i == n)
			return fail(mp, PS_E_INVALID, "part %zu: unterminated "
			    "quoted string in Content-Disposition",
			    mp->nparts);
		i++;
	} else {
		t = token_len(v, n, i);
		if (t == 0)
			return fail(mp, PS_E_INVALID, "part %zu: malformed "
			    "Content-Disposition parameter value",
			    mp->nparts);
		memcpy(out, v + i, t);
		o = t;
		i += t;
	}
	*ip = i;
	if (off == NULL)
		return PS_OK;
	if (ext) {
		rc = ext_value(mp, out, o, &len);
		if (rc != PS_OK)
			return rc;
	} else
		len = html_unescape(out, o);
	out[len] = '\0';
	*off = mp->slen;
	mp->slen += len + 1;
	return PS_OK;
}

/* RFC 7578 4.2: Content-Disposition: form-data; name="..." */
static ps_code
disposition(ps_multipart *mp, const char *v, size_t n)
{
	size_t i, t, pn, pl, *off;
	int ext;
	ps_code rc;

	t = token_len(v, n, 0);
	if (!ieq(v, t, "form-data"))
		return fail(mp, PS_E_INVALID, "part %zu: Content-Disposition "
		    "is not form-data (RFC 7578 4.2)", mp->nparts);
	i = t;
	for (;;) {
		i = skip_ows(v, n, i);
		if (i == n)
			break;
		if (v[i] != ';')
			return fail(mp, PS_E_INVALID, "part %zu: malformed "
			    "Content-Disposition", mp->nparts);
		i = skip_ows(v, n, i + 1);
		if (i == n || v[i] == ';')
			continue; /* RFC 9110 5.6.6: empty parameter */
		pn = i;
		pl = token_len(v, n, i);
		i = skip_ows(v, n, i + pl);
		if (pl == 0 || i == n || v[i] != '=')
			return fail(mp, PS_E_INVALID, "part %zu: malformed "
			    "Content-Disposition parameter", mp->nparts);
		i = skip_ows(v, n, i + 1);
		ext = 0;
		if (ieq(v + pn, pl, "name"))
			off = &mp->name_off;
		else if (ieq(v + pn, pl, "filename"))
			off = &mp->fn_off;
		else if (ieq(v + pn, pl, "filename*")) {
			off = &mp->fnx_off;
			ext = 1;
		} else
			off = NULL;
		/* RFC 6266 4.1: a repeated parameter makes it invalid. */
		if (off != NULL && *off != NONE)
			return fail(mp, PS_E_INVALID, "part %zu: repeated "
			    "Content-Disposition parameter \"%.*s\"",
			    mp->nparts, (int)pl, v + pn);
		rc = param_value(mp, v, n, &i, off, ext);
		if (rc != PS_OK)
			return rc;
	}
	return PS_OK;
}

/* One complete header line, without its CRLF. */
static ps_code
header_line(ps_multipart *mp)
{
	const char *l = mp->line, *colon, *v;
	size_t n = mp->llen, nl, vl;
	ps_code rc;

	/* RFC 5322 2.2.3 / RFC 9112 5.2: obsolete line folding refused. */
	if (l[0] == ' ' || l[0] == '\t')
		return fail(mp, PS_E_INVALID, "part %zu: folded header line "
		    "(obsolete line folding is not accepted)", mp->nparts);
	colon = memchr(l, ':', n);
	nl = colon == NULL ? 0 : (size_t)(colon - l);
	if (colon == NULL || nl == 0 || token_len(l, nl, 0) != nl)
		return fail(mp, PS_E_INVALID, "part %zu: malformed header "
		    "line", mp->nparts);
	v = colon + 1;
	vl = n - nl - 1;
	while (vl > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (ieq(l, nl, "content-disposition")) {
		if (mp->have_cd)
			return fail(mp, PS_E_INVALID, "part %zu: two "
			    "Content-Disposition headers", mp->nparts);
		mp->have_cd = 1;
		return disposition(mp, v, vl);
	}
	if (ieq(l, nl, "content-type")) {
		if (mp->have_ct)
			return fail(mp, PS_E_INVALID, "part %zu: two "
			    "Content-Type headers", mp->nparts);
		if (vl == 0)
			return fail(mp, PS_E_INVALID, "part %zu: empty "
			    "Content-Type", mp->nparts);
		mp->have_ct = 1;
		rc = sreserve(mp, vl);
		if (rc != PS_OK)
			return rc;
		memcpy(mp->sbuf + mp->slen, v, vl);
		mp->sbuf[mp->slen + vl] = '\0';
		mp->ct_off = mp->slen;
		mp->slen += vl + 1;
		return PS_OK;
	}
	/*
	 * RFC 7578 4.7, 4.8: Content-Transfer-Encoding is deprecated and
	 * other headers are to be ignored.
	 */
	return PS_OK;
}

/* The blank line after a part's headers: the part begins. */
static ps_code
headers_done(ps_multipart *mp)
{
	ps_multipart_part p;
	ps_code rc;

	if (!mp->have_cd)
		return fail(mp, PS_E_INVALID, "part %zu: no "
		    "Content-Disposition header (RFC 7578 4.2)", mp->nparts);
	if (mp->name_off == NONE)
		return fail(mp, PS_E_INVALID, "part %zu: Content-Disposition "
		    "has no name (RFC 7578 4.2)", mp->nparts);
	p.name = mp->sbuf + mp->name_off;
	/* RFC 6266 4.3: filename* is preferred over filename. */
	if (mp->fnx_off != NONE)
		p.filename = mp->sbuf + mp->fnx_off;
	else if (mp->fn_off != NONE)
		p.filename = mp->sbuf + mp->fn_off;
	else
		p.filename = NULL;
	p.content_type = mp->ct_off == NONE ? NULL : mp->sbuf + mp->ct_off;
	p.index = mp->nparts - 1;
	mp->is_file = p.filename != NULL;
	mp->fbytes = 0;
	mp->mlen = 0;
	mp->state = ST_DATA;
	if (mp->cb.part_begin != NULL) {
		ps_err_clear(&mp->err);
		rc = mp->cb.part_begin(mp->cb.arg, &p, &mp->err);
		if (rc != PS_OK)
			return refused(mp, rc, "begin");
	}
	mp->in_part = 1;
	return PS_OK;
}

/* A part's header section, up to and including the blank line. */
static ps_code
headers(ps_multipart *mp, const char *buf, size_t len, size_t *used)
{
	size_t i;
	unsigned char c;
	ps_code rc;

	for (i = 0; i < len; i++) {
		c = (unsigned char)buf[i];
		if (++mp->hbytes > mp->lim.max_header_bytes)
			return fail(mp, PS_E_TOO_LARGE, "part %zu: header "
			    "section larger than %zu bytes", mp->nparts,
			    mp->lim.max_header_bytes);
		if (mp->hcr) {
			if (c != '\n')
				return fail(mp, PS_E_INVALID, "part %zu: CR "
				    "without LF in the headers", mp->nparts);
			mp->hcr = 0;
			if (mp->llen == 0) {
				*used = i + 1;
				return headers_done(mp);
			}
			rc = header_line(mp);
			if (rc != PS_OK)
				return rc;
			mp->llen = 0;
			continue;
		}
		if (c == '\r') {
			mp->hcr = 1;
			continue;
		}
		/* RFC 2046 5.1.1 and RFC 5322 2.2: lines end in CRLF. */
		if (c == '\n')
			return fail(mp, PS_E_INVALID, "part %zu: bare LF in "
			    "the headers: lines must end in CRLF",
			    mp->nparts);
		if (c == '\0')
			return fail(mp, PS_E_INVALID, "part %zu: NUL byte in "
			    "the headers", mp->nparts);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(mp, PS_E_INVALID, "part %zu: control "
			    "character in the headers", mp->nparts);
		mp->line[mp->llen++] = (char)c;
	}
	*used = len;
	return PS_OK;
}

ps_code
ps_multipart_feed(ps_multipart *mp, const char *buf, size_t len,
    ps_err *err)
{
	size_t off = 0, used;
	ps_code rc;

	if (mp == NULL || (buf == NULL && len > 0))
		return ps_err_set(err, PS_E_INTERNAL, "ps_multipart_feed: "
		    "NULL argument");
	if (mp->state == ST_ERROR)
		return copy_err(mp, err);
	if (len > mp->lim.max_total_bytes - mp->total) {
		fail(mp, PS_E_TOO_LARGE, "request body larger than %llu "
		    "bytes", (unsigned long long)mp->lim.max_total_bytes);
		return copy_err(mp, err);
	}
	mp->total += len;
	while (off < len) {
		used = 0;
		switch (mp->state) {
		case ST_PREAMBLE:
		case ST_DATA:
			rc = scan(mp, buf + off, len - off, &used);
			break;
		case ST_BLINE:
		case ST_BLINE_LF:
			rc = bline(mp, buf + off, len - off, &used);
			break;
		case ST_HEADERS:
			rc = headers(mp, buf + off, len - off, &used);
			break;
		case ST_EPILOGUE:
			/* RFC 2046 5.1.1: the epilogue is to be ignored. */
			used = len - off;
			rc = PS_OK;
			break;
		default:
			rc = fail(mp, PS_E_INTERNAL, "multipart parser in a "
			    "bad state");
			break;
		}
		if (rc != PS_OK)
			return copy_err(mp, err);
		off += used;
	}
	return PS_OK;
}

ps_code
ps_multipart_finish(ps_multipart *mp, ps_err *err)
{
	const char *where;

	if (mp == NULL)
		return ps_err_set(err, PS_E_INTERNAL, "ps_multipart_finish: "
		    "NULL argument");
	switch (mp->state) {
	case ST_ERROR:
		return copy_err(mp, err);
	case ST_EPILOGUE:
		return PS_OK;
	case ST_PREAMBLE:
		where = "before the first boundary";
		break;
	case ST_DATA:
		where = mp->mlen >= mp->dlen ? "right after a boundary" :
		    "in the data of a part";
		break;
	case ST_HEADERS:
		where = "in the headers of a part";
		break;
	default:
		where = "in a boundary line";
		break;
	}
	/* RFC 2046 5.1.1: the body ends with the close delimiter. */
	fail(mp, PS_E_INVALID, "multipart body cut short %s (part %zu, no "
	    "close delimiter)", where, mp->nparts);
	return copy_err(mp, err);
}
