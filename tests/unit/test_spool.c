/*
 * test_spool.c - the upload spool: SHA-256 of known data whatever the
 * split, the size limit, the head kept for type detection, reading back,
 * linking into place, nothing left on disk or open after free (O_TMPFILE
 * and named temp files), and memory that stays flat for 200 MB.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ps_sniff.h"
#include "ps_spool.h"
#include "ps_util.h"
#include "tap.h"
#include "testlib.h"

static char tmp[256];

static ps_spool *
spool_new(const char *dir, uint64_t max, unsigned flags)
{
	ps_spool *sp;
	ps_err err = {0};

	if (ps_spool_new(&sp, dir, max, flags, &err) != PS_OK)
		tap_bail("spool: %s", err.msg);
	return sp;
}

/* Feed data in pieces of step bytes; return the hex digest. */
static const char *
digest_of(ps_spool *sp, const unsigned char *data, size_t len, size_t step)
{
	ps_err err = {0};
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (ps_spool_write(sp, data + off, n, &err) != PS_OK)
			return "write failed";
	}
	if (ps_spool_finish(sp, &err) != PS_OK)
		return "finish failed";
	return ps_spool_sha256(sp);
}

static void
spool_sha256_matches_known_vectors(void)
{
	/* FIPS 180-2 examples: "abc", the empty string, a million 'a'. */
	static const char abc[] =
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char empty[] =
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	static const char million[] =
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	static const size_t steps[] = {1, 7, 4096, 65536, 65537, 1000000};
	unsigned char *a = malloc(1000000);
	ps_spool *sp;
	size_t i;

	if (a == NULL)
		tap_bail("malloc");
	memset(a, 'a', 1000000);
	sp = spool_new(tmp, 10, 0);
	is_str(digest_of(sp, (const unsigned char *)"abc", 3, 3), abc,
	    "sha256(\"abc\")");
	is_int(ps_spool_size(sp), 3, "size 3");
	ps_spool_free(sp);
	sp = spool_new(tmp, 10, 0);
	is_str(digest_of(sp, NULL, 0, 1), empty, "sha256 of an empty file");
	ps_spool_free(sp);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		sp = spool_new(tmp, 1000000, 0);
		is_str(digest_of(sp, a, 1000000, steps[i]), million,
		    "sha256 of a million 'a' fed %zu bytes at a time",
		    steps[i]);
		ps_spool_free(sp);
	}
	free(a);
}

static void
spool_sha256_matches_openssl_on_a_media_file(void)
{
	char path[4096], hex[65];
	unsigned char md[32], *buf;
	unsigned int mdlen = 0;
	const char *srcdir = getenv("srcdir");
	ps_spool *sp;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/tests/data/media/sample.mp4",
	    srcdir != NULL && *srcdir != '\0' ? srcdir : ".");
	if ((f = fopen(path, "rb")) == NULL) {
		tap_skip("no sample.mp4", "sha256 of sample.mp4");
		return;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		tap_bail("read %s", path);
	fclose(f);
	EVP_Digest(buf, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	ps_hex(md, mdlen, hex);
	sp = spool_new(tmp, (uint64_t)len, 0);
	is_str(digest_of(sp, buf, (size_t)len, 333), hex,
	    "sha256 of sample.mp4 equals OpenSSL's one-shot digest");
	free(buf);
	ps_spool_free(sp);
}

static void
spool_refuses_past_the_limit(void)
{
	unsigned char b[64] = {0};
	ps_spool *sp = spool_new(tmp, 100, 0);
	ps_err err = {0};

	is_int(ps_spool_write(sp, b, 60, &err), PS_OK, "60 of 100 bytes");
	is_int(ps_spool_write(sp, b, 40, &err), PS_OK,
	    "exactly the limit is allowed");
	is_int(ps_spool_write(sp, b, 1, &err), PS_E_TOO_LARGE,
	    "one byte more is PS_E_TOO_LARGE");
	ok(strstr(err.msg, "100 bytes") != NULL, "the message names the "
	    "limit (%s)", err.msg);
	ok(ps_spool_write(sp, b, 0, &err) != PS_OK &&
	    ps_spool_finish(sp, &err) != PS_OK,
	    "a spool that hit the limit refuses everything after");
	ps_spool_free(sp);

	sp = spool_new(tmp, 10, 0);
	is_int(ps_spool_write(sp, b, 64, &err), PS_E_TOO_LARGE,
	    "one write larger than the whole limit is refused");
	is_int(ps_spool_size(sp), 0, "and nothing of it is counted");
	ps_spool_free(sp);
}

static void
spool_keeps_the_head_for_sniffing(void)
{
	unsigned char *data = malloc(20000), got[100];
	const unsigned char *head;
	size_t len, n;
	ps_spool *sp = spool_new(tmp, 1 << 20, 0);
	ps_err err = {0};
	size_t i;

	if (data == NULL)
		tap_bail("malloc");
	for (i = 0; i < 20000; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	digest_of(sp, data, 20000, 1000);
	head = ps_spool_head(sp, &len);
	is_int(len, PS_SNIFF_HEAD_BYTES, "the head is PS_SNIFF_HEAD_BYTES");
	ok(memcmp(head, data, len) == 0, "and holds the first bytes");
	is_int(ps_spool_pread(sp, got, sizeof(got), 12345, &n, &err), PS_OK,
	    "read back at an offset");
	ok(n == sizeof(got) && memcmp(got, data + 12345, n) == 0,
	    "the bytes at that offset");
	is_int(ps_spool_pread(sp, got, sizeof(got), 19950, &n, &err), PS_OK,
	    "read across the end");
	is_int(n, 50, "gives what is left");
	ps_spool_pread(sp, got, sizeof(got), 20000, &n, &err);
	is_int(n, 0, "read at the end gives 0");
	ps_spool_free(sp);
	free(data);

	sp = spool_new(tmp, 100, 0);
	digest_of(sp, (const unsigned char *)"\x89PNG", 4, 4);
	head = ps_spool_head(sp, &len);
	ok(len == 4 && memcmp(head, "\x89PNG", 4) == 0,
	    "a short file's head is the whole file");
	ps_spool_free(sp);
}

static void
spool_in_a_missing_directory_fails(void)
{
	char dir[300];
	ps_spool *sp = NULL;
	ps_err err = {0};

	snprintf(dir, sizeof(dir), "%s/no-such-dir", tmp);
	is_int(ps_spool_new(&sp, dir, 10, 0, &err), PS_E_IO,
	    "a spool directory that does not exist is PS_E_IO");
	ok(sp == NULL && strstr(err.msg, dir) != NULL,
	    "nothing returned, the message names the directory");
}

static void
spool_write_after_finish_refused(void)
{
	ps_spool *sp = spool_new(tmp, 100, 0);
	ps_err err = {0};

	digest_of(sp, (const unsigned char *)"abc", 3, 3);
	is_int(ps_spool_finish(sp, &err), PS_OK, "finish twice is harmless");
	ok(ps_spool_write(sp, "x", 1, &err) != PS_OK,
	    "writing after finish is refused");
	ps_spool_free(sp);
}

static void
check_gone(unsigned flags, const char *label)
{
	char dir[300];
	ps_spool *sp;
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "%s/gone-%s", tmp, label);
	if (mkdir(dir, 0700) < 0)
		tap_bail("mkdir %s", dir);
	sp = spool_new(dir, 1 << 20, flags);
	digest_of(sp, (const unsigned char *)"hello", 5, 5);
	fd = ps_spool_fd(sp);
	ok(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "%s: the spool file is private (0600)", label);
	if (flags & PS_SPOOL_NAMED)
		is_int(tst_count_entries(dir), 1, "%s: one temp file while open",
		    label);
	else
		is_int(tst_count_entries(dir), 0, "%s: no name at all (O_TMPFILE)",
		    label);
	ps_spool_free(sp);
	is_int(tst_count_entries(dir), 0, "%s: the directory is empty after free",
	    label);
	ok(fcntl(fd, F_GETFD) < 0 && errno == EBADF,
	    "%s: the descriptor is closed after free", label);
	rmdir(dir);
}

static void
spool_leaves_nothing_after_free(void)
{
	check_gone(0, "tmpfile");
	check_gone(PS_SPOOL_NAMED, "named");
}

static void
check_link(unsigned flags, const char *label)
{
	char dir[300], out[300], file[400], buf[16];
	ps_spool *sp;
	struct stat st;
	ps_err err = {0};
	int dfd, fd;
	ssize_t n;

	snprintf(dir, sizeof(dir), "%s/link-sp-%s", tmp, label);
	snprintf(out, sizeof(out), "%s/link-out-%s", tmp, label);
	if (mkdir(dir, 0700) < 0 || mkdir(out, 0700) < 0)
		tap_bail("mkdir");
	sp = spool_new(dir, 1 << 20, flags);
	digest_of(sp, (const unsigned char *)"content!", 8, 3);
	dfd = open(out, O_RDONLY | O_DIRECTORY);
	is_int(ps_spool_link(sp, dfd, "obj.bin", 0640, &err), PS_OK,
	    "%s: linked into place (%s)", label, err.msg);
	is_int(ps_spool_link(sp, dfd, "obj.bin", 0640, &err), PS_E_CONFLICT,
	    "%s: an existing name is never replaced", label);
	ps_spool_free(sp);
	snprintf(file, sizeof(file), "%s/obj.bin", out);
	ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0640 &&
	    st.st_size == 8, "%s: the file stays after free, mode 0640",
	    label);
	fd = open(file, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	ok(n == 8 && memcmp(buf, "content!", 8) == 0,
	    "%s: with the spooled content", label);
	if (fd >= 0)
		close(fd);
	is_int(tst_count_entries(dir), 0, "%s: the spool directory is empty",
	    label);
	unlink(file);
	close(dfd);
	rmdir(out);
	rmdir(dir);
}

static void
spool_links_into_place(void)
{
	check_link(0, "tmpfile");
	check_link(PS_SPOOL_NAMED, "named");
}

static long
vm_kib(const char *field)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	long v = -1;
	size_t n = strlen(field);

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

static int
under_a_memory_tool(void)
{
	char line[512];
	FILE *f;
	int found = 0;

#if defined(__SANITIZE_ADDRESS__)
	return 1;
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
	return 1;
#endif
#endif
	/* Valgrind maps its preload objects into the process. */
	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, "vgpreload") != NULL;
	fclose(f);
	return found;
}

static void
spool_memory_flat_for_200_mb(void)
{
	static unsigned char chunk[64 * 1024];
	const uint64_t total = 200ULL * 1024 * 1024;
	unsigned char md[32];
	char hex[65];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ref = EVP_MD_CTX_new();
	ps_spool *sp;
	ps_err err = {0};
	uint64_t off;
	long before, after;
	int bad = 0;
	size_t i;

	before = vm_kib("VmHWM");
	sp = spool_new(tmp, total, 0);
	EVP_DigestInit_ex(ref, EVP_sha256(), NULL);
	for (off = 0; off < total && !bad; off += sizeof(chunk)) {
		for (i = 0; i < sizeof(chunk); i += 8)
			memcpy(chunk + i, &off, 8);
		chunk[off % sizeof(chunk)] ^= 0x5a;
		EVP_DigestUpdate(ref, chunk, sizeof(chunk));
		bad = ps_spool_write(sp, chunk, sizeof(chunk), &err) != PS_OK;
	}
	ok(!bad && ps_spool_finish(sp, &err) == PS_OK,
	    "200 MB spooled in 64 KiB pieces (%s)", err.msg);
	EVP_DigestFinal_ex(ref, md, &mdlen);
	EVP_MD_CTX_free(ref);
	ps_hex(md, mdlen, hex);
	is_str(ps_spool_sha256(sp), hex, "its SHA-256 is right");
	is_int(ps_spool_size(sp), total, "its size is right");
	after = vm_kib("VmHWM");
	ps_spool_free(sp);
	if (under_a_memory_tool()) {
		tap_skip("ASan or valgrind inflate RSS",
		    "peak RSS under 16 MiB");
		return;
	}
	tap_diag("VmHWM before %ld KiB, after 200 MB %ld KiB", before, after);
	ok(after > 0 && after < 16 * 1024,
	    "peak RSS %ld KiB stays under 16 MiB", after);
	ok(after - before < 1024, "and grew by %ld KiB (< 1 MiB) while "
	    "spooling 200 MB", after - before);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmp, sizeof(tmp), "%s/test-spool.XXXXXX",
	    t != NULL && *t == '/' ? t : "/tmp");
	if (mkdtemp(tmp) == NULL)
		tap_bail("mkdtemp");
	spool_sha256_matches_known_vectors();
	spool_sha256_matches_openssl_on_a_media_file();
	spool_refuses_past_the_limit();
	spool_keeps_the_head_for_sniffing();
	spool_write_after_finish_refused();
	spool_in_a_missing_directory_fails();
	spool_leaves_nothing_after_free();
	spool_links_into_place();
	spool_memory_flat_for_200_mb();
	is_int(tst_count_entries(tmp), 0, "no spool file is left behind");
	rmdir(tmp);
	return tap_done();
}
