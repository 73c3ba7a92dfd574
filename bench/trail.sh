#!/usr/bin/env bash
# Trace append throughput while the portal serves signed-in reads: every signed-in request
# appends a trace (http.read) in its own transaction, anonymous pages append none. Three
# 15-second wrk runs on a release build: traced reads alone (GET /api/v1/me with a bearer
# token), untraced reads alone (GET /login, anonymous), then both at once; for each, the
# requests per second and the traces appended per second (rows counted before and after).
# SQLite by default; BENCH_DATABASE=postgres uses postgres://postgres@127.0.0.1:5432/habilis_bench
# (dropped and created). Needs wrk and sqlite3/psql. Run from the repository root.
set -euo pipefail
export HABILIS_DEMO_PASSWORD=Tournesol-Bleu-42-Lille
bin=${HABILIS_BIN:-target/release/habilis}
work=$(mktemp -d)
port=18556
db=${BENCH_DATABASE:-sqlite}
if [ "$db" = postgres ]; then
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS habilis_bench" -c "CREATE DATABASE habilis_bench"
  url=postgres://postgres@127.0.0.1:5432/habilis_bench
  count() { psql -qAt -h 127.0.0.1 -U postgres -d habilis_bench -c "SELECT COUNT(*) FROM traces"; }
else
  url="sqlite://$work/habilis.db"
  count() { sqlite3 "$work/habilis.db" "SELECT COUNT(*) FROM traces"; }
fi
"$bin" serve --demo --listen 127.0.0.1:$port --database-url "$url" --trace-key-file "$work/trace.key" >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
token=$(curl -sf -H 'content-type: application/json' -d "{\"login\":\"mons.admin\",\"password\":\"$HABILIS_DEMO_PASSWORD\"}" http://127.0.0.1:$port/api/v1/session | sed 's/.*"token":"\([^"]*\)".*/\1/')
rps() { sed -n 's/^Requests\/sec: *//p' "$1"; }
run() { # label, then wrk arguments per client: "traced" and/or "untraced"
  local label=$1; shift
  local before after start end
  local pids=()
  before=$(count); start=$(date +%s.%N)
  for kind in "$@"; do
    if [ "$kind" = traced ]; then
      wrk -t1 -c8 -d15s -H "Authorization: Bearer $token" http://127.0.0.1:$port/api/v1/me >"$work/$kind.out" &
    else
      wrk -t1 -c8 -d15s http://127.0.0.1:$port/login >"$work/$kind.out" &
    fi
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  end=$(date +%s.%N); after=$(count)
  local line="$label:"
  for kind in "$@"; do line="$line $kind $(rps "$work/$kind.out") req/s;"; done
  echo "$line traces appended $(( after - before )) = $(echo "($after - $before) / ($end - $start)" | bc) /s"
}
echo "backend: $db ($(nproc) cores, wrk shares them)"
run "traced reads alone  " traced
run "untraced reads alone" untraced
run "both at once        " traced untraced
