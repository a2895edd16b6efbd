/*
 * fuzz_sniff.c - media type detection from leading bytes (ps_sniff,
 * lib/ps_sniff.c).
 *
 * Input: the head of a file.
 *
 * Invariants (ps_sniff.h):
 *  - a pure function: the same answer twice, and a result whose strings
 *    are set and agree with each other (kind, resource_type, MIME type,
 *    a short lower-case extension);
 *  - bytes past PS_SNIFF_HEAD_BYTES are ignored: the answer for more
 *    than that many bytes is the answer for the first
 *    PS_SNIFF_HEAD_BYTES, whatever follows;
 *  - a truncated header is labelled as what it is or as raw, never as
 *    something else: every prefix gives the full head's answer or raw;
 *  - text formats are never labelled as media: a head starting with
 *    "<" (HTML, SVG, XML) or "{" (JSON) is raw.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ps_sniff.h"
#include "fuzz_common.h"

static int
same(ps_sniff_result a, ps_sniff_result b)
{
	return a.kind == b.kind && strcmp(a.mime, b.mime) == 0 &&
	    strcmp(a.ext, b.ext) == 0 &&
	    strcmp(a.resource_type, b.resource_type) == 0;
}

static void
check_result(ps_sniff_result r)
{
	size_t i, n;

	FUZZ_CHECK(r.mime != NULL && r.ext != NULL && r.resource_type != NULL,
	    "a NULL string in the result");
	n = strlen(r.ext);
	FUZZ_CHECK(n >= 2 && n <= 5, "extension \"%s\"", r.ext);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((r.ext[i] >= 'a' && r.ext[i] <= 'z') ||
		    (r.ext[i] >= '0' && r.ext[i] <= '9'), "extension \"%s\"",
		    r.ext);
	switch (r.kind) {
	case PS_MEDIA_IMAGE:
		FUZZ_CHECK(strcmp(r.resource_type, "image") == 0 &&
		    strncmp(r.mime, "image/", 6) == 0, "image as %s %s",
		    r.resource_type, r.mime);
		break;
	case PS_MEDIA_VIDEO:
		FUZZ_CHECK(strcmp(r.resource_type, "video") == 0 &&
		    strncmp(r.mime, "video/", 6) == 0, "video as %s %s",
		    r.resource_type, r.mime);
		break;
	case PS_MEDIA_AUDIO:
		FUZZ_CHECK(strcmp(r.resource_type, "video") == 0 &&
		    strncmp(r.mime, "audio/", 6) == 0, "audio as %s %s",
		    r.resource_type, r.mime);
		break;
	case PS_MEDIA_RAW:
		FUZZ_CHECK(strcmp(r.resource_type, "raw") == 0 &&
		    strcmp(r.mime, "application/octet-stream") == 0 &&
		    strcmp(r.ext, "bin") == 0, "raw as %s %s %s",
		    r.resource_type, r.mime, r.ext);
		break;
	default:
		FUZZ_CHECK(0, "kind %d", (int)r.kind);
	}
	FUZZ_CHECK(strcmp(ps_media_kind_name(r.kind), r.kind ==
	    PS_MEDIA_RAW ? "raw" : r.kind == PS_MEDIA_IMAGE ? "image" :
	    r.kind == PS_MEDIA_VIDEO ? "video" : "audio") == 0,
	    "kind name");
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
	ps_sniff_result r, r2;
	unsigned char *copy, *longer;
	size_t cut, k, step;

	/* An exact-size copy: ASan sees any read past len. */
	copy = malloc(size > 0 ? size : 1);
	if (copy == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	r = ps_sniff(size > 0 ? copy : NULL, size);
	check_result(r);
	r2 = ps_sniff(size > 0 ? copy : NULL, size);
	FUZZ_CHECK(same(r, r2), "two answers for the same bytes");

	cut = size < PS_SNIFF_HEAD_BYTES ? size : PS_SNIFF_HEAD_BYTES;
	if (size > PS_SNIFF_HEAD_BYTES) {
		r2 = ps_sniff(copy, PS_SNIFF_HEAD_BYTES);
		FUZZ_CHECK(same(r, r2), "bytes past the head changed the "
		    "answer: %s / %s", r.mime, r2.mime);
	}
	/* Whatever follows the head changes nothing. */
	if (size >= PS_SNIFF_HEAD_BYTES) {
		longer = malloc(PS_SNIFF_HEAD_BYTES + 64);
		if (longer == NULL)
			abort();
		memcpy(longer, copy, PS_SNIFF_HEAD_BYTES);
		memset(longer + PS_SNIFF_HEAD_BYTES, size > 0 ? data[0] : 0,
		    64);
		r2 = ps_sniff(longer, PS_SNIFF_HEAD_BYTES + 64);
		FUZZ_CHECK(same(r, r2), "appended bytes changed the answer");
		free(longer);
	}
	/* Prefixes: the full answer or raw.  Every length for short
	 * heads, a sample of lengths for long ones. */
	step = cut <= 64 ? 1 : cut / 16 + 1;
	for (k = 0; k < cut; k += step) {
		unsigned char *pre = malloc(k > 0 ? k : 1);

		if (pre == NULL)
			abort();
		if (k > 0)
			memcpy(pre, copy, k);
		r2 = ps_sniff(k > 0 ? pre : NULL, k);
		free(pre);
		FUZZ_CHECK(r2.kind == PS_MEDIA_RAW || same(r, r2),
		    "the first %zu bytes are %s, all %zu are %s", k, r2.mime,
		    cut, r.mime);
	}
	if (size > 0 && (data[0] == '<' || data[0] == '{'))
		FUZZ_CHECK(r.kind == PS_MEDIA_RAW, "text labelled %s", r.mime);
	free(copy);
	return 0;
}
