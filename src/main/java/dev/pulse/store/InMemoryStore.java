package dev.pulse.store;

import dev.pulse.config.PulseSettings;
import dev.pulse.presence.control.InMemoryPresence;
import dev.pulse.presence.control.Presence;
import dev.pulse.presence.control.PresenceListener;
import dev.pulse.topic.control.InMemoryTopicStore;
import dev.pulse.topic.control.TopicStore;
import dev.pulse.topic.control.Topics;

/** One node, nothing shared: a restart starts every topic in a new epoch. */
public final class InMemoryStore implements Store {

    private final InMemoryTopicStore topics;
    private final InMemoryPresence presence;

    public InMemoryStore(PulseSettings settings, PresenceListener listener) {
        this.topics = new InMemoryTopicStore(settings.historySize(), settings.historyTtl());
        this.presence = new InMemoryPresence(settings.presenceGrace(), listener);
    }

    @Override
    public TopicStore topics() {
        return topics;
    }

    @Override
    public Presence presence() {
        return presence;
    }

    @Override
    public void start(Topics topics) {
        // publishes are delivered by Topics#publish itself
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public void close() {
    }
}
