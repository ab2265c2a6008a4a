// Natural batching of single-row requests. While `maxInFlight` statements of a kind are running,
// new requests wait and leave together in the next statement. At low load every request runs
// alone, at once; under load one statement (and, for writes, one commit) serves many requests,
// which is what a 2-core machine running both the service and PostgreSQL runs out of first.
//
// Every request in a batch arrived before its statement was sent, so a client that wrote and
// then reads still sees its write. With replicas, the statement carries the strictest read
// context of its requests (read-context.ts), so it goes to a server that has every one's write.
import { mergeReadContexts, readContext, type ReadContext } from './read-context.ts';

interface Waiting<K, R> { key: K; resolve: (result: R | PromiseLike<R>) => void; reject: (err: unknown) => void; context: ReadContext | undefined }

export interface BatcherOptions {
  /** Statements of this kind running at once. */
  maxInFlight?: number;
  /** Requests per statement. */
  maxBatch?: number;
}

export class Batcher<K, R> {
  private queue: Waiting<K, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;

  /**
   * `run` answers the keys in order: results[i] for keys[i] — a value, or a promise of its own
   * when one key must succeed or fail apart from the others.
   */
  constructor(private readonly run: (keys: K[]) => Promise<(R | Promise<R>)[]>, options: BatcherOptions = {}) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxBatch = options.maxBatch ?? 64;
  }

  load(key: K): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ key, resolve, reject, context: readContext.getStore() });
      // Requests read from the sockets in one turn of the event loop leave together, right after it.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.dispatch();
        });
      }
    });
  }

  private dispatch(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      const keys = batch.map((w) => w.key);
      // The first request's context would otherwise ride along through setImmediate.
      const context = mergeReadContexts(batch.map((w) => w.context));
      (context || readContext.getStore() ? readContext.run(context ?? {}, () => this.run(keys)) : this.run(keys)).then(
        (results) => { for (const [i, w] of batch.entries()) w.resolve(results[i]!); },
        (err: unknown) => { for (const w of batch) w.reject(err); },
      ).finally(() => {
        this.inFlight--;
        this.dispatch();
      });
    }
  }
}
