#!/usr/bin/env bash
# How the bench starts a server (run.sh sources this file; the chaos driver runs it as a command to start and restart
# its server). JVM settings per server (bench/README.md): Payara's per-connection garbage needs G1's adaptive young
# generation (SerialGC pauses overflowed its I/O queue); WildFly holds least with SerialGC and a small one.
#   bench/server.sh prepare wildfly            → prints a private copy of standalone/ with the WAR and the tuning applied
#   bench/server.sh run payara PORT [ROOTDIR]   → Payara Micro in the foreground (exec: this pid is the JVM), on an
#                                                emptied ROOTDIR (a reused one deploys the app twice: below)
#   bench/server.sh run wildfly PORT BASE       → WildFly on BASE (from prepare) in the foreground; the JVM is a child
# The caller sets the PULSE_* environment. Management port of WildFly: BENCH_WILDFLY_MGMT_PORT (default PORT + 1);
# its https port is PORT + 3 (not 8443, which another WildFly on the machine may hold; PORT + 2 is the ws reference's).
# Another WAR (e.g. bench/container-floor's): BENCH_WAR. Another Payara Micro: BENCH_PAYARA_JAR (e.g. 7.2026.11 from ~/.m2) with BENCH_JAVA (a java 21+ for Payara 7).
bench_wildfly_home=target/wildfly-39.0.1.Final

bench_java_opts() { # kind
  case "$1" in
    wildfly) echo "${BENCH_JAVA_OPTS:--Xms512m -Xmx2g -XX:+UseSerialGC -Xmn64m -Xss512k}" ;;
    *) echo "${BENCH_JAVA_OPTS:--Xms512m -Xmx2g -XX:+UseG1GC -Xss512k}" ;;
  esac
}

# a private copy of standalone/, so the bench never deploys into the WildFly the integration tests use
bench_prepare_wildfly() {
  local base
  base=$(mktemp -d /tmp/pulse-bench-wildfly.XXXXXX)
  cp -r "$bench_wildfly_home/standalone/." "$base/"
  cp "${BENCH_WAR:-target/pulse.war}" "$base/deployments/ROOT.war"
  if [ "${BENCH_WILDFLY_TUNING:-true}" = true ]; then # what deploy.sh applies too
    "$bench_wildfly_home/bin/jboss-cli.sh" --file=server-config/wildfly/pulse-tuning.cli -Djboss.server.base.dir="$base" \
      >/dev/null
  fi
  echo "$base"
}

# what run-payara-micro.sh applies too; BENCH_PAYARA_TUNING=false measures Payara's own defaults
bench_payara_tuning() {
  [ "${BENCH_PAYARA_TUNING:-true}" = true ] && echo "--prebootcommandfile $PWD/server-config/payara/pulse-tuning.asadmin"
  true
}

# Payara Micro saves every deployment in its --rootdir (config/domain.xml, applications/): started again on the same
# root dir with --deploy it first boots the copy it saved (the previous build), then undeploys it and deploys the WAR
# again; meanwhile the first copy serves, and its sessions' cleanup fails once its class loader is closed
# (NoClassDefFoundError). So every start gets an empty root dir. Only a directory that is empty or looks like a Payara
# Micro root dir is emptied, never anything else a caller passed by mistake.
bench_fresh_rootdir() { # dir
  local dir=$1
  mkdir -p "$dir"
  if [ -n "$(ls -A "$dir")" ] && [ ! -f "$dir/config/domain.xml" ]; then
    echo "bench/server.sh: $dir is not a Payara Micro root dir (no config/domain.xml): not emptying it" >&2
    exit 2
  fi
  find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
}

bench_run_server() { # kind port [rootdir|base]; replaces this shell with the server
  local kind=$1 port=$2 dir=${3:-}
  local java_opts
  java_opts=$(bench_java_opts "$kind")
  case "$kind" in
    payara)
      [ -n "$dir" ] && bench_fresh_rootdir "$dir"
      # shellcheck disable=SC2086
      exec "${BENCH_JAVA:-java}" $java_opts -jar "${BENCH_PAYARA_JAR:-target/payara-micro.jar}" --deploy "${BENCH_WAR:-target/pulse.war}" --port "$port" \
        --contextroot / --nocluster --nohazelcast ${dir:+--rootdir "$dir"} $(bench_payara_tuning) ${BENCH_PAYARA_ARGS:-} ;;
    wildfly)
      JAVA_OPTS="$java_opts" exec "$bench_wildfly_home/bin/standalone.sh" -c standalone.xml -Djboss.server.base.dir="$dir" \
        -Djboss.bind.address=127.0.0.1 -Djboss.http.port="$port" -Djboss.socket.binding.port-offset=0 \
        -Djboss.management.http.port="${BENCH_WILDFLY_MGMT_PORT:-$((port + 1))}" -Djboss.https.port=$((port + 3)) ;;
    *) echo "unknown server $kind (payara or wildfly)" >&2; exit 2 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then # run as a command, not sourced
  set -euo pipefail
  cd "$(dirname "$0")/.."
  case "${1:-}" in
    prepare) [ "${2:-}" = wildfly ] && bench_prepare_wildfly ;;
    run) shift; bench_run_server "$@" ;;
    *) echo "usage: bench/server.sh prepare wildfly | run payara|wildfly PORT [ROOTDIR|BASE]" >&2; exit 2 ;;
  esac
fi
