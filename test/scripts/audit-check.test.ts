// The audit check tells findings from an audit that could not run: a registry's error body (this
// machine's mirror answers the audit endpoint with 405) must never read as a clean audit.
import { describe, expect, it } from 'vitest';
import { judgeAudit } from '../../scripts/audit-check.ts';

// Recorded from `npm audit --omit=dev --json` (npm 11) on this machine's registry mirror.
const MIRROR_405 = JSON.stringify({
  message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  method: 'POST', uri: 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  headers: { allow: ['GET,HEAD'] }, statusCode: 405, body: '', error: { summary: '', detail: '' },
}, null, 2);

// The shape of npm's audit report (auditReportVersion 2).
const report = (vulnerabilities: Record<string, unknown>, counts: Partial<Record<string, number>>) => JSON.stringify({
  auditReportVersion: 2,
  vulnerabilities,
  metadata: {
    vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0, ...counts },
    dependencies: { prod: 120, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 120 },
  },
});
const advisory = (name: string, severity: string) => ({
  name, severity, isDirect: false, range: '<1.2.3', nodes: [`node_modules/${name}`], effects: [], fixAvailable: true,
  via: [{ source: 1, name, dependency: name, title: `${name} does something bad`, url: `https://github.com/advisories/GHSA-${name}`, severity, range: '<1.2.3' }],
});

describe('judgeAudit', () => {
  it('fails on a high or a critical advisory, naming it', () => {
    const verdict = judgeAudit(report({ foo: advisory('foo', 'high'), bar: advisory('bar', 'moderate') }, { high: 1, moderate: 1, total: 2 }));
    expect(verdict.kind).toBe('findings');
    expect(verdict.kind === 'findings' && verdict.findings).toEqual(['high: foo <1.2.3 — foo does something bad (https://github.com/advisories/GHSA-foo)']);
    expect(judgeAudit(report({ baz: { ...advisory('baz', 'critical'), via: ['qux'] } }, { critical: 1, total: 1 })).kind).toBe('findings');
  });

  it('passes when nothing reaches high', () => {
    expect(judgeAudit(report({}, {}))).toEqual({ kind: 'clean', counts: expect.objectContaining({ high: 0, critical: 0 }) });
    expect(judgeAudit(report({ bar: advisory('bar', 'moderate') }, { moderate: 1, low: 3, total: 4 })).kind).toBe('clean');
  });

  it('calls an unanswered audit unavailable, never clean', () => {
    expect(judgeAudit(MIRROR_405)).toEqual({ kind: 'unavailable', reason: expect.stringContaining('405 Method Not Allowed') });
    expect(judgeAudit('', 'npm error code ENOTFOUND\nnpm error network request failed').kind).toBe('unavailable');
    expect(judgeAudit('{"error":{"code":"EAI_AGAIN","summary":"request to registry failed"}}')).toEqual({ kind: 'unavailable', reason: 'request to registry failed' });
  });
});
