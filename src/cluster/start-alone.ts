// Starting without the peer (SPEC §3): an INITING node that hears no peer
// waits StartAloneTimeout, and starts alone only when the rule of
// fault-decision.ts says so (the peer is silent on every link and on ICMP,
// this node is not isolated), or when an operator forces it. The verdict is
// re-evaluated on a timer until the node leaves INITING.
import type { Clock } from './clock.js';
import { decideStartAlone, type AddressFact, type Decision, type StartAloneCode, type StartAloneVerdict } from './fault-decision.js';
import type { NodeEvent, PeerView, SelfView } from './node-state.js';
import type { NodeState } from '../model/types.js';

export type StartAloneDecision = Decision<StartAloneVerdict, StartAloneCode>;

/** What the rule reads from membership, and how it acts on it. */
export interface StartAloneHost {
  readonly clock: Clock;
  readonly self: SelfView;
  closed(): boolean;
  state(): NodeState;
  peerCount(): number;
  startedAt(): number;
  startAloneTimeoutMs(): number;
  hbTimeoutMs(): number;
  isolationTestTimeoutMs(): number;
  pingIntervalMs(): number;
  /** The peers heard on a link now. */
  heardPeers(): PeerView[];
  /** ICMP facts of the heartbeat addresses of the peers not heard. */
  silentPeerAddresses(): AddressFact[];
  /** ICMP facts of this node's IsolationTestAddresses. */
  testAddresses(): AddressFact[];
  /** The verdict changed (reported to the engine). */
  changed(decision: StartAloneDecision): void;
  dispatch(event: NodeEvent): void;
}

export class StartAloneRule {
  private timer?: NodeJS.Timeout;
  /** The last verdict, shown in the status. */
  decision?: StartAloneDecision;
  private force = false;

  constructor(private readonly host: StartAloneHost) {}

  /** An operator forces this node to start without its peer. */
  forceStart(): void {
    this.force = true;
    this.evaluate();
  }

  close(): void {
    clearTimeout(this.timer);
  }

  evaluate(): void {
    const host = this.host;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (host.closed() || host.state() !== 'INITING' || host.peerCount() === 0) return;
    const heard = host.heardPeers();
    const now = host.clock();
    const d = decideStartAlone({
      now,
      startedAt: host.startedAt(),
      startAloneTimeoutMs: host.startAloneTimeoutMs(),
      peerHeard: heard.length > 0,
      force: this.force,
      hbTimeoutMs: host.hbTimeoutMs(),
      isolationTestTimeoutMs: host.isolationTestTimeoutMs(),
      peerAddresses: host.silentPeerAddresses(),
      testAddresses: host.testAddresses(),
    });
    if (d.code !== this.decision?.code) host.changed(d);
    this.decision = d;
    if (d.verdict === 'START_ALONE') {
      this.force = false;
      host.dispatch({ type: 'startAlone', self: host.self, heard, forced: d.code === 'FORCED' });
      if (host.state() === 'INITING') this.timer = setTimeout(() => this.evaluate(), 1000);
      return;
    }
    if (d.verdict === 'JOIN') return; // heartbeats drive the state from here; a silent peer re-triggers this on linkDown
    const next = Math.min(d.recheckAt ?? Infinity, now + Math.max(host.pingIntervalMs(), 500));
    this.timer = setTimeout(() => this.evaluate(), Math.max(1, Math.ceil(next - now)));
  }
}
