// What the wizard proposes from what `mccs discover` found on this host,
// and what it warns about at once: a device, directory or interface that
// does not exist here. Pure: discovery, the question and the answers so far
// in; a suggestion (with why) or a warning out.
import type { Discovery } from '../discover/types.js';
import type { AnswerValue, Question } from './questions.js';

export interface Suggestion {
  value: string;
  why: string;
}

type Values = Record<string, AnswerValue | undefined>;

/** The interface that carries one of the nodes' PrimaryHB answers on this host (this node's). */
function hbInterface(d: Discovery, values: Values): Suggestion | undefined {
  for (const key of ['NODE1_PRIMARY_HB', 'NODE2_PRIMARY_HB']) {
    const address = values[key];
    if (typeof address !== 'string') continue;
    const nic = d.interfaces.find((i) => i.addresses.some((a) => a.address === address));
    if (nic) return { value: nic.name, why: `${nic.name} carries ${address} (${key}) on this host` };
  }
  const up = d.interfaces.find((i) => i.state === 'UP' && i.addresses.some((a) => a.family === 'inet'));
  return up ? { value: up.name, why: `${up.name} is the first interface that is up with an IPv4 address` } : undefined;
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

export function suggest(d: Discovery, q: Question, values: Values): Suggestion | undefined {
  const pg = d.postgresql.find((p) => d.fileSystems.some((f) => under(p.dataDir, f.mountPoint))) ?? d.postgresql[0];
  const fs = (pg && d.fileSystems.find((f) => under(pg.dataDir, f.mountPoint))) ?? d.fileSystems[0];
  const ora = d.oracle.instances[0];
  const pgWhy = pg ? `PostgreSQL ${pg.version} runs here from ${pg.dataDir} (postmaster pid ${pg.pid})` : '';
  switch (q.name) {
    case 'NIC':
      return hbInterface(d, values);
    case 'DEVICE':
      return fs ? { value: fs.device, why: `${fs.device} (${fs.fsType}) is mounted on ${fs.mountPoint}` } : undefined;
    case 'MOUNT_POINT':
      return fs ? { value: fs.mountPoint, why: `${fs.device} is mounted there` } : undefined;
    case 'FS_TYPE':
      return fs ? { value: fs.fsType, why: `${fs.device} holds ${fs.fsType}` } : undefined;
    case 'DATA_DIR':
      return pg ? { value: pg.dataDir, why: pgWhy } : undefined;
    case 'PG_PORT':
      return pg ? { value: String(pg.port), why: pgWhy } : undefined;
    case 'PG_BIN_DIR':
      return pg?.binDir ? { value: pg.binDir, why: pgWhy } : undefined;
    case 'OS_USER':
      return pg ? { value: pg.osUser, why: pgWhy } : undefined;
    case 'ORACLE_SID':
      return ora ? { value: ora.sid, why: `ora_pmon_${ora.sid} runs here` } : undefined;
    case 'ORACLE_HOME':
      return ora?.oracleHome ? { value: ora.oracleHome, why: `ORACLE_HOME of ${ora.sid}` } : undefined;
    case 'ORACLE_USER':
      return ora ? { value: ora.osUser, why: `${ora.sid} runs as ${ora.osUser}` } : undefined;
    case 'LISTENER_NAME':
      return d.oracle.listeners[0] ? { value: d.oracle.listeners[0].name, why: 'tnslsnr runs here' } : undefined;
    default:
      return undefined;
  }
}

/**
 * A warning for an answer that names something absent from this host: a
 * path (device, directory, program) or a network interface. Absent is not
 * always wrong (a shared disk not mounted yet), so it warns, and says so.
 */
export function absenceWarning(q: Question, value: AnswerValue | undefined, d: Discovery, exists: (path: string) => boolean): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (q.validate === 'abs-path' && !exists(value)) {
    const what = q.name === 'DEVICE' ? 'device' : /DIR|HOME|MOUNT/.test(q.name) ? 'directory' : 'path';
    const found = q.name === 'DEVICE' && d.fileSystems.length ? ` (block devices with file systems here: ${d.fileSystems.map((f) => f.device).join(', ')})` : '';
    return `${q.name}: the ${what} ${value} does not exist on this host${found}`;
  }
  if (q.validate === 'interface' && d.interfaces.length > 0 && !d.interfaces.some((i) => i.name === value)) {
    return `${q.name}: there is no interface ${value} on this host (interfaces: ${d.interfaces.map((i) => i.name).join(', ')})`;
  }
  return undefined;
}
