#!/usr/bin/env bash
# Login throughput of a release build on SQLite, next to the cost of one Argon2id hash.
# Needs wrk (apt-get install wrk). Run from the repository root: bash bench/login.sh
set -euo pipefail
export HABILIS_DEMO_PASSWORD=Tournesol-Bleu-42-Lille
bin=${HABILIS_BIN:-target/release/habilis}
work=$(mktemp -d)
port=18555
"$bin" serve --demo --listen 127.0.0.1:$port --database-url "sqlite://$work/habilis.db" --trace-key-file "$work/trace.key" >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
echo "idle RSS after start: $(ps -o rss= -p $pid) KiB"
wrk -t2 -c16 -d20s -s bench/login.lua http://127.0.0.1:$port
echo "RSS after the run: $(ps -o rss= -p $pid) KiB"
