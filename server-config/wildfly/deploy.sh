#!/usr/bin/env bash
# Deploys target/pulse.war to a WildFly 39 installation at context root / and starts it with standalone.xml
# (it has ejb3, websockets and MicroProfile Config; standalone-microprofile.xml lacks ejb3).
# Usage: JBOSS_HOME=/opt/wildfly server-config/wildfly/deploy.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${JBOSS_HOME:?set JBOSS_HOME to the WildFly directory}"
cp target/pulse.war "$JBOSS_HOME/standalone/deployments/ROOT.war"
# The welcome content of WildFly also claims /: switch it off so the WAR serves the root.
exec "$JBOSS_HOME/bin/standalone.sh" -c standalone.xml \
  -Djboss.bind.address=${PULSE_BIND:-127.0.0.1} -Djboss.http.port=${PULSE_PORT:-8080}
