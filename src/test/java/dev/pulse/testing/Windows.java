package dev.pulse.testing;

import java.util.List;

/** How bunched moments are: the restart tests count handshakes per 100 ms with it, in a browser and on a fake clock. */
public final class Windows {

    private Windows() {
    }

    /** The most of {@code times} (sorted or not) that fall in any window of {@code window} ms. */
    public static int busiest(List<Long> times, long window) {
        long[] sorted = times.stream().mapToLong(Long::longValue).sorted().toArray();
        int best = 0;
        for (int i = 0, j = 0; i < sorted.length; i++) {
            while (sorted[i] - sorted[j] >= window) {
                j++;
            }
            best = Math.max(best, i - j + 1);
        }
        return best;
    }
}
