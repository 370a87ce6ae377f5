/**
 * The monitor at /monitor.html: polls /api/stats and /api/connections every second and draws what an operator
 * needs at a glance — open connections, round trips, heartbeat traffic and evictions. Rendered with textContent
 * and SVG elements only; nothing from the API is parsed as HTML.
 */

import { $, el, text } from './dom.js';

const POLL_EVERY_MS = 1_000; // how often both endpoints are read
const WINDOW_MS = 120_000; // what the time charts show
const HISTORY = 150; // samples kept (a little more than the window at one a second)
const MAX_ROWS = 500; // connections listed; the count above the table is always the full one
const KEY_STORE = 'pulse.monitor.key'; // sessionStorage, as long as the tab: a read-only monitor key, never one that publishes
const SVG = 'http://www.w3.org/2000/svg';
const RTT_BINS = [1, 2, 5, 10, 20, 50, 100, 200, 500]; // upper edges in ms; one more bin for anything above
const EVICTION_COLORS = { heartbeat: 'var(--bad)', queue: 'var(--warn)', error: 'var(--accent)' };

const history = []; // {at, pings, pongs, evictions: {reason: perSecond}, p50, p99}
let previous = null; // the last stats, for per-second deltas
let key = sessionStorage.getItem(KEY_STORE);
let timer = null;


function svg(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) {
        node.setAttribute(name, String(value));
    }
    return node;
}

function num(value) {
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function count(value) {
    return num(value) === null ? '–' : value.toLocaleString();
}

function ms(value) {
    if (num(value) === null) {
        return '–';
    }
    return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toString();
}

function rate(value) {
    return num(value) === null ? '–' : value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString();
}

/** "3 s ago", "4 min ago": how old an epoch-ms time is, by this browser's clock. */
function ago(epochMs, now) {
    if (num(epochMs) === null) {
        return '–';
    }
    const s = Math.max(0, (now - epochMs) / 1000);
    if (s < 10) {
        return `${s.toFixed(1)} s ago`;
    }
    if (s < 120) {
        return `${Math.round(s)} s ago`;
    }
    if (s < 7200) {
        return `${Math.round(s / 60)} min ago`;
    }
    return `${Math.round(s / 3600)} h ago`;
}

function sum(object) {
    return Object.values(object ?? {}).reduce((total, n) => total + (num(n) ?? 0), 0);
}

// ---- polling -------------------------------------------------------------------------------------------------

class HttpError extends Error {
    constructor(status) {
        super(`HTTP ${status}`);
        this.status = status;
    }
}

async function getJson(path) {
    const headers = { Accept: 'application/json' };
    if (key) {
        headers.Authorization = `Bearer ${key}`;
    }
    const response = await fetch(path, { cache: 'no-store', headers });
    if (!response.ok) {
        throw new HttpError(response.status);
    }
    return response.json();
}

async function poll() {
    clearTimeout(timer);
    try {
        const [stats, connections] = await Promise.all([getJson('api/stats'), getJson('api/connections')]);
        $('key-card').hidden = true;
        render(stats, Array.isArray(connections) ? connections : []);
        setStatus('open', 'live', `updated ${new Date().toLocaleTimeString()}`);
    } catch (e) {
        if (e.status === 401 || e.status === 403) {
            $('key-card').hidden = false;
            text('key-note', e.status === 401
                ? 'The API answered 401: it is protected. Enter a monitor key (pulse.api.monitor-keys): it can only read. It is kept in this tab only and sent as Authorization: Bearer.'
                : 'The API refused this key (403). Use a key of pulse.api.monitor-keys.');
            setStatus('closed', e.status === 401 ? 'monitor key required' : 'key refused', '');
        } else {
            setStatus('reconnecting', 'unavailable', e.message);
        }
    } finally {
        timer = setTimeout(poll, POLL_EVERY_MS);
    }
}

function setStatus(state, label, extra) {
    $('status').dataset.state = state;
    text('status-text', label);
    text('status-extra', extra);
    $('status-extra').hidden = extra === '';
}

// ---- rendering -----------------------------------------------------------------------------------------------

function render(stats, connections) {
    const now = Date.now();
    const at = num(stats.time) ?? now;
    const sample = { at, pings: null, pongs: null, in: null, out: null, evictions: {}, p50: num(stats.rttMs?.p50), p99: num(stats.rttMs?.p99) };
    if (previous && at > previous.time) {
        const seconds = (at - previous.time) / 1000;
        const perSecond = (a, b) => (num(a) !== null && num(b) !== null && a >= b ? (a - b) / seconds : null);
        sample.pings = perSecond(stats.pingsSent, previous.pingsSent);
        sample.pongs = perSecond(stats.pongsReceived, previous.pongsReceived);
        sample.in = perSecond(stats.messagesIn, previous.messagesIn);
        sample.out = perSecond(stats.messagesOut, previous.messagesOut);
        for (const [reason, n] of Object.entries(stats.evictions ?? {})) {
            const delta = (num(n) ?? 0) - (num(previous.evictions?.[reason]) ?? 0);
            if (delta > 0) {
                sample.evictions[reason] = delta;
            }
        }
    }
    if (!previous || at > previous.time) {
        history.push(sample);
        if (history.length > HISTORY) {
            history.shift();
        }
    }
    previous = { ...stats, time: at };

    text('t-connections', count(stats.connections));
    text('t-opened', count(stats.opened));
    text('t-pings', rate(sample.pings));
    text('t-pongs', rate(sample.pongs));
    text('t-in', rate(sample.in));
    text('t-out', rate(sample.out));
    text('t-p50', stats.rttMs?.p50 == null ? '–' : `${ms(stats.rttMs.p50)} ms`);
    text('t-p99', stats.rttMs?.p99 == null ? '–' : `${ms(stats.rttMs.p99)} ms`);
    text('t-max', stats.rttMs?.max == null ? '–' : `${ms(stats.rttMs.max)} ms`);
    text('t-evictions', count(sum(stats.evictions)));
    text('t-abrupt', count(stats.disconnects?.abrupt)); // peers gone without a closing handshake: not the server's doing
    text('t-lingering', count(stats.lingering));
    text('t-errors', count(sum(stats.errors)));
    const hb = stats.heartbeat;
    text('heartbeat-note', hb && num(hb.interval) !== null
        ? `Heartbeat: a Ping every ${hb.interval} ms; evicted after ${hb.timeout} ms without an answer. `
          + `Timer ticks ${count(hb.ticks)}, skipped ${count(hb.ticksSkipped)}.`
          + (Object.keys(stats.errors ?? {}).length ? ` Errors: ${Object.entries(stats.errors).map(([k, n]) => `${k} ${n}`).join(', ')}.` : '')
        : '');
    text('p-window', num(stats.rttMs?.windowMs) === null ? '' : `· over ${Math.round(stats.rttMs.windowMs / 1000)} s`);
    text('age', `· server time ${new Date(at).toLocaleTimeString()}`);

    drawRates();
    drawEvictions(stats.evictions ?? {});
    drawHistogram(connections);
    drawPercentiles();
    renderConnections(connections, now, hb);
}

/** x of a sample in a chart {@code width} wide whose right edge is the newest sample and left edge WINDOW_MS before. */
function timeX(at, width) {
    const newest = history.at(-1)?.at ?? at;
    return width - ((newest - at) / WINDOW_MS) * width;
}

/**
 * Line chart of several series over the window, scaled from 0 to the largest value shown; a dot marks each sample,
 * so that the first seconds after opening the page show something. Returns the scale's top.
 */
function lineChart(target, series, height) {
    const width = 400;
    const pad = 8;
    const shown = history.filter((h) => timeX(h.at, width) >= 0);
    const values = series.flatMap((s) => shown.map((h) => s.value(h))).filter((v) => v !== null);
    const top = Math.max(1, ...values) * 1.1;
    const y = (v) => height - pad - (v / top) * (height - 2 * pad);
    const nodes = [
        svg('line', { x1: 0, x2: width, y1: height - pad, y2: height - pad, class: 'axis' }),
        svg('line', { x1: 0, x2: width, y1: y(top / 2), y2: y(top / 2), class: 'grid' }),
    ];
    for (const s of series) {
        const points = shown.map((h) => [timeX(h.at, width), s.value(h)]).filter(([, v]) => v !== null)
            .map(([x, v]) => `${x.toFixed(1)},${y(v).toFixed(1)}`);
        if (points.length > 1) {
            nodes.push(svg('polyline', { points: points.join(' '), class: `chart-line ${s.className}` }));
        }
        if (points.length > 0) {
            // zero-length segments with round caps: dots that stay round in a chart stretched to any width
            nodes.push(svg('path', { d: points.map((p) => `M${p}h0`).join(''), class: `chart-dots ${s.className}` }));
        }
    }
    target.replaceChildren(...nodes);
    return top / 1.1;
}

function scale(top, unit) {
    return `scale 0–${top < 10 ? top.toFixed(1) : Math.round(top).toLocaleString()}${unit}`;
}

function drawRates() {
    const chart = $('rate-chart');
    const top = lineChart(chart, [
        { value: (h) => h.pings, className: 'series-pings' },
        { value: (h) => h.pongs, className: 'series-pongs' },
    ], 140);
    text('rate-scale', scale(top, '/s'));
    const last = history.at(-1);
    chart.setAttribute('aria-label', `pings ${rate(last?.pings)} per second, pongs ${rate(last?.pongs)} per second`);
}

function drawPercentiles() {
    const chart = $('p-chart');
    const top = lineChart(chart, [
        { value: (h) => h.p50, className: 'series-p50' },
        { value: (h) => h.p99, className: 'series-p99' },
    ], 160);
    text('p-scale', scale(top, ' ms'));
    const last = history.at(-1);
    chart.setAttribute('aria-label', `RTT p50 ${ms(last?.p50)} ms, p99 ${ms(last?.p99)} ms`);
}

/** Stacked bars: evictions per sample by reason, and a legend with the totals since the server started. */
function drawEvictions(totals) {
    const chart = $('ev-chart');
    const width = 400;
    const height = 140;
    const pad = 6;
    const reasons = [...new Set([...Object.keys(totals), ...history.flatMap((h) => Object.keys(h.evictions))])];
    const top = Math.max(1, ...history.map((h) => sum(h.evictions)));
    const slot = (width * 1000) / WINDOW_MS; // one second
    const nodes = [svg('line', { x1: 0, x2: width, y1: height - pad, y2: height - pad, class: 'axis' })];
    history.forEach((h) => {
        let base = height - pad;
        for (const reason of reasons) {
            const n = h.evictions[reason] ?? 0;
            if (n > 0) {
                const barHeight = (n / top) * (height - 2 * pad);
                base -= barHeight;
                const bar = svg('rect', { x: Math.max(0, timeX(h.at, width) - slot).toFixed(1), y: base.toFixed(1), width: Math.max(1.5, slot - 0.5).toFixed(1),
                    height: barHeight.toFixed(1), class: 'bar' });
                bar.style.fill = EVICTION_COLORS[reason] ?? 'var(--muted)';
                const title = svg('title', {});
                title.textContent = `${n} ${reason} at ${new Date(h.at).toLocaleTimeString()}`;
                bar.append(title);
                nodes.push(bar);
            }
        }
    });
    chart.replaceChildren(...nodes);
    const recent = history.reduce((n, h) => n + sum(h.evictions), 0);
    chart.setAttribute('aria-label', `${recent} evictions in the last ${history.length} seconds`);

    const legend = $('ev-legend');
    legend.replaceChildren(...(reasons.length === 0 ? ['heartbeat', 'queue', 'error'] : reasons).map((reason) => {
        const item = el('li');
        item.dataset.reason = reason;
        const swatch = el('span', 'swatch');
        swatch.style.background = EVICTION_COLORS[reason] ?? 'var(--muted)';
        item.append(swatch, document.createTextNode(`${reason} `), el('strong', 'n', count(num(totals[reason]) ?? 0)));
        return item;
    }), el('li', 'scale', `scale 0–${top}/s · totals since start`));
}

function drawHistogram(connections) {
    const chart = $('hist-chart');
    const rtts = connections.map((c) => num(c?.rttMs)).filter((v) => v !== null);
    const counts = new Array(RTT_BINS.length + 1).fill(0);
    for (const v of rtts) {
        const i = RTT_BINS.findIndex((edge) => v < edge);
        counts[i === -1 ? RTT_BINS.length : i]++;
    }
    const labels = RTT_BINS.map((edge, i) => `<${edge}`).concat(`≥${RTT_BINS.at(-1)}`);
    const width = 400;
    const height = 160;
    const bottom = height - 18;
    const slot = width / counts.length;
    const top = Math.max(1, ...counts);
    const nodes = [svg('line', { x1: 0, x2: width, y1: bottom, y2: bottom, class: 'axis' })];
    counts.forEach((n, i) => {
        const x = i * slot;
        const barHeight = (n / top) * (bottom - 20);
        nodes.push(svg('rect', { x: (x + 3).toFixed(1), y: (bottom - barHeight).toFixed(1), width: (slot - 6).toFixed(1), height: barHeight.toFixed(1), class: 'bar bar-rtt' }));
        const label = svg('text', { x: (x + slot / 2).toFixed(1), y: height - 4, class: 'chart-tick' });
        label.textContent = labels[i];
        nodes.push(label);
        if (n > 0) {
            const value = svg('text', { x: (x + slot / 2).toFixed(1), y: (bottom - barHeight - 4).toFixed(1), class: 'chart-tick chart-value' });
            value.textContent = String(n);
            nodes.push(value);
        }
    });
    chart.replaceChildren(...nodes);
    chart.setAttribute('aria-label', `round trips of ${rtts.length} connections: ${counts.map((n, i) => `${labels[i]} ms: ${n}`).join(', ')}`);
    text('hist-count', `· ${rtts.length} of ${connections.length} measured`);
}

function renderConnections(connections, now, hb) {
    const stale = hb && num(hb.interval) !== null ? hb.interval + Math.min(hb.timeout, hb.interval) : 30_000;
    const sorted = [...connections].sort((a, b) => (num(b?.openedAt) ?? 0) - (num(a?.openedAt) ?? 0));
    const rows = sorted.slice(0, MAX_ROWS).map((c) => {
        const row = el('tr');
        row.dataset.session = String(c.session ?? '');
        row.dataset.user = c.user == null ? '' : String(c.user);
        const user = el('td', c.user == null ? 'muted' : 'strong', c.user == null ? 'anonymous' : String(c.user));
        const session = el('td', 'mono', String(c.session ?? '').slice(0, 8));
        session.title = String(c.session ?? '');
        const opened = el('td', null, ago(c.openedAt, now));
        opened.title = num(c.openedAt) === null ? '' : new Date(c.openedAt).toLocaleString();
        const seen = el('td', num(c.lastSeenAt) !== null && now - c.lastSeenAt > stale ? 'warn' : null, ago(c.lastSeenAt, now));
        const topics = el('td', 'topics');
        for (const t of Array.isArray(c.topics) ? c.topics : []) {
            topics.append(el('span', 'chip', String(t)));
        }
        row.append(user, session, el('td', 'mono', String(c.remote ?? '–')), opened, seen,
            el('td', 'num', c.rttMs == null ? '–' : `${ms(c.rttMs)} ms`), topics, el('td', 'num', count(c.queue)));
        return row;
    });
    $('conn-rows').replaceChildren(...rows);
    text('conn-count', `· ${connections.length}`);
    text('conn-note', connections.length > MAX_ROWS ? `Showing the ${MAX_ROWS} newest of ${connections.length}.`
        : connections.length === 0 ? 'No open connections.' : '');
}

// ---- start ---------------------------------------------------------------------------------------------------

$('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    key = $('key').value.trim() || null;
    if (key) {
        sessionStorage.setItem(KEY_STORE, key);
    } else {
        sessionStorage.removeItem(KEY_STORE);
    }
    poll();
});

poll();
