// The dual-holder watcher of the witness and partition tests: every node's
// address table (ip -j addr on eth0, read from the host: it works on a
// frozen, cut off or powered-off node too) read at once, a new round every
// 10 ms (or as soon as the last one is read), for one or several VIPs;
// counts the rounds where a VIP is held by more than one node.
import { exec, sleep } from '../lab/exec.js';
import type { Lab, NodeName } from '../lab/lab.js';

export interface HolderSample {
  /** Rounds read. */
  samples: number;
  /** Rounds where a VIP had two holders or more (any VIP). */
  dual: number;
  /** Per VIP: rounds with two holders or more. */
  dualByAddr: Record<string, number>;
  /** Per VIP: the holder sets seen ("node1", "node1+node3", "none"), in order of first sight. */
  seenByAddr: Record<string, string[]>;
  /** The holder sets of the first VIP (the one-VIP form). */
  seen: string[];
  /** Mean time per round. */
  periodMs: number;
}

export class HolderSampler {
  private samples = 0;
  private readonly dual = new Map<string, number>();
  private readonly seen = new Map<string, Set<string>>();
  private anyDual = 0;
  private readonly started = Date.now();
  private stopped = false;
  private readonly done: Promise<void>;
  private readonly addrs: string[];

  /** Starts sampling at once; bounded to `limitMs` (default 180 s) in case stop() is never called. */
  constructor(private readonly lab: Lab, addrs: string | string[], private readonly nodes: NodeName[] = lab.names, limitMs = 180_000) {
    const addrList = Array.isArray(addrs) ? addrs : [addrs];
    this.addrs = addrList;
    for (const a of addrList) {
      this.dual.set(a, 0);
      this.seen.set(a, new Set());
    }
    this.done = (async () => {
      const end = Date.now() + limitMs;
      while (!this.stopped && Date.now() < end) {
        const t0 = Date.now();
        const tables = await this.tables();
        this.samples += 1;
        let any = false;
        for (const a of addrList) {
          const holders = this.nodes.filter((_, i) => tables[i]!.has(a));
          if (holders.length > 1) {
            this.dual.set(a, this.dual.get(a)! + 1);
            any = true;
          }
          this.seen.get(a)!.add(holders.join('+') || 'none');
        }
        if (any) this.anyDual += 1;
        await sleep(Math.max(0, 10 - (Date.now() - t0)));
      }
    })();
  }

  private tables(): Promise<Set<string>[]> {
    return Promise.all(this.nodes.map(async (n) => {
      const r = await exec('ip', ['-n', this.lab.nodes[n].ns, '-j', 'addr', 'show', 'dev', 'eth0']);
      const shown = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[];
      return new Set((shown[0]?.addr_info ?? []).map((x) => x.local));
    }));
  }

  async stop(): Promise<HolderSample> {
    this.stopped = true;
    await this.done;
    const seenByAddr = Object.fromEntries([...this.seen].map(([a, s]) => [a, [...s]]));
    return {
      samples: this.samples,
      dual: this.anyDual,
      dualByAddr: Object.fromEntries(this.dual),
      seenByAddr,
      seen: seenByAddr[this.addrs[0]!] ?? [],
      periodMs: Math.round((Date.now() - this.started) / Math.max(1, this.samples)),
    };
  }
}
