// Every Alpha Vantage answer becomes one typed outcome. Failures mostly arrive as HTTP 200 with a
// JSON message, and the key a message arrives under has moved between `Note`, `Information` and
// `Error Message` over the years, so messages are classified by their text, not their key.
// (Facts and bodies: ../shared/alpha-vantage.md.)

export const SERIES_KEY = 'Time Series (Daily)';

/** A daily bar as Alpha Vantage lists it: values are strings, as sent. */
export interface RawRow { date: string; open: unknown; high: unknown; low: unknown; close: unknown; volume: unknown }

export type FailureKind =
  | 'empty' // `{}`: nothing found
  | 'missing_series' // JSON without the series key and without a message we know
  | 'invalid_symbol'
  | 'invalid_key'
  | 'demo_key'
  | 'premium'
  | 'burst_limit'
  | 'daily_limit'
  | 'minute_limit'
  | 'http_error'
  | 'malformed'
  | 'timeout'
  | 'network';

export type Outcome =
  | { kind: 'data'; rows: RawRow[]; duplicates: string[] }
  | { kind: FailureKind; message: string };

/** Outcomes worth retrying after a pause: the same request may well succeed. */
export const TRANSIENT: ReadonlySet<FailureKind> = new Set(['http_error', 'timeout', 'network', 'burst_limit', 'minute_limit']);

export function isTransient(outcome: Outcome): boolean {
  return outcome.kind !== 'data' && TRANSIENT.has(outcome.kind) &&
    !(outcome.kind === 'http_error' && /^HTTP 4(?!29)/.test(outcome.message));
}

// Order matters: the burst message (late 2025) also says "25 requests per day", and the old
// per-minute note also says "500 calls per day".
const MESSAGE_RULES: [FailureKind, RegExp][] = [
  ['invalid_key', /apikey is invalid or missing|invalid api ?key/i],
  ['demo_key', /demo\W* api key is for demo/i],
  ['burst_limit', /spreading out|requests? per second|burst/i],
  ['premium', /premium endpoint/i],
  ['minute_limit', /per minute|call frequency/i],
  ['daily_limit', /per day|daily (rate )?limit/i],
  ['invalid_symbol', /invalid api call/i],
];

export function classifyMessage(message: string): FailureKind {
  for (const [kind, pattern] of MESSAGE_RULES) if (pattern.test(message)) return kind;
  return 'missing_series';
}

const FIELD = { open: '1. open', high: '2. high', low: '3. low', close: '4. close' } as const;

// JSON.parse keeps only the last of two equal keys; a date listed twice is ambiguous, so the
// dates that appear more than once as keys of an object are found in the text itself.
function duplicateDates(text: string): string[] {
  const seen = new Map<string, number>();
  for (const m of text.matchAll(/"(\d{4}-\d\d-\d\d)"\s*:\s*\{/g)) seen.set(m[1]!, (seen.get(m[1]!) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([date]) => date);
}

const snippet = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 200);

/** Classifies one HTTP answer of TIME_SERIES_DAILY (JSON). */
export function classifyResponse(status: number, text: string): Outcome {
  if (status === 429) return { kind: 'minute_limit', message: 'HTTP 429 Too Many Requests' };
  if (status < 200 || status >= 300) return { kind: 'http_error', message: `HTTP ${status}` };

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const looksHtml = /^\s*</.test(text);
    return { kind: 'malformed', message: looksHtml ? `HTML instead of JSON: ${snippet(text)}` : `not valid JSON (${text.length} bytes, truncated?)` };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { kind: 'malformed', message: `expected a JSON object, got ${snippet(text)}` };
  }
  const object = body as Record<string, unknown>;
  const series = object[SERIES_KEY];
  if (series !== undefined) {
    if (series === null || typeof series !== 'object' || Array.isArray(series)) {
      return { kind: 'malformed', message: `"${SERIES_KEY}" is not an object` };
    }
    const rows = Object.entries(series as Record<string, Record<string, unknown> | null>).map(([date, bar]) => {
      const b = bar && typeof bar === 'object' ? bar : {};
      return { date, open: b[FIELD.open], high: b[FIELD.high], low: b[FIELD.low], close: b[FIELD.close], volume: b['5. volume'] ?? b['6. volume'] };
    });
    if (rows.length === 0) return { kind: 'empty', message: `"${SERIES_KEY}" is empty` };
    return { kind: 'data', rows, duplicates: rows.length > 1 ? duplicateDates(text) : [] };
  }
  const keys = Object.keys(object);
  if (keys.length === 0) return { kind: 'empty', message: 'empty response {} (nothing found for this symbol)' };
  const message = keys.map((k) => object[k]).filter((v): v is string => typeof v === 'string').join(' ');
  if (!message) return { kind: 'missing_series', message: `no "${SERIES_KEY}" in a response with keys ${keys.slice(0, 5).join(', ')}` };
  return { kind: classifyMessage(message), message: snippet(message) };
}
