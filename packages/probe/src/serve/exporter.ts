import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { runCheckOrReport } from '../cli/run-check.ts';
import { type Family, renderFamilies, renderPrometheus } from '../render/prometheus.ts';
import { PROBE_VERSION } from '../version.ts';
import type { ExporterConfig } from './config.ts';
import { Slots } from './slots.ts';

const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';
// As blackbox_exporter does: answer a little before Prometheus gives up on the scrape.
const SCRAPE_TIMEOUT_OFFSET_MS = 500;

export interface Exporter {
  /** `http://HOST:PORT` it listens on. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Counters {
  readonly probes: Map<string, number>;
  rejected: number;
  /** The most probes that ran at once since start. */
  peak: number;
  durationSum: number;
  durationCount: number;
}

/** A family of one unlabelled sample. */
const single = (name: string, help: string, type: Family['type'], value: number): Family => ({
  name,
  help,
  type,
  samples: [{ value }],
});

function exporterFamilies(counters: Counters, slots: Slots, config: ExporterConfig): Family[] {
  return [
    {
      name: 'mtls_probe_exporter_build_info',
      help: 'The exporter version.',
      type: 'gauge',
      samples: [{ labels: { version: PROBE_VERSION, node: process.versions.node }, value: 1 }],
    },
    {
      name: 'mtls_probe_exporter_probes_total',
      help: 'Probes answered, by module and verdict.',
      type: 'counter',
      samples: [...counters.probes].map(([key, value]) => {
        const [module = '', verdict = ''] = key.split('\u0000');
        return { labels: { module, verdict }, value };
      }),
    },
    single(
      'mtls_probe_exporter_probes_rejected_total',
      'Probes refused because no slot came free within their deadline.',
      'counter',
      counters.rejected,
    ),
    single('mtls_probe_exporter_probes_in_flight', 'Probes running now.', 'gauge', slots.inUse),
    single(
      'mtls_probe_exporter_probes_in_flight_peak',
      'The most probes that ran at once since the exporter started.',
      'gauge',
      counters.peak,
    ),
    single(
      'mtls_probe_exporter_max_concurrent_probes',
      'The bound on probes running at once (maxConcurrent).',
      'gauge',
      config.maxConcurrent,
    ),
    single(
      'mtls_probe_exporter_probe_duration_seconds_sum',
      'Total time spent answering probes.',
      'counter',
      counters.durationSum,
    ),
    single(
      'mtls_probe_exporter_probe_duration_seconds_count',
      'Probes timed in the sum.',
      'counter',
      counters.durationCount,
    ),
  ];
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The probe's deadline: the config's, the module's max-time, and Prometheus' scrape timeout, whichever is least. */
function deadlineOf(req: IncomingMessage, config: ExporterConfig, moduleMaxTime: number | undefined): number {
  const header = Number(req.headers['x-prometheus-scrape-timeout-seconds']);
  const scrape =
    Number.isFinite(header) && header > 0
      ? Math.max(100, header * 1000 - SCRAPE_TIMEOUT_OFFSET_MS)
      : Number.POSITIVE_INFINITY;
  return Math.min(config.maxTimeMs, moduleMaxTime ?? Number.POSITIVE_INFINITY, scrape);
}

/**
 * `mtls-probe serve`: a Prometheus exporter in the manner of blackbox_exporter. `GET /probe?target=URL&module=NAME`
 * runs one check with the module's options and answers its metrics; `/metrics` describes the exporter.
 */
export async function startExporter(
  config: ExporterConfig,
  listen: { host: string; port: number },
  env: NodeJS.ProcessEnv,
): Promise<Exporter> {
  const slots = new Slots(config.maxConcurrent);
  const counters: Counters = { probes: new Map(), rejected: 0, peak: 0, durationSum: 0, durationCount: 0 };

  async function probe(req: IncomingMessage, res: ServerResponse, url: URL) {
    const target = url.searchParams.get('target');
    const name = url.searchParams.get('module');
    if (target === null || target === '') return send(res, 400, 'target parameter is missing\n');
    const module = name === null ? undefined : config.modules.get(name);
    if (module === undefined) {
      return send(
        res,
        400,
        `unknown module ${JSON.stringify(name)}; known: ${[...config.modules.keys()].join(', ')}\n`,
      );
    }
    const deadlineMs = deadlineOf(req, config, module['max-time']);
    const start = performance.now();
    const waiting = AbortSignal.timeout(deadlineMs);
    const release = await slots.acquire(waiting);
    if (release === undefined) {
      counters.rejected += 1;
      return send(
        res,
        503,
        `no probe slot came free within ${deadlineMs} ms (maxConcurrent ${config.maxConcurrent})\n`,
      );
    }
    counters.peak = Math.max(counters.peak, slots.inUse);
    try {
      const left = Math.max(1, Math.round(deadlineMs - (performance.now() - start)));
      // The exposition format has no place for reproduce commands: skip working them out per scrape.
      const { report } = await runCheckOrReport({ ...module, url: target, 'max-time': left }, env, {
        reproduce: false,
      });
      const key = `${name}\u0000${report.verdict}`;
      counters.probes.set(key, (counters.probes.get(key) ?? 0) + 1);
      send(res, 200, renderPrometheus(report), TEXT_FORMAT);
    } finally {
      release();
      counters.durationSum += (performance.now() - start) / 1000;
      counters.durationCount += 1;
    }
  }

  // getBuiltinModule, not an ES import: that one reads every export of node:http, and its lazy
  // WebSocket/EventSource getters load Node's bundled fetch stack (~20 ms of start-up CPU).
  const server = process.getBuiltinModule('node:http').createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://exporter');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET only\n');
    if (url.pathname === '/probe') {
      probe(req, res, url).catch((error: unknown) =>
        send(res, 500, `probe failed: ${(error as Error).message}\n`),
      );
      return;
    }
    if (url.pathname === '/metrics')
      return send(res, 200, renderFamilies(exporterFamilies(counters, slots, config)), TEXT_FORMAT);
    if (url.pathname === '/-/healthy') return send(res, 200, 'OK\n');
    if (url.pathname === '/') {
      return send(
        res,
        200,
        `mtls-probe exporter ${PROBE_VERSION}\n\nGET /probe?target=https://…&module=NAME (modules: ${[...config.modules.keys()].join(', ')})\nGET /metrics\n`,
      );
    }
    send(res, 404, 'not found: try /probe?target=URL&module=NAME or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
