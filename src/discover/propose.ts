// `mccs discover --propose GROUP`: a ready group for main.json from what
// discovery found, resources filled in and chained by dependencies
//   NIC ← IP ← disk ← database ← application
// (each depends on the one before it that was found). Pure: discovery and
// the operator's choices in, the group and the reasons for each choice out.
import type { Dependency, GroupConfig, ResourceConfig } from '../model/types.js';
import type { BlockFileSystem, Discovery, InterfaceInfo, PostgresCluster, TcpListener } from './types.js';

export interface ProposeOptions {
  group: string;
  /** NodeList of the group (the cluster's nodes, in priority order). */
  nodes: string[];
  /** This node's PrimaryHB: the NIC is the interface that carries it. */
  primaryHB?: string;
  /** The virtual IP, ADDRESS[/PREFIX]. */
  vip?: string;
  /** The application: the process listening on this TCP port. */
  port?: number;
  /** A systemd service as the application (ServiceName). */
  service?: string;
}

export interface Proposal {
  group: GroupConfig;
  /** One line per choice made or not made, with why. */
  reasons: string[];
}

const under = (path: string | null | undefined, dir: string): boolean => !!path && (path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`));

function chooseNic(d: Discovery, o: ProposeOptions, reasons: string[]): InterfaceInfo | undefined {
  if (o.primaryHB) {
    const hit = d.interfaces.find((i) => i.addresses.some((a) => a.address === o.primaryHB));
    if (hit) {
      reasons.push(`NIC ${hit.name}: it carries this node's PrimaryHB ${o.primaryHB}`);
      return hit;
    }
    reasons.push(`no interface carries PrimaryHB ${o.primaryHB} on this host`);
  }
  const up = d.interfaces.find((i) => i.state === 'UP' && i.addresses.some((a) => a.family === 'inet')) ?? d.interfaces.find((i) => i.addresses.length > 0);
  if (up) reasons.push(`NIC ${up.name}: the first interface that is up with an address`);
  return up;
}

function chooseDatabase(d: Discovery, reasons: string[]): { pg?: PostgresCluster; fs?: BlockFileSystem } {
  const onDisk = d.postgresql.map((pg) => ({ pg, fs: d.fileSystems.find((f) => under(pg.dataDir, f.mountPoint)) }));
  const pick = onDisk.find((x) => x.fs) ?? onDisk[0];
  if (!pick) return {};
  reasons.push(`PostgreSQL ${pick.pg.version} in ${pick.pg.dataDir}, port ${pick.pg.port}, user ${pick.pg.osUser}${pick.fs ? `: its data directory is on ${pick.fs.device} (${pick.fs.mountPoint})` : ' (its data directory is on no separate disk)'}`);
  if (d.postgresql.length > 1) reasons.push(`${d.postgresql.length - 1} other PostgreSQL cluster(s) found and left out: ${d.postgresql.filter((x) => x !== pick.pg).map((x) => x.dataDir).join(', ')}`);
  return pick;
}

function chooseApp(d: Discovery, o: ProposeOptions, fs: BlockFileSystem | undefined, skipPids: Set<number>, reasons: string[]): TcpListener | undefined {
  const candidates = d.listeners.filter((l) => l.pid !== null && l.exe && !skipPids.has(l.pid));
  if (o.port !== undefined) {
    const hit = candidates.find((l) => l.port === o.port);
    if (hit) reasons.push(`application: ${hit.exe} (pid ${hit.pid}) listening on port ${hit.port}`);
    else reasons.push(`no process of this host listens on TCP port ${o.port}`);
    return hit;
  }
  if (fs) {
    const hit = candidates.find((l) => under(l.exe, fs.mountPoint) || l.args.some((a) => under(a, fs.mountPoint)) || under(l.cwd, fs.mountPoint));
    if (hit) {
      reasons.push(`application: ${hit.exe} ${hit.args.slice(1).join(' ')} (pid ${hit.pid}, port ${hit.port}): it runs from ${fs.mountPoint}`);
      return hit;
    }
  }
  if (candidates.length) reasons.push(`no application chosen; listening processes: ${candidates.map((l) => `${l.port} ${l.exe}`).join(', ')} (choose one with --port)`);
  return undefined;
}

export function propose(d: Discovery, o: ProposeOptions): Proposal {
  const reasons: string[] = [];
  const name = (what: string) => `${o.group}-${what}`;
  const chain: ResourceConfig[] = [];
  const extra: Dependency[] = [];
  let listenerRes: ResourceConfig | undefined;

  const nic = chooseNic(d, o, reasons);
  const nicRes = nic ? { ResName: name('nic'), Type: 'NIC', Device: nic.name } : undefined;
  if (nicRes) chain.push(nicRes);

  if (o.vip) {
    const [address, prefixText] = o.vip.split('/');
    const family = address!.includes(':') ? 'inet6' : 'inet';
    const prefix = prefixText !== undefined ? Number(prefixText) : (nic?.addresses.find((a) => a.family === family)?.prefix ?? (family === 'inet' ? 24 : 64));
    if (!nicRes) reasons.push('IP left out: no interface to put it on');
    else {
      chain.push({ ResName: name('ip'), Type: 'IP', NICResName: nicRes.ResName, Address: address!, Prefix: prefix, Critical: true });
      reasons.push(`IP ${address}/${prefix} on ${nic!.name}${prefixText === undefined ? ' (prefix of the interface)' : ''}`);
    }
  } else reasons.push('no virtual IP: give --vip ADDRESS/PREFIX for one');

  const db = chooseDatabase(d, reasons);
  let fs = db.fs;
  const oracle = !db.pg ? d.oracle.instances[0] : undefined;
  const skip = new Set<number>([...d.postgresql.map((p) => p.pid), ...d.oracle.instances.map((i) => i.pid), ...d.oracle.listeners.map((l) => l.pid)]);
  const app = o.service ? undefined : chooseApp(d, o, fs, skip, reasons);
  if (!fs && app) fs = d.fileSystems.find((f) => under(app.exe, f.mountPoint) || under(app.cwd, f.mountPoint) || app.args.some((a) => under(a, f.mountPoint)));
  if (!fs && !db.pg && !app && d.fileSystems.length === 1) fs = d.fileSystems[0];
  if (fs) {
    chain.push({ ResName: name('disk'), Type: 'SharedDisk', Device: fs.device, MountPoint: fs.mountPoint, FSType: fs.fsType, Critical: true });
    reasons.push(`SharedDisk ${fs.device} (${fs.fsType}) on ${fs.mountPoint}; its disk lease needs the last MiB of ${fs.device} outside the file system (docs/agents.md, "Preparing the disk"), else set DiskLease=false`);
  } else if (d.fileSystems.length) reasons.push(`no disk chosen; block file systems found: ${d.fileSystems.map((f) => `${f.device} on ${f.mountPoint}`).join(', ')}`);

  if (db.pg) {
    const pg = db.pg;
    const res: ResourceConfig = { ResName: name('db'), Type: 'PostgreSQL', DataDir: pg.dataDir, Port: pg.port, OsUser: pg.osUser, Critical: true };
    if (pg.binDir) res.PgBinDir = pg.binDir;
    if (pg.socketDir && /^\/[A-Za-z0-9._/-]*$/.test(pg.socketDir)) res.SocketDir = pg.socketDir;
    chain.push(res);
  } else if (oracle) {
    chain.push({ ResName: name('db'), Type: 'Oracle', SID: oracle.sid, OracleHome: oracle.oracleHome ?? '', OracleUser: oracle.osUser, Critical: true });
    reasons.push(`Oracle instance ${oracle.sid} (user ${oracle.osUser}, ORACLE_HOME ${oracle.oracleHome ?? 'unknown'})`);
    const lsnr = d.oracle.listeners.find((l) => l.oracleHome === oracle.oracleHome) ?? d.oracle.listeners[0];
    if (lsnr) {
      const lr: ResourceConfig = { ResName: name('listener'), Type: 'OracleListener', ListenerName: lsnr.name, OracleHome: lsnr.oracleHome ?? oracle.oracleHome ?? '', OracleUser: lsnr.osUser, Critical: true };
      reasons.push(`Oracle listener ${lsnr.name}`);
      // The listener needs the address, not the instance.
      const ip = chain.find((r) => r.Type === 'IP') ?? chain.find((r) => r.Type === 'NIC');
      if (ip) extra.push({ Parent: lr.ResName, Child: ip.ResName });
      extra.push({ Parent: lr.ResName, Child: name('db') });
      listenerRes = lr;
    }
  } else reasons.push('no database found (no running PostgreSQL postmaster, no ora_pmon_* process)');

  if (o.service) {
    chain.push({ ResName: name('app'), Type: 'Service', ServiceName: o.service, Critical: true });
    const known = d.services.some((s) => s.unit === o.service || s.unit === `${o.service}.service`);
    reasons.push(`application: systemd service ${o.service}${known ? ' (enabled and active here)' : ' (not among the enabled and active services here)'}`);
  } else if (app) {
    const res: ResourceConfig = { ResName: name('app'), Type: 'Process', Path: app.exe!, Arguments: app.args.slice(1), Critical: true };
    if (app.cwd && app.cwd !== '/') res.StartupDirectory = app.cwd;
    if (app.user && app.user !== 'root') res.User = app.user;
    chain.push(res);
  }

  const deps: Dependency[] = [];
  for (let i = 1; i < chain.length; i++) deps.push({ Parent: chain[i]!.ResName, Child: chain[i - 1]!.ResName });
  const resources = [...chain];
  if (listenerRes) resources.push(listenerRes);
  const group: GroupConfig = { GroupName: o.group, GroupType: 'FAILOVER', NodeList: o.nodes, Resources: resources, Dependencies: [...deps, ...extra] };
  return { group, reasons };
}
