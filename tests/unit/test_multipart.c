/*
 * test_multipart.c - the streaming multipart/form-data parser.
 *
 * Captured bodies (the .txt files in tests/data/multipart: curl, Python and
 * browser-format encoders) must give the parts listed in their .expect
 * side files however the body is cut into feeds; hand-made bodies prove
 * each rule of RFC 2046 5.1 / RFC 7578 and each limit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_error.h"
#include "ps_multipart.h"
#include "tap.h"

#define MAXP 32

/* ---- what the callbacks saw ---- */

struct got_part {
	char *name;
	char *filename;
	char *ctype;
	size_t index;
	char *data;		/* kept only when the collector stores */
	size_t len;
	size_t cap;
	uint64_t fnv;		/* FNV-1a 64 of the data */
	int ended;
};

struct coll {
	struct got_part p[MAXP];
	size_t n;
	int store;
	int in_part;
	int order_ok;		/* begin (data)* end, never nested */
	size_t delivered;	/* data bytes, all parts */
	size_t refuse_begin;	/* refuse part_begin of this index + 1 */
	size_t refuse_data;	/* refuse part_data in this index + 1 */
	size_t refuse_end;	/* refuse part_end of this index + 1 */
	ps_code refuse_code;
	size_t data_after_refusal;
	int refused;
};

#define FNV_INIT 0xcbf29ce484222325ULL

static uint64_t
fnv1a(uint64_t h, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static char *
xstrdup(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d == NULL)
		tap_bail("out of memory");
	memcpy(d, s, n);
	return d;
}

static void
coll_init(struct coll *c, int store)
{
	memset(c, 0, sizeof(*c));
	c->store = store;
	c->order_ok = 1;
}

static void
coll_free(struct coll *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->p[i].name);
		free(c->p[i].filename);
		free(c->p[i].ctype);
		free(c->p[i].data);
	}
	c->n = 0;
}

static ps_code
cb_begin(void *arg, const ps_multipart_part *p, ps_err *err)
{
	struct coll *c = arg;
	struct got_part *g;

	if (c->refused)
		c->data_after_refusal++;
	if (c->in_part || p->index != c->n)
		c->order_ok = 0;
	if (c->refuse_begin == p->index + 1) {
		c->refused = 1;
		return ps_err_set(err, c->refuse_code, "second part refused");
	}
	if (c->n == MAXP)
		return ps_err_set(err, PS_E_INTERNAL, "test: too many parts");
	g = &c->p[c->n++];
	g->name = xstrdup(p->name);
	g->filename = xstrdup(p->filename);
	g->ctype = xstrdup(p->content_type);
	g->index = p->index;
	g->fnv = FNV_INIT;
	c->in_part = 1;
	return PS_OK;
}

static ps_code
cb_data(void *arg, const char *buf, size_t len, ps_err *err)
{
	struct coll *c = arg;
	struct got_part *g;
	char *nd;

	if (c->refused)
		c->data_after_refusal++;
	if (!c->in_part || c->n == 0 || len == 0) {
		c->order_ok = 0;
		return PS_OK;
	}
	g = &c->p[c->n - 1];
	if (c->refuse_data == c->n) {
		c->refused = 1;
		/* no message: the parser must supply one */
		(void)err;
		return c->refuse_code;
	}
	if (c->store) {
		if (g->len + len > g->cap) {
			g->cap = (g->len + len) * 2;
			nd = realloc(g->data, g->cap);
			if (nd == NULL)
				tap_bail("out of memory");
			g->data = nd;
		}
		memcpy(g->data + g->len, buf, len);
	}
	g->len += len;
	g->fnv = fnv1a(g->fnv, buf, len);
	c->delivered += len;
	return PS_OK;
}

static ps_code
cb_end(void *arg, ps_err *err)
{
	struct coll *c = arg;

	if (c->refused)
		c->data_after_refusal++;
	if (!c->in_part || c->n == 0)
		c->order_ok = 0;
	c->in_part = 0;
	if (c->n > 0)
		c->p[c->n - 1].ended = 1;
	if (c->refuse_end == c->n) {
		c->refused = 1;
		return ps_err_set(err, c->refuse_code, "end refused");
	}
	return PS_OK;
}

/* ---- how a body is cut into feeds ---- */

enum split_kind { SPLIT_WHOLE, SPLIT_ONE, SPLIT_RANDOM, SPLIT_AT,
    SPLIT_CYCLE };

struct split {
	enum split_kind kind;
	uint32_t state;		/* xorshift32 state for SPLIT_RANDOM */
	size_t max;		/* largest random chunk */
	size_t at;		/* SPLIT_AT: first feed's length */
	const size_t *cycle;	/* SPLIT_CYCLE: sizes, 0 terminated */
	size_t ci;
	size_t nth;
};

static uint32_t
xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static struct split
split_random(uint32_t seed, size_t max)
{
	struct split s;

	memset(&s, 0, sizeof(s));
	s.kind = SPLIT_RANDOM;
	s.state = seed;
	s.max = max;
	return s;
}

static size_t
split_next(struct split *s, size_t left)
{
	size_t n;

	s->nth++;
	switch (s->kind) {
	case SPLIT_ONE:
		n = 1;
		break;
	case SPLIT_RANDOM:
		/* now and then an empty feed, which must change nothing */
		n = xorshift32(&s->state) % (s->max + 1);
		break;
	case SPLIT_AT:
		n = s->nth == 1 ? s->at : left;
		break;
	case SPLIT_CYCLE:
		n = s->cycle[s->ci++];
		if (s->cycle[s->ci] == 0)
			s->ci = 0;
		break;
	default:
		n = left;
		break;
	}
	return n < left ? n : left;
}

static ps_code
run(struct coll *c, const char *boundary, const ps_multipart_limits *lim,
    const char *body, size_t len, struct split *sp, ps_err *err)
{
	ps_multipart *mp;
	ps_multipart_cb cb;
	size_t off = 0, n;
	ps_code rc;

	cb.part_begin = cb_begin;
	cb.part_data = cb_data;
	cb.part_end = cb_end;
	cb.arg = c;
	rc = ps_multipart_new(&mp, boundary, lim, &cb, err);
	if (rc != PS_OK)
		return rc;
	while (off < len) {
		n = split_next(sp, len - off);
		rc = ps_multipart_feed(mp, body + off, n, err);
		if (rc != PS_OK)
			break;
		off += n;
	}
	if (rc == PS_OK)
		rc = ps_multipart_finish(mp, err);
	ps_multipart_free(mp);
	return rc;
}

/* ---- expected parts ---- */

struct exp {
	const char *name;
	const char *filename;	/* NULL: none */
	const char *ctype;	/* NULL: none */
	const char *data;	/* NULL: compare size and fnv only */
	size_t len;
	uint64_t fnv;
};

/* E(name, filename, type, data literal) */
#define E(n, f, t, d) { (n), (f), (t), (d), sizeof(d) - 1, 0 }

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static const char *
show(const char *s)
{
	return s == NULL ? "(null)" : s;
}

/* Compare what was collected with what was expected; diag the first diff. */
static int
same_parts(const struct coll *c, const struct exp *e, size_t ne)
{
	const struct got_part *g;
	size_t i;

	if (!c->order_ok) {
		tap_diag("  events out of order");
		return 0;
	}
	if (c->n != ne) {
		tap_diag("  got %zu parts, want %zu", c->n, ne);
		return 0;
	}
	for (i = 0; i < ne; i++) {
		g = &c->p[i];
		if (!str_same(g->name, e[i].name) ||
		    !str_same(g->filename, e[i].filename) ||
		    !str_same(g->ctype, e[i].ctype)) {
			tap_diag("  part %zu: got name=%s filename=%s "
			    "type=%s", i, show(g->name), show(g->filename),
			    show(g->ctype));
			tap_diag("  part %zu: want name=%s filename=%s "
			    "type=%s", i, show(e[i].name),
			    show(e[i].filename), show(e[i].ctype));
			return 0;
		}
		if (!g->ended || g->index != i) {
			tap_diag("  part %zu: not ended or bad index", i);
			return 0;
		}
		if (g->len != e[i].len) {
			tap_diag("  part %zu: got %zu data bytes, want %zu", i,
			    g->len, e[i].len);
			return 0;
		}
		if (e[i].data != NULL ? (c->store &&
		    memcmp(g->data == NULL ? "" : g->data, e[i].data,
		    g->len) != 0) : g->fnv != e[i].fnv) {
			tap_diag("  part %zu: data differs", i);
			return 0;
		}
	}
	return 1;
}

/* ---- captured bodies ---- */

static char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	long n;

	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL)
		tap_bail("out of memory");
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode s[0..n) into a new string; "-" alone is NULL. */
static char *
pct_decode(const char *s, size_t n, size_t *outn)
{
	char *d;
	size_t i, o = 0;

	if (n == 1 && s[0] == '-')
		return NULL;
	d = malloc(n + 1);
	if (d == NULL)
		tap_bail("out of memory");
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 &&
		    hexv(s[i + 2]) >= 0) {
			d[o++] = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
			i += 2;
		} else
			d[o++] = s[i];
	}
	d[o] = '\0';
	if (outn != NULL)
		*outn = o;
	return d;
}

struct expfile {
	char *ctype;
	struct exp e[MAXP];
	size_t n;
	char *text;
};

/* Value of "key=" in a part line, as a pointer and length. */
static const char *
field(const char *line, const char *key, size_t *n)
{
	size_t kl = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[kl] == '=') {
			p += kl + 1;
			*n = strcspn(p, " \n");
			return p;
		}
		p += kl;
	}
	return NULL;
}

static int
load_expect(const char *path, struct expfile *x)
{
	char *line, *next, *nl;
	const char *v;
	size_t n, len;
	struct exp *e;

	memset(x, 0, sizeof(*x));
	x->text = slurp(path, &len);
	if (x->text == NULL)
		return 0;
	for (line = x->text; *line != '\0'; line = next) {
		nl = strchr(line, '\n');
		next = nl == NULL ? line + strlen(line) : nl + 1;
		if (nl != NULL)
			*nl = '\0';
		if (strncmp(line, "content-type ", 13) == 0) {
			x->ctype = line + 13;
			continue;
		}
		if (strncmp(line, "part ", 5) != 0 || x->n == MAXP)
			continue;
		e = &x->e[x->n++];
		if ((v = field(line, "name", &n)) != NULL)
			e->name = pct_decode(v, n, NULL);
		if ((v = field(line, "filename", &n)) != NULL)
			e->filename = pct_decode(v, n, NULL);
		if ((v = field(line, "type", &n)) != NULL)
			e->ctype = pct_decode(v, n, NULL);
		if ((v = field(line, "data", &n)) != NULL) {
			e->data = pct_decode(v, n, &e->len);
			if (e->data == NULL) /* "-" is data too */
				e->data = xstrdup("-");
		} else {
			if ((v = field(line, "size", &n)) != NULL)
				e->len = strtoul(v, NULL, 10);
			if ((v = field(line, "fnv1a", &n)) != NULL)
				e->fnv = strtoull(v, NULL, 16);
		}
	}
	return x->ctype != NULL;
}

static void
free_expect(struct expfile *x)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		free((char *)x->e[i].name);
		free((char *)x->e[i].filename);
		free((char *)x->e[i].ctype);
		free((char *)x->e[i].data);
	}
	free(x->text);
}

static int
parse_and_compare(const char *boundary, const char *body, size_t len,
    struct split *sp, const struct expfile *x)
{
	struct coll c;
	ps_err err = {0};
	ps_code rc;
	int good;

	coll_init(&c, 1);
	ps_err_clear(&err);
	rc = run(&c, boundary, NULL, body, len, sp, &err);
	if (rc != PS_OK)
		tap_diag("  %s: %s", ps_code_name(rc), err.msg);
	good = rc == PS_OK && same_parts(&c, x->e, x->n);
	coll_free(&c);
	return good;
}

static void
test_captured(const char *srcdir, const char *base)
{
	static const struct { uint32_t seed; size_t max; } rnd[] = {
		{ 1, 2 }, { 7578, 7 }, { 2046, 33 }, { 0x5eed, 100 },
		{ 42, 1000 },
	};
	char path[1024], boundary[PS_MULTIPART_BOUNDARY_MAX + 1];
	struct expfile x;
	struct split sp;
	char *body;
	size_t len, i, bad;
	ps_err err = {0};
	ps_code rc;

	snprintf(path, sizeof(path), "%s/tests/data/multipart/%s.expect",
	    srcdir, base);
	if (!load_expect(path, &x)) {
		ok(0, "%s: expectations readable (%s)", base, path);
		free_expect(&x);
		return;
	}
	snprintf(path, sizeof(path), "%s/tests/data/multipart/%s.txt",
	    srcdir, base);
	body = slurp(path, &len);
	if (body == NULL) {
		ok(0, "%s: body readable (%s)", base, path);
		free_expect(&x);
		return;
	}
	rc = ps_multipart_boundary(x.ctype, boundary, sizeof(boundary), &err);
	ok(rc == PS_OK, "%s: boundary taken from its Content-Type", base);
	if (rc != PS_OK) {
		tap_diag("  %s", err.msg);
		free(body);
		free_expect(&x);
		return;
	}
	memset(&sp, 0, sizeof(sp));
	sp.kind = SPLIT_WHOLE;
	ok(parse_and_compare(boundary, body, len, &sp, &x),
	    "%s: parts match fed whole", base);
	sp.kind = SPLIT_ONE;
	ok(parse_and_compare(boundary, body, len, &sp, &x),
	    "%s: parts match fed 1 byte at a time", base);
	for (i = 0; i < sizeof(rnd) / sizeof(rnd[0]); i++) {
		sp = split_random(rnd[i].seed, rnd[i].max);
		ok(parse_and_compare(boundary, body, len, &sp, &x),
		    "%s: parts match fed in random chunks (seed %u, <= %zu)",
		    base, (unsigned int)rnd[i].seed, rnd[i].max);
	}
	for (bad = 0, i = 0; i <= len; i++) {
		memset(&sp, 0, sizeof(sp));
		sp.kind = SPLIT_AT;
		sp.at = i;
		if (!parse_and_compare(boundary, body, len, &sp, &x)) {
			tap_diag("  split at %zu", i);
			bad++;
		}
	}
	ok(bad == 0, "%s: parts match cut in two at each of %zu points",
	    base, len + 1);
	free(body);
	free_expect(&x);
}

/* ---- hand-made bodies ---- */

/*
 * Parse body whole, a byte at a time and in random chunks: every way
 * must end in want (and, for PS_OK, give the expected parts; for an
 * error, a message containing msg).
 */
static int
check(const char *boundary, const ps_multipart_limits *lim,
    const char *body, size_t len, ps_code want, const char *msg,
    const struct exp *e, size_t ne)
{
	struct split sps[5];
	struct coll c;
	ps_err err = {0};
	ps_code rc;
	size_t i;
	int good = 1;

	memset(sps, 0, sizeof(sps));
	sps[0].kind = SPLIT_WHOLE;
	sps[1].kind = SPLIT_ONE;
	sps[2] = split_random(3, 5);
	sps[3] = split_random(11, 40);
	sps[4] = split_random(99, 300);
	for (i = 0; i < 5 && good; i++) {
		coll_init(&c, 1);
		ps_err_clear(&err);
		rc = run(&c, boundary, lim, body, len, &sps[i], &err);
		if (rc != want) {
			tap_diag("  split %zu: got %s (%s), want %s", i,
			    ps_code_name(rc), err.msg, ps_code_name(want));
			good = 0;
		} else if (want == PS_OK)
			good = same_parts(&c, e, ne);
		else if (msg != NULL && strstr(err.msg, msg) == NULL) {
			tap_diag("  message \"%s\" lacks \"%s\"", err.msg,
			    msg);
			good = 0;
		} else if (err.code != want) {
			tap_diag("  err.code %d, returned %d", err.code, rc);
			good = 0;
		}
		coll_free(&c);
	}
	return good;
}

#define CD "Content-Disposition: form-data; "
#define OK_BODY(b, body, ...) do {					\
	static const struct exp e_[] = { __VA_ARGS__ };			\
	ok(check((b), NULL, (body), sizeof(body) - 1, PS_OK, NULL, e_,	\
	    sizeof(e_) / sizeof(e_[0])), "%s", name);			\
} while (0)
#define BAD_BODY(b, lim, body, code, msg)				\
	ok(check((b), (lim), (body), sizeof(body) - 1, (code), (msg),	\
	    NULL, 0), "%s", name)

static void
test_framing(void)
{
	const char *name;

	name = "preamble_and_epilogue_are_ignored";
	OK_BODY("B1",
	    "This is the preamble, --B1 here is not a boundary.\r\n"
	    "--B1\r\n" CD "name=\"kind\"\r\n\r\nview-once\r\n"
	    "--B1--\r\nEpilogue, with \r\n--B1\r\n in it.\r\n",
	    E("kind", NULL, NULL, "view-once"));

	name = "boundary_as_first_bytes_and_no_crlf_after_close";
	OK_BODY("B1",
	    "--B1\r\n" CD "name=\"a\"\r\n\r\n1\r\n--B1--",
	    E("a", NULL, NULL, "1"));

	name = "crlf_before_first_boundary";
	OK_BODY("B1",
	    "\r\n--B1\r\n" CD "name=\"a\"\r\n\r\n1\r\n--B1--\r\n",
	    E("a", NULL, NULL, "1"));

	name = "transport_padding_after_boundaries";
	OK_BODY("B1",
	    "--B1 \t \r\n" CD "name=\"a\"\r\n\r\n1\r\n--B1\t\r\n"
	    CD "name=\"b\"\r\n\r\n2\r\n--B1-- \r\n",
	    E("a", NULL, NULL, "1"), E("b", NULL, NULL, "2"));

	name = "close_delimiter_only_means_zero_parts";
	ok(check("B1", NULL, "--B1--\r\n", 8, PS_OK, NULL, NULL, 0), "%s",
	    name);

	name = "data_with_boundary_not_after_crlf_is_data";
	OK_BODY("B1",
	    "--B1\r\n" CD "name=\"a\"\r\n\r\n--B1\r\nx--B1--\r\n"
	    "\n--B1\r\n\r--B1\r\n--B1--\r\n",
	    E("a", NULL, NULL, "--B1\r\nx--B1--\r\n\n--B1\r\n\r--B1"));

	name = "data_with_delimiter_prefix_only_is_data";
	OK_BODY("Boundary",
	    "--Boundary\r\n" CD "name=\"a\"\r\n\r\n"
	    "x\r\n--Boundar\r\n--Bound\r\r\n\r\n--\r\n-\r"
	    "\r\n--Boundary--\r\n",
	    E("a", NULL, NULL,
	    "x\r\n--Boundar\r\n--Bound\r\r\n\r\n--\r\n-\r"));

	name = "data_with_boundary_then_other_char_is_data";
	OK_BODY("Boundary",
	    "--Boundary\r\n" CD "name=\"a\"\r\n\r\n"
	    "\r\n--BoundaryX\r\n--Boundary-x\r\n--Boundary_"
	    "\r\n--Boundary--\r\n",
	    E("a", NULL, NULL,
	    "\r\n--BoundaryX\r\n--Boundary-x\r\n--Boundary_"));

	name = "data_ending_in_crlf_dashes_is_kept";
	OK_BODY("B1",
	    "--B1\r\n" CD "name=\"a\"; filename=\"a.bin\"\r\n\r\n"
	    "x\r\n--\r\n\r\n--B1--\r\n",
	    E("a", "a.bin", NULL, "x\r\n--\r\n"));

	name = "empty_part_body";
	OK_BODY("B1",
	    "--B1\r\n" CD "name=\"note\"\r\n\r\n\r\n--B1\r\n"
	    CD "name=\"k\"\r\n\r\nv\r\n--B1--\r\n",
	    E("note", NULL, NULL, ""), E("k", NULL, NULL, "v"));

	name = "empty_file";
	OK_BODY("B1",
	    "--B1\r\n" CD "name=\"file\"; filename=\"empty.bin\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n\r\n--B1--\r\n",
	    E("file", "empty.bin", "application/octet-stream", ""));

	name = "binary_data_with_nul_and_cr_bytes";
	OK_BODY("B1",
	    "--B1\r\n" CD "name=\"f\"; filename=\"x\"\r\n\r\n"
	    "\0\r\0\n\r\r\r\n-\0\r\n--B1--\r\n",
	    E("f", "x", NULL, "\0\r\0\n\r\r\r\n-\0"));

	name = "single_char_boundary_dash";
	OK_BODY("-",
	    "---\r\n" CD "name=\"a\"\r\n\r\n\r\n----x\r\n---x\r\n-----\r\n",
	    E("a", NULL, NULL, "\r\n----x\r\n---x"));

	name = "boundary_with_inner_space_and_tspecials";
	OK_BODY("a b:c=d/e?",
	    "--a b:c=d/e?\r\n" CD "name=\"a\"\r\n\r\n1\r\n--a b:c=d/e?--",
	    E("a", NULL, NULL, "1"));
}

static void
test_headers(void)
{
	const char *name;

	name = "header_names_and_form_data_case_insensitive";
	OK_BODY("B1",
	    "--B1\r\ncontent-DISPOSITION: FORM-DATA; NAME=kind; "
	    "FileName=\"a.txt\"\r\nCONTENT-TYPE:text/plain\r\n\r\n"
	    "v\r\n--B1--\r\n",
	    E("kind", "a.txt", "text/plain", "v"));

	name = "other_headers_and_transfer_encoding_ignored";
	OK_BODY("B1",
	    "--B1\r\nX-Custom: 1\r\nContent-Transfer-Encoding: base64\r\n"
	    CD "name=\"a\"\r\nContent-ID: <x>\r\n\r\nnot base64!\r\n"
	    "--B1--\r\n",
	    E("a", NULL, NULL, "not base64!"));

	name = "quoted_and_escaped_filename";
	OK_BODY("B1",
	    "--B1\r\n" CD "name=\"f\"; filename=\"a\\\"b\\\\c\\d %41.txt\"\r\n"
	    "\r\nx\r\n--B1\r\n"
	    CD "name=\"x%22y%0D%0Az\" ; filename=\"%22q%22 %0a %zz.png\"\r\n"
	    "\r\ny\r\n--B1\r\n"
	    CD "name=\"semi;colon\"; filename=\"C:\\dir\\pic.png\"\r\n"
	    "\r\nz\r\n--B1--\r\n",
	    E("f", "a\"b\\c\\d %41.txt", NULL, "x"),
	    E("x\"y\r\nz", "\"q\" \n %zz.png", NULL, "y"),
	    E("semi;colon", "C:\\dir\\pic.png", NULL, "z"));

	name = "filename_star_utf8_wins_over_filename";
	OK_BODY("B1",
	    "--B1\r\n" CD "name=\"f\"; filename=\"rates.txt\"; "
	    "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nx\r\n--B1\r\n"
	    CD "name=g; filename*=utf-8'en'plain.txt\r\n\r\ny\r\n--B1--\r\n",
	    E("f", "\xe2\x82\xac rates.txt", NULL, "x"),
	    E("g", "plain.txt", NULL, "y"));

	name = "empty_name_accepted";
	OK_BODY("B1",
	    "--B1\r\n" CD "name=\"\"\r\n\r\n\r\n--B1--\r\n",
	    E("", NULL, NULL, ""));
}

static void
test_refusals(void)
{
	const char *name;

	name = "filename_star_other_charset_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=f; "
	    "filename*=iso-8859-1''a%E9.txt\r\n\r\nx\r\n--B1--\r\n",
	    PS_E_INVALID, "UTF-8");

	name = "filename_star_nul_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=f; "
	    "filename*=UTF-8''a%00b\r\n\r\nx\r\n--B1--\r\n",
	    PS_E_INVALID, "NUL");

	name = "nul_byte_in_name_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\0b\"\r\n\r\nx\r\n"
	    "--B1--\r\n", PS_E_INVALID, "NUL");

	name = "nul_byte_in_filename_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"; filename=\"\0\"\r\n"
	    "\r\nx\r\n--B1--\r\n", PS_E_INVALID, "NUL");

	name = "missing_content_disposition_name_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "filename=\"a.txt\"\r\n\r\nx\r\n"
	    "--B1--\r\n", PS_E_INVALID, "no name");

	name = "missing_content_disposition_refused";
	BAD_BODY("B1", NULL, "--B1\r\nContent-Type: text/plain\r\n\r\nx\r\n"
	    "--B1--\r\n", PS_E_INVALID, "no Content-Disposition");

	name = "disposition_other_than_form_data_refused";
	BAD_BODY("B1", NULL, "--B1\r\nContent-Disposition: attachment; "
	    "name=\"a\"\r\n\r\nx\r\n--B1--\r\n", PS_E_INVALID, "form-data");

	name = "repeated_name_parameter_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=a; name=b\r\n\r\nx\r\n"
	    "--B1--\r\n", PS_E_INVALID, "repeated");

	name = "two_content_disposition_headers_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=a\r\n" CD "name=b\r\n\r\n"
	    "x\r\n--B1--\r\n", PS_E_INVALID, "two");

	name = "unterminated_quoted_string_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\r\n\r\nx\r\n--B1--\r\n",
	    PS_E_INVALID, "unterminated");

	name = "folded_header_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "\r\n name=\"a\"\r\n\r\nx\r\n"
	    "--B1--\r\n", PS_E_INVALID, "folded");

	name = "header_without_colon_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=a\r\nnonsense\r\n\r\nx\r\n"
	    "--B1--\r\n", PS_E_INVALID, "malformed header");

	name = "lf_only_line_endings_refused";
	BAD_BODY("B1", NULL, "--B1\n" CD "name=\"a\"\n\nx\n--B1--\n",
	    PS_E_INVALID, "bare LF");

	name = "lf_only_header_line_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"\n\r\nx\r\n--B1--\r\n",
	    PS_E_INVALID, "bare LF");

	name = "bare_lf_after_boundary_in_data_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"\r\n\r\nx\r\n--B1\n"
	    "--B1--\r\n", PS_E_INVALID, "bare LF");

	name = "cr_without_lf_in_headers_refused";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"\rX\r\n\r\nx\r\n"
	    "--B1--\r\n", PS_E_INVALID, "CR without LF");

	name = "junk_after_boundary_padding_refused";
	BAD_BODY("B1", NULL, "--B1 junk\r\n" CD "name=\"a\"\r\n\r\nx\r\n"
	    "--B1--\r\n", PS_E_INVALID, "junk");
}

static void
test_cut_short(void)
{
	const char *name;

	name = "body_cut_in_data";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"\r\n\r\nsome da",
	    PS_E_INVALID, "body cut short");

	name = "body_cut_in_headers";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"\r\nContent-Ty",
	    PS_E_INVALID, "body cut short");

	name = "body_cut_right_after_boundary";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"\r\n\r\nx\r\n--B1",
	    PS_E_INVALID, "body cut short");

	name = "body_cut_right_after_boundary_line";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"\r\n\r\nx\r\n--B1\r\n",
	    PS_E_INVALID, "body cut short");

	name = "body_cut_after_boundary_and_one_dash";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"\r\n\r\nx\r\n--B1-",
	    PS_E_INVALID, "body cut short");

	name = "missing_close_delimiter";
	BAD_BODY("B1", NULL, "--B1\r\n" CD "name=\"a\"\r\n\r\nx\r\n",
	    PS_E_INVALID, "body cut short");

	name = "no_boundary_at_all";
	BAD_BODY("B1", NULL, "kind=view-once&file=x", PS_E_INVALID,
	    "before the first boundary");

	name = "empty_body";
	BAD_BODY("B1", NULL, "", PS_E_INVALID, "body cut short");
}

static void
test_limits(void)
{
	static const char two[] = "--B1\r\n" CD "name=\"a\"\r\n\r\n1\r\n"
	    "--B1\r\n" CD "name=\"b\"\r\n\r\n2\r\n--B1--\r\n";
	static const char three[] = "--B1\r\n" CD "name=\"a\"\r\n\r\n1\r\n"
	    "--B1\r\n" CD "name=\"b\"\r\n\r\n2\r\n"
	    "--B1\r\n" CD "name=\"c\"\r\n\r\n3\r\n--B1--\r\n";
	static const char hdr[] = "--B1\r\n" CD "name=\"a\"\r\n\r\n"
	    "1\r\n--B1--\r\n";
	static const char field[] = "--B1\r\n" CD "name=\"a\"\r\n\r\n"
	    "12345\r\n--B1\r\n" CD "name=\"f\"; filename=\"f\"\r\n\r\n"
	    "0123456789abcdef\r\n--B1--\r\n";
	static const char field6[] = "--B1\r\n" CD "name=\"a\"\r\n\r\n"
	    "123456\r\n--B1--\r\n";
	static const struct exp e2[] = {
		E("a", NULL, NULL, "1"), E("b", NULL, NULL, "2") };
	static const struct exp ef[] = {
		E("a", NULL, NULL, "12345"),
		E("f", "f", NULL, "0123456789abcdef") };
	static const struct exp eh[] = { E("a", NULL, NULL, "1") };
	ps_multipart_limits lim;
	/* header section: the CD line, its CRLF and the blank line */
	size_t hlen = sizeof(CD "name=\"a\"\r\n\r\n") - 1;

	memset(&lim, 0, sizeof(lim));
	lim.max_parts = 2;
	ok(check("B1", &lim, two, sizeof(two) - 1, PS_OK, NULL, e2, 2),
	    "max_parts_parts_accepted");
	ok(check("B1", &lim, three, sizeof(three) - 1, PS_E_TOO_LARGE,
	    "too many parts", NULL, 0), "too_many_parts_refused");

	memset(&lim, 0, sizeof(lim));
	lim.max_header_bytes = hlen;
	ok(check("B1", &lim, hdr, sizeof(hdr) - 1, PS_OK, NULL, eh, 1),
	    "header_section_at_limit_accepted");
	lim.max_header_bytes = hlen - 1;
	ok(check("B1", &lim, hdr, sizeof(hdr) - 1, PS_E_TOO_LARGE,
	    "header section larger", NULL, 0), "header_too_large_refused");

	memset(&lim, 0, sizeof(lim));
	lim.max_field_bytes = 5;
	ok(check("B1", &lim, field, sizeof(field) - 1, PS_OK, NULL, ef, 2),
	    "field_at_limit_and_bigger_file_accepted");
	ok(check("B1", &lim, field6, sizeof(field6) - 1, PS_E_TOO_LARGE,
	    "field value larger", NULL, 0), "field_too_large_refused");

	memset(&lim, 0, sizeof(lim));
	lim.max_total_bytes = sizeof(two) - 1;
	ok(check("B1", &lim, two, sizeof(two) - 1, PS_OK, NULL, e2, 2),
	    "total_at_limit_accepted");
	lim.max_total_bytes = sizeof(two) - 2;
	ok(check("B1", &lim, two, sizeof(two) - 1, PS_E_TOO_LARGE,
	    "body larger", NULL, 0), "total_too_large_refused");

	memset(&lim, 0, sizeof(lim));
	lim.max_header_bytes = PS_MULTIPART_MAX_HEADER_BYTES + 1;
	{
		ps_multipart *mp = NULL;
		ps_code rc = ps_multipart_new(&mp, "B1", &lim, NULL, NULL);

		ok(rc == PS_E_CONFIG && mp == NULL,
		    "absurd_header_limit_refused_at_new");
	}
}

static void
test_boundary_param(void)
{
	char b[PS_MULTIPART_BOUNDARY_MAX + 1], b70[71], b71[72], ct[128];
	ps_multipart *mp;
	ps_err err = {0};
	ps_code rc;

	rc = ps_multipart_boundary("multipart/form-data; boundary=abc", b,
	    sizeof(b), &err);
	ok(rc == PS_OK && strcmp(b, "abc") == 0, "boundary_token_form");
	rc = ps_multipart_boundary("Multipart/Form-Data ; charset=utf-8;"
	    "BOUNDARY=\"a b:c\\\"\" ;x=\"y;z\"", b, sizeof(b), &err);
	ok(rc == PS_E_INVALID, "boundary_quoted_with_bad_char_refused");
	rc = ps_multipart_boundary("Multipart/Form-Data ; charset=utf-8;"
	    "BOUNDARY=\"a b:c\" ;x=\"y;z\"", b, sizeof(b), &err);
	ok(rc == PS_OK && strcmp(b, "a b:c") == 0,
	    "boundary_quoted_case_insensitive_with_other_params");
	rc = ps_multipart_boundary("multipart/form-data; boundary===x==/+",
	    b, sizeof(b), &err);
	ok(rc == PS_OK && strcmp(b, "==x==/+") == 0,
	    "boundary_unquoted_tspecials_taken");
	rc = ps_multipart_boundary("text/plain", b, sizeof(b), &err);
	ok(rc == PS_E_UNSUPPORTED, "non_multipart_type_unsupported");
	rc = ps_multipart_boundary("multipart/mixed; boundary=x", b,
	    sizeof(b), &err);
	ok(rc == PS_E_UNSUPPORTED, "multipart_mixed_unsupported");
	rc = ps_multipart_boundary("multipart/form-data", b, sizeof(b),
	    &err);
	ok(rc == PS_E_INVALID && strstr(err.msg, "boundary") != NULL,
	    "missing_boundary_invalid");
	rc = ps_multipart_boundary("multipart/form-data; boundary=\"\"", b,
	    sizeof(b), &err);
	ok(rc == PS_E_INVALID, "empty_boundary_invalid");
	rc = ps_multipart_boundary("multipart/form-data; boundary=ab@c", b,
	    sizeof(b), &err);
	ok(rc == PS_E_INVALID && strstr(err.msg, "0x40") != NULL,
	    "invalid_boundary_chars_refused");
	rc = ps_multipart_boundary("multipart/form-data; boundary=\"ab \"",
	    b, sizeof(b), &err);
	ok(rc == PS_E_INVALID && strstr(err.msg, "space") != NULL,
	    "boundary_ending_in_space_refused");
	rc = ps_multipart_boundary("multipart/form-data; boundary=a; "
	    "boundary=b", b, sizeof(b), &err);
	ok(rc == PS_E_INVALID, "two_boundary_params_refused");
	rc = ps_multipart_new(&mp, "ab\tc", NULL, NULL, &err);
	ok(rc == PS_E_INVALID, "new_refuses_invalid_boundary");

	memset(b70, 'x', 70);
	b70[0] = '-';
	b70[69] = '7';
	b70[70] = '\0';
	memcpy(b71, b70, 70);
	b71[70] = 'y';
	b71[71] = '\0';
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b70);
	rc = ps_multipart_boundary(ct, b, sizeof(b), &err);
	ok(rc == PS_OK && strcmp(b, b70) == 0, "boundary_of_70_accepted");
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b71);
	rc = ps_multipart_boundary(ct, b, sizeof(b), &err);
	ok(rc == PS_E_INVALID && strstr(err.msg, "70") != NULL,
	    "boundary_of_71_refused");
	rc = ps_multipart_new(&mp, b71, NULL, NULL, &err);
	ok(rc == PS_E_INVALID, "new_refuses_boundary_of_71");
	{
		char body[512];
		static const struct exp e[] = { E("a", NULL, NULL,
		    "\r\n--xx") };
		int n = snprintf(body, sizeof(body), "--%s\r\n" CD
		    "name=\"a\"\r\n\r\n\r\n--xx\r\n--%s--\r\n", b70, b70);

		ok(check(b70, NULL, body, (size_t)n, PS_OK, NULL, e, 1),
		    "body_with_70_char_boundary_parsed");
	}
}

static void
test_callback_refusal(void)
{
	static const char body[] = "--B1\r\n" CD "name=\"f1\"; "
	    "filename=\"a\"\r\n\r\nAAAA\r\n--B1\r\n" CD "name=\"f2\"; "
	    "filename=\"b\"\r\n\r\nBBBB\r\n--B1--\r\n";
	ps_multipart *mp;
	ps_multipart_cb cb = { cb_begin, cb_data, cb_end, NULL };
	struct coll c;
	ps_err err = {0};
	ps_code rc, rc2;

	coll_init(&c, 1);
	c.refuse_begin = 2;
	c.refuse_code = PS_E_FORBIDDEN;
	cb.arg = &c;
	rc = ps_multipart_new(&mp, "B1", NULL, &cb, &err);
	if (rc != PS_OK)
		tap_bail("new: %s", err.msg);
	rc = ps_multipart_feed(mp, body, sizeof(body) - 1, &err);
	ok(rc == PS_E_FORBIDDEN && err.code == PS_E_FORBIDDEN &&
	    strcmp(err.msg, "second part refused") == 0,
	    "callback_error_stops_parsing_with_its_code_and_message");
	ok(c.n == 1 && c.p[0].ended && c.p[0].len == 4 &&
	    c.data_after_refusal == 0,
	    "no_events_after_callback_refusal");
	ps_err_clear(&err);
	rc2 = ps_multipart_feed(mp, "more", 4, &err);
	ok(rc2 == PS_E_FORBIDDEN && strcmp(err.msg,
	    "second part refused") == 0, "error_is_sticky_for_feed");
	rc2 = ps_multipart_finish(mp, &err);
	ok(rc2 == PS_E_FORBIDDEN, "error_is_sticky_for_finish");
	ps_multipart_free(mp);
	coll_free(&c);

	/* part_data refusing without a message still gets one */
	coll_init(&c, 1);
	c.refuse_data = 1;
	c.refuse_code = PS_E_UNSUPPORTED;
	cb.arg = &c;
	rc = ps_multipart_new(&mp, "B1", NULL, &cb, NULL);
	if (rc != PS_OK)
		tap_bail("new failed");
	rc = ps_multipart_feed(mp, body, sizeof(body) - 1, &err);
	ok(rc == PS_E_UNSUPPORTED && err.msg[0] != '\0' &&
	    c.data_after_refusal == 0,
	    "data_callback_refusal_gets_a_message");
	ps_multipart_free(mp);
	coll_free(&c);

	coll_init(&c, 1);
	c.refuse_end = 1;
	c.refuse_code = PS_E_IO;
	cb.arg = &c;
	rc = ps_multipart_new(&mp, "B1", NULL, &cb, NULL);
	if (rc != PS_OK)
		tap_bail("new failed");
	rc = ps_multipart_feed(mp, body, sizeof(body) - 1, NULL);
	ok(rc == PS_E_IO && c.n == 1 && c.data_after_refusal == 0,
	    "end_callback_refusal_stops_parsing");
	ps_multipart_free(mp);
	coll_free(&c);

	/* a limit error is sticky too, and a NULL err is fine */
	{
		ps_multipart_limits lim;

		memset(&lim, 0, sizeof(lim));
		lim.max_total_bytes = 10;
		rc = ps_multipart_new(&mp, "B1", &lim, NULL, NULL);
		if (rc != PS_OK)
			tap_bail("new failed");
		rc = ps_multipart_feed(mp, body, 11, NULL);
		rc2 = ps_multipart_feed(mp, "", 0, &err);
		ok(rc == PS_E_TOO_LARGE && rc2 == PS_E_TOO_LARGE &&
		    strstr(err.msg, "larger than 10") != NULL,
		    "limit_error_is_sticky");
		ps_multipart_free(mp);
	}
}

/* ---- a large part ---- */

#define BIG_B "bigBoundary0123456789"

/*
 * 1 MiB + a bit of pseudo-random bytes, salted with everything that looks
 * like a delimiter but is not one.
 */
static char *
big_data(size_t len)
{
	static const char *const salt[] = {
		"\r\n--", "\r\n--" BIG_B "X", "\r\n--" BIG_B "-y",
		"\r\n--bigBound" "Z", "\r", "\r\n", "\r\r\n--" BIG_B "_",
		"x--" BIG_B "\r\n", "\r\n-" BIG_B "\r\n",
	};
	uint32_t s = 0x1234567;
	size_t i = 0, n, k;
	char *d;

	d = malloc(len);
	if (d == NULL)
		tap_bail("out of memory");
	while (i < len) {
		if (xorshift32(&s) % 8 == 0) {
			k = xorshift32(&s) % (sizeof(salt) / sizeof(salt[0]));
			n = strlen(salt[k]);
			if (n > len - i)
				n = len - i;
			memcpy(d + i, salt[k], n);
			i += n;
		} else
			d[i++] = (char)(xorshift32(&s) & 0xff);
	}
	/* the random bytes must not end in a CR that would pair with us */
	d[len - 1] = 'E';
	return d;
}

static void
test_big_part(void)
{
	static const size_t cycle[] = { 1, 3, 4093, 7, 65537, 24, 25, 26,
	    27, 28, 131, 2, 0 };
	static const char head[] = "--" BIG_B "\r\n" CD "name=\"file\"; "
	    "filename=\"big.bin\"\r\nContent-Type: application/octet-stream"
	    "\r\n\r\n";
	static const char tail[] = "\r\n--" BIG_B "--\r\n";
	size_t dlen = 1024 * 1024 + 12345, blen, off, n, fed, lag, maxlag;
	size_t dstart, dend;
	ps_multipart_cb cb = { cb_begin, cb_data, cb_end, NULL };
	ps_multipart_limits lim;
	ps_multipart *mp;
	struct split sp;
	struct coll c;
	char *data, *body;
	uint64_t want;
	ps_err err = {0};
	ps_code rc = PS_OK;

	data = big_data(dlen);
	want = fnv1a(FNV_INIT, data, dlen);
	dstart = sizeof(head) - 1;
	dend = dstart + dlen;
	blen = dend + sizeof(tail) - 1;
	body = malloc(blen);
	if (body == NULL)
		tap_bail("out of memory");
	memcpy(body, head, dstart);
	memcpy(body + dstart, data, dlen);
	memcpy(body + dend, tail, sizeof(tail) - 1);

	coll_init(&c, 0);
	cb.arg = &c;
	memset(&lim, 0, sizeof(lim));
	lim.max_total_bytes = blen;
	rc = ps_multipart_new(&mp, BIG_B, &lim, &cb, &err);
	if (rc != PS_OK)
		tap_bail("new: %s", err.msg);
	memset(&sp, 0, sizeof(sp));
	sp.kind = SPLIT_CYCLE;
	sp.cycle = cycle;
	maxlag = 0;
	for (off = 0; off < blen && rc == PS_OK; off += n) {
		n = split_next(&sp, blen - off);
		rc = ps_multipart_feed(mp, body + off, n, &err);
		/* data fed but not yet delivered: the held-back bytes */
		fed = off + n;
		if (fed > dstart) {
			lag = (fed < dend ? fed : dend) - dstart - c.delivered;
			if (lag > maxlag)
				maxlag = lag;
		}
	}
	if (rc == PS_OK)
		rc = ps_multipart_finish(mp, &err);
	if (rc != PS_OK)
		tap_diag("  %s", err.msg);
	ok(rc == PS_OK && c.order_ok && c.n == 1 && c.p[0].ended &&
	    c.p[0].len == dlen && c.p[0].fnv == want,
	    "big_part_in_odd_chunks_delivered_intact (%zu bytes)", dlen);
	if (c.n == 1 && c.p[0].len != dlen)
		tap_diag("  got %zu bytes", c.p[0].len);
	ok(maxlag <= strlen(BIG_B) + 5,
	    "data_held_back_at_most_boundary_plus_5 (max %zu)", maxlag);
	ps_multipart_free(mp);
	coll_free(&c);

	/* the same body, whole and a byte at a time */
	coll_init(&c, 0);
	memset(&sp, 0, sizeof(sp));
	sp.kind = SPLIT_WHOLE;
	rc = run(&c, BIG_B, NULL, body, blen, &sp, &err);
	ok(rc == PS_OK && c.n == 1 && c.p[0].len == dlen &&
	    c.p[0].fnv == want, "big_part_fed_whole_delivered_intact");
	coll_free(&c);
	coll_init(&c, 0);
	sp.kind = SPLIT_ONE;
	rc = run(&c, BIG_B, NULL, body, blen, &sp, &err);
	ok(rc == PS_OK && c.n == 1 && c.p[0].len == dlen &&
	    c.p[0].fnv == want, "big_part_fed_bytewise_delivered_intact");
	coll_free(&c);
	free(body);
	free(data);
}

int
main(void)
{
	static const char *const files[] = {
		"curl-two-fields", "curl-file", "curl-quoted-name",
		"curl-form-escape", "curl-binary", "python-requests",
		"python-email", "chrome-upload", "firefox-upload",
	};
	const char *srcdir = getenv("srcdir");
	size_t i;

	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		test_captured(srcdir, files[i]);
	test_framing();
	test_headers();
	test_refusals();
	test_cut_short();
	test_limits();
	test_boundary_param();
	test_callback_refusal();
	test_big_part();
	return tap_done();
}
