/*
 * fuzz_multipart.c - the streaming multipart/form-data parser
 * (lib/ps_multipart.c) and the Content-Type boundary it is built from.
 *
 * Input: three control bytes, a Content-Type header value up to the
 * first LF, then the body.
 *   byte 0  how the body is cut into feeds (seed and size distribution)
 *   byte 1  limits: bit 0 small header section, bit 1 few parts,
 *           bit 2 small field values, bit 3 small total
 *   byte 2  a callback that refuses: bits 0-1 which (none, begin, data,
 *           end), bits 2-5 for which part
 *
 * Invariants:
 *  - the same events (part names, filenames, content types, indexes,
 *    the size and FNV-1a hash of each completed part's data) and the
 *    same result whether the body is fed whole or in chunks of any size,
 *    zero-length feeds included;
 *  - events come in order (data only inside a part), a field's value
 *    never exceeds max_field_bytes, decoded strings never exceed the
 *    header limit, the part count never exceeds max_parts;
 *  - nothing is called back after a callback refused, and every later
 *    feed returns the same error;
 *  - the parser never reports PS_E_INTERNAL (its own "cannot happen").
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ps_multipart.h"
#include "fuzz_common.h"

#define MAX_REC_PARTS 20
#define CT_MAX 512

struct rec_part {
	char *name;
	char *filename;		/* NULL when absent */
	char *ctype;		/* NULL when absent */
	size_t index;
	uint64_t hash;
	size_t bytes;
	int ended;
};

struct rec {
	const ps_multipart_limits *lim;
	struct rec_part p[MAX_REC_PARTS];
	size_t nparts;		/* part_begin calls */
	int in_part;
	size_t data_total;
	size_t body_len;
	int refuse_cb;		/* 0 none, 1 begin, 2 data, 3 end */
	size_t refuse_at;
	int refused;		/* a callback said no: no more events */
};

static char *
dup_or_null(const char *s)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		abort();
	return d;
}

static void
check_string(const struct rec *r, const char *s, int raw_header)
{
	size_t i, n;

	if (s == NULL)
		return;
	n = strlen(s);
	FUZZ_CHECK(n <= r->lim->max_header_bytes,
	    "decoded string of %zu bytes over the header limit %zu", n,
	    r->lim->max_header_bytes);
	if (!raw_header)
		return;
	/* A raw header value: no CTL but HTAB reached the buffer. */
	for (i = 0; i < n; i++)
		FUZZ_CHECK(((unsigned char)s[i] >= 0x20 || s[i] == '\t') &&
		    (unsigned char)s[i] != 0x7f,
		    "control byte 0x%02x in a part Content-Type",
		    (unsigned char)s[i]);
}

static ps_code
on_begin(void *arg, const ps_multipart_part *mp, ps_err *err)
{
	struct rec *r = arg;
	struct rec_part *p;

	FUZZ_CHECK(!r->refused, "part_begin after a callback refused");
	FUZZ_CHECK(!r->in_part, "part_begin inside a part");
	FUZZ_CHECK(mp->name != NULL, "part without a name");
	FUZZ_CHECK(mp->index == r->nparts, "part index %zu, expected %zu",
	    mp->index, r->nparts);
	FUZZ_CHECK(r->nparts < r->lim->max_parts,
	    "part %zu begun over max_parts %zu", r->nparts,
	    r->lim->max_parts);
	check_string(r, mp->name, 0);
	check_string(r, mp->filename, 0);
	check_string(r, mp->content_type, 1);
	FUZZ_CHECK(r->nparts < MAX_REC_PARTS, "too many parts recorded");
	p = &r->p[r->nparts++];
	p->name = dup_or_null(mp->name);
	p->filename = dup_or_null(mp->filename);
	p->ctype = dup_or_null(mp->content_type);
	p->index = mp->index;
	p->hash = FUZZ_FNV_INIT;
	p->bytes = 0;
	p->ended = 0;
	r->in_part = 1;
	if (r->refuse_cb == 1 && mp->index == r->refuse_at) {
		r->refused = 1;
		return ps_err_set(err, PS_E_FORBIDDEN, "refused at begin");
	}
	return PS_OK;
}

static ps_code
on_data(void *arg, const char *buf, size_t len, ps_err *err)
{
	struct rec *r = arg;
	struct rec_part *p;

	FUZZ_CHECK(!r->refused, "part_data after a callback refused");
	FUZZ_CHECK(r->in_part, "part_data outside a part");
	FUZZ_CHECK(len > 0, "empty part_data");
	p = &r->p[r->nparts - 1];
	p->hash = fuzz_fnv1a(p->hash, buf, len);
	p->bytes += len;
	r->data_total += len;
	FUZZ_CHECK(r->data_total <= r->body_len,
	    "%zu data bytes out of a %zu-byte body", r->data_total,
	    r->body_len);
	if (p->filename == NULL)
		FUZZ_CHECK(p->bytes <= r->lim->max_field_bytes,
		    "field value of %zu bytes over the limit %zu", p->bytes,
		    r->lim->max_field_bytes);
	if (r->refuse_cb == 2 && p->index == r->refuse_at) {
		r->refused = 1;
		/* No message: the parser writes its own. */
		(void)err;
		return PS_E_TOO_LARGE;
	}
	return PS_OK;
}

static ps_code
on_end(void *arg, ps_err *err)
{
	struct rec *r = arg;
	struct rec_part *p;

	FUZZ_CHECK(!r->refused, "part_end after a callback refused");
	FUZZ_CHECK(r->in_part, "part_end outside a part");
	p = &r->p[r->nparts - 1];
	p->ended = 1;
	r->in_part = 0;
	if (r->refuse_cb == 3 && p->index == r->refuse_at) {
		r->refused = 1;
		return ps_err_set(err, PS_E_CONFLICT, "refused at end");
	}
	return PS_OK;
}

static void
rec_free(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->nparts; i++) {
		free(r->p[i].name);
		free(r->p[i].filename);
		free(r->p[i].ctype);
	}
}

/*
 * Parse body with feeds of the sizes split() picks; *rc is the first
 * failure (or finish's result).  mode 0 is one feed of everything.
 */
static void
run(const char *boundary, const ps_multipart_limits *lim,
    const uint8_t *body, size_t len, int mode, uint64_t seed, struct rec *r,
    ps_code *rc_out)
{
	ps_multipart_cb cb = { on_begin, on_data, on_end, r };
	ps_multipart *mp = NULL;
	ps_err err, err2;
	size_t off = 0, n;
	ps_code rc;

	rc = ps_multipart_new(&mp, boundary, lim, &cb, &err);
	FUZZ_CHECK(rc == PS_OK, "ps_multipart_new refused the boundary "
	    "ps_multipart_boundary gave: %s", err.msg);
	rc = PS_OK;
	while (off < len) {
		switch (mode) {
		case 0:
			n = len - off;
			break;
		case 1:		/* single bytes (short bodies) */
			n = 1;
			break;
		case 2:		/* about a delimiter's length, or 0 */
			n = (size_t)(fuzz_rand(&seed) % 84);
			break;
		default:	/* anything up to 4 KiB */
			n = (size_t)(fuzz_rand(&seed) % 4097);
			break;
		}
		if (n > len - off)
			n = len - off;
		rc = ps_multipart_feed(mp, (const char *)body + off, n, &err);
		if (rc != PS_OK)
			break;
		off += n;
	}
	/* An empty feed changes nothing. */
	if (rc == PS_OK && mode != 0)
		rc = ps_multipart_feed(mp, (const char *)body, 0, &err);
	if (rc == PS_OK)
		rc = ps_multipart_finish(mp, &err);
	if (rc != PS_OK) {
		fuzz_check_err_msg(&err);
		FUZZ_CHECK(err.code == rc, "error code %d, returned %d",
		    (int)err.code, (int)rc);
		FUZZ_CHECK(rc != PS_E_INTERNAL && rc != PS_E_NOMEM,
		    "parser failure: %s", err.msg);
		/* Sticky: the same error again, and no callback. */
		FUZZ_CHECK(ps_multipart_feed(mp, "\r\n--", 4, &err2) == rc,
		    "error not sticky");
		FUZZ_CHECK(ps_multipart_finish(mp, &err2) == rc,
		    "error not sticky at finish");
	}
	FUZZ_CHECK(ps_multipart_parts(mp) >= r->nparts &&
	    ps_multipart_parts(mp) <= r->nparts + 1,
	    "ps_multipart_parts %zu, %zu begun", ps_multipart_parts(mp),
	    r->nparts);
	ps_multipart_free(mp);
	*rc_out = rc;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ps_log_set_level(PS_LOG_OFF);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ct[CT_MAX + 1], boundary[PS_MULTIPART_BOUNDARY_MAX + 1];
	ps_multipart_limits lim;
	struct rec whole, split;
	const uint8_t *nl, *body;
	size_t ctlen, len, i;
	ps_code rc_whole, rc_split;
	uint64_t seed;
	int mode;
	ps_err err;

	if (size < 4)
		return 0;
	nl = memchr(data + 3, '\n', size - 3);
	if (nl == NULL)
		return 0;
	ctlen = (size_t)(nl - (data + 3));
	if (ctlen > CT_MAX || memchr(data + 3, '\0', ctlen) != NULL)
		return 0;
	memcpy(ct, data + 3, ctlen);
	ct[ctlen] = '\0';
	if (ps_multipart_boundary(ct, boundary, sizeof(boundary), &err) !=
	    PS_OK) {
		fuzz_check_err_msg(&err);
		return 0;
	}
	body = nl + 1;
	len = size - (size_t)(body - data);

	memset(&lim, 0, sizeof(lim));
	lim.max_header_bytes = (data[1] & 1) ? 256 :
	    PS_MULTIPART_DEF_HEADER_BYTES;
	lim.max_parts = (data[1] & 2) ? 3 : PS_MULTIPART_DEF_PARTS;
	lim.max_field_bytes = (data[1] & 4) ? 64 :
	    PS_MULTIPART_DEF_FIELD_BYTES;
	lim.max_total_bytes = (data[1] & 8) ? 2048 :
	    PS_MULTIPART_DEF_TOTAL_BYTES;

	memset(&whole, 0, sizeof(whole));
	whole.lim = &lim;
	whole.body_len = len;
	whole.refuse_cb = data[2] & 3;
	whole.refuse_at = (data[2] >> 2) & 15;
	split = whole;

	run(boundary, &lim, body, len, 0, 0, &whole, &rc_whole);
	mode = 1 + (data[0] & 3) % 3;
	if (mode == 1 && len > 4096)
		mode = 2;
	seed = fuzz_fnv1a(FUZZ_FNV_INIT, data, 1) ^ len;
	run(boundary, &lim, body, len, mode, seed, &split, &rc_split);

	/*
	 * A feed that would pass the total limit is refused before any of
	 * it is parsed: whole, that is the first thing seen; in chunks an
	 * earlier error may come first.  Either way the body is refused.
	 */
	if (len > lim.max_total_bytes) {
		FUZZ_CHECK(rc_whole == PS_E_TOO_LARGE && rc_split != PS_OK,
		    "over the total limit: whole %d, chunks %d",
		    (int)rc_whole, (int)rc_split);
	} else {
		FUZZ_CHECK(rc_whole == rc_split, "whole body gives %d, chunks "
		    "(mode %d) give %d", (int)rc_whole, mode, (int)rc_split);
		FUZZ_CHECK(whole.nparts == split.nparts,
		    "%zu parts whole, %zu in chunks", whole.nparts,
		    split.nparts);
		for (i = 0; i < whole.nparts; i++) {
			const struct rec_part *a = &whole.p[i],
			    *b = &split.p[i];

			FUZZ_CHECK(str_eq(a->name, b->name) &&
			    str_eq(a->filename, b->filename) &&
			    str_eq(a->ctype, b->ctype) &&
			    a->index == b->index,
			    "part %zu headers differ between feeds", i);
			FUZZ_CHECK(a->ended == b->ended,
			    "part %zu ended in one run only", i);
			if (a->ended)
				FUZZ_CHECK(a->bytes == b->bytes &&
				    a->hash == b->hash, "part %zu data: %zu "
				    "bytes whole, %zu in chunks", i, a->bytes,
				    b->bytes);
		}
	}
	rec_free(&whole);
	rec_free(&split);
	return 0;
}
