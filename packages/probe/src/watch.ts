import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeInputs } from './context.ts';
import { runProbe } from './engine.ts';
import type { ProbeOptions } from './options.ts';
import type { ProbeResult } from './result.ts';

export interface WatchSummary {
  readonly runs: number;
  readonly failedRuns: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** How often each failure code was seen. */
  readonly codes: Readonly<Record<string, number>>;
}

/** Nearest-rank percentile of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? 0;
}

/** The latency a run is summarised by: the HTTP total when the request ran, else the whole run. */
export function runLatency(result: ProbeResult): number {
  const phases = result.checks.find((c) => c.id === 'http.response')?.details.phases as
    | { total?: unknown }
    | undefined;
  return typeof phases?.total === 'number' ? phases.total : result.durationMs;
}

/**
 * `check --watch`: runs the probe every `intervalMs` until `count` runs or the signal aborts,
 * calling `onRun` with each result and the rolling summary. Credentials are read once.
 */
export async function watchProbe(
  options: ProbeOptions,
  inputs: ProbeInputs,
  opts: {
    intervalMs: number;
    count?: number;
    signal?: AbortSignal;
    onRun: (result: ProbeResult, summary: WatchSummary) => void;
  },
): Promise<WatchSummary> {
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let failedRuns = 0;
  let summary: WatchSummary = { runs: 0, failedRuns: 0, p50Ms: 0, p99Ms: 0, codes };
  for (let run = 1; opts.count === undefined || run <= opts.count; run++) {
    if (opts.signal?.aborted) break;
    const result = await runProbe(options, inputs);
    latencies.push(runLatency(result));
    if (result.verdict === 'fail') failedRuns++;
    for (const check of result.checks) {
      if (check.status === 'fail' && check.code !== undefined)
        codes[check.code] = (codes[check.code] ?? 0) + 1;
    }
    summary = {
      runs: run,
      failedRuns,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      codes: { ...codes },
    };
    opts.onRun(result, summary);
    if (opts.count !== undefined && run >= opts.count) break;
    try {
      await sleep(opts.intervalMs, undefined, opts.signal === undefined ? {} : { signal: opts.signal });
    } catch {
      break; // aborted (Ctrl-C): finish with the summary so far
    }
  }
  return summary;
}

export function describeSummary(s: WatchSummary): string {
  const codes = Object.entries(s.codes)
    .map(([code, n]) => `${code}×${n}`)
    .join(', ');
  return `${s.runs} runs, ${s.failedRuns} failed, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms${codes === '' ? '' : ` (${codes})`}`;
}
