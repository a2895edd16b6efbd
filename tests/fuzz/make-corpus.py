#!/usr/bin/env python3
"""tests/fuzz/make-corpus.py - write the seed corpora of tests/fuzz/.

Seeds come from tests/data (multipart bodies, JWT vectors, Cloudinary
signature vectors, the first 64 bytes of each media sample) and from
small hand-written examples below.  Each seed is in its harness's input
format (see the comment at the top of each fuzz_*.c).  Run from anywhere;
it replaces tests/fuzz/corpus/ entirely.  The output is deterministic, so
a re-run changes nothing unless the inputs did.
"""

import glob
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
OUT = os.path.join(HERE, "corpus")


def write(harness, name, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def multipart():
    for path in sorted(glob.glob(os.path.join(DATA, "multipart", "*.txt"))):
        name = os.path.basename(path)[:-4]
        with open(path[:-4] + ".expect") as f:
            ct = [l[len("content-type "):].rstrip("\n") for l in f
                  if l.startswith("content-type ")][0]
        with open(path, "rb") as f:
            body = f.read()
        # whole vs bytes/small/large chunks; default and small limits;
        # a data callback that refuses part 1.
        for ctl, tag in ((b"\x00\x00\x00", "bytes"),
                         (b"\x01\x0f\x00", "small-limits"),
                         (b"\x02\x00\x06", "refuse-data")):
            write("fuzz_multipart", "%s-%s" % (name, tag),
                  ctl + ct.encode() + b"\n" + body)
    b = "multipart/form-data; boundary=XyZ\n"
    hand = {
        "zero-parts": b + "--XyZ--\r\n",
        "preamble-epilogue": b + "preamble\r\n--XyZ\r\nContent-Disposition: "
        "form-data; name=a\r\n\r\n1\r\n--XyZ--\r\nepilogue",
        "padding": b + "--XyZ \t\r\nContent-Disposition: form-data; "
        "name=\"a\"\r\n\r\nv\r\n--XyZ--  \r\n",
        "filename-star": b + "--XyZ\r\nContent-Disposition: form-data; "
        "name=\"f\"; filename=\"a.txt\"; filename*=UTF-8''%C3%A9t%C3%A9."
        "txt\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n",
        "escaped-quotes": b + "--XyZ\r\nContent-Disposition: form-data; "
        "name=\"a\\\"b%22c\"; filename=\"C:\\dir\\x.png\"\r\n\r\n"
        "\r\n--XyZX\r\n--XyZ--\r\n",
        "quoted-boundary": "multipart/form-data; charset=utf-8; "
        "boundary=\"===a b==\"\n--===a b==\r\nContent-Disposition: "
        "form-data; name=k\r\n\r\nv\r\n--===a b==--\r\n",
        "empty-file": b + "--XyZ\r\nContent-Disposition: form-data; "
        "name=\"file\"; filename=\"\"\r\nContent-Type: application/"
        "octet-stream\r\n\r\n\r\n--XyZ--\r\n",
    }
    for k, v in hand.items():
        write("fuzz_multipart", k, b"\x00\x00\x00" + v.encode())


def query():
    for i, q in enumerate([
            "user=alice&kind=view-once",
            "a=1&a=2&b=&c&&d=%41%42+c",
            "name=%E2%82%AC+euro&x=%2B%26%3D",
            "bad=%G1", "nul=%00", "user=" + "x" * 70,
            "&".join("f%d=%d" % (n, n) for n in range(33)),
    ]):
        write("fuzz_query", "q%d" % i, bytes([i * 37 % 256]) + q.encode())


def form_json():
    seeds = [
        (0, '{"user":"alice","kind":"view-once","n":12,"ok":true}'),
        (1, '{"a":"\\u00e9\\ud83d\\ude00","b":-1.5e3,"c":0}'),
        (0, '{"dup":1,"dup":2}'),
        (0, '{"nested":{"a":1}}'),
        (0, ' {"a":"b"} \r\n'),
        (2, "user=alice&kind=view-once&n=%41"),
        (4 | (6 << 3), '{"short":"by one"}'),
        (4 | (1 << 3), '{"long":"by two"}'),
    ]
    for i, (b, body) in enumerate(seeds):
        write("fuzz_form_json", "f%d" % i, bytes([b]) + body.encode())
    write("fuzz_form_json", "ct-line",
          b"\x03application/json; charset=\"UTF-8\"\n{\"a\":\"b\"}")
    write("fuzz_form_json", "ct-other",
          b"\x03text/plain\nuser=alice")


def headers():
    seeds = [
        ["multipart/form-data; boundary=----WebKitFormBoundaryAbC123",
         "1234", "text/html,application/xhtml+xml,application/json;q=0.9",
         "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.AAAA", "alice",
         "https://example.com", "same-origin", "hello"],
        ["multipart/form-data; boundary=\"quoted b\"; charset=utf-8",
         "0", "application/json", "bearer  x", "../etc", "null",
         "cross-site", "bad\rvalue"],
        ["application/json; charset=utf-8", "-1", "*/*;q=0.1, text/html",
         "Basic YTpi", "a" * 70, "", "none", "X-Injected: 1"],
        ["Multipart/Form-Data;boundary=" + "b" * 71, "99999999999999999999",
         "text/html;q=0.5, application/json;q=0.5", "", "user.name-1"],
    ]
    for i, lines in enumerate(seeds):
        write("fuzz_headers", "h%d" % i,
              bytes([i * 0x41 % 256]) + "\n".join(lines).encode())


def jwt():
    modes = {"hs256": 0, "rs256": 2, "es256": 3}
    with open(os.path.join(DATA, "jwt", "vectors.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, key, now, _expect, tok = line.split()
            assert now == "1700000000"
            write("fuzz_jwt", name, bytes([0x80 | modes[key], 0, 0]) +
                  tok.encode())
    claims = '{"sub":"alice","exp":1700000600,"iat":1699999940}'
    for which, alg in ((0, "HS256"), (1, "HS256"), (2, "RS256"),
                       (3, "ES256")):
        c = claims if which != 1 else (
            '{"sub":"bob","iss":"https://issuer.example",'
            '"aud":["x","pairstore"],"nbf":1699999000}')
        write("fuzz_jwt", "sign-" + alg.lower() + ("-claims" if which == 1
                                                    else ""),
              bytes([0x84 | which, 0, 0]) +
              ('{"alg":"%s","typ":"JWT"}\n%s' % (alg, c)).encode())
    write("fuzz_jwt", "sign-flip", bytes([0x8c, 77, 0]) + claims.encode())
    write("fuzz_jwt", "sign-small-sub", bytes([0x84, 0, 0x83]) +
          claims.encode())
    write("fuzz_jwt", "sign-crit", bytes([0x84, 0, 0]) +
          b'{"alg":"HS256","crit":["x"]}\n' + claims.encode())


def dotenv():
    seeds = {
        "basic": "# pairstore settings\nAUTH_MODE=jwt\n"
        "JWT_SECRET=0123456789abcdef0123456789abcdef\n"
        "REDIS_URL=redis://:s3cret@127.0.0.1:6379/0\nLOG_LEVEL=info\n",
        "quotes": "export A='single $HOME'\nB=\"double\\n\\t\\\"x\\\"\"\n"
        "C=`back`\nD=plain value # comment\nE=\"multi\nline\"\n",
        "crlf": "\xef\xbb\xbfA=1\r\nB=\"x\r\ny\"\r\n# c\r\n",
        "errors": "1BAD=x\n", "noeq": "NAME value\n",
        "ints": "REDIS_PORT=6380\nJWT_LEEWAY_S=601\nWORKER_SPAWN=yes\n",
    }
    for k, v in seeds.items():
        write("fuzz_dotenv", k, v)


def redis_url():
    for i, u in enumerate([
            "redis://127.0.0.1:6379/0",
            "redis://user:\x01@localhost:6380/2",
            "redis://\x01@h",
            "redis://[::1]:6379/1?password=\x01",
            "unix:///run/redis/redis.sock?db=3&password=\x01&username=u",
            "unix://:\x01@/tmp/r.sock",
            "redis+unix:///s.sock", "redis-socket:///s.sock",
            "rediss://h", "redis://h:0", "redis://h/99999",
            "redis://%70w:%41%42@h",
    ]):
        write("fuzz_redis_url", "u%02d" % i, u)


def sniff():
    for path in sorted(glob.glob(os.path.join(DATA, "media", "sample*"))):
        with open(path, "rb") as f:
            write("fuzz_sniff", os.path.basename(path), f.read(64))
    write("fuzz_sniff", "html", "<!DOCTYPE html><script>alert(1)</script>")
    write("fuzz_sniff", "svg", '<svg xmlns="http://www.w3.org/2000/svg"/>')


def cld_sign():
    with open(os.path.join(DATA, "cloudinary-sign-vectors.json")) as f:
        vectors = json.load(f)["vectors"]
    for i, v in enumerate(vectors[:16]):
        lines = [v["secret"]]
        for k, val in v["params"].items():
            if isinstance(val, list):
                lines.append(k + "[]=" + "\t".join(
                    "\x01" if x is None else str(x) for x in val))
            elif val is None:
                lines.append(k)
            else:
                lines.append(k + "=" + str(val))
        if any("\n" in l for l in lines):
            continue
        write("fuzz_cld_sign", "v%02d" % i,
              bytes([i % 4]) + "\n".join(lines).encode())
    write("fuzz_cld_sign", "upload", b"\x03" + "\n".join([
        "abcdefghijklmnop", "api_key=1234", "timestamp=1700000000",
        "folder=view-once/alice", "public_id=a&b", "overwrite=0",
        "file=x", "cloud_name=demo", "tags[]=a\tb\t\x01"]).encode())


def storage_answer():
    seeds = [
        {"error": {"message": "Invalid Signature 0123. String to sign - "
                              "'timestamp=1700000000'."}},
        {"error": {"message": "File size too large. Got 20000000. "
                              "Maximum is 10485760."}},
        {"asset_id": "a1", "public_id": "view-once/alice/x",
         "secure_url": "https://res.cloudinary.com/demo/image/upload/v1/"
                       "view-once/alice/x.png", "bytes": 68,
         "etag": "0123", "existing": False},
        {"statusCode": "409", "code": "KeyAlreadyExists",
         "error": "Duplicate", "message": "The resource already exists"},
        {"statusCode": 413, "error": "Payload too large",
         "message": "The object exceeded the maximum allowed size"},
        {"Key": "media/view-once/alice/x.png", "Id": "b6f1"},
    ]
    for i, s in enumerate(seeds):
        write("fuzz_storage_answer", "a%d" % i,
              bytes([i * 11]) + json.dumps(s).encode())
    write("fuzz_storage_answer", "trailing", b"\x00{\"a\":1} x")
    write("fuzz_storage_answer", "control",
          b"\x05{\"message\":\"line\\nbreak\\u0007\"}\r\n")


def storage_parse():
    # Header: parser (0 Cloudinary final, 1 the same without ans, 2 an
    # intermediate chunk, 3 Supabase upload, 4 Supabase list), status
    # index (0 = 200, 8 = 400, 11 = 401, 12 = 403, 13 = 404, 14 = 409,
    # 15 = 413, 16 = 420, 17 = 429, 18 = 500, 19 = 502, 21 = 0) or 0xf0
    # and two bytes (status + 1000, big endian).
    def hdr(mode, st):
        if isinstance(st, tuple):
            v = st[0] + 1000
            return bytes([mode, 0xf0, v >> 8, v & 0xff])
        return bytes([mode, st, 0, 0])
    cld_ok = {
        "asset_id": "b5e6d2b39ba3e0869d67141ba7dba6cf",
        "public_id": "view-once/alice/20261130T014924Z-0123456789abcdef01234567",
        "version": 1719307544, "version_id": "7d2cc533bee9ff39f7da7414b61fce7e",
        "signature": "d0b1009e3271a942836c25756ce3e04d205bf754",
        "width": 1920, "height": 1080, "format": "png",
        "resource_type": "image", "created_at": "2024-06-25T09:25:44Z",
        "tags": [], "bytes": 68, "type": "upload",
        "etag": "a2f8a8b3c3d3e3f3a2f8a8b3c3d3e3f3",
        "url": "http://res.cloudinary.com/demo/image/upload/v1719307544/"
               "view-once/alice/x.png",
        "secure_url": "https://res.cloudinary.com/demo/image/upload/"
                      "v1719307544/view-once/alice/x.png",
        "original_filename": "file", "api_key": "614335564976464"}
    video = dict(cld_ok, resource_type="video", format="mp4",
                 duration=13.76, bytes=20971520)
    seeds = {
        "cld-ok": (0, 0, cld_ok),
        "cld-ok-noans": (1, 0, cld_ok),
        "cld-video": (0, 0, video),
        "cld-existing": (0, 0, dict(cld_ok, existing=True)),
        "cld-no-secure-url": (0, 0, {"public_id": "x", "url": "http://a/"}),
        "cld-javascript-url": (0, 0, dict(cld_ok,
                               secure_url="javascript:alert(1)")),
        "cld-url-quote": (0, 0, dict(cld_ok,
                          secure_url="https://a/\"><script>")),
        "cld-chunk": (2, 0, {"done": False, "bytes": 20000000}),
        "cld-chunk-error": (2, 8, {"error": {"message":
                            "Chunk size doesn't match upload size"}}),
        "cld-too-large": (0, 8, {"error": {"message":
            "File size too large. Got 10485761. Maximum is 10485760. "
            "Upgrade your plan to enjoy higher limits "
            "https://www.cloudinary.com/pricing/upgrades/file-limit"}}),
        "cld-stale": (0, 8, {"error": {"message":
            "Stale request - reported time is 2026-11-30 01:49:24 +0000 "
            "which is more than 1 hour ago"}}),
        "cld-invalid-image": (0, 8, {"error": {"message":
                              "Invalid image file"}}),
        "cld-empty-file": (0, 8, {"error": {"message": "Empty file"}}),
        "cld-bad-signature": (0, 11, {"error": {"message":
            "Invalid Signature 4fdf465dd89451cc1ed8ec5b3e314e8a51695704. "
            "String to sign - 'folder=view-once/alice&overwrite=0&"
            "public_id=x&timestamp=1719307544'."}}),
        "cld-404": (0, 13, {"error": {"message": "cloud_name is disabled"}}),
        "cld-420": (0, 16, {"error": {"message": "Rate Limit Exceeded"}}),
        "cld-429": (0, 17, {"error": {"message": "Too many requests"}}),
        "cld-500": (0, 18, {"error": {"message": "General Error"}}),
        "cld-200-error": (0, 0, {"error": {"message": "odd"}}),
        "cld-error-string": (0, 8, {"error": "not an object"}),
        "sb-ok": (3, 0, {"Id": "0b3c0a9e-6f7b-4b0e-9d43-3b1f4e1b8e5a",
                         "Key": "media/view-once/alice/x.png"}),
        "sb-409": (3, 8, {"statusCode": "409", "code": "KeyAlreadyExists",
                          "error": "Duplicate",
                          "message": "The resource already exists"}),
        "sb-413": (3, 8, {"statusCode": "413", "code": "EntityTooLarge",
                          "error": "Payload too large", "message":
                          "The object exceeded the maximum allowed size"}),
        "sb-403": (3, 8, {"statusCode": "403", "code": "AccessDenied",
                          "error": "Unauthorized",
                          "message": "invalid signature"}),
        "sb-404-bucket": (3, 8, {"statusCode": "404",
                                 "error": "Bucket not found",
                                 "message": "Bucket not found"}),
        "sb-number-code": (3, 8, {"statusCode": 413,
                                  "error": "Payload too large"}),
        "sb-500": (3, 18, {"statusCode": "409", "error": "internal",
                           "message": "Internal Server Error"}),
        "sb-429": (3, 17, {"message": "Too many requests"}),
        "sb-huge-code": (3, 8, {"statusCode": "99999999999999999999999",
                                "message": "x"}),
        "sb-200-no-key": (3, 0, {"Id": "x"}),
        "sb-list": (4, 0, [
            {"name": "dir", "id": None, "updated_at": None,
             "created_at": None, "last_accessed_at": None,
             "metadata": None},
            {"name": "x.png", "id": "0b3c0a9e-6f7b-4b0e-9d43-3b1f4e1b8e5a",
             "updated_at": "2026-11-30T01:49:24.123Z",
             "created_at": "2026-11-30T01:49:24.123Z",
             "last_accessed_at": "2026-11-30T01:49:24.123Z",
             "metadata": {"size": 68, "mimetype": "image/png",
                          "eTag": "\"a2f8a8b3c3d3e3f3a2f8a8b3c3d3e3f3\"",
                          "cacheControl": "max-age=3600",
                          "lastModified": "2026-11-30T01:49:24.000Z",
                          "contentLength": 68, "httpStatusCode": 200}}]),
        "sb-list-empty": (4, 0, []),
        "sb-list-error": (4, 8, {"statusCode": "404",
                                 "error": "Bucket not found",
                                 "message": "Bucket not found"}),
    }
    for name, (mode, st, body) in sorted(seeds.items()):
        write("fuzz_storage_parse", name, hdr(mode, st) +
              json.dumps(body).encode())
    raw = {
        "html-502": (0, 19, b"<html>\r\n<head><title>502 Bad Gateway"
                     b"</title></head>\r\n<body>\r\n<center><h1>502 Bad "
                     b"Gateway</h1></center>\r\n<hr><center>nginx</center>"
                     b"\r\n</body>\r\n</html>\r\n"),
        "html-200": (3, 0, b"<!DOCTYPE html><html><body>Supabase"
                     b"</body></html>"),
        "truncated": (0, 0, b'{"asset_id":"a","public_id":"x","secure_url'
                      b'":"https://res.cloudinary.com/demo/ima'),
        "truncated-error": (3, 8, b'{"statusCode":"409","code":"KeyAlre'),
        "trailing": (3, 0, b'{"Key":"a/b"} x'),
        "trailing-blanks": (4, 0, b'[] \t\r\n'),
        "nul-inside": (3, 0, b'{"Key":"a\x00b"}'),
        "nul-after": (0, 0, b'{"error":{"message":"x"}}\x00'),
        "empty": (3, 8, b""),
        "huge-numbers": (0, 0, b'{"public_id":"x","secure_url":"https://a/'
                         b'b","bytes":99999999999999999999999999,"etag":'
                         b'1e999}'),
        "negative-bytes": (0, 0, b'{"public_id":"x","secure_url":"http://a/'
                           b'","bytes":-9223372036854775808,"etag":"\\u0007'
                           b'e"}'),
        "control-message": (0, 8, b'{"error":{"message":"line\\nbreak'
                            b'\\u0007\\u0000 end\\r\\n"}}'),
        "canary-outside": (3, 18, b'{"secret":"\x01","message":"boom"}'),
        "canary-in-message": (3, 8, b'{"statusCode":"403","code":"\x01",'
                              b'"message":"key \x01 refused"}'),
        "long-message": (0, 18, b'{"error":{"message":"' + b"A" * 400 +
                         b'"}}'),
        "status-raw-999": (3, (999,), b'{"message":"odd status"}'),
        "status-raw-negative": (0, (-7,), b'{"error":{"message":"x"}}'),
        "deep": (4, 0, b"[" * 200 + b"]" * 200),
        "duplicate-keys": (0, 0, b'{"secure_url":"https://a/","public_id":'
                           b'"x","secure_url":"ftp://b/"}'),
        "utf8": (3, 8, '{"statusCode":"400","code":"InvalidKey","message"'
                 ':"Invalid key: vid\u00e9o/\u00fc\u00df.png"}'.encode()),
    }
    for name, (mode, st, body) in sorted(raw.items()):
        write("fuzz_storage_parse", name, hdr(mode, st) + body)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    multipart()
    query()
    form_json()
    headers()
    jwt()
    dotenv()
    redis_url()
    sniff()
    cld_sign()
    storage_answer()
    storage_parse()


if __name__ == "__main__":
    main()
