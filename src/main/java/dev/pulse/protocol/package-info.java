/** The wire contract: the JSON messages Pulse sends, built in one place. */
package dev.pulse.protocol;
