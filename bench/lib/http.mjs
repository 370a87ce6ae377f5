// One HTTP POST of a JSON body, answered with the status and the parsed body (never throws: a failure is a status).
import http from 'node:http';

/**
 * @returns {Promise<{status: number|string, body: any}>} status is the HTTP status, or the error's code
 *   (ECONNREFUSED, ECONNRESET, 'timeout', …) when no answer came
 */
export function post(agent, url, body, timeoutMs = 0) {
    return new Promise((resolve) => {
        let done = false;
        const finish = (r) => { if (!done) { done = true; resolve(r); } };
        const req = http.request(url, {
            method: 'POST', agent,
            headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                let parsed = null;
                try {
                    parsed = JSON.parse(Buffer.concat(chunks).toString());
                } catch {
                    parsed = null;
                }
                finish({ status: res.statusCode, body: parsed });
            });
            res.on('error', () => finish({ status: 'error', body: null }));
        });
        req.on('error', (e) => finish({ status: e.code ?? 'error', body: null }));
        if (timeoutMs > 0) {
            req.setTimeout(timeoutMs, () => { req.destroy(); finish({ status: 'timeout', body: null }); });
        }
        req.end(body);
    });
}
