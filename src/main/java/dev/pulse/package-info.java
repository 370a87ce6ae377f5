/** Pulse: WebSocket connections that stay honest, for Jakarta EE. */
package dev.pulse;
