// One-off measurement: time from spawning the service to its first health 200, on an embedded data
// directory that already exists (migrated), as a restart finds it.
//   node --import tsx scripts/measure-start.ts [starts=7] [command…]      (default command: npm start)
//   node --import tsx scripts/measure-start.ts 7 'node dist/main.js' '/elsewhere:npm start'
// Several commands (each `[dir:]command line`, run in dir, default this checkout) are measured in
// turn on the same data directory, start by start, so that a host whose speed drifts treats them
// alike. Each start polls /api/v1/health every 10 ms, then stops the service (its whole process
// group) with SIGTERM. Prints each time and the medians.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/helpers/private-postgres.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const starts = Number(process.argv[2] ?? 7);
const commands = (process.argv.length > 3 ? process.argv.slice(3) : ['npm start']).map((text) => {
  const [dir, line] = text.includes(':') ? text.split(/:(.*)/s) as [string, string] : [ROOT, text];
  return { text, dir, argv: line.split(' ') };
});
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'md-start-'));

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function startOnce({ dir, argv, text }: (typeof commands)[number]): Promise<number> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const began = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: dir, stdio: 'ignore', detached: true, // its own process group: npm's child is stopped too
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port), ETL_ENABLED: 'false', LOG_FORMAT: 'json' },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  while (!(await healthy(url))) {
    if (child.exitCode !== null) throw new Error(`${text} exited with ${child.exitCode}`);
    if (performance.now() - began > 30_000) throw new Error('not healthy within 30 s');
    await sleep(10);
  }
  const ms = performance.now() - began;
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  while (await healthy(url)) await sleep(10); // npm may exit before the service it started
  return ms;
}

try {
  await startOnce(commands[0]!); // creates and migrates the directory: the starts measured find it existing
  const times = commands.map(() => [] as number[]);
  for (let i = 0; i < starts; i++) {
    for (const [c, command] of commands.entries()) {
      times[c]!.push(await startOnce(command));
      console.log(`${command.text}: start ${i + 1}: ${times[c]!.at(-1)!.toFixed(0)} ms`);
    }
  }
  for (const [c, command] of commands.entries()) {
    const sorted = times[c]!.sort((a, b) => a - b);
    console.log(`${command.text}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms (min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)})`);
  }
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
