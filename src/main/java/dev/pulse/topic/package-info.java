/** Topics: subscriptions, sequenced messages with bounded history, resume with gaps, fan-out, HTTP publish. */
package dev.pulse.topic;
