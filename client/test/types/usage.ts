// A typed application of the package, compiled with `tsc --noEmit` by `npm test` against the generated declarations
// (imported by the package's own name, through its `exports`). The @ts-expect-error lines must fail to compile.
import { DEFAULTS, Pulse, PulseError, TRANSITIONS } from 'pulse-client';
import type { ConnectOptions, Member, Message, State, StateEvent } from 'pulse-client';

const options: ConnectOptions = { token: async () => 'a-token', backoffCap: 4000, readyUrl: null };
const pulse: Pulse = Pulse.connect('ws://localhost:8080/ws', options);

pulse.on('message', (m) => m.seq);
pulse.on('message', ({ topic, seq, epoch, time, data }: Message) => console.log(topic, seq.toFixed(), epoch, time, data));
pulse.on('state', ({ state, previous, retryAt, code }: StateEvent) => {
    const now: State = state;
    const before: State = previous;
    console.log(now, before, retryAt === null ? 'attempting' : new Date(retryAt), code ?? 'no close yet');
});
pulse.on('gap', (g) => (g.reason === 'reset' ? 'history reset' : `${g.from}-${g.to}`));
pulse.on('join', ({ user, topic }) => `${user} joined ${topic}`);
pulse.on('leave', ({ reason }) => reason === 'evicted');
pulse.on('rtt', ({ rtt }) => rtt.toFixed(1));
pulse.on('error', ({ code, message, ref }) => `${code ?? 'client'}: ${message} (${ref})`);
const off: () => void = pulse.on('welcome', ({ session, user, heartbeat }) => `${session} ${user} ${heartbeat.interval}`);
off();

async function chat(): Promise<number> {
    const answer = await pulse.subscribe('room:lobby', { presence: true });
    const members: Member[] = answer.members ?? (await pulse.presence('room:lobby'));
    const { seq } = await pulse.publish('room:lobby', { text: 'hi', to: members.map((m) => m.user) });
    return seq;
}
chat().catch((e: unknown) => {
    if (e instanceof PulseError) {
        console.log(e.code.toUpperCase(), e.ref);
    }
});

// one socket for all tabs of this origin (and, with a string, of this user)
const shared: Pulse = Pulse.connect({ share: true });
Pulse.connect('ws://localhost:8080/ws', { share: 'alice', token: 'a-token', sharedWorker: false });
const holder: 'worker' | 'tabs' | null = shared.sharing;
console.log(holder, shared.holdsSocket);
shared.close();
// @ts-expect-error sharedWorker is true or false
Pulse.connect({ share: true, sharedWorker: 'no' });
// @ts-expect-error share is true, false or a string
Pulse.connect({ share: 1 });

const next: State | undefined = TRANSITIONS.open.wait;
const cap: number = DEFAULTS.backoffCap;
console.log(next, cap, pulse.state, pulse.topics.length);

// @ts-expect-error a typo in an event name does not compile
pulse.on('mesage', (m) => m);
// @ts-expect-error a listener for another event's detail does not compile
pulse.on('rtt', (m: Message) => m.seq);
// @ts-expect-error messages have no such field
pulse.on('message', (m) => m.sequence);
// @ts-expect-error subscribe options are checked
pulse.subscribe('room:lobby', { presense: true });
// @ts-expect-error a state that does not exist
const wrong: State = 'reconecting';
console.log(wrong);
