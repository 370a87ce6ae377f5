/** @module pulse/errors */

/** An answer the server or the client gave instead of a result: `code` is the server's error code or a client one. */
export class PulseError extends Error {
    /**
     * @param {string} code e.g. `forbidden` from the server, or `timeout`, `connection_lost`, `not_connected`, `closed`
     * @param {string} message human text
     * @param {string|null} [ref] the request's id the server named in its error
     */
    constructor(code, message, ref = null) {
        super(message);
        this.name = 'PulseError';
        /** @type {string} */
        this.code = code;
        /** @type {string|null} */
        this.ref = ref;
    }
}
