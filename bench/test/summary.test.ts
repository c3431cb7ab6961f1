import { describe, expect, it } from 'vitest';
import type { MeasuredClient } from '../src/processes.ts';
import type { Pair, ScenarioRun } from '../src/scenario.ts';
import { judge, sdkTargets, summarizeScenario } from '../src/summary.ts';

function client(
  kind: string,
  reqPerSec: number,
  cpuUsPerRequest: number,
  extra: Partial<MeasuredClient> = {},
) {
  const load = {
    requests: 1000,
    failures: 0,
    wallMs: (1000 / reqPerSec) * 1000,
    reqPerSec,
    p50Ms: 1,
    p99Ms: 10,
    cpuUsPerRequest,
    slices: [{ requests: 1000, wallMs: (1000 / reqPerSec) * 1000, cpuUs: cpuUsPerRequest * 1000 }],
  };
  return {
    kind,
    get: load,
    post: load,
    peakRssMb: 100,
    rssGrowthMb: 1,
    heapGrowthMb: 0.5,
    startupCpuMs: 150,
    handshakes: 32,
    ...extra,
  } satisfies MeasuredClient;
}

const scenario = {
  id: 'gateway',
  label: 'gateway',
  target: 'gateway',
  protocol: 'http1',
  peers: true,
} as const;

describe('summarizeScenario', () => {
  const pairs: Pair[] = [
    { round: 1, sdk: client('sdk', 1000, 100), undici: client('undici', 1000, 100), peers: {} },
    // A round the machine slowed down for both: the ratio of the pair still holds.
    { round: 2, sdk: client('sdk', 500, 210), undici: client('undici', 400, 200), peers: {} },
    {
      round: 3,
      sdk: client('sdk', 900, 90, { startupCpuMs: 240 }),
      undici: client('undici', 1000, 100),
      peers: { axios: client('axios', 300, 300) },
    },
  ];
  const run: ScenarioRun = { scenario, pairs };
  const { figures, ratios } = summarizeScenario(run);

  it('gives each contract ratio as the median of the per-pair ratios, with its spread', () => {
    expect(ratios.sdkVsUndici.perPair).toEqual([1, 1.25, 0.9]);
    expect(figures.sdkVsUndici).toBe(1);
    expect(figures.sdkVsUndiciSpread).toEqual([0.9, 1.25]);
    expect(figures.cpuPerRequestVsUndici).toBe(1);
    expect(figures.cpuPerRequestVsUndiciSpread).toEqual([0.9, 1.05]);
    expect(figures.sdkStartupVsUndici).toBe(1);
    expect(figures.sdkStartupVsUndiciSpread).toEqual([1, 1.6]);
  });

  it('compares a peer with the SDK run of its own round only', () => {
    expect(figures.sdkVsAxios).toBe(3);
    expect(figures.sdkVsAxiosSpread).toEqual([3, 3]);
    expect(figures.cpuPerRequestVsAxios).toBe(0.3);
    expect(figures).not.toHaveProperty('sdkVsHttps');
  });

  it('reports absolute figures as medians over the rounds', () => {
    expect(figures.sdkReqPerSec).toBe(900);
    expect(figures.undiciReqPerSec).toBe(1000);
    expect(figures.fullHandshakes).toBe(32);
    expect(figures.pairs).toBe(3);
    expect(figures.failures).toBe(0);
  });
});

describe('judge', () => {
  const cpu = sdkTargets.find((t) => t.key === 'cpuPerRequestVsUndici');
  const throughput = sdkTargets.find((t) => t.key === 'sdkVsUndici');
  if (!cpu || !throughput) throw new Error('the targets lost CPU/request or throughput');

  it('decides on the median and says when the spread crosses the limit', () => {
    const verdict = judge('x', cpu, {
      cpuPerRequestVsUndici: 1.02,
      cpuPerRequestVsUndiciSpread: [0.99, 1.08],
    });
    expect(verdict).toMatchObject({ met: true, median: 1.02, spreadCrossesLimit: true, limit: '<= 1.03' });
    const clear = judge('x', cpu, { cpuPerRequestVsUndici: 1.1, cpuPerRequestVsUndiciSpread: [1.05, 1.2] });
    expect(clear).toMatchObject({ met: false, spreadCrossesLimit: false });
  });

  it('reads a lower bound as a floor', () => {
    expect(judge('x', throughput, { sdkVsUndici: 0.96, sdkVsUndiciSpread: [0.9, 0.99] }).met).toBe(false);
    expect(judge('x', throughput, { sdkVsUndici: 0.97, sdkVsUndiciSpread: [0.97, 0.99] }).met).toBe(true);
  });

  it('marks a target without figures as not measured, with the reason', () => {
    expect(judge('nginx h2', cpu, undefined, 'no h2 listener')).toMatchObject({
      met: null,
      note: 'no h2 listener',
    });
  });
});
