#!/usr/bin/env bash
# Several Pulse nodes on one machine, to try what pulse.store=redis gives: a Redis, N Payara Micro nodes sharing
# it, and nginx in front (round robin, server-config/nginx/nginx-cluster.conf). Everything listens on 127.0.0.1
# only, and everything stops on Ctrl-C. Builds the WAR first if target/pulse.war is missing.
#
#   server-config/cluster/run.sh            then open http://127.0.0.1:8000/
#
# Settings (environment): PULSE_CLUSTER_NODES (2), PULSE_CLUSTER_PORT (8000, nginx), PULSE_CLUSTER_NODE_PORT (8081:
# nodes on 8081, 8082, ...), PULSE_CLUSTER_REDIS_PORT (6390), PULSE_CLUSTER_READY_SECONDS (300, how long to wait
# for the nodes), PULSE_JAVA_OPTS (JVM options of each node), and any PULSE_* key of the README for every node
# (e.g. PULSE_PRESENCE_GRACE=3000). Logs and data: target/cluster/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

NODES=${PULSE_CLUSTER_NODES:-2}
PROXY_PORT=${PULSE_CLUSTER_PORT:-8000}
NODE_PORT=${PULSE_CLUSTER_NODE_PORT:-8081}
REDIS_PORT=${PULSE_CLUSTER_REDIS_PORT:-6390}
JAVA_OPTS=${PULSE_JAVA_OPTS:--Xmx512m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1} # small and quick to start: a demo
READY_SECONDS=${PULSE_CLUSTER_READY_SECONDS:-300}
WORK=$ROOT/target/cluster
NAMES=(a b c d e f g h i j k l m n o p q r s t u v w x y z)

for tool in java redis-server redis-cli nginx curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (Debian: apt-get install -y --no-install-recommends redis-server nginx curl)" >&2; exit 1; }
done
[[ $NODES =~ ^[1-9][0-9]?$ && $NODES -le 26 ]] || { echo "run.sh: PULSE_CLUSTER_NODES must be 1-26" >&2; exit 1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$PROXY_PORT" "$REDIS_PORT" $(seq "$NODE_PORT" $((NODE_PORT + NODES - 1))); do
  if port_busy "$port"; then echo "run.sh: 127.0.0.1:$port is in use (another run.sh? stop it first)" >&2; exit 1; fi
done

if [[ ! -f target/pulse.war || ! -f target/payara-micro.jar ]]; then
  echo "Building target/pulse.war (mvn -q -DskipTests package) ..."
  mvn -q -DskipTests package
fi

rm -rf "$WORK"
mkdir -p "$WORK/redis" "$WORK/nginx/run"
cp target/pulse.war "$WORK/pulse.war" # the nodes run this copy: a rebuild meanwhile does not pull it from under them

PIDS=()     # every process started here, in start order
LABELS=()
stopping=false
stop_all() {
  $stopping && return
  stopping=true
  trap '' INT TERM
  echo
  echo "Stopping ..."
  local i pid
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do # nginx first, Redis last
    pid=${PIDS[i]}
    kill -0 "$pid" 2>/dev/null || continue
    case ${LABELS[i]} in
      nginx) kill -QUIT "$pid" 2>/dev/null || true ;;        # graceful: lets open tunnels close
      *) kill -TERM "$pid" 2>/dev/null || true ;;
    esac
  done
  for pid in "${PIDS[@]}"; do # up to 20 s for everybody, then KILL whoever is left
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  echo "Stopped (logs in $WORK)."
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

# Remembers a process started here; disowned so that bash does not print a job report when one is killed on purpose.
started() { PIDS+=("$1"); LABELS+=("$2"); disown "$1"; }

fail() {
  echo "run.sh: $1" >&2
  if [[ -n ${2:-} && -f $2 ]]; then # its last log records, without the certificate dumps between them
    echo "--- last records of $2:" >&2
    grep -E '^\[20|Exception|Caused by' "$2" | tail -n 15 | cut -c1-400 >&2
  fi
  exit 1
}

# Redis: in memory only (nothing saved), its own directory, loopback.
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$WORK/redis" >"$WORK/redis/redis.log" 2>&1 &
started $! redis
REDIS_PID=$!
redis_up() { [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }
for _ in $(seq 100); do redis_up && break; sleep 0.1; done
redis_up || fail "Redis did not start" "$WORK/redis/redis.log"

# The nodes: same WAR, same Redis, each its own id and port.
# A token secret shared by all nodes, so a token minted by one is accepted by every other (new at each run).
SECRET=${PULSE_AUTH_TOKEN_SECRET:-$(head -c 48 /dev/urandom | base64 | tr -d '\n=+/')}
# Payara Micro listens on every interface by default; this asadmin command, run before boot, keeps it on loopback.
{
  cat "$ROOT/server-config/payara/pulse-tuning.asadmin"
  echo 'set configs.config.server-config.network-config.network-listeners.network-listener.http-listener.address=127.0.0.1'
} >"$WORK/preboot.asadmin"
NODE_PIDS=()
NODE_IDS=()
NODE_PORTS=()
for ((i = 0; i < NODES; i++)); do
  id=node-${NAMES[i]}
  port=$((NODE_PORT + i))
  dir=$WORK/$id
  mkdir -p "$dir"
  # --nohazelcast without --nocluster: with both, Payara Micro 6.2025.10 still starts Hazelcast on *:6900.
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  env PULSE_STORE=redis PULSE_REDIS_URI="redis://127.0.0.1:$REDIS_PORT" PULSE_NODE_ID="$id" \
      PULSE_PROXIES=127.0.0.1 PULSE_IDENTITY_QUERY_PARAM="${PULSE_IDENTITY_QUERY_PARAM:-true}" \
      PULSE_AUTH_TOKEN_SECRET="$SECRET" \
    java $JAVA_OPTS -jar "$ROOT/target/payara-micro.jar" --deploy "$WORK/pulse.war" --contextroot / \
      --port "$port" --nohazelcast --rootdir "$dir/payara" \
      --prebootcommandfile "$WORK/preboot.asadmin" >"$dir/server.log" 2>&1 &
  started $! "$id"
  NODE_PIDS+=($!)
  NODE_IDS+=("$id")
  NODE_PORTS+=("$port")
done

# nginx: the cluster config with one server line per node, in its own prefix directory.
{
  sed -n '1,/# cluster-nodes:begin/p' server-config/nginx/nginx-cluster.conf
  for port in "${NODE_PORTS[@]}"; do echo "        server 127.0.0.1:$port max_fails=1 fail_timeout=10s;"; done
  sed -n '/# cluster-nodes:end/,$p' server-config/nginx/nginx-cluster.conf
} | sed -e "s/listen 127.0.0.1:8000;/listen 127.0.0.1:$PROXY_PORT;/" \
        -e "s/proxy_next_upstream_tries 2;/proxy_next_upstream_tries $NODES;/" >"$WORK/nginx/nginx.conf"

echo "Starting Redis on 127.0.0.1:$REDIS_PORT and $NODES Payara Micro nodes (about 10-30 s) ..."
deadline=$((SECONDS + READY_SECONDS))
for ((i = 0; i < NODES; i++)); do
  log=$WORK/${NODE_IDS[i]}/server.log
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${NODE_PORTS[i]}/health/ready") == 200 ]]; do
    kill -0 "${NODE_PIDS[i]}" 2>/dev/null || fail "${NODE_IDS[i]} exited before it was ready" "$log"
    ((SECONDS < deadline)) || fail "${NODE_IDS[i]} not ready after $READY_SECONDS s (/health/ready not 200; PULSE_CLUSTER_READY_SECONDS waits longer)" "$log"
    sleep 0.5
  done
  echo "  ${NODE_IDS[i]} ready on 127.0.0.1:${NODE_PORTS[i]} (pid ${NODE_PIDS[i]})"
done

nginx -e "$WORK/nginx/run/error-cluster.log" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" \
  >"$WORK/nginx/run/stdout.log" 2>&1 &
started $! nginx
NGINX_PID=$!
for _ in $(seq 50); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PROXY_PORT/health/ready") == 200 ]] && break
  kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx exited" "$WORK/nginx/run/error-cluster.log"
  sleep 0.2
done

cat <<EOF

Pulse on $NODES nodes behind nginx: http://127.0.0.1:$PROXY_PORT/
  Open it in two browsers (or windows), pick two names and the same room: chat and "who's here" are shared,
  though each page may be served by another node. See which: curl -s 127.0.0.1:$PROXY_PORT/api/stats | grep -o '"node":"[^"]*"'
  Publish: curl -XPOST -H 'Content-Type: application/json' -d '{"text":"hi"}' 127.0.0.1:$PROXY_PORT/api/topics/room:lobby/messages

Nodes (the monitor of each: http://127.0.0.1:PORT/monitor.html):
EOF
for ((i = 0; i < NODES; i++)); do
  echo "  ${NODE_IDS[i]}  http://127.0.0.1:${NODE_PORTS[i]}/  pid ${NODE_PIDS[i]}   log $WORK/${NODE_IDS[i]}/server.log"
done
cat <<EOF
  Redis 127.0.0.1:$REDIS_PORT pid $REDIS_PID (redis-cli -p $REDIS_PORT), nginx pid $NGINX_PID

Kill a node and watch the pages come back on another one, resuming where they were:
  kill ${NODE_PIDS[0]}      (a clean stop: its sessions are closed, their users stay listed through the grace period)
  kill -9 ${NODE_PIDS[0]}   (a crash: the others evict its users within grace + node timeout, 5 s + 10 s by default)
Freeze Redis for a while: kill -STOP $REDIS_PID, later kill -CONT $REDIS_PID (publishing answers 503 meanwhile).
Ctrl-C stops everything.
EOF

# Stay in the foreground until Ctrl-C; say so when a node goes away.
declare -A reported=()
while :; do
  for ((i = 0; i < NODES; i++)); do
    if [[ -z ${reported[$i]:-} ]] && ! kill -0 "${NODE_PIDS[i]}" 2>/dev/null; then
      reported[$i]=1
      echo "$(date +%T) ${NODE_IDS[i]} (pid ${NODE_PIDS[i]}) has stopped; nginx sends everybody to the others."
    fi
  done
  kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx has stopped" "$WORK/nginx/run/error-cluster.log"
  sleep 1 &
  wait $! || true
done
