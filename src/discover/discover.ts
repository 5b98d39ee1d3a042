// `mccs discover`: what on this node an HA group could be made of, each
// finding with its evidence. Read-only.
import { hostname } from 'node:os';
import type { DiscoverHost } from './host.js';
import { findFileSystems } from './filesystems.js';
import { findInterfaces } from './interfaces.js';
import { findListeners } from './listeners.js';
import { findOracle } from './oracle.js';
import { findPostgres } from './postgresql.js';
import { listProcesses } from './processes.js';
import { findServices } from './services.js';
import type { Discovery } from './types.js';

export async function discover(host: DiscoverHost): Promise<Discovery> {
  const notes: string[] = [];
  if (process.getuid?.() !== 0) notes.push('not root: processes of other users show no executable, directory or sockets');
  const [procs, services, interfaces] = await Promise.all([listProcesses(host), findServices(host, notes), findInterfaces(host, notes)]);
  return {
    host: hostname(),
    time: new Date().toISOString(),
    postgresql: findPostgres(host, procs),
    oracle: findOracle(host, procs),
    services,
    listeners: findListeners(host, procs),
    fileSystems: findFileSystems(host),
    interfaces,
    notes,
  };
}
