/** Configuration: every MicroProfile Config key of Pulse, its default and its validation. */
package dev.pulse.config;
