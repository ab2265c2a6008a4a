// What the quality report calls suspicious, and how it words it (the SQL is in db/repositories/quality.ts).
import { Big } from 'big.js';

/** A close-to-close move of more than 30% either way (in ratio: below 0.7 or above 1/0.7). */
export const MOVE_THRESHOLD = 0.3;
/** A unit mix-up (cents for dollars): the close ×100 or ÷100, within 10%. */
export const UNIT_FACTOR = 100;
export const UNIT_TOLERANCE = 0.1;
/** A split ratio is "near" when within 3% of the move. */
const RATIO_TOLERANCE = 0.03;

// New shares per old share: 2 = 2-for-1 (prices halve), 0.1 = 1-for-10 (prices ×10).
const COMMON_SPLITS = [
  [3, 2], [2, 1], [5, 2], [3, 1], [4, 1], [5, 1], [7, 1], [8, 1], [10, 1], [15, 1], [20, 1], [50, 1],
  [2, 3], [1, 2], [1, 3], [1, 4], [1, 5], [1, 8], [1, 10], [1, 15], [1, 20], [1, 25], [1, 50], [1, 100],
] as const;

/** The common split ("2-for-1") nearest to the factor previous close ÷ close, if one is within 3%. */
export function nearSplitRatio(previousClose: string, close: string): string | undefined {
  const factor = Number(new Big(previousClose).div(close));
  for (const [a, b] of COMMON_SPLITS) if (Math.abs(factor / (a / b) - 1) <= RATIO_TOLERANCE) return `${a}-for-${b}`;
  return undefined;
}

type Status = 'ok' | 'warning' | 'error';

/** error: sessions lack bars, a bar is stale, or prices jump; warning: only the milder findings. */
export function qualityStatus(c: { missing: number; stale: boolean; possible_split: number; unit_error: number; non_session: number; zero_volume: number; provisional: number }): Status {
  if (c.missing || c.stale || c.possible_split || c.unit_error) return 'error';
  if (c.non_session || c.zero_volume || c.provisional) return 'warning';
  return 'ok';
}

export interface Finding { kind: string; date: string; close: string | null; previous_close: string | null; volume: number | null }

const trim = (d: string): string => new Big(d).toString();

/** The sentence a finding is reported with. */
export function findingReason(f: Finding): string {
  const move = f.close && f.previous_close ? `close ${trim(f.previous_close)} → ${trim(f.close)}` : '';
  switch (f.kind) {
    case 'missing': return 'a session with no bar';
    case 'non_session': return 'a bar on a day the exchange did not trade';
    case 'zero_volume': return 'a session with zero volume';
    case 'provisional': return "fetched before the session's bar was published (18:00 New York); may be partial";
    case 'unit_error': {
      const up = Number(new Big(f.close!).div(f.previous_close!)) > 1;
      return `${move}: ${up ? '×100' : '÷100'}, possible unit error`;
    }
    case 'possible_split': {
      const ratio = nearSplitRatio(f.previous_close!, f.close!);
      return `${move} with no split recorded that day: possible missing split${ratio ? ` (near ${ratio})` : ''}`;
    }
    default: return f.kind;
  }
}

export interface Counts {
  missing: number; sessions_behind: number; non_session: number; possible_split: number; unit_error: number; zero_volume: number; provisional: number;
}

/** Counts with their verdict: stale past `staleSessions` sessions behind, and the overall status. */
export function withStatus<T extends Counts>(c: T, staleSessions: number): T & { stale: boolean; status: Status } {
  const stale = c.sessions_behind > staleSessions;
  return { ...c, stale, status: qualityStatus({ ...c, stale }) };
}
