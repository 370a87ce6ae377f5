#!/usr/bin/env bash
# Deploys target/pulse.war to a WildFly 39 installation at context root / and starts it with standalone.xml
# (it has ejb3, websockets and MicroProfile Config; standalone-microprofile.xml lacks ejb3).
# Usage: JBOSS_HOME=/opt/wildfly server-config/wildfly/deploy.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${JBOSS_HOME:?set JBOSS_HOME to the WildFly directory}"
cp target/pulse.war "$JBOSS_HOME/standalone/deployments/ROOT.war"
# ROOT.war takes the context root / (checked on 39.0.1: it wins over WildFly's welcome content).
exec "$JBOSS_HOME/bin/standalone.sh" -c standalone.xml \
  -Djboss.bind.address="${PULSE_BIND:-127.0.0.1}" -Djboss.http.port="${PULSE_PORT:-8080}"
