// From measured pairs to the contract's figures: every ratio is the median of per-pair ratios,
// with its spread as `<key>Spread: [min, max]`; absolute figures are medians over the rounds.
import type { LoadResult } from './load.ts';
import type { MeasuredClient } from './processes.ts';
import type { PeerKind, ScenarioRun } from './scenario.ts';
import { median, type PairedRatio, pairedRatio, round1, round2, type Spread } from './stats.ts';

export type Figures = Record<string, number | readonly number[] | null>;

/** The paired ratio of a against b, its median and spread rounded for the JSON line. */
function ratioOf(a: readonly number[], b: readonly number[]): PairedRatio {
  const r = pairedRatio(a, b);
  return { perPair: r.perPair, median: round2(r.median), spread: [round2(r.spread[0]), round2(r.spread[1])] };
}

/** What each pair is compared on: throughput and p99 of GET, CPU per request, peak RSS, start-up CPU. */
const sdkVsUndiciRatios = {
  sdkVsUndici: (c: MeasuredClient) => c.get.reqPerSec,
  cpuPerRequestVsUndici: (c: MeasuredClient) => c.get.cpuUsPerRequest,
  p99VsUndici: (c: MeasuredClient) => c.get.p99Ms,
  postSdkVsUndici: (c: MeasuredClient) => c.post.reqPerSec,
  peakRssVsUndici: (c: MeasuredClient) => c.peakRssMb,
  sdkStartupVsUndici: (c: MeasuredClient) => c.startupCpuMs,
} as const;

export type PairRatioKey = keyof typeof sdkVsUndiciRatios;

const peerRatios: ReadonlyArray<readonly [string, PeerKind, (l: LoadResult) => number]> = [
  ['sdkVsHttps', 'https-keepalive', (l) => l.reqPerSec],
  ['sdkVsAxios', 'axios', (l) => l.reqPerSec],
  ['sdkVsNaive', 'https-naive', (l) => l.reqPerSec],
  ['cpuPerRequestVsHttps', 'https-keepalive', (l) => l.cpuUsPerRequest],
  ['cpuPerRequestVsAxios', 'axios', (l) => l.cpuUsPerRequest],
];

export interface ScenarioSummary {
  /** The JSON figures of the scenario (contract keys, medians, spreads). */
  readonly figures: Figures;
  /** Per-pair ratios behind the SDK/undici figures, for the table. */
  readonly ratios: Readonly<Record<PairRatioKey, PairedRatio>>;
}

const failuresOf = (c: MeasuredClient) => c.get.failures + c.post.failures;

export function summarizeScenario(run: ScenarioRun): ScenarioSummary {
  const sdk = run.pairs.map((p) => p.sdk);
  const undici = run.pairs.map((p) => p.undici);
  const figures: Figures = {};
  const ratios = {} as Record<PairRatioKey, PairedRatio>;
  for (const [key, metric] of Object.entries(sdkVsUndiciRatios) as [
    PairRatioKey,
    (c: MeasuredClient) => number,
  ][]) {
    const ratio = ratioOf(sdk.map(metric), undici.map(metric));
    ratios[key] = ratio;
    figures[key] = ratio.median;
    figures[`${key}Spread`] = ratio.spread;
  }
  for (const [key, kind, metric] of peerRatios) {
    // A peer is compared with the SDK run of its own round, never with another round's.
    const withPeer = run.pairs.flatMap((p) => (p.peers[kind] ? [[p.sdk, p.peers[kind]] as const] : []));
    if (withPeer.length === 0) continue;
    const ratio = ratioOf(
      withPeer.map(([s]) => metric(s.get)),
      withPeer.map(([, peer]) => metric(peer.get)),
    );
    figures[key] = ratio.median;
    figures[`${key}Spread`] = ratio.spread;
  }
  const handshakes = sdk.map((c) => c.handshakes).filter((h): h is number => h !== null);
  const undiciHandshakes = undici.map((c) => c.handshakes).filter((h): h is number => h !== null);
  Object.assign(figures, {
    fullHandshakes: handshakes.length === sdk.length ? median(handshakes) : null,
    undiciFullHandshakes: undiciHandshakes.length === undici.length ? median(undiciHandshakes) : null,
    requests: sdk[0]?.get.requests ?? 0,
    pairs: run.pairs.length,
    sdkReqPerSec: Math.round(median(sdk.map((c) => c.get.reqPerSec))),
    undiciReqPerSec: Math.round(median(undici.map((c) => c.get.reqPerSec))),
    sdkCpuUsPerRequest: round1(median(sdk.map((c) => c.get.cpuUsPerRequest))),
    undiciCpuUsPerRequest: round1(median(undici.map((c) => c.get.cpuUsPerRequest))),
    sdkP99Ms: round2(median(sdk.map((c) => c.get.p99Ms))),
    undiciP99Ms: round2(median(undici.map((c) => c.get.p99Ms))),
    sdkPeakRssMb: round1(median(sdk.map((c) => c.peakRssMb))),
    undiciPeakRssMb: round1(median(undici.map((c) => c.peakRssMb))),
    sdkStartupCpuMs: Math.round(median(sdk.map((c) => c.startupCpuMs))),
    undiciStartupCpuMs: Math.round(median(undici.map((c) => c.startupCpuMs))),
    sdkRssGrowthMb: round1(median(sdk.map((c) => c.rssGrowthMb))),
    undiciRssGrowthMb: round1(median(undici.map((c) => c.rssGrowthMb))),
    sdkHeapGrowthMb: round1(median(sdk.map((c) => c.heapGrowthMb))),
    failures: run.pairs.reduce(
      (n, p) =>
        n +
        failuresOf(p.sdk) +
        failuresOf(p.undici) +
        Object.values(p.peers).reduce((m, peer) => m + failuresOf(peer), 0),
      0,
    ),
  });
  return { figures, ratios };
}

/** A target of the issue: a median ratio against a limit. */
export interface Target {
  readonly key: string;
  readonly label: string;
  readonly limit: number;
  /** 'max': the ratio must not exceed the limit; 'min': it must not fall below it. */
  readonly bound: 'max' | 'min';
}

export const sdkTargets: readonly Target[] = [
  { key: 'cpuPerRequestVsUndici', label: 'CPU/request', limit: 1.03, bound: 'max' },
  { key: 'sdkVsUndici', label: 'throughput', limit: 0.97, bound: 'min' },
  { key: 'p99VsUndici', label: 'p99', limit: 1.05, bound: 'max' },
  { key: 'peakRssVsUndici', label: 'peak RSS', limit: 1.05, bound: 'max' },
  { key: 'sdkStartupVsUndici', label: 'start-up CPU', limit: 1.2, bound: 'max' },
];

export const probeTarget: Target = {
  key: 'probeCheckVsNodeStart',
  label: 'probe check vs node start',
  limit: 5,
  bound: 'max',
};

export interface Verdict {
  readonly scenario: string;
  readonly key: string;
  readonly label: string;
  readonly limit: string;
  readonly median: number | null;
  readonly spread: Spread | null;
  /** null: not measured in this run (the reason is in `note`). */
  readonly met: boolean | null;
  /** The spread lies on both sides of the limit: another run may well give the other verdict. */
  readonly spreadCrossesLimit: boolean;
  readonly note?: string;
}

const holds = (t: Target, value: number) => (t.bound === 'max' ? value <= t.limit : value >= t.limit);

export function judge(
  scenario: string,
  target: Target,
  figures: Figures | undefined,
  note?: string,
): Verdict {
  const limit = `${target.bound === 'max' ? '<=' : '>='} ${target.limit}`;
  const value = figures?.[target.key];
  const range = figures?.[`${target.key}Spread`];
  if (typeof value !== 'number' || !Array.isArray(range)) {
    return {
      scenario,
      key: target.key,
      label: target.label,
      limit,
      median: null,
      spread: null,
      met: null,
      spreadCrossesLimit: false,
      note: note ?? 'not measured',
    };
  }
  const spread = [range[0] as number, range[1] as number] as const;
  return {
    scenario,
    key: target.key,
    label: target.label,
    limit,
    median: value,
    spread,
    met: holds(target, value),
    spreadCrossesLimit: holds(target, spread[0]) !== holds(target, spread[1]),
  };
}
