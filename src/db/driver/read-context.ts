// What a read must see, carried with the request through async calls to the replica router
// (replicas.ts): the LSN of the client's last write, which the server answering the read must
// have replayed. Set only when DATABASE_READ_URLS is (http/plugins/read-your-writes.ts): without
// replicas the store is never entered, so the default path pays nothing for it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Queryable } from './database.ts';
import { maxLsn } from './lsn.ts';

export interface ReadContext {
  /** A write's WAL position: the read goes to a server that has replayed it. */
  minLsn?: string;
}

export const readContext = new AsyncLocalStorage<ReadContext>();

/** The strictest of several requests' contexts (a batched statement serves them all). */
export function mergeReadContexts(contexts: readonly (ReadContext | undefined)[]): ReadContext | undefined {
  let minLsn: string | undefined;
  let any = false;
  for (const c of contexts) {
    if (!c) continue;
    any = true;
    minLsn = maxLsn(minLsn, c.minLsn);
  }
  return any ? { minLsn } : undefined;
}

/**
 * The same reads, run in the context current now wherever they are called from later: a
 * streamed export reads its next batches from socket events, outside the request's context.
 */
export function pinReadContext(db: Queryable): Queryable {
  const context = readContext.getStore();
  if (!context) return db;
  return {
    query: (text, params, options) => readContext.run(context, () => db.query(text, params, options)),
    exec: (script) => db.exec(script),
  };
}
