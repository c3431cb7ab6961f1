// One server target and protocol: SDK and undici in pairs, round after round, each client in a
// fresh process against a fresh server process, the two of a pair alive together and loaded in
// alternate slices; the slower peers beside some pairs, each alone.
import type { TestPki } from '@mtls-link/testkit';
import type { ScenarioId } from './bench-args.ts';
import type { ClientConfig, ClientKind, Protocol } from './bench-config.ts';
import { type ClientRun, type MeasuredClient, runInterleaved } from './processes.ts';
import { pairSchedule, soloSchedule } from './schedule.ts';
import type { ServerTarget } from './server-process.ts';

export interface Scenario {
  /** Key of the scenario in the JSON line and the table, one of the ids --scenarios accepts. */
  readonly id: ScenarioId;
  readonly label: string;
  readonly target: ServerTarget;
  readonly protocol: Protocol;
  /** Whether node:https, axios and naive node:https run beside the pairs (HTTP/1.1 clients only). */
  readonly peers: boolean;
}

export type PeerKind = Exclude<ClientKind, 'sdk' | 'undici'>;

/** The slow clients run fewer requests: their throughput, not their total time, is compared. */
export const peerScale: Readonly<Record<PeerKind, number>> = {
  'https-keepalive': 1,
  axios: 0.5,
  'https-naive': 0.1,
};

export interface Pair {
  readonly round: number;
  readonly sdk: MeasuredClient;
  readonly undici: MeasuredClient;
  /** Peers measured right after this pair (rounds 1..peerRounds of a scenario with peers). */
  readonly peers: Partial<Record<PeerKind, MeasuredClient>>;
}

export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly pairs: readonly Pair[];
}

export interface ScenarioContext {
  readonly pki: TestPki;
  readonly rounds: number;
  readonly peerRounds: number;
  /** GET slices per member of a pair (--slices); POST runs in as many, at most 2. */
  readonly slices: number;
  readonly config: (kind: ClientKind, protocol: Protocol, scale: number) => Omit<ClientConfig, 'url'>;
  readonly cpuProfDir: string | undefined;
  /** --calibrate: the pair's first member is undici too (an A/A pair). */
  readonly calibrate: boolean;
  readonly log: (line: string) => void;
}

export async function runScenario(ctx: ScenarioContext, scenario: Scenario): Promise<ScenarioRun> {
  const first: ClientKind = ctx.calibrate ? 'undici' : 'sdk';
  ctx.log(
    `${scenario.label}: ${ctx.rounds} rounds of (${ctx.calibrate ? 'undici (A/A)' : 'SDK'}, undici), ${ctx.slices} GET slices each`,
  );
  const client = (kind: ClientKind, round: number, scale = 1, role: string = kind): ClientRun => ({
    config: ctx.config(kind, scenario.protocol, scale),
    ...(ctx.cpuProfDir && (kind === 'sdk' || kind === 'undici')
      ? { cpuProfile: { dir: ctx.cpuProfDir, name: `${scenario.id}-${role}-r${round}` } }
      : {}),
  });
  const pairs: Pair[] = [];
  for (let round = 1; round <= ctx.rounds; round++) {
    const members = [client(first, round, 1, 'sdk'), client('undici', round)] as const;
    // Odd rounds open with the SDK, even rounds with undici: start-up, warm-up and every phase.
    const opener = round % 2 === 1 ? 0 : 1;
    const order = opener === 0 ? members : ([members[1], members[0]] as const);
    ctx.log(`  round ${round}: ${order.map((m) => m.config.kind).join(', ')}, alternating`);
    const { getRequests, postRequests } = members[0].config;
    const measured = await runInterleaved({
      pki: ctx.pki,
      target: scenario.target,
      clients: order,
      schedule: pairSchedule({
        getRequests,
        getSlices: ctx.slices,
        postRequests,
        postSlices: Math.min(ctx.slices, 2),
        first: 0,
      }),
    });
    const [sdk, undici] = (opener === 0 ? measured : [measured[1], measured[0]]) as [
      MeasuredClient,
      MeasuredClient,
    ];
    const peers: Partial<Record<PeerKind, MeasuredClient>> = {};
    if (scenario.peers && round <= ctx.peerRounds) {
      for (const [kind, scale] of Object.entries(peerScale) as [PeerKind, number][]) {
        ctx.log(`  round ${round}: ${kind}${scale < 1 ? ` (${scale * 100}% of the requests)` : ''}`);
        const peer = client(kind, round, scale);
        const [measuredPeer] = await runInterleaved({
          pki: ctx.pki,
          target: scenario.target,
          clients: [peer],
          schedule: soloSchedule(peer.config.getRequests, peer.config.postRequests),
        });
        peers[kind] = measuredPeer as MeasuredClient;
      }
    }
    pairs.push({ round, sdk, undici, peers });
  }
  return { scenario, pairs };
}
