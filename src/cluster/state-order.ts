// The order of a peer's state bodies. A node's resource states reach the
// others on several connections (pushes, plan step answers, lock grants and
// releases), so an older body can arrive after a newer one: applied, it would
// put back a state the node has left (a group seen STARTING after it was
// ONLINE). Each body carries its sender's engine incarnation and a counter;
// a body not newer than the last one applied from the same engine is dropped.

export class StateOrder {
  private readonly last = new Map<string, { incarnation: string; seq: number }>();

  /** Is this body newer than the last one applied from `peer`? (Remembers it when it is.) A body without an order is always taken. */
  accept(peer: string, incarnation: unknown, seq: unknown): boolean {
    if (typeof incarnation !== 'string' || typeof seq !== 'number') return true;
    const last = this.last.get(peer);
    if (last && last.incarnation === incarnation && seq <= last.seq) return false;
    this.last.set(peer, { incarnation, seq });
    return true;
  }
}
