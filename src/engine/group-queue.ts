// One plan per group at a time (issue 8). Plans for a group are made and run
// one after the other on this node (a FIFO per group), and each takes the
// group's cluster-wide lock before it plans: the coordinating node holds the
// locks of every group, so an operator command on one node, a resource
// failure on the other and a node fault touching the same group are ordered,
// never interleaved. The holder's steps for another node run there at once:
// they are part of the plan that holds the lock (queueing them behind that
// node's own plans, which wait for the same lock, would deadlock).

/** Held while one plan for a group is made and run; released when it ends. */
export interface GroupLease {
  release(): void;
}

/** Cluster-wide exclusion per group; a single node needs none. */
export interface GroupLocks {
  acquire(group: string): Promise<GroupLease>;
}

const noLocks: GroupLocks = { acquire: async () => ({ release() {} }) };

export class GroupQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  /** Set by the cluster layer. */
  locks: GroupLocks = noLocks;

  /** Runs `work` after the group's previous work here, holding the group's cluster-wide lock. */
  run<T>(group: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(group) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const lease = await this.locks.acquire(group);
        try {
          return await work();
        } finally {
          lease.release();
        }
      });
    this.tails.set(group, next);
    // Keep the map small: forget a tail nobody queued behind.
    void next.catch(() => undefined).then(() => {
      if (this.tails.get(group) === next) this.tails.delete(group);
    });
    return next;
  }
}
