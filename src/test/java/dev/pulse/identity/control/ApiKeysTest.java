package dev.pulse.identity.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pulse.config.ApiSettings;
import dev.pulse.identity.entity.Role;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Keys by role, several per role, and which role each API call needs. */
class ApiKeysTest {

    private final ApiKeys keys = new ApiKeys(new ApiSettings(List.of("monitor-key-000001"),
            List.of("publish-key-00001", "publish-key-00002"), List.of("admin-key-0000001"), Set.of(), false));

    @Test
    void eachKeyHasItsRoleAndRotatedKeysWorkSideBySide() {
        assertEquals(Role.MONITOR, keys.role("monitor-key-000001"));
        assertEquals(Role.PUBLISH, keys.role("publish-key-00001"));
        assertEquals(Role.PUBLISH, keys.role("publish-key-00002"));
        assertEquals(Role.ADMIN, keys.role("admin-key-0000001"));
        assertNull(keys.role("admin-key-000000"), "a prefix is no key");
        assertNull(keys.role("admin-key-00000012"));
        assertNull(keys.role(""));
        assertNull(keys.role(null));
        assertTrue(keys.hasAdmin());
        assertFalse(keys.open());
        assertTrue(new ApiKeys(ApiSettings.open()).open());
        assertFalse(new ApiKeys(new ApiSettings(List.of("monitor-key-000001"), List.of(), List.of(), Set.of(), false))
                .hasAdmin(), "minting needs an admin key");
    }

    @Test
    void rolesIncludeTheSmallerOnes() {
        assertTrue(Role.ADMIN.includes(Role.PUBLISH) && Role.ADMIN.includes(Role.MONITOR));
        assertTrue(Role.PUBLISH.includes(Role.MONITOR));
        assertFalse(Role.MONITOR.includes(Role.PUBLISH));
        assertFalse(Role.PUBLISH.includes(Role.ADMIN));
    }

    @Test
    void readsNeedMonitorPublishingNeedsPublishEverythingElseAdmin() {
        assertEquals(Role.MONITOR, ApiRules.required("GET", "stats"));
        assertEquals(Role.MONITOR, ApiRules.required("GET", "/connections"));
        assertEquals(Role.MONITOR, ApiRules.required("GET", "topics/room.1/presence"));
        assertEquals(Role.PUBLISH, ApiRules.required("POST", "broadcast"));
        assertEquals(Role.PUBLISH, ApiRules.required("POST", "/topics/room.1/messages"));
        assertEquals(Role.PUBLISH, ApiRules.required("POST", "users/alice/messages"));
        assertEquals(Role.ADMIN, ApiRules.required("POST", "tokens"));
        assertEquals(Role.ADMIN, ApiRules.required("POST", "drain"));
        assertEquals(Role.ADMIN, ApiRules.required("POST", "stats"), "an unknown call needs the most");
        assertEquals(Role.ADMIN, ApiRules.required("DELETE", "topics/room.1/messages"));
        assertEquals(Role.ADMIN, ApiRules.required("GET", "topics/a/b/presence"));
    }

    @Test
    void onlyJsonBodiesAreAccepted() {
        assertTrue(ApiRules.json("application/json"));
        assertTrue(ApiRules.json("Application/JSON; charset=utf-8"));
        for (String formable : new String[] {null, "", "text/plain", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "application/jsonp", "text/json"}) {
            assertFalse(ApiRules.json(formable), formable);
        }
    }
}
