package dev.pulse.cluster;

import java.net.URI;

/** A node as the cross-node checks see it, whichever kind; {@link #tag} (the id's last letter) names its peers. */
record NodeView(String id, String kind, URI http, URI ws) {

    static NodeView of(NodeProcess node, String kind) {
        return new NodeView(node.id, kind, node.http, node.ws);
    }

    String tag() {
        return id.substring(id.length() - 1);
    }

    @Override
    public String toString() {
        return id + " (" + kind + ")";
    }
}
