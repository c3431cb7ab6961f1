import { performance } from 'node:perf_hooks';
import { isMtlsLinkError } from '@mtls-link/sdk';
import type { CheckOutcome, ExcludedTarget } from './checks/check.ts';
import { CHECKS } from './checks/index.ts';
import { hintFor, isProbeCode } from './codes.ts';
import type { ProbeContext, ProbeInputs } from './context.ts';
import { isProbeError } from './errors.ts';
import { loadInputs } from './inputs/load-inputs.ts';
import type { ProbeOptions } from './options.ts';
import { type CheckId, type CheckResult, type ProbeResult, verdictOf } from './result.ts';
import { buildContext } from './run-context.ts';

function outcomeOfError(error: unknown): CheckOutcome {
  if ((isProbeError(error) || isMtlsLinkError(error)) && isProbeCode(error.code)) {
    return {
      status: 'fail',
      code: error.code,
      summary: error.message,
      hint: error.hint,
      details: { ...error.details },
    };
  }
  return {
    status: 'fail',
    summary: `the check itself failed: ${(error as Error)?.message ?? String(error)}`,
    details: {},
  };
}

/**
 * Runs every check in order against an already built context. tls.server starts the request
 * exchanges of the checks after it (see checks/shared-exchanges.ts); each verdict is still reached in
 * order, on what that check's own exchange saw.
 */
export async function runChecks(context: ProbeContext, startedAt = new Date()): Promise<ProbeResult> {
  const start = performance.now();
  // A check is blocked when something it needs failed or was itself blocked; "not requested" is no block.
  const blocked = new Set<CheckId>();
  // Dial targets a check failed on, handed down to every check that needs it (directly or not):
  // such a failure blocks nothing while some target got through.
  const excluded = new Map<CheckId, readonly ExcludedTarget[]>();
  const checks: CheckResult[] = [];
  for (const check of CHECKS) {
    const checkStart = performance.now();
    const needs = check.needs(context);
    const missing = needs.filter(
      (id) => blocked.has(id) || (context.results.get(id)?.status === 'fail' && !excluded.has(id)),
    );
    const inherited = [...new Set(needs.flatMap((id) => excluded.get(id) ?? []))];
    let outcome: CheckOutcome;
    if (missing.length > 0) {
      blocked.add(check.id);
      outcome = {
        status: 'skip',
        summary: `skipped: ${missing.join(', ')} did not pass`,
        details: { blockedBy: missing },
      };
    } else {
      const reason = check.notApplicable?.(context);
      if (reason !== undefined) outcome = { status: 'skip', summary: `not run: ${reason}`, details: {} };
      else {
        try {
          outcome = await check.run(context);
        } catch (error) {
          outcome = outcomeOfError(error);
        }
      }
    }
    const dropped = [...inherited, ...(outcome.excludedTargets ?? [])];
    if (dropped.length > 0) excluded.set(check.id, dropped);
    const details = outcome.details ?? {};
    const result: CheckResult = {
      id: check.id,
      status: outcome.status,
      durationMs: Math.round((performance.now() - checkStart) * 10) / 10,
      ...(outcome.code === undefined ? {} : { code: outcome.code }),
      summary: outcome.summary,
      ...(outcome.status === 'fail' || outcome.status === 'warn'
        ? { hint: outcome.hint ?? (outcome.code === undefined ? 'see details' : hintFor(outcome.code)) }
        : {}),
      details:
        inherited.length > 0 && outcome.status !== 'skip'
          ? {
              ...details,
              // Not tried here: they failed an earlier step, which reports them.
              excludedAddresses: inherited.map(({ address, port, check: at, code, error }) => ({
                address,
                port,
                failedAt: at,
                ...(code === undefined ? {} : { code }),
                ...(error === undefined ? {} : { error }),
              })),
            }
          : details,
    };
    context.results.set(check.id, result);
    checks.push(result);
  }
  // Exchanges started for a check that was then skipped: nothing reads them.
  context.abandon.abort();
  return probeResult(context, checks, startedAt, start);
}

/** The result document of a run whose checks are `checks` (every check of the run, in order). */
export function probeResult(
  context: ProbeContext,
  checks: CheckResult[],
  startedAt: Date,
  start: number,
): ProbeResult {
  return {
    schemaVersion: 1,
    target: {
      url: context.target.url,
      host: context.target.host,
      port: context.target.port,
      servername: context.target.servername,
    },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - start),
    verdict: verdictOf(checks),
    checks,
  };
}

/**
 * `mtls-probe check` as a function: reads the credentials, CRLs and trust store (throwing a
 * ProbeError when one cannot be read at all), then runs every check. Never exits the process.
 */
export async function runProbe(options: ProbeOptions, preloaded?: ProbeInputs): Promise<ProbeResult> {
  const startedAt = new Date();
  const start = performance.now();
  // Validate the options before reading any secret or file: a typo should not cost an AWS call.
  buildContext(options, { crls: [] });
  const inputs = preloaded ?? (await loadInputs(options));
  const context = buildContext(options, inputs);
  const result = await runChecks(context, startedAt);
  return { ...result, durationMs: Math.round(performance.now() - start) };
}
