#!/usr/bin/env bash
# wrk against `cvault serve` (release build) on loopback, over a vault of 100,000 synthetic customers:
# GET /v1/me (customer tokens) and staff GET /v1/customers/{id}?purpose=service (support tokens).
#
#   Benchmarks/wrk/run.sh [--customers N] [--duration 30s] [--connections 32] [--threads 2] [--keep DIR]
#                         [--database postgres://USER@HOST:PORT/DB] [--instances N] [--warmup 20s]
#
# Prints wrk's throughput, latency percentiles (--latency) and non-2xx count for each endpoint.
# The vault is built once per DIR (default: a temporary folder, removed at the end). With
# --database the vault lives in that (empty) PostgreSQL database (password from PGPASSWORD); with
# --instances N, N servers share it on consecutive ports and N wrk processes (each with its share
# of threads and connections) load them at once: add their requests/s. Each endpoint is first
# loaded for --warmup (not counted), so connection pools are filled and the retention sweep a
# server runs when it starts is over, as in steady use.
set -euo pipefail

customers=100000
duration=30s
connections=32
threads=2
keep=""
database=""
instances=1
warmup=20s
port=${PORT:-18180}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --customers) customers=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --database) database=$2; shift 2 ;;
    --instances) instances=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt-get install -y wrk)" >&2; exit 1; }

echo "== building cvault (release)" >&2
swift build -c release --product cvault --package-path "$root" >&2
cvault="$(swift build -c release --show-bin-path --package-path "$root")/cvault"

work=${keep:-$(mktemp -d -t cvault-wrk.XXXXXX)}
mkdir -p "$work"
export CVAULT_HOME="$work/vault"
servers=()
cleanup() {
  for server in "${servers[@]}"; do kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; done
  if [[ -z "$keep" ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT

if [[ ! -f "$CVAULT_HOME/vault.json" ]]; then
  echo "== creating a vault with $customers customers in $work" >&2
  "$cvault" init ${database:+--database "$database"} >/dev/null
  "$cvault" generate --customers "$customers" --seed 1 --out "$work/customers.jsonl" >&2
  /usr/bin/time -f "import: %e s, %M KiB max RSS" "$cvault" import "$work/customers.jsonl" >/dev/null
  rm -f "$work/customers.jsonl"
  : > "$work/tokens-customer.txt"
  for i in $(seq 1 50); do
    "$cvault" token issue --role customer --customer "$(printf 'c-%07d' $(( (i * 1999) % customers + 1 )))" | tail -1 >> "$work/tokens-customer.txt"
  done
  : > "$work/tokens-support.txt"
  for i in $(seq 1 4); do
    "$cvault" token issue --role support --name "agent-$i" | tail -1 >> "$work/tokens-support.txt"
  done
fi

for i in $(seq 0 $((instances - 1))); do
  echo "== cvault serve on 127.0.0.1:$((port + i))" >&2
  CVAULT_LOG_LEVEL=${CVAULT_LOG_LEVEL:-warning} "$cvault" serve --port "$((port + i))" 2>"$work/serve-$i.log" &
  servers+=($!)
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$((port + i))/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done

# CPU seconds (user + system) the servers have used so far, from /proc (clock ticks per second: getconf).
server_cpu() {
  local total=0 pid
  for pid in "${servers[@]}"; do
    total=$(awk -v hz="$(getconf CLK_TCK)" -v t="$total" '{ printf "%.2f", t + ($14 + $15) / hz }' "/proc/$pid/stat")
  done
  echo "$total"
}

run() {
  local name=$1 script=$2 tokens=$3 before after i loads=()
  echo
  echo "== $name: $instances × wrk -t$(( (threads + instances - 1) / instances )) -c$((connections / instances)) -d$duration --latency"
  # Warm-up, not counted: each server's connection pool and caches fill on first use.
  for i in $(seq 0 $((instances - 1))); do
    TOKENS="$work/$tokens" CUSTOMERS="$customers" wrk -t1 -c"$((connections / instances))" -d"$warmup" -s "$here/$script" \
      "http://127.0.0.1:$((port + i))" >/dev/null &
    loads+=($!)
  done
  wait "${loads[@]}"
  loads=()
  before=$(server_cpu)
  for i in $(seq 0 $((instances - 1))); do
    TOKENS="$work/$tokens" CUSTOMERS="$customers" wrk -t"$(( (threads + instances - 1) / instances ))" -c"$((connections / instances))" \
      -d"$duration" --latency -s "$here/$script" "http://127.0.0.1:$((port + i))" > "$work/wrk-$i.txt" &
    loads+=($!)
  done
  wait "${loads[@]}"
  for i in $(seq 0 $((instances - 1))); do
    [[ $instances -gt 1 ]] && echo "-- instance $i"
    cat "$work/wrk-$i.txt"
  done
  after=$(server_cpu)
  echo "server CPU during the run: $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.1f", a - b }') s"
}

run "GET /v1/me" me.lua tokens-customer.txt
run "GET /v1/customers/{id}?purpose=service" staff.lua tokens-support.txt
