// The one door through which a failover group comes online on this node when
// the cluster has a witness (src/witness): the engine awaits `acquire` before
// the first online step of a failover group here (start, switch, takeover,
// heal, AutoStart). It resolves once this node owns the group at the
// witness; it rejects with OwnershipRefused when another node owns it.

export interface OwnershipGate {
  acquire(group: string, cause: string): Promise<void>;
}

const PREFIX = 'ownership refused: ';

export class OwnershipRefused extends Error {
  constructor(
    readonly group: string,
    readonly reason: string,
  ) {
    super(`${PREFIX}${reason}`);
  }
}

/** A step that failed because the gate refused is not a failure of the resource. */
export function isOwnershipRefusal(message: string | undefined): boolean {
  return typeof message === 'string' && message.startsWith(PREFIX);
}
