/**
 * The bus between the tabs that share one socket: a BroadcastChannel that also hands every message to its own tab,
 * so that the leader's tab and its hub speak to each other exactly as the other tabs do (and in the same order).
 *
 * @module pulse/share/channel
 */

/**
 * @typedef {{k: string, [key: string]: any}} Envelope one message between tabs; `k` names its kind
 */

export class Channel {
    /** @type {any} */
    #channel;
    #open = true;

    /**
     * @param {any} BroadcastChannel the class (the global one, or a fake in tests)
     * @param {string} name tabs with the same name (and origin) share a socket
     * @param {(message: Envelope) => void} receive every message, from other tabs and from this one
     */
    constructor(BroadcastChannel, name, receive) {
        this.#channel = new BroadcastChannel(name);
        this.#channel.onmessage = (/** @type {{data: Envelope}} */ e) => this.#open && receive(e.data);
        this.receive = receive;
    }

    /**
     * Sends to every tab, this one included (after the current task's microtasks, as the others get it later).
     *
     * @param {Envelope} message structured-cloneable
     */
    post(message) {
        if (!this.#open) {
            return;
        }
        try {
            this.#channel.postMessage(message);
        } catch (e) {
            // a message that cannot be cloned would be a bug of ours; this tab still gets it
            (globalThis.reportError ?? console.error)(e);
        }
        queueMicrotask(() => this.#open && this.receive(message));
    }

    close() {
        this.#open = false;
        this.#channel.onmessage = null;
        this.#channel.close();
    }
}
