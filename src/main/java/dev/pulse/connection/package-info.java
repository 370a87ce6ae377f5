/** Connections: the WebSocket endpoint and the one registry of open sessions that everything else shares. */
package dev.pulse.connection;
