// JSON request bodies, parsed without losing a digit: a price sent as the JSON number 150.10
// reaches the handler as the string "150.10", never as a binary float. Other numbers become
// ordinary JS numbers for schema validation.
import type { FastifyInstance } from 'fastify';
import { isLosslessNumber, parse } from 'lossless-json';
import { PRICE_FIELDS } from '../../model/bar.ts';
import { ProblemError } from './errors.ts';

const EXACT_FIELDS = new Set<string>(PRICE_FIELDS);

function revive(key: string, value: unknown): unknown {
  if (!isLosslessNumber(value)) return value;
  return EXACT_FIELDS.has(key) ? value.value : Number(value.value);
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new ProblemError(400, 'request body is empty; send a JSON object');
  try {
    return parse(text, revive);
  } catch (err) {
    throw new ProblemError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
