// The data providers the service can run its ETL from. A new provider is a folder beside
// alpha-vantage/ that implements Source (source.ts), and one entry here.
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { AlphaVantageSource } from './alpha-vantage/index.ts';
import type { Source } from './source.ts';

interface SourceDeps {
  logger: Logger;
  redact: (text: string) => string;
  /** How long one request may take (tests shorten it). */
  timeoutMs?: number;
}

const PROVIDERS = {
  alpha_vantage: (config: Config, deps: SourceDeps): Source => new AlphaVantageSource({
    apiKey: config.alphaVantage.apiKey,
    baseUrl: config.alphaVantage.baseUrl,
    limits: {
      perDay: config.alphaVantage.requestsPerDay,
      perMinute: config.alphaVantage.requestsPerMinute,
      minSpacingMs: config.alphaVantage.minIntervalMs,
    },
    maxBodyBytes: config.alphaVantage.maxBodyBytes,
    timeoutMs: deps.timeoutMs,
    redact: deps.redact,
    logger: deps.logger,
  }),
} satisfies Record<string, (config: Config, deps: SourceDeps) => Source>;

type ProviderName = keyof typeof PROVIDERS;

export function createSource(name: ProviderName, config: Config, deps: SourceDeps): Source {
  return PROVIDERS[name](config, deps);
}
