#!/usr/bin/env bash
# wrk against `cvault serve` (release build) on loopback, over a vault of 100,000 synthetic customers:
# GET /v1/me (customer tokens) and staff GET /v1/customers/{id}?purpose=service (support tokens).
#
#   Benchmarks/wrk/run.sh [--customers N] [--duration 30s] [--connections 32] [--threads 2] [--keep DIR]
#                         [--database postgres://USER@HOST:PORT/DB] [--instances N] [--warmup 20s]
#                         [--cvault PATH]...
#
# Prints wrk's throughput, latency percentiles (--latency) and non-2xx count for each endpoint,
# then the same load against bare-server (Benchmarks/bare-server: Hummingbird alone answering a
# fixed 1.2 KB JSON body) and a summary of every figure as a ratio of that same-run baseline.
# --cvault PATH (repeatable) measures these prebuilt binaries one after the other on the same vault
# (before/after comparisons in one sitting) instead of building this checkout's.
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
binaries=()
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
    --cvault) binaries+=("$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt-get install -y wrk)" >&2; exit 1; }

echo "== building (release)" >&2
bin="$(swift build -c release --show-bin-path --package-path "$root")"
swift build -c release --product bare-server --package-path "$root" >&2
if [[ ${#binaries[@]} -eq 0 ]]; then
  swift build -c release --product cvault --package-path "$root" >&2
  binaries=("$bin/cvault")
fi
cvault=${binaries[0]}

work=${keep:-$(mktemp -d -t cvault-wrk.XXXXXX)}
mkdir -p "$work"
export CVAULT_HOME="$work/vault"
servers=()
cleanup() {
  stop_servers
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

# CPU seconds (user + system) the servers have used so far, from /proc (clock ticks per second: getconf).
server_cpu() {
  local total=0 pid
  for pid in "${servers[@]}"; do
    total=$(awk -v hz="$(getconf CLK_TCK)" -v t="$total" '{ printf "%.2f", t + ($14 + $15) / hz }' "/proc/$pid/stat")
  done
  echo "$total"
}

start_servers() {
  local binary=$1 i
  servers=()
  for i in $(seq 0 $((instances - 1))); do
    echo "== $binary serve on 127.0.0.1:$((port + i))" >&2
    CVAULT_LOG_LEVEL=${CVAULT_LOG_LEVEL:-warning} "$binary" serve --port "$((port + i))" 2>"$work/serve-$i.log" &
    servers+=($!)
    wait_for "$((port + i))"
  done
}

stop_servers() {
  local server
  for server in "${servers[@]}"; do kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; done
  servers=()
}

wait_for() {
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return
    sleep 0.1
  done
}

# One summary line per measured route: label, requests/s, p99 (wrk's text), non-2xx count.
summary=()
record() {
  local label=$1 file=$2 rps p99 errors
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$file")
  p99=$(awk '$1 == "99%" { print $2 }' "$file")
  errors=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$file")
  summary+=("$label|${rps:-0}|${p99:-?}|${errors:-0}")
}

run() {
  local name=$1 script=$2 tokens=$3 label=$4 before after i loads=()
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
  # Several instances: the summary adds their requests/s and keeps the worst p99.
  if [[ $instances -eq 1 ]]; then
    record "$label" "$work/wrk-0.txt"
  else
    cat "$work"/wrk-*.txt | awk '/^Requests\/sec:/ { total += $2 } END { printf "Requests/sec: %.2f\n", total }' > "$work/wrk-sum.txt"
    grep -h '^ *99%' "$work"/wrk-*.txt | sort -k2 -h | tail -1 >> "$work/wrk-sum.txt"
    record "$label" "$work/wrk-sum.txt"
  fi
}

for binary in "${binaries[@]}"; do
  start_servers "$binary"
  run "GET /v1/me" me.lua tokens-customer.txt "$binary: GET /v1/me"
  run "GET /v1/customers/{id}?purpose=service" staff.lua tokens-support.txt "$binary: staff read"
  stop_servers
done

# The bare-stack baseline: the same wrk load against Hummingbird alone (one instance).
echo "== bare-server on 127.0.0.1:$((port + 100))" >&2
"$bin/bare-server" --port "$((port + 100))" 2>"$work/bare.log" &
servers=($!)
wait_for "$((port + 100))"
saved_port=$port saved_instances=$instances
port=$((port + 100)) instances=1
run "bare Hummingbird, GET /v1/me" me.lua tokens-customer.txt "bare-server: GET /v1/me"
port=$saved_port instances=$saved_instances
stop_servers

bare=$(printf '%s\n' "${summary[@]}" | awk -F'|' '$1 == "bare-server: GET /v1/me" { print $2 }')
echo
echo "== summary (ratios against bare-server in this run)"
printf '%-60s %12s %10s %8s %8s\n' "what" "requests/s" "p99" "non-2xx" "ratio"
for line in "${summary[@]}"; do
  IFS='|' read -r label rps p99 errors <<< "$line"
  printf '%-60s %12s %10s %8s %7.3fx\n' "$label" "$rps" "$p99" "$errors" "$(awk -v a="$rps" -v b="$bare" 'BEGIN { print (b > 0 ? a / b : 0) }')"
done
