import type { ProbeCode } from './codes.ts';

/** The checks of `mtls-probe check`, in the order they run and are reported (a public contract: docs/probe-result.schema.json). */
export const CHECK_IDS = [
  'dns.resolve',
  'vpce.state',
  'tcp.connect',
  'tls.server',
  'client-cert.inspect',
  'tls.no-client-cert',
  'tls.client-cert',
  'revocation.crl',
  'revocation.enforced',
  'http.response',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';
export type Verdict = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  readonly id: CheckId;
  readonly status: CheckStatus;
  readonly durationMs: number;
  readonly code?: ProbeCode;
  readonly summary: string;
  readonly hint?: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface ProbeTarget {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly servername: string;
}

/** The JSON document `--format json` prints (schemaVersion 1, a public contract). */
export interface ProbeResult {
  readonly schemaVersion: 1;
  readonly target: ProbeTarget;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly verdict: Verdict;
  readonly checks: readonly CheckResult[];
}

export function verdictOf(checks: readonly CheckResult[]): Verdict {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.some((c) => c.status === 'warn')) return 'warn';
  return 'pass';
}

/** Exit status of `check` (contract): 0 nothing failed, 1 a check failed, 3 a warning under --strict. */
export function exitStatusOf(result: Pick<ProbeResult, 'verdict'>, strict: boolean): 0 | 1 | 3 {
  if (result.verdict === 'fail') return 1;
  if (result.verdict === 'warn' && strict) return 3;
  return 0;
}
