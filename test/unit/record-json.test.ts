import { describe, expect, it } from 'vitest';
import { finishRecords } from '../../src/db/record-json.ts';

describe('finishRecords', () => {
  it.each([
    ['{"open":150.250000,"close":150.000000}', '{"open":150.25,"close":150}'],
    ['{"open":0.000001,"high":999999999.999999}', '{"open":0.000001,"high":999999999.999999}'],
    ['{"open":10.100000}', '{"open":10.1}'],
    ['[{"volume":1000000,"id":1000}]', '[{"volume":1000000,"id":1000}]'], // integers keep their zeros
    ['{"date":"2024-01-10","ticker":"A.B"}', '{"date":"2024-01-10","ticker":"A.B"}'],
    ['{"created_at":"2024-01-15T10:00:00+00:00"}', '{"created_at":"2024-01-15T10:00:00.000000Z"}'],
    ['{"created_at":"2024-01-15T10:00:00.12+00:00"}', '{"created_at":"2024-01-15T10:00:00.120000Z"}'],
    ['{"created_at":"2024-01-15T10:00:00.123456+00:00","x":1}', '{"created_at":"2024-01-15T10:00:00.123456Z","x":1}'],
    ['{"close":1.500000,"volume":5,"created_at":"2024-01-15T10:00:00+00:00","updated_at":"2024-01-15T10:00:00.5+00:00"}',
      '{"close":1.5,"volume":5,"created_at":"2024-01-15T10:00:00.000000Z","updated_at":"2024-01-15T10:00:00.500000Z"}'],
  ])('%s → %s', (given, expected) => {
    expect(finishRecords(given)).toBe(expected);
    expect(JSON.parse(finishRecords(given))).toBeTruthy();
  });
});
