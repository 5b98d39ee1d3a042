// UDP heartbeat links (SPEC §3): one socket per link (PrimaryHB on HBPort,
// SecondaryHB on HBPort+1), bound to this node's own link address, sending a
// sealed heartbeat to every peer every HBInterval/10 ms. Each (peer, link) is
// tracked on its own: UP as soon as an authentic heartbeat arrives, DOWN once
// it has been silent for HBInterval on the monotonic clock.
//
// A datagram per heartbeat: no head-of-line stall on a lossy link, and a lost
// one is simply replaced by the next.
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { NodeState } from '../model/types.js';
import { MccsError } from '../model/errors.js';
import { monotonic, type Clock } from './clock.js';
import { Opener, Sealer, type Channel, type RejectCode } from './crypto.js';
import { clusterPorts } from './ports.js';
import { LossWindow } from './link-loss.js';

export type LinkName = 'PRIMARY' | 'SECONDARY';
export type LinkStatus = 'UP' | 'DOWN' | 'NONE';
export const LINKS: readonly LinkName[] = ['PRIMARY', 'SECONDARY'];
const CHANNEL_OF: Record<LinkName, Channel> = { PRIMARY: 'HB_PRIMARY', SECONDARY: 'HB_SECONDARY' };
const NODE_STATES: readonly NodeState[] = ['EXITED', 'INITING', 'LOCAL_BUILD', 'REMOTE_BUILD', 'RUNNING', 'FAULTED'];

/** Short per-group state summary the engine puts in every heartbeat (kept small: one datagram). */
export type GroupDigest = Record<string, unknown>;

/** What this node says about itself in each heartbeat. */
export interface LocalInfo {
  state: NodeState;
  configVersion: number;
  /** Checksum of the configuration (two copies under one version that differ are seen at once). */
  configChecksum?: string;
  /** Position of this node in Nodes: 0 = first = highest priority. */
  rank: number;
  groups: GroupDigest;
}

/** One authentic heartbeat, as received. */
export interface HeartbeatMessage extends LocalInfo {
  node: string;
  link: LinkName;
  /** Hex id of the sender's engine boot; changes when the peer engine restarts. */
  incarnation: string;
  newIncarnation: boolean;
  seq: number;
  /** The peer engine is stopping on purpose (SIGTERM): mark it EXITED, no takeover. */
  plannedStop: boolean;
  /** Nodes the sender hears on at least one link when it sent this (absent from older senders). */
  hears?: string[];
  /** Source address and port. */
  from: string;
  /** Monotonic ms. */
  receivedAt: number;
}

/**
 * UNKNOWN_NODE: authentic, but from a node that is not a peer on this link;
 * STALE: authentic, but from a past boot of the peer (an old recording replayed).
 */
export type HeartbeatRejectCode = RejectCode | 'UNKNOWN_NODE' | 'STALE';

export interface RejectInfo {
  link: LinkName;
  from: string;
  code: HeartbeatRejectCode;
  message: string;
  /** Claimed sender (unauthenticated unless code is UNKNOWN_NODE). */
  sender?: string;
  at: number;
}

export interface HeartbeatPeer {
  node: string;
  PRIMARY?: string;
  SECONDARY?: string;
}

export interface HeartbeatOptions {
  clusterName: string;
  localNode: string;
  secret: Buffer;
  incarnation: Buffer;
  /** This node's own link addresses (PrimaryHB, SecondaryHB). */
  local: { PRIMARY?: string; SECONDARY?: string };
  peers: HeartbeatPeer[];
  hbPort: number;
  /** HBInterval: silence after which a link is DOWN; heartbeats go out every tenth of it. */
  hbIntervalMs: number;
  info: () => LocalInfo;
  clock?: Clock;
}

export interface PeerLinkStatus {
  node: string;
  PrimaryHBStatus: LinkStatus;
  SecondaryHBStatus: LinkStatus;
  /** ms since the last authentic heartbeat per link; null = never heard (or link not configured). */
  lastHeardMs: Record<LinkName, number | null>;
  /** Exactly one of two configured links up. */
  jeopardy: boolean;
  incarnation: string | null;
  /** Share of heartbeats lost on each link over its last 100 sequence numbers; null = never heard. */
  lossRatio: Record<LinkName, number | null>;
}

export interface HeartbeatStatus {
  peers: PeerLinkStatus[];
  rejected: Partial<Record<HeartbeatRejectCode, number>>;
  /** Authentic heartbeats not (yet) echoing this node's incarnation: a peer that just started, or a replay of a recording older than this boot. */
  unconfirmed: number;
  sendErrors: Record<LinkName, number>;
}

export interface HeartbeatEvents {
  linkUp: [peer: string, link: LinkName];
  /** `at`: when it was declared down; `lastHeardAt`: when the last heartbeat arrived (both monotonic ms). */
  linkDown: [peer: string, link: LinkName, at: number, lastHeardAt: number];
  peerMessage: [message: HeartbeatMessage];
  rejected: [info: RejectInfo];
}

interface LinkTrack {
  configured: boolean;
  status: LinkStatus;
  loss: LossWindow;
  lastHeardAt?: number;
  timer?: NodeJS.Timeout;
}

interface PeerTrack {
  peer: HeartbeatPeer;
  links: Record<LinkName, LinkTrack>;
  /** The peer boot confirmed live: its heartbeats echo this node's own incarnation. */
  incarnation?: string;
  /** A boot heard but not confirmed yet, echoed back so that it can confirm us. */
  candidate?: string;
  /** Boots replaced by a later one: never live again. */
  superseded: string[];
}

/** Address family of an IP literal (IPv6 link-local may carry `%iface`). */
export function addressFamily(address: string): 'udp4' | 'udp6' {
  const family = isIP(address.split('%')[0] ?? '');
  if (family === 4) return 'udp4';
  if (family === 6) return 'udp6';
  throw new MccsError('INVALID', `heartbeat address '${address}' is not an IPv4 or IPv6 address`);
}

export class HeartbeatLinks extends EventEmitter<HeartbeatEvents> {
  private readonly clock: Clock;
  private readonly opener: Opener;
  private readonly sealers = new Map<LinkName, Sealer>();
  private readonly sockets = new Map<LinkName, Socket>();
  private readonly tracks = new Map<string, PeerTrack>();
  private readonly rejectedCounts: Partial<Record<HeartbeatRejectCode, number>> = {};
  private readonly sendErrors: Record<LinkName, number> = { PRIMARY: 0, SECONDARY: 0 };
  private unconfirmed = 0;
  private sendTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: HeartbeatOptions) {
    super();
    this.clock = options.clock ?? monotonic;
    this.opener = new Opener(options.secret, options.clusterName);
    for (const peer of options.peers) this.addPeer(peer);
  }

  /** A node joins the cluster at run time (or is known from the start). */
  addPeer(peer: HeartbeatPeer): void {
    if (this.tracks.has(peer.node)) return;
    const link = (name: LinkName): LinkTrack => {
      const configured = Boolean(this.options.local[name] && peer[name]);
      return { configured, status: configured ? 'DOWN' : 'NONE', loss: new LossWindow() };
    };
    this.tracks.set(peer.node, { peer, links: { PRIMARY: link('PRIMARY'), SECONDARY: link('SECONDARY') }, superseded: [] });
  }

  /** A node left the cluster (mcnode remove): its heartbeats are refused from now on. */
  removePeer(node: string): void {
    const track = this.tracks.get(node);
    if (!track) return;
    for (const l of LINKS) clearTimeout(track.links[l].timer);
    this.tracks.delete(node);
  }

  /** A new HBInterval (configuration change): applies to link-down checks and the send period at once. */
  setHbInterval(ms: number): void {
    if (ms === this.options.hbIntervalMs) return;
    this.options.hbIntervalMs = ms;
    if (this.sendTimer) {
      clearInterval(this.sendTimer);
      this.sendTimer = setInterval(() => this.sendAll(false), this.sendIntervalMs);
    }
  }

  get sendIntervalMs(): number {
    return Math.max(5, Math.floor(this.options.hbIntervalMs / 10));
  }

  /** Binds one socket per configured link and starts sending. */
  async start(): Promise<void> {
    const ports = clusterPorts(this.options.hbPort);
    for (const link of LINKS) {
      const address = this.options.local[link];
      if (!address) continue;
      const port = link === 'PRIMARY' ? ports.primary : ports.secondary;
      const socket = createSocket({ type: addressFamily(address) });
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          socket.close();
          reject(new MccsError('INVALID', `cannot bind the ${link} heartbeat link to ${address} port ${port}: ${err.message}`, [
            `check that ${address} is an address of this node (${link === 'PRIMARY' ? 'PrimaryHB' : 'SecondaryHB'})`,
            'check that no other engine uses the port (HBPort)',
          ]));
        };
        socket.once('error', onError);
        socket.bind({ address, port, exclusive: true }, () => {
          socket.off('error', onError);
          resolve();
        });
      });
      socket.on('error', () => {
        this.sendErrors[link] += 1;
      });
      socket.on('message', (msg, rinfo) => this.receive(link, msg, `${rinfo.address}:${rinfo.port}`));
      this.sockets.set(link, socket);
      this.sealers.set(
        link,
        new Sealer({
          secret: this.options.secret,
          clusterName: this.options.clusterName,
          sender: this.options.localNode,
          channel: CHANNEL_OF[link],
          incarnation: this.options.incarnation,
        }),
      );
    }
    this.sendAll(false);
    this.sendTimer = setInterval(() => this.sendAll(false), this.sendIntervalMs);
  }

  /** Tells every peer, on every link, that this engine stops on purpose. Resolves once sent (best effort, 3 copies). */
  async sendPlannedStop(): Promise<void> {
    if (this.sendTimer) clearInterval(this.sendTimer);
    this.sendTimer = undefined;
    for (let copy = 0; copy < 3; copy += 1) {
      await this.sendAll(true);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Closes one link's socket (operator or test: the link then goes DOWN at the peer). */
  closeLink(link: LinkName): void {
    const socket = this.sockets.get(link);
    if (!socket) return;
    this.sockets.delete(link);
    socket.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sendTimer) clearInterval(this.sendTimer);
    for (const track of this.tracks.values()) for (const l of LINKS) clearTimeout(track.links[l].timer);
    const sockets = [...this.sockets.values()];
    this.sockets.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  /** Monotonic time of the last authentic heartbeat of a peer on a link. */
  lastHeardAt(peer: string, link: LinkName): number | undefined {
    return this.tracks.get(peer)?.links[link].lastHeardAt;
  }

  linkStatus(peer: string, link: LinkName): LinkStatus {
    return this.tracks.get(peer)?.links[link].status ?? 'NONE';
  }

  configuredLinks(peer: string): LinkName[] {
    const track = this.tracks.get(peer);
    return track ? LINKS.filter((l) => track.links[l].configured) : [];
  }

  /** Every configured link of the peer is DOWN (and at least one is configured). */
  allDown(peer: string): boolean {
    const links = this.configuredLinks(peer);
    return links.length > 0 && links.every((l) => this.linkStatus(peer, l) === 'DOWN');
  }

  status(): HeartbeatStatus {
    const now = this.clock();
    const peers = [...this.tracks.values()].map((t): PeerLinkStatus => {
      const age = (l: LinkName): number | null => (t.links[l].lastHeardAt === undefined ? null : Math.round(now - t.links[l].lastHeardAt!));
      const up = LINKS.filter((l) => t.links[l].status === 'UP').length;
      return {
        node: t.peer.node,
        PrimaryHBStatus: t.links.PRIMARY.status,
        SecondaryHBStatus: t.links.SECONDARY.status,
        lastHeardMs: { PRIMARY: age('PRIMARY'), SECONDARY: age('SECONDARY') },
        jeopardy: up === 1 && LINKS.filter((l) => t.links[l].configured).length > 1,
        incarnation: t.incarnation ?? null,
        lossRatio: { PRIMARY: t.links.PRIMARY.loss.lossRatio(), SECONDARY: t.links.SECONDARY.loss.lossRatio() },
      };
    });
    return { peers, rejected: { ...this.rejectedCounts }, unconfirmed: this.unconfirmed, sendErrors: { ...this.sendErrors } };
  }

  /** Declares DOWN every link silent for HBInterval; called by timers, and by tests with an injected clock. */
  checkLinks(): void {
    for (const track of this.tracks.values()) for (const link of LINKS) this.checkLink(track, link);
  }

  private checkLink(track: PeerTrack, link: LinkName): void {
    const l = track.links[link];
    clearTimeout(l.timer);
    l.timer = undefined;
    if (l.status !== 'UP' || l.lastHeardAt === undefined || this.closed) return;
    const now = this.clock();
    const remaining = l.lastHeardAt + this.options.hbIntervalMs - now;
    if (remaining > 0) {
      l.timer = setTimeout(() => this.checkLink(track, link), Math.ceil(remaining));
      return;
    }
    l.status = 'DOWN';
    this.emit('linkDown', track.peer.node, link, now, l.lastHeardAt);
  }

  private sendAll(plannedStop: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    const info = this.options.info();
    const echo: Record<string, string> = {};
    for (const t of this.tracks.values()) {
      const heard = t.incarnation ?? t.candidate;
      if (heard) echo[t.peer.node] = heard;
    }
    const hears = [...this.tracks.values()].filter((t) => LINKS.some((l) => t.links[l].status === 'UP')).map((t) => t.peer.node);
    const payload = JSON.stringify({
      echo,
      hears,
      state: info.state,
      configVersion: info.configVersion,
      configChecksum: info.configChecksum,
      rank: info.rank,
      groups: info.groups,
      plannedStop,
    });
    const sends: Promise<void>[] = [];
    for (const [link, socket] of this.sockets) {
      const targets = [...this.tracks.values()].filter((t) => t.links[link].configured).map((t) => t.peer[link]!);
      if (targets.length === 0) continue;
      const datagram = this.sealers.get(link)!.seal(payload);
      const port = link === 'PRIMARY' ? this.options.hbPort : this.options.hbPort + 1;
      for (const address of targets) {
        sends.push(
          new Promise<void>((resolve) => {
            try {
              socket.send(datagram, port, address, (err) => {
                if (err) this.sendErrors[link] += 1;
                resolve();
              });
            } catch {
              this.sendErrors[link] += 1;
              resolve();
            }
          }),
        );
      }
    }
    return Promise.all(sends).then(() => undefined);
  }

  private reject(info: Omit<RejectInfo, 'at'>): void {
    this.rejectedCounts[info.code] = (this.rejectedCounts[info.code] ?? 0) + 1;
    this.emit('rejected', { ...info, at: this.clock() });
  }

  private receive(link: LinkName, datagram: Buffer, from: string): void {
    const opened = this.opener.open(datagram, CHANNEL_OF[link]);
    if (!opened.ok) {
      this.reject({ link, from, code: opened.code, message: opened.message, sender: opened.sender });
      return;
    }
    const track = this.tracks.get(opened.sender);
    if (!track || !track.links[link].configured) {
      this.reject({ link, from, code: 'UNKNOWN_NODE', message: `authentic heartbeat from '${opened.sender}', which is not a peer on this link`, sender: opened.sender });
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(opened.payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      this.reject({ link, from, code: 'PROTOCOL', message: 'heartbeat payload is not JSON', sender: opened.sender });
      return;
    }
    const state = body.state as NodeState;
    if (!NODE_STATES.includes(state) || typeof body.configVersion !== 'number' || typeof body.rank !== 'number') {
      this.reject({ link, from, code: 'PROTOCOL', message: 'heartbeat payload lacks state, configVersion or rank', sender: opened.sender });
      return;
    }
    // Freshness: a heartbeat counts only once it echoes this node's own boot
    // incarnation, so a message recorded before this boot (authentic, never
    // seen by this Opener) cannot pass for a live peer.
    if (track.superseded.includes(opened.incarnation)) {
      this.reject({ link, from, code: 'STALE', message: `heartbeat from a past boot ${opened.incarnation} of '${opened.sender}'`, sender: opened.sender });
      return;
    }
    const echo = body.echo && typeof body.echo === 'object' ? (body.echo as Record<string, unknown>)[this.options.localNode] : undefined;
    if (echo !== this.options.incarnation.toString('hex')) {
      this.unconfirmed += 1;
      if (!track.incarnation || this.allDown(opened.sender)) track.candidate = opened.incarnation;
      return;
    }
    let newIncarnation = false;
    if (track.incarnation !== opened.incarnation) {
      if (track.incarnation) track.superseded = [track.incarnation, ...track.superseded].slice(0, 16);
      track.incarnation = opened.incarnation;
      track.candidate = undefined;
      newIncarnation = true;
    }
    const now = this.clock();
    const l = track.links[link];
    l.lastHeardAt = now;
    l.loss.seen(Number(opened.seq));
    const message: HeartbeatMessage = {
      node: opened.sender,
      link,
      incarnation: opened.incarnation,
      newIncarnation,
      seq: Number(opened.seq),
      state,
      configVersion: body.configVersion,
      ...(typeof body.configChecksum === 'string' ? { configChecksum: body.configChecksum.slice(0, 64) } : {}),
      rank: body.rank,
      groups: (body.groups && typeof body.groups === 'object' ? body.groups : {}) as GroupDigest,
      plannedStop: body.plannedStop === true,
      ...(Array.isArray(body.hears) ? { hears: (body.hears as unknown[]).filter((x): x is string => typeof x === 'string') } : {}),
      from,
      receivedAt: now,
    };
    if (l.status !== 'UP') {
      l.status = 'UP';
      this.emit('linkUp', track.peer.node, link);
    }
    if (!l.timer) l.timer = setTimeout(() => this.checkLink(track, link), this.options.hbIntervalMs);
    this.emit('peerMessage', message);
  }
}
