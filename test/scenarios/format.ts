// The two text formats of a golden scenario, both meant to be read in a diff.
//
// input.txt — the configuration, the observed state, the event and the time,
// one fact per line (`#` starts a comment; indentation is for the eye):
//
//   cluster ClusterName=lab                     Cluster attributes (default ClusterName=lab)
//   type Process MonitorInterval=5              Types: attributes shared by a type
//   node node1 RUNNING                          a node of Nodes (priority order) and its state
//   node node2 INITING since=1000               … and when this engine saw it enter that state (ms, the clock of `now`)
//   local node1                                 the node the engine runs on (default: first node)
//   group web FAILOVER node1,node2 AutoStart=true
//     res web-ip IP Critical=true               a resource of the last group
//     dep web-app web-ip OnlineDependency=WEAK  Parent Child [link attributes]
//   runtime web generation=2 tempLocked=true    runtime facts of a group (Observed.groups)
//   state node1 web-ip=ONLINE web-app=OFFLINE   resource states on a node
//   status node1 web-app ONLINE restartCount=1 onlineSince=0   one resource with its facts
//   event ResourceFailed resource=web-app node=node1 reason="exited 1"
//   now 600000                                  the policy's clock, monotonic ms (default 0)
//
// Values: true/false, numbers, "JSON strings" (for spaces), [JSON arrays];
// anything else is a plain string.
//
// expected.txt — the plan, compared exactly:
//
//   FAILOVER: <the plan's decision message>
//   refused CONFLICT                            only when the request is refused
//   group web FAILOVER                          multi-group events: each group's code
//   group web HEAL_GIVE_UP, then held FROZEN    … and a follow-up that would not act:
//                                               refused (an operator's kind: LOCKED) or held (FROZEN, GROUP_DISABLED)
//   failover web node1 -> node2                 a group moved off a node (or "-> none")
//   then GroupOffline web@node1                 follow-up events the caller runs (heal, isolation…)
//   then held GROUP_DISABLED                    the follow-up of a one-group event would be refused or held
//   step 0 node1 clean web-app FINAL_FAILURE_CRITICAL
//   step 1 node1 fault web-app FAULT_RECORDED after 0
import type { Observed, Plan, PolicyEvent, ResourceStatus } from '../../src/engine/policy/types.js';
import type { GroupConfig, MainConfig, ResourceConfig } from '../../src/model/types.js';

export interface ScenarioInput {
  config: MainConfig;
  observed: Observed;
  event: PolicyEvent;
  now: number;
}

const TOKEN = /(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g;

function value(text: string): unknown {
  if (text.startsWith('"') || text.startsWith('[') || text.startsWith('{')) return JSON.parse(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

function attrs(tokens: string[], where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new Error(`${where}: expected Name=value, got '${t}'`);
    out[t.slice(0, eq)] = value(t.slice(eq + 1));
  }
  return out;
}

export function parseInput(text: string, name = 'input'): ScenarioInput {
  const config: MainConfig = { ConfigVersion: 1, Cluster: { ClusterName: 'lab' }, Nodes: [], Groups: [] } as MainConfig;
  const observed: Observed = { localNode: '', nodes: {}, resources: {} };
  let event: PolicyEvent | undefined;
  let now = 0;
  let group: GroupConfig | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const where = `${name}:${i + 1}`;
    const [word, ...rest] = line.match(TOKEN) ?? [];
    const need = (n: number) => {
      if (rest.length < n) throw new Error(`${where}: '${word}' needs ${n} words`);
    };
    switch (word) {
      case 'version':
        need(1);
        config.ConfigVersion = Number(rest[0]);
        break;
      case 'cluster':
        config.Cluster = { ...config.Cluster, ...attrs(rest, where) } as MainConfig['Cluster'];
        break;
      case 'type':
        need(1);
        config.Types = { ...config.Types, [rest[0]!]: attrs(rest.slice(1), where) };
        break;
      case 'node': {
        need(2);
        const [n, state, ...more] = rest as [string, string, ...string[]];
        const since = more.find((t) => t.startsWith('since='));
        config.Nodes.push({ NodeName: n, ...attrs(more.filter((t) => t !== since), where) } as MainConfig['Nodes'][number]);
        if (state !== '-') observed.nodes[n] = { state: state as never, ...(since ? { since: Number(since.slice('since='.length)) } : {}) };
        observed.resources[n] ??= {};
        break;
      }
      case 'local':
        need(1);
        observed.localNode = rest[0]!;
        break;
      case 'group': {
        need(3);
        const [g, type, nodeList, ...more] = rest as [string, string, string, ...string[]];
        group = { GroupName: g, GroupType: type, NodeList: nodeList.split(','), ...attrs(more, where), Resources: [], Dependencies: [] } as unknown as GroupConfig;
        config.Groups.push(group);
        break;
      }
      case 'res': {
        need(2);
        if (!group) throw new Error(`${where}: 'res' before any 'group'`);
        const [r, type, ...more] = rest as [string, string, ...string[]];
        group.Resources.push({ ResName: r, Type: type, ...attrs(more, where) } as ResourceConfig);
        break;
      }
      case 'dep': {
        need(2);
        if (!group) throw new Error(`${where}: 'dep' before any 'group'`);
        const [parent, child, ...more] = rest as [string, string, ...string[]];
        (group.Dependencies ??= []).push({ Parent: parent, Child: child, ...attrs(more, where) } as never);
        break;
      }
      case 'runtime':
        need(1);
        (observed.groups ??= {})[rest[0]!] = attrs(rest.slice(1), where);
        break;
      case 'state': {
        need(1);
        const byRes = (observed.resources[rest[0]!] ??= {});
        for (const t of rest.slice(1)) {
          const [r, s] = t.split('=');
          if (!r || !s) throw new Error(`${where}: expected RES=STATE, got '${t}'`);
          byRes[r] = { state: s as ResourceStatus['state'] };
        }
        break;
      }
      case 'status': {
        need(3);
        const [n, r, s, ...more] = rest as [string, string, string, ...string[]];
        (observed.resources[n] ??= {})[r] = { state: s as ResourceStatus['state'], ...attrs(more, where) };
        break;
      }
      case 'event':
        need(1);
        event = { kind: rest[0], ...attrs(rest.slice(1), where) } as PolicyEvent;
        break;
      case 'now':
        need(1);
        now = Number(rest[0]);
        break;
      default:
        throw new Error(`${where}: unknown line '${word}'`);
    }
  });
  if (!event) throw new Error(`${name}: no 'event' line`);
  observed.localNode ||= config.Nodes[0]?.NodeName ?? '';
  for (const g of config.Groups) if (g.Dependencies?.length === 0) delete g.Dependencies;
  return { config, observed, event, now };
}

function eventLine(e: PolicyEvent): string {
  const subject = 'resource' in e ? e.resource : 'group' in e ? e.group : undefined;
  return subject ? `${e.kind} ${subject}@${e.node}` : `${e.kind} ${e.node}`;
}

interface StoppedFacts {
  followUpRefused?: { code: string };
  followUpHeld?: { code: string };
}

/** "refused LOCKED" / "held FROZEN": the follow-up that would not act, if any. */
function stoppedLine(f: StoppedFacts): string | undefined {
  if (f.followUpRefused) return `refused ${f.followUpRefused.code}`;
  if (f.followUpHeld) return `held ${f.followUpHeld.code}`;
  return undefined;
}

/** The plan as the lines of expected.txt. */
export function renderPlan(p: Plan): string {
  const out = [`${p.decision.code}: ${p.decision.message}`];
  if (p.refused) out.push(`refused ${p.refused.code}`);
  const groups = p.decision.facts.groups as Record<string, StoppedFacts & { code: string }> | undefined;
  if (groups && typeof groups === 'object') for (const [g, d] of Object.entries(groups)) out.push(`group ${g} ${d.code}${stoppedLine(d) ? `, then ${stoppedLine(d)}` : ''}`);
  for (const f of p.failovers ?? (p.failover ? [p.failover] : [])) out.push(`failover ${f.group} ${f.from} -> ${f.to ?? 'none'}`);
  for (const f of p.followUps ?? []) out.push(`then ${eventLine(f.event)}${f.untilPeerStops ? ' once the peer stopped it' : ''}`);
  const stopped = stoppedLine(p.decision.facts as StoppedFacts);
  if (stopped) out.push(`then ${stopped}`);
  for (const s of p.steps) out.push(`step ${s.id} ${s.node} ${s.op} ${s.resource} ${s.decision.code}${s.after.length > 0 ? ` after ${s.after.join(',')}` : ''}`);
  return `${out.join('\n')}\n`;
}
