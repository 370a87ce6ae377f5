/** Topics and presence in Redis (Lettuce), shared by several nodes: scripts, the bus, node liveness. */
package dev.pulse.store.redis;
