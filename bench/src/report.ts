// The human-readable report: per-pair figures, medians with spreads, and each target's verdict.
import type { Pair, ScenarioRun } from './scenario.ts';
import type { PairRatioKey, ScenarioSummary, Verdict } from './summary.ts';

type Column<T> = readonly [title: string, width: number, value: (row: T) => string];

/** Columns as wide as their widest cell (at least `width`): the first left-aligned, the rest right. */
function table<T>(columns: readonly Column<T>[], rows: readonly T[]): string[] {
  const cells = rows.map((row) => columns.map(([, , value]) => value(row)));
  const widths = columns.map(([title, width], i) =>
    Math.max(width, title.length, ...cells.map((c) => (c[i] as string).length)),
  );
  const line = (texts: readonly string[]) =>
    texts
      .map((text, i) => (i === 0 ? text.padEnd(widths[i] as number) : text.padStart(widths[i] as number)))
      .join(' ')
      .trimEnd();
  return [line(columns.map(([title]) => title)), ...cells.map(line)];
}

const fixed = (digits: number) => (value: number) => value.toFixed(digits);

interface PairRow {
  readonly pair: Pair;
  readonly index: number;
  readonly ratios: ScenarioSummary['ratios'];
}

const ratioCell = (key: PairRatioKey) => (row: PairRow) =>
  fixed(2)(row.ratios[key].perPair[row.index] ?? Number.NaN);

const pairColumns: readonly Column<PairRow>[] = [
  ['round', 5, (r) => String(r.pair.round)],
  ['SDK req/s', 9, (r) => fixed(0)(r.pair.sdk.get.reqPerSec)],
  ['undici', 7, (r) => fixed(0)(r.pair.undici.get.reqPerSec)],
  ['thru x', 6, ratioCell('sdkVsUndici')],
  ['SDK us/req', 10, (r) => fixed(1)(r.pair.sdk.get.cpuUsPerRequest)],
  ['undici', 7, (r) => fixed(1)(r.pair.undici.get.cpuUsPerRequest)],
  ['CPU x', 6, ratioCell('cpuPerRequestVsUndici')],
  ['p99 x', 6, ratioCell('p99VsUndici')],
  ['POST x', 6, ratioCell('postSdkVsUndici')],
  ['SDK RSS', 7, (r) => fixed(1)(r.pair.sdk.peakRssMb)],
  ['undici', 7, (r) => fixed(1)(r.pair.undici.peakRssMb)],
  ['RSS x', 6, ratioCell('peakRssVsUndici')],
  ['SDK start', 9, (r) => fixed(0)(r.pair.sdk.startupCpuMs)],
  ['undici', 7, (r) => fixed(0)(r.pair.undici.startupCpuMs)],
  ['start x', 7, ratioCell('sdkStartupVsUndici')],
  ['hs', 4, (r) => (r.pair.sdk.handshakes === null ? '-' : String(r.pair.sdk.handshakes))],
  ['fail', 4, (r) => String(r.pair.sdk.get.failures + r.pair.undici.get.failures)],
];

const ratioLabels: Readonly<Record<PairRatioKey, string>> = {
  sdkVsUndici: 'GET throughput',
  cpuPerRequestVsUndici: 'CPU per request',
  p99VsUndici: 'p99 latency',
  postSdkVsUndici: 'POST throughput',
  peakRssVsUndici: 'peak RSS',
  sdkStartupVsUndici: 'start-up CPU',
};

/** Per pair (CPU and start-up in the client process's own accounting; RSS in MB; start-up in CPU ms). */
export function formatScenario(run: ScenarioRun, summary: ScenarioSummary): string[] {
  const rows = run.pairs.map((pair, index) => ({ pair, index, ratios: summary.ratios }));
  const lines = [`${run.scenario.label}:`, ...table(pairColumns, rows).map((l) => `  ${l}`)];
  lines.push('  SDK / undici, median [min, max] of the pairs:');
  for (const [key, label] of Object.entries(ratioLabels) as [PairRatioKey, string][]) {
    const r = summary.ratios[key];
    lines.push(
      `    ${label.padEnd(16)} ${r.median.toFixed(2)} [${r.spread[0].toFixed(2)}, ${r.spread[1].toFixed(2)}]`,
    );
  }
  if (run.pairs.some((p) => p.sdk.get.slices.length > 1)) {
    lines.push(
      '  CPU per request slice by slice, SDK slice k / undici slice k (slices in the order they ran):',
    );
    for (const { round, sdk, undici } of run.pairs) {
      const perSlice = sdk.get.slices.map((s, k) => {
        const u = undici.get.slices[k];
        return u ? s.cpuUs / s.requests / (u.cpuUs / u.requests) : Number.NaN;
      });
      lines.push(`    round ${round}: ${perSlice.map(fixed(2)).join(' ')}`);
    }
  }
  const peers = run.pairs.filter((p) => Object.keys(p.peers).length > 0);
  if (peers.length > 0) {
    lines.push(`  peers (GET req/s, CPU us/req), ${peers.length} round(s) beside the pairs:`);
    for (const pair of peers) {
      const cells = Object.entries(pair.peers).map(
        ([kind, c]) => `${kind} ${c.get.reqPerSec.toFixed(0)} req/s ${c.get.cpuUsPerRequest.toFixed(1)} us`,
      );
      lines.push(`    round ${pair.round}: ${cells.join(', ')}`);
    }
  }
  return lines;
}

export function formatVerdicts(verdicts: readonly Verdict[]): string[] {
  const columns: readonly Column<Verdict>[] = [
    ['scenario', 18, (v) => v.scenario],
    ['target', 26, (v) => v.label],
    ['limit', 8, (v) => v.limit],
    ['median', 7, (v) => (v.median === null ? '-' : v.median.toFixed(2))],
    [
      'spread',
      14,
      (v) => (v.spread === null ? '-' : `[${v.spread[0].toFixed(2)}, ${v.spread[1].toFixed(2)}]`),
    ],
    ['verdict', 7, (v) => (v.met === null ? 'n/a' : v.met ? 'met' : 'not met')],
  ];
  // The note is free text: after the table, not padded into it.
  const rows = table(columns, verdicts);
  return [
    rows[0] as string,
    ...verdicts.map((v, i) => {
      const note = v.note ?? (v.spreadCrossesLimit ? 'the spread crosses the limit' : '');
      return note === '' ? (rows[i + 1] as string) : `${rows[i + 1]}  (${note})`;
    }),
  ];
}
