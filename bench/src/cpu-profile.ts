// Reads the .cpuprofile files that `pnpm bench --cpu-prof` writes and ranks functions by self time.
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  /** `name (file:line)` with the file shortened to what follows node_modules or the repository. */
  readonly where: string;
  /** Where the code comes from: sdk, undici, node, or another package. */
  readonly origin: string;
  readonly selfMs: number;
  /** Share of all sampled time in the profile, idle excluded. */
  readonly share: number;
}

const skipped = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** The origin of a script URL: the workspace package or npm package it belongs to. */
export function originOf(url: string): string {
  if (url === '') return 'native';
  if (url.startsWith('node:')) return 'node';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? 'unknown');
  }
  const pkg = /\/packages\/([^/]+)\//.exec(url) ?? /\/(bench)\/(?:src|dist)\//.exec(url);
  return pkg?.[1] ?? 'other';
}

function shortFile(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const repo = /\/(packages\/.*)$/.exec(url) ?? /\/(bench\/(?:src|dist)\/.*)$/.exec(url);
  return repo?.[1] ?? url;
}

/** Self time per function (all nodes of the same function summed), the largest first. */
export async function selfTimes(file: string): Promise<{ totalMs: number; functions: SelfTime[] }> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  // Each node's `name (file:line)` is built once, not once per sample.
  const frames = new Map<number, { where: string; url: string }>();
  for (const { id, callFrame } of profile.nodes) {
    const { functionName, url, lineNumber } = callFrame;
    if (skipped.has(functionName)) continue;
    frames.set(id, {
      where: `${functionName || '(anonymous)'} (${shortFile(url) || 'native'}:${lineNumber + 1})`,
      url,
    });
  }
  const micros = new Map<string, { origin: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id);
    if (!frame) return;
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const entry = micros.get(frame.where) ?? { origin: originOf(frame.url), us: 0 };
    entry.us += delta;
    micros.set(frame.where, entry);
  });
  const functions = [...micros.entries()]
    .map(([where, { origin, us }]) => ({
      where,
      origin,
      selfMs: us / 1000,
      share: total > 0 ? us / total : 0,
    }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: total / 1000, functions };
}

/** Self time summed per origin (sdk, undici, node, ...), the largest first. */
export function byOrigin(
  functions: readonly SelfTime[],
): { origin: string; selfMs: number; share: number }[] {
  const sums = new Map<string, { selfMs: number; share: number }>();
  for (const f of functions) {
    const sum = sums.get(f.origin) ?? { selfMs: 0, share: 0 };
    sum.selfMs += f.selfMs;
    sum.share += f.share;
    sums.set(f.origin, sum);
  }
  return [...sums.entries()].map(([origin, s]) => ({ origin, ...s })).sort((a, b) => b.selfMs - a.selfMs);
}

/**
 * What one profile spends beyond another, function by function (self time of `a` minus that of
 * `b`, where both ran the same requests): the SDK's own functions, and the undici or Node functions
 * it calls more often than raw undici does.
 */
export function extraSelfTime(a: readonly SelfTime[], b: readonly SelfTime[]): SelfTime[] {
  const base = new Map(b.map((f) => [f.where, f.selfMs]));
  return a
    .map((f) => ({ ...f, selfMs: f.selfMs - (base.get(f.where) ?? 0) }))
    .filter((f) => f.selfMs > 0)
    .sort((x, y) => y.selfMs - x.selfMs);
}
