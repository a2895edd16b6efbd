#!/usr/bin/env python3
"""Wire-faithful local fake of Supabase Storage's REST API (/storage/v1).

Like the real storage server it answers almost every error with HTTP 400
and the real status as a string in the body; see README.md beside this
file for routes, options and the control API.
"""
import base64
import hashlib
import hmac
import json
import mimetypes
import os
import random
import re
import shutil
import sys
import time
import uuid
import zlib
from urllib.parse import quote, unquote

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakecommon import (FakeError, FakeHandler, FakeServer,  # noqa: E402
                        SpooledFile, base_argparser, parse_multipart, serve,
                        utc_now)

# supabase/storage src/storage/limits.ts isValidKey (JS \w is ASCII-only),
# plus what this fake also refuses to catch client bugs: "..", empty
# segments, a leading "/", more than 1024 bytes.
KEY_RE = re.compile(r"[A-Za-z0-9_/!\-.*'() &$@=;:+,?]+")
LIST_COLUMNS = ("name", "updated_at", "created_at", "last_accessed_at")
MAX_SEED_OBJECTS = 100000
MAX_SEED_BYTES = 4 << 30


def _png_head():
    ihdr = b"IHDR" + (1).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + len(ihdr[4:]).to_bytes(4, "big") + ihdr
            + zlib.crc32(ihdr).to_bytes(4, "big"))


# Seeded objects start with a real signature so type sniffing works.
SEED_HEADS = {"image/png": _png_head(),
              "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
              "image/gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00",
              "video/mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00"
                           b"isomiso2",
              "audio/mpeg": b"ID3\x04\x00\x00\x00\x00\x00\x00"}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sb_error(status, code, error, message):
    return FakeError(status, message, code=code, error=error)


def not_found():
    return sb_error(404, "NoSuchKey", "not_found", "Object not found")


def bad_request(message):
    return sb_error(400, "InvalidRequest", "Bad Request", message)


class SupabaseServer(FakeServer):
    def __init__(self, handler, args):
        super().__init__(handler, args, args.max_object_size + (1 << 20))
        self.objects = {}               # (bucket, name) -> metadata
        self.token_key = os.urandom(32)  # signs signed-URL tokens

    def reset_objects(self):
        self.objects.clear()

    def object_count(self):
        with self.lock:
            return len(self.objects)

    def store(self, bucket, name, path, size, md5, mimetype, cache, upsert):
        """Publish a spooled file atomically; the object's metadata."""
        with self.lock:
            old = self.objects.get((bucket, name))
            if old and not upsert:
                raise sb_error(409, "KeyAlreadyExists", "Duplicate",
                               "The resource already exists")
            now = utc_now(True)
            obj = {"id": old["id"] if old else str(uuid.uuid4()),
                   "bucket": bucket, "name": name, "size": size,
                   "etag": md5, "mimetype": mimetype, "cache": cache,
                   "created_at": old["created_at"] if old else now,
                   "updated_at": now, "last_accessed_at": now}
            obj["blob"] = os.path.join(self.blobdir, obj["id"])
            os.replace(path, obj["blob"])
            self.objects[(bucket, name)] = obj
            return obj

    def seed(self, bucket, name, size, content_type, seed):
        """Deterministic content: a type signature, then PRNG bytes."""
        rnd = random.Random(str(seed))
        spool = SpooledFile(self.tmpdir, size)
        try:
            head = SEED_HEADS.get(content_type, b"")[:size]
            spool.write(head)
            left = size - len(head)
            while left > 0:
                spool.write(rnd.randbytes(min(left, 1 << 20)))
                left -= min(left, 1 << 20)
            spool.close()
            self.store(bucket, name, spool.path, size, spool.md5.hexdigest(),
                       content_type, "max-age=3600", True)
        finally:
            spool.discard()


def check_key(key):
    if (not KEY_RE.fullmatch(key) or key.startswith("/") or
            "//" in key or key.endswith("/") or
            ".." in key.split("/") or len(key.encode()) > 1024):
        raise sb_error(400, "InvalidKey", "Invalid Key",
                       "Invalid key: %s" % key)


def metadata(obj):
    return {"eTag": '"%s"' % obj["etag"], "size": obj["size"],
            "mimetype": obj["mimetype"], "cacheControl": obj["cache"],
            "lastModified": obj["updated_at"], "contentLength": obj["size"],
            "httpStatusCode": 200}


class Handler(FakeHandler):
    def error_body(self, err):
        defaults = {400: ("InvalidRequest", "Bad Request"),
                    403: ("AccessDenied", "Unauthorized"),
                    413: ("EntityTooLarge", "Payload too large"),
                    429: ("SlowDown", "Too Many Requests"),
                    500: ("InternalError", "Internal Server Error")}
        code, error = defaults.get(err.status, ("InvalidRequest", "Error"))
        if err.status == 413:       # framing limit hit before our check
            err.message = "The object exceeded the maximum allowed size"
        # HTTP 400 for everything but overload and server errors.
        http = err.status if err.status in (420, 429) or \
            err.status >= 500 else 400
        return http, {"statusCode": str(err.status),
                      "code": err.extra.get("code", code),
                      "error": err.extra.get("error", error),
                      "message": err.message}

    def fault_error(self, status):
        return FakeError(status, {500: "Internal Server Error"}.get(
            status, "Too many requests"))

    def route(self):
        prefix = "/storage/v1/object/"
        m = self.command
        if not self.url_path.startswith(prefix):
            self.send_json(404, {"message": "Route %s:%s not found" % (
                m, self.url_path), "error": "Not Found", "statusCode": 404})
            return
        seg = self.url_path[len(prefix):].split("/", 1)
        bucket = unquote(seg[0])
        rest = unquote(seg[1]) if len(seg) > 1 else None
        inner_bucket, _, inner_key = (rest or "").partition("/")
        if seg[0] == "list" and rest and m == "POST":
            self.route_name = "list"
            self.list_objects(rest)
        elif seg[0] == "sign" and rest and m == "POST":
            self.route_name = "sign"
            self.sign(inner_bucket, inner_key)
        elif seg[0] == "sign" and rest and m in ("GET", "HEAD"):
            self.route_name = "signed_get"
            self.signed_get(inner_bucket, inner_key)
        elif seg[0] in ("public", "authenticated") and rest and \
                m in ("GET", "HEAD"):
            self.route_name = "get_" + seg[0]
            self.download(inner_bucket, inner_key, seg[0] == "public")
        elif rest is None and m == "DELETE":
            self.route_name = "delete_many"
            self.delete_many(bucket)
        elif rest is not None and m in ("POST", "PUT"):
            self.route_name = "upload"
            self.upload(bucket, rest)
        elif rest is not None and m in ("GET", "HEAD"):
            self.route_name = "get"
            self.download(bucket, rest, False)
        elif rest is not None and m == "DELETE":
            self.route_name = "delete"
            self.delete_one(bucket, rest)
        else:
            self.send_json(404, {"message": "Route %s:%s not found" % (
                m, self.url_path), "error": "Not Found", "statusCode": 404})

    # -- checks -----------------------------------------------------------

    def check_auth(self):
        """Authorization: Bearer <service key> and an apikey header."""
        auth = self.headers.get("Authorization")
        if auth is None:
            raise sb_error(403, "AccessDenied", "Unauthorized",
                           "headers must have required property "
                           "'authorization'")
        key = self.server.args.service_key.encode()
        m = re.fullmatch(r"[Bb]earer (\S+)", auth.strip())
        apikey = self.headers.get("apikey")
        if not m or apikey is None or \
                not hmac.compare_digest(m[1].encode(), key):
            raise sb_error(403, "AccessDenied", "Unauthorized",
                           "invalid signature")

    def check_bucket(self, bucket, public=False):
        if bucket not in self.server.args.bucket or \
                (public and not self.server.args.public):
            raise sb_error(404, "NoSuchBucket", "Bucket not found",
                           "Bucket not found")

    def lookup(self, bucket, key):
        with self.server.lock:
            obj = self.server.objects.get((bucket, key))
            if obj is None:
                raise not_found()
            obj["last_accessed_at"] = utc_now(True)
            return dict(obj)

    # -- objects ----------------------------------------------------------

    def upload(self, bucket, key):
        self.check_auth()
        self.check_bucket(bucket)
        check_key(key)
        # Only the exact string "true" upserts (PROTOCOLS.md); PUT replaces.
        upsert = self.command == "PUT" or \
            self.headers.get("x-upsert") == "true"
        with self.server.lock:
            if not upsert and (bucket, key) in self.server.objects:
                raise sb_error(409, "KeyAlreadyExists", "Duplicate",
                               "The resource already exists")
        ctype = self.headers.get("Content-Type") or "text/plain;charset=UTF-8"
        cache = self.headers.get("cache-control") or "no-cache"
        limit = self.server.args.max_object_size
        if ctype.split(";")[0].strip().lower() == "multipart/form-data":
            # What storage-js sends for a Blob/File: the first file part.
            fields, files = parse_multipart(self.body, ctype,
                                            self.server.tmpdir, limit)
            for name in list(files)[1:]:
                files.pop(name).discard()
            if not files:
                raise bad_request("No file part in the multipart body")
            spool = files.popitem()[1]
            ctype = spool.content_type or "text/plain;charset=UTF-8"
            value = dict(fields).get("cacheControl")
            if value:
                cache = "max-age=%s" % value
        else:
            spool = SpooledFile(self.server.tmpdir, limit)
            try:
                for data in iter(self.body.read, b""):
                    spool.write(data)
            except BaseException:
                spool.discard()
                raise
        try:
            spool.close()
            if spool.size > limit:
                raise sb_error(413, "EntityTooLarge", "Payload too large",
                               "The object exceeded the maximum allowed "
                               "size")
            obj = self.server.store(bucket, key, spool.path, spool.size,
                                    spool.md5.hexdigest(), ctype, cache,
                                    upsert)
        finally:
            spool.discard()
        self.send_json(200, {"Id": obj["id"], "Key": "%s/%s" % (bucket, key)})

    def download(self, bucket, key, public):
        if not public:
            self.check_auth()
        self.check_bucket(bucket, public)
        self.serve_object(self.lookup(bucket, key))

    def serve_object(self, obj):
        size, start, end = obj["size"], 0, obj["size"] - 1
        status, headers = 200, [("ETag", '"%s"' % obj["etag"]),
                                ("Cache-Control", obj["cache"]),
                                ("Last-Modified", time.strftime(
                                    "%a, %d %b %Y %H:%M:%S GMT",
                                    time.strptime(obj["updated_at"][:19],
                                                  "%Y-%m-%dT%H:%M:%S"))),
                                ("Accept-Ranges", "bytes")]
        m = re.fullmatch(r"bytes=(\d{0,18})-(\d{0,18})",
                         self.headers.get("Range", "").strip())
        if m and (m[1] or m[2]):            # one range (RFC 9110 14.1.2)
            if m[1]:
                start = int(m[1])
                end = min(int(m[2]), size - 1) if m[2] else size - 1
            else:
                start = max(0, size - int(m[2]))
            if start >= size or start > end:
                self.send_bytes(416, b"", obj["mimetype"], [
                    ("Content-Range", "bytes */%d" % size)])
                return
            status = 206
            headers.append(("Content-Range", "bytes %d-%d/%d" % (
                start, end, size)))
        self.send_file(status, obj["blob"], obj["mimetype"], start,
                       end - start + 1, headers)

    def delete_one(self, bucket, key):
        self.check_auth()
        self.check_bucket(bucket)
        with self.server.lock:
            obj = self.server.objects.pop((bucket, key), None)
            if obj is None:
                raise not_found()
            os.unlink(obj["blob"])
        self.send_json(200, {"message": "Successfully deleted"})

    def delete_many(self, bucket):
        self.check_auth()
        self.check_bucket(bucket)
        body = self.read_json()
        prefixes = body.get("prefixes") if isinstance(body, dict) else None
        if not isinstance(prefixes, list):
            raise bad_request("body must have required property 'prefixes'")
        if not 1 <= len(prefixes) <= 1000:
            raise bad_request("body/prefixes must NOT have %s than %d items"
                              % (("fewer", 1) if not prefixes
                                 else ("more", 1000)))
        for i, p in enumerate(prefixes):
            if not isinstance(p, str):
                raise bad_request("body/prefixes/%d must be string" % i)
        rows = []
        with self.server.lock:
            for name in prefixes:
                obj = self.server.objects.pop((bucket, name), None)
                if obj:
                    os.unlink(obj["blob"])
                    rows.append({"bucket_id": bucket, "name": name,
                                 "owner": None, "id": obj["id"],
                                 "updated_at": obj["updated_at"],
                                 "created_at": obj["created_at"],
                                 "last_accessed_at": obj["last_accessed_at"],
                                 "metadata": metadata(obj)})
        self.send_json(200, rows)

    def list_objects(self, bucket):
        self.check_auth()
        self.check_bucket(bucket)
        body = self.read_json()
        if not isinstance(body, dict) or not isinstance(body.get("prefix"),
                                                        str):
            raise bad_request("body must have required property 'prefix'")
        limit, offset = body.get("limit", 100), body.get("offset", 0)
        sort = body.get("sortBy") or {}
        column = sort.get("column", "name") if isinstance(sort, dict) else 0
        order = sort.get("order", "asc") if isinstance(sort, dict) else 0
        search = body.get("search") or ""
        for name, v in (("limit", limit), ("offset", offset)):
            if type(v) is not int or v < 0:
                raise bad_request("body/%s must be a non-negative integer"
                                  % name)
        if column not in LIST_COLUMNS or str(order).lower() not in (
                "asc", "desc") or not isinstance(search, str):
            raise bad_request("body/sortBy or body/search is invalid")
        prefix = body["prefix"].strip("/")
        prefix = prefix + "/" if prefix else ""
        found = {}
        with self.server.lock:
            for (b, name), obj in self.server.objects.items():
                if b != bucket or not name.startswith(prefix):
                    continue
                child, sep, _ = name[len(prefix):].partition("/")
                if not child.lower().startswith(search.lower()):
                    continue
                if sep:         # a folder: listed once, without metadata
                    found[(child, True)] = dict.fromkeys(
                        ("id", "updated_at", "created_at",
                         "last_accessed_at", "metadata"))
                else:
                    found[(child, False)] = {
                        "id": obj["id"], "updated_at": obj["updated_at"],
                        "created_at": obj["created_at"],
                        "last_accessed_at": obj["last_accessed_at"],
                        "metadata": metadata(obj)}
        rows = [dict(name=k[0], **v) for k, v in found.items()]
        rows.sort(key=lambda r: (r[column] is None, r[column] or "",
                                 r["name"]),
                  reverse=str(order).lower() == "desc")
        self.send_json(200, rows[offset:offset + min(limit, 1000)])

    # -- signed URLs (HS256 JWT like the real server) ------------------------

    def sign(self, bucket, key):
        self.check_auth()
        self.check_bucket(bucket)
        body = self.read_json()
        expires = body.get("expiresIn") if isinstance(body, dict) else None
        if type(expires) is not int or expires < 1:
            raise bad_request("body/expiresIn must be an integer >= 1")
        self.lookup(bucket, key)
        now = int(time.time())
        head = b64u(b'{"alg":"HS256","typ":"JWT"}')
        claims = b64u(json.dumps({"url": "%s/%s" % (bucket, key), "iat": now,
                                  "exp": now + expires}).encode())
        mac = hmac.new(self.server.token_key, ("%s.%s" % (head, claims))
                       .encode(), hashlib.sha256).digest()
        path = quote("%s/%s" % (bucket, key), safe=";,/?:@&=+$-_.!~*'()#")
        self.send_json(200, {"signedURL": "/object/sign/%s?token=%s.%s.%s"
                             % (path, head, claims, b64u(mac))})

    def signed_get(self, bucket, key):
        token = (self.query.get("token") or [""])[-1]
        if not token:
            raise bad_request("querystring must have required property "
                              "'token'")
        try:
            head, claims, mac = token.split(".")
            want = hmac.new(self.server.token_key, ("%s.%s" % (head, claims))
                            .encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(unb64u(mac), want):
                raise ValueError
            payload = json.loads(unb64u(claims))
        except ValueError:
            raise sb_error(400, "InvalidJWT", "Unauthorized",
                           "invalid signature")
        if payload.get("exp", 0) < time.time():
            raise sb_error(400, "InvalidJWT", "Unauthorized", "jwt expired")
        if payload.get("url") != "%s/%s" % (bucket, key):
            raise sb_error(400, "InvalidSignature", "Unauthorized",
                           "The url do not match the signature")
        self.check_bucket(bucket)
        self.serve_object(self.lookup(bucket, key))

    # -- control extras -----------------------------------------------------

    def control_extra(self, name, method):
        if name == "objects" and method == "GET":
            with self.server.lock:
                objs = [{"bucket": o["bucket"], "name": o["name"],
                         "id": o["id"], "size": o["size"],
                         "mimetype": o["mimetype"], "etag": o["etag"]}
                        for o in self.server.objects.values()]
            self.send_json(200, {"objects": objs})
        elif name == "seed" and method == "POST":
            self.control_seed()
        else:
            return False
        return True

    def control_seed(self):
        spec = self.read_json()
        spec = {"objects": spec} if isinstance(spec, list) else spec
        if not isinstance(spec, dict):
            raise bad_request("Expected a JSON list or object")
        args = self.server.args
        bucket = spec.get("bucket") or args.bucket[0]
        self.check_bucket(bucket)
        items = list(spec.get("objects") or [])
        gen = spec.get("generate")
        if isinstance(gen, dict):
            ctype = str(gen.get("content_type", "application/octet-stream"))
            ext = mimetypes.guess_extension(ctype) or ".bin"
            count = gen.get("count", 0)
            if type(count) is not int or not 0 <= count <= MAX_SEED_OBJECTS:
                raise bad_request("generate.count out of range")
            items += [{"path": "%s%06d%s" % (gen.get("prefix", ""), i, ext),
                       "size": gen.get("size", 1024), "content_type": ctype,
                       "seed": i} for i in range(count)]
        if len(items) > MAX_SEED_OBJECTS:
            raise bad_request("At most %d objects per seed call"
                              % MAX_SEED_OBJECTS)
        total = 0
        for it in items:
            if not isinstance(it, dict) or not isinstance(it.get("path"),
                                                          str):
                raise bad_request("Every object needs a path")
            check_key(it["path"])
            size = it.get("size", 1024)
            if type(size) is not int or not 0 <= size <= args.max_object_size:
                raise bad_request("size of %s out of range" % it["path"])
            total += size
        if total > MAX_SEED_BYTES:
            raise bad_request("Seed total exceeds %d bytes" % MAX_SEED_BYTES)
        for it in items:
            self.server.seed(bucket, it["path"], it.get("size", 1024),
                             str(it.get("content_type",
                                        "application/octet-stream")),
                             it.get("seed", it["path"]))
        self.send_json(200, {"seeded": len(items), "bucket": bucket,
                             "bytes": total})


def seed_from_dir(server, directory):
    """--seed-dir: every file below directory, key = relative path."""
    bucket = server.args.bucket[0]
    for root, _, names in os.walk(directory):
        for fname in sorted(names):
            src = os.path.join(root, fname)
            key = os.path.relpath(src, directory).replace(os.sep, "/")
            check_key(key)
            spool = SpooledFile(server.tmpdir, os.path.getsize(src))
            try:
                with open(src, "rb") as f:
                    shutil.copyfileobj(f, spool)
                spool.close()
                server.store(bucket, key, spool.path, spool.size,
                             spool.md5.hexdigest(),
                             mimetypes.guess_type(fname)[0] or
                             "application/octet-stream", "max-age=3600", True)
            finally:
                spool.discard()


def main():
    p = base_argparser("Fake Supabase Storage REST API on 127.0.0.1")
    p.add_argument("--service-key",
                   default=os.environ.get("FAKE_SUPABASE_SERVICE_KEY"))
    p.add_argument("--bucket", action="append",
                   help="an existing bucket (repeatable; default: media)")
    p.add_argument("--max-object-size", type=int, default=52428800)
    p.add_argument("--public", action="store_true", default=True,
                   help="buckets are public (default)")
    p.add_argument("--private", dest="public", action="store_false",
                   help="buckets are private: no /object/public access")
    p.add_argument("--seed-dir", help="pre-load these files into the first "
                   "bucket")
    args = p.parse_args()
    if not args.service_key:
        p.error("--service-key or FAKE_SUPABASE_SERVICE_KEY is required")
    args.bucket = args.bucket or ["media"]
    server = SupabaseServer(Handler, args)
    if args.seed_dir:
        try:
            seed_from_dir(server, args.seed_dir)
        except FakeError as err:
            p.error("--seed-dir: %s" % err.message)
    return serve(server, args.port_file)


if __name__ == "__main__":
    sys.exit(main())
