import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../../src/db/driver/data-dir-lock.ts';
import { ROOT } from '../../helpers/service.ts';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-lock-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lockFile = () => path.join(dir, 'service.lock');

  it('refuses a second claim while the first holds it, naming the directory', () => {
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(dir);
    expect(() => lockDataDir(dir)).toThrow(`pid ${process.pid}`);
    release();
    expect(fs.existsSync(lockFile())).toBe(false);
    lockDataDir(dir)();
  });

  it('takes over at once from an owner that died without releasing', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: Number(dead), host: os.hostname(), since: 'x' }));
    const release = lockDataDir(dir);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    release();
  });

  it('takes over from a lock file a crash left half-written', () => {
    fs.writeFileSync(lockFile(), '{"pid":');
    lockDataDir(dir)();
  });

  // A container restarted after a crash is pid 1 again, and a recreated one has a new hostname:
  // what the file says never keeps the directory, only a live holder of the lock does.
  it.each([
    ['pid 1 of another host (a recreated container)', { pid: 1, host: 'a1b2c3d4e5f6', since: 'x' }],
    ['its own pid on this host (a restarted container)', { pid: process.pid, host: os.hostname(), since: 'x' }],
  ])('takes over a lock file left by %s', (_name, owner) => {
    fs.writeFileSync(lockFile(), JSON.stringify(owner));
    const release = lockDataDir(dir);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
    release();
  });

  it('refuses at once while another live process holds it, and takes over the moment that process dies', async () => {
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e',
      `import { lockDataDir } from './src/db/driver/data-dir-lock.ts'; lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`,
    ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
      });
      const started = performance.now();
      expect(() => lockDataDir(dir)).toThrow(`pid ${holder.pid}`);
      expect(performance.now() - started).toBeLessThan(100);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    lockDataDir(dir)(); // SIGKILL released nothing by hand: the operating system did
  });
});
