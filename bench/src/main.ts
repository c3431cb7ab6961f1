// pnpm bench [--json] [--quick] [--requests N] [--rounds N] [--cpu-prof]: the SDK against raw
// undici in interleaved pairs (and against its slower peers), each client in a process of its own,
// the server in another; verdicts are medians of per-pair ratios, with their spreads.
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestPki, findBinary } from '@mtls-link/testkit';
import { parseBenchArgs } from './bench-args.ts';
import type { ClientKind, Protocol } from './bench-config.ts';
import { measureCanary } from './canary.ts';
import { byOrigin, extraSelfTime, selfTimes } from './cpu-profile.ts';
import { measurePkiGeneration } from './pki-generation.ts';
import { measureProbeCheck } from './probe-check.ts';
import { startServer, stopServer } from './processes.ts';
import { formatScenario, formatVerdicts } from './report.ts';
import { runScenario, type Scenario, type ScenarioRun } from './scenario.ts';
import { round2, spread } from './stats.ts';
import {
  type Figures,
  judge,
  probeTarget,
  type ScenarioSummary,
  sdkTargets,
  summarizeScenario,
  type Verdict,
} from './summary.ts';

const args = parseBenchArgs(process.argv.slice(2));
const log = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);

const scenarios: readonly Scenario[] = [
  { id: 'gateway', label: 'gateway emulator, HTTP/1.1', target: 'gateway', protocol: 'http1', peers: true },
  { id: 'h2', label: 'gateway emulator, h2', target: 'gateway', protocol: 'h2', peers: false },
  { id: 'nginx', label: 'nginx, HTTP/1.1', target: 'nginx', protocol: 'http1', peers: true },
  { id: 'nginxH2', label: 'nginx, h2', target: 'nginx', protocol: 'h2', peers: false },
];

async function profileReport(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const lines = [
    `CPU profiles of the GET load in ${dir} (self time; the profiler itself inflates every figure):`,
  ];
  // The load-phase profiles: the request path without start-up.
  const latest = (scenario: Scenario, kind: string) =>
    files.filter((f) => f.startsWith(`${scenario.id}-${kind}-`) && f.endsWith('-load.cpuprofile')).at(-1);
  for (const scenario of scenarios) {
    const sdkFile = latest(scenario, 'sdk');
    const undiciFile = latest(scenario, 'undici');
    if (!sdkFile || !undiciFile) continue;
    const sdk = await selfTimes(join(dir, sdkFile));
    const undici = await selfTimes(join(dir, undiciFile));
    for (const [file, profile] of [
      [sdkFile, sdk],
      [undiciFile, undici],
    ] as const) {
      const origins = byOrigin(profile.functions).slice(0, 6);
      lines.push(
        `  ${file}: ${profile.totalMs.toFixed(0)} ms sampled; ${origins.map((o) => `${o.origin} ${(o.share * 100).toFixed(1)}%`).join(', ')}`,
      );
    }
    lines.push(`  ${scenario.id}: where the SDK process spends more than the undici process (self ms):`);
    for (const f of extraSelfTime(sdk.functions, undici.functions).slice(0, 20)) {
      lines.push(`    +${f.selfMs.toFixed(1).padStart(6)}  ${f.origin.padEnd(7)} ${f.where}`);
    }
  }
  return lines;
}

async function main(): Promise<void> {
  log(
    `mtls-link benchmark: ${args.requests} GET /widgets + ${Math.round(args.requests / 10)} POST (4 KB) per client run at concurrency ${args.concurrency}, ${args.rounds} pairs per scenario, GET in ${args.slices} alternating slices`,
  );
  const pki = await createTestPki();
  const identity = pki.clients.rsa2048;
  const config = (kind: ClientKind, protocol: Protocol, scale: number) => ({
    kind,
    protocol,
    caPem: pki.trustStorePem,
    certPem: `${identity.certPem}${identity.chainPem}`,
    keyPem: identity.keyPem,
    concurrency: args.concurrency,
    getRequests: Math.max(1, Math.round(args.requests * scale)),
    postRequests: Math.max(1, Math.round((args.requests / 10) * scale)),
    warmupRequests: Math.max(1, Math.round((args.requests / 20) * scale)),
  });
  const cpuProfDir = args.cpuProfDir
    ? resolve(fileURLToPath(new URL('../..', import.meta.url)), args.cpuProfDir)
    : undefined;
  if (cpuProfDir) {
    await mkdir(cpuProfDir, { recursive: true });
    log(`profiling the SDK and undici client processes into ${cpuProfDir}: figures are not for verdicts`);
  }
  if (args.calibrate)
    log('--calibrate: both members of every pair are undici (A/A): the ratios show the noise of the method');
  const ctx = {
    pki,
    rounds: args.rounds,
    peerRounds: args.peerRounds,
    slices: args.slices,
    config,
    cpuProfDir,
    calibrate: args.calibrate,
    log,
  };

  const nginxInstalled = findBinary('nginx') !== undefined;
  const runs: { run: ScenarioRun; summary: ScenarioSummary }[] = [];
  /** Why a scenario did not run, by id: the note of its verdicts. */
  const leftOut = new Map<string, string>();
  for (const scenario of scenarios) {
    if (args.scenarios !== undefined && !args.scenarios.includes(scenario.id)) {
      leftOut.set(scenario.id, 'left out by --scenarios');
      continue;
    }
    if (scenario.target === 'nginx' && !nginxInstalled) {
      log('nginx is not installed: the nginx scenario is left out');
      leftOut.set(scenario.id, 'nginx is not installed');
      continue;
    }
    const run = await runScenario(ctx, scenario);
    runs.push({ run, summary: summarizeScenario(run) });
  }

  log(`mtls-probe check against the gateway, paired with node -e '' (${args.startRuns} pairs)`);
  const probeServer = await startServer(pki, 'gateway');
  const probe = await measureProbeCheck({
    url: probeServer.url,
    pki,
    identity,
    runs: args.startRuns,
  }).finally(() => stopServer(probeServer));
  log(`canary bundle: size, and import of its handler in ${args.startRuns} fresh processes`);
  const canary = await measureCanary(args.startRuns);
  log('testkit PKI generation');
  const pkiTimes = await measurePkiGeneration(args.pkiRuns);

  log('');
  for (const { run, summary } of runs) {
    for (const line of formatScenario(run, summary)) log(line);
    log('');
  }
  log(
    `probe: mtls-probe check ${probe.probeCheckMs} ms, node -e '' ${probe.nodeStartMs} ms (medians of ${args.startRuns}); per pair ${probe.vsNodeStart.perPair.map((r) => r.toFixed(1)).join(' ')}`,
  );
  log(
    `canary: bundle ${canary.bundleBytes} bytes (${(canary.bundleBytes / 1024 / 1024).toFixed(2)} MiB), import of the handler ${canary.medianInitMs} ms wall / ${canary.medianInitCpuMs} ms CPU (median of ${args.startRuns} fresh processes)`,
  );
  log(
    `testkit PKI: EC set ${pkiTimes.ecSetMs} ms, createTestPki() with the RSA flavours ${pkiTimes.fullSetMs} ms, one RSA 4096 CA ${pkiTimes.rsa4096Ms} ms`,
  );

  const byId = new Map(runs.map(({ run, summary }) => [run.scenario.id, summary.figures]));
  const gateway: Figures = byId.get('gateway') ?? {};
  const summary = {
    ...gateway,
    failures: runs.reduce((n, { summary: s }) => n + (s.figures.failures as number), 0),
    rounds: args.rounds,
    probeCheckMs: probe.probeCheckMs,
    nodeStartMs: probe.nodeStartMs,
    probeCheckVsNodeStart: round2(probe.vsNodeStart.median),
    probeCheckVsNodeStartSpread: probe.vsNodeStart.spread.map(round2),
    canaryBundleBytes: canary.bundleBytes,
    canaryInitMs: canary.medianInitMs,
    canaryInitMsSpread: spread(canary.initMs).map(Math.round),
    canaryInitCpuMs: canary.medianInitCpuMs,
    pkiEcSetMs: pkiTimes.ecSetMs,
    pkiFullSetMs: pkiTimes.fullSetMs,
    ...(byId.has('h2') ? { h2: byId.get('h2') } : {}),
    ...(byId.has('nginx') ? { nginx: byId.get('nginx') } : {}),
    ...(byId.has('nginxH2') ? { nginxH2: byId.get('nginxH2') } : {}),
    ...(cpuProfDir ? { profiled: true } : {}),
    ...(args.calibrate ? { calibrate: true } : {}),
  };

  const verdicts: Verdict[] = [];
  for (const { id, label } of scenarios) {
    for (const target of sdkTargets) verdicts.push(judge(label, target, byId.get(id), leftOut.get(id)));
  }
  verdicts.push(
    judge('probe', probeTarget, {
      probeCheckVsNodeStart: summary.probeCheckVsNodeStart,
      probeCheckVsNodeStartSpread: summary.probeCheckVsNodeStartSpread,
    }),
  );
  log('targets of the issue (verdict on the median of the pairs):');
  for (const line of formatVerdicts(verdicts)) log(`  ${line}`);
  if (cpuProfDir) {
    log('');
    for (const line of await profileReport(cpuProfDir)) log(line);
  }

  const line = { ...summary, targets: verdicts };
  log('');
  for (const [key, value] of Object.entries(summary)) {
    log(`${key.padEnd(28)} ${typeof value === 'object' ? JSON.stringify(value) : value}`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify(line)}\n`);
}

await main();
