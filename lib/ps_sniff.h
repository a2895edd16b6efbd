/*
 * ps_sniff.h - what a file is, from its first bytes.
 *
 * The storage chain picks the Cloudinary resource type, the stored MIME
 * type and the file extension from the bytes of an upload, never from the
 * Content-Type or file name the client claims (DESIGN.md, "Storage chain").
 *
 * Only binary signatures are recognised.  Text formats (HTML, SVG, XML,
 * JSON, scripts) and everything unknown come back as raw
 * application/octet-stream, so active content is never labelled as an
 * image.  A polyglot that starts with a genuine image signature (a PNG
 * header followed by HTML, say) is labelled by its leading bytes: that is
 * what a decoder sees too, and the storage layer serves every object with
 * "X-Content-Type-Options: nosniff" and raw objects as attachments, so the
 * HTML half is never rendered.
 *
 * ps_sniff() is a pure function: no allocation, no global state, every
 * read bounds-checked against len.  A signature is accepted only when all
 * the bytes it needs are present, so a truncated header is either labelled
 * as what it is or as raw, never as something else.
 */
#ifndef PS_SNIFF_H
#define PS_SNIFF_H

#include <stddef.h>

/*
 * How many leading bytes ps_sniff() looks at.  Most signatures need fewer
 * than 64; the bound comes from MPEG audio and ADTS AAC, which have no
 * magic number and are recognised by two consecutive frame headers: an
 * MPEG audio frame is at most 2881 bytes and an ADTS frame at most 8191,
 * so the second header of nearly every stream lies in the first 8 KiB.
 * Bytes past this bound are ignored, so passing the whole file or only
 * its head gives the same answer.
 */
#define PS_SNIFF_HEAD_BYTES 8192

typedef enum ps_media_kind {
	PS_MEDIA_RAW = 0,
	PS_MEDIA_IMAGE,
	PS_MEDIA_VIDEO,
	PS_MEDIA_AUDIO
} ps_media_kind;

typedef struct ps_sniff_result {
	ps_media_kind kind;
	/* Cloudinary resource_type: "image", "video" (audio too) or "raw". */
	const char *resource_type;
	/* Canonical MIME type: "image/png", "application/octet-stream"... */
	const char *mime;
	/* Extension to store the object under, without the dot ("bin"). */
	const char *ext;
} ps_sniff_result;

/*
 * Classify a file from its first len bytes (head may be NULL when len is
 * 0).  Never fails: unknown, empty or truncated input is raw.  The strings
 * in the result are static.
 */
ps_sniff_result ps_sniff(const unsigned char *head, size_t len);

/* Stable lower-case name of a kind ("image", "video", "audio", "raw"). */
const char *ps_media_kind_name(ps_media_kind kind);

#endif /* PS_SNIFF_H */
