// Answers are parsed in a worker thread: a full daily history is ~1 MB of JSON, and a hostile or
// broken body (deeply nested arrays) can take JSON.parse seconds. On the service's thread that
// time would be taken from every API request. The body moves to the worker without a copy.
import type { Worker } from 'node:worker_threads';
import { besideModule, startWorker } from '../../thread.ts';
import type { AvFunction, Outcome } from './classify.ts';
import type { ParseJob } from './parse-worker.ts';

type Pending = { resolve: (outcome: Outcome) => void };

export class Parser {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  parse(status: number, body: Uint8Array, fn: AvFunction): Promise<Outcome> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    // A fresh ArrayBuffer holding exactly the body, so it can be transferred.
    const buffer = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
      ? body.buffer as ArrayBuffer : body.slice().buffer as ArrayBuffer;
    return new Promise<Outcome>((resolve) => {
      this.pending.set(id, { resolve });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, status, body: buffer, fn } satisfies ParseJob, [buffer]);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = startWorker(besideModule(import.meta.url, 'parse-worker'));
    worker.unref(); // referenced only while a parse is pending
    worker.on('message', ({ id, outcome }: { id: number; outcome: Outcome }) => {
      this.pending.get(id)?.resolve(outcome);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
    });
    const fail = (message: string) => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.resolve({ kind: 'malformed', message });
      this.pending.clear();
    };
    worker.on('error', (err) => fail(`the answer could not be parsed: ${err.message}`));
    worker.on('exit', () => fail('the parser stopped'));
    this.worker = worker;
    return worker;
  }
}
