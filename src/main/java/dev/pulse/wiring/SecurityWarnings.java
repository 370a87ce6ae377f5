package dev.pulse.wiring;

import dev.pulse.config.AuthSettings;
import dev.pulse.config.PulseSettings;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/** The startup log's word on settings that leave the node less protected than it could be. */
final class SecurityWarnings {

    private SecurityWarnings() {
    }

    static void log(PulseSettings settings, Logger log) {
        var api = settings.guard().api();
        AuthSettings auth = settings.guard().auth();
        if (!api.keyed()) {
            log.log(Level.WARNING, "No API key is configured (pulse.api.monitor-keys, publish-keys, admin-keys): "
                    + "anybody who reaches /api may read it, publish and drain the node");
        }
        if (api.legacyKey()) {
            log.log(Level.WARNING, "pulse.api.key is deprecated: it is taken as an admin key; move it to "
                    + "pulse.api.admin-keys and give the monitor and publishers keys of their own");
        }
        if (auth.tokenQueryParam()) {
            log.log(Level.WARNING, "pulse.auth.token-query-param=true: tokens in ?token= end up in access logs; "
                    + "clients should send them as the subprotocol bearer.<token>");
        }
        if (!auth.keyed()) {
            log.log(Level.INFO, "No token key is configured: tokens are signed with a random key of this start "
                    + "and stop working when it stops (pulse.auth.token-keys)");
        }
    }
}
