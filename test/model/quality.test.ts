// The quality report's wording and verdicts (model/quality.ts).
import { describe, expect, it } from 'vitest';
import { findingReason, nearSplitRatio, qualityStatus, withStatus } from '../../src/model/quality.ts';

describe('nearSplitRatio', () => {
  it.each([
    ['100', '50', '2-for-1'], ['100', '51', '2-for-1'], ['100', '25', '4-for-1'], ['90', '60', '3-for-2'],
    ['100', '33.4', '3-for-1'], ['5', '50', '1-for-10'], ['10', '20', '1-for-2'], ['100', '60', undefined], ['100', '45', undefined],
  ])('%s → %s: %s', (previous, close, ratio) => expect(nearSplitRatio(previous, close)).toBe(ratio));
});

const none = { missing: 0, stale: false, possible_split: 0, unit_error: 0, non_session: 0, zero_volume: 0, provisional: 0 };

describe('qualityStatus', () => {
  it.each([
    [{}, 'ok'], [{ missing: 1 }, 'error'], [{ stale: true }, 'error'], [{ possible_split: 1 }, 'error'], [{ unit_error: 2 }, 'error'],
    [{ non_session: 1 }, 'warning'], [{ zero_volume: 1 }, 'warning'], [{ provisional: 1 }, 'warning'], [{ provisional: 1, missing: 1 }, 'error'],
  ])('%j → %s', (counts, status) => expect(qualityStatus({ ...none, ...counts })).toBe(status));

  it('is stale past STALE_SESSIONS, not at it', () => {
    const c = { ...none, sessions_behind: 2 };
    expect(withStatus(c, 2)).toMatchObject({ stale: false, status: 'ok' });
    expect(withStatus({ ...c, sessions_behind: 3 }, 2)).toMatchObject({ stale: true, status: 'error' });
  });
});

describe('findingReason', () => {
  const f = (kind: string, previous_close: string | null = null, close: string | null = null) => ({ kind, date: '2024-01-02', close, previous_close, volume: null });
  it.each([
    [f('missing'), 'a session with no bar'],
    [f('possible_split', '100.000000', '50.000000'), 'close 100 → 50 with no split recorded that day: possible missing split (near 2-for-1)'],
    [f('possible_split', '100.000000', '160.000000'), 'close 100 → 160 with no split recorded that day: possible missing split'],
    [f('unit_error', '1.500000', '150.000000'), 'close 1.5 → 150: ×100, possible unit error'],
    [f('unit_error', '150.000000', '1.500000'), 'close 150 → 1.5: ÷100, possible unit error'],
  ])('%j', (finding, reason) => expect(findingReason(finding)).toBe(reason));
});
