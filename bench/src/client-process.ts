// One client kind, measured in a process of its own so that CPU and RSS belong to that client alone.
// The orchestrator drives it step by step over IPC, so that it can alternate two such processes.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { ClientConfig } from './bench-config.ts';
import { createBenchClient } from './clients.ts';
import { type LoadResult, runLoad, SlicedLoad } from './load.ts';

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

/**
 * What the orchestrator sends after the ClientConfig, one at a time, each answered before the next:
 * the warm-up, then slices of the GET and POST loads (in any order within a phase, as many as add
 * up to the configured requests), then `finish`, answered by the report.
 */
export type ClientCommand =
  | { readonly step: 'warmup' }
  | { readonly step: 'get' | 'post'; readonly requests: number }
  | { readonly step: 'finish' };

/** `started`: the first response is in (start-up measured); `done`: a step is over. */
export type ClientMessage =
  | { readonly started: true }
  | { readonly done: true }
  | { readonly report: ClientReport }
  | { readonly error: string };

const mb = (bytes: number) => bytes / 1024 / 1024;

/**
 * A V8 CPU profile of the GET load alone (start-up and warm-up excluded), at a 100 us sampling
 * interval: what the request path costs per call. Sliced, it spans every GET slice, the idle waits
 * between them included (as "(idle)", which the report leaves out). The whole process's profile,
 * start-up included, comes from --cpu-prof beside it.
 */
class LoadProfiler {
  #session: Session | undefined;
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  async start(): Promise<void> {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    this.#session = session;
  }

  async stop(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    const { profile } = await session.post('Profiler.stop');
    await writeFile(this.#file, JSON.stringify(profile));
    session.disconnect();
  }
}

function send(message: ClientMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send?.(message, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

/**
 * Commands in arrival order. The listener stays on for the process's life: it keeps the IPC
 * channel (and so the process) alive while the process waits, idle, for its next step.
 */
function commandQueue(): () => Promise<ClientCommand> {
  const waiting: ((command: ClientCommand) => void)[] = [];
  const queued: ClientCommand[] = [];
  process.on('message', (command: ClientCommand) => {
    const taker = waiting.shift();
    if (taker) taker(command);
    else queued.push(command);
  });
  return () => {
    const command = queued.shift();
    return command ? Promise.resolve(command) : new Promise((resolve) => waiting.push(resolve));
  };
}

async function serve(config: ClientConfig, nextCommand: () => Promise<ClientCommand>): Promise<void> {
  const client = await createBenchClient(config.kind, config);
  await client.get();
  const startupCpu = process.cpuUsage();
  await send({ started: true });

  const get = new SlicedLoad(config.getRequests, config.concurrency, () => client.get());
  const post = new SlicedLoad(config.postRequests, config.concurrency, () => client.post());
  const profiler = config.loadProfileFile ? new LoadProfiler(config.loadProfileFile) : undefined;
  let rssStart = 0;
  let heapStart = 0;
  for (;;) {
    const command = await nextCommand();
    switch (command.step) {
      case 'warmup':
        await runLoad(config.warmupRequests, config.concurrency, () => client.get());
        // RSS growth is meant to show what the client keeps (a leak), not garbage not yet
        // collected: the orchestrator starts this process with --expose-gc, and both readings
        // follow a full GC (this one before the first GET slice, the other after the last load).
        globalThis.gc?.();
        rssStart = process.memoryUsage.rss();
        heapStart = process.memoryUsage().heapUsed;
        break;
      case 'get':
        if (get.done === 0) await profiler?.start();
        await get.slice(command.requests);
        if (get.done === get.total) await profiler?.stop();
        break;
      case 'post':
        await post.slice(command.requests);
        break;
      case 'finish': {
        globalThis.gc?.();
        const rssEnd = process.memoryUsage.rss();
        const heapEnd = process.memoryUsage().heapUsed;
        await client.close();
        await send({
          report: {
            kind: config.kind,
            get: get.result(),
            post: post.result(),
            peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
            rssGrowthMb: mb(rssEnd - rssStart),
            heapGrowthMb: mb(heapEnd - heapStart),
            startupCpuMs: (startupCpu.user + startupCpu.system) / 1000,
          },
        });
        return;
      }
    }
    await send({ done: true });
  }
}

process.once('message', (config: ClientConfig) => {
  serve(config, commandQueue()).then(
    () => process.disconnect(),
    (error: unknown) => send({ error: String(error) }).finally(() => process.disconnect()),
  );
});
