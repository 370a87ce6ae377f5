package dev.pulse.topic.boundary;

import dev.pulse.topic.control.Topics;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.enterprise.concurrent.ManagedExecutorService;

/** Gives the topics the container's managed threads for delivering to large topics (see Topics#publish). */
@Singleton
@Startup
public class ParallelFanOut {

    @Resource
    ManagedExecutorService executor;

    @PostConstruct
    void start() {
        Topics.shared().fanOutOn(executor);
    }

    @PreDestroy
    void stop() {
        Topics.shared().fanOutOn(null);
    }
}
