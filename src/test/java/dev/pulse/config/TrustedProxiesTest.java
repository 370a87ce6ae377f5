package dev.pulse.config;


import java.util.List;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrustedProxiesTest {

    private static final TrustedProxies LOCAL_AND_LAN = TrustedProxies.parse("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8");

    @Test
    void addressesAndRangesOfBothFamilies() {
        assertTrue(LOCAL_AND_LAN.trusts("127.0.0.1"));
        assertFalse(LOCAL_AND_LAN.trusts("127.0.0.2"));
        assertTrue(LOCAL_AND_LAN.trusts("10.200.3.4"));
        assertFalse(LOCAL_AND_LAN.trusts("11.0.0.1"));
        assertTrue(LOCAL_AND_LAN.trusts("0:0:0:0:0:0:0:1"), "::1 as servlets write it");
        assertTrue(LOCAL_AND_LAN.trusts("fd12:3456::7"));
        assertFalse(LOCAL_AND_LAN.trusts("fe80::1"));
        assertFalse(LOCAL_AND_LAN.trusts("unknown"));
        assertTrue(TrustedProxies.parse("192.168.4.0/22").trusts("192.168.7.255"), "prefix not on a byte boundary");
        assertFalse(TrustedProxies.parse("192.168.4.0/22").trusts("192.168.8.0"));
        assertTrue(TrustedProxies.parse("0.0.0.0/0").trusts("8.8.8.8"));
    }

    @Test
    void namesWhatIsNeitherAnAddressNorARangeAndNeverLooksUpHostNames() {
        TrustedProxies parsed = TrustedProxies.parse("127.0.0.1, proxy.internal, 300.1.1.1, 10.0.0.0/33, 10.0.0.0/x, ");
        assertEquals(List.of("proxy.internal", "300.1.1.1", "10.0.0.0/33", "10.0.0.0/x"), parsed.invalid());
        assertTrue(parsed.trusts("127.0.0.1"), "the valid entries still count");
        assertTrue(TrustedProxies.parse(null).isEmpty());
        assertTrue(TrustedProxies.parse(" ").isEmpty());

        var e = assertThrows(InvalidSettingsException.class, () -> PulseSettings.builder()
                .guard(Guard.defaults().withProxies(TrustedProxies.parse("nginx"))).validate());
        assertTrue(e.getMessage().contains("pulse.proxies") && e.getMessage().contains("nginx"), e.getMessage());
    }

    @Test
    void theClientIsTheFirstHopFromTheRightThatNoTrustedProxyIs() {
        assertEquals("203.0.113.9", LOCAL_AND_LAN.client("127.0.0.1", "203.0.113.9"));
        // the client wrote a header of its own: nginx appended what it saw, which is what counts
        assertEquals("203.0.113.9", LOCAL_AND_LAN.client("127.0.0.1", "198.51.100.1, 203.0.113.9"));
        // two proxies of ours: skip the inner one
        assertEquals("203.0.113.9", LOCAL_AND_LAN.client("127.0.0.1", "1.1.1.1,203.0.113.9, 10.1.1.1"));
        assertEquals("2001:db8::5", LOCAL_AND_LAN.client("::1", "2001:db8::5"));
        assertEquals("203.0.113.9", LOCAL_AND_LAN.client("127.0.0.1", "203.0.113.9:5123"), "hop with a port");
        assertEquals("2001:db8::5", LOCAL_AND_LAN.client("127.0.0.1", "[2001:db8::5]:443"));
        assertEquals("10.0.0.7", LOCAL_AND_LAN.client("127.0.0.1", "10.0.0.7, 10.0.0.8"), "only proxies: the first");
    }

    @Test
    void anUntrustedPeerOrAHopThatIsNoAddressLeavesThePeerAsTheClient() {
        assertNull(LOCAL_AND_LAN.client("203.0.113.50", "198.51.100.1"), "anyone can send the header");
        assertNull(LOCAL_AND_LAN.client("127.0.0.1", null));
        assertNull(LOCAL_AND_LAN.client("127.0.0.1", "unknown"));
        assertNull(LOCAL_AND_LAN.client("127.0.0.1", "203.0.113.9, evil.example"));
        assertNull(TrustedProxies.none().client("127.0.0.1", "203.0.113.9"));
    }
}
