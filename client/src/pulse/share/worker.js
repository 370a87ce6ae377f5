/**
 * The shared worker that holds the socket of every tab sharing it (`share` where the browser has SharedWorker): an
 * ES module served beside `pulse.js`, started by the first tab with `new SharedWorker(url, {type: 'module', name})`,
 * where `name` names the socket (the URL and the `share` string). Its timers are not throttled as a hidden tab's are,
 * and no page lifecycle freezes it, so the socket's liveness is checked as in a visible page.
 *
 * @module pulse/share/worker
 */
import { Pulse } from '../../pulse.js';
import { WorkerHost } from './host.js';

const scope = /** @type {any} */ (globalThis);

const host = new WorkerHost({
    name: scope.name,
    locks: scope.navigator?.locks ?? null,
    clock: {
        now: () => Date.now(),
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (id) => clearTimeout(/** @type {any} */ (id)),
        setInterval: (fn, ms) => setInterval(fn, ms),
        clearInterval: (id) => clearInterval(/** @type {any} */ (id)),
    },
    // online/offline fire on the worker's global scope; there is no document, nor any page event
    makeCore: (url, options, tap) => Pulse.core(url, { ...options, window: scope, document: null }, tap),
});

scope.onconnect = (/** @type {{ports: any[]}} */ e) => host.connect(e.ports[0]);
