#!/usr/bin/env python3
"""security_probe.py - requests curl will not send, for
tests/integration/test_security.sh (Python 3 standard library only).

  security_probe.py send [options] PORT OUT
      One HTTP/1.1 request to 127.0.0.1:PORT over a raw socket.  The raw
      response head (status line and headers, CRLFs kept) goes to
      OUT.hdr, the body (de-chunked) to OUT.body; stdout gets one line
      "STATUS MILLISECONDS EARLY": STATUS 0 when no answer came,
      MILLISECONDS from the first byte sent to the end of the answer,
      EARLY 1 when the answer came before the whole request was sent
      (--send-bytes, or the server stopped reading).
        --method M          default POST with a body, GET without
        --path P            default /cgi-bin/upload (sent as is: any
                            bytes, e.g. a 64 KiB query string)
        --header 'N: V'     an extra header line, sent as given; Python
                            escapes work (\\r, \\n, \\x00): a header can
                            carry a bare CR, a bare LF or an obs-fold
        --multipart SPEC    the body: a multipart/form-data document
                            from SPEC, a JSON list of parts (below)
        --boundary B        its boundary (default: a fixed 24-char one)
        --body-file F       the body: F's bytes, no Content-Type added
        --chunked           send the body chunked (all of it at once)
                            instead of with Content-Length
        --content-length N  announce N (the body is cut or sent short)
        --send-bytes K      send only the first K bytes of the body,
                            then wait for the answer
        --timeout S         overall time limit (default 30)
      A part of SPEC is an object:
        "name", "filename"  Content-Disposition: form-data; name="...";
                            filename="..." (each only when given)
        "cd"                the whole Content-Disposition value instead
        "ctype"             a Content-Type line
        "headers"           more raw header lines (a list)
        "data"              the part's bytes (JSON \\u0000-\\u00ff map to
                            bytes 0-255), or "data_file": a file's bytes,
                            or "data_repeat": [STRING, COUNT]
        "repeat"            the part COUNT times (thousands of parts)
      JSON escapes \\u0000 (NUL), \\r, \\n put any byte anywhere.

  security_probe.py serve IN OUT
      The same, many times from one process (no interpreter start-up per
      request): reads requests from the FIFO IN, each "N\0ARG\0...ARG\0"
      (N arguments of send, PORT and OUT included), and writes each
      answer line to the FIFO OUT.  Ends when IN is closed.

  security_probe.py listen PORTFILE COUNTFILE [SECONDS]
      A TCP listener on 127.0.0.1, port chosen by the kernel, written to
      PORTFILE once listening; every connection it accepts is counted in
      COUNTFILE (rewritten each time) and closed.  Stops on SIGTERM or
      after SECONDS (default 120).
"""
import json
import os
import select
import signal
import socket
import sys
import time

BOUNDARY = "SecProbe-7f3a9c1e5b2d4086"


def latin1(s):
    return s.encode("latin-1")


def build_multipart(spec, boundary):
    parts = json.loads(spec)
    b = latin1(boundary)
    out = []
    for p in parts:
        if "cd" in p:
            cd = latin1(p["cd"])
        else:
            cd = b"form-data"
            if "name" in p:
                cd += b'; name="' + latin1(p["name"]) + b'"'
            if "filename" in p:
                cd += b'; filename="' + latin1(p["filename"]) + b'"'
        head = b"Content-Disposition: " + cd + b"\r\n"
        if "ctype" in p:
            head += b"Content-Type: " + latin1(p["ctype"]) + b"\r\n"
        for h in p.get("headers", []):
            head += latin1(h) + b"\r\n"
        if "data_file" in p:
            with open(p["data_file"], "rb") as f:
                data = f.read()
        elif "data_repeat" in p:
            data = latin1(p["data_repeat"][0]) * int(p["data_repeat"][1])
        else:
            data = latin1(p.get("data", ""))
        one = b"--" + b + b"\r\n" + head + b"\r\n" + data + b"\r\n"
        out.append(one * int(p.get("repeat", 1)))
    out.append(b"--" + b + b"--\r\n")
    return b"".join(out)


def unescape(s):
    return s.encode("latin-1").decode("unicode_escape").encode("latin-1")


def read_answer(s, deadline):
    """Read until the server closes; return the raw bytes."""
    data = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], max(0.0, deadline -
                                                 time.monotonic()))
        if not r:
            break
        try:
            x = s.recv(65536)
        except OSError:
            break
        if not x:
            break
        data += x
    return data


def dechunk(body):
    out = b""
    while body:
        line, _, rest = body.partition(b"\r\n")
        try:
            n = int(line.split(b";")[0], 16)
        except ValueError:
            return out + body
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return out


def cmd_send(argv):
    opts = {"method": None, "path": "/cgi-bin/upload", "headers": [],
            "multipart": None, "boundary": BOUNDARY, "body_file": None,
            "chunked": False, "content_length": None, "send_bytes": None,
            "timeout": 30.0}
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--chunked":
            opts["chunked"] = True
        elif a in ("--method", "--path", "--header", "--multipart",
                   "--boundary", "--body-file", "--content-length",
                   "--send-bytes", "--timeout"):
            i += 1
            v = argv[i]
            k = a[2:].replace("-", "_")
            if k == "header":
                opts["headers"].append(unescape(v))
            elif k in ("content_length", "send_bytes"):
                opts[k] = int(v)
            elif k == "timeout":
                opts[k] = float(v)
            else:
                opts[k] = v
        else:
            args.append(a)
        i += 1
    port, out = int(args[0]), args[1]
    body = None
    ctype = None
    if opts["multipart"] is not None:
        body = build_multipart(opts["multipart"], opts["boundary"])
        ctype = b"multipart/form-data; boundary=" + latin1(opts["boundary"])
    elif opts["body_file"] is not None:
        with open(opts["body_file"], "rb") as f:
            body = f.read()
    method = opts["method"] or ("POST" if body is not None else "GET")
    head = latin1(method) + b" " + latin1(opts["path"]) + b" HTTP/1.1\r\n"
    head += b"Host: 127.0.0.1:" + str(port).encode() + b"\r\n"
    head += b"Connection: close\r\n"
    if ctype is not None:
        head += b"Content-Type: " + ctype + b"\r\n"
    for h in opts["headers"]:
        head += h + b"\r\n"
    if body is not None:
        if opts["chunked"]:
            head += b"Transfer-Encoding: chunked\r\n"
            body = b"".join(b"%x\r\n" % len(body[j:j + 65536]) +
                            body[j:j + 65536] + b"\r\n"
                            for j in range(0, len(body), 65536)) + \
                b"0\r\n\r\n"
        else:
            n = opts["content_length"]
            head += b"Content-Length: %d\r\n" % (len(body) if n is None
                                                else n)
    elif opts["content_length"] is not None:
        head += b"Content-Length: %d\r\n" % opts["content_length"]
    head += b"\r\n"
    req = head + (body or b"")
    if opts["send_bytes"] is not None:
        req = head + (body or b"")[:opts["send_bytes"]]
    t0 = time.monotonic()
    deadline = t0 + opts["timeout"]
    early = 0
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setblocking(False)
    sent = 0
    data = b""
    # Send while watching for an early answer (a 413 before the body).
    while sent < len(req) and time.monotonic() < deadline:
        r, w, _ = select.select([s], [s], [], 0.5)
        if r:
            early = 1
            break
        if w:
            try:
                sent += s.send(req[sent:sent + 65536])
            except BlockingIOError:
                pass
            except OSError:
                early = 1
                break
    if opts["send_bytes"] is not None:
        early = 1
    data = read_answer(s, deadline)
    ms = int((time.monotonic() - t0) * 1000)
    s.close()
    rhead, _, rbody = data.partition(b"\r\n\r\n")
    if b"\r\ntransfer-encoding: chunked" in rhead.lower():
        rbody = dechunk(rbody)
    with open(out + ".hdr", "wb") as f:
        f.write(rhead + b"\r\n")
    with open(out + ".body", "wb") as f:
        f.write(rbody)
    status = 0
    if rhead.startswith(b"HTTP/"):
        try:
            status = int(rhead.split(b" ")[1])
        except (IndexError, ValueError):
            status = 0
    return "%d %d %d" % (status, ms, early)


def cmd_serve(fin, fout):
    out = open(fout, "w", buffering=1)
    fd = os.open(fin, os.O_RDONLY)
    buf = b""
    while True:
        fields = buf.split(b"\0")
        if len(fields) > 1:
            try:
                n = int(fields[0])
            except ValueError:
                return 2
            if len(fields) > n + 1:
                args = [f.decode("latin-1") for f in fields[1:n + 1]]
                buf = b"\0".join(fields[n + 1:])
                try:
                    line = cmd_send(args)
                except Exception as e:  # one bad request, not the rest
                    sys.stderr.write("security_probe: %r\n" % (e,))
                    line = "0 0 0"
                out.write(line + "\n")
                continue
        x = os.read(fd, 1 << 20)
        if not x:
            return 0
        buf += x


def cmd_listen(argv):
    portfile, countfile = argv[0], argv[1]
    seconds = float(argv[2]) if len(argv) > 2 else 120.0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    n = 0
    with open(countfile, "w") as f:
        f.write("0\n")
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, portfile)
    end = time.monotonic() + seconds
    while not stop and time.monotonic() < end:
        try:
            r, _, _ = select.select([ls], [], [], 0.2)
        except InterruptedError:
            continue
        if r:
            c, _ = ls.accept()
            n += 1
            with open(countfile, "w") as f:
                f.write("%d\n" % n)
            c.close()
    ls.close()
    return 0


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    if sys.argv[1] == "send":
        print(cmd_send(sys.argv[2:]))
        return 0
    if sys.argv[1] == "serve":
        return cmd_serve(sys.argv[2], sys.argv[3])
    if sys.argv[1] == "listen":
        return cmd_listen(sys.argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
