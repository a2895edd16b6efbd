#!/usr/bin/env python3
"""Self-test of the Cloudinary and Supabase fakes; prints TAP.

Starts each fake as a subprocess on an ephemeral 127.0.0.1 port, drives it
with urllib, http.client and raw sockets, and stops it by PID on every
path (normal end, failure, SIGTERM, SIGINT, the 55 s watchdog).
"""
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, HERE)
from cloudinary_fake import sign, string_to_sign  # noqa: E402

KEY, SECRET, SKEY = "614335564976464", "selftest-cld-secret-XYZ", \
    "selftest-service-key-ABC"
MIB = 1024 * 1024
results = []
procs = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print("%s %d - %s" % ("ok" if cond else "not ok", len(results), name))
    if not cond and detail:
        print("# " + str(detail)[:600].replace("\n", "\n# "))
    sys.stdout.flush()


class Fake:
    """One fake process; stop() is by PID and idempotent."""

    def __init__(self, script, args, workdir, env=None):
        self.dir = tempfile.mkdtemp(dir=workdir)
        self.port_file = os.path.join(self.dir, "port")
        self.log = os.path.join(self.dir, "log")
        self.err = open(os.path.join(self.dir, "stderr"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, script), "--port", "0",
             "--port-file", self.port_file, "--storage-dir",
             os.path.join(self.dir, "store"), "--log", self.log] + args,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.err, env=dict(os.environ, **(env or {})))
        procs.append(self)
        deadline = time.monotonic() + 15
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s did not start" % script)
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.base = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.err.close()
        return self.proc.returncode


def req(method, url, body=None, headers=None, timeout=10):
    """(status, headers, body); HTTP error statuses are returned."""
    r = urllib.request.Request(url, data=body, method=method,
                               headers=headers or {})
    try:
        with urllib.request.urlopen(r, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def jreq(method, url, obj=None, headers=None, body=None):
    h = dict(headers or {})
    if obj is not None:
        body = json.dumps(obj).encode()
        h.setdefault("Content-Type", "application/json")
    status, _, data = req(method, url, body, h)
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data


def png(w=3, h=2, pad=100):
    ihdr = b"IHDR" + w.to_bytes(4, "big") + h.to_bytes(4, "big") + \
        b"\x08\x02\x00\x00\x00"
    return (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0d" + ihdr +
            zlib.crc32(ihdr).to_bytes(4, "big") + b"\x00" * pad)


MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64


def multipart(fields, data=None, filename="f.bin"):
    b = "selftest" + uuid.uuid4().hex
    out = bytearray()
    for k, v in fields.items():
        for item in (v if isinstance(v, list) else [v]):
            out += ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n'
                    % (b, k + "[]" if isinstance(v, list) else k)).encode()
            out += str(item).encode() + b"\r\n"
    if data is not None:
        out += ('--%s\r\nContent-Disposition: form-data; name="file"; '
                'filename="%s"\r\nContent-Type: application/octet-stream'
                '\r\n\r\n' % (b, filename)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % b).encode()
    return bytes(out), "multipart/form-data; boundary=" + b


def signed(params, secret=SECRET, algo="sha1", key=KEY):
    p = dict(params)
    p.setdefault("timestamp", str(int(time.time())))
    p["signature"] = sign(p, secret, algo)
    if key:
        p["api_key"] = key
    return p


def raw_expect(port, path, headers, body):
    """POST with Expect: 100-continue by hand: (got 100 fast, status)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        head = "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d" \
               "\r\nExpect: 100-continue\r\n" % (path, len(body))
        head += "".join("%s: %s\r\n" % kv for kv in headers.items())
        s.sendall((head + "\r\n").encode())
        t0, interim = time.monotonic(), b""
        s.settimeout(0.9)
        while b"\r\n\r\n" not in interim:
            interim += s.recv(256)
        fast = interim.startswith(b"HTTP/1.1 100") and \
            time.monotonic() - t0 < 0.9
        s.settimeout(5)
        s.sendall(body)
        resp = http.client.HTTPResponse(s)
        resp.begin()
        return fast, resp.status, resp.read()
    finally:
        s.close()


def conn_error(url, timeout=5):
    """The exception a request raises (None if it answered)."""
    try:
        req("POST", url, b"x", timeout=timeout)
    except Exception as e:          # noqa: BLE001 - we report its type
        return e
    return None


# -- Cloudinary ----------------------------------------------------------

def test_signer():
    with open(os.path.join(HERE, "..", "data",
                           "cloudinary-sign-vectors.json")) as f:
        vectors = json.load(f)["vectors"]
    bad = [v for v in vectors if string_to_sign(v["params"]) !=
           v["string_to_sign"] or sign(v["params"], v["secret"]) != v["sha1"]
           or sign(v["params"], v["secret"], "sha256") != v["sha256"]]
    check("signer matches the %d SDK vectors" % len(vectors), not bad,
          bad[:1])
    check("signer matches PROTOCOLS.md vectors", all([
        sign({"eager": "w_400,h_300,c_pad|w_260,h_200,c_crop",
              "public_id": "sample_image", "timestamp": "1315060510"},
             "abcd") == "bfd09f95f331f558cbd1320e67aa8d488770583e",
        sign({"public_id": "sample_image", "timestamp": "1315060510"},
             "abcd") == "b4ad47fb4e25c7bf5f92a20089f9db59bc302313",
        sign({"cloud_name": "dn6ot3ged", "timestamp": "1568810420",
              "username": "user@cloudinary.com"},
             "hdcixPpR2iKERPwqvH6sHdK9cyac", "sha256") ==
        "45ddaa4fa01f0c2826f32f669d2e4514faf275fe6df053f1a150e7beae58a3bd",
        sign({"cloud_name": "dn6ot3ged", "timestamp": "1568810420",
              "notification_url": "https://fake.com/callback?a=1&tags="
              "hello,world"}, "hdcixPpR2iKERPwqvH6sHdK9cyac") ==
        "4fdf465dd89451cc1ed8ec5b3e314e8a51695704"]))


def test_cloudinary(cl):
    up = cl.base + "/v1_1/demo/%s/upload"

    def upload(rt, params, data, filename="f.bin", headers=None, **kw):
        body, ctype = multipart(params, data, filename)
        return jreq("POST", up % rt, body=body,
                    headers=dict(headers or {}, **{"Content-Type": ctype}))

    img = png()
    st, r = upload("image", signed({"folder": "chat/u1", "public_id": "pic",
                                    "tags": "a,b"}), img, "photo.png")
    want = ("asset_id", "public_id", "version", "version_id", "signature",
            "width", "height", "format", "resource_type", "created_at",
            "tags", "bytes", "type", "etag", "placeholder", "url",
            "secure_url", "original_filename", "api_key")
    check("image upload answers 200 with every documented field",
          st == 200 and all(k in r for k in want), r)
    check("image upload fields have the real values", st == 200 and
          re.fullmatch(r"[0-9a-f]{32}", r["asset_id"]) and
          r["public_id"] == "chat/u1/pic" and (r["width"], r["height"]) ==
          (3, 2) and r["format"] == "png" and r["bytes"] == len(img) and
          r["etag"] == hashlib.md5(img).hexdigest() and
          r["tags"] == ["a", "b"] and r["type"] == "upload" and
          isinstance(r["version"], int) and r["original_filename"] ==
          "photo" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                                   r["created_at"]) and
          r["secure_url"] == "%s/demo/image/upload/v%d/chat/u1/pic.png"
          % (cl.base, r["version"]), r)
    st2, hdrs, data = req("GET", r["secure_url"])
    check("delivery URL serves the bytes with type and length",
          st2 == 200 and data == img and hdrs["Content-Type"] == "image/png"
          and hdrs["Content-Length"] == str(len(img)))
    st, r2 = upload("image", signed({"folder": "chat/u1", "public_id": "pic",
                                     "overwrite": "false"}), png(5, 5))
    check("overwrite=false on an existing public_id returns it, existing",
          st == 200 and r2.get("existing") is True and
          r2["version"] == r["version"] and r2["width"] == 3, r2)
    st, r3 = upload("image", signed({"folder": "chat/u1", "public_id":
                                     "pic"}), png(5, 5))
    check("overwrite defaults to true for signed uploads",
          st == 200 and "existing" not in r3 and r3["version"] > r["version"]
          and r3["width"] == 5, r3)
    st, r = upload("auto", signed({}), MP4, "clip.mp4")
    check("auto detects video from bytes", st == 200 and
          r["resource_type"] == "video" and r["format"] == "mp4" and
          "duration" in r and len(r["public_id"]) == 20, r)
    st, r = upload("raw", signed({"use_filename": "true",
                                  "unique_filename": "false"}),
                   b"hello", "notes.txt")
    check("raw upload keeps the extension in public_id, has no format",
          st == 200 and r["public_id"] == "notes.txt" and "format" not in r
          and "width" not in r, r)
    st, r = upload("image", signed({}), b"<svg>not an image</svg>")
    check("image upload of non-image bytes: 400 Invalid image file",
          (st, r) == (400, {"error": {"message": "Invalid image file"}}), r)
    st, r = upload("image", signed({}), b"\x89PNG\r\n\x1a\n" + b"\0" * 200000)
    check("over --max-file-size: 400 File size too large", st == 400 and
          r["error"]["message"].startswith("File size too large. Got 200008. "
                                           "Maximum is 200000. Upgrade"), r)

    errors = [
        ("unknown cloud", cl.base + "/v1_1/nope/image/upload", signed({}),
         401, "Invalid cloud_name nope"),
        ("missing api_key", None, signed({}, key=None), 401,
         "Must supply api_key"),
        ("unknown api_key", None, signed({}, key="999"), 401,
         "Unknown API key 999"),
        ("missing timestamp", None, {"api_key": KEY, "signature": "ab"},
         400, "Missing required parameter - timestamp"),
        ("missing file", None, signed({}), 400,
         "Missing required parameter - file")]
    for name, url, params, want_st, msg in errors:
        body, ctype = multipart(params, None if "file" in name else img)
        st, r = jreq("POST", url or up % "image", body=body,
                     headers={"Content-Type": ctype})
        check("%s: %d %s" % (name, want_st, msg),
              (st, r) == (want_st, {"error": {"message": msg}}), (st, r))
    st, r = upload("image", signed({"timestamp": str(int(time.time()) -
                                                     3700)}), img)
    check("stale timestamp: 400 Stale request", st == 400 and re.fullmatch(
        r"Stale request - reported time is \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
        r"\+0000 which is more than 1 hour ago", r["error"]["message"]), r)
    p = signed({"public_id": "x"}, secret="wrong")
    st, r = upload("image", p, img)
    check("bad signature: 401 Invalid Signature with the string to sign",
          st == 401 and r["error"]["message"] == "Invalid Signature %s. "
          "String to sign - 'public_id=x&timestamp=%s'." % (
              p["signature"], p["timestamp"]), r)
    st, r = upload("image", signed({}, algo="sha256"), img)
    check("SHA-256 signature refused when the account uses SHA-1",
          st == 401 and "Invalid Signature" in r["error"]["message"], r)

    # Chunked upload (X-Unique-Upload-Id + Content-Range).
    part = 5 * MIB + 1
    whole = MP4 + os.urandom(2 * part + 1000 - len(MP4))
    total, uid = len(whole), uuid.uuid4().hex

    def chunk(s, e, uid=uid, total=total):
        return upload("auto", signed({"public_id": "big"}), whole[s:e + 1],
                      "big.mp4", {"X-Unique-Upload-Id": uid,
                                  "Content-Range": "bytes %d-%d/%d"
                                  % (s, e, total)})
    st, r = chunk(0, 999)
    check("chunk not over 5 MiB and not last: 400", (st, r) == (400, {
        "error": {"message": "All parts except EOF-chunk must be larger "
                             "than 5mb"}}), r)
    st, r = chunk(0, part - 1)
    check("first chunk answers done:false with the bytes so far",
          st == 200 and r.get("done") is False and r["bytes"] == part, r)
    st, r = chunk(2 * part, total - 1)
    check("EOF chunk before the others: 400", st == 400, r)
    st, r = chunk(part - 10, 2 * part - 1)
    check("overlapping chunk: 400", st == 400 and "overlaps" in
          r["error"]["message"], r)
    st, r = chunk(part, 2 * part - 1, total=total + 1)
    check("chunk with a different total: 400", st == 400, r)
    st, r = chunk(part, 2 * part - 1)
    st, r = chunk(2 * part, total - 1)
    check("last chunk answers the full object of the assembled file",
          st == 200 and r["bytes"] == total and r["resource_type"] ==
          "video" and r["etag"] == hashlib.md5(whole).hexdigest(), r)
    check("assembled file is served back intact",
          req("GET", r.get("secure_url", cl.base))[2] == whole)

    body, ctype = multipart(signed({"public_id": "cont"}), img)
    fast, st, _ = raw_expect(cl.port, "/v1_1/demo/image/upload",
                             {"Content-Type": ctype}, body)
    check("Expect: 100-continue gets 100 at once, then 200", fast and
          st == 200, (fast, st))
    c = http.client.HTTPConnection("127.0.0.1", cl.port, timeout=10)
    c.request("POST", "/v1_1/demo/image/upload",
              body=(body[i:i + 7] for i in range(0, len(body), 7)),
              headers={"Content-Type": ctype})
    resp = c.getresponse()
    check("chunked transfer-encoding request body accepted",
          resp.status == 200 and json.loads(resp.read())["bytes"] ==
          len(img))
    c.close()

    c = http.client.HTTPConnection("127.0.0.1", cl.port, timeout=10)
    c.request("POST", "/v1_1/nope/image/upload", body=body,
              headers={"Content-Type": ctype})
    r1 = c.getresponse()
    r1.read()
    sock = c.sock
    c.request("POST", "/v1_1/demo/image/upload", body=body,
              headers={"Content-Type": ctype})
    r2 = c.getresponse()
    check("error before the body was read: body drained, keep-alive kept",
          (r1.status, r2.status) == (401, 200) and c.sock is sock and
          json.loads(r2.read())["bytes"] == len(img))
    c.close()

    # Destroy; the first one meets the --fault 500:1:/destroy rule.
    dest = cl.base + "/v1_1/demo/image/destroy"
    form = urllib.parse.urlencode(signed({"public_id": "cont"})).encode()
    st, r = jreq("POST", dest, body=form)
    check("--fault 500:1:/destroy at start: first destroy gets 500",
          (st, r) == (500, {"error": {"message": "General Error"}}), r)
    st, r = jreq("POST", dest, body=form)
    check("destroy (urlencoded, signed) answers result ok",
          (st, r) == (200, {"result": "ok"}), r)
    st, r = jreq("POST", dest, body=form)
    check("destroy again answers result not found",
          (st, r) == (200, {"result": "not found"}), r)

    # Admin API.
    admin = cl.base + "/v1_1/demo/resources/image/upload"
    good = {"Authorization": "Basic " + base64.b64encode(
        ("%s:%s" % (KEY, SECRET)).encode()).decode()}
    st, r = jreq("GET", admin)
    check("admin API without credentials: 401 Must supply api_key",
          (st, r) == (401, {"error": {"message": "Must supply api_key"}}), r)
    st, r = jreq("GET", admin, headers={"Authorization": "Basic " +
                                        base64.b64encode(b"%s:bad" % KEY
                                                         .encode()).decode()})
    check("admin API with a wrong secret: 401", st == 401, r)
    for i in range(3):
        upload("image", signed({"public_id": "list/p%d" % i}), img)
    seen, cursor, pages = [], "", 0
    while True:
        q = "?prefix=list/&max_results=2" + ("&next_cursor=" + cursor
                                             if cursor else "")
        st, r = jreq("GET", admin + q, headers=good)
        pages += 1
        seen += [x["public_id"] for x in r["resources"]]
        cursor = r.get("next_cursor")
        if not cursor or pages > 5:
            break
    check("admin listing pages with max_results and next_cursor",
          seen == ["list/p0", "list/p1", "list/p2"] and pages == 2, seen)
    st, r = jreq("GET", admin + "?max_results=501", headers=good)
    check("admin max_results over 500: 400", st == 400, r)

    # Fault injection.
    faults = cl.base + "/__fake/faults"

    def fault(**spec):
        return jreq("POST", faults, spec)[0]
    ok_upload = lambda: upload("raw", signed({}), b"x")   # noqa: E731
    fault(mode="429", count=1)
    st1, r1 = ok_upload()
    st2, _ = ok_upload()
    check("fault 429 count 1: one 429 in the service's shape, then normal",
          (st1, r1, st2) == (429, {"error": {"message":
                                             "Rate Limit Exceeded"}}, 200))
    fault(mode="420", count=1)
    check("fault 420", ok_upload()[0] == 420)
    fault(mode="garbage", count=1)
    st, r = ok_upload()
    check("fault garbage: 200 with a non-JSON body",
          st == 200 and isinstance(r, bytes))
    fault(mode="close", count=1)
    err = conn_error(up % "raw")
    check("fault close: connection closed without an answer",
          isinstance(err, (http.client.RemoteDisconnected,
                           ConnectionError, urllib.error.URLError)), err)
    fault(mode="reset", count=1)
    err = conn_error(up % "raw")
    check("fault reset: connection reset", isinstance(
        getattr(err, "reason", err), ConnectionResetError), repr(err))
    fault(mode="slow", count=1, delay_ms=400)
    t0 = time.monotonic()
    st, _ = ok_upload()
    check("fault slow: correct answer after delay_ms",
          st == 200 and time.monotonic() - t0 >= 0.4)
    fault(mode="hang", count=1, delay_ms=3000)
    err = conn_error(up % "raw", timeout=0.5)
    check("fault hang: no answer within the client timeout",
          isinstance(getattr(err, "reason", err), socket.timeout), repr(err))
    fault(mode="500", count=-1, match="/destroy")
    st_u, _ = ok_upload()
    st_d1, _ = jreq("POST", dest, body=form)
    st_d2, _ = jreq("POST", dest, body=form)
    fault(mode="ok")
    st_d3, _ = jreq("POST", dest, body=form)
    check("fault match and count -1: only matching paths, until changed",
          (st_u, st_d1, st_d2, st_d3) == (200, 500, 500, 200),
          (st_u, st_d1, st_d2, st_d3))
    check("bad fault mode: 400", fault(mode="explode") == 400)

    st, s = jreq("GET", cl.base + "/__fake/stats")
    st2, objs = jreq("GET", cl.base + "/__fake/objects")
    check("stats count requests by route and status, bytes and objects",
          st == 200 and s["requests"]["upload"]["200"] >= 10 and
          s["requests"]["upload"]["401"] >= 3 and
          s["bytes_received"] > 2 * part and
          s["objects"] == len(objs["assets"]) > 0, s)
    jreq("POST", cl.base + "/__fake/reset", {})
    st, s = jreq("GET", cl.base + "/__fake/stats")
    check("reset clears objects and stats", s["objects"] == 0 and
          s["requests_total"] == 0 and jreq(
              "GET", cl.base + "/__fake/objects")[1]["assets"] == [], s)
    with open(cl.log) as f:
        log = f.read()
    check("log has one line per request with method, path, status",
          re.search(r"POST /v1_1/demo/image/upload 200", log) and
          log.count("\n") >= 40)
    check("log holds no secret, signature or credentials",
          SECRET not in log and p["signature"] not in log and
          "Basic" not in log and good["Authorization"][6:] not in log)


# -- Supabase ------------------------------------------------------------

def test_supabase(sb):
    base = sb.base + "/storage/v1"
    auth = {"Authorization": "Bearer " + SKEY, "apikey": SKEY}

    def put(key, data, method="POST", ctype="image/png", **extra):
        h = dict(auth, **{"Content-Type": ctype})
        h.update(extra)
        h = {k: v for k, v in h.items() if v is not None}
        return jreq(method, base + "/object/" + key, body=data, headers=h)

    st, _, data = req("GET", base + "/object/public/media/seed/hello.txt")
    check("--seed-dir objects are served", st == 200 and data == b"hi\n")
    st, r = put("media/u/a.png", png(), **{"Authorization": None})
    check("missing Authorization: 400 with statusCode 403", (st, r) == (
        400, {"statusCode": "403", "code": "AccessDenied",
              "error": "Unauthorized", "message": "headers must have "
              "required property 'authorization'"}), r)
    denied = (400, {"statusCode": "403", "code": "AccessDenied",
                    "error": "Unauthorized", "message": "invalid signature"})
    st, r = put("media/u/a.png", png(), Authorization="Bearer nope")
    check("wrong service key: 400 invalid signature", (st, r) == denied, r)
    st, r = put("media/u/a.png", png(), apikey=None)
    check("missing apikey header: refused", (st, r) == denied, r)

    img = png()
    st, r = put("media/u/a.png", img, **{"cache-control": "max-age=3600"})
    check("upload answers 200 {Id, Key}", st == 200 and set(r) == {
        "Id", "Key"} and r["Key"] == "media/u/a.png" and str(uuid.UUID(
            r["Id"])) == r["Id"], r)
    first_id = r["Id"]
    dup = (400, {"statusCode": "409", "code": "KeyAlreadyExists",
                 "error": "Duplicate",
                 "message": "The resource already exists"})
    check("existing key without x-upsert: 400 statusCode 409",
          put("media/u/a.png", img) == dup)
    check("x-upsert other than exactly 'true' does not upsert",
          put("media/u/a.png", img, **{"x-upsert": "True"}) == dup)
    st, r = put("media/u/a.png", png(4, 4), **{"x-upsert": "true"})
    check("x-upsert: true overwrites", st == 200 and r["Id"] == first_id)
    st, r = put("media/u/a.png", img, method="PUT")
    check("PUT replaces", st == 200)
    st, r = put("nobucket/a.png", img)
    check("unknown bucket: 400 statusCode 404 NoSuchBucket", (st, r) == (
        400, {"statusCode": "404", "code": "NoSuchBucket",
              "error": "Bucket not found", "message": "Bucket not found"}), r)
    for key in ("a/../b.png", "a//b.png", "/lead.png", "ctl%01.png",
                "hash%23.png"):
        st, r = put("media/" + key, img)
        check("invalid key %r: 400 InvalidKey" % key, st == 400 and
              r["code"] == "InvalidKey" and r["statusCode"] == "400" and
              r["message"].startswith("Invalid key: "), r)
    big = (400, {"statusCode": "413", "code": "EntityTooLarge",
                 "error": "Payload too large", "message":
                 "The object exceeded the maximum allowed size"})
    check("object over --max-object-size: 400 statusCode 413",
          put("media/big.bin", b"x" * 100001) == big)
    # The fake may answer 413 and close before the whole body is sent:
    # write it on a raw socket, ignore a broken pipe, then read.
    s = socket.create_connection(("127.0.0.1", sb.port), timeout=10)
    try:
        s.sendall(("POST /storage/v1/object/media/big2.bin HTTP/1.1\r\n"
                   "Host: x\r\nAuthorization: Bearer %s\r\napikey: %s\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n" % (SKEY, SKEY))
                  .encode())
        for _ in range(30):
            s.sendall(b"%x\r\n%s\r\n" % (50000, b"y" * 50000))
        s.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    resp = http.client.HTTPResponse(s)
    resp.begin()
    check("chunked body over the limit: also 413 shape",
          (resp.status, json.loads(resp.read())) == big)
    s.close()
    c = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10)
    c.request("POST", "/storage/v1/object/media/chunked.bin",
              body=(b"z" * 1000 for _ in range(30)), headers=auth)
    resp = c.getresponse()
    check("chunked transfer-encoding upload stored",
          resp.status == 200 and resp.read() and
          req("GET", base + "/object/media/chunked.bin",
              headers=auth)[2] == b"z" * 30000)
    c.close()
    fast, st, _ = raw_expect(sb.port, "/storage/v1/object/media/exp.bin",
                             dict(auth, **{"Content-Type": "text/plain"}),
                             b"e" * 5000)
    check("Expect: 100-continue answered at once", fast and st == 200)
    s = socket.create_connection(("127.0.0.1", sb.port), timeout=5)
    s.sendall(("POST /storage/v1/object/media/huge.bin HTTP/1.1\r\nHost: x"
               "\r\nAuthorization: Bearer %s\r\napikey: %s\r\n"
               "Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n"
               % (SKEY, SKEY)).encode())
    resp = http.client.HTTPResponse(s)
    resp.begin()
    check("Expect: 100-continue with an oversize body: final 413 at once",
          (resp.status, json.loads(resp.read())) == big)
    s.close()
    got = []

    def worker(i):
        got.append(put("media/par/%02d.bin" % i, bytes([i]) * 20000,
                       ctype="application/octet-stream")[0])
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    st, r = jreq("POST", base + "/object/list/media", {"prefix": "par/"},
                 auth)
    check("16 concurrent uploads all stored", got == [200] * 16 and
          len(r) == 16 and all(x["metadata"]["size"] == 20000 for x in r))
    body, ctype = multipart({"cacheControl": "60"}, b"GIF89a...", "g.gif")
    body = body.replace(b"application/octet-stream", b"image/gif")
    st, r = put("media/form.gif", body, ctype=ctype)
    st2, h, data = req("GET", base + "/object/media/form.gif", headers=auth)
    check("multipart upload: file part stored with its type and cacheControl",
          st == 200 and data == b"GIF89a..." and
          h["Content-Type"] == "image/gif" and
          h["Cache-Control"] == "max-age=60", (st, r, dict(h)))

    st, h, data = req("GET", base + "/object/media/u/a.png", headers=auth)
    check("authenticated download: bytes, Content-Type, Content-Length",
          st == 200 and data == img and h["Content-Type"] == "image/png"
          and h["Content-Length"] == str(len(img)))
    st, h, data = req("GET", base + "/object/public/media/u/a.png")
    check("public download without credentials", st == 200 and data == img)
    st, h, data = req("GET", base + "/object/media/u/a.png",
                      headers=dict(auth, Range="bytes=2-5"))
    check("Range request: 206 with Content-Range", st == 206 and
          data == img[2:6] and h["Content-Range"] == "bytes 2-5/%d"
          % len(img))
    st, r = jreq("GET", base + "/object/media/u/none.png", headers=auth)
    check("missing object: 400 statusCode 404 Object not found", (st, r) == (
        400, {"statusCode": "404", "code": "NoSuchKey", "error": "not_found",
              "message": "Object not found"}), r)

    for k in ("dir/b.txt", "dir/a.txt", "dir/sub/c.txt", "dirx/d.txt"):
        put("media/" + k, k.encode(), ctype="text/plain")
    lst = base + "/object/list/media"
    st, r = jreq("POST", lst, {"prefix": "dir/", "limit": 100, "offset": 0,
                               "sortBy": {"column": "name",
                                          "order": "asc"}}, auth)
    names = [x["name"] for x in r] if st == 200 else r
    check("list: direct children of prefix, sorted, folders once",
          names == ["a.txt", "b.txt", "sub"], names)
    a, sub = (r[0], r[2]) if st == 200 and len(r) == 3 else ({}, {})
    check("list: files carry id and metadata, folders null", sub.get(
        "id", 1) is None and sub.get("metadata", 1) is None and
        str(uuid.UUID(a["id"])) == a["id"] and a["metadata"]["size"] == 9 and
        a["metadata"]["eTag"] == '"%s"' % hashlib.md5(b"dir/a.txt")
        .hexdigest() and a["metadata"]["mimetype"] == "text/plain" and
        a["metadata"]["httpStatusCode"] == 200 and
        {"cacheControl", "lastModified", "contentLength"} <=
        set(a["metadata"]), r)
    st, r = jreq("POST", lst, {"prefix": "dir", "limit": 1, "offset": 1,
                               "sortBy": {"column": "name",
                                          "order": "desc"}}, auth)
    check("list: limit, offset and descending order",
          [x["name"] for x in r] == ["b.txt"], r)

    st, r = jreq("POST", base + "/object/sign/media/dir/b.txt",
                 {"expiresIn": 60}, auth)
    url = r.get("signedURL", "") if isinstance(r, dict) else ""
    check("sign answers a signedURL", st == 200 and url.startswith(
        "/object/sign/media/dir/b.txt?token="), r)
    st, _, data = req("GET", base + url)
    check("signed URL serves the object", st == 200 and data == b"dir/b.txt")
    st, r = jreq("GET", base + url[:-3] + "AAA")
    check("tampered token refused", st == 400 and r["code"] == "InvalidJWT")
    st, r = jreq("GET", base + url.replace("b.txt", "a.txt"))
    check("token for another path refused", st == 400 and
          r["code"] == "InvalidSignature", r)

    st, r = jreq("DELETE", base + "/object/media",
                 {"prefixes": ["dir/a.txt", "dir/missing"]}, auth)
    check("bulk delete answers the deleted rows", st == 200 and
          [x["name"] for x in r] == ["dir/a.txt"] and
          r[0]["bucket_id"] == "media", r)
    check("bulk delete with no prefix: 400", jreq(
        "DELETE", base + "/object/media", {"prefixes": []}, auth)[0] == 400)
    check("bulk delete with over 1000 prefixes: 400", jreq(
        "DELETE", base + "/object/media", {"prefixes": ["x"] * 1001},
        auth)[0] == 400)

    seed = {"generate": {"count": 300, "prefix": "bulk/", "size": 3000,
                         "content_type": "image/png"}}
    st, r = jreq("POST", sb.base + "/__fake/seed", seed)
    st2, listing = jreq("POST", lst, {"prefix": "bulk", "limit": 1000},
                        auth)
    st3, _, data = req("GET", base + "/object/public/media/bulk/000007.png")
    jreq("POST", sb.base + "/__fake/seed", seed)
    data2 = req("GET", base + "/object/public/media/bulk/000007.png")[2]
    check("seed generates many objects with deterministic typed content",
          st == 200 and r["seeded"] == 300 and len(listing) == 300 and
          data.startswith(b"\x89PNG") and len(data) == 3000 and
          data == data2, r)

    fault = sb.base + "/__fake/faults"
    jreq("POST", fault, {"mode": "500", "count": 1})
    st, r = put("media/f.png", img)
    check("fault 500 keeps HTTP 500 with the storage error body",
          st == 500 and r["statusCode"] == "500", r)
    jreq("POST", fault, {"mode": "429", "count": 1})
    check("fault 429 answers HTTP 429", put("media/f.png", img)[0] == 429)

    st, r = jreq("POST", base + "/object/sign/media/dir/b.txt",
                 {"expiresIn": 1}, auth)
    time.sleep(2.1)
    st, r = jreq("GET", base + r["signedURL"])
    check("expired signed URL refused", st == 400 and
          r["message"] == "jwt expired", r)
    st, s = jreq("GET", sb.base + "/__fake/stats")
    check("stats count uploads by status", s["requests"]["upload"]["200"]
          >= 5 and s["requests"]["upload"]["400"] >= 5, s)
    with open(sb.log) as f:
        log = f.read()
    check("log holds no key or token", SKEY not in log and "token" not in
          log and "GET /storage/v1/object/media/u/a.png 200" in log)


def main():
    work = tempfile.mkdtemp(prefix="fakes-selftest-")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    signal.signal(signal.SIGALRM, lambda *_: sys.exit("watchdog: over 55 s"))
    signal.alarm(55)
    try:
        test_signer()
        cl = Fake("cloudinary_fake.py",
                  ["--cloud-name", "demo", "--max-file-size", "200000",
                   "--fault", "500:1:/destroy"], work,
                  {"FAKE_CLOUDINARY_API_KEY": KEY,
                   "FAKE_CLOUDINARY_API_SECRET": SECRET})
        test_cloudinary(cl)
        seed_dir = os.path.join(work, "seed")
        os.makedirs(os.path.join(seed_dir, "seed"))
        with open(os.path.join(seed_dir, "seed", "hello.txt"), "w") as f:
            f.write("hi\n")
        sb = Fake("supabase_fake.py",
                  ["--bucket", "media", "--bucket", "other",
                   "--max-object-size", "100000", "--seed-dir", seed_dir],
                  work, {"FAKE_SUPABASE_SERVICE_KEY": SKEY})
        test_supabase(sb)
        for fake in (cl, sb):
            rc = fake.stop()
            check("%s exits 0 on SIGTERM and removes its port file" %
                  os.path.basename(fake.proc.args[1]),
                  rc == 0 and not os.path.exists(fake.port_file), rc)
            with open(fake.err.name) as f:
                err = f.read()
            check("%s wrote nothing to stderr" % os.path.basename(
                fake.proc.args[1]), not err, err)
    except BaseException as e:      # noqa: BLE001 - reported as a failure
        check("selftest ran to the end", False, repr(e))
    finally:
        for fake in procs:
            fake.stop()
        signal.alarm(0)
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % len(results))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
