#!/usr/bin/env bash
# The OpenID Connect token endpoint against the portal's own /healthz, side by side in one
# run (issue 13): a release build, SQLite (or BENCH_DATABASE=postgres), the demo plus GRANTS
# grants (10,000 by default) and REFRESH_TOKENS refresh tokens of the client `bench`, each
# with its own portal session. wrk at c=64 for 10 s on: GET /healthz; POST /oidc/token
# grant_type=client_credentials; POST /oidc/token grant_type=refresh_token (each request
# spends one token and gets the next: a write transaction — the family's row moved to the
# next token, trace sealed; the session touched within a second — and two ES256 signatures). Prints requests/s, p99 and the ratios.
# Needs wrk (apt-get install wrk). Run from the repository root.
set -euo pipefail
export HABILIS_DEMO_PASSWORD=Tournesol-Bleu-42-Lille
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/habilis-target}
grants=${GRANTS:-10000}
tokens=${REFRESH_TOKENS:-200000}
secret=bench-secret-0123456789abcdef0123456789abcdef
cargo build --release -q -p habilis-server
cargo build --release -q -p habilis-store --example generate
# HABILIS_BIN: another build to measure (a before/after pair), this tree's by default.
bin=${HABILIS_BIN:-$CARGO_TARGET_DIR/release/habilis}
gen=$CARGO_TARGET_DIR/release/examples/generate
work=$(mktemp -d)
port=18558
if [ "${BENCH_DATABASE:-sqlite}" = postgres ]; then
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS habilis_bench" -c "CREATE DATABASE habilis_bench"
  url=postgres://postgres@127.0.0.1:5432/habilis_bench
else
  url="sqlite://$work/habilis.db"
fi
(cd "$work" && "$bin" demo --database-url "$url" --trace-key-file "$work/trace.key" >/dev/null)
REFRESH_TOKENS=$tokens "$gen" "$url" "$work/trace.key" "$grants" "$secret"
# The bulk load's dirty pages are written now, not during the measures.
if [ "${BENCH_DATABASE:-sqlite}" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -d habilis_bench -c "VACUUM ANALYZE" -c "CHECKPOINT"; fi
pid=
# The bench's PostgreSQL database goes with the run (the server first: it holds connections).
drop_bench_db() { [ "${BENCH_DATABASE:-sqlite}" != postgres ] || psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS habilis_bench WITH (FORCE)" || true; }
trap 'kill $pid 2>/dev/null; pkill -f "listen 127.0.0.1:$port" 2>/dev/null; sleep 0.5; drop_bench_db; rm -rf "$work"' EXIT
: >"$work/serve.log"
(cd "$work" && exec "$bin" serve --listen 127.0.0.1:$port --database-url "$url" --trace-key-file "$work/trace.key") >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do grep -q "rights view built" "$work/serve.log" && break; sleep 0.1; done
base=http://127.0.0.1:$port
auth="Authorization: Basic $(printf 'bench:%s' "$secret" | base64 -w0)"
# One of each first, to see they answer 200 (this also makes the signing key).
first=$(curl -s -H "$auth" -d grant_type=client_credentials "$base/oidc/token")
echo "$first" | grep -q access_token || { echo "client_credentials failed: $first"; tail -5 "$work/serve.log"; exit 1; }
rt() { printf '%032x.bench-refresh-%d' "$1" "$1"; }
curl -sf -H "$auth" -d "grant_type=refresh_token&refresh_token=$(rt $((tokens - 1)))" "$base/oidc/token" | grep -q id_token \
  || { echo "refresh failed: $(curl -s -H "$auth" -d "grant_type=refresh_token&refresh_token=$(rt $((tokens - 2)))" "$base/oidc/token")"; exit 1; }
cat >"$work/cc.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "grant_type=client_credentials"
LUA
wrk -t2 -c64 -d10s --latency "$base/healthz" >"$work/healthz.out"
wrk -t2 -c64 -d10s --latency -H "$auth" -s "$work/cc.lua" "$base/oidc/token" >"$work/cc.out"
WRK_THREADS=2 wrk -t2 -c64 -d10s --latency -H "$auth" -s bench/refresh.lua "$base/oidc/token" >"$work/refresh.out"
rps() { sed -n 's/^Requests\/sec: *//p' "$1"; }
p99() { awk '$1 == "99%" {print $2}' "$1"; }
non2xx() { v=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$1"); echo "${v:-0}"; }
ms() { case "$1" in *us) echo "$1" | sed 's/us//' | awk '{print $1/1000}';; *ms) echo "$1" | sed 's/ms//';; *s) echo "$1" | sed 's/s//' | awk '{print $1*1000}';; esac; }
h=$(rps "$work/healthz.out"); c=$(rps "$work/cc.out"); r=$(rps "$work/refresh.out")
total=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/refresh.out")
echo "backend: ${BENCH_DATABASE:-sqlite}; $(nproc) cores shared by server and wrk"
echo "/healthz:                      $h req/s, p99 $(ms "$(p99 "$work/healthz.out")") ms"
echo "/oidc/token client_credentials: $c req/s, p99 $(ms "$(p99 "$work/cc.out")") ms, non-2xx: $(non2xx "$work/cc.out")"
echo "/oidc/token refresh_token:      $r req/s, p99 $(ms "$(p99 "$work/refresh.out")") ms, non-2xx: $(non2xx "$work/refresh.out") of $total (tokens available: $tokens)"
echo "ratio client_credentials $(echo "scale=3; $c / $h" | bc), ratio refresh $(echo "scale=3; $r / $h" | bc)"
