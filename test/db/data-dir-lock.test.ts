import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../src/db/data-dir-lock.ts';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-lock-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lockFile = () => path.join(dir, 'service.lock');

  it('refuses a second claim while the first holds it, naming the directory', () => {
    const release = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(dir);
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

  it('refuses a lock held from another host, whose pid cannot be checked here', () => {
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'x' }));
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
  });
});
