// Which postmaster a postmaster.pid names: pids repeat across nodes (each node
// its own PID namespace; after a takeover of a shared disk the new holder's
// postmaster may have the pid the old one had), so the file's start time
// (line 3) must match the running process too. A resumed frozen node that
// believed a file of the new holder ran "its" postmaster, shut it down, and
// the postmaster's exit unlinked the new holder's lock file.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startsAsRecorded } from '../../src/engine/agents/postgresql.js';

const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
const startTicks = Number(readFileSync(`/proc/${process.pid}/stat`, 'utf8').slice(readFileSync(`/proc/${process.pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ')[19]);
const myStart = btime + startTicks / 100;

describe('postmaster.pid names one postmaster: pid and start time', () => {
  it('the start the file records is this process\'s (within 2 s): it is that postmaster', () => {
    expect(startsAsRecorded(process.pid, Math.round(myStart))).toBe(true);
    expect(startsAsRecorded(process.pid, Math.round(myStart) + 1)).toBe(true);
  });

  it('the same pid started at another time (another node\'s postmaster): not it', () => {
    expect(startsAsRecorded(process.pid, Math.round(myStart) + 30)).toBe(false);
    expect(startsAsRecorded(process.pid, Math.round(myStart) - 30)).toBe(false);
  });

  it('no start recorded, or no such process: believed (the other checks decide)', () => {
    expect(startsAsRecorded(process.pid, undefined)).toBe(true);
    expect(startsAsRecorded(2 ** 22 + 7, Math.round(myStart) + 30)).toBe(true);
  });
});
