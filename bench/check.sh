#!/usr/bin/env bash
# The check API against the portal's own /healthz, side by side in one run (issue 13):
# a release build, SQLite (or BENCH_DATABASE=postgres), the demo plus GRANTS grants
# (1,000,000 by default: ~3,000 partners, 334 people each holding CDAP T1, T2 and T5),
# then wrk at c=64 for 15 s on each: GET /healthz, and GET /api/v1/check?person=…&role=T1
# authenticated as the client `bench`. Prints requests/s and p99 of both, their ratios,
# the view's build time at start and the memory it takes (against the same server on the
# demo alone).
# Needs wrk (apt-get install wrk). Run from the repository root.
set -euo pipefail
export HABILIS_DEMO_PASSWORD=Tournesol-Bleu-42-Lille
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/habilis-target}
grants=${GRANTS:-1000000}
secret=bench-secret-0123456789abcdef0123456789abcdef
cargo build --release -q -p habilis-server
cargo build --release -q -p habilis-store --example generate
bin=$CARGO_TARGET_DIR/release/habilis
gen=$CARGO_TARGET_DIR/release/examples/generate
work=$(mktemp -d)
port=18557
if [ "${BENCH_DATABASE:-sqlite}" = postgres ]; then
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS habilis_bench" -c "CREATE DATABASE habilis_bench"
  url=postgres://postgres@127.0.0.1:5432/habilis_bench
else
  url="sqlite://$work/habilis.db"
fi
(cd "$work" && "$bin" demo --database-url "$url" --trace-key-file "$work/trace.key" >/dev/null)
cat >"$work/habilis.toml" <<TOML
[second_factor]
required_roles = []
TOML
pid=
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
start_server() { # waits until the view is built (the server builds it at start)
  : >"$work/serve.log"
  (cd "$work" && exec "$bin" serve --listen 127.0.0.1:$port --database-url "$url" --trace-key-file "$work/trace.key") >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do grep -q "rights view built" "$work/serve.log" && break; sleep 0.1; done
}
# The same server on the demo alone, for the memory the view adds.
start_server; baseline=$(rss); kill $pid; wait $pid 2>/dev/null || true
"$gen" "$url" "$work/trace.key" "$grants" "$secret"
start_server
built=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$work/serve.log" | head -1)
after=$(rss)
check="http://127.0.0.1:$port/api/v1/check?person=p7.u42&role=T1"
curl -sf -u "bench:$secret" "$check" >"$work/first.json"
grep -q '"allowed":true' "$work/first.json" || { echo "the check did not answer yes: $(cat "$work/first.json")"; exit 1; }
auth="Authorization: Basic $(printf 'bench:%s' "$secret" | base64 -w0)"
wrk -t2 -c64 -d15s --latency http://127.0.0.1:$port/healthz >"$work/healthz.out"
wrk -t2 -c64 -d15s --latency -H "$auth" "$check" >"$work/check.out"
rps() { sed -n 's/^Requests\/sec: *//p' "$1"; }
p99() { awk '$1 == "99%" {print $2}' "$1"; }
ms() { case "$1" in *us) echo "$1" | sed 's/us//' | awk '{print $1/1000}';; *ms) echo "$1" | sed 's/ms//';; *s) echo "$1" | sed 's/s//' | awk '{print $1*1000}';; esac; }
h_rps=$(rps "$work/healthz.out"); c_rps=$(rps "$work/check.out")
h_p99=$(ms "$(p99 "$work/healthz.out")"); c_p99=$(ms "$(p99 "$work/check.out")")
echo "backend: ${BENCH_DATABASE:-sqlite}; $(nproc) cores shared by server and wrk; grants: $grants"
echo "view built at start in ${built} s; server RSS $((after / 1024)) MiB, on the demo alone $((baseline / 1024)) MiB: the view of $grants grants takes $(( (after - baseline) / 1024 )) MiB"
echo "/healthz:        $h_rps req/s, p99 $h_p99 ms"
echo "/api/v1/check:   $c_rps req/s, p99 $c_p99 ms"
echo "ratio throughput $(echo "scale=3; $c_rps / $h_rps" | bc), ratio p99 $(echo "scale=2; $c_p99 / $h_p99" | bc)"
