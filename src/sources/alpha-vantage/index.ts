// Alpha Vantage as a source: daily, weekly and monthly bars, splits and dividends.
import type { Logger } from '../../logger.ts';
import type { FetchRequest, FetchResult, Source, SourceLimits } from '../source.ts';
import { AlphaVantageClient } from './client.ts';
import { OFFERS, requestFor } from './datasets.ts';
import { accountOf, failureOf, FREE_KEY_HELP } from './entitlements.ts';

interface AlphaVantageOptions {
  apiKey: string;
  baseUrl: string;
  limits: SourceLimits;
  timeoutMs?: number;
  maxBodyBytes: number;
  redact: (text: string) => string;
  logger: Logger;
}

export class AlphaVantageSource implements Source {
  readonly name = 'alpha_vantage';
  readonly account: string;
  readonly limits: SourceLimits;
  readonly offers = OFFERS;
  private readonly client: AlphaVantageClient;
  private demoKeyExplained = false;

  constructor(private readonly options: AlphaVantageOptions) {
    this.account = accountOf(options.apiKey);
    this.limits = options.limits;
    this.client = new AlphaVantageClient({
      baseUrl: options.baseUrl, apiKey: options.apiKey, timeoutMs: options.timeoutMs ?? 30_000,
      maxBodyBytes: options.maxBodyBytes, redact: options.redact,
    });
  }

  async fetch({ ticker, dataset, variant }: FetchRequest, signal?: AbortSignal): Promise<FetchResult> {
    const { fn, params } = requestFor(ticker, dataset, variant);
    const outcome = await this.client.request(fn, params, signal);
    if (outcome.kind === 'bars') return { ok: true, kind: 'bars', rows: outcome.rows, duplicates: outcome.duplicates };
    if (outcome.kind === 'splits') return { ok: true, kind: 'splits', rows: outcome.rows };
    if (outcome.kind === 'dividends') return { ok: true, kind: 'dividends', rows: outcome.rows };
    if (outcome.kind === 'demo_key' && !this.demoKeyExplained) {
      this.demoKeyExplained = true;
      this.options.logger.warn(`the "demo" key only serves Alpha Vantage's documented examples (such as IBM): ${FREE_KEY_HELP}`);
    }
    return failureOf(outcome);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
