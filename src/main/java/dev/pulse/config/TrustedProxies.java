package dev.pulse.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The reverse proxies (addresses or CIDR ranges) whose {@code X-Forwarded-For} is believed, and who the client
 * behind them is. Only the entries those proxies appended count: the client may send any header it likes, so the
 * list is read from the right, past trusted hops, to the first address a trusted proxy saw connect to it.
 */
public final class TrustedProxies {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}(:\\d{1,3}(\\.\\d{1,3}){3})?");
    private static final TrustedProxies NONE = new TrustedProxies(List.of(), List.of(), List.of());

    private final List<byte[]> networks;
    private final List<Integer> prefixes;
    private final List<String> invalid;

    private TrustedProxies(List<byte[]> networks, List<Integer> prefixes, List<String> invalid) {
        this.networks = networks;
        this.prefixes = prefixes;
        this.invalid = invalid;
    }

    public static TrustedProxies none() {
        return NONE;
    }

    /** Comma-separated addresses and CIDR ranges; entries that are neither are kept for {@link #invalid()}. */
    public static TrustedProxies parse(String list) {
        if (list == null || list.isBlank()) {
            return NONE;
        }
        List<byte[]> networks = new ArrayList<>();
        List<Integer> prefixes = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (String raw : list.split(",")) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int slash = entry.indexOf('/');
            byte[] address = literal(slash < 0 ? entry : entry.substring(0, slash));
            int prefix = address == null ? -1 : address.length * 8;
            if (address != null && slash >= 0) {
                String bits = entry.substring(slash + 1);
                prefix = bits.matches("\\d{1,3}") ? Integer.parseInt(bits) : -1;
            }
            if (address == null || prefix < 0 || prefix > address.length * 8) {
                invalid.add(entry);
            } else {
                networks.add(address);
                prefixes.add(prefix);
            }
        }
        return new TrustedProxies(List.copyOf(networks), List.copyOf(prefixes), List.copyOf(invalid));
    }

    /** Entries that are neither an IP address nor a CIDR range (host names are not resolved). */
    public List<String> invalid() {
        return invalid;
    }

    public boolean isEmpty() {
        return networks.isEmpty();
    }

    public boolean trusts(String address) {
        byte[] bytes = literal(address);
        if (bytes == null) {
            return false;
        }
        for (int i = 0; i < networks.size(); i++) {
            if (within(bytes, networks.get(i), prefixes.get(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client's address behind trusted proxies, or null when {@code peer} (the address that connected) is not
     * one of them, there is no header, or the hop a trusted proxy reported is not an address: then the peer is
     * the client as far as anyone can tell.
     *
     * @param forwardedFor every {@code X-Forwarded-For} value, joined with commas in the order received
     */
    public String client(String peer, String forwardedFor) {
        if (forwardedFor == null || !trusts(peer)) {
            return null;
        }
        String[] hops = forwardedFor.split(",");
        String hop = null;
        for (int i = hops.length - 1; i >= 0; i--) {
            hop = hostOf(hops[i].trim());
            if (hop == null || literal(hop) == null) {
                return null;
            }
            if (!trusts(hop)) {
                return hop;
            }
        }
        return hop; // every hop a trusted proxy: the first of them is as close to the client as it gets
    }

    /** The address of an X-Forwarded-For hop, which some proxies write with a port ("a.b.c.d:p", "[v6]:p"). */
    private static String hostOf(String hop) {
        if (hop.startsWith("[")) {
            int end = hop.indexOf(']');
            return end > 1 ? hop.substring(1, end) : null;
        }
        int colon = hop.indexOf(':');
        return colon > 0 && hop.indexOf(':', colon + 1) < 0 ? hop.substring(0, colon) : hop;
    }

    /** The bytes of an IP literal; null for anything else (never a DNS lookup). */
    private static byte[] literal(String text) {
        if (text == null) {
            return null;
        }
        if (IPV4.matcher(text).matches()) {
            byte[] bytes = new byte[4];
            String[] parts = text.split("\\.");
            for (int i = 0; i < 4; i++) {
                int part = Integer.parseInt(parts[i]);
                if (part > 255) {
                    return null;
                }
                bytes[i] = (byte) part;
            }
            return bytes;
        }
        if (!IPV6.matcher(text).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(text).getAddress(); // with a colon it is parsed as IPv6, never looked up
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static boolean within(byte[] address, byte[] network, int prefix) {
        if (address.length != network.length) {
            return false;
        }
        int whole = prefix / 8;
        if (!Arrays.equals(address, 0, whole, network, 0, whole)) {
            return false;
        }
        int rest = prefix % 8;
        int mask = (0xff << (8 - rest)) & 0xff;
        return rest == 0 || (address[whole] & mask) == (network[whole] & mask);
    }

    @Override
    public String toString() {
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < networks.size(); i++) {
            try {
                entries.add(InetAddress.getByAddress(networks.get(i)).getHostAddress() + "/" + prefixes.get(i));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // lengths 4 and 16 only
            }
        }
        return String.join(",", entries);
    }
}
