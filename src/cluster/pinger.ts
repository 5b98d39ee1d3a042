// Continuous ICMP (SPEC §3): one long-running iputils `ping` per address, so a
// fault decision reads "how long since the last answer" and never waits for a
// fresh round. Peer heartbeat addresses and this node's IsolationTestAddresses.
//
// `ping -n -O -i SEC -W 1 -w DEADLINE ADDR` prints one line per answer
// ("64 bytes from ...: icmp_seq=N ...") and, with -O, "no answer yet for
// icmp_seq=N" for each unanswered probe. Lines are flushed at once, even on a
// pipe. The deadline (-w) makes every ping exit on its own after a while, so
// that a SIGKILLed engine never leaves pings running for long; the pinger
// starts the next one immediately. IPv6 link-local `fe80::1%eth0` is accepted
// by ping as is. iputils allows intervals under 0.2 s to root only on older
// versions; 20221126 allows 2 ms to any user; mccs runs as root.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { monotonic, type Clock } from './clock.js';

export interface PingerOptions {
  addresses: string[];
  /** Probe interval (ms). Default 200. */
  intervalMs?: number;
  /** Each ping process exits after this long and is replaced (bounds orphans). Default 60 s. */
  runSeconds?: number;
  /** Program and leading arguments; default ['ping']. Tests use e.g. ['ip', 'netns', 'exec', NS, 'ping']. */
  command?: string[];
  clock?: Clock;
}

export interface PingAddressStatus {
  address: string;
  /** ms since the last answer; null = never answered since the pinger started. */
  lastAnswerAgeMs: number | null;
  /** ms of silence: since the last answer, or since the pinger started when none came yet. */
  silenceMs: number;
  answers: number;
  pid: number | null;
  restarts: number;
  lastError: string | null;
}

/** What the fault decisions read; Pinger implements it, tests may fake it. */
export interface IcmpSource {
  /** Monotonic ms of the last answer from the address, undefined if none since start. */
  lastAnswerAt(address: string): number | undefined;
  /** Monotonic ms when pinging started (the age of "never answered"). */
  readonly startedAt: number | undefined;
}

export interface PingerEvents {
  answer: [address: string, at: number];
  exit: [address: string, code: number | null, signal: NodeJS.Signals | null];
}

interface Probe {
  address: string;
  child?: ChildProcess;
  lastAnswerAt?: number;
  /** Round-trip time of the last answer (ms), as ping printed it. */
  lastRttMs?: number;
  answers: number;
  restarts: number;
  spawnedAt: number;
  /** Deadline (-w) of the running ping, seconds. */
  runSeconds: number;
  lastError: string | null;
  restartTimer?: NodeJS.Timeout;
  buffer: string;
}

const ANSWER = /^\d+ bytes from .*icmp_seq=\d+/;

/**
 * The deadline of one ping run: RunSeconds give or take a quarter, drawn
 * anew for every run. With one deadline for all, every ping of a node (one
 * per address of every peer: hundreds at 16 nodes) would exit in the same
 * tick and be spawned again together, once a minute.
 */
export function runLength(runSeconds: number, random: () => number = Math.random): number {
  return Math.max(1, Math.round(runSeconds * (0.75 + 0.5 * random())));
}
const RTT = / time=([\d.]+) ms/;

/** Arguments of one ping run (exported for tests and the docs). */
export function pingArgs(address: string, intervalMs: number, runSeconds: number): string[] {
  const interval = (Math.max(2, intervalMs) / 1000).toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
  return ['-n', '-O', '-i', interval, '-W', '1', '-w', String(runSeconds), address];
}

export class Pinger extends EventEmitter<PingerEvents> implements IcmpSource {
  private readonly clock: Clock;
  private readonly probes = new Map<string, Probe>();
  private running = false;
  private started?: number;

  constructor(private readonly options: PingerOptions) {
    super();
    this.clock = options.clock ?? monotonic;
    for (const address of new Set(options.addresses.map((a) => a.trim()).filter(Boolean))) this.addAddress(address);
  }

  /** Starts pinging one more address (a node joined); a no-op for one already pinged. */
  addAddress(address: string): void {
    if (this.probes.has(address)) return;
    if (!/^[0-9A-Za-z.:%_-]+$/.test(address) || address.startsWith('-')) throw new Error(`'${address}' is not an address to ping`);
    const probe: Probe = { address, answers: 0, restarts: 0, spawnedAt: 0, runSeconds: 0, lastError: null, buffer: '' };
    this.probes.set(address, probe);
    if (this.running) this.spawn(probe);
  }

  /** Stops pinging an address (a node left the cluster). */
  removeAddress(address: string): void {
    const probe = this.probes.get(address);
    if (!probe) return;
    this.probes.delete(address);
    clearTimeout(probe.restartTimer);
    const child = probe.child;
    probe.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }

  get startedAt(): number | undefined {
    return this.started;
  }

  get intervalMs(): number {
    return this.options.intervalMs ?? 200;
  }

  get addresses(): string[] {
    return [...this.probes.keys()];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.started = this.clock();
    for (const probe of this.probes.values()) this.spawn(probe);
  }

  lastAnswerAt(address: string): number | undefined {
    return this.probes.get(address)?.lastAnswerAt;
  }

  /** Round-trip time of the last ICMP answer from the address (ms), undefined if none. */
  lastRttMs(address: string): number | undefined {
    return this.probes.get(address)?.lastRttMs;
  }

  /** ms since the last answer (or since start when none yet); Infinity when not pinging this address. */
  lastAnswerAgeMs(address: string): number {
    const probe = this.probes.get(address);
    const since = probe?.lastAnswerAt ?? this.started;
    return since === undefined ? Infinity : this.clock() - since;
  }

  status(): PingAddressStatus[] {
    const now = this.clock();
    return [...this.probes.values()].map((p) => ({
      address: p.address,
      lastAnswerAgeMs: p.lastAnswerAt === undefined ? null : Math.round(now - p.lastAnswerAt),
      silenceMs: Math.round(this.lastAnswerAgeMs(p.address)),
      answers: p.answers,
      pid: p.child?.pid ?? null,
      restarts: p.restarts,
      lastError: p.lastError,
    }));
  }

  /** Stops every ping by its PID (SIGTERM, then SIGKILL after 1 s) and waits for them to exit. */
  async close(): Promise<void> {
    this.running = false;
    const waits: Promise<void>[] = [];
    for (const probe of this.probes.values()) {
      clearTimeout(probe.restartTimer);
      const child = probe.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), 1000);
          child.once('close', () => {
            clearTimeout(kill);
            resolve();
          });
          child.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(waits);
    for (const probe of this.probes.values()) probe.child = undefined;
  }

  private spawn(probe: Probe): void {
    if (!this.running) return;
    const [program, ...lead] = this.options.command ?? ['ping'];
    probe.runSeconds = runLength(this.options.runSeconds ?? 60);
    const args = [...lead, ...pingArgs(probe.address, this.intervalMs, probe.runSeconds)];
    probe.spawnedAt = this.clock();
    probe.buffer = '';
    const child = spawn(program!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    probe.child = child;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      probe.buffer += chunk;
      let nl: number;
      while ((nl = probe.buffer.indexOf('\n')) >= 0) {
        const line = probe.buffer.slice(0, nl);
        probe.buffer = probe.buffer.slice(nl + 1);
        if (ANSWER.test(line)) {
          const at = this.clock();
          probe.lastAnswerAt = at;
          probe.answers += 1;
          const rtt = RTT.exec(line);
          if (rtt) probe.lastRttMs = Number(rtt[1]);
          this.emit('answer', probe.address, at);
        }
      }
      if (probe.buffer.length > 4096) probe.buffer = '';
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      const line = chunk.trim().split('\n').pop();
      if (line) probe.lastError = line.slice(0, 200);
    });
    child.on('error', (err) => {
      probe.lastError = err.message;
    });
    child.on('close', (code, signal) => {
      if (probe.child === child) probe.child = undefined;
      this.emit('exit', probe.address, code, signal);
      if (!this.running || this.probes.get(probe.address) !== probe) return;
      probe.restarts += 1;
      // A run that reached its deadline is replaced at once; one that died early
      // (no route, bad address) is retried after a pause, never in a tight loop.
      const ranMs = this.clock() - probe.spawnedAt;
      const delay = ranMs >= probe.runSeconds * 1000 - 500 ? 0 : 1000;
      probe.restartTimer = setTimeout(() => this.spawn(probe), delay);
    });
  }
}
