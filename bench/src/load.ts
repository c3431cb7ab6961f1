import { quantile } from './stats.ts';

/** A closed-loop load generator: `concurrency` workers each send requests back to back. */
export interface LoadResult {
  readonly requests: number;
  readonly failures: number;
  readonly wallMs: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Client CPU (user + system, the process's own accounting) per request, microseconds. */
  readonly cpuUsPerRequest: number;
  readonly firstError?: string;
}

export async function runLoad(
  requests: number,
  concurrency: number,
  send: (index: number) => Promise<void>,
): Promise<LoadResult> {
  const latencies = new Float64Array(requests);
  let next = 0;
  let failures = 0;
  let firstError: string | undefined;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const worker = async () => {
    for (let i = next++; i < requests; i = next++) {
      const t0 = performance.now();
      try {
        await send(i);
      } catch (error) {
        failures++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  latencies.sort();
  const at = (q: number) => quantile(latencies, q);
  return {
    requests,
    failures,
    wallMs,
    reqPerSec: (requests / wallMs) * 1000,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    cpuUsPerRequest: (cpu.user + cpu.system) / requests,
    ...(firstError === undefined ? {} : { firstError }),
  };
}
