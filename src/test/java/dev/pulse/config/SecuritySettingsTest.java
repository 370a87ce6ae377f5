package dev.pulse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Validation of the token and API key settings: secrets by bytes and entropy, algorithms, keys, origins. */
class SecuritySettingsTest {

    private static PulseSettings with(AuthSettings auth) {
        return PulseSettings.builder().guard(Guard.defaults().withAuth(auth)).build();
    }

    private static String problem(AuthSettings auth) {
        return assertThrows(InvalidSettingsException.class, () -> with(auth).validate()).getMessage();
    }

    @Test
    void secretsAreJudgedByTheirBytesAndEntropyNotTheirLength() {
        assertTrue(problem(AuthSettings.builder().secret("Zr8Qw3Nx6Tb1Ym4Kc7Vd2Hf5Jg9Ls0P").build())
                .contains("at least 32 bytes"), "31 bytes");
        assertTrue(problem(AuthSettings.builder().secret("a".repeat(64)).build()).contains("too predictable"));
        assertTrue(problem(AuthSettings.builder().secret("test-secret-test-secret-test-secret").build())
                .contains("too predictable"));
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        with(AuthSettings.builder().secret("base64:" + Base64.getEncoder().encodeToString(random)).build()).validate();
        with(AuthSettings.builder().secret("q7Vt2mZp9LxR4cWn8HsJ3dKf6GbY1eUa").build()).validate();
        assertTrue(problem(AuthSettings.builder().secret("base64:AAAA").build()).contains("at least 32 bytes"),
                "base64 of 3 bytes");
        assertTrue(problem(AuthSettings.builder().secret("base64:***").build()).contains("not valid base64"));
    }

    @Test
    void rotationKeysNeedIdsAndAlgorithmsMustBeKnown() {
        assertTrue(problem(AuthSettings.builder().hmacKeys(SecurityConfig.byKid("q7Vt2mZp9LxR4cWn8HsJ3dKf6GbY1eUa"))
                .build()).contains("<key id>=<secret>"));
        assertEquals(Map.of("new", "base64:abc=", "old", "x=y"), SecurityConfig.byKid(" new=base64:abc= , old=x=y"));
        assertTrue(problem(AuthSettings.builder().algorithms(Set.of("none")).build()).contains("pulse.auth.algorithms"));
        assertTrue(problem(AuthSettings.builder().algorithms(Set.of()).build()).contains("pulse.auth.algorithms"));
        assertTrue(problem(AuthSettings.builder().audience(" ").build()).contains("pulse.auth.audience"));
        assertTrue(problem(AuthSettings.builder().leeway(-1).build()).contains("pulse.auth.leeway"));
    }

    /** The deprecated pulse.api.key is one more admin key; lists are comma-separated. */
    @Test
    void theDeprecatedApiKeyIsAnAdminKey() {
        SecurityConfig config = new SecurityConfig();
        config.monitorKeys = java.util.Optional.of(" m-0123456789abcdef , m-fedcba9876543210 ");
        config.publishKeys = java.util.Optional.empty();
        config.adminKeys = java.util.Optional.of("a-0123456789abcdef");
        config.legacyKey = java.util.Optional.of("legacy-0123456789ab");
        config.corsOrigins = java.util.Optional.of("https://app.example.com");
        ApiSettings api = config.api();
        assertEquals(List.of("m-0123456789abcdef", "m-fedcba9876543210"), api.monitorKeys());
        assertEquals(List.of("a-0123456789abcdef", "legacy-0123456789ab"), api.adminKeys());
        assertTrue(api.legacyKey());
        assertEquals(Set.of("https://app.example.com"), api.corsOrigins());
        config.legacyKey = java.util.Optional.of("  ");
        assertEquals(List.of("a-0123456789abcdef"), config.api().adminKeys(), "blank: unset");
    }

    @Test
    void apiKeysMustBeLongAndCorsOriginsOrigins() {
        var shortKey = PulseSettings.builder().guard(Guard.defaults().withApi(ApiSettings.admin("k1"))).build();
        assertTrue(assertThrows(InvalidSettingsException.class, shortKey::validate).getMessage()
                .contains("at least 16 characters"));
        var badOrigin = PulseSettings.builder().guard(Guard.defaults().withApi(ApiSettings.open()
                .withCors(Set.of("app.example.com")))).build();
        assertTrue(assertThrows(InvalidSettingsException.class, badOrigin::validate).getMessage()
                .contains("pulse.api.cors-origins"));
        PulseSettings.builder().guard(Guard.defaults().withApi(new ApiSettings(List.of("m".repeat(16)), List.of(),
                List.of(), Set.of("https://app.example.com"), false))).validate();
    }
}
