package dev.pulse.store.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** One Lua script of this package, run by its SHA (EVALSHA) and sent whole only when Redis does not know it. */
final class Script {

    private final String source;
    private final String sha;
    private final ScriptOutputType output;

    private Script(String source, String sha, ScriptOutputType output) {
        this.source = source;
        this.sha = sha;
        this.output = output;
    }

    static Script load(String name, ScriptOutputType output) {
        try (InputStream in = Script.class.getResourceAsStream(name + ".lua")) {
            if (in == null) {
                throw new IllegalStateException("missing script " + name);
            }
            String source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Script(source, sha1(source), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    <T> T run(RedisClusterCommands<String, String> redis, String[] keys, String... args) {
        try {
            return redis.evalsha(sha, output, keys, args);
        } catch (RedisNoScriptException e) { // a restarted or failed-over Redis forgot it
            return redis.eval(source, output, keys, args);
        }
    }

    private static String sha1(String source) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-1")
                    .digest(source.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (byte b : digest) {
                hex.append(String.format("%02x", b));
            }
            return hex.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
