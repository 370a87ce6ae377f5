/**
 * The start page: one Pulse connection, its round-trip times, and the server's /api/stats.
 * Everything from the network is rendered with textContent, never parsed as HTML.
 */
import { Pulse } from './pulse.js';

const RTT_SAMPLES = 20; // round trips kept for the sparkline
const STATS_EVERY_MS = 2_000; // /api/stats poll period
const LOG_LINES = 12; // events kept in the log
const SVG = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
const rtts = [];

/** @returns {string} ms with a precision that suits its size */
function ms(value) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
        return '–';
    }
    return value < 100 ? value.toFixed(1) : Math.round(value).toString(); // browsers round performance.now() to 0.1 ms or coarser
}

function duration(value) {
    return value >= 1000 && value % 1000 === 0 ? `${value / 1000} s` : `${value} ms`;
}

function text(id, value) {
    $(id).textContent = value;
}

function count(value) {
    return typeof value === 'number' ? value.toLocaleString() : '–';
}

function log(line) {
    const list = $('log');
    const item = document.createElement('li');
    const time = document.createElement('time');
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString();
    item.append(time, document.createTextNode(` ${line}`));
    list.prepend(item);
    while (list.children.length > LOG_LINES) {
        list.lastElementChild.remove();
    }
}

/** What a close code means, for a close without a reason (the browser's own 1006 never has one). */
const CLOSE_CODES = {
    1000: 'normal',
    1001: 'server shutting down',
    1003: 'binary not accepted',
    1006: 'connection lost',
    1008: 'policy',
    1009: 'too large',
    1011: 'server error',
    1012: 'service restart',
    4000: 'heartbeat timeout',
    4001: 'unauthenticated',
    4003: 'forbidden',
};

function showState({ state, code, reason, delay }) {
    const badge = $('badge');
    badge.dataset.state = state;
    badge.textContent = code === null ? state : `${state} · ${code}`;
    const why = [code === null ? '' : `code ${code}`, reason || CLOSE_CODES[code]].filter(Boolean).join(': ');
    const next = delay === null ? '' : `retry in ${(delay / 1000).toFixed(1)} s`;
    text('state-detail', [state, why, next].filter(Boolean).join(' — '));
    if (state !== 'open') {
        text('session', '–');
    }
    log([state, why, next].filter(Boolean).join(', '));
}

function showWelcome(welcome) {
    text('session', String(welcome.session));
    text('user', welcome.user === null ? 'anonymous' : String(welcome.user));
    text('hb-interval', duration(welcome.heartbeat.interval));
    text('hb-timeout', duration(welcome.heartbeat.timeout));
    log(`welcome: session ${welcome.session}`);
}

function showRtt({ rtt, time }) {
    rtts.push(rtt);
    if (rtts.length > RTT_SAMPLES) {
        rtts.shift();
    }
    text('rtt-last', ms(rtt));
    text('rtt-min', ms(Math.min(...rtts)));
    text('rtt-max', ms(Math.max(...rtts)));
    text('rtt-avg', ms(rtts.reduce((a, b) => a + b, 0) / rtts.length));
    text('rtt-count', String(rtts.length));
    if (time !== null) {
        // the server stamped its pong about half a round trip ago
        text('clock-offset', `${ms(time - (Date.now() - rtt / 2))} ms`);
    }
    drawSparkline();
}

/** Redraws the sparkline of the last round trips, scaled from 0 to the largest one shown. */
function drawSparkline() {
    const svg = $('spark');
    const width = 200;
    const height = 48;
    const pad = 4;
    const top = Math.max(...rtts) || 1;
    const x = (i) => (RTT_SAMPLES === 1 ? 0 : (i * width) / (RTT_SAMPLES - 1));
    const y = (v) => height - pad - (v / top) * (height - 2 * pad);
    const points = rtts.map((v, i) => `${x(i + RTT_SAMPLES - rtts.length).toFixed(1)},${y(v).toFixed(1)}`);

    const area = document.createElementNS(SVG, 'polygon');
    area.setAttribute('class', 'spark-area');
    const first = x(RTT_SAMPLES - rtts.length).toFixed(1);
    area.setAttribute('points', `${first},${height} ${points.join(' ')} ${width},${height}`);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('class', 'spark-line');
    line.setAttribute('points', points.join(' '));
    svg.replaceChildren(area, line);
    svg.setAttribute('aria-label', `last ${rtts.length} round trips: ${rtts.map(ms).join(', ')} ms`);
}

function showStats(stats) {
    text('st-connections', count(stats.connections));
    text('st-pings', count(stats.pingsSent));
    text('st-pongs', count(stats.pongsReceived));
    const rtt = stats.rttMs ?? {};
    text('st-p50', rtt.p50 == null ? '–' : `${ms(rtt.p50)} ms`);
    text('st-p99', rtt.p99 == null ? '–' : `${ms(rtt.p99)} ms`);
    text('st-max', rtt.max == null ? '–' : `${ms(rtt.max)} ms`);
    const evictions = stats.evictions && typeof stats.evictions === 'object' ? stats.evictions : {};
    const reasons = Object.entries(evictions).filter(([, n]) => typeof n === 'number');
    text('st-evictions', count(reasons.reduce((sum, [, n]) => sum + n, 0)));
    text('st-evictions-detail', reasons.length === 0 ? '' : `Evictions by reason: ${reasons.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    text('stats-age', `· updated ${new Date().toLocaleTimeString()}`);
}

let statsTimer = null;
let polling = false;

/** Polls /api/stats (relative, so any context root works); a hidden tab stops polling until it is seen again. */
async function pollStats() {
    if (polling || document.hidden) {
        return;
    }
    polling = true;
    clearTimeout(statsTimer);
    try {
        const response = await fetch('api/stats', { cache: 'no-store', headers: { Accept: 'application/json' } });
        if (!response.ok) {
            throw new Error(`HTTP ${response.status}`);
        }
        showStats(await response.json());
    } catch (e) {
        text('stats-age', `· unavailable (${e.message})`);
    } finally {
        polling = false;
    }
    statsTimer = setTimeout(pollStats, STATS_EVERY_MS);
}

const pulse = Pulse.connect();
text('url', pulse.url);
pulse.on('state', showState);
pulse.on('welcome', showWelcome);
pulse.on('rtt', showRtt);
pulse.on('message', (message) => log(`message: ${message.type}`));
pulse.on('error', ({ code, message }) => log(`error${code ? ` ${code}` : ''}: ${message}`));

document.addEventListener('visibilitychange', pollStats);
pollStats();
