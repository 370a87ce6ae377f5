#!/usr/bin/env bash
# Reproducer: server CPU per WebSocket frame on Payara Micro 6 and 7, idle timeout 0 vs -1, 0 vs 16 extra jars.
# See README.md. Usage:
#   ./run.sh [--clients 2000] [--interval-ms 1000] [--measure-s 15] [--extra-jars 16] [--jfr] [--only 6|7]
#            [--cases 'echo:idle=0 echo:idle=-1 echojars:idle=0']   (the cases per server, in this order)
# Environment: PAYARA6_JAR, PAYARA7_JAR (default: ~/.m2), JAVA6 (java 17+ for Payara 6, default: java on PATH),
# JAVA7 (java 21+ for Payara 7, default: /usr/lib/jvm/temurin-25-jdk-amd64/bin/java), SERVER_OPTS (JVM options of the
# servers, default -Xms512m -Xmx1g -XX:+UseG1GC), MVN_OPTS (e.g. -o).
set -euo pipefail
cd "$(dirname "$0")"

clients=2000 interval=1000 measure=15 extra=16 jfr=false only="" cases="echo:idle=0 echo:idle=-1 echojars:idle=0"
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) clients=$2; shift 2 ;;
    --interval-ms) interval=$2; shift 2 ;;
    --measure-s) measure=$2; shift 2 ;;
    --extra-jars) extra=$2; shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --jfr) jfr=true; shift ;;
    --only) only=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

m2=${MAVEN_REPO:-$HOME/.m2/repository}/fish/payara/extras/payara-micro
PAYARA6_JAR=${PAYARA6_JAR:-$m2/6.2025.10/payara-micro-6.2025.10.jar}
PAYARA7_JAR=${PAYARA7_JAR:-$m2/7.2026.11/payara-micro-7.2026.11.jar}
JAVA6=${JAVA6:-java}
JAVA7=${JAVA7:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
SERVER_OPTS=${SERVER_OPTS:--Xms512m -Xmx1g -XX:+UseG1GC}
[ "$(getconf CLK_TCK)" = 100 ] || { echo "Driver.java assumes 100 clock ticks a second" >&2; exit 1; }

work=$(mktemp -d /tmp/payara-frame-cost.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. the WAR, and a copy of it (echojars.war, whatever --extra-jars says) with dummy jars in WEB-INF/lib (one class each)
mvn ${MVN_OPTS:-} -q package >"$work/mvn.log" 2>&1 || { cat "$work/mvn.log"; exit 1; }
cp target/echo.war "$work/echo.war"
cp target/echo.war "$work/echojars.war"
mkdir -p "$work/jars/src" "$work/jars/classes" "$work/jars/WEB-INF/lib"
for i in $(seq -w 1 "$extra"); do
  mkdir -p "$work/jars/src/dummy$i"
  printf 'package dummy%s; public class D {}\n' "$i" >"$work/jars/src/dummy$i/D.java"
done
if [ "$extra" -gt 0 ]; then
  javac -d "$work/jars/classes" "$work/jars/src"/dummy*/D.java
  python3 - "$work/jars" <<'PY'
import os, sys, zipfile
base = sys.argv[1]
for pkg in sorted(os.listdir(os.path.join(base, "classes"))):
    with zipfile.ZipFile(os.path.join(base, "WEB-INF", "lib", pkg + ".jar"), "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
        z.write(os.path.join(base, "classes", pkg, "D.class"), pkg + "/D.class")
PY
  (cd "$work/jars" && jar uf "$work/echojars.war" WEB-INF/lib/*.jar)
fi

# 2. the driver, compiled once
mkdir -p "$work/driver"
javac -d "$work/driver" Driver.java

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

results="$work/results.tsv"
: >"$results"

run_server() { # name java jar
  local name=$1 java=$2 jar=$3 port log jfr_opt=""
  port=$(free_port)
  log="$work/$name.log"
  if $jfr; then jfr_opt="-XX:StartFlightRecording=filename=$work/$name.jfr,settings=profile"; fi
  # shellcheck disable=SC2086
  "$java" $SERVER_OPTS $jfr_opt -jar "$jar" --nocluster --nohazelcast --port "$port" --rootdir "$work/root-$name" \
    --deploy "$work/echo.war" --deploy "$work/echojars.war" >"$log" 2>&1 &
  server_pid=$!
  local t=0
  until grep -q "ready in" "$log"; do
    sleep 1; t=$((t + 1))
    if ! kill -0 "$server_pid" 2>/dev/null || [ $t -gt 240 ]; then
      echo "$name did not start (log: $log)" >&2; tail -20 "$log" >&2; exit 1
    fi
  done
  echo "$name up on port $port after ${t} s (pid $server_pid); load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  local warm=15 # the first case also warms the JIT
  for case in $cases; do
    set -- "${case%%:*}" "${case#*:}"
    java -cp "$work/driver" Driver --url "ws://127.0.0.1:$port/$1/echo?$2" --pid "$server_pid" --clients "$clients" \
      --interval-ms "$interval" --warmup-s "$warm" --measure-s "$measure" \
      --label "$name|$2|$([ "$1" = echojars ] && echo "$extra" || echo 0)|$(cut -d' ' -f1 /proc/loadavg)" >>"$results"
    warm=6
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

[ "$only" = 7 ] || run_server payara6 "$JAVA6" "$PAYARA6_JAR"
[ "$only" = 6 ] || run_server payara7 "$JAVA7" "$PAYARA7_JAR"

# 3. the table; ratio = CPU per 1,000 Pings against the first row (Payara 6, idle=0, no extra jar)
echo
echo "$clients connections, one Ping each per $interval ms, ${measure} s window; CPU net of the baseline (connections open, no Pings)"
echo
printf '| server | idle | extra jars | Pongs/Pings | server CPU s | baseline s/s | CPU ms per 1,000 Pings | ratio | load avg |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
awk -F'\t' '{
  split($1, l, "|"); ratio = (NR == 1) ? 1 : $7 / first; if (NR == 1) first = $7
  printf "| %s | %s | %s | %d/%d | %.2f | %.3f | %.0f | %.2f | %s |\n", l[1], l[2], l[3], $4, $3, $5, $6, $7, ratio, l[4]
}' "$results"
echo
echo "load average now: $(cat /proc/loadavg)"

if $jfr; then
  jfrtool=$(dirname "$JAVA7")/jfr
  for name in payara6 payara7; do
    f="$work/$name.jfr"; [ -f "$f" ] || continue
    echo; echo "== $name: CPU samples (jdk.ExecutionSample) whose stack holds TyrusSession.restartIdleTimeoutExecutor,"
    echo "   and their hot path from it (samples with that frame; the path stops below a tenth of them)"
    "$jfrtool" print --events jdk.ExecutionSample --stack-depth 64 "$f" | awk '
      # per sample: the frames from the leaf down to restartIdleTimeoutExecutor (if any); then the hot path from
      # restartIdleTimeoutExecutor towards the leaves: at each step the most frequent next frame
      function flush() { total++; if (hit) { hits++; for (i = 1; i <= d; i++) path[hits, i] = fr[d - i + 1]; len[hits] = d } }
      /^jdk.ExecutionSample/ { if (n) flush(); n = 1; d = 0; hit = 0; next }
      / line: / && !hit { sub(/^[ \t]+/, ""); sub(/[ \t]+line: .*/, ""); fr[++d] = $0; if ($0 ~ /restartIdleTimeoutExecutor/) hit = 1 }
      END {
        if (n) flush()
        printf "%d of %d samples (%.0f %%)\n", hits, total, total ? 100 * hits / total : 0
        if (!hits) exit
        for (k = 1; k <= hits; k++) alive[k] = 1
        for (i = 1; ; i++) {
          delete c; best = ""; bc = 0
          for (k = 1; k <= hits; k++) if (alive[k] && len[k] >= i) c[path[k, i]]++
          for (x in c) if (c[x] > bc) { bc = c[x]; best = x }
          if (bc < hits / 10) break
          printf "  %5d  %s\n", bc, best
          for (k = 1; k <= hits; k++) if (alive[k] && path[k, i] != best) alive[k] = 0
        }
      }'
  done
  echo; echo "recordings: $work/*.jfr (jfr view hot-methods FILE)"
fi
echo "work dir: $work"
