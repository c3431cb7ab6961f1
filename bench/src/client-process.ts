// One client kind, measured in a process of its own so that CPU and RSS belong to that client alone.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { ClientConfig } from './bench-config.ts';
import { createBenchClient } from './clients.ts';
import { type LoadResult, runLoad } from './load.ts';

export interface ClientReport {
  readonly kind: string;
  readonly get: LoadResult;
  readonly post: LoadResult;
  /** resourceUsage().maxRSS: the process's peak resident set, start-up included. */
  readonly peakRssMb: number;
  readonly rssGrowthMb: number;
  /** JS heap still in use after a full GC, end minus start: what a leak would show. */
  readonly heapGrowthMb: number;
  /**
   * CPU (user + system) of this process from its start to the end of its first response: Node's
   * bootstrap, the import of the client library, building the client and one request on a fresh
   * TLS connection.
   */
  readonly startupCpuMs: number;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

/**
 * A V8 CPU profile of the GET load alone (start-up and warm-up excluded), at a 100 us sampling
 * interval: what the request path costs per call. The whole process's profile, start-up
 * included, comes from --cpu-prof beside it.
 */
async function profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
  if (file === undefined) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  }
}

async function measure(config: ClientConfig): Promise<ClientReport> {
  const client = await createBenchClient(config.kind, config);
  await client.get();
  const startupCpu = process.cpuUsage();
  await runLoad(config.warmupRequests, config.concurrency, () => client.get());
  // RSS growth is meant to show what the client keeps (a leak), not garbage not yet collected:
  // the orchestrator starts this process with --expose-gc, and both readings follow a full GC.
  globalThis.gc?.();
  const rssStart = process.memoryUsage.rss();
  const heapStart = process.memoryUsage().heapUsed;
  const get = await profiled(config.loadProfileFile, () =>
    runLoad(config.getRequests, config.concurrency, () => client.get()),
  );
  const post = await runLoad(config.postRequests, config.concurrency, () => client.post());
  globalThis.gc?.();
  const rssEnd = process.memoryUsage.rss();
  const heapEnd = process.memoryUsage().heapUsed;
  await client.close();
  return {
    kind: config.kind,
    get,
    post,
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    rssGrowthMb: mb(rssEnd - rssStart),
    heapGrowthMb: mb(heapEnd - heapStart),
    startupCpuMs: (startupCpu.user + startupCpu.system) / 1000,
  };
}

process.once('message', (config: ClientConfig) => {
  measure(config).then(
    (report) => process.send?.({ report }, () => process.disconnect()),
    (error: unknown) => process.send?.({ error: String(error) }, () => process.disconnect()),
  );
});
