/** The composition root: every part of a node built once, in one place, and handed out by CDI. */
package dev.pulse.wiring;
