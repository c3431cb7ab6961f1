import { parseArgs } from 'node:util';

export interface BenchArgs {
  /** Print one JSON object on the last line of stdout (everything else goes to stderr). */
  readonly json: boolean;
  /** GET requests per client run (POST: a tenth). */
  readonly requests: number;
  /** SDK/undici pairs per scenario. */
  readonly rounds: number;
  /** GET slices per member of a pair, run alternately (ABBA) with the other member's. */
  readonly slices: number;
  /** Rounds of the slower peers (node:https, axios, naive), each beside one pair. */
  readonly peerRounds: number;
  /** `mtls-probe check` / `node -e ''` pairs, and fresh-process imports of the canary bundle. */
  readonly startRuns: number;
  readonly concurrency: number;
  /** Runs of the testkit PKI generation (median reported). */
  readonly pkiRuns: number;
  /** Folder for .cpuprofile files of the SDK and undici client processes, when profiling. */
  readonly cpuProfDir: string | undefined;
  /** Only these scenarios (by id), for development; undefined: every one. */
  readonly scenarios: readonly string[] | undefined;
  /**
   * A/A calibration: both members of every pair are undici, so the ratios show the noise of the
   * method itself (they should sit at 1.00); the verdicts of such a run say nothing of the SDK.
   */
  readonly calibrate: boolean;
}

const usage =
  'usage: pnpm bench [--json] [--quick] [--requests N] [--rounds N] [--slices N] [--peer-rounds N] [--start-runs N] [--concurrency N] [--cpu-prof] [--cpu-prof-dir DIR] [--scenarios ID,ID] [--calibrate]';

function count(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(raw)}\n${usage}`);
  }
  return value;
}

export const scenarioIdList = ['gateway', 'h2', 'nginx', 'nginxH2'] as const;
export type ScenarioId = (typeof scenarioIdList)[number];

function scenarioIds(raw: string): string[] {
  const ids = raw.split(',').map((id) => id.trim());
  for (const id of ids) {
    if (!(scenarioIdList as readonly string[]).includes(id)) {
      throw new RangeError(
        `--scenarios: unknown scenario ${JSON.stringify(id)} (known: ${scenarioIdList.join(', ')})\n${usage}`,
      );
    }
  }
  return ids;
}

/**
 * `--quick` is for development: 2,000 requests in 4 slices, 3 rounds, one peer round, 3 start-up
 * runs, one PKI run. A full run: 20,000 requests in 10 slices of 2,000, 5 rounds (the issue's
 * floor), 3 peer rounds, 7 start-up runs, 3 PKI runs.
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      requests: { type: 'string' },
      rounds: { type: 'string' },
      slices: { type: 'string' },
      'peer-rounds': { type: 'string' },
      'start-runs': { type: 'string' },
      concurrency: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
      scenarios: { type: 'string' },
      calibrate: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const rounds = count('rounds', values.rounds, quick ? 3 : 5, 1);
  const profiling = values['cpu-prof'] === true || values['cpu-prof-dir'] !== undefined;
  return {
    json: values.json === true,
    requests: count('requests', values.requests, quick ? 2_000 : 20_000, 10),
    rounds,
    slices: count('slices', values.slices, quick ? 4 : 10, 1),
    peerRounds: Math.min(rounds, count('peer-rounds', values['peer-rounds'], quick ? 1 : 3, 0)),
    startRuns: count('start-runs', values['start-runs'], quick ? 3 : 7, 1),
    concurrency: count('concurrency', values.concurrency, 32, 1),
    pkiRuns: quick ? 1 : 3,
    cpuProfDir: profiling ? (values['cpu-prof-dir'] ?? 'bench/.profiles') : undefined,
    scenarios: values.scenarios === undefined ? undefined : scenarioIds(values.scenarios),
    calibrate: values.calibrate === true,
  };
}
