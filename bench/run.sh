#!/usr/bin/env bash
# Builds the WAR, starts it on Payara Micro (heartbeat 1 s / 2 s) and runs the benchmark scenarios against it
# from separate load-generator processes on loopback.
# Usage: bench/run.sh [--smoke] [--scenario=idle|fanout|silent|cluster|overload|chaos] [--server=payara|wildfly] [--idle-clients=1000,10000]
#                     [--peer=ws|none]
# Results: bench/results/results.jsonl (one JSON line per run) and bench/results/summary.md (smoke.md for --smoke).
# --peer=ws (the default for idle, fanout and silent) also starts bench/peer/ws-server.mjs, a small Node `ws` server
# with the same heartbeat, and runs every scenario against it first, then against Pulse: each figure is reported
# beside the reference's with the ratio Pulse/ws. --peer=none runs Pulse alone. Not for cluster or overload.
# --scenario=cluster (not in the default set: it takes about 6 minutes) hands over to bench/cluster.sh: Redis, two
# nodes with store=redis and one with store=memory; summary-cluster.md (smoke-cluster.md with --smoke).
# --scenario=overload (not in the default set) pins the server with taskset to the last CPU at nice 10 and runs
# bench/overload.mjs: busy loops on that CPU while clients answer Pings; summary-overload.md.
# --scenario=chaos (not in the default set: 10 minutes, --duration=S) hands over to bench/chaos/chaos.sh: faults injected
# while 2,000 resuming clients count every seq; chaos-<server>.md (chaos-smoke-<server>.md with --smoke).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${BENCH_PORT:-18090}
smoke=false
server_kind=payara
scenario=all
peer=ws
extra=()
for a in "$@"; do
  case "$a" in
    --smoke) smoke=true ;;
    --peer=*) peer=${a#--peer=} ;;
    --server=*) server_kind=${a#--server=} ;;
    --scenario=*) scenario=${a#--scenario=}; extra+=("$a") ;;
    *) extra+=("$a") ;;
  esac
done
case "$peer" in ws | none) ;; *) echo "unknown --peer=$peer (ws or none)"; exit 2 ;; esac
if [ "$scenario" = cluster ] || [ "$scenario" = overload ]; then
  peer=none  # Pulse's own behaviour (several nodes and a store; a starved node's lag allowance): no reference
fi
if [ "$scenario" = cluster ] && [ "$server_kind" != payara ]; then
  echo "--scenario=cluster runs on Payara Micro only"; exit 2
fi
wildfly_home=target/wildfly-39.0.1.Final # as in bench/server.sh

# (re)build when the WAR is missing or older than src/main; test sources are not compiled (maven.test.skip), so a
# test tree in mid-change does not stop the bench. BENCH_MVN_OPTS adds options (e.g. -o)
if [ ! -f target/pulse.war ] || [ ! -f target/payara-micro.jar ] || [ "${BENCH_BUILD:-auto}" = always ] \
  || [ -n "$(find src/main -newer target/pulse.war -type f -print -quit)" ]; then
  mvn -B -q -ntp ${BENCH_MVN_OPTS:-} package -Dmaven.test.skip=true
fi
if [ "$server_kind" = wildfly ] && [ ! -d "$wildfly_home" ]; then
  mvn -B -q -ntp dependency:unpack@wildfly-dist  # the same WildFly the integration tests use
fi
(cd bench && npm install --no-audit --no-fund --silent)
if [ "$scenario" = cluster ]; then
  exec bash bench/cluster.sh "$@"
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
source bench/server.sh
if [ "$scenario" = chaos ]; then
  exec bash bench/chaos/chaos.sh --server="$server_kind" ${smoke:+--smoke=$smoke} "${extra[@]}"
fi
log=bench/results/server.log
mkdir -p bench/results
prefix=()
if [ "$scenario" = overload ]; then
  cpu=$(( $(nproc) - 1 ))
  prefix=(taskset -c "$cpu" nice -n 10)  # the server shares its CPU with the scenario's busy loops only
  # the loops keep it about 2.5 s behind, beyond the 2 s timeout: room for that lag in the deadlines
  export PULSE_HEARTBEAT_LAG_ALLOWANCE=${PULSE_HEARTBEAT_LAG_ALLOWANCE:-8000}
fi
export PULSE_HEARTBEAT_INTERVAL=1000 PULSE_HEARTBEAT_TIMEOUT=2000 PULSE_LIMITS_PER_ADDRESS=0 \
  PULSE_RATE_MESSAGES_PER_SECOND=1000
case "$server_kind" in
  payara) ;;
  wildfly) base=$(bench_prepare_wildfly) ;;
  *) echo "unknown --server=$server_kind (payara or wildfly)"; exit 2 ;;
esac
if [ ${#prefix[@]} -gt 0 ]; then # taskset and nice exec the server in turn: the pid stays the server's
  "${prefix[@]}" bash bench/server.sh run "$server_kind" "$port" "${base:-}" >"$log" 2>&1 &
else
  (bench_run_server "$server_kind" "$port" "${base:-}") >"$log" 2>&1 &
fi
launcher=$!
server=$launcher
peer_pid=
stop_server() {
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null || true
  kill $server $launcher 2>/dev/null || true
  # WildFly's JVM is a child of standalone.sh: when it never became ready, $server is still the script
  [ -n "${base:-}" ] && pkill -f -- "-Djboss.server.base.dir=$base" 2>/dev/null || true
  wait $launcher 2>/dev/null || true
  # WildFly's JVM outlives standalone.sh by its shutdown (10 s at 10k sessions): the next run needs the ports
  local waited=0
  while kill -0 "$server" 2>/dev/null && [ $waited -lt 600 ]; do sleep 0.1; waited=$((waited + 1)); done
  [ -n "${base:-}" ] && rm -rf "$base" || true
}
trap stop_server EXIT
peer_args=()
if [ "$peer" = ws ]; then
  # the reference: one Node process, the same heartbeat (it reads PULSE_HEARTBEAT_INTERVAL/TIMEOUT from above)
  peer_port=${BENCH_PEER_PORT:-$((port + 2))}
  node --expose-gc bench/peer/ws-server.mjs --port="$peer_port" >bench/results/peer.log 2>&1 &
  peer_pid=$!
  peer_args=(--peer-url="http://127.0.0.1:$peer_port" --peer-pid="$peer_pid")
fi
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready" && break
  kill -0 $server 2>/dev/null || { echo "server died, see $log"; exit 1; }
  sleep 0.5
done
curl -sf -o /dev/null "http://127.0.0.1:$port/health/ready" || { echo "server not ready, see $log"; exit 1; }
if [ -n "$peer_pid" ]; then
  curl -sf -o /dev/null "http://127.0.0.1:$peer_port/health/ready" \
    || { echo "the ws reference is not ready, see bench/results/peer.log"; exit 1; }
fi
if [ "$server_kind" = wildfly ]; then
  server=$(pgrep -f -- "-Djboss.server.base.dir=$base" | grep -v "^$launcher\$" | sed -n 1p)  # the JVM, not the script
fi
if [ "$scenario" = overload ]; then
  exec_status=0
  node bench/overload.mjs --url="http://127.0.0.1:$port" --cpu="$cpu" --smoke=$smoke "${extra[@]}" || exec_status=$?
  exit $exec_status
fi
node bench/bench.mjs --url="http://127.0.0.1:$port" --pid="$server" --server="$server_kind" --smoke=$smoke \
  "${peer_args[@]}" "${extra[@]}"
