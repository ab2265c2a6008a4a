// Starts a worker thread from a module beside the caller. From the compiled build the module is
// JavaScript; from the TypeScript sources (npm run dev, tests) tsx is registered inside the worker
// first, since a worker does not inherit the parent's loader.
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const code = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}

/** `./name` beside the calling module, with the caller's own extension (.ts or .js). */
export function besideModule(callerUrl: string, name: string): URL {
  const ext = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, callerUrl);
}
