#!/usr/bin/env bash
# Builds the WAR, starts it on Payara Micro (heartbeat 1 s / 2 s) and runs the benchmark scenarios against it
# from separate load-generator processes on loopback. Usage: bench/run.sh [--smoke] [--scenario=idle|fanout|silent]
# Results: bench/results/results.jsonl (one JSON line per run) and bench/results/summary.md (smoke.md for --smoke).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${BENCH_PORT:-18090}
smoke=false
extra=()
for a in "$@"; do
  case "$a" in
    --smoke) smoke=true ;;
    *) extra+=("$a") ;;
  esac
done

[ -f target/pulse.war ] && [ -f target/payara-micro.jar ] && [ "${BENCH_BUILD:-auto}" != always ] \
  || mvn -B -q -ntp package -DskipTests
(cd bench && npm install --no-audit --no-fund --silent)

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log=bench/results/server.log
mkdir -p bench/results
PULSE_HEARTBEAT_INTERVAL=1000 PULSE_HEARTBEAT_TIMEOUT=2000 PULSE_LIMITS_PER_ADDRESS=0 \
PULSE_RATE_MESSAGES_PER_SECOND=1000 \
  java ${BENCH_JAVA_OPTS:--Xms512m -Xmx2g -XX:+UseG1GC -Xss512k} -jar target/payara-micro.jar \
    --deploy target/pulse.war --port "$port" --contextroot / --nocluster --nohazelcast >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready" && break
  kill -0 $server 2>/dev/null || { echo "server died, see $log"; exit 1; }
  sleep 0.5
done
curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready" || { echo "server not ready, see $log"; exit 1; }
node bench/bench.mjs --url="http://127.0.0.1:$port" --pid=$server --smoke=$smoke "${extra[@]}"
