/*
 * fuzz_common.h - small helpers shared by the libFuzzer harnesses in
 * tests/fuzz/ (header-only: each harness is one translation unit).
 *
 * A harness states an invariant with FUZZ_CHECK(); a broken invariant
 * prints what broke and aborts, which libFuzzer reports as a crash and
 * saves the input for a regression test (tests/fuzz/README.md).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_error.h"
#include "ps_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...)                                              \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant broken: %s: ",   \
			    __FILE__, __LINE__, #cond);                    \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

/* FNV-1a 64, as tests/data/multipart/README uses. */
static inline uint64_t
fuzz_fnv1a(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}
#define FUZZ_FNV_INIT UINT64_C(0xcbf29ce484222325)

/* A small deterministic generator (xorshift64*), seeded from the input. */
static inline uint64_t
fuzz_rand(uint64_t *s)
{
	uint64_t x = *s != 0 ? *s : UINT64_C(0x9e3779b97f4a7c15);

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

/* ps_err_set() promises messages without control characters. */
static inline void
fuzz_check_err_msg(const ps_err *err)
{
	const unsigned char *m = (const unsigned char *)err->msg;
	size_t n = strnlen(err->msg, sizeof(err->msg));
	size_t i;

	FUZZ_CHECK(n < sizeof(err->msg), "error message not terminated");
	for (i = 0; i < n; i++)
		FUZZ_CHECK(m[i] >= 0x20 && m[i] != 0x7f,
		    "control byte 0x%02x in error message \"%s\"", m[i],
		    err->msg);
}

/*
 * Where tests/data is: $PS_FUZZ_DATA, else the directory run.sh compiled
 * in (PS_FUZZ_DATA_DIR), else ./tests/data.
 */
#ifndef PS_FUZZ_DATA_DIR
#define PS_FUZZ_DATA_DIR "tests/data"
#endif
static inline void
fuzz_data_path(char *out, size_t sz, const char *rel)
{
	const char *dir = getenv("PS_FUZZ_DATA");

	if (dir == NULL || *dir == '\0')
		dir = PS_FUZZ_DATA_DIR;
	snprintf(out, sz, "%s/%s", dir, rel);
}

/* Read a whole small file (tests/data/...) or exit: a harness without
 * its keys would fuzz nothing. */
static inline char *
fuzz_read_data(const char *rel, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	size_t n;

	fuzz_data_path(path, sizeof(path), rel);
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "fuzz: cannot open %s (set PS_FUZZ_DATA to "
		    "the tests/data directory)\n", path);
		exit(2);
	}
	buf = malloc(65536 + 1);
	if (buf == NULL)
		exit(2);
	n = fread(buf, 1, 65536, f);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* A NUL-terminated heap copy of data[0..n) (exactly n + 1 bytes, so
 * ASan sees any read past it). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

#endif /* FUZZ_COMMON_H */
