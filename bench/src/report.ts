import type { ClientKind } from './bench-config.ts';
import type { ClientReport } from './client-process.ts';

const columns = [
  ['client', 16, (r: Row) => r.kind],
  ['GET req/s', 10, (r: Row) => r.get.reqPerSec.toFixed(0)],
  ['p50 ms', 8, (r: Row) => r.get.p50Ms.toFixed(2)],
  ['p99 ms', 8, (r: Row) => r.get.p99Ms.toFixed(2)],
  ['CPU us/req', 11, (r: Row) => r.get.cpuUsPerRequest.toFixed(1)],
  ['POST req/s', 11, (r: Row) => r.post.reqPerSec.toFixed(0)],
  ['peak RSS MB', 12, (r: Row) => r.peakRssMb.toFixed(1)],
  ['RSS growth MB', 14, (r: Row) => r.rssGrowthMb.toFixed(1)],
  ['heap growth MB', 15, (r: Row) => r.heapGrowthMb.toFixed(1)],
  ['handshakes', 11, (r: Row) => (r.handshakes === null ? '-' : String(r.handshakes))],
  ['failures', 9, (r: Row) => String(r.get.failures + r.post.failures)],
] as const;

type Row = ClientReport & { handshakes: number | null };

/** The human-readable table: one row per client, numbers right-aligned. */
export function formatTable(reports: ReadonlyMap<ClientKind, Row>): string[] {
  const cell = (text: string, width: number, first: boolean) =>
    first ? text.padEnd(width) : text.padStart(width);
  const header = columns.map(([title, width], i) => cell(title, width, i === 0)).join(' ');
  const rows = [...reports.values()].map((row) =>
    columns.map(([, width, value], i) => cell(value(row), width, i === 0)).join(' '),
  );
  return [header, ...rows];
}
