// Every Alpha Vantage answer becomes one typed outcome. Failures mostly arrive as HTTP 200 with a
// JSON message, and the key a message arrives under has moved between `Note`, `Information` and
// `Error Message` over the years, so messages are classified by their text, not their key.
// (Facts and bodies: ../shared/alpha-vantage.md.) This runs in the parse worker (parse.ts).
import type { RawDividend, RawRow, RawSplit } from '../source.ts';

/** The functions we call, and the key their series arrives under. */
const SERIES_KEYS = {
  TIME_SERIES_DAILY: 'Time Series (Daily)',
  TIME_SERIES_WEEKLY: 'Weekly Time Series',
  TIME_SERIES_MONTHLY: 'Monthly Time Series',
} as const;
type SeriesFunction = keyof typeof SERIES_KEYS;
export type AvFunction = SeriesFunction | 'SPLITS' | 'DIVIDENDS';

export type FailureKind =
  | 'empty' // `{}`: nothing found
  | 'missing_series' // JSON without the expected key and without a message we know
  | 'invalid_symbol'
  | 'invalid_key'
  | 'demo_key'
  | 'premium' // a premium endpoint, or a premium parameter value (outputsize=full for a free key)
  | 'burst_limit'
  | 'daily_limit'
  | 'minute_limit'
  | 'http_error'
  | 'too_large'
  | 'malformed'
  | 'timeout'
  | 'network';

export type Outcome =
  | { kind: 'bars'; rows: RawRow[]; duplicates: string[] }
  | { kind: 'splits'; rows: RawSplit[] }
  | { kind: 'dividends'; rows: RawDividend[] }
  | { kind: FailureKind; message: string };

export type Failure = Extract<Outcome, { message: string }>;

// Order matters: the current burst message also says "25 requests per day", the old
// per-minute note also says "500 calls per day", and the premium refusals say "premium plans".
const MESSAGE_RULES: [FailureKind, RegExp][] = [
  ['invalid_key', /apikey is invalid or missing|invalid api ?key/i],
  ['demo_key', /demo\W* api key is for demo/i],
  ['burst_limit', /spreading out|requests? per second|burst/i],
  ['premium', /premium endpoint|is a premium feature/i],
  ['minute_limit', /per minute|call frequency/i],
  ['daily_limit', /per day|daily (rate )?limit/i],
  ['invalid_symbol', /invalid api call/i],
];

function classifyMessage(message: string): FailureKind {
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

const snippet = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 300);

type Parsed = { body: Record<string, unknown> } | { failure: Failure };

function parseObject(status: number, text: string): Parsed {
  const fail = (failure: Failure): Parsed => ({ failure });
  if (status === 429) return fail({ kind: 'minute_limit', message: 'HTTP 429 Too Many Requests' });
  if (status < 200 || status >= 300) return fail({ kind: 'http_error', message: `HTTP ${status}` });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const looksHtml = /^\s*</.test(text);
    return fail({ kind: 'malformed', message: looksHtml ? `HTML instead of JSON: ${snippet(text)}` : `not valid JSON (${text.length} bytes, truncated?)` });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return fail({ kind: 'malformed', message: `expected a JSON object, got ${snippet(text)}` });
  }
  return { body: body as Record<string, unknown> };
}

/** A body without the expected key: a message we classify, `{}`, or something unknown. */
function withoutExpected(object: Record<string, unknown>, expected: string): Failure {
  const keys = Object.keys(object);
  if (keys.length === 0) return { kind: 'empty', message: 'empty response {} (nothing found for this symbol)' };
  const message = keys.map((k) => object[k]).filter((v): v is string => typeof v === 'string').join(' ');
  if (!message) return { kind: 'missing_series', message: `no "${expected}" in a response with keys ${keys.slice(0, 5).join(', ')}` };
  return { kind: classifyMessage(message), message: snippet(message) };
}

/** Classifies one answer of TIME_SERIES_DAILY, _WEEKLY or _MONTHLY (JSON). */
export function classifySeries(status: number, text: string, fn: SeriesFunction = 'TIME_SERIES_DAILY'): Outcome {
  const parsed = parseObject(status, text);
  if ('failure' in parsed) return parsed.failure;
  const key = SERIES_KEYS[fn];
  const series = parsed.body[key];
  if (series === undefined) return withoutExpected(parsed.body, key);
  if (series === null || typeof series !== 'object' || Array.isArray(series)) {
    return { kind: 'malformed', message: `"${key}" is not an object` };
  }
  const rows = Object.entries(series as Record<string, Record<string, unknown> | null>).map(([date, bar]) => {
    const b = bar && typeof bar === 'object' ? bar : {};
    return { date, open: b[FIELD.open], high: b[FIELD.high], low: b[FIELD.low], close: b[FIELD.close], volume: b['5. volume'] ?? b['6. volume'] };
  });
  if (rows.length === 0) return { kind: 'empty', message: `"${key}" is empty` };
  return { kind: 'bars', rows, duplicates: rows.length > 1 ? duplicateDates(text) : [] };
}

/**
 * Classifies an answer of SPLITS or DIVIDENDS: `{"symbol","data":[…]}`. No capture of an unknown
 * symbol exists; `{}` and an empty `data` both mean "none recorded".
 */
function classifyActions(status: number, text: string, fn: 'SPLITS' | 'DIVIDENDS'): Outcome {
  const parsed = parseObject(status, text);
  if ('failure' in parsed) return parsed.failure;
  const { body } = parsed;
  const kind = fn === 'SPLITS' ? 'splits' : 'dividends';
  if (Object.keys(body).length === 0) return { kind, rows: [] };
  const data = body.data;
  if (data === undefined) return withoutExpected(body, 'data');
  if (!Array.isArray(data)) return { kind: 'malformed', message: '"data" is not an array' };
  const item = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' ? x as Record<string, unknown> : {});
  if (fn === 'SPLITS') {
    return { kind: 'splits', rows: data.map((x) => ({ ex_date: item(x).effective_date, factor: item(x).split_factor })) };
  }
  return {
    kind: 'dividends',
    rows: data.map((x) => {
      const d = item(x);
      return { ex_date: d.ex_dividend_date, declaration_date: d.declaration_date, record_date: d.record_date, payment_date: d.payment_date, amount: d.amount };
    }),
  };
}

export function classify(status: number, text: string, fn: AvFunction): Outcome {
  return fn === 'SPLITS' || fn === 'DIVIDENDS' ? classifyActions(status, text, fn) : classifySeries(status, text, fn);
}
