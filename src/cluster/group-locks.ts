// The cluster-wide lock of each group (see engine/group-queue.ts): the
// coordinating node keeps one FIFO per group, for its own plans and for the
// peer's; the peer asks for a group over the peer channel and is answered
// when its turn comes, with the coordinator's resource states so it plans on
// fresh facts; it hands its own states back when it releases.
import type { GroupLease, GroupLocks } from '../engine/group-queue.js';
import type { PeerResponse } from './peer-channel.js';

/** One wait for a remote grant lasts less than the peer channel's idle cut (60 s); then it is asked again. */
const REMOTE_WAIT_MS = 45_000;
/** A coordinator that cannot be reached for this long is not waited for: the plan is made alone (logged). */
const UNREACHABLE_MS = 3000;

/** How often a waiting node checks that the node it waits for still holds the locks. */
const COORDINATOR_CHECK_MS = 100;

class CoordinatorChanged extends Error {
  constructor(node: string) {
    super(`${node} no longer holds the group locks`);
  }
}

interface Waiter {
  token: string;
  /** true: it holds the group now; false: it gave up waiting. */
  grant: (held: boolean) => void;
}

interface Entry {
  holder?: string;
  waiters: Waiter[];
}

export interface GroupLockOptions {
  localNode: string;
  /** The node holding the locks now. */
  coordinator: () => string;
  request: (kind: string, body: unknown, timeoutMs: number) => Promise<PeerResponse>;
  /** This node's resource states, sent with grants and releases. */
  stateBody: () => unknown;
  applyState: (body: unknown) => void;
  /** A plan made without the coordinator's lock (it could not be reached). */
  onAlone: (group: string, why: string) => void;
}

export class ClusterGroupLocks implements GroupLocks {
  private readonly table = new Map<string, Entry>();
  /** Tokens released before their request arrived (bounded; oldest forgotten first). */
  private readonly abandoned = new Set<string>();
  private seq = 0;

  constructor(private readonly options: GroupLockOptions) {}

  async acquire(group: string): Promise<GroupLease> {
    const { localNode, coordinator, request } = this.options;
    let unreachableSince: number | undefined;
    for (;;) {
      const token = `${localNode}#${++this.seq}`;
      if (coordinator() === localNode) {
        await this.lockHere(group, token);
        return { release: () => this.releaseHere(group, token) };
      }
      const asked = performance.now();
      try {
        const res = await this.untilCoordinatorChanges(coordinator(), request('lock.acquire', { group, token }, REMOTE_WAIT_MS));
        if (res.ok) {
          this.options.applyState((res.body as { state?: unknown }).state);
          return { release: () => void this.releaseRemote(group, token) };
        }
        unreachableSince = undefined; // it answered: not the coordinator (any more), look again
      } catch (e) {
        // Forget this request there, whatever happened to it.
        void request('lock.release', { group, token }, 2000).catch(() => undefined);
        const waited = performance.now() - asked >= REMOTE_WAIT_MS - 100;
        if (e instanceof CoordinatorChanged) continue;
        if (!waited) {
          unreachableSince ??= asked;
          if (performance.now() - unreachableSince >= UNREACHABLE_MS) {
            this.options.onAlone(group, (e as Error).message);
            await this.lockHere(group, token);
            return { release: () => this.releaseHere(group, token) };
          }
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * A grant from a coordinator that stops being one (it froze, its links went
   * down, it left RUNNING) is not waited for: the request is given up and the
   * lock asked again of whoever holds the locks now.
   */
  private untilCoordinatorChanges<T>(asked: string, work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const watch = setInterval(() => {
        if (this.options.coordinator() !== asked) {
          clearInterval(watch);
          reject(new CoordinatorChanged(asked));
        }
      }, COORDINATOR_CHECK_MS);
      work.then(
        (v) => {
          clearInterval(watch);
          resolve(v);
        },
        (e: unknown) => {
          clearInterval(watch);
          reject(e);
        },
      );
    });
  }

  /** Coordinator side: resolves true when `token` holds the group (arrival order), false if it gave up first. */
  lockHere(group: string, token: string): Promise<boolean> {
    // Its release overtook it (sent on another connection when the requester gave up).
    if (this.abandoned.delete(token)) return Promise.resolve(false);
    const entry = this.entry(group);
    if (!entry.holder) {
      entry.holder = token;
      return Promise.resolve(true);
    }
    return new Promise((grant) => entry.waiters.push({ token, grant }));
  }

  /** Coordinator side: `token` is done (or gave up waiting); the next in line gets the group. */
  releaseHere(group: string, token: string): void {
    const entry = this.table.get(group);
    if (!entry || (entry.holder !== token && !entry.waiters.some((w) => w.token === token))) {
      this.forgetLater(token);
      return;
    }
    const gaveUp = entry.waiters.find((w) => w.token === token);
    if (gaveUp) {
      entry.waiters = entry.waiters.filter((w) => w !== gaveUp);
      gaveUp.grant(false);
    }
    if (entry.holder !== token) return;
    const next = entry.waiters.shift();
    entry.holder = next?.token;
    if (next) next.grant(true);
    else this.table.delete(group);
  }

  /** A release for a request not seen yet: that request, when it arrives, is refused. */
  private forgetLater(token: string): void {
    this.abandoned.add(token);
    if (this.abandoned.size > 1024) this.abandoned.delete(this.abandoned.values().next().value!);
  }

  /** The peer is gone: whatever it held or waited for is released. */
  releaseAllOf(node: string): void {
    for (const [group, entry] of this.table) {
      for (const w of [...entry.waiters]) if (w.token.startsWith(`${node}#`)) this.releaseHere(group, w.token);
      if (entry.holder?.startsWith(`${node}#`)) this.releaseHere(group, entry.holder);
    }
  }

  /** What the coordinator holds, for status. */
  held(): Record<string, { holder: string; waiting: number }> {
    return Object.fromEntries([...this.table].filter(([, e]) => e.holder).map(([g, e]) => [g, { holder: e.holder!, waiting: e.waiters.length }]));
  }

  private async releaseRemote(group: string, token: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const res = await this.options.request('lock.release', { group, token, state: this.options.stateBody() }, 3000);
        if (res.ok) return;
      } catch {
        // retried; a coordinator that lost us releases our locks when it sees us gone
      }
    }
  }

  private entry(group: string): Entry {
    let e = this.table.get(group);
    if (!e) {
      e = { waiters: [] };
      this.table.set(group, e);
    }
    return e;
  }
}
