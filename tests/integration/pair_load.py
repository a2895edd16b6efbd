#!/usr/bin/env python3
"""pair_load.py - many users hammer pair and status while workers run.

Run by test_pair_load.sh inside tests/with-redis.sh and
tests/with-lighttpd.sh.  Afterwards it checks DESIGN.md's invariants
1-4 from the responses, the worker log and Redis:
  - every accepted job (202) reached exactly one terminal state;
  - no user ever had two waiting/active jobs (submit refused meanwhile,
    and the worker log never shows a job started twice without ending);
  - no user is left locked without a job;
  - the queue's own counters agree with what clients saw.
Prints TAP.  Bounded: HAMMER_SECONDS (default 8) of load, 60 s to drain.
"""
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse

BASE = urllib.parse.urlparse(os.environ["PS_TEST_BASE_URL"])
PAIRSTORE = os.environ["PAIRSTORE"]
WORKER_LOG = os.environ["WORKER_LOG"]
USERS = int(os.environ.get("LOAD_USERS", "40"))
SECONDS = float(os.environ.get("HAMMER_SECONDS", "8"))

n = 0
failed = 0


def ok(cond, desc):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, desc), flush=True)


def request(conn, method, path, user, body=None):
    headers = {"X-Pairstore-User": user}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    return r.status, r.getheader("Retry-After"), data


accepted = {}      # user -> count of 202
refused = {}       # user -> count of 429
other = []         # unexpected answers
lock = threading.Lock()
stop_at = time.monotonic() + SECONDS


def hammer(user):
    conn = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=20)
    rnd = random.Random(user)
    while time.monotonic() < stop_at:
        status, retry, data = request(conn, "POST", "/cgi-bin/pair", user,
                                      "phone=4915123456%03d" % rnd.randint(0, 999))
        with lock:
            if status == 202:
                accepted[user] = accepted.get(user, 0) + 1
            elif status == 429 and retry and int(retry) >= 1:
                refused[user] = refused.get(user, 0) + 1
            else:
                other.append((user, status, data[:200]))
        if rnd.random() < 0.5:
            s, _, _ = request(conn, "GET",
                              "/cgi-bin/status?job=pair%3A" + user, user)
            if s not in (200, 404):
                with lock:
                    other.append((user, "status", s))
        time.sleep(rnd.uniform(0.005, 0.05))
    conn.close()


def stats():
    out = subprocess.run([PAIRSTORE, "queue", "stats"], capture_output=True,
                         text=True, timeout=10).stdout
    return dict(line.split("=", 1) for line in out.splitlines()
                if "=" in line and not line.startswith("worker="))


def main():
    users = ["load%02d" % i for i in range(USERS)]
    threads = [threading.Thread(target=hammer, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 60)
    ok(not any(t.is_alive() for t in threads), "all clients finished")
    ok(not other, "every answer was 202, or 429 with Retry-After "
       "(unexpected: %s)" % other[:3])
    total = sum(accepted.values())
    ok(total > USERS, "%d jobs accepted, %d refused while in flight"
       % (total, sum(refused.values())))

    deadline = time.monotonic() + 60
    st = stats()
    while time.monotonic() < deadline:
        st = stats()
        if st["waiting"] == st["active"] == st["delayed"] == "0":
            break
        time.sleep(0.2)
    ok(st["waiting"] == st["active"] == st["delayed"] == "0",
       "the queue drained (%s)" % st)
    ok(int(st["submitted_total"]) == total,
       "the queue accepted exactly what clients saw accepted (%s vs %d)"
       % (st["submitted_total"], total))
    ends = int(st["completed_total"]) + int(st["failed_total"])
    ok(ends == total, "every accepted job reached one terminal state "
       "(%d completed + %s failed = %d)"
       % (int(st["completed_total"]), st["failed_total"], total))
    ok(int(st["lock_refused_total"]) == sum(refused.values()),
       "lock refusals counted as clients saw them")

    # The worker log: per job, starts and ends alternate.
    started = re.compile(r"\[PairingQueue\] Job (\S+) started for user")
    ended = re.compile(r"\[PairingQueue\] Job (\S+) (completed for user|"
                       r"failed for user \S+: (?!.*will retry))")
    state = {}
    ends_by_user = {}
    overlap = []
    with open(WORKER_LOG) as f:
        for line in f:
            m = started.search(line)
            if m:
                if state.get(m.group(1)) == "running":
                    overlap.append(m.group(1))
                state[m.group(1)] = "running"
                continue
            m = ended.search(line)
            if m:
                if state.get(m.group(1)) != "running":
                    overlap.append(m.group(1))
                state[m.group(1)] = "ended"
                u = m.group(1).split(":", 1)[1]
                ends_by_user[u] = ends_by_user.get(u, 0) + 1
    ok(not overlap, "no job ever ran twice at once or ended twice "
       "(%s)" % overlap[:3])
    ok(all(s == "ended" for s in state.values()),
       "every started job ended")
    ok(ends_by_user == accepted, "per user, jobs ended == requests "
       "accepted")

    leftover = []
    for u in users:
        out = subprocess.run([PAIRSTORE, "lock", "show", u],
                             capture_output=True, text=True,
                             timeout=10).stdout
        if "held=1" in out:
            leftover.append(u)
    ok(not leftover, "no user is left locked (%s)" % leftover[:3])
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
