#!/usr/bin/env python3
"""Crash test (issue 14): kill -9 the server ROUNDS times (50 by default) while six clients
create and delete groups and read /api/v1/me, then after each kill, with the server down:

  * `habilis audit verify` must pass (every chain intact, no trace edited or missing);
  * every change the server acknowledged (201/204) is in the database, with its trace;
  * every trace of a change names a change that happened: a `group.create` trace for a
    group that exists or has its `group.delete` trace; a `group.delete` for one that is gone;
    every group in the database has its `group.create` trace;
  * at least as many `http.get /api/v1/me` traces as reads acknowledged (200).

Run from the repository root: python3 bench/kill9.py [--rounds 50] [--backend sqlite|postgres]
Needs a release build (built first), curl-free: the standard library only.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

PASSWORD = "Tournesol-Bleu-42-Lille"
PORT = 18560


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", "/root/.cache/habilis-target")
    env = dict(os.environ, CARGO_TARGET_DIR=target, HABILIS_DEMO_PASSWORD=PASSWORD)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "habilis-server"], check=True, env=env)
    binary = os.path.join(target, "release", "habilis")
    work = tempfile.mkdtemp()
    try:
        run(args, binary, work, env)
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
            # The PostgreSQL database goes with the run, as the server was found.
            if args.backend == "postgres":
                try:
                    psql("test", "DROP DATABASE IF EXISTS habilis_kill9 WITH (FORCE)")
                except (OSError, subprocess.CalledProcessError) as e:
                    print("could not drop habilis_kill9:", e)
        else:
            print("kept", work)


def run(args, binary, work, env):
    try:
        call("GET", "/healthz")
        sys.exit(f"something already listens on port {PORT}: stop it first")
    except OSError:
        pass
    if args.backend == "postgres":
        psql("test", "DROP DATABASE IF EXISTS habilis_kill9")
        psql("test", "CREATE DATABASE habilis_kill9")
        url = "postgres://postgres@127.0.0.1:5432/habilis_kill9"
    else:
        url = f"sqlite://{work}/habilis.db"
    with open(os.path.join(work, "habilis.toml"), "w") as f:
        f.write("[second_factor]\nrequired_roles = []\n")
    common = ["--database-url", url, "--trace-key-file", os.path.join(work, "trace.key")]
    subprocess.run([binary, "demo", *common], check=True, env=env, cwd=work, stdout=subprocess.DEVNULL)

    def query(sql):
        if args.backend == "postgres":
            out = psql("habilis_kill9", sql)
            return [tuple(line.split("|")) for line in out.splitlines() if line]
        con = sqlite3.connect(f"{work}/habilis.db")
        try:
            return [tuple(str(v) for v in row) for row in con.execute(sql).fetchall()]
        finally:
            con.close()

    totals = dict(created=0, deleted=0, reads=0, unknown=0, kills=0, verify_failed=0, problems=0)
    acked_created, acked_deleted = set(), set()
    reads_acked = 0
    restart_ms = []
    for round_no in range(args.rounds):
        log = open(os.path.join(work, "serve.log"), "w")
        t0 = time.monotonic()
        server = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{PORT}", *common], env=env, cwd=work, stdout=log, stderr=log)
        if not wait_ready():
            sys.exit(f"round {round_no}: the server did not start; see its log:\n" + open(log.name).read()[-2000:])
        restart_ms.append((time.monotonic() - t0) * 1000)
        try:
            token = sign_in("mons.admin")
        except SystemExit:
            server.kill()
            raise
        stop = threading.Event()
        results = []
        lock = threading.Lock()

        def worker(w):
            mine = []
            n = 0
            while not stop.is_set():
                n += 1
                name = f"K{round_no}-{w}-{n}"
                try:
                    kind = random.random()
                    if kind < 0.45:
                        status, body = call("POST", "/api/v1/groups", token, {"name": name})
                        if status == 201:
                            mine.append(name)
                            with lock:
                                results.append(("created", name))
                    elif kind < 0.65 and mine:
                        victim = mine.pop(0)
                        gid = group_id(token, victim)
                        if gid:
                            status, _ = call("DELETE", f"/api/v1/groups/{gid}", token)
                            if status == 204:
                                with lock:
                                    results.append(("deleted", victim))
                    else:
                        status, _ = call("GET", "/api/v1/me", token)
                        if status == 200:
                            with lock:
                                results.append(("read", None))
                except (OSError, http.client.HTTPException):
                    with lock:
                        results.append(("unknown", None))
                    return

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.3, 1.5))
        server.send_signal(signal.SIGKILL)
        server.wait()
        totals["kills"] += 1
        stop.set()
        for t in threads:
            t.join()
        log.close()
        for kind, name in results:
            if kind == "created":
                acked_created.add(name)
                totals["created"] += 1
            elif kind == "deleted":
                acked_deleted.add(name)
                totals["deleted"] += 1
            elif kind == "read":
                reads_acked += 1
                totals["reads"] += 1
            else:
                totals["unknown"] += 1

        verify = subprocess.run([binary, "audit", "verify", *common], env=env, cwd=work, capture_output=True, text=True)
        problems = []
        if verify.returncode != 0:
            totals["verify_failed"] += 1
            problems.append("audit verify failed: " + (verify.stdout + verify.stderr)[-500:])
        groups = {r[0] for r in query("SELECT name FROM groups WHERE name LIKE 'K%'")}
        traces = query("SELECT action, target FROM traces WHERE action IN ('group.create', 'group.delete') AND target LIKE 'K%'")
        created_traced = {t for a, t in traces if a == "group.create"}
        deleted_traced = {t for a, t in traces if a == "group.delete"}
        for name in acked_created - acked_deleted:
            if name not in groups and name not in deleted_traced:
                problems.append(f"acknowledged creation lost: {name}")
        for name in acked_created:
            if name not in created_traced:
                problems.append(f"acknowledged creation without its trace: {name}")
        for name in acked_deleted:
            if name in groups:
                problems.append(f"acknowledged deletion not done: {name}")
            if name not in deleted_traced:
                problems.append(f"acknowledged deletion without its trace: {name}")
        for name in groups:
            if name not in created_traced:
                problems.append(f"group without the trace of its creation: {name}")
        for name in created_traced:
            if name not in groups and name not in deleted_traced:
                problems.append(f"trace of a creation that did not happen: {name}")
        for name in deleted_traced:
            if name in groups:
                problems.append(f"trace of a deletion that did not happen: {name}")
        (read_traces,) = query("SELECT COUNT(*) FROM traces WHERE action = 'http.get' AND target = '/api/v1/me'")[0]
        if int(read_traces) < reads_acked:
            problems.append(f"{reads_acked} reads answered but {read_traces} traced")
        totals["problems"] += len(problems)
        for p in problems[:10]:
            print(f"round {round_no}: {p}")
        print(f"round {round_no + 1}/{args.rounds}: {len(results)} answers, {len(problems)} problems", flush=True)

    restart_ms.sort()
    print(f"\nbackend {args.backend}: {totals['kills']} kill -9 under load; acknowledged: {totals['created']} group creations, "
          f"{totals['deleted']} deletions, {totals['reads']} reads; {totals['unknown']} requests cut by the kill")
    print(f"audit verify failed {totals['verify_failed']} times; {totals['problems']} problems "
          f"(lost acknowledged changes, changes without trace, traces without change, untraced reads)")
    print(f"restart to first /healthz: median {restart_ms[len(restart_ms) // 2]:.0f} ms, max {restart_ms[-1]:.0f} ms")
    sys.exit(1 if totals["problems"] or totals["verify_failed"] else 0)


def psql(db, sql):
    return subprocess.run(["psql", "-qAt", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-c", sql],
                          check=True, capture_output=True, text=True).stdout


def call(method, path, token=None, body=None):
    con = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        con.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = con.getresponse()
        return r.status, r.read()
    finally:
        con.close()


def group_id(token, name):
    status, body = call("GET", "/api/v1/groups", token)
    if status != 200:
        return None
    for g in json.loads(body)["groups"]:
        if g["name"] == name:
            return g["id"]
    return None


def wait_ready():
    for _ in range(500):
        try:
            if call("GET", "/healthz")[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.01)
    return False


def sign_in(login):
    status, body = call("POST", "/api/v1/session", None, {"login": login, "password": PASSWORD})
    if status not in (200, 201):
        sys.exit(f"sign-in of {login} failed: {status} {body[:200]!r}")
    return json.loads(body)["token"]


if __name__ == "__main__":
    main()
