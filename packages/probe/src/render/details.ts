import type { CheckId, CheckResult, ProbeResult } from '../result.ts';

/** Reading a check's details defensively: they are plain JSON, and the canary's may come from an older probe. */
export type Facts = Readonly<Record<string, unknown>>;

export const checkOf = (result: ProbeResult, id: CheckId): CheckResult | undefined =>
  result.checks.find((c) => c.id === id);

export const factsAt = (value: unknown): Facts[] =>
  Array.isArray(value) ? value.filter((v): v is Facts => typeof v === 'object' && v !== null) : [];

export const textAt = (facts: Facts | undefined, key: string): string | undefined => {
  const value = facts?.[key];
  return typeof value === 'string' ? value : undefined;
};

export const numberAt = (facts: Facts | undefined, key: string): number | undefined => {
  const value = facts?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

/** The per-address facts of a check, keyed `address port`. */
export function byAddress(check: CheckResult | undefined): Map<string, Facts> {
  return new Map(factsAt(check?.details.addresses).map((a) => [`${a.address} ${a.port}`, a]));
}
