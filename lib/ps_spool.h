/*
 * ps_spool.h - an upload's file, written once to a private temp file.
 *
 * DESIGN.md, "Storage chain": the file part of an upload is streamed to a
 * temp file as it arrives, with its SHA-256 and the head bytes type
 * detection needs computed on the way, so memory stays the same whatever
 * the size.  Backends then read it back from the start, or any offset
 * (Cloudinary chunks), as often as they need (a failed backend is
 * followed by the next one).
 *
 * The file is an O_TMPFILE (no name at all, so it disappears with the
 * process even on SIGKILL) where the filesystem supports it, else a
 * mkstemp(3) file with mode 0600 that ps_spool_free() unlinks.  Every
 * path out of an upload calls ps_spool_free(): after it nothing of the
 * spool is left, on disk or open.
 */
#ifndef PS_SPOOL_H
#define PS_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ps_error.h"

/* Bytes gathered before one write(2); the spool's only large buffer. */
#define PS_SPOOL_BUF_BYTES (64 * 1024)
/* Room for the SHA-256 in hex and its NUL. */
#define PS_SPOOL_SHA256_HEX 65

/* Keep a name in dir (mkstemp) instead of trying O_TMPFILE first: for
 * filesystems without O_TMPFILE, and for tests of that path. */
#define PS_SPOOL_NAMED 0x1

typedef struct ps_spool ps_spool;

/*
 * Create an empty spool in dir (NULL: $TMPDIR, else /tmp).  A write that
 * would take the file past max_bytes fails with PS_E_TOO_LARGE and the
 * spool refuses everything after it.
 */
ps_code ps_spool_new(ps_spool **sp, const char *dir, uint64_t max_bytes,
    unsigned flags, ps_err *err);

/* Append len bytes (any split of the stream gives the same result). */
ps_code ps_spool_write(ps_spool *sp, const void *buf, size_t len,
    ps_err *err);

/*
 * No more data: flush, finish the hash.  Reads, the hash and linking are
 * available only after it; calling it again is harmless.
 */
ps_code ps_spool_finish(ps_spool *sp, ps_err *err);
int ps_spool_finished(const ps_spool *sp);

/* Bytes written so far (the file's size once finished). */
uint64_t ps_spool_size(const ps_spool *sp);
/* Lowercase hex SHA-256 of the content; "" until finished. */
const char *ps_spool_sha256(const ps_spool *sp);
/* The first min(size, PS_SNIFF_HEAD_BYTES) bytes, for ps_sniff(). */
const unsigned char *ps_spool_head(const ps_spool *sp, size_t *len);

/*
 * Read up to len bytes at offset off (a finished spool only); *got is 0
 * at the end of the file.  Reads never move a shared file offset, so a
 * backend may read ranges in any order.
 */
ps_code ps_spool_pread(ps_spool *sp, void *buf, size_t len, uint64_t off,
    size_t *got, ps_err *err);

/*
 * Give the spooled file a name: dirfd/name with the given mode, without
 * copying, once its data are on disk (fdatasync).  O_TMPFILE spools are
 * linked with linkat(2) (AT_EMPTY_PATH, else /proc/self/fd/N), named
 * ones with link(2); an existing name is never replaced.  The file is
 * complete when the name appears.  PS_E_UNSUPPORTED when that cannot be
 * done here (another filesystem, no /proc...): the caller copies
 * instead.  The spool itself is still removed by ps_spool_free().
 */
ps_code ps_spool_link(ps_spool *sp, int dirfd, const char *name,
    mode_t mode, ps_err *err);

/* The temp file's path for a named spool, NULL for an O_TMPFILE one. */
const char *ps_spool_path(const ps_spool *sp);
/* The file descriptor (tests check it is closed after free). */
int ps_spool_fd(const ps_spool *sp);

/* Close and remove the file; sp may be NULL. */
void ps_spool_free(ps_spool *sp);

#endif /* PS_SPOOL_H */
