#!/usr/bin/env python3
"""fcgi_client.py - a minimal FastCGI client (Python 3 stdlib only) for
tests/integration/test_fcgi.sh.

    fcgi_client.py [options] ADDRESS [NAME=VALUE ...]

ADDRESS is HOST:PORT, [V6]:PORT or a unix socket path.  The request body
is read from --body FILE (default: none); CONTENT_LENGTH is set from it
unless given.  The application's FCGI_STDOUT is written to stdout as is;
the exit status is 0 when FCGI_END_REQUEST arrived, 3 when the
connection closed before it.

  --repeat N         send N requests on one connection (FCGI_KEEP_CONN);
                     the outputs are separated by a line "--- N ---"
  --stall-after-begin SEC
                     send FCGI_BEGIN_REQUEST, wait SEC seconds, then the
                     rest (to put the application inside its accept call)
  --ready-file PATH  create PATH once the first request (or, with
                     --stall-after-begin, its FCGI_BEGIN_REQUEST) is sent
  --hang-up          close the connection right after sending the request,
                     as a client that went away (exit status 0)
"""
import socket
import struct
import sys
import time

VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST = 1, 2, 3
PARAMS, STDIN, STDOUT, STDERR = 4, 5, 6, 7
RESPONDER = 1
KEEP_CONN = 1


def record(rtype, req_id, content=b""):
    out = b""
    # Records carry at most 65535 bytes (FastCGI spec, 3.3).
    chunks = [content[i:i + 65535] for i in range(0, len(content), 65535)]
    for chunk in chunks or [b""]:
        pad = (8 - len(chunk) % 8) % 8
        out += struct.pack(">BBHHBx", VERSION, rtype, req_id, len(chunk),
                           pad) + chunk + b"\0" * pad
    return out


def nv_len(n):
    return struct.pack(">B", n) if n < 128 else struct.pack(">I",
                                                             n | 0x80000000)


def params_blob(params):
    blob = b""
    for k, v in params:
        k, v = k.encode(), v.encode()
        blob += nv_len(len(k)) + nv_len(len(v)) + k + v
    return blob


def connect(addr):
    if "/" in addr:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
        return s
    if addr.startswith("["):
        host, port = addr[1:].split("]:")
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((host or "127.0.0.1", int(port)))
    return s


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_response(s, req_id):
    """Return (stdout bytes, ended?)."""
    out = b""
    while True:
        hdr = recv_exact(s, 8)
        if hdr is None:
            return out, False
        _, rtype, rid, clen, plen = struct.unpack(">BBHHBx", hdr)
        body = recv_exact(s, clen + plen)
        if body is None:
            return out, False
        body = body[:clen]
        if rid != req_id:
            continue
        if rtype == STDOUT:
            out += body
        elif rtype == STDERR:
            sys.stderr.buffer.write(body)
        elif rtype == END_REQUEST:
            return out, True


def main(argv):
    repeat, stall, body, ready, hang_up = 1, 0.0, b"", None, False
    args = argv[1:]
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--repeat":
            repeat = int(args.pop(0))
        elif opt == "--stall-after-begin":
            stall = float(args.pop(0))
        elif opt == "--hang-up":
            hang_up = True
        elif opt == "--ready-file":
            ready = args.pop(0)
        elif opt == "--body":
            with open(args.pop(0), "rb") as f:
                body = f.read()
        else:
            sys.exit("fcgi_client.py: unknown option " + opt)
    if not args:
        sys.exit(__doc__)
    addr = args.pop(0)
    params = [tuple(a.split("=", 1)) for a in args]
    if not any(k == "CONTENT_LENGTH" for k, _ in params) and body:
        params.append(("CONTENT_LENGTH", str(len(body))))
    s = connect(addr)
    ended = True
    for n in range(1, repeat + 1):
        flags = KEEP_CONN if repeat > 1 else 0
        s.sendall(record(BEGIN_REQUEST, 1,
                         struct.pack(">HB5x", RESPONDER, flags)))
        if stall:
            if ready and n == 1:
                open(ready, "w").close()
            time.sleep(stall)
        blob = params_blob(params)
        msg = record(PARAMS, 1, blob) if blob else b""
        msg += record(PARAMS, 1) + (record(STDIN, 1, body) if body else b"")
        msg += record(STDIN, 1)
        try:
            s.sendall(msg)
        except OSError:
            return 3
        if ready and n == 1 and not stall:
            open(ready, "w").close()
        if hang_up:
            s.close()
            return 0
        out, ended = read_response(s, 1)
        if repeat > 1:
            sys.stdout.buffer.write(("%s--- %d ---\n" %
                                     ("\n" if n > 1 else "", n)).encode())
        sys.stdout.buffer.write(out)
        sys.stdout.buffer.flush()
        if not ended:
            break
    s.close()
    return 0 if ended else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
