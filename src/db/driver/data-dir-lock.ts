// Two processes on one PGlite directory corrupt it without a word (STACK.md, pitfall 1), so the
// directory is claimed with an exclusive lock on `service.lock`, held through an open file
// description (Linux's fcntl F_OFD_SETLK, flock on macOS, through fs-native-extensions). The
// operating system drops it when the process dies, however it dies: a dead owner never keeps the
// directory, whatever its pid or host were (a restarted container is pid 1 again, a recreated one
// has a new hostname). A live owner, in this process or another, in this container or another
// sharing the volume, is refused at once. The file's text only names the owner in that message.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fsx from 'fs-native-extensions';

interface Owner { pid: number; host: string; since: string }

export class DataDirLockedError extends Error {
  constructor(readonly dir: string, readonly owner: Partial<Owner> | undefined) {
    const who = owner?.pid ? `pid ${owner.pid}${owner.host && owner.host !== os.hostname() ? ` on ${owner.host}` : ''}` : 'pid unknown';
    super(
      `data directory ${dir} is in use by another process (${who}). ` +
        'Only one process may open an embedded database; stop the other one, ' +
        'or give this one its own DATA_DIR, or point both at a PostgreSQL server with DATABASE_URL.',
    );
    this.name = 'DataDirLockedError';
  }
}

function readOwner(file: string): Partial<Owner> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Owner>;
  } catch {
    return undefined; // gone, or written by an owner that has not finished yet
  }
}

/** Whether the open file `fd` is still the one at `file` (not removed or replaced meanwhile). */
function stillAt(fd: number, file: string): boolean {
  try {
    const [held, named] = [fs.fstatSync(fd), fs.statSync(file)];
    return held.ino === named.ino && held.dev === named.dev;
  } catch {
    return false;
  }
}

/** Claims `dir` for this process; returns the function that releases it. */
export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'service.lock');
  for (let attempt = 0; attempt < 10; attempt++) {
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    let locked = false;
    try {
      locked = fsx.tryLock(fd);
    } finally {
      if (!locked) fs.closeSync(fd);
    }
    if (!locked) throw new DataDirLockedError(path.resolve(dir), readOwner(file));
    // An owner removes the file before letting go of it. Locking a file that was removed meanwhile
    // would claim nothing (the next process creates and locks a new one): start again then.
    if (!stillAt(fd, file)) {
      fs.closeSync(fd);
      continue;
    }
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }), 0);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      fs.rmSync(file, { force: true }); // still locked here: see stillAt above
      fs.closeSync(fd); // and this releases the lock
    };
  }
  throw new Error(`cannot lock ${file}: it keeps being replaced`);
}
