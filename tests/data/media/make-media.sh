#!/bin/sh
# make-media.sh - regenerate the sample files that tests/unit/test_sniff.c
# classifies.  Needs python3 (stdlib only) and ffmpeg (Debian 12's 5.1
# was used).  Run from this directory; every output is under 4 KiB.
set -eu

# PNG, GIF, BMP, WAV and AMR written field by field with the stdlib.
python3 - <<'PY'
import struct, wave, zlib

def chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data)))

# PNG: 2x2 RGB, one filter byte per row (PNG spec 5, 11.2.2).
rows = b"".join(b"\0" + bytes([255, 0, 0, 0, 255, 0]) for _ in range(2))
png = (b"\x89PNG\r\n\x1a\n" +
       chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open("sample.png", "wb").write(png)

# GIF89a: 1x1, 2-colour global table, one LZW-coded pixel.
gif = (b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) +
       b"\0\0\0\xff\xff\xff" +
       b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) +
       b"\x02\x02\x44\x01\x00" + b";")
open("sample.gif", "wb").write(gif)

# BMP: 2x2, 24 bits, BITMAPINFOHEADER, rows padded to 4 bytes.
pixels = (b"\0\0\xff\0\xff\0" + b"\0\0") * 2
bmp = (b"BM" + struct.pack("<IHHI", 14 + 40 + len(pixels), 0, 0, 54) +
       struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, len(pixels),
                   2835, 2835, 0, 0) + pixels)
open("sample.bmp", "wb").write(bmp)

# WAV: 0.05 s of 8-bit mono at 8 kHz through the wave module.
w = wave.open("sample.wav", "wb")
w.setnchannels(1)
w.setsampwidth(1)
w.setframerate(8000)
w.writeframes(bytes((128 + (i % 16) * 4) & 0xff for i in range(400)))
w.close()

# AMR-NB (RFC 4867, 5.1): magic, then 10 NO_DATA frames (FT 15, Q 1).
open("sample.amr", "wb").write(b"#!AMR\n" + b"\x7c" * 10)
PY

F="ffmpeg -hide_banner -loglevel error -y -fflags +bitexact"
IMG="-f lavfi -i testsrc=size=8x8 -frames:v 1 -flags +bitexact"
VID="-f lavfi -i testsrc=size=16x16:rate=5:duration=0.4 -flags +bitexact"
AUD="-f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.3"
AUD="$AUD -flags +bitexact"
# Drop x264's SEI (its options string) and metadata to stay small.
X264="-c:v libx264 -preset ultrafast -bsf:v filter_units=remove_types=6"
X264="$X264 -map_metadata -1"

$F $IMG sample.jpg
$F $IMG -c:v libwebp sample.webp
$F $IMG -pix_fmt bgra sample.ico
$F -f lavfi -i testsrc=size=4x4 -frames:v 1 -flags +bitexact sample.tiff
$F -f lavfi -i testsrc=size=16x16 -frames:v 1 -flags +bitexact \
    -c:v libaom-av1 -still-picture 1 -cpu-used 8 sample.avif
$F $VID $X264 sample.mp4
$F $VID $X264 sample.mov
$F $VID $X264 sample.3gp
$F $VID $X264 -f 3g2 sample.3g2
$F $VID -c:v libvpx -b:v 20k sample.webm
$F $VID -c:v mpeg4 sample.mkv
# Written to a pipe: seekable AVI output reserves 4 KiB of OpenDML JUNK.
$F -f lavfi -i testsrc=size=16x16:rate=5 -frames:v 1 -flags +bitexact \
    -c:v mpeg4 -f avi - > sample.avi
$F -f lavfi -i testsrc=size=16x16:rate=5:duration=0.2 -flags +bitexact \
    -c:v libtheora -q:v 0 sample.ogv
$F $AUD -c:a libopus -b:a 6k sample.opus
$F $AUD -c:a libvorbis sample.ogg
$F $AUD -c:a libmp3lame -b:a 8k -id3v2_version 0 -write_xing 0 \
    sample-frames.mp3
$F $AUD -c:a libmp3lame -b:a 8k -id3v2_version 3 sample-id3.mp3
$F $AUD -c:a aac -b:a 8k sample.m4a
$F $AUD -c:a aac -b:a 8k -f adts sample.aac
$F -f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.1 \
    -flags +bitexact -c:a pcm_s16be sample.aiff
$F -f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.1 \
    -flags +bitexact -c:a flac sample.flac

# ffmpeg's FLAC muxer reserves an 8 KiB PADDING block; drop it the way
# "metaflac --remove --block-type=PADDING" would.
python3 - <<'PY'
d = open("sample.flac", "rb").read()
out, off = bytearray(d[:4]), 4
blocks = []
while True:
    hdr, n = d[off], int.from_bytes(d[off + 1:off + 4], "big")
    blocks.append((hdr & 0x7f, d[off + 4:off + 4 + n]))
    off += 4 + n
    if hdr & 0x80:
        break
blocks = [b for b in blocks if b[0] != 1]
for i, (kind, body) in enumerate(blocks):
    last = 0x80 if i == len(blocks) - 1 else 0
    out += bytes([kind | last]) + len(body).to_bytes(3, "big") + body
open("sample.flac", "wb").write(bytes(out) + d[off:])
PY

for f in sample*; do
	if [ "$(wc -c < "$f")" -ge 4096 ]; then
		echo "$f is 4 KiB or more" >&2
		exit 1
	fi
done
