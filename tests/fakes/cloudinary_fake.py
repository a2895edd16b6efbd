#!/usr/bin/env python3
"""Wire-faithful local fake of Cloudinary's Upload API and Admin API.

Checks what the real service checks (cloud name, api_key, timestamp age,
signature, file size and type, chunked-upload rules) and answers with the
real status codes and JSON shapes; see README.md beside this file.
"""
import base64
import hashlib
import hmac
import mimetypes
import os
import re
import secrets
import shutil
import string
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import parse_qsl, unquote

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakecommon import (IO_BLOCK, MAX_JSON, FakeError, FakeHandler,  # noqa
                        FakeServer, base_argparser, parse_multipart, serve,
                        utc_now)

RESOURCE_TYPES = ("image", "video", "raw")
UNSIGNED = ("file", "cloud_name", "resource_type", "api_key", "signature")
CHUNK_MIN = 5 * 1024 * 1024     # non-final chunks must be strictly larger
MAX_SESSIONS = 64               # concurrent chunked uploads
LIMIT_URL = "https://www.cloudinary.com/pricing/upgrades/file-limit"
AUDIO = ("mp3", "m4a", "wav", "flac", "amr", "aac", "ogg")
MIME = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif",
        "webp": "image/webp", "bmp": "image/bmp", "tiff": "image/tiff",
        "pdf": "application/pdf", "avif": "image/avif",
        "heic": "image/heic", "mp4": "video/mp4", "mov": "video/quicktime",
        "webm": "video/webm", "mkv": "video/x-matroska",
        "3gp": "video/3gpp", "avi": "video/x-msvideo", "ogg": "audio/ogg",
        "mp3": "audio/mpeg", "m4a": "audio/mp4", "wav": "audio/wav",
        "flac": "audio/flac", "amr": "audio/amr", "aac": "audio/aac"}


# -- signing (PROTOCOLS.md, "Signature") ----------------------------------

def string_to_sign(params):
    """Signature version 2: arrays joined with ',', empty values dropped,
    '&' in a value written '%26', sorted by key, joined with '&'."""
    pairs = []
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        if value is None or value == "":
            continue
        pairs.append((key, str(value).replace("&", "%26")))
    return "&".join("%s=%s" % kv for kv in sorted(pairs))


def sign(params, secret, algorithm="sha1"):
    return hashlib.new(algorithm, (string_to_sign(params) + secret)
                       .encode("utf-8")).hexdigest()


# -- what the bytes are ---------------------------------------------------

def sniff(h):
    """(kind, format) from magic bytes; kind is image, video or raw."""
    h = bytes(h[:64])
    if h.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "png"
    if h[:3] == b"\xff\xd8\xff":
        return "image", "jpg"
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "gif"
    if h[:4] == b"RIFF":
        return {b"WEBP": ("image", "webp"), b"WAVE": ("video", "wav"),
                b"AVI ": ("video", "avi")}.get(h[8:12], ("raw", None))
    if h[:2] == b"BM" and len(h) >= 26 and \
            int.from_bytes(h[14:18], "little") in (12, 40, 56, 108, 124):
        return "image", "bmp"
    if h[:4] in (b"II*\x00", b"MM\x00*"):
        return "image", "tiff"
    if h[:5] == b"%PDF-":
        return "image", "pdf"           # Cloudinary stores PDFs as images
    if h[4:8] == b"ftyp":
        brand = h[8:12]
        if brand in (b"avif", b"avis"):
            return "image", "avif"
        if brand in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"):
            return "image", "heic"
        if brand in (b"M4A ", b"M4B "):
            return "video", "m4a"
        if brand.startswith(b"3g"):
            return "video", "3gp"
        return "video", "mov" if brand == b"qt  " else "mp4"
    if h[:4] == b"\x1a\x45\xdf\xa3":
        return "video", "webm" if b"webm" in h else "mkv"
    for magic, fmt in ((b"OggS", "ogg"), (b"fLaC", "flac"),
                       (b"#!AMR", "amr"), (b"ID3", "mp3")):
        if h.startswith(magic):
            return "video", fmt
    if len(h) >= 2 and h[0] == 0xFF and h[1] & 0xE0 == 0xE0:
        return "video", "aac" if h[1] & 0xF6 == 0xF0 else "mp3"
    return "raw", None


def image_size(fmt, h):
    """(width, height) parsed from the first bytes; (0, 0) if unknown."""
    le, be = (lambda a, b: int.from_bytes(h[a:b], "little")), \
        (lambda a, b: int.from_bytes(h[a:b], "big"))
    if fmt == "png" and len(h) >= 24:
        return be(16, 20), be(20, 24)
    if fmt == "gif" and len(h) >= 10:
        return le(6, 8), le(8, 10)
    if fmt == "bmp" and len(h) >= 26:
        return le(18, 22), abs(int.from_bytes(h[22:26], "little",
                                              signed=True))
    if fmt == "webp" and len(h) >= 30:
        if h[12:16] == b"VP8X":
            return 1 + le(24, 27), 1 + le(27, 30)
        if h[12:16] == b"VP8 ":
            return le(26, 28) & 0x3FFF, le(28, 30) & 0x3FFF
        if h[12:16] == b"VP8L":
            bits = le(21, 25)
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if fmt == "jpg":
        i = 2
        while i + 9 <= len(h) and h[i] == 0xFF:
            marker = h[i + 1]
            if marker == 0xFF:                      # fill byte
                i += 1
            elif 0xD0 <= marker <= 0xD9 or marker == 0x01:
                i += 2                              # no length field
            elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return be(i + 7, i + 9), be(i + 5, i + 7)   # SOFn
            else:
                i += 2 + be(i + 2, i + 4)
    return 0, 0


def truthy(value, default):
    if value in (None, ""):
        return default
    return str(value).lower() in ("1", "true")


def random_id(n):
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


class ChunkSession:
    """Parts of one X-Unique-Upload-Id, spooled to their own directory."""

    def __init__(self, total, directory):
        self.total, self.dir = total, directory
        self.parts = {}             # start -> (end, path)
        self.received = 0
        self.lock = threading.Lock()


class CloudinaryServer(FakeServer):
    def __init__(self, handler, args):
        # One request carries at most 100 MB (PROTOCOLS.md) unless a larger
        # video limit is configured; 1 MiB more for the multipart framing.
        cap = max(args.max_file_size, args.max_video_size, 100 * 10 ** 6)
        super().__init__(handler, args, cap + (1 << 20))
        self.assets = {}            # (resource_type, public_id) -> asset
        self.sessions = {}          # upload id -> ChunkSession

    def reset_objects(self):
        self.assets.clear()
        self.sessions.clear()

    def object_count(self):
        with self.lock:
            return len(self.assets)


def public(asset):
    return {k: v for k, v in asset.items() if not k.startswith("_")}


class Handler(FakeHandler):
    def error_body(self, err):
        return err.status, {"error": {"message": err.message}}

    def fault_error(self, status):
        return FakeError(status, {500: "General Error"}.get(
            status, "Rate Limit Exceeded"))

    def route(self):
        p = self.url_path.split("/")
        if p[1:2] == ["v1_1"] and len(p) == 5 and p[4] in ("upload",
                                                           "destroy"):
            self.route_name = p[4]
            if self.command != "POST":
                raise FakeError(404, "Resource not found")
            self.check_cloud(p[2])
            (self.upload if p[4] == "upload" else self.destroy)(p[3])
        elif p[1:2] == ["v1_1"] and len(p) == 6 and p[3] == "resources":
            self.route_name = "admin_resources"
            if self.command != "GET":
                raise FakeError(404, "Resource not found")
            self.admin_resources(p[2], p[4], p[5])
        elif len(p) >= 5 and p[3] == "upload" and self.command in ("GET",
                                                                   "HEAD"):
            self.route_name = "delivery"
            self.deliver(p[1], p[2], "/".join(p[4:]))
        else:
            raise FakeError(404, "Resource not found")

    # -- authentication ---------------------------------------------------

    def check_cloud(self, cloud):
        if cloud != self.server.args.cloud_name:
            raise FakeError(401, "Invalid cloud_name %s" % cloud)

    def check_signed(self, params):
        args = self.server.args
        key = params.get("api_key")
        if not key:
            raise FakeError(401, "Must supply api_key")
        if key != args.api_key:
            raise FakeError(401, "Unknown API key %s" % key)
        ts = params.get("timestamp")
        if not ts:
            raise FakeError(400, "Missing required parameter - timestamp")
        if not re.fullmatch(r"\d{1,11}", str(ts)):
            raise FakeError(400, "Invalid timestamp %s" % ts)
        if time.time() - int(ts) > 3600:
            raise FakeError(400, "Stale request - reported time is %s which "
                            "is more than 1 hour ago" % time.strftime(
                                "%Y-%m-%d %H:%M:%S +0000",
                                time.gmtime(int(ts))))
        sig = params.get("signature")
        if not sig:
            raise FakeError(400, "Upload preset must be specified when "
                            "using unsigned upload")
        signed = {k: v for k, v in params.items() if k not in UNSIGNED}
        expected = sign(signed, args.api_secret, args.signature_algorithm)
        if not hmac.compare_digest(str(sig).encode(), expected.encode()):
            # The real service echoes the string to sign (no secret in it).
            raise FakeError(401, "Invalid Signature %s. String to sign - "
                            "'%s'." % (sig, string_to_sign(signed)))

    def read_params(self):
        """Parameters from a multipart or urlencoded body; `name[]` fields
        become arrays.  Returns (params, files)."""
        ctype = self.headers.get("Content-Type", "")
        kind = ctype.split(";")[0].strip().lower()
        files = {}
        if kind == "multipart/form-data":
            fields, files = parse_multipart(self.body, ctype,
                                            self.server.tmpdir,
                                            self.server.max_body, ("file",))
        elif kind == "application/x-www-form-urlencoded":
            raw = self.body.read_all(MAX_JSON).decode("utf-8", "replace")
            fields = parse_qsl(raw, keep_blank_values=True)
        else:
            fields = []
        params = {}
        for name, value in fields:
            if name.endswith("[]"):
                params.setdefault(name[:-2], []).append(value)
            else:
                params[name] = value
        return params, files

    # -- upload -----------------------------------------------------------

    def upload(self, rt):
        if rt not in RESOURCE_TYPES + ("auto",):
            raise FakeError(404, "Resource not found")
        params, files = self.read_params()
        spool = files.pop("file", None)
        for extra in files.values():
            extra.discard()
        try:
            self.check_signed(params)
            if spool is None:
                if params.get("file"):
                    raise FakeError(400, "This fake accepts only uploaded "
                                    "bytes, not remote or data URI sources")
                raise FakeError(400, "Missing required parameter - file")
            if "X-Unique-Upload-Id" in self.headers or \
                    "Content-Range" in self.headers:
                result = self.upload_chunk(rt, params, spool)
            else:
                result = self.finalize(rt, params, spool.path, spool.size,
                                       spool.md5.hexdigest(), spool.head,
                                       spool.filename, False)
            self.send_json(200, result)
        finally:
            if spool is not None:
                spool.discard()

    def size_limit(self, rt, chunked):
        args = self.server.args
        if rt == "video":
            return args.max_chunked_size if chunked else args.max_video_size
        return args.max_file_size

    def too_large(self, got, limit):
        return FakeError(400, "File size too large. Got %d. Maximum is %d. "
                         "Upgrade your plan to enjoy higher limits %s"
                         % (got, limit, LIMIT_URL))

    def upload_chunk(self, rt, params, spool):
        uid = self.headers.get("X-Unique-Upload-Id", "")
        crange = self.headers.get("Content-Range", "").strip()
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", uid):
            raise FakeError(400, "Invalid X-Unique-Upload-Id")
        m = re.fullmatch(r"bytes (\d{1,15})-(\d{1,15})/(\d{1,15})", crange)
        if not m or not int(m[1]) <= int(m[2]) < int(m[3]):
            raise FakeError(400, "Invalid Content-Range %s" % crange)
        start, end, total = int(m[1]), int(m[2]), int(m[3])
        if spool.size != end - start + 1:
            raise FakeError(400, "Content-Range %s does not match the %d "
                            "bytes received" % (crange, spool.size))
        last = end == total - 1
        if not last and spool.size <= CHUNK_MIN:
            raise FakeError(400, "All parts except EOF-chunk must be larger "
                            "than 5mb")
        limit = self.size_limit("video" if rt == "auto" else rt, True)
        if total > limit:
            raise self.too_large(total, limit)
        with self.server.lock:
            sess = self.server.sessions.get(uid)
            if sess is None:
                if len(self.server.sessions) >= MAX_SESSIONS:
                    raise FakeError(400, "Too many unfinished chunked uploads")
                sess = ChunkSession(total, tempfile.mkdtemp(
                    dir=self.server.tmpdir, prefix="chunks-"))
                self.server.sessions[uid] = sess
        with sess.lock:
            if total != sess.total:
                raise FakeError(400, "Content-Range total %d differs from "
                                "the %d of earlier chunks" % (total,
                                                              sess.total))
            for s, (e, _) in sess.parts.items():
                if start <= e and s <= end:
                    raise FakeError(400, "Content-Range %s overlaps bytes "
                                    "%d-%d already received" % (crange, s, e))
            missing = total - sess.received - spool.size
            if last and missing:
                # The SDKs send the EOF chunk only after all others succeeded.
                raise FakeError(400, "EOF chunk received while %d bytes of "
                                "other chunks are missing" % missing)
            path = os.path.join(sess.dir, "%015d" % start)
            os.replace(spool.path, path)
            sess.parts[start] = (end, path)
            sess.received += spool.size
            if missing:
                return {"done": False, "bytes": sess.received,
                        "upload_id": uid}
            with self.server.lock:
                self.server.sessions.pop(uid, None)
            return self.assemble(sess, rt, params, spool.filename)

    def assemble(self, sess, rt, params, filename):
        md5, head = hashlib.md5(), bytearray()
        fd, out = tempfile.mkstemp(dir=self.server.tmpdir, prefix="whole-")
        try:
            with os.fdopen(fd, "wb") as f:
                for start in sorted(sess.parts):
                    with open(sess.parts[start][1], "rb") as part:
                        for data in iter(lambda: part.read(IO_BLOCK), b""):
                            f.write(data)
                            md5.update(data)
                            if len(head) < 65536:
                                head += data[:65536 - len(head)]
            return self.finalize(rt, params, out, sess.total,
                                 md5.hexdigest(), head, filename, True)
        finally:
            shutil.rmtree(sess.dir, ignore_errors=True)
            if os.path.exists(out):
                os.unlink(out)

    def make_public_id(self, params, rt, filename):
        folder = (params.get("folder") or "").strip("/")
        pid = params.get("public_id") or ""
        stem, ext = os.path.splitext(os.path.basename(filename or ""))
        if not pid:
            if truthy(params.get("use_filename"), False) and stem:
                pid = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
                if truthy(params.get("unique_filename"), True):
                    pid += "_" + random_id(6)
            else:
                pid = random_id(20)
            if rt == "raw":
                pid += ext              # raw public IDs keep the extension
        full = folder + "/" + pid if folder else pid
        if len(full) > 255 or re.search(r"[?&#\\%<>+]", full) or \
                full != full.strip(" /") or "//" in full:
            raise FakeError(400, "public_id (%s) is invalid" % full)
        return full

    def finalize(self, rt, params, path, size, md5, head, filename, chunked):
        """Check and store a complete file; the success (or "existing")
        response object."""
        kind, fmt = sniff(head)
        eff = kind if rt == "auto" else rt
        limit = self.size_limit(eff, chunked)
        if size > limit:
            raise self.too_large(size, limit)
        if size == 0:
            raise FakeError(400, "Empty file")
        if eff == "image" and kind != "image":
            raise FakeError(400, "Invalid image file")
        if eff == "video" and kind != "video":
            raise FakeError(400, "Unsupported video format or file")
        if eff == "raw":
            fmt = None                  # raw assets have no format
        public_id = self.make_public_id(params, eff, filename)
        srv = self.server
        tags = params.get("tags") or []
        if isinstance(tags, str):
            tags = tags.split(",")
        with srv.lock:
            old = srv.assets.get((eff, public_id))
            # overwrite defaults to true for signed uploads.
            if old and not truthy(params.get("overwrite"), True):
                return dict(public(old), existing=True)
            version = max(int(time.time()), old["version"] + 1 if old else 0)
            asset_id = old["asset_id"] if old else uuid.uuid4().hex
            url = "%s/%s/%s/upload/v%d/%s%s" % (
                srv.base_url(), srv.args.cloud_name, eff, version, public_id,
                "." + fmt if fmt else "")
            asset = {"asset_id": asset_id, "public_id": public_id,
                     "version": version, "version_id": uuid.uuid4().hex,
                     "signature": hashlib.sha1(os.urandom(16)).hexdigest()}
            if eff == "image" or (eff == "video" and fmt not in AUDIO):
                asset["width"], asset["height"] = image_size(fmt, head)
            if fmt:
                asset["format"] = fmt
            asset.update({
                "resource_type": eff, "created_at": utc_now(),
                "tags": [t.strip() for t in tags if t.strip()],
                "bytes": size, "type": "upload", "etag": md5,
                "placeholder": False, "url": url, "secure_url": url,
                "original_filename": os.path.splitext(
                    os.path.basename(filename or ""))[0] or "file",
                "api_key": srv.args.api_key,
                "_blob": os.path.join(srv.blobdir, asset_id),
                "_mime": MIME.get(fmt) or mimetypes.guess_type(public_id)[0]
                or "application/octet-stream"})
            if eff == "video":
                asset["duration"] = 0.0
                if fmt in AUDIO:
                    asset["is_audio"] = True
            if "/" in public_id:
                asset["folder"] = public_id.rsplit("/", 1)[0]
            os.replace(path, asset["_blob"])   # atomic, readers keep theirs
            srv.assets[(eff, public_id)] = asset
            return public(asset)

    # -- destroy, admin listing, delivery ----------------------------------

    def destroy(self, rt):
        params, files = self.read_params()
        for f in files.values():
            f.discard()
        self.check_signed(params)
        if rt not in RESOURCE_TYPES:
            raise FakeError(404, "Resource not found")
        pid = params.get("public_id")
        if not pid:
            raise FakeError(400, "Missing required parameter - public_id")
        with self.server.lock:
            asset = self.server.assets.pop((rt, pid), None)
            if asset:
                os.unlink(asset["_blob"])
        self.send_json(200, {"result": "ok" if asset else "not found"})

    def admin_resources(self, cloud, rt, dtype):
        args = self.server.args
        self.check_cloud(cloud)
        m = re.fullmatch(r"Basic ([A-Za-z0-9+/=]{1,1024})",
                         self.headers.get("Authorization", "").strip())
        try:
            key, _, secret = base64.b64decode(m[1], validate=True) \
                .decode("utf-8").partition(":")
        except (TypeError, ValueError):
            raise FakeError(401, "Must supply api_key")
        if key != args.api_key:
            raise FakeError(401, "Unknown API key %s" % key)
        if not hmac.compare_digest(secret.encode(), args.api_secret.encode()):
            raise FakeError(401, "api_secret mismatch")
        if rt not in RESOURCE_TYPES or dtype != "upload":
            raise FakeError(404, "Resource not found")
        q = {k: v[-1] for k, v in self.query.items()}
        limit = q.get("max_results") or "10"
        if not re.fullmatch(r"\d{1,4}", limit) or not 1 <= int(limit) <= 500:
            raise FakeError(400, "Value of max_results must be between 1 "
                            "and 500")
        limit, after = int(limit), ""
        if q.get("next_cursor"):
            try:
                after = base64.urlsafe_b64decode(q["next_cursor"]).decode()
            except ValueError:
                raise FakeError(400, "Invalid next_cursor")
        prefix = q.get("prefix", "")
        with self.server.lock:
            items = sorted((pid, a) for (r, pid), a in
                           self.server.assets.items() if r == rt and
                           pid.startswith(prefix) and pid > after)
        keys = ("asset_id", "public_id", "format", "version",
                "resource_type", "type", "created_at", "bytes", "width",
                "height", "folder", "url", "secure_url")
        out = {"resources": [{k: a[k] for k in keys if k in a}
                             for _, a in items[:limit]]}
        if len(items) > limit:
            out["next_cursor"] = base64.urlsafe_b64encode(
                items[limit - 1][0].encode()).decode()
        self.send_json(200, out, [
            ("X-FeatureRateLimit-Limit", "500"),
            ("X-FeatureRateLimit-Remaining", "499"),
            ("X-FeatureRateLimit-Reset",
             time.strftime("%a, %d %b %Y %H:00:00 GMT",
                           time.gmtime(time.time() + 3600)))])

    def deliver(self, cloud, rt, rest):
        pid = unquote(re.sub(r"^v\d+/", "", rest))
        base, ext = os.path.splitext(pid)
        with self.server.lock:
            asset = self.server.assets.get((rt, pid))
            if asset is None and ext:
                asset = self.server.assets.get((rt, base))
                if asset and asset.get("format") != ext[1:]:
                    asset = None
        if asset is None or cloud != self.server.args.cloud_name:
            self.send_bytes(404, b"Resource not found\n", "text/plain",
                            [("X-Cld-Error", "Resource not found")])
            return
        self.send_file(200, asset["_blob"], asset["_mime"], 0,
                       asset["bytes"], [("ETag", '"%s"' % asset["etag"])])

    def control_extra(self, name, method):
        if name != "objects" or method != "GET":
            return False
        with self.server.lock:
            assets = [public(a) for a in self.server.assets.values()]
            uploads = {uid: {"total": s.total, "received": s.received}
                       for uid, s in self.server.sessions.items()}
        self.send_json(200, {"assets": assets, "chunked_uploads": uploads})
        return True


def main():
    env = os.environ.get
    p = base_argparser("Fake Cloudinary Upload/Admin API on 127.0.0.1")
    p.add_argument("--cloud-name", default=env("FAKE_CLOUDINARY_CLOUD_NAME"))
    p.add_argument("--api-key", default=env("FAKE_CLOUDINARY_API_KEY"))
    p.add_argument("--api-secret", default=env("FAKE_CLOUDINARY_API_SECRET"))
    p.add_argument("--signature-algorithm", choices=("sha1", "sha256"),
                   default="sha1", help="the account's signing algorithm")
    p.add_argument("--max-file-size", type=int, default=10485760,
                   help="image and raw limit in bytes")
    p.add_argument("--max-video-size", type=int, default=104857600,
                   help="video limit in bytes for one request")
    p.add_argument("--max-chunked-size", type=int, default=2 << 30,
                   help="video limit in bytes for a chunked upload")
    args = p.parse_args()
    if not (args.cloud_name and args.api_key and args.api_secret):
        p.error("--cloud-name, --api-key and --api-secret (or the "
                "FAKE_CLOUDINARY_* variables) are required")
    server = CloudinaryServer(Handler, args)
    return serve(server, args.port_file)


if __name__ == "__main__":
    sys.exit(main())
