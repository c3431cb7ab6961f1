// One client kind, measured in a process of its own so that CPU and RSS belong to that client alone.
import type { ClientConfig } from './bench-config.ts';
import { createBenchClient } from './clients.ts';
import { type LoadResult, runLoad } from './load.ts';

export interface ClientReport {
  readonly kind: string;
  readonly get: LoadResult;
  readonly post: LoadResult;
  readonly peakRssMb: number;
  readonly rssGrowthMb: number;
  /** JS heap still in use after a full GC, end minus start: what a leak would show. */
  readonly heapGrowthMb: number;
}

async function measure(config: ClientConfig): Promise<ClientReport> {
  const client = createBenchClient(config.kind, config);
  await runLoad(config.warmupRequests, config.concurrency, () => client.get());
  // RSS growth is meant to show what the client keeps (a leak), not garbage not yet collected:
  // the orchestrator starts this process with --expose-gc, and both readings follow a full GC.
  globalThis.gc?.();
  const rssStart = process.memoryUsage.rss();
  const heapStart = process.memoryUsage().heapUsed;
  let peakRss = rssStart;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 25);
  const get = await runLoad(config.getRequests, config.concurrency, () => client.get());
  const post = await runLoad(config.postRequests, config.concurrency, () => client.post());
  clearInterval(sampler);
  globalThis.gc?.();
  const rssEnd = process.memoryUsage.rss();
  const heapEnd = process.memoryUsage().heapUsed;
  peakRss = Math.max(peakRss, rssEnd);
  await client.close();
  const mb = (bytes: number) => bytes / 1024 / 1024;
  return {
    kind: config.kind,
    get,
    post,
    peakRssMb: mb(peakRss),
    rssGrowthMb: mb(rssEnd - rssStart),
    heapGrowthMb: mb(heapEnd - heapStart),
  };
}

process.once('message', (config: ClientConfig) => {
  measure(config).then(
    (report) => process.send?.({ report }, () => process.disconnect()),
    (error: unknown) => process.send?.({ error: String(error) }, () => process.disconnect()),
  );
});
