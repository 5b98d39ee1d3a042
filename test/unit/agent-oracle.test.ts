// Oracle and OracleListener agents against sqlplus/lsnrctl simulators placed
// in a temporary ORACLE_HOME/bin (no Oracle Database on this machine).
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oracleAgent, oracleListenerAgent } from '../../src/engine/agents/oracle.js';
import { agentContract, makeTempHome, makeTestContext, removeTempHome } from '../helpers/agent-contract.js';

const SIM = resolve(import.meta.dirname, '../simulators');
const home = makeTempHome('oracle');
const oracleHome = join(home, 'dbhome_1');
mkdirSync(join(oracleHome, 'bin'), { recursive: true });
mkdirSync(join(oracleHome, 'dbs'), { recursive: true });
for (const tool of ['sqlplus', 'lsnrctl']) symlinkSync(join(SIM, tool), join(oracleHome, 'bin', tool));
writeFileSync(join(oracleHome, 'dbs', 'spfileORCL.ora'), '');
writeFileSync(join(oracleHome, 'dbs', 'spfileSLOW.ora'), '');
const statePath = join(home, 'oracle.json');
const savedState = process.env.ORACLE_SIM_STATE;
process.env.ORACLE_SIM_STATE = statePath;
writeFileSync(statePath, JSON.stringify({ instances: {}, listeners: { LISTENER: 'down' } }));

const sim = () => JSON.parse(readFileSync(statePath, 'utf8'));
const patch = (f: (s: any) => void): void => {
  const s = sim();
  f(s);
  writeFileSync(statePath, JSON.stringify(s));
};
// The simulators run as OracleUser; root here so they can write the state file.
const base = { OracleHome: oracleHome, OracleUser: 'root' };
const db = (attrs: Record<string, unknown> = {}, deadlineMs = 10_000, log?: string[]) =>
  makeTestContext({ home, attrs: { ...base, SID: 'ORCL', ...attrs }, deadlineMs, log });
const lsnr = (attrs: Record<string, unknown> = {}) => makeTestContext({ home, attrs: { ...base, ...attrs } });

afterAll(() => {
  if (savedState === undefined) delete process.env.ORACLE_SIM_STATE;
  else process.env.ORACLE_SIM_STATE = savedState;
  removeTempHome(home);
});

agentContract('Oracle ORCL (sqlplus simulator)', () => db(), oracleAgent, {
  afterOnline: () => expect(sim().instances.ORCL.status).toBe('OPEN'),
  afterOffline: () => expect(sim().instances.ORCL.status).toBe('DOWN'),
});

agentContract('OracleListener LISTENER (lsnrctl simulator)', () => lsnr(), oracleListenerAgent, {
  afterOnline: () => expect(sim().listeners.LISTENER).toBe('up'),
  afterOffline: () => expect(sim().listeners.LISTENER).toBe('down'),
});

describe('Oracle: what the operator sees', () => {
  it('SID missing: clear error before anything runs', async () => {
    await expect(oracleAgent.online(db({ SID: '' }))).rejects.toThrow(/SID is not set/);
  });

  it('a SID without a parameter file: clear error naming the file', async () => {
    await expect(oracleAgent.online(db({ SID: 'NOPE' }))).rejects.toThrow(/no parameter file for SID NOPE .*spfileNOPE.ora/);
  });

  it('an instance left MOUNTED is failed, and online restarts it with startup force', async () => {
    patch((s) => (s.instances.ORCL = { status: 'MOUNTED' }));
    expect(await oracleAgent.observe(db())).toMatchObject({ state: 'failed', reason: expect.stringContaining('MOUNTED, not OPEN') });
    await oracleAgent.online(db());
    expect(sim().instances.ORCL.status).toBe('OPEN');
  });

  it('a failing query: a warning by default, failed with FaultOnQueryFailure', async () => {
    patch((s) => (s.instances.ORCL = { status: 'OPEN', queryError: 'ORA-00376: file 5 cannot be read at this time' }));
    const log: string[] = [];
    expect((await oracleAgent.observe(db({}, 10_000, log))).state).toBe('running');
    expect(log.join('\n')).toMatch(/ORA-00376/);
    expect(await oracleAgent.observe(db({ FaultOnQueryFailure: true }))).toMatchObject({ state: 'failed', reason: expect.stringContaining('ORA-00376') });
    patch((s) => (s.instances.ORCL = { status: 'DOWN' }));
  });

  it('ShutdownOption AbortAtTimeout: a hanging shutdown immediate becomes shutdown abort', async () => {
    patch((s) => (s.instances.SLOW = { status: 'OPEN', shutdownHangs: true }));
    const log: string[] = [];
    await oracleAgent.offline(db({ SID: 'SLOW', ShutdownOption: 'AbortAtTimeout' }, 3000, log));
    expect(sim().instances.SLOW.status).toBe('DOWN');
    expect(log.join('\n')).toMatch(/shutdown abort/);
  });

  it('a missing OracleUser and a missing sqlplus: clear errors', async () => {
    await expect(oracleAgent.observe(db({ OracleUser: 'no-such-user-x' }))).rejects.toThrow(/OracleUser no-such-user-x does not exist/);
    await expect(oracleAgent.observe(db({ OracleHome: '/nonexistent/home' }))).rejects.toThrow(/sqlplus not found .*not a Debian package/);
  });

  it('a listener name missing from listener.ora: lsnrctl\'s own TNS error', async () => {
    await expect(oracleListenerAgent.online(lsnr({ ListenerName: 'LSNR2' }))).rejects.toThrow(/TNS-01151/);
  });
});
