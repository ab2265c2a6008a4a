// The parse worker's body: classifies answers off the service's thread (see parse.ts).
import { parentPort } from 'node:worker_threads';
import { classify, type AvFunction } from './classify.ts';

export interface ParseJob { id: number; status: number; body: ArrayBuffer; fn: AvFunction }

const decoder = new TextDecoder();
parentPort!.on('message', ({ id, status, body, fn }: ParseJob) => {
  parentPort!.postMessage({ id, outcome: classify(status, decoder.decode(body), fn) });
});
