package dev.pulse.connection.control;


import dev.pulse.config.Guard;
import dev.pulse.config.PulseSettings;
import dev.pulse.connection.entity.Connection;
import dev.pulse.testing.FakeClock;
import dev.pulse.testing.FakePeer;
import dev.pulse.testing.LocalNode;
import dev.pulse.topic.control.Topics;
import jakarta.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thousands of random and mutated frames through the real dispatcher: none may throw, every answer is one of the
 * contract's messages, and a bystander session is never touched.
 */
class InboundFuzzTest {

    private static final String[] SEEDS = {
        "{\"type\":\"ping\",\"t\":1}",
        "{\"type\":\"subscribe\",\"topic\":\"room\",\"since\":3,\"epoch\":\"abc\",\"presence\":true}",
        "{\"type\":\"unsubscribe\",\"topic\":\"room\"}",
        "{\"type\":\"publish\",\"topic\":\"room\",\"data\":{\"a\":[1,2,{\"b\":null}]},\"id\":\"x\"}",
        "{\"type\":\"presence\",\"topic\":\"user:bob\"}",
        "{\"type\":\"publish\",\"topic\":\"broadcast\",\"data\":1}",
    };
    private static final String ALPHABET = "{}[]\":,0123456789.-+eE truefalsnl\\u00e9\u00ff\ud83d\ude00abc:_@type";
    private static final Set<String> ANSWERS = Set.of("pong", "subscribed", "unsubscribed", "message", "ack",
            "presence", "gap", "join", "leave", "error");
    private static final Set<String> CODES = Set.of("bad_json", "unknown_type", "bad_request", "forbidden",
            "rate_limited");

    @Test
    void randomAndMutatedFramesNeverThrowOrHarmOthers() {
        LocalNode node = new LocalNode(PulseSettings.builder().guard(Guard.defaults().withRate(1_000_000)).build());
        FakeClock clock = node.clock;
        SessionRegistry registry = node.registry;
        Topics topics = node.topics;
        InboundDispatcher dispatcher = node.dispatcher();
        FakePeer bystanderPeer = new FakePeer();
        Connection bystander = registry.open(bystanderPeer, "carol", null);
        topics.attach(bystander);
        FakePeer fuzzerPeer = new FakePeer();
        Connection fuzzer = registry.open(fuzzerPeer, "mallory", null);
        topics.attach(fuzzer);

        Random random = new Random(20261124);
        int frames = 5_000; // replays make the fuzzer peer collect millions of frames; 5k keeps this at a few seconds
        for (int i = 0; i < frames; i++) {
            String frame = switch (random.nextInt(4)) {
                case 0 -> randomText(random);
                case 1 -> mutate(SEEDS[random.nextInt(SEEDS.length)], random);
                case 2 -> splice(random);
                default -> SEEDS[random.nextInt(SEEDS.length)];
            };
            dispatcher.dispatch(fuzzer, frame);
            clock.advanceMillis(1);
        }
        assertTrue(registry.find(fuzzer.id()).isPresent(), "nothing in the fuzz closes the session");
        assertNull(fuzzerPeer.closeCode);
        for (JsonObject answer : fuzzerPeer.json()) {
            String type = answer.getString("type");
            assertTrue(ANSWERS.contains(type), answer.toString());
            if (type.equals("error")) {
                assertTrue(CODES.contains(answer.getString("code")), answer.toString());
                assertTrue(answer.containsKey("ref") && answer.containsKey("message"));
            }
        }
        assertNull(bystanderPeer.closeCode);
        assertTrue(bystanderPeer.json().stream().allMatch(m -> m.getString("type").equals("message")
                && m.getString("topic").equals("broadcast")) || bystanderPeer.texts.isEmpty(),
                "the bystander got nothing but what was meant for everybody");
        assertEquals(frames, node.stats.messagesIn.sum());
    }

    private static String randomText(Random random) {
        StringBuilder b = new StringBuilder();
        int length = random.nextInt(80);
        for (int i = 0; i < length; i++) {
            b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    private static String mutate(String seed, Random random) {
        StringBuilder b = new StringBuilder(seed);
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits && b.length() > 0; i++) {
            int at = random.nextInt(b.length());
            switch (random.nextInt(4)) {
                case 0 -> b.deleteCharAt(at);
                case 1 -> b.insert(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                case 2 -> b.setCharAt(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                default -> b.insert(at, b.substring(at, Math.min(b.length(), at + random.nextInt(10))));
            }
        }
        return b.toString();
    }

    private static String splice(Random random) {
        String[] values = {"null", "true", "1e400", "-0", "\"\"", "[]", "{}", "\"" + "x".repeat(300) + "\"",
            "9223372036854775808", "\"user:mallory\"", "\"room\"", "1.5", new String(new byte[] {(byte) 0xe2},
                    StandardCharsets.UTF_8)};
        String[] keys = {"type", "topic", "since", "epoch", "presence", "data", "id", "t"};
        StringBuilder b = new StringBuilder("{");
        int fields = random.nextInt(6);
        for (int i = 0; i < fields; i++) {
            if (i > 0) {
                b.append(',');
            }
            String key = keys[random.nextInt(keys.length)];
            String value = key.equals("type") && random.nextBoolean()
                    ? "\"" + new String[] {"subscribe", "publish", "unsubscribe", "presence", "ping"}[random.nextInt(5)]
                            + "\""
                    : values[random.nextInt(values.length)];
            b.append('"').append(key).append("\":").append(value);
        }
        return b.append('}').toString();
    }
}
