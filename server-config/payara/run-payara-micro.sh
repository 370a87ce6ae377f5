#!/usr/bin/env bash
# Starts target/pulse.war on Payara Micro at context root /; the same as `mvn -Prun package` without Maven.
# Configuration: PULSE_* environment variables (see README), PULSE_PORT for the HTTP port; further arguments go to
# Payara Micro. Boot commands: pulse-tuning.asadmin here (PULSE_PREBOOT names another file; copy this one into it).
# --nohazelcast alone: Payara's data grid stays off (with --nocluster as well, 6.2025.10 starts Hazelcast on *:6900).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec java ${PULSE_JAVA_OPTS:--Xss512k} -jar target/payara-micro.jar --deploy target/pulse.war \
  --port "${PULSE_PORT:-8080}" --contextroot / --nohazelcast \
  --prebootcommandfile "${PULSE_PREBOOT:-server-config/payara/pulse-tuning.asadmin}" "$@"
