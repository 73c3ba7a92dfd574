"""SCIM 2.0 conformance of Habilis, checked by an independent tool: scim2-tester (PyPI).

Starts `habilis serve --demo` on a free port in a fresh temporary directory, signs in as the
partner's administrator (mons.admin) through the API, creates a directory token
(POST /api/v1/scim-tokens), then runs every check of scim2-tester against /scim/v2:
discovery (ServiceProviderConfig, ResourceTypes, Schemas), creation, reading, listing,
filtering of attributes, replacement, deletion and PATCH add/remove/replace of every
attribute the schemas publish, for Users and Groups.

Exit status 0 when every check passes (none in ERROR, CRITICAL, DEVIATION or SKIPPED);
every result is printed.

    python scim/conformance.py            # HABILIS_BIN: the binary (default: debug build)
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

BIN = os.environ.get("HABILIS_BIN", "/root/.cache/habilis-target/debug/habilis")
PASSWORD = "Tournesol-Bleu-42-Lille"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method: str, url: str, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def main() -> int:
    work = tempfile.mkdtemp(prefix="habilis-scim-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(os.path.join(work, "habilis.toml"), "w") as f:
        f.write('[second_factor]\nrequired_roles = ["partner_deputy"]\n')
    log = open(os.path.join(work, "habilis.log"), "w")
    server = subprocess.Popen(
        [BIN, "serve", "--demo", "--listen", f"127.0.0.1:{port}", "--database-url", f"sqlite://{work}/habilis.db",
         "--trace-key-file", f"{work}/trace.key"],
        cwd=work, env={**os.environ, "HABILIS_DEMO_PASSWORD": PASSWORD}, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.time() > deadline:
                print(open(os.path.join(work, "habilis.log")).read()[-4000:])
                print("habilis did not start", file=sys.stderr)
                return 2
            time.sleep(0.2)
        session = call("POST", f"{base}/api/v1/session", {"login": "mons.admin", "password": PASSWORD})["token"]
        token = call("POST", f"{base}/api/v1/scim-tokens", {"label": "scim2-tester", "days": 1}, session)["token"]
        client = SyncSCIMClient(httpx2.Client(base_url=f"{base}/scim/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30))
        results = check_server(client)
        counts = Counter(r.status.name for r in results)
        # Every check is expected to pass: a skipped one (a feature the server stopped
        # offering) fails the run as well.
        bad = [r for r in results if r.status not in (Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE)]
        for r in results:
            print(f"{r.status.name:10} {r.resource_type or '-':6} {r.title}: {r.reason or ''}".rstrip())
        print()
        print("scim2-tester results:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for r in bad:
            print(f"\nFAILED {r.resource_type or '-'} {r.title}: {r.reason}\n  data: {r.data!r}"[:3000])
        return 1 if bad or not results else 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
