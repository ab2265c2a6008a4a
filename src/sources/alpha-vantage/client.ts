// One HTTP request to Alpha Vantage, classified. The key travels in the query string, so the URL is
// never logged and every message that leaves here is redacted. Answers are read up to a size cap
// and parsed off the service's thread (parse.ts).
import type { AvFunction, Outcome } from './classify.ts';
import { Parser } from './parse.ts';

interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Larger answers are refused unread: a full daily history is about 1 MB. */
  maxBodyBytes: number;
  redact: (text: string) => string;
}

type Read = { bytes: Uint8Array } | { tooLarge: number };

async function readCapped(res: Response, cap: number): Promise<Read> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > cap) {
    await res.body?.cancel().catch(() => {});
    return { tooLarge: declared };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  for (let part = await reader?.read(); part && !part.done; part = await reader!.read()) {
    size += part.value.byteLength;
    if (size > cap) {
      await reader!.cancel().catch(() => {});
      return { tooLarge: size };
    }
    chunks.push(part.value);
  }
  return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

export class AlphaVantageClient {
  private readonly parser = new Parser();

  constructor(private readonly options: ClientOptions) {}

  /** Rejects only when `signal` aborts. */
  async request(fn: AvFunction, params: Record<string, string>, signal?: AbortSignal): Promise<Outcome> {
    const url = new URL(this.options.baseUrl);
    url.search = new URLSearchParams({ function: fn, ...params, datatype: 'json', apikey: this.options.apiKey }).toString();
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const res = await fetch(url, { signal: signal ? AbortSignal.any([timeout, signal]) : timeout, headers: { accept: 'application/json' } });
      const read = await readCapped(res, this.options.maxBodyBytes);
      if ('tooLarge' in read) {
        return { kind: 'too_large', message: `the answer exceeds ${mb(this.options.maxBodyBytes)} (ALPHA_VANTAGE_MAX_BODY_BYTES); ${mb(read.tooLarge)} or more was sent` };
      }
      return this.redacted(await this.parser.parse(res.status, read.bytes, fn));
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return { kind: 'timeout', message: `no answer within ${this.options.timeoutMs / 1000} s` };
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return this.redacted({ kind: 'network', message: cause?.message || cause?.code || (err as Error).message });
    }
  }

  close(): Promise<void> {
    return this.parser.close();
  }

  private redacted(outcome: Outcome): Outcome {
    return 'message' in outcome ? { ...outcome, message: this.options.redact(outcome.message) } : outcome;
  }
}
