/* ps_spool.c - see ps_spool.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ps_sniff.h"
#include "ps_spool.h"
#include "ps_util.h"

struct ps_spool {
	int fd;
	char *path;		/* named spools only */
	uint64_t max;
	uint64_t size;		/* bytes accepted (buffered or written) */
	int finished;
	int failed;		/* a write failed: the spool is unusable */
	int linked;		/* has a name outside the spool too */
	EVP_MD_CTX *md;
	unsigned char *buf;
	size_t buflen;
	size_t headlen;
	unsigned char head[PS_SNIFF_HEAD_BYTES];
	char hex[PS_SPOOL_SHA256_HEX];
};

static const char *
default_dir(void)
{
	const char *d = getenv("TMPDIR");

	return d != NULL && *d == '/' ? d : "/tmp";
}

static ps_code
open_file(ps_spool *sp, const char *dir, unsigned flags, ps_err *err)
{
	size_t n;

#ifdef O_TMPFILE
	if (!(flags & PS_SPOOL_NAMED)) {
		/* No O_EXCL: the local backend may link it into place. */
		sp->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (sp->fd >= 0)
			return PS_OK;
		/* Filesystems (and kernels) without O_TMPFILE say so with
		 * one of these; anything else is a real problem. */
		if (errno != EOPNOTSUPP && errno != EISDIR &&
		    errno != EINVAL)
			return ps_err_set(err, PS_E_IO,
			    "cannot create a spool file in %s: %s", dir,
			    strerror(errno));
	}
#else
	(void)flags;
#endif
	n = strlen(dir) + sizeof("/pairstore-spool-XXXXXX");
	if ((sp->path = malloc(n)) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	snprintf(sp->path, n, "%s/pairstore-spool-XXXXXX", dir);
	/* mkostemp creates the file with mode 0600, O_EXCL. */
	if ((sp->fd = mkostemp(sp->path, O_CLOEXEC)) < 0) {
		free(sp->path);
		sp->path = NULL;
		return ps_err_set(err, PS_E_IO,
		    "cannot create a spool file in %s: %s", dir,
		    strerror(errno));
	}
	return PS_OK;
}

ps_code
ps_spool_new(ps_spool **out, const char *dir, uint64_t max_bytes,
    unsigned flags, ps_err *err)
{
	ps_spool *sp;
	ps_code rc;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		dir = default_dir();
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	sp->fd = -1;
	sp->max = max_bytes;
	if ((sp->buf = malloc(PS_SPOOL_BUF_BYTES)) == NULL ||
	    (sp->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(sp->md, EVP_sha256(), NULL) != 1) {
		ps_spool_free(sp);
		return ps_err_set(err, PS_E_NOMEM,
		    "out of memory (spool buffers)");
	}
	if ((rc = open_file(sp, dir, flags, err)) != PS_OK) {
		ps_spool_free(sp);
		return rc;
	}
	*out = sp;
	return PS_OK;
}

static ps_code
write_all(ps_spool *sp, const unsigned char *p, size_t len, ps_err *err)
{
	while (len > 0) {
		ssize_t n = write(sp->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sp->failed = 1;
			return ps_err_set(err, PS_E_IO,
			    "cannot write the spool file: %s",
			    strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return PS_OK;
}

static ps_code
flush(ps_spool *sp, ps_err *err)
{
	ps_code rc;

	if (sp->buflen == 0)
		return PS_OK;
	rc = write_all(sp, sp->buf, sp->buflen, err);
	sp->buflen = 0;
	return rc;
}

ps_code
ps_spool_write(ps_spool *sp, const void *buf, size_t len, ps_err *err)
{
	const unsigned char *p = buf;
	ps_code rc;

	if (sp->finished)
		return ps_err_set(err, PS_E_INTERNAL,
		    "spool: write after finish");
	if (sp->failed)
		return ps_err_set(err, PS_E_IO, "spool: an earlier write "
		    "failed");
	if (len == 0)
		return PS_OK;
	if (len > sp->max || sp->size > sp->max - len) {
		sp->failed = 1;
		return ps_err_set(err, PS_E_TOO_LARGE,
		    "the file is larger than the limit of %llu bytes",
		    (unsigned long long)sp->max);
	}
	if (EVP_DigestUpdate(sp->md, p, len) != 1) {
		sp->failed = 1;
		return ps_err_set(err, PS_E_INTERNAL, "spool: SHA-256 failed");
	}
	if (sp->headlen < sizeof(sp->head)) {
		size_t n = sizeof(sp->head) - sp->headlen;
		if (n > len)
			n = len;
		memcpy(sp->head + sp->headlen, p, n);
		sp->headlen += n;
	}
	sp->size += len;
	/* Large pieces go straight to the file; small ones are gathered so
	 * a multipart parser's small callbacks do not each cost a write. */
	if (sp->buflen + len > PS_SPOOL_BUF_BYTES) {
		if ((rc = flush(sp, err)) != PS_OK)
			return rc;
		if (len >= PS_SPOOL_BUF_BYTES)
			return write_all(sp, p, len, err);
	}
	memcpy(sp->buf + sp->buflen, p, len);
	sp->buflen += len;
	return PS_OK;
}

ps_code
ps_spool_finish(ps_spool *sp, ps_err *err)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	ps_code rc;

	if (sp->finished)
		return PS_OK;
	if (sp->failed)
		return ps_err_set(err, PS_E_IO, "spool: an earlier write "
		    "failed");
	if ((rc = flush(sp, err)) != PS_OK)
		return rc;
	if (EVP_DigestFinal_ex(sp->md, d, &dlen) != 1 || dlen != 32)
		return ps_err_set(err, PS_E_INTERNAL, "spool: SHA-256 failed");
	ps_hex(d, dlen, sp->hex);
	/* The write buffer is not needed any more: give it back now, a
	 * store may take a while. */
	free(sp->buf);
	sp->buf = NULL;
	sp->finished = 1;
	return PS_OK;
}

int
ps_spool_finished(const ps_spool *sp)
{
	return sp->finished;
}

uint64_t
ps_spool_size(const ps_spool *sp)
{
	return sp->size;
}

const char *
ps_spool_sha256(const ps_spool *sp)
{
	return sp->hex;
}

const unsigned char *
ps_spool_head(const ps_spool *sp, size_t *len)
{
	*len = sp->headlen;
	return sp->head;
}

const char *
ps_spool_path(const ps_spool *sp)
{
	return sp->path;
}

int
ps_spool_fd(const ps_spool *sp)
{
	return sp->fd;
}

ps_code
ps_spool_pread(ps_spool *sp, void *buf, size_t len, uint64_t off,
    size_t *got, ps_err *err)
{
	ssize_t n;

	*got = 0;
	if (!sp->finished)
		return ps_err_set(err, PS_E_INTERNAL,
		    "spool: read before finish");
	if (off >= sp->size || len == 0)
		return PS_OK;
	if (len > sp->size - off)
		len = (size_t)(sp->size - off);
	if (off > (uint64_t)INT64_MAX)
		return ps_err_set(err, PS_E_INTERNAL, "spool: bad offset");
	do
		n = pread(sp->fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ps_err_set(err, PS_E_IO,
		    "cannot read the spool file: %s", strerror(errno));
	*got = (size_t)n;
	return PS_OK;
}

static int
link_cannot(int e)
{
	/* Another filesystem, no /proc, or a filesystem without hard links:
	 * the caller copies. */
	return e == EXDEV || e == ENOENT || e == EPERM || e == EMLINK ||
	    e == EOPNOTSUPP || e == ENOSYS || e == EACCES;
}

ps_code
ps_spool_link(ps_spool *sp, int dirfd, const char *name, mode_t mode,
    ps_err *err)
{
	char proc[64];
	int r, e;

	if (!sp->finished)
		return ps_err_set(err, PS_E_INTERNAL,
		    "spool: link before finish");
	/* The data reach the disk before the name does, so a crash never
	 * leaves a named but empty file. */
	if (fdatasync(sp->fd) < 0 && errno != EINVAL)
		return ps_err_set(err, PS_E_IO, "cannot sync the spool "
		    "file: %s", strerror(errno));
	if (fchmod(sp->fd, mode) < 0)
		return ps_err_set(err, PS_E_IO, "cannot set the mode of the "
		    "spool file: %s", strerror(errno));
	if (sp->path != NULL)
		r = linkat(AT_FDCWD, sp->path, dirfd, name, 0);
	else {
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on most kernels;
		 * the /proc path works for the file's owner. */
		r = linkat(sp->fd, "", dirfd, name, AT_EMPTY_PATH);
		if (r < 0 && (errno == EPERM || errno == ENOENT ||
		    errno == EINVAL)) {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d",
			    sp->fd);
			r = linkat(AT_FDCWD, proc, dirfd, name,
			    AT_SYMLINK_FOLLOW);
		}
	}
	if (r == 0) {
		sp->linked = 1;
		return PS_OK;
	}
	e = errno;
	/* Private again, unless a published name shares the inode. */
	if (!sp->linked)
		(void)fchmod(sp->fd, 0600);
	if (e == EEXIST)
		return ps_err_set(err, PS_E_CONFLICT, "%s already exists",
		    name);
	if (link_cannot(e))
		return ps_err_set(err, PS_E_UNSUPPORTED,
		    "cannot link the spool file into place: %s", strerror(e));
	return ps_err_set(err, PS_E_IO, "cannot link the spool file into "
	    "place: %s", strerror(e));
}

void
ps_spool_free(ps_spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->path != NULL) {
		(void)unlink(sp->path);
		free(sp->path);
	}
	EVP_MD_CTX_free(sp->md);
	free(sp->buf);
	free(sp);
}
