#!/usr/bin/env bash
# The cluster scenarios, started by `bench/run.sh --scenario=cluster [--smoke]` once the WAR is built: redis-server
# on its own port, two Payara Micro nodes with store=redis (a, b) and one with store=memory (mem, the reference;
# not with --smoke, which checks the two-node path only), each on its own port with its own copy of the WAR, then
# bench/cluster.mjs against them. Every process started
# here (redis-server, the three JVMs, the driver and its load generators) is stopped on exit, also on failure.
# Ports: BENCH_CLUSTER_PORT (default 18190) for mem, +1 for a, +2 for b, +3 for Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=false
extra=()
for a in "$@"; do
  case "$a" in
    --smoke) smoke=true ;;
    --scenario=* | --server=* | --peer=*) ;;
    *) extra+=("$a") ;;
  esac
done
base_port=${BENCH_CLUSTER_PORT:-18190}
mem_port=$base_port a_port=$((base_port + 1)) b_port=$((base_port + 2)) redis_port=$((base_port + 3))
for p in $mem_port $a_port $b_port $redis_port; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is taken (set BENCH_CLUSTER_PORT)"; exit 1
  fi
done

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p bench/results
work=$(mktemp -d /tmp/pulse-bench-cluster.XXXXXX)
cp target/pulse.war "$work/pulse.war" # a build running meanwhile cannot swap the WAR under the nodes
pids=()
driver=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # the driver's children (load generators, publisher) by id, then the driver, the JVMs and redis-server
  if [ -n "$driver" ]; then
    for c in $(pgrep -P "$driver" 2>/dev/null || true); do kill "$c" 2>/dev/null || true; done
    kill "$driver" 2>/dev/null || true
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 40); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.25
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
  --logfile "$PWD/bench/results/cluster-redis.log" &
pids+=($!)
redis_pid=$!

java_opts=${BENCH_JAVA_OPTS:--Xms512m -Xmx2g -XX:+UseG1GC -Xss512k} # as run.sh's Payara
# the product's heartbeat by default (25 s / 20 s): at 1 s, 10,000 Pongs a second take a core of Payara (README,
# item 4) and drown what the store costs; BENCH_CLUSTER_HEARTBEAT=1000/2000 runs with the other scenarios' heartbeat
heartbeat=${BENCH_CLUSTER_HEARTBEAT:-25000/20000}
export PULSE_HEARTBEAT_INTERVAL=${heartbeat%/*} PULSE_HEARTBEAT_TIMEOUT=${heartbeat#*/} PULSE_LIMITS_PER_ADDRESS=0 \
  PULSE_RATE_MESSAGES_PER_SECOND=1000 PULSE_IDENTITY_QUERY_PARAM=true
start_node() { # name port env...
  local name=$1 port=$2
  shift 2
  mkdir -p "$work/$name"
  # shellcheck disable=SC2086
  env "$@" java $java_opts -jar target/payara-micro.jar --deploy "$work/pulse.war" --port "$port" --contextroot / \
    --nocluster --nohazelcast --rootdir "$work/$name" --prebootcommandfile server-config/payara/pulse-tuning.asadmin ${BENCH_PAYARA_ARGS:-} >"bench/results/cluster-$name.log" 2>&1 &
  pids+=($!)
}
nodes=(a b)
mem_args=()
if [ $smoke = false ]; then
  start_node mem "$mem_port" PULSE_STORE=memory
  mem_pid=$!
  nodes=(mem a b)
  mem_args=(--mem="http://127.0.0.1:$mem_port" --mem-pid="$mem_pid")
fi
redis_env=(PULSE_STORE=redis "PULSE_REDIS_URI=redis://127.0.0.1:$redis_port")
start_node a "$a_port" "${redis_env[@]}" PULSE_NODE_ID=bench-a
a_pid=$!
start_node b "$b_port" "${redis_env[@]}" PULSE_NODE_ID=bench-b
b_pid=$!

for name in "${nodes[@]}"; do
  port_var=${name}_port pid_var=${name}_pid
  for _ in $(seq 1 360); do
    curl -sf -o /dev/null "http://127.0.0.1:${!port_var}/health/ready" && break
    kill -0 "${!pid_var}" 2>/dev/null || { echo "node $name died, see bench/results/cluster-$name.log"; exit 1; }
    sleep 0.5
  done
  curl -sf -o /dev/null "http://127.0.0.1:${!port_var}/health/ready" \
    || { echo "node $name not ready, see bench/results/cluster-$name.log"; exit 1; }
done
for name in a b; do # ready, and connected to Redis
  port_var=${name}_port
  for _ in $(seq 1 60); do
    curl -sf "http://127.0.0.1:${!port_var}/api/stats" | grep -q '"available":true' && break
    sleep 0.5
  done
  curl -sf "http://127.0.0.1:${!port_var}/api/stats" | grep -q '"available":true' \
    || { echo "node $name has no Redis store, see bench/results/cluster-$name.log"; exit 1; }
done

node bench/cluster.mjs "${mem_args[@]}" \
  --a="http://127.0.0.1:$a_port" --a-pid="$a_pid" --b="http://127.0.0.1:$b_port" --b-pid="$b_pid" \
  --redis-port="$redis_port" --redis-pid="$redis_pid" --smoke=$smoke "${extra[@]}" &
driver=$!
wait "$driver"
