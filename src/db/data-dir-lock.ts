// Two processes on one PGlite directory corrupt it without a word (STACK.md, pitfall 1), so the
// directory is claimed with a lock file holding the owner's pid. A pid lock rather than a
// heartbeat (mkdir + mtime) lock: after a crash the next start takes over at once instead of
// waiting out a staleness period, and a live owner is refused immediately.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class DataDirLockedError extends Error {
  constructor(readonly dir: string, readonly ownerPid: number) {
    super(
      `data directory ${dir} is in use by another process (pid ${ownerPid}). ` +
        'Only one process may open an embedded database; stop the other one, ' +
        'or give this one its own DATA_DIR, or point both at a PostgreSQL server with DATABASE_URL.',
    );
    this.name = 'DataDirLockedError';
  }
}

interface Owner { pid: number; host: string; since: string }

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): Owner | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Owner;
  } catch {
    return undefined; // vanished or half-written by a crash: treat as no owner
  }
}

/** Claims `dir` for this process; returns the function that releases it. */
export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'service.lock');
  const me: Owner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readOwner(file)?.pid === process.pid) fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(file);
    // Another host's pid cannot be checked from here: refuse rather than guess.
    if (owner && (owner.host !== me.host || owner.pid === process.pid || isAlive(owner.pid))) {
      throw new DataDirLockedError(path.resolve(dir), owner.pid);
    }
    fs.rmSync(file, { force: true }); // the owner died without releasing: take over
  }
  throw new DataDirLockedError(path.resolve(dir), readOwner(file)?.pid ?? -1);
}
