/** Heartbeat: Ping frames on a fixed tick, round-trip times from Pongs, eviction of silent peers. */
package dev.pulse.heartbeat;
