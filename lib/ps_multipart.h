/*
 * ps_multipart.h - streaming multipart/form-data parser (RFC 7578 on top
 * of RFC 2046 section 5.1).
 *
 * Bytes are pushed in as they arrive (ps_multipart_feed) and come out as
 * events: part_begin with the decoded part headers, part_data for each
 * piece of the part's body as soon as it is known not to be the start of
 * a delimiter, part_end when the part's delimiter has been seen.  Memory
 * is one fixed-size parser plus two buffers of max_header_bytes, whatever
 * the size of the body; at most boundary length + 5 bytes of data are held
 * back between two feeds.
 *
 * A callback returning anything but PS_OK stops the parser with that
 * code (its message, if it set one, is kept), and every later call
 * returns the same error.  Callbacks must not call back into the parser.
 */
#ifndef PS_MULTIPART_H
#define PS_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "ps_error.h"

/* RFC 2046 5.1.1: a boundary is 1 to 70 characters. */
#define PS_MULTIPART_BOUNDARY_MAX 70

/* Defaults used for a NULL limits pointer or a zero field. */
#define PS_MULTIPART_DEF_HEADER_BYTES 8192
#define PS_MULTIPART_DEF_PARTS 16
#define PS_MULTIPART_DEF_FIELD_BYTES 65536
#define PS_MULTIPART_DEF_TOTAL_BYTES ((uint64_t)64 * 1024 * 1024)
/* Largest max_header_bytes accepted (each part's headers are buffered). */
#define PS_MULTIPART_MAX_HEADER_BYTES (1024 * 1024)

typedef struct ps_multipart ps_multipart;

typedef struct ps_multipart_limits {
	size_t max_header_bytes;  /* a part's header section, all CRLFs */
	size_t max_parts;         /* parts in the body */
	size_t max_field_bytes;   /* value of a part without a filename */
	uint64_t max_total_bytes; /* whole body, preamble, epilogue */
} ps_multipart_limits;

typedef struct ps_multipart_part {
	const char *name;         /* form field name, decoded */
	const char *filename;     /* NULL when absent; "" is possible */
	const char *content_type; /* raw header value, NULL when absent */
	size_t index;             /* 0 for the first part */
} ps_multipart_part;

/*
 * Any callback may be NULL.  The strings of a ps_multipart_part are valid
 * only during part_begin: copy what must outlive it.
 */
typedef struct ps_multipart_cb {
	ps_code (*part_begin)(void *arg, const ps_multipart_part *p,
	    ps_err *err);
	ps_code (*part_data)(void *arg, const char *buf, size_t len,
	    ps_err *err);
	ps_code (*part_end)(void *arg, ps_err *err);
	void *arg;
} ps_multipart_cb;

/*
 * Extract the boundary from a Content-Type header value into out (NUL
 * terminated; outsz of PS_MULTIPART_BOUNDARY_MAX + 1 always suffices).
 * PS_E_UNSUPPORTED when the type is not multipart/form-data, PS_E_INVALID
 * when the boundary is missing or not a valid RFC 2046 boundary.
 */
ps_code ps_multipart_boundary(const char *content_type, char *out,
    size_t outsz, ps_err *err);

/* lim and cb may be NULL; the parser keeps a copy of both. */
ps_code ps_multipart_new(ps_multipart **mp, const char *boundary,
    const ps_multipart_limits *lim, const ps_multipart_cb *cb, ps_err *err);

/* Push the next len bytes of the body. */
ps_code ps_multipart_feed(ps_multipart *mp, const char *buf, size_t len,
    ps_err *err);

/*
 * The body has ended: PS_OK when the close delimiter was seen,
 * PS_E_INVALID ("body cut short") otherwise.
 */
ps_code ps_multipart_finish(ps_multipart *mp, ps_err *err);

/* Number of parts begun so far. */
size_t ps_multipart_parts(const ps_multipart *mp);

void ps_multipart_free(ps_multipart *mp);

#endif /* PS_MULTIPART_H */
