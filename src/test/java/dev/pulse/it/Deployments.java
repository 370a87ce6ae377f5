package dev.pulse.it;

import java.io.File;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/** The archive every integration test deploys: the WAR that `mvn package` built, unchanged. */
final class Deployments {

    static final String WAR = "pulse.war";
    /** The context root both servers give a WAR named {@value #WAR}. */
    static final String CONTEXT_ROOT = "/pulse/";

    private Deployments() {
    }

    static WebArchive pulse() {
        return pulse(WAR);
    }

    /** The built WAR under another archive name, which both servers take as the context root. */
    static WebArchive pulse(String archiveName) {
        File war = new File("target/" + WAR);
        if (!war.isFile()) {
            throw new IllegalStateException(war.getAbsolutePath() + " is missing: run `mvn verify`, not the ITs alone");
        }
        return ShrinkWrap.create(ZipImporter.class, archiveName).importFrom(war).as(WebArchive.class);
    }
}
