package dev.pulse.identity.control;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.Key;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwx.JsonWebStructure;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.keys.resolvers.VerificationKeyResolver;
import org.jose4j.lang.UnresolvableKeyException;

/**
 * Finds the key a token's signature is checked with, among the configured keys and those of the JWK set file. The
 * file is read again when it changes (looked at no more than every few seconds), so an identity provider's new key
 * can be added beside the old one without a restart; a file that became unreadable keeps the keys last read.
 */
final class KeyResolver implements VerificationKeyResolver {

    static final long RECHECK_NANOS = 5_000_000_000L; // how stale the keys of a changed file may be
    private static final System.Logger LOG = System.getLogger(KeyResolver.class.getName());

    private final long recheckNanos;
    private final Set<String> algorithms;
    private final List<JsonWebKey> fixed;
    private final Path jwksFile;
    private volatile JwksVerificationKeyResolver current;
    private volatile FileTime readAt;
    private volatile long checkedAt = System.nanoTime();

    /** A token whose algorithm is not allowed: refused before a key is looked for. */
    static final class AlgorithmRefused extends UnresolvableKeyException {
        private static final long serialVersionUID = 1L;

        AlgorithmRefused(String alg) {
            super("algorithm " + alg + " is not allowed");
        }
    }

    /**
     * A token with a {@code crit} header: Pulse understands no extension, and RFC 7515 §4.1.11 forbids an empty
     * list, so any {@code crit} is refused (jose4j itself lets {@code []} through).
     */
    static final class CritRefused extends UnresolvableKeyException {
        private static final long serialVersionUID = 1L;

        CritRefused() {
            super("crit header");
        }
    }

    /** A token without {@code kid} that none of the keys of its type verifies. */
    static final class NoneVerified extends UnresolvableKeyException {
        private static final long serialVersionUID = 1L;

        NoneVerified(UnresolvableKeyException cause) {
            super("no key verifies the signature", cause);
        }
    }

    KeyResolver(List<JsonWebKey> fixed, Path jwksFile, Set<String> algorithms) {
        this(fixed, jwksFile, algorithms, RECHECK_NANOS);
    }

    KeyResolver(List<JsonWebKey> fixed, Path jwksFile, Set<String> algorithms, long recheckNanos) {
        this.recheckNanos = recheckNanos;
        this.algorithms = Set.copyOf(algorithms);
        this.fixed = List.copyOf(fixed);
        this.jwksFile = jwksFile;
        List<JsonWebKey> all = new ArrayList<>(fixed);
        if (jwksFile != null) {
            readAt = modified();
            all.addAll(TokenKeys.jwks(jwksFile));
        }
        current = resolver(all);
    }

    @Override
    public Key resolveKey(JsonWebSignature jws, List<JsonWebStructure> nesting) throws UnresolvableKeyException {
        if (!algorithms.contains(jws.getAlgorithmHeaderValue())) {
            throw new AlgorithmRefused(jws.getAlgorithmHeaderValue());
        }
        if (jws.getHeaders().getObjectHeaderValue("crit") != null) {
            throw new CritRefused();
        }
        if (jwksFile != null && System.nanoTime() - checkedAt >= recheckNanos) {
            reload();
        }
        try {
            return current.resolveKey(jws, nesting);
        } catch (UnresolvableKeyException e) {
            if (jws.getKeyIdHeaderValue() == null) {
                throw new NoneVerified(e); // every key of the type was tried: the signature is what is wrong
            }
            throw e;
        }
    }

    private synchronized void reload() {
        checkedAt = System.nanoTime();
        FileTime modified = modified();
        if (modified == null || modified.equals(readAt)) {
            return;
        }
        try {
            List<JsonWebKey> all = new ArrayList<>(fixed);
            all.addAll(TokenKeys.jwks(jwksFile));
            current = resolver(all);
            readAt = modified;
            LOG.log(System.Logger.Level.INFO, () -> "Read the keys of " + jwksFile + " again: " + all.size()
                    + " keys in all");
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, () -> "Kept the keys last read from " + jwksFile + ": " + e);
        }
    }

    private FileTime modified() {
        try {
            return Files.getLastModifiedTime(jwksFile);
        } catch (IOException e) {
            return null;
        }
    }

    private static JwksVerificationKeyResolver resolver(List<JsonWebKey> keys) {
        JwksVerificationKeyResolver resolver = new JwksVerificationKeyResolver(keys);
        resolver.setDisambiguateWithVerifySignature(true); // no kid and several keys: the one that verifies
        return resolver;
    }
}
