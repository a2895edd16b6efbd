/*
 * ps_storage_local.c - the last-resort backend: files under
 * LOCAL_STORAGE_DIR, served by the web server at LOCAL_STORAGE_URL.
 *
 * <dir>/<kind>/<userId>/<name>; the kind and user directories are made
 * (0750, files 0640; 0755 and 0644 with LOCAL_STORAGE_WORLD_READABLE) as
 * needed and opened one component at a time with O_NOFOLLOW,
 * so a symlink planted in the tree is refused, never followed.  A file
 * appears at its final name only once complete (DESIGN.md, invariant 5):
 * the spool is linked into place when it is on the same filesystem,
 * else copied to an unnamed (O_TMPFILE) or hidden temp file in the
 * target directory, synced, linked to its name, and the directory
 * synced.  Names are never replaced (link(2) fails on an existing name).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps_storage.h"
#include "ps_util.h"

#define WHO "local storage"
/* The web server reads the files as the programs' group (0640), or as
 * anyone when LOCAL_STORAGE_WORLD_READABLE is set (0644). */
#define DIR_MODE(l) ((l)->world ? 0755 : 0750)
#define FILE_MODE(l) ((l)->world ? 0644 : 0640)
#define COPY_BUF (64 * 1024)

struct loc {
	int world;		/* LOCAL_STORAGE_WORLD_READABLE */
	char dir[PATH_MAX];
	char url[PS_STORAGE_URL_MAX - PS_STORAGE_PATH_MAX - 2];
};

static void
loc_close(void *state)
{
	free(state);
}

static ps_code
loc_open(void **state, const ps_config *cfg, const char **missing,
    ps_err *err)
{
	const char *dir = ps_config_str(cfg, PS_CFG_LOCAL_STORAGE_DIR);
	const char *url = ps_config_str(cfg, PS_CFG_LOCAL_STORAGE_URL);
	struct loc *l;
	size_t n;

	*state = NULL;
	*missing = NULL;
	if (dir == NULL && url == NULL)
		return PS_OK;
	if (dir == NULL) {
		*missing = "LOCAL_STORAGE_DIR is not set";
		return PS_OK;
	}
	if (url == NULL) {
		*missing = "LOCAL_STORAGE_URL is not set";
		return PS_OK;
	}
	if (dir[0] != '/' || strlen(dir) >= PATH_MAX)
		return ps_err_set(err, PS_E_CONFIG,
		    "LOCAL_STORAGE_DIR must be an absolute path");
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if ((strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0 && url[0] != '/') ||
	    n >= sizeof(l->url) || strpbrk(url, "?# \t\r\n\"<>") != NULL)
		return ps_err_set(err, PS_E_CONFIG,
		    "LOCAL_STORAGE_URL must be an http(s) URL or an absolute "
		    "path, without query");
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	snprintf(l->dir, sizeof(l->dir), "%s", dir);
	l->world = ps_config_bool(cfg, PS_CFG_LOCAL_STORAGE_WORLD_READABLE);
	memcpy(l->url, url, n);
	l->url[n] = '\0';
	*state = l;
	return PS_OK;
}

/* Open (making it first if needed) the directory name in parent without
 * following a symlink; -1 with err set on failure. */
static int
subdir(const struct loc *l, int parent, const char *name, ps_err *err)
{
	int fd, made = 0;

	if (mkdirat(parent, name, DIR_MODE(l)) == 0)
		made = 1;
	else if (errno != EEXIST) {
		ps_err_set(err, PS_E_IO, "cannot make directory %s: %s",
		    name, strerror(errno));
		return -1;
	}
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			ps_err_set(err, PS_E_IO, "refusing %s: it is a "
			    "symlink or not a directory", name);
		else
			ps_err_set(err, PS_E_IO, "cannot open directory "
			    "%s: %s", name, strerror(errno));
		return -1;
	}
	if (made) {
		/* The mode we meant, whatever the umask; the new entry
		 * made durable. */
		(void)fchmod(fd, DIR_MODE(l));
		(void)fsync(parent);
	}
	return fd;
}

static int
open_base(const struct loc *l, ps_err *err)
{
	int fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && mkdir(l->dir, DIR_MODE(l)) == 0)
		fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		ps_err_set(err, PS_E_IO, "cannot open %s: %s", l->dir,
		    strerror(errno));
	return fd;
}

static ps_code
copy_to(const struct loc *l, ps_spool *spool, int fd, ps_err *err)
{
	unsigned char *buf;
	uint64_t off = 0;
	size_t got, done;
	ssize_t n;
	ps_code rc = PS_OK;

	if ((buf = malloc(COPY_BUF)) == NULL)
		return ps_err_set(err, PS_E_NOMEM, "out of memory");
	for (;;) {
		rc = ps_spool_pread(spool, buf, COPY_BUF, off, &got, err);
		if (rc != PS_OK || got == 0)
			break;
		for (done = 0; done < got; done += (size_t)n) {
			n = write(fd, buf + done, got - done);
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n < 0) {
				rc = ps_err_set(err, PS_E_IO, "cannot "
				    "write: %s", strerror(errno));
				goto out;
			}
		}
		off += got;
	}
	if (rc == PS_OK && (fchmod(fd, FILE_MODE(l)) < 0 || fsync(fd) < 0))
		rc = ps_err_set(err, PS_E_IO, "cannot sync: %s",
		    strerror(errno));
out:
	free(buf);
	return rc;
}

/* Copy into an unnamed file in dfd and link it as name.  PS_E_UNSUPPORTED
 * when O_TMPFILE or linking it is not available here. */
static ps_code
copy_unnamed(const struct loc *l, ps_spool *spool, int dfd, const char *name,
    ps_err *err)
{
#ifdef O_TMPFILE
	char proc[64];
	ps_code rc;
	int fd, r;

	fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, FILE_MODE(l));
	if (fd < 0)
		return ps_err_set(err, PS_E_UNSUPPORTED, "no O_TMPFILE");
	if ((rc = copy_to(l, spool, fd, err)) != PS_OK) {
		close(fd);
		return rc;
	}
	r = linkat(fd, "", dfd, name, AT_EMPTY_PATH);
	if (r < 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		r = linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW);
	}
	close(fd);
	if (r == 0)
		return PS_OK;
	if (errno == EEXIST)
		return ps_err_set(err, PS_E_CONFLICT, "%s exists", name);
	return ps_err_set(err, PS_E_UNSUPPORTED, "cannot link O_TMPFILE");
#else
	(void)l;
	(void)spool;
	(void)dfd;
	(void)name;
	return ps_err_set(err, PS_E_UNSUPPORTED, "no O_TMPFILE");
#endif
}

/* Copy into ".<name>.part" in dfd, link it as name, remove the temp
 * name on every path. */
static ps_code
copy_named(const struct loc *l, ps_spool *spool, int dfd, const char *name,
    ps_err *err)
{
	char tmp[PS_STORAGE_NAME_MAX + 8];
	ps_code rc;
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.part", name);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, FILE_MODE(l));
	if (fd < 0)
		return ps_err_set(err, PS_E_IO, "cannot create a temp "
		    "file: %s", strerror(errno));
	rc = copy_to(l, spool, fd, err);
	close(fd);
	if (rc == PS_OK && linkat(dfd, tmp, dfd, name, 0) < 0)
		rc = errno == EEXIST ?
		    ps_err_set(err, PS_E_CONFLICT, "%s exists", name) :
		    ps_err_set(err, PS_E_IO, "cannot publish: %s",
		    strerror(errno));
	(void)unlinkat(dfd, tmp, 0);
	return rc;
}

static ps_code
loc_store(void *state, ps_spool *spool, const ps_storage_object *obj,
    ps_storage_result *res, ps_err *err)
{
	struct loc *l = state;
	int base, kfd = -1, ufd = -1;
	ps_err e = {0};
	ps_code rc;

	if ((base = open_base(l, &e)) < 0)
		return ps_err_set(err, PS_E_IO, WHO ": %s", e.msg);
	if ((kfd = subdir(l, base, obj->kind, &e)) < 0 ||
	    (ufd = subdir(l, kfd, obj->user, &e)) < 0) {
		rc = ps_err_set(err, PS_E_IO, WHO ": %s", e.msg);
		goto out;
	}
	/* Same filesystem: the spool itself becomes the file. */
	rc = ps_spool_link(spool, ufd, obj->name, FILE_MODE(l), &e);
	if (rc == PS_E_UNSUPPORTED)
		rc = copy_unnamed(l, spool, ufd, obj->name, &e);
	if (rc == PS_E_UNSUPPORTED)
		rc = copy_named(l, spool, ufd, obj->name, &e);
	if (rc != PS_OK) {
		ps_err_set(err, rc, WHO ": %s", e.msg);
		goto out;
	}
	/* The new name made durable.  Should this fail, the file is
	 * published all the same: every reader sees it now. */
	(void)fsync(ufd);
	snprintf(res->url, sizeof(res->url), "%s/%s", l->url, obj->path);
	snprintf(res->public_id, sizeof(res->public_id), "%s", obj->path);
out:
	if (ufd >= 0)
		close(ufd);
	if (kfd >= 0)
		close(kfd);
	close(base);
	return rc;
}

const ps_storage_backend ps_storage_local = {
	"local", "LocalStorage", "Local storage", 0,
	loc_open, loc_store, loc_close
};
