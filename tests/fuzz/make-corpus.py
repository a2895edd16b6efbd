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


if __name__ == "__main__":
    main()
