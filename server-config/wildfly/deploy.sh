#!/usr/bin/env bash
# Deploys target/pulse.war to a WildFly 39 installation at context root / and starts it with standalone.xml
# (it has ejb3, websockets and MicroProfile Config; standalone-microprofile.xml lacks ejb3).
# Usage: JBOSS_HOME=/opt/wildfly server-config/wildfly/deploy.sh [standalone.sh options, e.g. -P node.properties -Dpulse.node.id=node-a]
# For many connections also set JAVA_OPTS (bench/README.md), e.g. "-Xmx2g -XX:+UseSerialGC -Xmn64m -Xss512k".
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${JBOSS_HOME:?set JBOSS_HOME to the WildFly directory}"
cp target/pulse.war "$JBOSS_HOME/standalone/deployments/ROOT.war"
# WebSocket handlers on the I/O threads (see pulse-tuning.cli); PULSE_WILDFLY_TUNING=false leaves the config alone
if [ "${PULSE_WILDFLY_TUNING:-true}" = true ]; then
  "$JBOSS_HOME/bin/jboss-cli.sh" --file=server-config/wildfly/pulse-tuning.cli >/dev/null
fi
# ROOT.war takes the context root / (checked on 39.0.1: it wins over WildFly's welcome content).
exec "$JBOSS_HOME/bin/standalone.sh" -c standalone.xml \
  -Djboss.bind.address="${PULSE_BIND:-127.0.0.1}" -Djboss.http.port="${PULSE_PORT:-8080}" "$@"
