import { quantile } from './stats.ts';

/** One slice of a load: its requests, wall time and CPU (user + system, the process's own accounting). */
export interface SliceFigures {
  readonly requests: number;
  readonly wallMs: number;
  readonly cpuUs: number;
}

/** A closed-loop load generator: `concurrency` workers each send requests back to back. */
export interface LoadResult {
  readonly requests: number;
  readonly failures: number;
  /** Wall time under load: the sum of the slices' wall times (idle time between slices left out). */
  readonly wallMs: number;
  readonly reqPerSec: number;
  /** Latency quantiles over every request of every slice together. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Client CPU (user + system, the process's own accounting) per request, microseconds: the slices' sum. */
  readonly cpuUsPerRequest: number;
  /** The slices in the order they ran (one for a load run in one piece). */
  readonly slices: readonly SliceFigures[];
  readonly firstError?: string;
}

/**
 * A load of `total` requests run in slices (the orchestrator decides when each runs): CPU and wall
 * time are taken around each slice and summed; latencies and failures accumulate over all slices.
 */
export class SlicedLoad {
  readonly total: number;
  readonly concurrency: number;
  readonly #send: (index: number) => Promise<void>;
  readonly #latencies: Float64Array;
  readonly #slices: SliceFigures[] = [];
  #done = 0;
  #failures = 0;
  #firstError: string | undefined;

  constructor(total: number, concurrency: number, send: (index: number) => Promise<void>) {
    this.total = total;
    this.concurrency = concurrency;
    this.#send = send;
    this.#latencies = new Float64Array(total);
  }

  get done(): number {
    return this.#done;
  }

  async slice(requests: number): Promise<SliceFigures> {
    if (!Number.isInteger(requests) || requests < 1 || this.#done + requests > this.total) {
      throw new RangeError(`slice of ${requests} requests after ${this.#done} of ${this.total}`);
    }
    const latencies = this.#latencies;
    const end = this.#done + requests;
    let next = this.#done;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const worker = async () => {
      for (let i = next++; i < end; i = next++) {
        const t0 = performance.now();
        try {
          await this.#send(i);
        } catch (error) {
          this.#failures++;
          this.#firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        }
        latencies[i] = performance.now() - t0;
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const figures = { requests, wallMs, cpuUs: cpu.user + cpu.system };
    this.#done = end;
    this.#slices.push(figures);
    return figures;
  }

  /** The whole load's figures; every request must have run. */
  result(): LoadResult {
    if (this.#done !== this.total) throw new Error(`the load ran ${this.#done} of ${this.total} requests`);
    const sorted = this.#latencies.slice().sort();
    const wallMs = this.#slices.reduce((sum, s) => sum + s.wallMs, 0);
    const cpuUs = this.#slices.reduce((sum, s) => sum + s.cpuUs, 0);
    return {
      requests: this.total,
      failures: this.#failures,
      wallMs,
      reqPerSec: (this.total / wallMs) * 1000,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      cpuUsPerRequest: cpuUs / this.total,
      slices: [...this.#slices],
      ...(this.#firstError === undefined ? {} : { firstError: this.#firstError }),
    };
  }
}

/** A load run in one piece. */
export async function runLoad(
  requests: number,
  concurrency: number,
  send: (index: number) => Promise<void>,
): Promise<LoadResult> {
  const load = new SlicedLoad(requests, concurrency, send);
  await load.slice(requests);
  return load.result();
}
