#!/usr/bin/env bash
# Two builds' login bursts compared on one database, in turns (A B B A A B B A by default,
# ORDER to change it), so that both meet the same drifting machine (issue 14). Each turn:
# the server started on the build, the Argon2id ceiling for 10 s
# (`cargo bench -p habilis-core --bench password_hash`), a login burst (wrk c=16, 10 s, the
# generator's 334 people), the ceiling again; and, from /proc (bench/threads_cpu.py), the
# CPU each sign-in cost outside the hashing: the server's request and SQLite threads, and
# PostgreSQL's backends. That figure moves far less from run to run than the ratio.
#   A=path/to/habilis B=path/to/habilis [BACKEND=postgres] bash bench/login_ab.sh
# Both binaries must be named habilis (the threads are told by their process's name). B
# defaults to this tree's release build. Run as root on cgroup v1 to put the hashing in an
# idle CPU group, as bench/signed_in.sh does (IDLE_CGROUP=none to skip). Needs wrk.
set -euo pipefail
export HABILIS_DEMO_PASSWORD=Tournesol-Bleu-42-Lille
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/habilis-target}
cargo build --release -q -p habilis-server
cargo build --release -q -p habilis-store --example generate
gen=$CARGO_TARGET_DIR/release/examples/generate
B=${B:-$CARGO_TARGET_DIR/release/habilis}
A=${A:?"A=path of the other build's habilis"}
hash_bench=$(cargo bench -p habilis-core --bench password_hash --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
ceiling_now() { CEILING_SECONDS=10 "$hash_bench" | sed -n 's/.* s: \([0-9.]*\) hashes\/s/\1/p'; }
backend=${BACKEND:-sqlite}
work=$(mktemp -d)
port=18562
base=http://127.0.0.1:$port
pid=
# The bench's PostgreSQL database goes with the run (the server first: it holds connections).
drop_bench_db() { [ "$backend" != postgres ] || psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS habilis_bench WITH (FORCE)" || true; }
trap 'kill $pid 2>/dev/null || true; drop_bench_db; rm -rf "$work"' EXIT
printf '[second_factor]\nrequired_roles = []\n' >"$work/habilis.toml"
idle_cgroup=${IDLE_CGROUP:-/sys/fs/cgroup/cpu/habilis-hashing}
if [ "$idle_cgroup" != none ] && [ -f "$(dirname "$idle_cgroup")/tasks" ] \
  && { mkdir -p "$idle_cgroup" && echo 1 >"$idle_cgroup/cpu.idle"; } 2>/dev/null; then
  printf '[hashing]\nidle_cgroup = "%s"\n' "$idle_cgroup" >>"$work/habilis.toml"
fi
if [ "$backend" = postgres ]; then
  psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS habilis_bench" -c "CREATE DATABASE habilis_bench"
  url=postgres://postgres@127.0.0.1:5432/habilis_bench
else
  url="sqlite://$work/habilis.db"
fi
(cd "$work" && "$A" demo --database-url "$url" --trace-key-file "$work/trace.key" >/dev/null 2>&1)
SIGNIN_PASSWORD=$HABILIS_DEMO_PASSWORD "$gen" "$url" "$work/trace.key" 1002 bench-secret-0123456789abcdef0123456789abcdef >/dev/null
echo "backend: $backend; A = $A; B = $B; $(nproc) cores shared by server, database and wrk"
for which in ${ORDER:-A B B A A B B A}; do
  bin=$A
  [ "$which" = B ] && bin=$B
  if [ "$backend" = postgres ]; then psql -q -h 127.0.0.1 -U postgres -d habilis_bench -c CHECKPOINT; fi
  sync
  : >"$work/serve.log"
  (cd "$work" && exec "$bin" serve --listen 127.0.0.1:$port --database-url "$url" --trace-key-file "$work/trace.key") >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do grep -q "rights view built" "$work/serve.log" && break; sleep 0.1; done
  before=$(ceiling_now)
  python3 bench/threads_cpu.py snap "$work/a.json"
  PEOPLE=334 wrk -t1 -c16 -d10s -s bench/login.lua "$base" >"$work/login.out"
  python3 bench/threads_cpu.py snap "$work/b.json"
  after=$(ceiling_now)
  rate=$(sed -n 's/^Requests\/sec: *//p' "$work/login.out")
  n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/login.out")
  bad=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$work/login.out")
  cost=$(python3 bench/threads_cpu.py diff "$work/a.json" "$work/b.json" 10 "$n" \
    | awk '/^habilis:tokio|^habilis:sqlx|^postgres backend/ {s += $(NF-1)} /^habilis:habilis-hash/ {h = $3} END {printf "%.0f us of CPU per sign-in outside the hashing; hashing threads %s of a core", s, h}')
  echo "$which: $rate sign-ins/s = $(echo "scale=3; 2 * $rate / ($before + $after)" | bc) of the ceiling ($before, $after hashes/s), non-2xx ${bad:-0}; $cost"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
done
