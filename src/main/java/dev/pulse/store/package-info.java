/** Where topics and presence are kept: this node's memory, or Redis shared by several nodes. */
package dev.pulse.store;
