/*
 * ps_sniff.c - media type detection from leading bytes; see ps_sniff.h.
 *
 * Each sniffer looks for one family of signatures and answers a format or
 * F_RAW.  Every read goes through avail()/match(), which check the bytes
 * are inside the head first; a signature whose bytes are not all present
 * is not matched.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "ps_sniff.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

enum fmt {
	F_RAW = 0,
	/* images */
	F_JPEG, F_PNG, F_GIF, F_WEBP, F_HEIC, F_HEICS, F_HEIF, F_HEIFS,
	F_AVIF, F_BMP, F_TIFF, F_ICO,
	/* video */
	F_MP4, F_MOV, F_3GP, F_3G2, F_WEBM, F_MKV, F_AVI, F_OGV,
	/* audio */
	F_VORBIS, F_OPUS, F_OGG_FLAC, F_SPEEX, F_MP3, F_M4A, F_AMR,
	F_AMR_WB, F_WAV, F_FLAC, F_AAC, F_AIFF,
	F__COUNT
};

static const struct {
	ps_media_kind kind;
	const char *mime;
	const char *ext;
} fmts[F__COUNT] = {
	[F_RAW] = {PS_MEDIA_RAW, "application/octet-stream", "bin"},
	[F_JPEG] = {PS_MEDIA_IMAGE, "image/jpeg", "jpg"},
	[F_PNG] = {PS_MEDIA_IMAGE, "image/png", "png"},
	[F_GIF] = {PS_MEDIA_IMAGE, "image/gif", "gif"},
	[F_WEBP] = {PS_MEDIA_IMAGE, "image/webp", "webp"},
	[F_HEIC] = {PS_MEDIA_IMAGE, "image/heic", "heic"},
	[F_HEICS] = {PS_MEDIA_IMAGE, "image/heic-sequence", "heics"},
	[F_HEIF] = {PS_MEDIA_IMAGE, "image/heif", "heif"},
	[F_HEIFS] = {PS_MEDIA_IMAGE, "image/heif-sequence", "heifs"},
	[F_AVIF] = {PS_MEDIA_IMAGE, "image/avif", "avif"},
	[F_BMP] = {PS_MEDIA_IMAGE, "image/bmp", "bmp"},
	[F_TIFF] = {PS_MEDIA_IMAGE, "image/tiff", "tiff"},
	[F_ICO] = {PS_MEDIA_IMAGE, "image/vnd.microsoft.icon", "ico"},
	[F_MP4] = {PS_MEDIA_VIDEO, "video/mp4", "mp4"},
	[F_MOV] = {PS_MEDIA_VIDEO, "video/quicktime", "mov"},
	[F_3GP] = {PS_MEDIA_VIDEO, "video/3gpp", "3gp"},
	[F_3G2] = {PS_MEDIA_VIDEO, "video/3gpp2", "3g2"},
	[F_WEBM] = {PS_MEDIA_VIDEO, "video/webm", "webm"},
	[F_MKV] = {PS_MEDIA_VIDEO, "video/x-matroska", "mkv"},
	[F_AVI] = {PS_MEDIA_VIDEO, "video/x-msvideo", "avi"},
	[F_OGV] = {PS_MEDIA_VIDEO, "video/ogg", "ogv"},
	[F_VORBIS] = {PS_MEDIA_AUDIO, "audio/ogg", "ogg"},
	[F_OPUS] = {PS_MEDIA_AUDIO, "audio/ogg", "opus"},
	[F_OGG_FLAC] = {PS_MEDIA_AUDIO, "audio/ogg", "oga"},
	[F_SPEEX] = {PS_MEDIA_AUDIO, "audio/ogg", "spx"},
	[F_MP3] = {PS_MEDIA_AUDIO, "audio/mpeg", "mp3"},
	[F_M4A] = {PS_MEDIA_AUDIO, "audio/mp4", "m4a"},
	[F_AMR] = {PS_MEDIA_AUDIO, "audio/amr", "amr"},
	[F_AMR_WB] = {PS_MEDIA_AUDIO, "audio/amr-wb", "awb"},
	[F_WAV] = {PS_MEDIA_AUDIO, "audio/wav", "wav"},
	[F_FLAC] = {PS_MEDIA_AUDIO, "audio/flac", "flac"},
	[F_AAC] = {PS_MEDIA_AUDIO, "audio/aac", "aac"},
	[F_AIFF] = {PS_MEDIA_AUDIO, "audio/aiff", "aiff"},
};

/* The bytes [off, off + n) are inside a head of len bytes. */
static int
avail(size_t len, size_t off, size_t n)
{
	return off <= len && n <= len - off;
}

static int
match(const unsigned char *p, size_t len, size_t off, const char *magic,
    size_t n)
{
	return avail(len, off, n) && memcmp(p + off, magic, n) == 0;
}

/* Match a string literal, without its terminating NUL. */
#define MATCH(p, len, off, lit) match((p), (len), (off), (lit), \
    sizeof(lit) - 1)

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

static unsigned
le16(const unsigned char *p)
{
	return (unsigned)p[1] << 8 | p[0];
}

/* ---- images ---------------------------------------------------------- */

static enum fmt
sniff_jpeg(const unsigned char *p, size_t len)
{
	/*
	 * SOI then the first marker (ITU T.81, B.1.1.2): 0xFF and a marker
	 * code that is neither 0x00 nor 0xFF.
	 */
	if (MATCH(p, len, 0, "\xff\xd8\xff") && avail(len, 3, 1) &&
	    p[3] >= 0xc0 && p[3] != 0xff)
		return F_JPEG;
	return F_RAW;
}

static enum fmt
sniff_png(const unsigned char *p, size_t len)
{
	/* Signature, then IHDR must be the first chunk (PNG spec 5.2, 5.6). */
	if (MATCH(p, len, 0, "\x89PNG\r\n\x1a\n") &&
	    avail(len, 8, 8) && be32(p + 8) == 13 &&
	    MATCH(p, len, 12, "IHDR"))
		return F_PNG;
	return F_RAW;
}

static enum fmt
sniff_gif(const unsigned char *p, size_t len)
{
	if (MATCH(p, len, 0, "GIF87a") || MATCH(p, len, 0, "GIF89a"))
		return F_GIF;
	return F_RAW;
}

static enum fmt
sniff_bmp(const unsigned char *p, size_t len)
{
	uint32_t dib;

	/* BITMAPFILEHEADER, then the size of a known DIB header at 14. */
	if (!MATCH(p, len, 0, "BM") || !avail(len, 14, 4))
		return F_RAW;
	dib = le32(p + 14);
	if (dib == 12 || dib == 16 || dib == 40 || dib == 52 || dib == 56 ||
	    dib == 64 || dib == 108 || dib == 124)
		return F_BMP;
	return F_RAW;
}

static enum fmt
sniff_tiff(const unsigned char *p, size_t len)
{
	/* Byte order, 42, first IFD offset past the header (TIFF 6.0, 2). */
	if (!avail(len, 0, 8))
		return F_RAW;
	if (MATCH(p, len, 0, "II*\0") && le32(p + 4) >= 8)
		return F_TIFF;
	if (MATCH(p, len, 0, "MM\0*") && be32(p + 4) >= 8)
		return F_TIFF;
	return F_RAW;
}

static enum fmt
sniff_ico(const unsigned char *p, size_t len)
{
	unsigned count, planes, bpp;

	/* ICONDIR, then a sane first ICONDIRENTRY (reserved 0, planes 0/1). */
	if (!MATCH(p, len, 0, "\0\0\1\0") || !avail(len, 6, 16))
		return F_RAW;
	count = le16(p + 4);
	planes = le16(p + 10);
	bpp = le16(p + 12);
	if (count == 0 || p[9] != 0 || planes > 1)
		return F_RAW;
	if (bpp != 0 && bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 &&
	    bpp != 24 && bpp != 32)
		return F_RAW;
	if (le32(p + 14) == 0 || le32(p + 18) < 6 + 16 * (uint32_t)count)
		return F_RAW;
	return F_ICO;
}

/* ---- RIFF, IFF ------------------------------------------------------- */

static enum fmt
sniff_riff(const unsigned char *p, size_t len)
{
	if (MATCH(p, len, 0, "RIFF")) {
		if (MATCH(p, len, 8, "WAVE"))
			return F_WAV;
		if (MATCH(p, len, 8, "AVI "))
			return F_AVI;
		/* The first chunk says lossy, lossless or extended (WebP
		 * container spec, "RIFF header"). */
		if (MATCH(p, len, 8, "WEBP") &&
		    (MATCH(p, len, 12, "VP8 ") || MATCH(p, len, 12, "VP8L") ||
		    MATCH(p, len, 12, "VP8X")))
			return F_WEBP;
		return F_RAW;
	}
	/* RF64 is WAVE past 4 GiB (EBU Tech 3306). */
	if (MATCH(p, len, 0, "RF64") && MATCH(p, len, 8, "WAVE"))
		return F_WAV;
	if (MATCH(p, len, 0, "FORM") &&
	    (MATCH(p, len, 8, "AIFF") || MATCH(p, len, 8, "AIFC")))
		return F_AIFF;
	return F_RAW;
}

/* ---- ISO base media file format -------------------------------------- */

/*
 * Brands of the ftyp box (ISO/IEC 14496-12, 4.3).  A specific brand names
 * the format outright; a generic one (isom, mif1, ...) only says which
 * family, and loses to any specific brand among the compatible ones.
 */
static const struct {
	char cc[5];
	unsigned char fmt;
	unsigned char specific;
} brands[] = {
	/* HEIF, ISO/IEC 23008-12 Annex B; AVIF, AV1 Image File Format 8. */
	{"heic", F_HEIC, 1}, {"heix", F_HEIC, 1}, {"heim", F_HEIC, 1},
	{"heis", F_HEIC, 1}, {"hevc", F_HEICS, 1}, {"hevx", F_HEICS, 1},
	{"hevm", F_HEICS, 1}, {"hevs", F_HEICS, 1}, {"avif", F_AVIF, 1},
	{"avis", F_AVIF, 1}, {"mif1", F_HEIF, 0}, {"miaf", F_HEIF, 0},
	{"msf1", F_HEIFS, 0},
	/* QuickTime File Format, "File type compatibility atom". */
	{"qt  ", F_MOV, 1},
	/* iTunes audio and audiobooks; Adobe F4A/F4B. */
	{"M4A ", F_M4A, 1}, {"M4B ", F_M4A, 1}, {"M4P ", F_M4A, 1},
	{"F4A ", F_M4A, 1}, {"F4B ", F_M4A, 1},
	/* Video-only brands (14496-14, 14496-15, DASH, iTunes video). */
	{"avc1", F_MP4, 1}, {"dash", F_MP4, 1}, {"M4V ", F_MP4, 1},
	{"M4VH", F_MP4, 1}, {"M4VP", F_MP4, 1}, {"f4v ", F_MP4, 1},
	/* Generic ISO/MP4 brands. */
	{"isom", F_MP4, 0}, {"iso2", F_MP4, 0}, {"iso3", F_MP4, 0},
	{"iso4", F_MP4, 0}, {"iso5", F_MP4, 0}, {"iso6", F_MP4, 0},
	{"iso7", F_MP4, 0}, {"iso8", F_MP4, 0}, {"iso9", F_MP4, 0},
	{"mp41", F_MP4, 0}, {"mp42", F_MP4, 0}, {"mmp4", F_MP4, 0},
	{"MSNV", F_MP4, 0},
};

static enum fmt
brand_fmt(const unsigned char *b, int *specific)
{
	size_t i;

	/* 3GPP TS 26.244 5.4.2: 3gp*, 3gs*, 3gr*...; 3GPP2 C.S0050: 3g2*. */
	*specific = 1;
	if (memcmp(b, "3g2", 3) == 0)
		return F_3G2;
	if (b[0] == '3' && b[1] == 'g' && b[2] != '\0' &&
	    strchr("pserghmt", b[2]) != NULL)
		return F_3GP;
	for (i = 0; i < NITEMS(brands); i++)
		if (memcmp(b, brands[i].cc, 4) == 0) {
			*specific = brands[i].specific;
			return (enum fmt)brands[i].fmt;
		}
	*specific = 0;
	return F_RAW;
}

static enum fmt
sniff_ftyp(const unsigned char *p, size_t len)
{
	enum fmt f, generic = F_RAW;
	uint32_t size, off;
	int specific;

	/*
	 * ftyp: size, "ftyp", major brand, minor version, then compatible
	 * brands to the end of the box.  Decide only once the whole box is
	 * in the head, so a truncated one is raw rather than a guess.
	 */
	if (!MATCH(p, len, 4, "ftyp"))
		return F_RAW;
	size = be32(p);
	if (size < 16 || (size - 16) % 4 != 0 || size > len)
		return F_RAW;
	for (off = 8; off < size; off += 4) {
		if (off == 12)
			continue; /* minor_version, not a brand */
		f = brand_fmt(p + off, &specific);
		if (f == F_RAW)
			continue;
		if (specific)
			return f;
		if (generic == F_RAW)
			generic = f;
	}
	return generic;
}

static int
qt_is(const unsigned char *t, const char *const *types, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(t, types[i], 4) == 0)
			return 1;
	return 0;
}

static int
printable4(const unsigned char *p)
{
	int i;

	for (i = 0; i < 4; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

static enum fmt
sniff_qt_atoms(const unsigned char *p, size_t len)
{
	static const char *const skip[] = {"free", "skip", "wide", "pnot"};
	static const char *const moov_first[] = {"mvhd", "cmov", "prfl",
	    "trak", "udta", "iods", "meta"};
	size_t off = 0;
	uint32_t size;
	int i;

	/*
	 * A QuickTime movie without ftyp (QTFF, "Atoms"): a few free, skip,
	 * wide or preview atoms, then the movie (moov, whose first child is
	 * a known atom) or the media data (mdat: size 0 means "to the end
	 * of the file", 1 means a 64-bit size follows).
	 */
	for (i = 0; i < 4; i++) {
		if (!avail(len, off, 8))
			return F_RAW;
		size = be32(p + off);
		/*
		 * Four printable bytes before the first type are text
		 * ("<p>xmdat", "FORMmdat"), not a size: a real first atom
		 * that large with every byte printable (512 MiB and up)
		 * loses only its label and is kept as raw.
		 */
		if (off == 0 && printable4(p))
			return F_RAW;
		if (memcmp(p + off + 4, "mdat", 4) == 0)
			return size == 0 || size == 1 || size >= 8 ?
			    F_MOV : F_RAW;
		if (memcmp(p + off + 4, "moov", 4) == 0)
			return size >= 16 && avail(len, off + 12, 4) &&
			    qt_is(p + off + 12, moov_first,
			    NITEMS(moov_first)) ? F_MOV : F_RAW;
		if (!qt_is(p + off + 4, skip, NITEMS(skip)) || size < 8 ||
		    size > len - off)
			return F_RAW;
		off += size;
	}
	return F_RAW;
}

/* ---- Matroska / WebM ------------------------------------------------- */

/*
 * Read an EBML variable-size integer (RFC 8794, 4): the count of leading
 * zero bits of the first byte gives the length.  IDs keep their marker
 * bit, sizes drop it.  Returns 0 when it does not fit or is too long.
 */
static int
ebml_vint(const unsigned char *p, size_t len, size_t *off, int maxlen,
    int is_id, uint64_t *out)
{
	unsigned first;
	uint64_t v;
	int n, i;

	if (!avail(len, *off, 1) || p[*off] == 0)
		return 0;
	first = p[*off];
	for (n = 1; (first & (0x80u >> (n - 1))) == 0; n++)
		continue;
	if (n > maxlen || !avail(len, *off, (size_t)n))
		return 0;
	v = is_id ? first : first & (0xffu >> n);
	for (i = 1; i < n; i++)
		v = v << 8 | p[*off + (size_t)i];
	*off += (size_t)n;
	*out = v;
	return n;
}

static enum fmt
sniff_ebml(const unsigned char *p, size_t len)
{
	uint64_t id, size;
	size_t off = 4, end, n;
	int szlen;

	/*
	 * EBML header (RFC 8794, 11.2): its DocType child says "webm" or
	 * "matroska" (RFC 9559, 5.1).  Walk the header's children; anything
	 * cut off by the end of the head is raw.
	 */
	if (!MATCH(p, len, 0, "\x1a\x45\xdf\xa3"))
		return F_RAW;
	szlen = ebml_vint(p, len, &off, 8, 0, &size);
	if (szlen == 0)
		return F_RAW;
	/* All ones is "unknown size": bound the walk by the head. */
	if (size == (UINT64_C(1) << (7 * szlen)) - 1 || size > len - off)
		end = len;
	else
		end = off + (size_t)size;
	while (off < end) {
		if (ebml_vint(p, end, &off, 4, 1, &id) == 0)
			return F_RAW;
		szlen = ebml_vint(p, end, &off, 8, 0, &size);
		if (szlen == 0 || size > end - off)
			return F_RAW;
		if (id != 0x4282) {
			off += (size_t)size;
			continue;
		}
		/* A string may be padded with NULs (RFC 8794, 7.4). */
		n = (size_t)size;
		while (n > 0 && p[off + n - 1] == '\0')
			n--;
		if (n == 4 && memcmp(p + off, "webm", 4) == 0)
			return F_WEBM;
		if (n == 8 && memcmp(p + off, "matroska", 8) == 0)
			return F_MKV;
		return F_RAW;
	}
	return F_RAW;
}

/* ---- Ogg ------------------------------------------------------------- */

static enum fmt
sniff_ogg(const unsigned char *p, size_t len)
{
	size_t pkt;

	/*
	 * First page (RFC 3533, 6): version 0, beginning-of-stream flag,
	 * segment table, then the first packet, whose magic names the codec:
	 * RFC 7845 5.1 (Opus), Vorbis I 4.2.1, FLAC-in-Ogg mapping, Speex
	 * manual "Ogg file format", Theora I 6.2.
	 */
	if (!MATCH(p, len, 0, "OggS") || !avail(len, 0, 27))
		return F_RAW;
	if (p[4] != 0 || (p[5] & 0x02) == 0 || p[26] == 0)
		return F_RAW;
	pkt = 27 + (size_t)p[26];
	if (MATCH(p, len, pkt, "OpusHead"))
		return F_OPUS;
	if (MATCH(p, len, pkt, "\x01" "vorbis"))
		return F_VORBIS;
	if (MATCH(p, len, pkt, "\x7f" "FLAC"))
		return F_OGG_FLAC;
	if (MATCH(p, len, pkt, "Speex   "))
		return F_SPEEX;
	if (MATCH(p, len, pkt, "\x80" "theora"))
		return F_OGV;
	return F_RAW;
}

/* ---- audio with a magic number --------------------------------------- */

static enum fmt
sniff_audio_magic(const unsigned char *p, size_t len)
{
	/* RFC 4867, 5: AMR and AMR-WB storage format magic. */
	if (MATCH(p, len, 0, "#!AMR\n"))
		return F_AMR;
	if (MATCH(p, len, 0, "#!AMR-WB\n"))
		return F_AMR_WB;
	/* FLAC format, "Stream": magic then STREAMINFO (type 0, 34 bytes). */
	if (MATCH(p, len, 0, "fLaC") && avail(len, 4, 4) &&
	    (p[4] & 0x7f) == 0 && p[5] == 0 && p[6] == 0 && p[7] == 34)
		return F_FLAC;
	/*
	 * ID3v2 tag (id3v2.4.0-structure 3.1): version 2-4, revision not
	 * 0xFF, a 28-bit size stored in four 7-bit bytes.  What follows is
	 * nearly always MPEG audio.
	 */
	if (MATCH(p, len, 0, "ID3") && avail(len, 0, 10) &&
	    p[3] >= 2 && p[3] <= 4 && p[4] != 0xff &&
	    ((p[6] | p[7] | p[8] | p[9]) & 0x80) == 0)
		return F_MP3;
	return F_RAW;
}

/* ---- MPEG audio and ADTS: recognised by two frames in a row ---------- */

/*
 * Length of the MPEG-1/2/2.5 audio frame whose header is at h (4 bytes),
 * 0 when h is not a valid header (ISO/IEC 11172-3 2.4.2.3, 13818-3).
 * Free-format bitrate is refused: its length cannot be computed.
 */
static size_t
mpa_frame_len(const unsigned char *h)
{
	static const unsigned short kbps[5][15] = {
		/* MPEG-1 layer I, II, III */
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384,
		    416, 448},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
		    384},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256,
		    320},
		/* MPEG-2/2.5 layer I, then II and III */
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224,
		    256},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
	};
	static const unsigned short hz[3][3] = {
		{44100, 48000, 32000}, {22050, 24000, 16000},
		{11025, 12000, 8000},
	};
	unsigned ver, layer, bri, sri, pad, row;
	unsigned long br, sr;

	if (h[0] != 0xff || (h[1] & 0xe0) != 0xe0)
		return 0;
	ver = (h[1] >> 3) & 3;	/* 0: 2.5, 1: reserved, 2: MPEG-2, 3: 1 */
	layer = (h[1] >> 1) & 3; /* 0: reserved, 1: III, 2: II, 3: I */
	bri = h[2] >> 4;
	sri = (h[2] >> 2) & 3;
	pad = (h[2] >> 1) & 1;
	if (ver == 1 || layer == 0 || bri == 0 || bri == 15 || sri == 3 ||
	    (h[3] & 3) == 2)
		return 0;
	if (ver == 3)
		row = 3 - layer;
	else
		row = layer == 3 ? 3 : 4;
	br = kbps[row][bri] * 1000UL;
	sr = hz[ver == 3 ? 0 : ver == 2 ? 1 : 2][sri];
	if (layer == 3)
		return (12 * br / sr + pad) * 4;
	if (layer == 1 && ver != 3)
		return 72 * br / sr + pad;
	return 144 * br / sr + pad;
}

/*
 * Length of the ADTS frame whose header is at h (7 bytes), 0 when h is not
 * a valid header (ISO/IEC 13818-7 6.2, 14496-3 1.A.2.2): 12-bit sync,
 * layer 0, a defined sampling index, a length covering its own header.
 */
static size_t
adts_frame_len(const unsigned char *h)
{
	size_t flen, hdr;

	if (h[0] != 0xff || (h[1] & 0xf6) != 0xf0)
		return 0;
	if (((h[2] >> 2) & 0xf) > 12)
		return 0;
	flen = (size_t)(h[3] & 3) << 11 | (size_t)h[4] << 3 | h[5] >> 5;
	hdr = (h[1] & 1) ? 7 : 9; /* protection_absent: no CRC */
	return flen >= hdr ? flen : 0;
}

static enum fmt
sniff_frames(const unsigned char *p, size_t len)
{
	size_t n;

	/*
	 * Frame sync alone is 11 or 12 bits: random data has it often.  Ask
	 * for a second header, at the place the first one's length says,
	 * with the same version, layer and sampling rate.
	 */
	if (!avail(len, 0, 7))
		return F_RAW;
	n = adts_frame_len(p);
	if (n != 0 && avail(len, n, 7) && adts_frame_len(p + n) != 0 &&
	    p[n + 1] == p[1] && ((p[n + 2] ^ p[2]) & 0x3c) == 0)
		return F_AAC;
	n = mpa_frame_len(p);
	if (n != 0 && avail(len, n, 4) && mpa_frame_len(p + n) != 0 &&
	    (p[n + 1] & 0xfe) == (p[1] & 0xfe) &&
	    ((p[n + 2] ^ p[2]) & 0x0c) == 0)
		return F_MP3;
	return F_RAW;
}

/* ---- entry points ---------------------------------------------------- */

/*
 * Order matters where signatures share bytes: an ftyp or mdat box of 256
 * bytes starts 00 00 01 00, the ICO magic, so boxes are tried first.
 */
static enum fmt (*const sniffers[])(const unsigned char *, size_t) = {
	sniff_jpeg, sniff_png, sniff_gif, sniff_riff, sniff_ftyp,
	sniff_qt_atoms, sniff_ebml, sniff_ogg, sniff_audio_magic, sniff_bmp,
	sniff_tiff, sniff_ico, sniff_frames,
};

ps_sniff_result
ps_sniff(const unsigned char *head, size_t len)
{
	ps_sniff_result r;
	enum fmt f = F_RAW;
	size_t i;

	if (head == NULL)
		len = 0;
	if (len > PS_SNIFF_HEAD_BYTES)
		len = PS_SNIFF_HEAD_BYTES;
	/*
	 * Markup and JSON ("<", "{") are raw, whatever follows.  No format
	 * detected here starts with either byte, except a QuickTime file
	 * whose first atom is about 1 GiB or 2 GiB long; it loses only its
	 * label.
	 */
	if (len > 0 && (head[0] == '<' || head[0] == '{'))
		len = 0;
	for (i = 0; i < NITEMS(sniffers) && f == F_RAW; i++)
		f = sniffers[i](head, len);
	r.kind = fmts[f].kind;
	r.mime = fmts[f].mime;
	r.ext = fmts[f].ext;
	/* Cloudinary files audio under "video" (PROTOCOLS.md). */
	switch (r.kind) {
	case PS_MEDIA_IMAGE:
		r.resource_type = "image";
		break;
	case PS_MEDIA_VIDEO:
	case PS_MEDIA_AUDIO:
		r.resource_type = "video";
		break;
	default:
		r.resource_type = "raw";
		break;
	}
	return r;
}

const char *
ps_media_kind_name(ps_media_kind kind)
{
	switch (kind) {
	case PS_MEDIA_IMAGE:
		return "image";
	case PS_MEDIA_VIDEO:
		return "video";
	case PS_MEDIA_AUDIO:
		return "audio";
	default:
		return "raw";
	}
}
