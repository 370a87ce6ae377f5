#!/usr/bin/env bash
# The chaos scenario, started by `bench/run.sh --scenario=chaos [--smoke] [--server=wildfly] [--duration=S]` once the
# WAR is built: a private copy of the WAR (and of WildFly's standalone/), then bench/chaos/driver.mjs, which starts
# and restarts the server itself (bench/server.sh), the relay, the publisher and the client workers. Every process
# started here is stopped on exit, also on failure or Ctrl-C. Ports: BENCH_CHAOS_PORT (default 18290) for the server,
# +1 for the relay, +2 for WildFly's management.
set -euo pipefail
cd "$(dirname "$0")/../.."
server_kind=payara
extra=()
for a in "$@"; do
  case "$a" in
    --server=*) server_kind=${a#--server=} ;;
    --scenario=*) ;;
    *) extra+=("$a") ;;
  esac
done
port=${BENCH_CHAOS_PORT:-18290}
for p in $port $((port + 1)) $((port + 2)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is taken (set BENCH_CHAOS_PORT)"; exit 1
  fi
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
source bench/server.sh
mkdir -p bench/results
work=$(mktemp -d /tmp/pulse-bench-chaos.XXXXXX)
cp target/pulse.war "$work/pulse.war" # a build running meanwhile cannot swap the WAR under the server's restarts
export BENCH_WAR="$work/pulse.war"
case "$server_kind" in
  payara) dir="$work/payara"; mkdir -p "$dir" ;;
  wildfly) dir=$(bench_prepare_wildfly) ;;
  *) echo "unknown --server=$server_kind (payara or wildfly)"; exit 2 ;;
esac
: >"bench/results/chaos-server-$server_kind.log"
driver=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$driver" ] && kill -0 "$driver" 2>/dev/null; then
    kill "$driver" 2>/dev/null || true # it stops its server and children itself
    for _ in $(seq 1 120); do kill -0 "$driver" 2>/dev/null || break; sleep 0.25; done
    for c in $(pgrep -P "$driver" 2>/dev/null || true); do kill -9 "$c" 2>/dev/null || true; done
    kill -9 "$driver" 2>/dev/null || true
  fi
  rm -rf "$work"
  [ "$server_kind" = wildfly ] && rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
node bench/chaos/driver.mjs --server="$server_kind" --port="$port" --dir="$dir" "${extra[@]}" &
driver=$!
wait "$driver"
