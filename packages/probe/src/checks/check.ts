import type { ProbeCode } from '../codes.ts';
import type { ProbeContext } from '../context.ts';
import type { CheckId } from '../result.ts';

/** A dial target a check took out of the run because it failed there (one AZ's interface down). */
export interface ExcludedTarget {
  readonly address: string;
  readonly port: number;
  /** The check it failed at, and how. */
  readonly check: CheckId;
  readonly code?: ProbeCode;
  readonly error?: string;
}

/** What a check returns; the engine adds the id, the duration and the default hint. */
export interface CheckOutcome {
  readonly status: 'pass' | 'warn' | 'fail' | 'skip';
  readonly code?: ProbeCode;
  readonly summary: string;
  /** Overrides the code's default hint. */
  readonly hint?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * A failure confined to some dial targets: they are taken out of `context.dialTargets` and the
   * checks that need this one still run on the rest (the verdict still fails).
   */
  readonly excludedTargets?: readonly ExcludedTarget[];
}

export interface Check {
  readonly id: CheckId;
  /** Checks whose failure makes this one meaningless: it is then skipped, not failed. */
  needs(context: ProbeContext): readonly CheckId[];
  /** Why this check does not apply to the run (an option was not given), or undefined. */
  notApplicable?(context: ProbeContext): string | undefined;
  run(context: ProbeContext): Promise<CheckOutcome>;
}

export const pass = (summary: string, details: Record<string, unknown> = {}): CheckOutcome => ({
  status: 'pass',
  summary,
  details,
});

export const fail = (
  code: ProbeCode,
  summary: string,
  details: Record<string, unknown> = {},
  hint?: string,
): CheckOutcome => ({ status: 'fail', code, summary, details, ...(hint === undefined ? {} : { hint }) });

export const warn = (
  code: ProbeCode,
  summary: string,
  details: Record<string, unknown> = {},
): CheckOutcome => ({
  status: 'warn',
  code,
  summary,
  details,
});
