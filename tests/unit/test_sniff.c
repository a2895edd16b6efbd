/*
 * test_sniff.c - ps_sniff() labels real and hand-built headers correctly,
 * never labels text or active content as an image, and never mistakes a
 * truncated header for another type.
 *
 * Real files: tests/data/media/ (made by make-media.sh there), found
 * relative to $srcdir (default ".").
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_sniff.h"
#include "tap.h"

struct expect {
	ps_media_kind kind;
	const char *rtype;
	const char *mime;
	const char *ext;
};

#define IMG(m, e) {PS_MEDIA_IMAGE, "image", (m), (e)}
#define VID(m, e) {PS_MEDIA_VIDEO, "video", (m), (e)}
/* PROTOCOLS.md: Cloudinary takes audio under resource_type "video". */
#define AUD(m, e) {PS_MEDIA_AUDIO, "video", (m), (e)}
#define RAW {PS_MEDIA_RAW, "raw", "application/octet-stream", "bin"}

static const struct expect raw = RAW;

struct sample {
	const char *name;
	const unsigned char *bytes;
	size_t len;
	struct expect want;
};

/* A string literal as bytes, without its terminating NUL. */
#define LIT(name, lit, want) \
	{(name), (const unsigned char *)(lit), sizeof(lit) - 1, want}

/*
 * Minimal valid headers built from the format specifications.  Hex
 * escapes are split from following text ("\x18" "ftyp") so that a hex
 * digit after them is not swallowed.
 */
static const struct sample hand[] = {
	LIT("jpeg_jfif", "\xff\xd8\xff\xe0\0\x10" "JFIF\0\x01\x01\0\0\x01\0",
	    IMG("image/jpeg", "jpg")),
	LIT("jpeg_exif", "\xff\xd8\xff\xe1\0\x22" "Exif\0\0MM\0*\0\0\0\x08",
	    IMG("image/jpeg", "jpg")),
	LIT("png_gray_1x1", "\x89PNG\r\n\x1a\n\0\0\0\x0d" "IHDR"
	    "\0\0\0\x01\0\0\0\x01\x08\0\0\0\0",
	    IMG("image/png", "png")),
	LIT("gif87a", "GIF87a\x01\0\x01\0\0\0\0", IMG("image/gif", "gif")),
	LIT("webp_lossless", "RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10",
	    IMG("image/webp", "webp")),
	LIT("webp_extended", "RIFF\x24\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0",
	    IMG("image/webp", "webp")),
	LIT("heic_iphone", "\0\0\0\x18" "ftypheic\0\0\0\0mif1heic",
	    IMG("image/heic", "heic")),
	LIT("heic_under_generic_major",
	    "\0\0\0\x18" "ftypmif1\0\0\0\0mif1heic",
	    IMG("image/heic", "heic")),
	LIT("heif_generic_only", "\0\0\0\x18" "ftypmif1\0\0\0\0mif1miaf",
	    IMG("image/heif", "heif")),
	LIT("heic_sequence", "\0\0\0\x18" "ftypmsf1\0\0\0\0msf1hevc",
	    IMG("image/heic-sequence", "heics")),
	LIT("heif_sequence", "\0\0\0\x14" "ftypmsf1\0\0\0\0msf1",
	    IMG("image/heif-sequence", "heifs")),
	LIT("avif", "\0\0\0\x20" "ftypavif\0\0\0\0avifmif1miafMA1B",
	    IMG("image/avif", "avif")),
	LIT("bmp_os2_core_header", "BM\x1a\0\0\0\0\0\0\0\x1a\0\0\0\x0c\0\0\0"
	    "\x01\0\x01\0\x01\0\x18\0",
	    IMG("image/bmp", "bmp")),
	LIT("tiff_big_endian", "MM\0*\0\0\0\x08\0\x01",
	    IMG("image/tiff", "tiff")),
	LIT("ico_png_entry", "\0\0\x01\0\x01\0\x10\x10\0\0\x01\0\x20\0"
	    "\x68\x04\0\0\x16\0\0\0",
	    IMG("image/vnd.microsoft.icon", "ico")),
	LIT("mp4_phone_mp42_avc1", "\0\0\0\x1c" "ftypmp42\0\0\0\0mp42isomavc1",
	    VID("video/mp4", "mp4")),
	LIT("mp4_generic_isom", "\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2",
	    VID("video/mp4", "mp4")),
	LIT("3gp4", "\0\0\0\x14" "ftyp3gp4\0\0\0\0" "3gp4",
	    VID("video/3gpp", "3gp")),
	LIT("mov_wide_then_mdat", "\0\0\0\x08" "wide\0\0\0\x10" "mdat"
	    "\0\0\0\0\0\0\0\0",
	    VID("video/quicktime", "mov")),
	LIT("mov_moov_first", "\0\0\0\x6c" "moov\0\0\0\x64" "mvhd\0\0\0\0",
	    VID("video/quicktime", "mov")),
	LIT("mov_free_then_moov", "\0\0\0\x0c" "free\0\0\0\0"
	    "\0\0\0\x6c" "moov\0\0\0\x64" "mvhd",
	    VID("video/quicktime", "mov")),
	LIT("webm_doctype_nul_padded", "\x1a\x45\xdf\xa3\x8c\x42\x86\x81\x01"
	    "\x42\x82\x85" "webm\0",
	    VID("video/webm", "webm")),
	LIT("webm_unknown_size_header", "\x1a\x45\xdf\xa3"
	    "\x01\xff\xff\xff\xff\xff\xff\xff\x42\x82\x84" "webm",
	    VID("video/webm", "webm")),
	LIT("avi", "RIFF\0\x10\0\0AVI LIST\x0c\x01\0\0hdrlavih",
	    VID("video/x-msvideo", "avi")),
	LIT("m4a_under_generic_major", "\0\0\0\x18" "ftypisom\0\0\0\0isomM4A ",
	    AUD("audio/mp4", "m4a")),
	LIT("ogg_flac", "OggS\0\x02\0\0\0\0\0\0\0\0\x01\x02\x03\x04"
	    "\0\0\0\0\0\0\0\0\x01\x33\x7f" "FLAC\x01\0\0\x01" "fLaC",
	    AUD("audio/ogg", "oga")),
	LIT("ogg_speex", "OggS\0\x02\0\0\0\0\0\0\0\0\x01\x02\x03\x04"
	    "\0\0\0\0\0\0\0\0\x01\x50" "Speex   1.2",
	    AUD("audio/ogg", "spx")),
	LIT("amr_wb", "#!AMR-WB\n\x04", AUD("audio/amr-wb", "awb")),
	LIT("rf64_wave", "RF64\xff\xff\xff\xff" "WAVEds64",
	    AUD("audio/wav", "wav")),
	LIT("aifc", "FORM\0\0\0\x20" "AIFCFVER", AUD("audio/aiff", "aiff")),
	LIT("id3v24_tag", "ID3\x04\0\0\0\0\x02\x01" "TIT2",
	    AUD("audio/mpeg", "mp3")),
};

/* Text, active content, other binaries and near misses: all raw. */
static const struct sample never_media[] = {
	LIT("html_doctype", "<!DOCTYPE html><html><body>hi</body></html>",
	    RAW),
	LIT("html_script", "<html><script>alert(document.cookie)</script>",
	    RAW),
	LIT("svg_with_script", "<svg xmlns=\"http://www.w3.org/2000/svg\">"
	    "<script>alert(1)</script></svg>", RAW),
	LIT("svg_xml_prolog", "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://"
	    "www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>", RAW),
	LIT("svg_utf8_bom", "\xef\xbb\xbf<svg onload=\"alert(1)\"/>", RAW),
	LIT("xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>", RAW),
	LIT("pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", RAW),
	LIT("elf", "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0",
	    RAW),
	LIT("pe_exe", "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0", RAW),
	LIT("zip", "PK\x03\x04\x14\0\0\0\x08\0", RAW),
	LIT("gzip", "\x1f\x8b\x08\0\0\0\0\0\0\x03", RAW),
	LIT("shell_script", "#!/bin/sh\necho hi\n", RAW),
	LIT("json", "{\"url\":\"https://example.com/a.png\"}", RAW),
	LIT("plain_text", "just some words, nothing more\n", RAW),
	LIT("gif_bad_version", "GIF88a\x01\0\x01\0\0\0\0", RAW),
	LIT("png_signature_without_ihdr", "\x89PNG\r\n\x1a\n\0\0\0\0IEND"
	    "\xae\x42\x60\x82", RAW),
	LIT("jpeg_soi_then_stuffing", "\xff\xd8\xff\0\0\0", RAW),
	LIT("webp_without_vp8_chunk", "RIFF\x1a\0\0\0WEBPJUNK\0\0\0\0", RAW),
	LIT("riff_unknown_form", "RIFF\x1a\0\0\0" "CDXA\0\0\0\0", RAW),
	LIT("ftyp_unknown_brands", "\0\0\0\x14" "ftypabcd\0\0\0\0" "abcd",
	    RAW),
	LIT("ftyp_size_too_small", "\0\0\0\x0c" "ftypisom\0\0\0\0", RAW),
	LIT("ftyp_size_not_whole_brands", "\0\0\0\x16" "ftypisom\0\0\0\0"
	    "isom\0\0", RAW),
	LIT("moov_with_unknown_child", "\0\0\0\x10" "moov\0\0\0\x08" "junk",
	    RAW),
	LIT("ebml_unknown_doctype", "\x1a\x45\xdf\xa3\x8a\x42\x86\x81\x01"
	    "\x42\x82\x83" "foo", RAW),
	LIT("ogg_skeleton_only", "OggS\0\x02\0\0\0\0\0\0\0\0\x01\x02\x03\x04"
	    "\0\0\0\0\0\0\0\0\x01\x40" "fishead\0", RAW),
	LIT("ogg_opus_without_bos", "OggS\0\0\0\0\0\0\0\0\0\0\x01\x02\x03\x04"
	    "\0\0\0\0\0\0\0\0\x01\x13" "OpusHead", RAW),
	LIT("id3_bad_size_byte", "ID3\x03\0\0\0\0\x80\0", RAW),
	LIT("bmp_unknown_dib_size", "BM\x1a\0\0\0\0\0\0\0\x1a\0\0\0\x07\0\0\0",
	    RAW),
	LIT("tiff_ifd_inside_header", "II*\0\x04\0\0\0", RAW),
	LIT("ico_reserved_set", "\0\0\x01\0\x01\0\x10\x10\0\x07\x01\0\x20\0"
	    "\x68\x04\0\0\x16\0\0\0", RAW),
	LIT("amr_without_newline", "#!AMR-NB", RAW),
	LIT("flac_first_block_not_streaminfo", "fLaC\x04\0\0\x22", RAW),
	/* Found by fuzz_sniff: text is never a QuickTime atom. */
	LIT("html_with_mdat_at_4", "<p>xmdat</p><script>alert(1)</script>",
	    RAW),
	LIT("json_with_moov_at_4", "{\"a\"moov\0\0\0\x08mvhd", RAW),
	LIT("form_mdat_prefix_of_aiff", "FORMmdat", RAW),
	LIT("text_then_mdat", "abcdmdat and more words", RAW),
};

/* ---- helpers --------------------------------------------------------- */

static int
same(ps_sniff_result r, const struct expect *w)
{
	return r.kind == w->kind && r.resource_type != NULL &&
	    r.mime != NULL && r.ext != NULL &&
	    strcmp(r.resource_type, w->rtype) == 0 &&
	    strcmp(r.mime, w->mime) == 0 && strcmp(r.ext, w->ext) == 0;
}

/* Sniff exactly n bytes from a heap copy, so ASan and valgrind see any
 * read past the end. */
static ps_sniff_result
sniff_exact(const unsigned char *b, size_t n)
{
	ps_sniff_result r;
	unsigned char *copy;

	copy = malloc(n == 0 ? 1 : n);
	if (copy == NULL)
		tap_bail("out of memory");
	if (n > 0)
		memcpy(copy, b, n);
	r = ps_sniff(copy, n);
	free(copy);
	return r;
}

static void
check_sample(const char *group, const struct sample *s)
{
	ps_sniff_result r;
	size_t n, bad = SIZE_MAX;

	r = sniff_exact(s->bytes, s->len);
	ok(same(r, &s->want), "%s_%s_is_%s", group, s->name, s->want.mime);
	if (!same(r, &s->want))
		tap_diag("  got %s %s %s .%s", ps_media_kind_name(r.kind),
		    r.resource_type, r.mime, r.ext);

	if (s->want.kind == PS_MEDIA_RAW)
		return;
	/* Every shorter prefix is the same answer or raw, nothing else. */
	for (n = 0; n < s->len && bad == SIZE_MAX; n++) {
		r = sniff_exact(s->bytes, n);
		if (!same(r, &s->want) && !same(r, &raw))
			bad = n;
	}
	ok(bad == SIZE_MAX, "%s_%s_prefixes_are_same_type_or_raw", group,
	    s->name);
	if (bad != SIZE_MAX)
		tap_diag("  prefix of %zu bytes: %s", bad, r.mime);
}

static unsigned char *
read_file(const char *name, size_t *len)
{
	char path[4096];
	const char *srcdir;
	unsigned char *buf;
	FILE *f;
	long size;

	srcdir = getenv("srcdir");
	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	snprintf(path, sizeof(path), "%s/tests/data/media/%s", srcdir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		tap_diag("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc(size == 0 ? 1 : (size_t)size);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)size;
	return buf;
}

/* ---- tests ----------------------------------------------------------- */

static void
test_real_files(void)
{
	static const struct {
		const char *file;
		struct expect want;
	} files[] = {
		{"sample.png", IMG("image/png", "png")},
		{"sample.gif", IMG("image/gif", "gif")},
		{"sample.bmp", IMG("image/bmp", "bmp")},
		{"sample.jpg", IMG("image/jpeg", "jpg")},
		{"sample.webp", IMG("image/webp", "webp")},
		{"sample.ico", IMG("image/vnd.microsoft.icon", "ico")},
		{"sample.tiff", IMG("image/tiff", "tiff")},
		{"sample.avif", IMG("image/avif", "avif")},
		{"sample.mp4", VID("video/mp4", "mp4")},
		{"sample.mov", VID("video/quicktime", "mov")},
		{"sample.3gp", VID("video/3gpp", "3gp")},
		{"sample.3g2", VID("video/3gpp2", "3g2")},
		{"sample.webm", VID("video/webm", "webm")},
		{"sample.mkv", VID("video/x-matroska", "mkv")},
		{"sample.avi", VID("video/x-msvideo", "avi")},
		{"sample.ogv", VID("video/ogg", "ogv")},
		{"sample.opus", AUD("audio/ogg", "opus")},
		{"sample.ogg", AUD("audio/ogg", "ogg")},
		{"sample-frames.mp3", AUD("audio/mpeg", "mp3")},
		{"sample-id3.mp3", AUD("audio/mpeg", "mp3")},
		{"sample.m4a", AUD("audio/mp4", "m4a")},
		{"sample.aac", AUD("audio/aac", "aac")},
		{"sample.amr", AUD("audio/amr", "amr")},
		{"sample.wav", AUD("audio/wav", "wav")},
		{"sample.flac", AUD("audio/flac", "flac")},
		{"sample.aiff", AUD("audio/aiff", "aiff")},
	};
	struct sample s;
	unsigned char *buf;
	size_t i, len = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		buf = read_file(files[i].file, &len);
		if (buf == NULL) {
			ok(0, "file_%s_readable", files[i].file);
			continue;
		}
		s.name = files[i].file;
		s.bytes = buf;
		s.len = len;
		s.want = files[i].want;
		check_sample("file", &s);
		free(buf);
	}
}

static void
test_hand_built(void)
{
	size_t i;

	for (i = 0; i < sizeof(hand) / sizeof(hand[0]); i++)
		check_sample("hand", &hand[i]);
}

/* Two MPEG audio frames: a header at 0 and another at flen. */
static void
mpeg_frames(const char *name, const unsigned char hdr[4], size_t flen,
    int second, const struct expect *want)
{
	struct sample s;
	unsigned char *buf;

	buf = calloc(1, flen + 4);
	if (buf == NULL)
		tap_bail("out of memory");
	memcpy(buf, hdr, 4);
	if (second)
		memcpy(buf + flen, hdr, 4);
	s.name = name;
	s.bytes = buf;
	s.len = flen + 4;
	s.want = *want;
	check_sample("frames", &s);
	free(buf);
}

static void
test_mpeg_audio_frames(void)
{
	/* ISO/IEC 11172-3 / 13818-3 headers; lengths from 2.4.3.1. */
	static const unsigned char l3_128k_44k[4] = {0xff, 0xfb, 0x90, 0x44};
	static const unsigned char l2_192k_48k[4] = {0xff, 0xfd, 0xa4, 0x04};
	static const unsigned char mpeg2_l3_64k[4] = {0xff, 0xf3, 0x80, 0xc4};
	static const unsigned char l1_448k_32k[4] = {0xff, 0xff, 0xe8, 0x00};
	static const unsigned char l3_padded[4] = {0xff, 0xfb, 0x92, 0x44};
	static const struct expect mp3 = AUD("audio/mpeg", "mp3");

	mpeg_frames("mpeg1_layer3_128k_44100", l3_128k_44k, 417, 1, &mp3);
	mpeg_frames("mpeg1_layer2_192k_48000", l2_192k_48k, 576, 1, &mp3);
	mpeg_frames("mpeg2_layer3_64k_22050", mpeg2_l3_64k, 208, 1, &mp3);
	mpeg_frames("mpeg1_layer1_448k_32000", l1_448k_32k, 672, 1, &mp3);
	/* The padding bit adds one byte (one slot) to the frame. */
	mpeg_frames("mpeg1_layer3_padded", l3_padded, 418, 1, &mp3);
	mpeg_frames("padded_frame_next_header_one_byte_early", l3_padded, 417,
	    1, &raw);
	/* One lone frame sync is too weak: random data has it often. */
	mpeg_frames("single_frame_header", l3_128k_44k, 417, 0, &raw);
}

static void
test_adts_needs_second_frame_inside_head(void)
{
	unsigned char *buf;
	ps_sniff_result r;
	size_t big = 8190, len = 3 * PS_SNIFF_HEAD_BYTES;

	/*
	 * ADTS headers with frame lengths of 4000 and 8190 bytes, each
	 * followed by a second header: the second one lies inside the
	 * PS_SNIFF_HEAD_BYTES head only in the first case.  Bytes past the
	 * head are ignored even when the caller passes them.
	 */
	buf = calloc(1, len);
	if (buf == NULL)
		tap_bail("out of memory");
	memcpy(buf, "\xff\xf1\x50\x80\0\x1f\xfc", 7);
	buf[3] = (unsigned char)(0x80 | (4000 >> 11));
	buf[4] = (unsigned char)(4000 >> 3);
	buf[5] = (unsigned char)((4000 & 7) << 5 | 0x1f);
	memcpy(buf + 4000, buf, 7);
	r = ps_sniff(buf, len);
	is_str(r.mime, "audio/aac", "adts_second_frame_inside_head_is_aac");

	memset(buf, 0, len);
	memcpy(buf, "\xff\xf1\x50\x80\0\x1f\xfc", 7);
	buf[3] = (unsigned char)(0x80 | (big >> 11));
	buf[4] = (unsigned char)(big >> 3);
	buf[5] = (unsigned char)((big & 7) << 5 | 0x1f);
	memcpy(buf + big, buf, 7);
	r = ps_sniff(buf, len);
	is_str(r.mime, "application/octet-stream",
	    "adts_second_frame_past_head_is_raw_even_if_passed");
	free(buf);
}

static void
test_never_media(void)
{
	size_t i;

	for (i = 0; i < sizeof(never_media) / sizeof(never_media[0]); i++)
		check_sample("never", &never_media[i]);
}

static void
test_empty_and_null(void)
{
	ps_sniff_result r;

	r = sniff_exact((const unsigned char *)"", 0);
	ok(same(r, &raw), "empty_file_is_raw");
	r = ps_sniff(NULL, 0);
	ok(same(r, &raw), "null_head_is_raw");
	/* A NULL head with a length is a caller bug; still no crash. */
	r = ps_sniff(NULL, 16);
	ok(same(r, &raw), "null_head_with_length_is_raw");
}

static void
test_polyglot_labelled_by_leading_bytes(void)
{
	static const char png_html[] = "\x89PNG\r\n\x1a\n\0\0\0\x0d" "IHDR"
	    "\0\0\0\x01\0\0\0\x01\x08\0\0\0\0<html><script>alert(1)"
	    "</script></html>";
	static const char gif_js[] = "GIF89a/*\x01\0\0\0\0*/=1;alert(1);";
	ps_sniff_result r;

	/*
	 * Documented in ps_sniff.h: such a file is what its leading bytes
	 * say; the storage layer's nosniff header keeps the rest inert.
	 */
	r = ps_sniff((const unsigned char *)png_html, sizeof(png_html) - 1);
	is_str(r.mime, "image/png", "png_then_html_polyglot_is_png");
	r = ps_sniff((const unsigned char *)gif_js, sizeof(gif_js) - 1);
	is_str(r.mime, "image/gif", "gif_then_script_polyglot_is_gif");
}

static void
test_kind_names(void)
{
	is_str(ps_media_kind_name(PS_MEDIA_IMAGE), "image", "kind_name_image");
	is_str(ps_media_kind_name(PS_MEDIA_VIDEO), "video", "kind_name_video");
	is_str(ps_media_kind_name(PS_MEDIA_AUDIO), "audio", "kind_name_audio");
	is_str(ps_media_kind_name(PS_MEDIA_RAW), "raw", "kind_name_raw");
	is_str(ps_media_kind_name((ps_media_kind)42), "raw",
	    "kind_name_out_of_range_is_raw");
}

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int
consistent(ps_sniff_result r)
{
	const char *want;

	if (r.mime == NULL || r.ext == NULL || r.resource_type == NULL)
		return 0;
	switch (r.kind) {
	case PS_MEDIA_IMAGE:
		want = "image";
		break;
	case PS_MEDIA_VIDEO:
	case PS_MEDIA_AUDIO:
		want = "video";
		break;
	case PS_MEDIA_RAW:
		want = "raw";
		break;
	default:
		return 0;
	}
	return strcmp(r.resource_type, want) == 0 &&
	    (r.kind != PS_MEDIA_RAW || strcmp(r.ext, "bin") == 0);
}

static void
test_mutated_headers_stay_in_bounds(void)
{
	unsigned char buf[256];
	ps_sniff_result r;
	uint32_t seed = 0x9e3779b9u;
	size_t i, n, k, len;
	int good = 1;

	/*
	 * Flip random bytes of every hand-built header and sniff exact-size
	 * copies: under ASan or valgrind any read past len fails the run;
	 * here every answer must also be self-consistent.
	 */
	for (i = 0; i < 20000 && good; i++) {
		const struct sample *s = &hand[i % (sizeof(hand) /
		    sizeof(hand[0]))];

		len = s->len < sizeof(buf) ? s->len : sizeof(buf);
		memcpy(buf, s->bytes, len);
		for (k = 0; k < 3; k++)
			buf[xorshift(&seed) % len] = (unsigned char)
			    xorshift(&seed);
		n = xorshift(&seed) % (len + 1);
		r = sniff_exact(buf, n);
		good = consistent(r);
	}
	ok(good, "mutated_headers_give_consistent_answers");
}

int
main(void)
{
	test_real_files();
	test_hand_built();
	test_mpeg_audio_frames();
	test_adts_needs_second_frame_inside_head();
	test_never_media();
	test_empty_and_null();
	test_polyglot_labelled_by_leading_bytes();
	test_kind_names();
	test_mutated_headers_stay_in_bounds();
	return tap_done();
}
