package dev.pulse.protocol;

import java.util.regex.Pattern;

/** The contract's rule for user names, everywhere one is read: 1-64 characters of {@code [A-Za-z0-9._@-]}. */
public final class UserNames {

    public static final String RULE = "1-64 characters of [A-Za-z0-9._@-]";
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

    private UserNames() {
    }

    public static boolean valid(String user) {
        return user != null && USER.matcher(user).matches();
    }
}
