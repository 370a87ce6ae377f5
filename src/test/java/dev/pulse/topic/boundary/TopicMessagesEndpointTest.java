package dev.pulse.topic.boundary;


import dev.pulse.config.PulseSettings;
import dev.pulse.testing.InProcessPulse;
import dev.pulse.testing.TestClient;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Topics over a real socket on Tyrus's in-process server. */
class TopicMessagesEndpointTest {

    @RegisterExtension
    static final InProcessPulse PULSE = new InProcessPulse()
            .settings(PulseSettings.builder().identityQueryParam(true).build());

    private static TestClient connect(String user) throws Exception {
        TestClient client = TestClient.connect(user == null ? PULSE.uri() : PULSE.uri("user=" + user));
        client.next("welcome");
        return client;
    }

    @Test
    void publishIsAckedAndDeliveredToSubscribersIncludingThePublisher() throws Exception {
        try (TestClient alice = connect("alice"); TestClient bob = connect("bob")) {
            alice.send("{\"type\":\"subscribe\",\"topic\":\"room.1\"}");
            assertEquals(0, alice.next("subscribed").getInt("seq"));
            bob.send("{\"type\":\"subscribe\",\"topic\":\"room.1\"}");
            bob.next("subscribed");
            bob.send("{\"type\":\"publish\",\"topic\":\"room.1\",\"data\":{\"text\":\"hi\"},\"id\":\"m1\"}");
            JsonObject delivered = alice.next("message");
            assertEquals(1, delivered.getInt("seq"));
            assertEquals("hi", delivered.getJsonObject("data").getString("text"));
            assertEquals("room.1", delivered.getString("topic"));
            JsonObject ownCopy = bob.next("message");
            assertEquals(1, ownCopy.getInt("seq"));
            JsonObject ack = bob.next("ack");
            assertEquals("m1", ack.getString("id"));
            assertEquals(1, ack.getInt("seq"));
        }
    }

    @Test
    void anotherUsersTopicAndServerOnlyTopicsAreForbidden() throws Exception {
        try (TestClient alice = connect("alice")) {
            alice.send("{\"type\":\"subscribe\",\"topic\":\"user:bob\",\"id\":\"s1\"}");
            JsonObject error = alice.next("error");
            assertEquals("forbidden", error.getString("code"));
            assertEquals("s1", error.getString("ref"));
            alice.send("{\"type\":\"subscribe\",\"topic\":\"user:alice\"}");
            assertEquals("user:alice", alice.next("subscribed").getString("topic"));
            alice.send("{\"type\":\"publish\",\"topic\":\"broadcast\",\"data\":1}");
            assertEquals("forbidden", alice.next("error").getString("code"));
            alice.send("{\"type\":\"publish\",\"topic\":\"user:alice\",\"data\":1}");
            assertEquals("forbidden", alice.next("error").getString("code"));
        }
    }

    @Test
    void invalidFieldsAreBadRequests() throws Exception {
        try (TestClient client = connect(null)) {
            String[] bad = {
                "{\"type\":\"subscribe\"}",
                "{\"type\":\"subscribe\",\"topic\":\"\"}",
                "{\"type\":\"subscribe\",\"topic\":\"" + "x".repeat(201) + "\"}",
                "{\"type\":\"subscribe\",\"topic\":\"has space\"}",
                "{\"type\":\"subscribe\",\"topic\":\"a\",\"since\":-1}",
                "{\"type\":\"subscribe\",\"topic\":\"a\",\"since\":1.5}",
                "{\"type\":\"subscribe\",\"topic\":\"a\",\"epoch\":7}",
                "{\"type\":\"subscribe\",\"topic\":\"a\",\"presence\":\"yes\"}",
                "{\"type\":\"publish\",\"topic\":\"a\"}",
                "{\"type\":\"publish\",\"topic\":\"a\",\"data\":1,\"id\":5}",
                "{\"type\":\"unsubscribe\",\"topic\":7}",
                "{\"type\":\"presence\"}",
            };
            for (String message : bad) {
                client.send(message);
                JsonObject error = client.next();
                assertEquals("error", error.getString("type"), message);
                assertEquals("bad_request", error.getString("code"), message);
            }
            assertTrue(client.session().isOpen());
            assertEquals((long) bad.length, PULSE.stats().errors().get("bad_request"));
        }
    }

    @Test
    void presenceQueryListsMembersWithConnections() throws Exception {
        try (TestClient a1 = connect("ann"); TestClient a2 = connect("ann"); TestClient viewer = connect(null)) {
            a1.send("{\"type\":\"subscribe\",\"topic\":\"lobby\"}");
            a1.next("subscribed");
            a2.send("{\"type\":\"subscribe\",\"topic\":\"lobby\"}");
            a2.next("subscribed");
            viewer.send("{\"type\":\"presence\",\"topic\":\"lobby\"}");
            JsonObject presence = viewer.next("presence");
            assertEquals(1, presence.getJsonArray("members").size());
            JsonObject ann = presence.getJsonArray("members").getJsonObject(0);
            assertEquals("ann", ann.getString("user"));
            assertEquals(2, ann.getInt("connections"));
            assertTrue(ann.getJsonNumber("since").longValue() > 0);
        }
    }

    @Test
    void resumeAfterReconnectReplaysWhatWasMissed() throws Exception {
        String epoch;
        try (TestClient reader = connect(null); TestClient writer = connect(null)) {
            reader.send("{\"type\":\"subscribe\",\"topic\":\"news\"}");
            epoch = reader.next("subscribed").getString("epoch");
            writer.send("{\"type\":\"publish\",\"topic\":\"news\",\"data\":1}");
            assertEquals(1, reader.next("message").getInt("seq"));
            reader.close();
            for (int i = 2; i <= 4; i++) {
                writer.send("{\"type\":\"publish\",\"topic\":\"news\",\"data\":" + i + "}");
                writer.next("ack");
            }
        }
        try (TestClient back = connect(null)) {
            back.send("{\"type\":\"subscribe\",\"topic\":\"news\",\"since\":1,\"epoch\":\"" + epoch + "\"}");
            assertEquals(4, back.next().getInt("seq"), "subscribed with the last seq");
            for (int seq = 2; seq <= 4; seq++) {
                JsonObject m = back.next();
                assertEquals("message", m.getString("type"));
                assertEquals(seq, m.getInt("seq"));
                assertEquals(seq, m.getInt("data"));
            }
        }
    }
}
