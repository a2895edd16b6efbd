#!/usr/bin/env python3
"""provider_fake.py - a stand-in for an http pairing provider (tests only).

Listens on 127.0.0.1 only (no option changes that), on an ephemeral port
written to --port-file (temporary name, then rename, so a reader never
sees it half written; removed at exit).  Standard library only.

Pairing requests: POST to any path outside /__fake/.  The request must
carry Content-Type: application/json and a body that is a JSON object
with exactly the string members "userId" and "phone" (else 415 / 400,
so a client bug fails the test).  When a token is configured
(--token-env NAME names an environment variable holding it, or the
control API sets it), "Authorization: Bearer <token>" is required (else
401).  The answer then depends on the mode:

  ok        200 {"code": CODE}
  500       500 {"error": "internal"}
  garbage   200 with an HTML body that is not JSON
  hang      reads the request and never answers (until the client goes
            away, delay_ms passes (default 60000) or the fake stops)
  slow      waits delay_ms (default 1000), then answers as ok
  shape     200 {"pairingCode": CODE}: JSON, but not the expected shape
  huge      200, a 256 KiB JSON body without Content-Length (read until
            the connection closes)
  huge-cl   the same body with its Content-Length
  raw       status and body given through the control API

Control API (no authentication):
  POST /__fake/mode {"mode", "code", "delay_ms", "status", "body",
                     "token"}  sets the mode; missing keys keep their
                     values, "token": null turns the token check off
  GET  /__fake/last  {"count", "path", "content_type", "accept",
                     "authorization" ("none", "bearer", "basic", "other"),
                     "auth_ok", "body" (the parsed request or null),
                     "problem" (why it was refused, or null)}

Stops cleanly (exit 0) on SIGTERM or SIGINT, when its parent process goes
away, or after --lifetime seconds, so that a crashed test cannot leave it
running.  The log (--log) holds one line per request without headers, so
the token never reaches it.
"""
import argparse
import http.server
import json
import os
import select
import signal
import socket
import socketserver
import sys
import threading
import time

HOST = "127.0.0.1"
MODES = ("ok", "500", "garbage", "hang", "slow", "shape", "huge",
         "huge-cl", "raw")
MAX_BODY = 64 << 10
HUGE = 256 << 10


class State:
    def __init__(self, mode, code, token):
        self.lock = threading.Lock()
        self.mode = mode
        self.code = code
        self.token = token
        self.delay_ms = None
        self.status = 200
        self.body = ""
        self.count = 0
        self.last = None
        self.stop = threading.Event()
        self.log = None


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that gives up mid-answer (time limit, size cap) is
        # what the tests provoke; anything else is worth a trace.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "provider-fake/1"
    # Headers and body go out in two writes; without this, Nagle and
    # the client's delayed ACK add 40 ms to every keep-alive answer.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def log_line(self, status):
        st = self.server.state
        if st.log is None:
            return
        path = self.path.split("?", 1)[0]
        with st.lock:
            with open(st.log, "a", encoding="utf-8") as f:
                f.write("%.3f %s %s %s\n" % (time.time(), self.command,
                                             path, status))

    def answer(self, status, body, ctype="application/json", length=True):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length:
            self.send_header("Content-Length", str(len(data)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        self.log_line(status)

    def answer_json(self, status, obj):
        self.answer(status, json.dumps(obj))

    def read_body(self):
        n = self.headers.get("Content-Length")
        if n is None:
            return None
        try:
            n = int(n)
        except ValueError:
            return None
        if n < 0 or n > MAX_BODY:
            return None
        return self.rfile.read(n)

    def do_GET(self):
        st = self.server.state
        if self.path == "/__fake/last":
            with st.lock:
                last = dict(st.last or {}, count=st.count)
            self.answer_json(200, last)
            return
        self.answer_json(405, {"error": "POST only"})

    def do_POST(self):
        raw = self.read_body()
        if self.path.startswith("/__fake/"):
            self.control(raw)
            return
        self.pairing(raw)

    def control(self, raw):
        st = self.server.state
        if self.path != "/__fake/mode":
            self.answer_json(404, {"error": "no such control"})
            return
        try:
            req = json.loads(raw or b"")
            assert isinstance(req, dict)
            mode = req.get("mode", st.mode)
            assert mode in MODES, "unknown mode"
        except (ValueError, AssertionError) as e:
            self.answer_json(400, {"error": "bad control request: %s" % e})
            return
        with st.lock:
            st.mode = mode
            st.code = req.get("code", st.code)
            st.delay_ms = req.get("delay_ms", st.delay_ms)
            st.status = int(req.get("status", st.status))
            st.body = req.get("body", st.body)
            if "token" in req:
                st.token = req["token"]
        self.answer_json(200, {"mode": mode})

    def check(self, raw):
        """Why the request is refused ((status, problem)), or None."""
        st = self.server.state
        ctype = self.headers.get("Content-Type", "")
        auth = self.headers.get("Authorization")
        kind = "none"
        if auth is not None:
            kind = auth.split(" ", 1)[0].lower()
            if kind not in ("bearer", "basic"):
                kind = "other"
        with st.lock:
            token = st.token
        auth_ok = token is None or auth == "Bearer " + token
        body = None
        problem = None
        try:
            body = json.loads(raw) if raw is not None else None
        except ValueError:
            body = None
        if ctype.split(";")[0].strip().lower() != "application/json":
            problem = (415, "Content-Type must be application/json")
        elif (not isinstance(body, dict) or set(body) != {"userId", "phone"}
              or not all(isinstance(v, str) for v in body.values())):
            problem = (400, 'body must be {"userId": str, "phone": str}')
        elif not auth_ok:
            problem = (401, "missing or wrong bearer token")
        with st.lock:
            st.count += 1
            st.last = {
                "path": self.path,
                "content_type": ctype,
                "accept": self.headers.get("Accept"),
                "authorization": kind,
                "auth_ok": auth_ok,
                "body": body,
                "problem": problem[1] if problem else None,
            }
        return problem

    def wait(self, ms):
        """Sleep up to ms; False when the client went away or we stop."""
        st = self.server.state
        end = time.monotonic() + ms / 1000.0
        while not st.stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return True
            r, _, _ = select.select([self.connection], [], [],
                                    min(left, 0.1))
            if r:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return False
                except OSError:
                    return False
        return False

    def pairing(self, raw):
        st = self.server.state
        problem = self.check(raw)
        if problem is not None:
            self.answer_json(problem[0], {"error": problem[1]})
            return
        with st.lock:
            mode, code, delay = st.mode, st.code, st.delay_ms
            status, body = st.status, st.body
        if mode == "ok":
            self.answer_json(200, {"code": code})
        elif mode == "500":
            self.answer_json(500, {"error": "internal"})
        elif mode == "garbage":
            self.answer(200, "<html><body>Bad Gateway</body></html>\n",
                        ctype="text/html")
        elif mode == "hang":
            self.wait(delay if delay is not None else 60000)
            self.close_connection = True
            self.log_line("none")
        elif mode == "slow":
            if self.wait(delay if delay is not None else 1000):
                self.answer_json(200, {"code": code})
            else:
                self.close_connection = True
        elif mode == "shape":
            self.answer_json(200, {"pairingCode": code})
        elif mode in ("huge", "huge-cl"):
            pad = "x" * HUGE
            self.answer(200, json.dumps({"code": code, "pad": pad}),
                        length=(mode == "huge-cl"))
        elif mode == "raw":
            self.answer(status, body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--mode", default="ok", choices=MODES)
    ap.add_argument("--code", default="ABCD-1234")
    ap.add_argument("--token-env", help="environment variable that holds "
                    "the expected bearer token")
    ap.add_argument("--delay-ms", type=int)
    ap.add_argument("--log")
    ap.add_argument("--lifetime", type=float, default=300.0)
    args = ap.parse_args()

    token = os.environ.get(args.token_env) if args.token_env else None
    state = State(args.mode, args.code, token or None)
    state.delay_ms = args.delay_ms
    state.log = args.log

    server = Server((HOST, 0), Handler)
    server.state = state
    parent = os.getppid()

    def stop(signum, frame):
        state.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    thread = threading.Thread(target=server.serve_forever,
                              kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)

    deadline = time.monotonic() + args.lifetime
    try:
        while not state.stop.wait(0.2):
            if os.getppid() != parent or time.monotonic() > deadline:
                break
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()
        try:
            os.unlink(args.port_file)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
