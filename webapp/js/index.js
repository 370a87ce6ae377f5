/**
 * The demo room at /: one Pulse connection (pulse.js), a chat on topic `room:<name>` with presence, and the
 * connection's state, round trips and reconnects. Everything from the network is rendered with textContent,
 * never parsed as HTML.
 */
import { $, el, text } from './dom.js';
import { Pulse, socketUrl } from './pulse.js';

const NAME = /^[A-Za-z0-9._@-]{1,64}$/; // what the server accepts as ?user= (and what we allow in a room name)
const RTT_SAMPLES = 30; // round trips kept for the sparkline
const LOG_LINES = 40; // events kept in the log
const MESSAGES_KEPT = 500; // chat lines kept on the page
const SVG = 'http://www.w3.org/2000/svg';

const params = new URLSearchParams(location.search);
const user = NAME.test(params.get('user') ?? '') ? params.get('user') : null;
const room = NAME.test(params.get('room') ?? '') ? params.get('room') : 'lobby';
const topic = `room:${room}`;

/** What a close code means, for a close without a reason (the browser's own 1006 never has one). */
const CLOSE_CODES = {
    1000: 'normal',
    1001: 'server shutting down',
    1006: 'connection lost',
    1008: 'policy',
    1011: 'server error',
    1012: 'service restart',
    4000: 'heartbeat timeout',
    4001: 'unauthenticated',
    4003: 'forbidden',
};


function clockTime(epochMs) {
    const time = el('time', null, new Date(epochMs).toLocaleTimeString());
    time.dateTime = new Date(epochMs).toISOString();
    return time;
}

/** @returns {string} ms with a precision that suits its size */
function ms(value) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
        return '–';
    }
    return value < 100 ? value.toFixed(1) : Math.round(value).toString();
}

function duration(value) {
    return value >= 1000 && value % 1000 === 0 ? `${value / 1000} s` : `${value} ms`;
}

function log(line) {
    const list = $('log');
    const item = el('li');
    item.append(clockTime(Date.now()), document.createTextNode(` ${line}`));
    list.prepend(item);
    while (list.children.length > LOG_LINES) {
        list.lastElementChild.remove();
    }
}

// ---- connection badge and details ----------------------------------------------------------------------------

let current = { state: 'connecting', retryAt: null };
let lastRtt = null;
let reconnects = 0;
let everOpen = false;

function why({ code, reason }) {
    return [code === null ? '' : `code ${code}`, reason || CLOSE_CODES[code] || ''].filter(Boolean).join(': ');
}

function showState(detail) {
    current = detail;
    const { state } = detail;
    $('badge').dataset.state = state;
    text('badge-state', state);
    renderBadgeExtra();
    const parts = [state, why(detail)];
    if (state === 'reconnecting') {
        parts.push(`next try at ${new Date(detail.retryAt ?? Date.now()).toLocaleTimeString()}`);
    } else if (state === 'connecting' && detail.attempt > 0) {
        parts.push(`attempt ${detail.attempt + 1}`);
    }
    text('state-detail', parts.filter(Boolean).join(' — '));
    if (state !== 'open') {
        text('session', '–');
    }
    if (state === 'open' && everOpen) {
        reconnects++;
        text('reconnects', String(reconnects));
    }
    everOpen ||= state === 'open';
    const usable = state === 'open';
    $('text').disabled = !usable;
    $('send').disabled = !usable;
    log(parts.filter(Boolean).join(', '));
}

/** The part of the badge that changes by itself: RTT while open, a countdown while waiting to retry. */
function renderBadgeExtra() {
    const { state, retryAt } = current;
    let extra = '';
    if (state === 'open' && lastRtt !== null) {
        extra = `${ms(lastRtt)} ms`;
    } else if (state === 'reconnecting') {
        extra = `retry in ${Math.max(0, ((retryAt ?? Date.now()) - Date.now()) / 1000).toFixed(1)} s`;
    } else if (state === 'offline') {
        extra = 'waiting for the network';
    } else if (state === 'paused') {
        extra = 'page hidden';
    } else if (state === 'closed' && current.code !== null) {
        extra = String(current.code);
    }
    text('badge-extra', extra);
    $('badge-extra').hidden = extra === '';
}

setInterval(() => current.state === 'reconnecting' && current.retryAt !== null && renderBadgeExtra(), 100);

let welcomeTime = 0; // the server's clock at the current socket's welcome: older messages were missed while away

function showWelcome(welcome) {
    welcomeTime = typeof welcome.time === 'number' ? welcome.time : 0;
    text('session', String(welcome.session));
    text('user', welcome.user === null ? 'anonymous' : String(welcome.user));
    text('heartbeat', `ping every ${duration(welcome.heartbeat.interval)}, evict after ${duration(welcome.heartbeat.timeout)} more`);
    log(`welcome: session ${welcome.session}`);
}

const rtts = [];

function showRtt({ rtt }) {
    lastRtt = rtt;
    rtts.push(rtt);
    if (rtts.length > RTT_SAMPLES) {
        rtts.shift();
    }
    text('rtt-last', ms(rtt));
    text('rtt-min', ms(Math.min(...rtts)));
    text('rtt-max', ms(Math.max(...rtts)));
    text('rtt-avg', ms(rtts.reduce((a, b) => a + b, 0) / rtts.length));
    renderBadgeExtra();
    drawSparkline();
}

/** Redraws the sparkline of the last round trips, scaled from 0 to the largest one shown. */
function drawSparkline() {
    const svg = $('spark');
    const width = 200;
    const height = 48;
    const pad = 4;
    const top = Math.max(...rtts) || 1;
    const x = (i) => (i * width) / (RTT_SAMPLES - 1);
    const y = (v) => height - pad - (v / top) * (height - 2 * pad);
    const offset = RTT_SAMPLES - rtts.length;
    const points = rtts.map((v, i) => `${x(i + offset).toFixed(1)},${y(v).toFixed(1)}`);
    const area = document.createElementNS(SVG, 'polygon');
    area.setAttribute('class', 'spark-area');
    area.setAttribute('points', `${x(offset).toFixed(1)},${height} ${points.join(' ')} ${width},${height}`);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('class', 'spark-line');
    line.setAttribute('points', points.join(' '));
    svg.replaceChildren(area, line);
    svg.setAttribute('aria-label', `last ${rtts.length} round trips: ${rtts.map(ms).join(', ')} ms`);
}

// ---- the room ------------------------------------------------------------------------------------------------

function addLine(item) {
    const list = $('messages');
    const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40; // follow the conversation unless scrolled up
    list.append(item);
    while (list.children.length > MESSAGES_KEPT) {
        list.firstElementChild.remove();
    }
    $('empty').hidden = true;
    if (stick) {
        list.scrollTop = list.scrollHeight;
    }
}

function showMessage({ topic: t, seq, time, data }) {
    if (t !== topic) {
        if (t === 'broadcast') {
            addLine(el('li', 'system', `Announcement: ${typeof data === 'string' ? data : JSON.stringify(data)}`));
        }
        return;
    }
    const author = data !== null && typeof data === 'object' && typeof data.user === 'string' ? data.user : 'someone';
    const body = data !== null && typeof data === 'object' && typeof data.text === 'string' ? data.text : JSON.stringify(data);
    const item = el('li', 'msg');
    item.dataset.seq = String(seq);
    if (author === user) {
        item.classList.add('mine');
    }
    const head = el('div', 'msg-head');
    head.append(el('span', 'who', author), clockTime(time), el('span', 'seq', `#${seq}`));
    if (time < welcomeTime && everOpen && reconnects > 0) {
        item.classList.add('missed');
        head.append(el('span', 'tag', 'missed while away'));
    }
    item.append(head, el('p', 'msg-text', body));
    addLine(item);
}

function showGap({ topic: t, from, to, reason }) {
    if (t !== topic) {
        return;
    }
    const item = el('li', 'gap');
    item.dataset.reason = reason;
    item.textContent = reason === 'reset'
        ? 'Gap: the server lost its history (it restarted). What follows is everything it has since then.'
        : `Gap: messages #${from}–#${to} are no longer kept by the server and could not be delivered.`;
    addLine(item);
    log(`gap in ${t}: ${reason}${from === null ? '' : ` #${from}–#${to}`}`);
}

// who's here: user -> {since, connections}
const people = new Map();

function renderPeople() {
    const list = $('people');
    const names = [...people.keys()].sort((a, b) => (a === user ? -1 : b === user ? 1 : a.localeCompare(b)));
    list.replaceChildren(...names.map((name) => {
        const member = people.get(name);
        const item = el('li', member.connections === 0 ? 'person away' : 'person');
        item.dataset.user = name;
        const who = el('span', 'person-name', name);
        if (name === user) {
            who.append(el('span', 'muted', ' (you)'));
        }
        const since = el('span', 'person-since', member.connections === 0 ? 'reconnecting…'
            : `here since ${new Date(member.since).toLocaleTimeString()}`);
        item.append(el('span', 'dot'), who, since);
        return item;
    }));
    text('people-count', `· ${people.size}`);
}

function showSubscribed(answer) {
    if (answer.topic !== topic || !Array.isArray(answer.members)) {
        return;
    }
    people.clear();
    for (const m of answer.members) {
        if (m && typeof m.user === 'string') {
            people.set(m.user, { since: m.since, connections: m.connections });
        }
    }
    renderPeople();
    log(`${answer.resumed ? 'resubscribed to' : 'subscribed to'} ${answer.topic} (seq ${answer.seq})`);
}

function showJoin({ topic: t, user: who, time }) {
    if (t === topic && typeof who === 'string') {
        people.set(who, { since: time, connections: 1 });
        renderPeople();
        log(`${who} joined`);
    }
}

function showLeave({ topic: t, user: who, reason }) {
    if (t === topic && typeof who === 'string') {
        people.delete(who);
        renderPeople();
        log(`${who} left (${reason})`);
    }
}

async function send(event) {
    event.preventDefault();
    const input = $('text');
    const value = input.value.trim();
    if (value === '') {
        return;
    }
    input.value = '';
    text('composer-note', '');
    try {
        await pulse.publish(topic, { user, text: value });
    } catch (e) {
        input.value ||= value; // give it back, to send again
        text('composer-note', `Not sent (${e.code ?? 'error'}): ${e.message}`);
    }
}

// ---- start ---------------------------------------------------------------------------------------------------

/**
 * Demo sign-in: a token for the typed name from the server's demo mode (`pulse.demo=true`, which `mvn -Prun package`
 * turns on). This is where a real application calls its own backend, which signs the user in its own way and then
 * mints the token (POST /api/tokens, or any JWT library with the same secret).
 *
 * @returns {Promise<string|null>} the token, or null when the server has no demo mode
 */
async function demoToken(name) {
    const response = await fetch('demo/sign-in', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: name }),
        cache: 'no-store',
    });
    if (response.status === 404) {
        return null;
    }
    if (!response.ok) {
        throw new Error(`demo sign-in answered ${response.status}`);
    }
    return (await response.json()).token;
}

/** How this page names its user: a demo token, the ?user= development switch, or nobody. */
let identity = 'anonymous';
let connectOptions = {};
const url = new URL(socketUrl());
if (user !== null) {
    let first = null;
    try {
        first = await demoToken(user);
    } catch (e) {
        log(`demo sign-in failed: ${e.message}`);
    }
    if (first !== null) {
        identity = 'demo';
        // the first token now; a fresh one whenever the server refuses the old one (4001, e.g. after a restart)
        connectOptions = {
            token: () => {
                const token = first;
                first = null;
                return token ?? demoToken(user);
            },
        };
    } else {
        identity = 'query';
        url.searchParams.set('user', user); // honoured only with pulse.identity.query-param=true
    }
}
// ?share=1: every tab of this room page shares one socket (one per user: the name separates them even when a token,
// not the URL, names the user), held by a shared worker; with &worker=0 by one of the tabs (Web Locks) instead
const pulse = Pulse.connect(url.href, { ...connectOptions, share: params.has('share') ? (user ?? true) : false,
    sharedWorker: params.get('worker') !== '0' });
globalThis.pulse = pulse; // for the console (and the browser tests)
text('url', pulse.url);
pulse.on('state', showState);
pulse.on('welcome', showWelcome);
pulse.on('welcome', ({ user: named }) => showIdentity(named));
pulse.on('rtt', showRtt);
pulse.on('message', showMessage);
pulse.on('gap', showGap);
pulse.on('subscribed', showSubscribed);
pulse.on('join', showJoin);
pulse.on('leave', showLeave);
pulse.on('error', ({ code, message }) => log(`error${code ? ` ${code}` : ''}: ${message}`));

/** Says how the user was named, and why not when the server did not take the name. */
function showIdentity(named) {
    const notes = {
        demo: 'Signed in with a demo token: demo mode (pulse.demo) lets anybody be anybody. Not for production.',
        query: 'Named by ?user=, a development switch (pulse.identity.query-param). Not for production.',
        anonymous: '',
    };
    let note = notes[identity];
    if (user !== null && named !== user) {
        note = `The server did not take the name "${user}": start it with demo mode (mvn -Prun package does) `
            + 'or give it a token from your backend.';
    }
    text('identity-note', note);
    $('identity-note').hidden = note === '';
}

if (user === null) {
    document.querySelector('.details').classList.add('card-wide'); // nothing beside it until a room is joined
    $('join-room').value = room;
    $('join-user').focus();
} else {
    $('join-card').hidden = true;
    $('room-card').hidden = false;
    $('people-card').hidden = false;
    text('room-name', room);
    document.title = `${room} · Pulse`;
    pulse.subscribe(topic, { presence: true }).catch((e) => text('composer-note', `Cannot join: ${e.message}`));
    $('composer').addEventListener('submit', send);
    $('leave').addEventListener('click', () => {
        pulse.unsubscribe(topic); // an immediate leave for the others, rather than one after the grace period
        location.assign(`./?room=${encodeURIComponent(room)}`);
    });
}
