// Structured logging. Secrets are scrubbed from the final serialised line, not from chosen fields:
// the Alpha Vantage key travels in URLs and can surface inside any error message or object,
// so only a pass over the whole line is sure to catch it wherever it lands.
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import type { Config, LogLevel } from './config.ts';

export type { Logger };

const REDACTED = '[REDACTED]';

/** Builds a function that removes secrets from any text: known values, `apikey=` and URL passwords. */
export function makeRedactor(secrets: Iterable<string | undefined>): (text: string) => string {
  // The public `demo` key is not a secret, and very short values would mangle ordinary words.
  const values = [...new Set([...secrets].filter((s): s is string => !!s && s.length >= 6 && s !== 'demo'))];
  // A secret can appear raw, JSON-escaped or URL-encoded depending on where it was printed.
  const forms = [...new Set(values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)]))]
    .sort((a, b) => b.length - a.length)
    .map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const known = forms.length ? new RegExp(forms.join('|'), 'g') : undefined;
  return (text) => {
    let out = text
      .replace(/(apikey=)[^&\s"'\\]+/gi, `$1${REDACTED}`)
      .replace(/(postgres(?:ql)?(?:\+\w+)?:\/\/[^:/@\s"]*:)[^@\s"]+@/gi, `$1${REDACTED}@`);
    if (known) out = out.replace(known, REDACTED);
    return out;
  };
}

interface LoggerOptions {
  level: LogLevel;
  format: 'json' | 'pretty';
  secrets?: Iterable<string | undefined>;
  /** Where lines go (default stdout); tests pass a collector. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const redact = makeRedactor(options.secrets ?? []);
  const sink: DestinationStream =
    options.destination ??
    (options.format === 'pretty'
      ? pretty({ colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : pino.destination({ dest: 1, sync: false }));
  const scrubbed: DestinationStream = { write: (line: string) => sink.write(redact(line)) };
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Field-level redaction for credentials that never need to be seen, even partially.
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]'],
        censor: REDACTED,
      },
    },
    scrubbed,
  );
}

export function loggerFromConfig(config: Config, destination?: DestinationStream): Logger {
  return createLogger({
    level: config.logLevel,
    format: config.logFormat,
    secrets: [config.alphaVantage.apiKey, config.apiKey, passwordOf(config.databaseUrl)],
    destination,
  });
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const password = new URL(url).password;
  return password ? decodeURIComponent(password) : undefined;
}
