// GET /api/v1/quality and /api/v1/quality/{ticker}: whether the stored bars are complete and
// current, measured against the exchange calendar (docs/quality.md). Computed on each request.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import type { Database } from '../../db/index.ts';
import { qualityCounts, qualityOptions, tickerQuality } from '../../db/repositories/quality.ts';
import { normaliseTicker } from '../../model/bar.ts';
import { findingReason, withStatus } from '../../model/quality.ts';
import type { QualityTotals } from '../../metrics.ts';
import { invalid, ProblemError, problemResponses } from '../plugins/errors.ts';
import { DateParam, StringEnum, TickerParam } from '../schemas.ts';

const KINDS = ['missing', 'non_session', 'possible_split', 'unit_error', 'zero_volume', 'provisional'] as const;
const Count = (description: string) => Type.Integer({ minimum: 0, description });

const TickerQuality = Type.Object({
  ticker: Type.String({ examples: ['AAPL'] }),
  first_date: Type.String({ format: 'date', description: 'Oldest stored bar' }),
  last_date: Type.String({ format: 'date', description: 'Newest stored bar' }),
  from_date: Type.String({ format: 'date', description: 'Start of the range assessed' }),
  to_date: Type.String({ format: 'date', description: 'End of the range assessed' }),
  expected: Count('Exchange sessions in the range'),
  stored: Count('Sessions in the range with a bar'),
  missing: Count('Sessions in the range without a bar'),
  sessions_behind: Count('Sessions published after the newest bar'),
  stale: Type.Boolean({ description: 'sessions_behind > STALE_SESSIONS' }),
  non_session: Count('Bars on days the exchange did not trade'),
  possible_split: Count('Close-to-close moves beyond 30% with no split recorded that day'),
  unit_error: Count('Closes ×100 or ÷100 the one before'),
  zero_volume: Count('Sessions with zero volume'),
  provisional: Count("Bars fetched before their session's bar was published"),
  status: StringEnum(['ok', 'warning', 'error'] as const, { description: '`error`: missing sessions, stale, or price jumps; `warning`: only non-session bars, zero volume or provisional bars' }),
});

const Report = Type.Object({
  latest_session: Type.String({ format: 'date', description: 'The latest session whose bar can have been published now (18:00 New York)' }),
  stale_sessions: Type.Integer({ description: 'STALE_SESSIONS' }),
  tickers: Type.Array(TickerQuality),
});

const Finding = Type.Object({
  kind: StringEnum(KINDS),
  date: Type.String({ format: 'date' }),
  reason: Type.String({ examples: ['close 100 → 50 with no split recorded that day: possible missing split (near 2-for-1)'] }),
});

const TickerReport = Type.Intersect([TickerQuality, Type.Object({
  latest_session: Type.String({ format: 'date' }),
  findings: Type.Array(Finding, { description: 'Every finding in the range, by date (stale is a flag, not a finding)' }),
})]);

/** Tickers by status and findings by kind over every ticker: what the metrics gauges show. */
export async function qualityTotals(db: Database, config: Config): Promise<QualityTotals> {
  const tickers: Record<string, number> = { ok: 0, warning: 0, error: 0 };
  const findings: Record<string, number> = { ...Object.fromEntries(KINDS.map((k) => [k, 0])), stale: 0 };
  for (const c of await qualityCounts(db, qualityOptions())) {
    const s = withStatus(c, config.quality.staleSessions);
    tickers[s.status]!++;
    for (const k of KINDS) findings[k]! += s[k];
    if (s.stale) findings.stale!++;
  }
  return { tickers, findings };
}

const plugin: FastifyPluginAsync<{ db: Database; config: Config }> = async (fastify, { db, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const stale = config.quality.staleSessions;

  app.get('/quality', {
    schema: {
      summary: 'Completeness and currency of every ticker against the exchange calendar', tags: ['quality'],
      response: { 200: Report, ...problemResponses(503) },
    },
  }, async () => {
    const options = qualityOptions();
    const counts = await qualityCounts(db, options);
    return { latest_session: options.latestSession, stale_sessions: stale, tickers: counts.map((c) => withStatus(c, stale)) };
  });

  app.get('/quality/:ticker', {
    schema: {
      summary: "One ticker's quality findings with dates and reasons", tags: ['quality'],
      params: Type.Object({ ticker: TickerParam }),
      querystring: Type.Object({
        start_date: Type.Optional(DateParam('First date, inclusive (default: the oldest bar)')),
        end_date: Type.Optional(DateParam('Last date, inclusive (default: the newest bar)')),
      }),
      response: { 200: TickerReport, ...problemResponses(404, 422, 503) },
    },
  }, async (request) => {
    const q = request.query;
    if (q.start_date && q.end_date && q.start_date > q.end_date) {
      throw invalid([{ field: 'start_date', message: 'must be on or before end_date' }]);
    }
    const ticker = normaliseTicker(request.params.ticker);
    const options = qualityOptions();
    const report = await tickerQuality(db, options, ticker, { start: q.start_date, end: q.end_date });
    if (!report) throw new ProblemError(404, `no data for ticker ${ticker}${q.start_date || q.end_date ? ' in that range' : ''}`);
    return {
      ...withStatus(report.counts, stale),
      latest_session: options.latestSession,
      findings: report.findings.map((f) => ({ kind: f.kind, date: f.date, reason: findingReason(f) })),
    };
  });
};

export default plugin;
