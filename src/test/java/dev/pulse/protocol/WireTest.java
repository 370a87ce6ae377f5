package dev.pulse.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

class WireTest {

    private static final JsonArray MEMBERS = Wire.builders().createArrayBuilder()
            .add(Wire.builders().createObjectBuilder().add("user", "ann").add("since", 1).add("connections", 1))
            .build();

    @Test
    void presenceAnswerEchoesTheQuestionsId() {
        JsonObject answer = Wire.parse(Wire.presence("room.42", MEMBERS, "q7")).asJsonObject();
        assertEquals("presence", answer.getString("type"));
        assertEquals("q7", answer.getString("id"));
        assertEquals("room.42", answer.getString("topic"));
        assertEquals(MEMBERS, answer.getJsonArray("members"));
    }

    @Test
    void presenceAnswerWithoutIdHasNone() {
        JsonObject answer = Wire.parse(Wire.presence("room.42", MEMBERS, null)).asJsonObject();
        assertFalse(answer.containsKey("id"));
        assertEquals(MEMBERS, answer.getJsonArray("members"));
    }
}
