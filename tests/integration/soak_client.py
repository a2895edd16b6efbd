#!/usr/bin/env python3
"""soak_client.py - the requests of tests/integration/test_soak.sh.

Sends SOAK_REQUESTS (default 10,000) requests through lighttpd to the
three FastCGI programs, each served by ONE process (max-procs 1), over
kept-alive connections from SOAK_CLIENTS (default 2) threads.  The mix,
drawn from a fixed seed so every run sends the same requests:
  pair     POST for 40 users (202, or 429 while that user's job is in
           flight: a worker completes them meanwhile)
  status   the own job (200, or 404 before any), the own lock and latest
           job, another user's job (403/404), health, metrics, an
           unknown path (404)
  upload   small files to the local backend (201), the form (200)
  bad      405, 401 (no user), 400 (bad phone, malformed JSON or query,
           no file), 413 (pair body, upload over UPLOAD_MAX_BYTES),
           415 (text/xml)
Every answer must have its request's expected status.  The programs'
processes are found as lighttpd's children (/proc, matched by program
name); their PIDs and start times must not change (one process served
everything), and their VmRSS is read after the first SOAK_WARMUP
(default 1,000) requests and after the last.  Prints TAP lines numbered
from argv[1]; the last number goes to argv[2].  The RSS figures go to
argv[3] as lines "PROGRAM WARM_KB END_KB" for the shell to judge.
"""
import http.client
import os
import random
import sys
import threading
import time
import urllib.parse

BASE = urllib.parse.urlparse(os.environ["PS_TEST_BASE_URL"])
LIGHTTPD = int(os.environ["PS_TEST_LIGHTTPD_PID"])
TOTAL = int(os.environ.get("SOAK_REQUESTS", "10000"))
WARMUP = int(os.environ.get("SOAK_WARMUP", "1000"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "2"))
UPLOAD_MAX = int(os.environ["UPLOAD_MAX_BYTES"])
PROGRAMS = ("pair", "status", "upload")
USERS = ["soak%03d" % i for i in range(40)]

n = int(sys.argv[1])
count_file = sys.argv[2]
rss_file = sys.argv[3]
failed = 0


def ok(cond, desc):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, desc), flush=True)


def diag(text):
    for line in str(text).splitlines():
        print("# " + line, flush=True)


# ------------------------------------------------------------ requests

def multipart(fields, boundary="soakBoundary7MA4YWxk"):
    out = []
    for name, filename, data in fields:
        head = 'Content-Disposition: form-data; name="%s"' % name
        if filename is not None:
            head += '; filename="%s"\r\nContent-Type: ' \
                'application/octet-stream' % filename
        out.append(b"--" + boundary.encode() + b"\r\n" + head.encode() +
                   b"\r\n\r\n" + data + b"\r\n")
    out.append(b"--" + boundary.encode() + b"--\r\n")
    return (b"".join(out),
            "multipart/form-data; boundary=" + boundary)


def make_requests(rnd):
    """A list of (name, method, path, headers, body, statuses)."""
    sample = os.path.join(os.environ.get("srcdir", "."), "tests", "data",
                          "media", "sample.png")
    with open(sample, "rb") as f:
        png = f.read()

    def user():
        return rnd.choice(USERS)

    def hdr(u, extra=None):
        h = {"X-Pairstore-User": u} if u else {}
        h.update(extra or {})
        return h

    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def pair_submit():
        u = user()
        return ("pair submit", "POST", "/cgi-bin/pair", hdr(u, form),
                ("phone=4915123%06d" % rnd.randint(0, 999999)).encode(),
                (202, 429))

    def status_job():
        u = user()
        return ("status own job", "GET", "/cgi-bin/status?job=pair%3A" + u,
                hdr(u), None, (200, 404))

    def status_own():
        return ("status own", "GET", "/cgi-bin/status", hdr(user()), None,
                (200,))

    def status_other():
        u, v = rnd.sample(USERS, 2)
        return ("status other's job", "GET",
                "/cgi-bin/status?job=pair%3A" + v, hdr(u), None, (403, 404))

    def health():
        return ("health", "GET", "/cgi-bin/status/health", {}, None, (200,))

    def metrics():
        return ("metrics", "GET", "/cgi-bin/status/metrics", {}, None,
                (200,))

    def status_404():
        return ("status unknown path", "GET", "/cgi-bin/status/nothing",
                hdr(user()), None, (404,))

    def upload_small():
        if rnd.random() < 0.25:
            data, name = png, "sample.png"
        else:
            data = rnd.randbytes(rnd.randint(1, 4096))
            name = "soak.bin"
        body, ct = multipart([("kind", None, b"view-once"),
                              ("file", name, data)])
        return ("upload", "POST", "/cgi-bin/upload",
                hdr(user(), {"Content-Type": ct}), body, (201,))

    def upload_form():
        return ("upload form", "GET", "/cgi-bin/upload?user=" + user(), {},
                None, (200,))

    def bad():
        u = user()
        k = rnd.randrange(12)
        if k == 0:
            return ("pair GET", "GET", "/cgi-bin/pair", hdr(u), None, (405,))
        if k == 1:
            return ("pair without a user", "POST", "/cgi-bin/pair",
                    dict(form), b"phone=4915123456789", (401,))
        if k == 2:
            return ("pair bad phone", "POST", "/cgi-bin/pair", hdr(u, form),
                    b"phone=12ab", (400,))
        if k == 3:
            return ("pair malformed JSON", "POST", "/cgi-bin/pair",
                    hdr(u, {"Content-Type": "application/json"}),
                    b'{"phone":', (400,))
        if k == 4:
            return ("pair text/xml", "POST", "/cgi-bin/pair",
                    hdr(u, {"Content-Type": "text/xml"}),
                    b"<phone>1</phone>", (415,))
        if k == 5:
            return ("pair huge body", "POST", "/cgi-bin/pair", hdr(u, form),
                    b"phone=" + b"1" * 100000, (413,))
        if k == 6:
            return ("status DELETE", "DELETE", "/cgi-bin/status", hdr(u),
                    None, (405,))
        if k == 7:
            return ("status malformed query", "GET", "/cgi-bin/status?job=%zz",
                    hdr(u), None, (400,))
        if k == 8:
            return ("upload PUT", "PUT", "/cgi-bin/upload", hdr(u), b"x",
                    (405,))
        if k == 9:
            body, ct = multipart([("kind", None, b"view-once")])
            return ("upload without a file", "POST", "/cgi-bin/upload",
                    hdr(u, {"Content-Type": ct}), body, (400,))
        if k == 10:
            body, ct = multipart([("kind", None, b"view-once"),
                                  ("file", "big.bin",
                                   b"\0" * (UPLOAD_MAX + 1024))])
            return ("upload over UPLOAD_MAX_BYTES", "POST", "/cgi-bin/upload",
                    hdr(u, {"Content-Type": ct}), body, (413,))
        body, ct = multipart([("kind", None, b"view-once"),
                              ("file", "x.bin", b"x")])
        return ("upload without a user", "POST", "/cgi-bin/upload",
                {"Content-Type": ct}, body, (401,))

    kinds = [(pair_submit, 22), (status_job, 14), (status_own, 10),
             (status_other, 5), (health, 5), (metrics, 5), (status_404, 3),
             (upload_small, 12), (upload_form, 4), (bad, 20)]
    pool = [f for f, w in kinds for _ in range(w)]
    return [rnd.choice(pool)() for _ in range(TOTAL)]


# ------------------------------------------------------------ processes

def proc_stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    return {"state": f[0], "ppid": int(f[1]), "start": f[19]}


def programs():
    """PROGRAM -> (pid, start time) of lighttpd's FastCGI children."""
    found = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st is None or st["ppid"] != LIGHTTPD or st["state"] == "Z":
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        for a in argv:
            name = os.path.basename(a.decode(errors="replace"))
            if name in PROGRAMS:
                found.setdefault(name, []).append((int(d), st["start"]))
                break
    return found


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


# ------------------------------------------------------------ the run

results = {}        # name -> {status: count}
unexpected = []     # (name, status, first bytes)
errors = []         # transport failures
lock = threading.Lock()


def worker(reqs, start, step):
    conn = None
    for i in range(start, len(reqs), step):
        name, method, path, headers, body, want = reqs[i]
        got = None
        for attempt in (0, 1):
            if conn is None:
                conn = http.client.HTTPConnection(BASE.hostname, BASE.port,
                                                  timeout=120)
            try:
                conn.request(method, path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                got = r.status
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
                break
            except (OSError, http.client.HTTPException) as e:
                # A kept-alive connection the server closed: once more
                # on a new one.
                conn.close()
                conn = None
                if attempt == 1:
                    with lock:
                        errors.append((name, repr(e)))
        with lock:
            per = results.setdefault(name, {})
            per[got] = per.get(got, 0) + 1
            if got is not None and got not in want:
                unexpected.append((name, got, data[:160]))
    if conn is not None:
        conn.close()


def run(reqs):
    threads = [threading.Thread(target=worker, args=(reqs, k, CLIENTS))
               for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    rnd = random.Random(20261130)
    reqs = make_requests(rnd)
    before = programs()
    ok(all(len(before.get(p, [])) == 1 for p in PROGRAMS),
       "one FastCGI process per program: %s" % ", ".join(
           "%s %s" % (p, [x[0] for x in before.get(p, [])])
           for p in PROGRAMS))

    t0 = time.monotonic()
    run(reqs[:WARMUP])
    t1 = time.monotonic()
    warm = {p: rss_kb(v[0][0]) for p, v in before.items() if len(v) == 1}
    run(reqs[WARMUP:])
    t2 = time.monotonic()
    end = {p: rss_kb(v[0][0]) for p, v in before.items() if len(v) == 1}
    after = programs()

    total = sum(sum(v.values()) for v in results.values())
    diag("%d requests in %.1f s (warm-up %d in %.1f s), %d client(s)" %
         (total, t2 - t0, WARMUP, t1 - t0, CLIENTS))
    for name in sorted(results):
        diag("  %-30s %s" % (name, " ".join(
            "%s:%d" % (k, v) for k, v in sorted(
                results[name].items(), key=lambda x: str(x[0])))))
    ok(total == len(reqs) and not errors,
       "%d requests sent, %d answered" % (len(reqs), total - len(errors)))
    for e in errors[:5]:
        diag("transport error: %s %s" % e)
    ok(not unexpected, "every answer has its expected status")
    for u in unexpected[:10]:
        diag("unexpected: %s %s %r" % u)
    ok(results.get("pair submit", {}).get(202, 0) > 0 and
       results.get("pair submit", {}).get(429, 0) > 0,
       "pair answered both 202 and 429")
    ok(before == after,
       "the same processes served everything (no restart): %s" % after)
    with open(rss_file, "w") as f:
        for p in PROGRAMS:
            f.write("%s %d %d\n" % (p, warm.get(p, -1), end.get(p, -1)))
    with open(count_file, "w") as f:
        f.write("%d %d\n" % (n, failed))


main()
