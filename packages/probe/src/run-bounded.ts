import { performance } from 'node:perf_hooks';
import type { ProbeContext } from './context.ts';
import { probeResult, runChecks } from './engine.ts';
import { ProbeError } from './errors.ts';
import { loadInputs } from './inputs/load-inputs.ts';
import { readCertificateRequest } from './net/certificate-request.ts';
import { PROBE_DEFAULTS, type ProbeOptions } from './options.ts';
import { factsAt } from './render/details.ts';
import type { CertificateRequestFacts, ProbeReport } from './report.ts';
import { CHECK_IDS, type CheckResult } from './result.ts';
import { buildContext } from './run-context.ts';

export interface RunLimits {
  /** Deadline for the whole run, inputs included (`--max-time`); undefined = only the per-step deadlines. */
  readonly maxTimeMs?: number;
  /** -v: also read each address's CertificateRequest (one more TLS 1.2 handshake per address). */
  readonly certificateRequests?: boolean;
}

/** The CertificateRequest of every address TCP reached, read in parallel within the step deadline. */
async function certificateRequestsOf(context: ProbeContext): Promise<CertificateRequestFacts[]> {
  const answered = factsAt(context.results.get('tcp.connect')?.details.addresses).filter(
    (a) => a.ok === true,
  );
  const targets = (context.dialTargets ?? []).filter((t) =>
    answered.some((a) => a.address === t.address && a.port === t.port),
  );
  return Promise.all(
    targets.map(async (t) => ({
      address: t.address,
      port: t.port,
      ...(await readCertificateRequest({ ...t, servername: context.sni, timeoutMs: context.timeoutMs })),
    })),
  );
}

const reached = Symbol('deadline');

/**
 * The checks that finished before the deadline as they are, the one that was running failed
 * ("did not finish"), the rest skipped: what happened is kept, and the verdict is fail.
 */
function partialReport(
  context: ProbeContext,
  startedAt: Date,
  start: number,
  maxTimeMs: number,
  insecure: boolean,
): ProbeReport {
  let running: string | undefined;
  const checks: CheckResult[] = CHECK_IDS.map((id) => {
    const done = context.results.get(id);
    if (done !== undefined) return done;
    if (running === undefined) {
      running = id;
      return {
        id,
        status: 'fail',
        durationMs: 0,
        summary: `did not finish within --max-time ${maxTimeMs} ms`,
        hint: 'raise --max-time, or lower --timeout so that each step gives up sooner',
        details: { maxTimeMs },
      };
    }
    return {
      id,
      status: 'skip',
      durationMs: 0,
      summary: `not run: --max-time ${maxTimeMs} ms reached`,
      details: {},
    };
  });
  return {
    ...probeResult(context, checks, startedAt, start),
    ...(insecure ? { insecure: true as const } : {}),
    deadline: { maxTimeMs, reachedIn: running ?? 'the end of the run' },
  };
}

/**
 * runProbe with a deadline for the whole run: the per-step deadline is capped at what is left, and
 * when the time is up the report holds what finished (the canary must answer before Lambda's own
 * timeout, and a monitoring scrape before its own). Never exits the process.
 */
export async function runProbeBounded(options: ProbeOptions, limits: RunLimits = {}): Promise<ProbeReport> {
  const startedAt = new Date();
  const start = performance.now();
  const { maxTimeMs } = limits;
  if (maxTimeMs !== undefined && (!Number.isFinite(maxTimeMs) || maxTimeMs <= 0)) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--max-time: must be a positive number of milliseconds (got ${maxTimeMs})`,
    );
  }
  const cap = maxTimeMs ?? Number.POSITIVE_INFINITY;
  const stepMs = Math.min(options.timeoutMs ?? PROBE_DEFAULTS.timeoutMs, cap);
  const bounded: ProbeOptions = {
    ...options,
    timeoutMs: stepMs,
    ...(maxTimeMs === undefined
      ? {}
      : { responseTimeoutMs: Math.min(options.responseTimeoutMs ?? PROBE_DEFAULTS.responseTimeoutMs, cap) }),
  };
  const insecure = options.insecure === true;
  // Validate the options before reading any secret or file: a typo should not cost an AWS call.
  buildContext(bounded, { crls: [] });

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof reached>((resolve) => {
    if (maxTimeMs !== undefined) timer = setTimeout(() => resolve(reached), maxTimeMs).unref();
  });
  try {
    const inputs = await Promise.race([loadInputs(bounded), deadline]);
    if (inputs === reached) {
      throw new ProbeError(
        'CONFIG_INVALID',
        `--max-time ${maxTimeMs} ms: reached while reading the credentials, trust store and CRLs`,
        { hint: 'raise --max-time; reading a secret or an s3:// CRL needs the AWS endpoint to answer' },
      );
    }
    const context = buildContext(bounded, inputs);
    const run = async () => {
      const result = await runChecks(context, startedAt);
      return limits.certificateRequests === true
        ? { ...result, certificateRequests: await certificateRequestsOf(context) }
        : result;
    };
    const result = await Promise.race([run(), deadline]);
    if (result === reached) {
      // What is still on the wire is no longer waited for.
      context.abandon.abort();
      return partialReport(context, startedAt, start, maxTimeMs ?? 0, insecure);
    }
    return {
      ...result,
      durationMs: Math.round(performance.now() - start),
      ...(insecure ? { insecure: true as const } : {}),
    };
  } finally {
    clearTimeout(timer);
  }
}
