#!/usr/bin/env bash
# Starts target/pulse.war on Payara Micro at context root /; the same as `mvn -Prun package` without Maven.
# Configuration: PULSE_* environment variables (see README), PULSE_PORT for the HTTP port.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec java ${PULSE_JAVA_OPTS:--Xss512k} -jar target/payara-micro.jar --deploy target/pulse.war \
  --port "${PULSE_PORT:-8080}" --contextroot / --nocluster --nohazelcast
