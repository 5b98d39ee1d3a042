// Process facts read straight from /proc: cheap enough for every monitor
// interval (no `ps` or `pgrep` fork), and exact where `kill(pid, 0)` is not:
// kill(pid, 0) succeeds on a zombie, so "is it running" reads the state letter
// in /proc/PID/stat (ARCHITECTURE.md, "facts of these machines that bite").
//
// Synchronous on purpose: each call is a handful of small reads from procfs,
// which never blocks on disk, and a scan of /proc takes a few milliseconds.
import { readFileSync, readdirSync, readlinkSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join } from 'node:path';
import { realPathOrSelf } from './real-path.js';

export interface ProcStat {
  pid: number;
  /** State letter: R, S, D, T, t, Z (zombie), X (dead), I, … */
  state: string;
  ppid: number;
  /** Process group id. */
  pgrp: number;
  /** Session id. */
  session: number;
  /** Field 22: start time after boot, in clock ticks. With the pid, the identity of a process. */
  startTime: number;
}

/** A process named so that a recycled pid is never mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

/**
 * How /proc is read: the real filesystem by default; tests give a stand-in
 * (a made-up process table, or the real one with every read counted).
 */
export interface ProcReader {
  /** Names in a directory (the pids, for /proc). */
  list(path: string): string[];
  /** Text of a file; null when unreadable (gone, not ours to read). */
  read(path: string): string | null;
  /** Target of a symbolic link; null when unreadable. */
  link(path: string): string | null;
}

export const procFs: ProcReader = {
  list: (path) => readdirSync(path),
  read: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  link: (path) => {
    try {
      return readlinkSync(path);
    } catch {
      return null;
    }
  },
};

/** Parses /proc/PID/stat; null when there is no such process. */
export function readProcStat(pid: number, reader: ProcReader = procFs): ProcStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const text = reader.read(`/proc/${pid}/stat`);
  if (text === null) return null;
  // Field 2 (comm) is in parentheses and may itself hold spaces and ')':
  // everything after the last ')' is plain space-separated fields from 3 on.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): field N is f[N - 3].
  const state = f[0];
  const ppid = Number(f[1]);
  const pgrp = Number(f[2]);
  const session = Number(f[3]);
  const startTime = Number(f[19]);
  if (!state || !Number.isFinite(ppid) || !Number.isFinite(startTime)) return null;
  return { pid, state, ppid, pgrp, session, startTime };
}

/** Zombie (Z) and dead (X, x) processes have exited: they are not running. */
export function isDeadState(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

/** true when the process exists and is neither a zombie nor dead. */
export function isRunning(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== null && !isDeadState(stat.state);
}

export function processIdentity(pid: number): ProcessIdentity | null {
  const stat = readProcStat(pid);
  return stat ? { pid, startTime: stat.startTime } : null;
}

/** true when this exact process (pid and start time) is running, not a zombie. */
export function isSameProcessRunning(id: ProcessIdentity): boolean {
  const stat = readProcStat(id.pid);
  return stat !== null && stat.startTime === id.startTime && !isDeadState(stat.state);
}

/** The argument vector (argv[0] first); null when gone. Empty for zombies and kernel threads. */
export function readCmdline(pid: number, reader: ProcReader = procFs): string[] | null {
  const text = reader.read(`/proc/${pid}/cmdline`);
  if (text === null) return null;
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * The executable of the process (readlink /proc/PID/exe); null when unreadable
 * (gone, zombie, kernel thread, or not ours without root). An executable
 * replaced on disk since the start (package upgrade) reads "PATH (deleted)":
 * the suffix is dropped, it is still the program at that path.
 */
export function readExe(pid: number, reader: ProcReader = procFs): string | null {
  return reader.link(`/proc/${pid}/exe`)?.replace(/ \(deleted\)$/, '') ?? null;
}

/** The command name (/proc/PID/comm), "?" when gone. */
export function commOf(pid: number): string {
  return procFs.read(`/proc/${pid}/comm`)?.trim() ?? '?';
}

/** Real and effective uid from /proc/PID/status; null when gone. */
export function readUids(pid: number): { real: number; effective: number } | null {
  const text = procFs.read(`/proc/${pid}/status`);
  const m = text?.match(/^Uid:\s+(\d+)\s+(\d+)/m);
  return m ? { real: Number(m[1]), effective: Number(m[2]) } : null;
}

/** Every pid in /proc, ascending. */
export function listPids(reader: ProcReader = procFs): number[] {
  const pids: number[] = [];
  for (const name of reader.list('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}

/** The engine's own pid and its ancestors: never a managed process, never signalled. */
export function selfAndAncestors(reader: ProcReader = procFs): Set<number> {
  const out = new Set<number>();
  let pid = process.pid;
  while (pid > 0 && !out.has(pid)) {
    out.add(pid);
    const stat = readProcStat(pid, reader);
    if (!stat) break;
    pid = stat.ppid;
  }
  return out;
}

function lookPath(command: string): string | null {
  if (command.includes('/')) return isAbsolute(command) ? command : null;
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // next directory
    }
  }
  return null;
}

/**
 * How a script started by execve(PATH) looks in /proc: its interpreter as the
 * executable and `interpreter [optional-arg] PATH args…` as argv. Read from the
 * `#!` line; null when PATH is not a script.
 */
export interface ScriptForm {
  /** realpath of the executable the kernel (or env) ends up running. */
  exe: string;
  /** argv elements before PATH. */
  prefix: string[];
}

function readShebang(path: string): ScriptForm | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n).toString('utf8');
    if (!head.startsWith('#!')) return null;
    const line = head.slice(2).split('\n')[0]!.trim();
    const space = line.search(/\s/);
    const interpreter = space < 0 ? line : line.slice(0, space);
    const optArg = space < 0 ? '' : line.slice(space).trim();
    if (!interpreter) return null;
    if (basename(interpreter) === 'env' && optArg) {
      // `#!/usr/bin/env node` or `#!/usr/bin/env -S node --flag`: env execs the
      // named program (found in PATH) with argv [name, flags…, PATH, args…].
      const words = optArg.split(/\s+/).filter((w) => w !== '-S');
      const found = words[0] ? lookPath(words[0]) : null;
      if (!found) return null;
      return { exe: realPathOrSelf(found), prefix: words };
    }
    // The kernel passes everything after the interpreter as one argument.
    return { exe: realPathOrSelf(interpreter), prefix: optArg ? [interpreter, optArg] : [interpreter] };
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export interface ProcessQuery {
  /** Absolute executable path, as configured (symlinks are resolved for the comparison). */
  path: string;
  /** Exact arguments after argv[0]. */
  args: readonly string[];
}

/** A ProcessQuery made ready to match: the executables it accepts and, for a #! script, the argv execve makes. */
export interface PreparedQuery extends ProcessQuery {
  /** `path` as configured and with its symlinks resolved. */
  exes: Set<string>;
  script: ScriptForm | null;
}

export function prepareQuery(query: ProcessQuery): PreparedQuery {
  return { path: query.path, args: query.args, exes: new Set([query.path, realPathOrSelf(query.path)]), script: readShebang(query.path) };
}

/** Could a process running `exe` be this query's (before its arguments are compared)? */
export function acceptsExe(q: PreparedQuery, exe: string): boolean {
  return q.exes.has(exe) || exe === q.script?.exe;
}

/** Does a process running `exe` with argument vector `argv` match the query? */
export function argvMatches(q: PreparedQuery, exe: string, argv: readonly string[]): boolean {
  if (argv.length === 0) return false;
  return q.exes.has(exe) ? sameArgs(argv.slice(1), q.args) : exe === q.script?.exe && sameArgs(argv, [...q.script.prefix, q.path, ...q.args]);
}

/**
 * Reads process `pid` now (executable, arguments, state) and returns its
 * identity when it runs the query's program with its arguments and is not a
 * zombie; null otherwise. The one match rule of findProcesses and ProcessIndex.
 */
export function matchProcess(pid: number, q: PreparedQuery, reader: ProcReader = procFs): ProcessIdentity | null {
  const exe = readExe(pid, reader);
  if (exe === null || !acceptsExe(q, exe)) return null;
  const argv = readCmdline(pid, reader);
  if (!argv || !argvMatches(q, exe, argv)) return null;
  const stat = readProcStat(pid, reader);
  if (!stat || isDeadState(stat.state)) return null;
  return { pid, startTime: stat.startTime };
}

/** Oldest first (start time, then pid). */
export function byStartTime(a: ProcessIdentity, b: ProcessIdentity): number {
  return a.startTime - b.startTime || a.pid - b.pid;
}

/**
 * Processes running exactly `path` with exactly `args`, ascending by start
 * time (oldest first). A process matches when
 *  - its executable (/proc/PID/exe) is `path` (or what `path` resolves to) and
 *    argv[1..] equals `args` (argv[0] is free: programs may set it), or
 *  - `path` is a `#!` script: the executable is its interpreter and argv is
 *    exactly `interpreter [arg] path args…`, as execve of the script makes it.
 * Zombies, the engine itself and its ancestors never match.
 * Reads every process of /proc: a caller that asks often (a monitor of many
 * resources) uses a ProcessIndex (process-index.ts) instead.
 */
export function findProcesses(query: ProcessQuery, reader: ProcReader = procFs): ProcessIdentity[] {
  const q = prepareQuery(query);
  const excluded = selfAndAncestors(reader);
  const found: ProcessIdentity[] = [];
  for (const pid of listPids(reader)) {
    if (excluded.has(pid)) continue;
    const id = matchProcess(pid, q, reader);
    if (id) found.push(id);
  }
  return found.sort(byStartTime);
}

/**
 * Processes whose argument vector joined by single spaces is exactly
 * `commandLine` (what `ps -o args` shows), optionally only those whose
 * effective uid is `uid`. Zombies, the engine and its ancestors never match.
 */
export function findByCommandLine(commandLine: string, uid?: number): ProcessIdentity[] {
  const excluded = selfAndAncestors();
  const found: ProcessIdentity[] = [];
  for (const pid of listPids()) {
    if (excluded.has(pid)) continue;
    const argv = readCmdline(pid);
    if (!argv || argv.length === 0 || argv.join(' ') !== commandLine) continue;
    if (uid !== undefined && readUids(pid)?.effective !== uid) continue;
    const stat = readProcStat(pid);
    if (!stat || isDeadState(stat.state)) continue;
    found.push({ pid, startTime: stat.startTime });
  }
  return found.sort(byStartTime);
}

/**
 * Sends a signal to this exact process (pid and start time checked just
 * before), never to the engine or its ancestors. false when it was gone.
 */
export function signalProcess(id: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (selfAndAncestors().has(id.pid)) return false;
  const stat = readProcStat(id.pid);
  if (!stat || stat.startTime !== id.startTime || isDeadState(stat.state)) return false;
  try {
    process.kill(id.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends a signal to the process group of this process when it leads its own
 * session (setsid: pid = pgrp = session), as a process started detached does,
 * and the group holds neither the engine nor its ancestors. false otherwise.
 */
export function signalSessionGroup(id: ProcessIdentity, signal: NodeJS.Signals): boolean {
  const stat = readProcStat(id.pid);
  if (!stat || stat.startTime !== id.startTime) return false;
  if (stat.pgrp !== id.pid || stat.session !== id.pid) return false;
  for (const pid of selfAndAncestors()) {
    if (readProcStat(pid)?.pgrp === stat.pgrp) return false;
  }
  try {
    process.kill(-stat.pgrp, signal);
    return true;
  } catch {
    return false;
  }
}
