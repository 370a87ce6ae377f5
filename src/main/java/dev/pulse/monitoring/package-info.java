/** Monitoring: counters, round-trip percentiles, the /api/connections and /api/stats resources and health. */
package dev.pulse.monitoring;
