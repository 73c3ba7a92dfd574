"""A directory's first synchronisation through SCIM (issue 18, R71), timed on a release build.

Starts `habilis serve --demo` (SQLite, or PostgreSQL with BENCH_DATABASE=postgres) in a
temporary directory, creates a directory token as mons.admin, then does what Entra ID or
Okta do for N people (default 1,000), with C requests at once (default 4):
  1. look the person up by userName (GET /Users?filter=userName eq "…"), then create them
     (POST /Users: the form's rules, a one-time link by mail, the trace);
  2. create a group and add everyone to it in PATCHes of 100 members;
  3. suspend everyone (PATCH active false).
Prints each step's rate and the 99th percentile of its requests.

    python3 bench/scim.py [N] [C]     # needs `pip install -r scim/requirements.txt` (httpx2)
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import httpx2

BIN = os.environ.get("HABILIS_BIN", "/root/.cache/habilis-target/release/habilis")
PASSWORD = "Tournesol-Bleu-42-Lille"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, token=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def timed(label, jobs, workers):
    """Run `jobs` (callables returning a status) with `workers` at once; print the rate."""
    lat = []

    def one(job):
        t0 = time.perf_counter()
        status = job()
        lat.append(time.perf_counter() - t0)
        return status

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        statuses = list(pool.map(one, jobs))
    took = time.perf_counter() - t0
    lat.sort()
    bad = [s for s in statuses if not 200 <= s < 300]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0
    print(f"{label}: {len(jobs)} requests in {took:.2f} s = {len(jobs) / took:.0f} req/s, p99 {p99:.1f} ms, non-2xx {len(bad)}")
    return statuses


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    c = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    work = tempfile.mkdtemp(prefix="habilis-scim-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if os.environ.get("BENCH_DATABASE") == "postgres":
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", "DROP DATABASE IF EXISTS habilis_scim_bench",
                        "-c", "CREATE DATABASE habilis_scim_bench"], check=True)
        url = "postgres://postgres@127.0.0.1:5432/habilis_scim_bench"
    else:
        url = f"sqlite://{work}/habilis.db"
    with open(os.path.join(work, "habilis.toml"), "w") as f:
        f.write('[second_factor]\nrequired_roles = []\n')
    log = open(os.path.join(work, "habilis.log"), "w")
    server = subprocess.Popen([BIN, "serve", "--demo", "--listen", f"127.0.0.1:{port}", "--database-url", url, "--trace-key-file", f"{work}/trace.key"],
                              cwd=work, env={**os.environ, "HABILIS_DEMO_PASSWORD": PASSWORD}, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        session = call("POST", f"{base}/api/v1/session", {"login": "mons.admin", "password": PASSWORD})["token"]
        token = call("POST", f"{base}/api/v1/scim-tokens", {"label": "bench", "days": 1}, session)["token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
        client = httpx2.Client(base_url=f"{base}/scim/v2", headers=headers, timeout=60, limits=httpx2.Limits(max_connections=c))
        ids = {}

        def person(i):
            def job():
                login = f"agent{i:05d}"
                r = client.get("/Users", params={"filter": f'userName eq "{login}"'})
                if r.status_code != 200 or r.json()["totalResults"] != 0:
                    return r.status_code if r.status_code != 200 else 409
                body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": login, "externalId": f"ext-{i}",
                        "name": {"givenName": "Agent", "familyName": f"N{i}"}, "emails": [{"value": f"{login}@mairie.invalid"}], "active": True}
                r = client.post("/Users", json=body)
                if r.status_code == 201:
                    ids[i] = r.json()["id"]
                return r.status_code
            return job

        print(f"{os.cpu_count()} cores shared by server and client; {'PostgreSQL' if 'postgres' in url else 'SQLite'}; {n} people, {c} requests at once")
        timed("look up then create each person (GET filter + POST)", [person(i) for i in range(n)], c)
        group = client.post("/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Tous"}).json()["id"]
        members = [ids[i] for i in sorted(ids)]
        chunks = [members[k:k + 100] for k in range(0, len(members), 100)]

        def add(chunk):
            ops = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": m} for m in chunk]}]}
            return lambda: client.patch(f"/Groups/{group}", json=ops).status_code

        timed("add them to one group, 100 members a PATCH", [add(ch) for ch in chunks], 1)

        def suspend(pid):
            ops = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": False}]}
            return lambda: client.patch(f"/Users/{pid}", json=ops).status_code

        timed("suspend each person (PATCH active false)", [suspend(p) for p in members], c)
        t0 = time.perf_counter()
        listed = client.get("/Users", params={"count": 500}).json()
        print(f"one page of 500 of {listed['totalResults']} people: {(time.perf_counter() - t0) * 1000:.1f} ms")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
        if "postgres" in url:
            subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", "DROP DATABASE IF EXISTS habilis_scim_bench"], check=False)


if __name__ == "__main__":
    sys.exit(main())
