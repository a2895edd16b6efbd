"""Shared machinery of the pairstore service fakes (standard library only).

A threaded HTTP/1.1 server bound to 127.0.0.1, a request-body reader for
Content-Length and chunked framing, a streaming multipart/form-data parser
that spools file parts to disk, fault injection, statistics, the
/__fake/* control endpoints and the start-up/shut-down plumbing.

Every size is bounded: the request line and headers by http.server (64 KiB
per line, 100 headers), bodies by FakeServer.max_body, JSON bodies by
MAX_JSON, multipart text fields by MAX_FIELD, part headers by
MAX_PART_HEADERS and the number of parts by MAX_PARTS.
"""
import argparse
import datetime
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import struct
import tempfile
import threading
from email.message import Message
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"            # the fakes never listen anywhere else
MAX_JSON = 1 << 20            # JSON and urlencoded bodies
MAX_FIELD = 64 << 10          # one multipart text field
MAX_PART_HEADERS = 16 << 10   # header block of one multipart part
MAX_PARTS = 256               # parts in one multipart body
MAX_CHUNK_LINE = 4096         # chunk-size line (with extensions)
MAX_TRAILERS = 64             # trailer lines after the last chunk
DRAIN_LIMIT = 256 << 20       # unread body swallowed before an early answer
IO_BLOCK = 256 << 10
FAULT_MODES = ("ok", "500", "420", "429", "hang", "slow", "close",
               "garbage", "reset")


class FakeError(Exception):
    """An error answered in the shape of the faked service.

    status is the service-level status (Supabase answers most of them with
    HTTP 400 and the status as a string in the body); extra carries
    service-specific fields such as Supabase's "code" and "error".
    """

    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def utc_now(ms=False):
    """'2024-06-25T09:25:44Z' (Cloudinary) or '...44.123Z' (Supabase)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    if ms:
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
            now.microsecond // 1000)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def header_param(value, param, header="content-type"):
    """A parameter of a structured header (boundary, name, filename)."""
    msg = Message()
    msg[header] = value
    got = msg.get_param(param, header=header)
    if isinstance(got, tuple):          # RFC 2231 encoded (filename*=)
        from email.utils import collapse_rfc2231_value
        got = collapse_rfc2231_value(got)
    return got


class BodyReader:
    """The request body, framed by Content-Length or chunked coding.

    RFC 9112 section 6.3: a message with both headers is rejected, any
    transfer coding but "chunked" is not implemented.  At most `cap` bytes
    are accepted; more raises a 413 FakeError.
    """

    def __init__(self, rfile, headers, cap, counter):
        self.rfile, self.cap, self.counter = rfile, cap, counter
        self.total = 0
        self.left = 0
        self.chunked = False
        self.done = False
        self.failed = False
        te = headers.get("Transfer-Encoding")
        cl = headers.get("Content-Length")
        if te is not None:
            if cl is not None:
                raise FakeError(400, "Both Content-Length and "
                                "Transfer-Encoding")
            if te.strip().lower() != "chunked":
                raise FakeError(501, "Unsupported transfer coding")
            self.chunked = True
        elif cl is not None:
            if not re.fullmatch(r"\d{1,18}", cl.strip()):
                raise FakeError(400, "Invalid Content-Length")
            self.left = int(cl)
            if self.left > cap:
                raise FakeError(413, "Request body too large")
            self.done = self.left == 0
        else:
            self.done = True            # no framing header: no body

    def _line(self, limit):
        line = self.rfile.readline(limit + 1)
        if not line.endswith(b"\n") or len(line) > limit:
            raise FakeError(400, "Malformed chunked body")
        return line.rstrip(b"\r\n")

    def _next_chunk(self):
        size = self._line(MAX_CHUNK_LINE).split(b";", 1)[0].strip()
        if not re.fullmatch(rb"[0-9A-Fa-f]{1,15}", size):
            raise FakeError(400, "Malformed chunk size")
        self.left = int(size, 16)
        if self.left == 0:              # last chunk: skip the trailers
            for _ in range(MAX_TRAILERS):
                if not self._line(8192):
                    self.done = True
                    return
            raise FakeError(400, "Too many trailer fields")

    def read(self, n=IO_BLOCK):
        """Up to n bytes of body; b"" once the body is complete."""
        try:
            return self._read(n)
        except FakeError:
            self.failed = True      # framing lost: the connection must close
            raise

    def _read(self, n):
        if self.done:
            return b""
        if self.chunked and self.left == 0:
            self._next_chunk()
            if self.done:
                return b""
        data = self.rfile.read(min(n, self.left))
        if not data:
            raise ConnectionError("client closed the connection mid-body")
        self.left -= len(data)
        if self.chunked and self.left == 0 and self._line(2):
            raise FakeError(400, "Malformed chunked body")
        if not self.chunked and self.left == 0:
            self.done = True
        self.total += len(data)
        self.counter(len(data))
        if self.total > self.cap:
            raise FakeError(413, "Request body too large")
        return data

    def read_all(self, cap):
        out = bytearray()
        while True:
            data = self.read()
            if not data:
                return bytes(out)
            out += data
            if len(out) > cap:
                raise FakeError(413, "Request body too large")

    def drain(self, limit):
        """Discard up to limit bytes; True when the body is fully read."""
        start = self.total
        while not self.done and self.total - start < limit:
            self.read()
        return self.done


class SpooledFile:
    """A file part written to disk as it arrives.

    Keeps the size, MD5 and the first HEAD bytes (for type sniffing and
    image dimensions).  Beyond `cap` bytes it only counts, so that a size
    error can report the real size without storing it.
    """
    HEAD = 64 << 10

    def __init__(self, tmpdir, cap, filename=None, content_type=None):
        fd, self.path = tempfile.mkstemp(dir=tmpdir, prefix="spool-")
        self.f = os.fdopen(fd, "wb")
        self.cap, self.size = cap, 0
        self.md5 = hashlib.md5()
        self.head = bytearray()
        self.filename, self.content_type = filename, content_type

    def write(self, data):
        self.size += len(data)
        if self.size > self.cap:
            return
        if len(self.head) < self.HEAD:
            self.head += data[:self.HEAD - len(self.head)]
        self.f.write(data)
        self.md5.update(data)

    def close(self):
        if not self.f.closed:
            self.f.close()

    def discard(self):
        self.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def parse_multipart(body, content_type, tmpdir, file_cap, file_names=()):
    """Stream a multipart/form-data body (RFC 7578, RFC 2046 5.1).

    Returns (fields, files): fields is a list of (name, str) in order,
    files maps a part name to its SpooledFile.  A part is a file when it
    has a filename or its name is in file_names.
    """
    boundary = header_param(content_type, "boundary")
    if not boundary or len(boundary) > 70:
        raise FakeError(400, "Missing or invalid multipart boundary")
    delim = b"\r\n--" + boundary.encode("latin-1")
    buf = bytearray(b"\r\n")    # so the first delimiter needs no CRLF
    fields, files = [], {}

    def fill():
        data = body.read()
        buf.extend(data)
        return bool(data)

    def stream_to(sink):
        """Feed sink everything up to the next delimiter, consume it."""
        keep = len(delim) - 1
        while True:
            idx = buf.find(delim)
            if idx >= 0:
                sink(bytes(buf[:idx]))
                del buf[:idx + len(delim)]
                return
            if len(buf) > keep:
                sink(bytes(buf[:-keep]))
                del buf[:-keep]
            if not fill():
                raise FakeError(400, "Malformed multipart body: "
                                "missing closing boundary")

    try:
        stream_to(lambda data: None)            # preamble
        for _ in range(MAX_PARTS + 1):
            while len(buf) < 2 and fill():
                pass
            if buf[:2] == b"--":                # close-delimiter
                body.drain(DRAIN_LIMIT)         # epilogue
                return fields, files
            while b"\r\n\r\n" not in buf[:MAX_PART_HEADERS] and \
                    len(buf) < MAX_PART_HEADERS and fill():
                pass
            end = buf.find(b"\r\n\r\n")
            if end < 0 or end > MAX_PART_HEADERS:
                raise FakeError(400, "Malformed multipart part headers")
            lines = bytes(buf[:end]).split(b"\r\n")
            del buf[:end + 4]
            if lines[0].strip(b" \t"):          # rest of delimiter line
                raise FakeError(400, "Malformed multipart delimiter")
            hdrs = {}
            for line in lines[1:]:
                name, sep, value = line.decode("utf-8", "replace") \
                    .partition(":")
                if not sep:
                    raise FakeError(400, "Malformed multipart part header")
                hdrs[name.strip().lower()] = value.strip()
            disp = hdrs.get("content-disposition", "")
            name = header_param(disp, "name", "content-disposition")
            if not disp.lower().startswith("form-data") or not name:
                raise FakeError(400, "Multipart part without form-data name")
            filename = header_param(disp, "filename", "content-disposition")
            if filename is not None or name in file_names:
                if name in files:
                    raise FakeError(400, "Duplicate file part %s" % name)
                spool = SpooledFile(tmpdir, file_cap, filename,
                                    hdrs.get("content-type"))
                files[name] = spool
                stream_to(spool.write)
                spool.close()
            else:
                value = bytearray()

                def add(data, value=value, name=name):
                    value.extend(data)
                    if len(value) > MAX_FIELD:
                        raise FakeError(400, "Field %s too large" % name)
                stream_to(add)
                try:
                    fields.append((name, value.decode("utf-8")))
                except UnicodeDecodeError:
                    raise FakeError(400, "Field %s is not UTF-8" % name)
        raise FakeError(400, "Too many multipart parts")
    except BaseException:
        for spool in files.values():
            spool.discard()
        raise


class Faults:
    """The one active fault rule (POST /__fake/faults replaces it)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rule = None

    @staticmethod
    def parse_cli(spec):
        """MODE[:count[:match]] from --fault."""
        mode, _, rest = spec.partition(":")
        count, _, match = rest.partition(":")
        return {"mode": mode, "count": int(count) if count else 1,
                "match": match or None}

    def set(self, spec):
        mode = str(spec.get("mode", ""))
        count = spec.get("count", 1)
        match = spec.get("match")
        delay = spec.get("delay_ms")
        if mode not in FAULT_MODES:
            raise FakeError(400, "mode must be one of " +
                            ", ".join(FAULT_MODES))
        if not isinstance(count, int) or count < -1:
            raise FakeError(400, "count must be an integer >= -1")
        if match is not None and not isinstance(match, str):
            raise FakeError(400, "match must be a string")
        if delay is None:
            delay = 60000 if mode == "hang" else 1000
        if not isinstance(delay, int) or not 0 <= delay <= 3600000:
            raise FakeError(400, "delay_ms must be an integer in 0..3600000")
        rule = {"mode": mode, "count": count, "match": match or None,
                "delay_ms": delay}
        with self.lock:
            self.rule = None if mode == "ok" or count == 0 else rule
            return self.current()

    def current(self):
        return dict(self.rule) if self.rule else {"mode": "ok"}

    def take(self, path):
        """The fault for a request to path, if any (uses up one count)."""
        with self.lock:
            rule = self.rule
            if rule is None or (rule["match"] and rule["match"] not in path):
                return None
            if rule["count"] > 0:
                rule["count"] -= 1
                if rule["count"] == 0:
                    self.rule = None
            return dict(rule)


class Stats:
    """Counters for GET /__fake/stats; control requests are not counted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = {}
            self.total = 0
            self.bytes_received = 0
            self.faults = 0

    def add_bytes(self, n):
        with self.lock:
            self.bytes_received += n

    def record(self, route, status, faulted):
        with self.lock:
            by_status = self.requests.setdefault(route, {})
            key = str(status) if status else "none"
            by_status[key] = by_status.get(key, 0) + 1
            self.total += 1
            self.faults += bool(faulted)

    def snapshot(self):
        with self.lock:
            return {"requests_total": self.total,
                    "requests": json.loads(json.dumps(self.requests)),
                    "bytes_received": self.bytes_received,
                    "faults_injected": self.faults}


class FakeServer(http.server.ThreadingHTTPServer):
    """Threaded server on 127.0.0.1 with the state every fake shares."""
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, handler, args, max_body):
        self.args = args
        self.max_body = max_body
        self.stopping = threading.Event()
        self.faults = Faults()
        self.stats = Stats()
        self.lock = threading.RLock()       # guards the fake's object state
        self.storage = os.path.abspath(args.storage_dir)
        # Only these two subdirectories are ever written or wiped.
        self.tmpdir = os.path.join(self.storage, ".fake-tmp")
        self.blobdir = os.path.join(self.storage, ".fake-blobs")
        for d in (self.tmpdir, self.blobdir):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        self.log_lock = threading.Lock()
        self.logf = open(args.log, "a", buffering=1) if args.log else None
        if args.fault:
            try:
                self.faults.set(Faults.parse_cli(args.fault))
            except (ValueError, FakeError) as err:
                raise SystemExit("--fault %s: %s" % (args.fault, err))
        super().__init__((HOST, args.port), handler)

    def server_bind(self):
        # HTTPServer.server_bind would resolve the host name (slow, useless).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, self.server_address[1]

    def base_url(self):
        return "http://%s:%d" % (HOST, self.server_port)

    def log(self, method, path, status, route):
        """One line per request; the query string is dropped (signed
        tokens live there) and headers are never logged."""
        if not self.logf:
            return
        path = re.sub(r"[^\x21-\x7e]", "?", path.split("?", 1)[0])[:512]
        line = "%s %s %s %s %s\n" % (utc_now(True), method, path,
                                     status or "-", route)
        with self.log_lock:
            self.logf.write(line)

    def reset(self):
        """POST /__fake/reset: forget objects, faults and statistics."""
        with self.lock:
            self.faults.set({"mode": "ok"})
            self.stats.reset()
            self.reset_objects()
            for d in (self.tmpdir, self.blobdir):
                for name in os.listdir(d):
                    p = os.path.join(d, name)
                    if os.path.isdir(p):
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        os.unlink(p)

    def reset_objects(self):
        raise NotImplementedError

    def object_count(self):
        raise NotImplementedError


class FakeHandler(http.server.BaseHTTPRequestHandler):
    """Request plumbing; subclasses implement route(), error_body(),
    fault_error() and optionally control_extra()."""
    protocol_version = "HTTP/1.1"
    server_version = "pairstore-fake/1"
    sys_version = ""
    timeout = 120       # a silent client cannot hold a thread forever

    def version_string(self):
        return self.server_version

    # http.server's own logging would print the query string: replaced by
    # FakeServer.log, called once per request from dispatch().
    def log_request(self, code="-", size="-"):
        pass

    def log_message(self, fmt, *args):
        pass

    def log_error(self, fmt, *args):
        code = args[0] if args and isinstance(args[0], int) else "-"
        self.server.log("-", "-", code, "malformed")

    def handle_expect_100(self):
        # RFC 9110 10.1.1: a body we will refuse anyway is not invited;
        # the final status is sent instead of "100 Continue".
        cl = self.headers.get("Content-Length", "").strip()
        if cl.isdigit() and int(cl) > self.server.max_body:
            return True
        return super().handle_expect_100()

    def dispatch(self):
        self.status, self.route_name, self.body = None, "unmatched", None
        self.headers_sent = False
        fault = None
        url = urlsplit(self.path)
        self.url_path = url.path
        self.query = parse_qs(url.query, keep_blank_values=True)
        control = self.url_path.startswith("/__fake/")
        try:
            try:
                counter = (lambda n: None) if control else \
                    self.server.stats.add_bytes
                self.body = BodyReader(self.rfile, self.headers,
                                       self.server.max_body, counter)
                if control:
                    self.route_name = "control"
                    self.handle_control()
                else:
                    fault = self.server.faults.take(self.url_path)
                    if fault is None or self.apply_fault(fault):
                        self.route()
            except FakeError as err:
                if self.headers_sent:
                    self.close_connection = True
                else:
                    status, obj = self.error_body(err)
                    self.send_json(status, obj, err.extra.get("headers", ()))
        except OSError:
            # Client went away, socket timeout, or a reset we injected.
            self.close_connection = True
        finally:
            self.server.log(self.command, self.url_path, self.status,
                            self.route_name)
            if not control:
                self.server.stats.record(self.route_name, self.status, fault)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = dispatch

    # -- faults -----------------------------------------------------------

    def apply_fault(self, fault):
        """Act out a fault; True when the request should then be served."""
        mode, delay = fault["mode"], fault["delay_ms"] / 1000.0
        self.route_name = "fault-" + mode
        if mode == "slow":
            self.server.stopping.wait(delay)
            return True
        if mode == "hang":                  # hold the socket, answer nothing
            self.close_connection = True
            self.server.stopping.wait(delay)
        elif mode == "close":               # read the request, answer nothing
            self.close_connection = True
            self.body.drain(DRAIN_LIMIT)
        elif mode == "reset":               # RST: SO_LINGER 0, then close
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
        elif mode == "garbage":
            self.send_bytes(200, b"<html><body>502 Bad Gateway</body></html>"
                            b"\n\x00\xff not json", "text/html")
        else:
            raise self.fault_error(int(mode))
        return False

    # -- control API ------------------------------------------------------

    def read_json(self, cap=MAX_JSON):
        raw = self.body.read_all(cap)
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            raise FakeError(400, "Body is not valid JSON")

    def handle_control(self):
        name, method = self.url_path[len("/__fake/"):], self.command
        if name == "faults" and method == "POST":
            spec = self.read_json()
            if not isinstance(spec, dict):
                raise FakeError(400, "Expected a JSON object")
            self.send_json(200, {"fault": self.server.faults.set(spec)})
        elif name == "faults" and method == "GET":
            self.send_json(200, {"fault": self.server.faults.current()})
        elif name == "stats" and method == "GET":
            snap = self.server.stats.snapshot()
            snap["objects"] = self.server.object_count()
            self.send_json(200, snap)
        elif name == "reset" and method == "POST":
            self.server.reset()
            self.send_json(200, {"reset": True})
        elif not self.control_extra(name, method):
            self.send_json(404, {"error": "unknown control endpoint"})

    def control_extra(self, name, method):
        return False

    # -- responses --------------------------------------------------------

    def finish_body(self):
        """Read what is left of the body so the connection stays usable;
        close it instead when that is too much or malformed."""
        if self.body is None or self.body.failed:
            self.close_connection = True    # framing unknown or broken
            return
        if self.body.done:
            return
        try:
            if self.body.drain(DRAIN_LIMIT):
                return
        except (FakeError, OSError):
            pass
        self.close_connection = True

    def start_response(self, status, ctype, length, headers=()):
        self.finish_body()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        for key, value in headers:
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.status, self.headers_sent = status, True

    def send_bytes(self, status, data, ctype, headers=()):
        self.start_response(status, ctype, len(data), headers)
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status, obj, headers=()):
        self.send_bytes(status, json.dumps(obj).encode(),
                        "application/json; charset=utf-8", headers)

    def send_file(self, status, path, ctype, offset, length, headers=()):
        self.start_response(status, ctype, length, headers)
        if self.command == "HEAD":
            return
        with open(path, "rb") as f:
            f.seek(offset)
            while length > 0:
                data = f.read(min(IO_BLOCK, length))
                if not data:
                    raise OSError("stored object shrank")
                self.wfile.write(data)
                length -= len(data)


def base_argparser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--port", type=int, default=0,
                   help="TCP port on 127.0.0.1 (0: pick a free one)")
    p.add_argument("--port-file", help="write the bound port here "
                   "(atomically) once listening")
    p.add_argument("--storage-dir", required=True,
                   help="where stored bytes live (.fake-* subdirectories)")
    p.add_argument("--log", help="append one line per request here")
    p.add_argument("--fault", help="initial fault MODE[:count[:match]]")
    return p


def serve(server, port_file):
    """Serve until SIGTERM or SIGINT; returns the exit status."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    if port_file:
        tmp = "%s.tmp.%d" % (port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_port)
        os.replace(tmp, port_file)
    while not stop.wait(0.5):
        pass
    server.stopping.set()           # wakes "hang" and "slow" faults
    server.shutdown()
    server.server_close()
    if port_file:
        try:
            os.unlink(port_file)
        except FileNotFoundError:
            pass
    return 0
