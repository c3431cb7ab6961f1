import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { byOrigin, extraSelfTime, originOf, selfTimes } from '../src/cpu-profile.ts';

describe('originOf', () => {
  it('names the npm package, the workspace package or Node', () => {
    expect(originOf('file:///r/node_modules/.pnpm/undici@8.12.4/node_modules/undici/lib/core/util.js')).toBe(
      'undici',
    );
    expect(originOf('file:///r/node_modules/.pnpm/x/node_modules/@peculiar/x509/build/x.js')).toBe(
      '@peculiar/x509',
    );
    expect(originOf('file:///work/wt/bench/packages/sdk/dist/client/create-client.js')).toBe('sdk');
    expect(originOf('file:///work/wt/bench/bench/dist/load.js')).toBe('bench');
    expect(originOf('node:internal/streams/readable')).toBe('node');
    expect(originOf('')).toBe('native');
  });
});

describe('selfTimes', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sums the sampled time per function, idle and GC left out, and ranks by self time', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-profile-'));
    const frame = (functionName: string, url: string) => ({
      functionName,
      url,
      lineNumber: 9,
      columnNumber: 0,
    });
    const file = join(dir, 'x.cpuprofile');
    await writeFile(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(root)', '') },
          { id: 2, callFrame: frame('send', 'file:///r/packages/sdk/dist/client/create-client.js') },
          { id: 3, callFrame: frame('(idle)', '') },
          { id: 4, callFrame: frame('write', 'node:internal/stream_base_commons') },
          { id: 5, callFrame: frame('send', 'file:///r/packages/sdk/dist/client/create-client.js') },
        ],
        samples: [2, 3, 4, 5, 2],
        timeDeltas: [1000, 50000, 500, 1000, 1000],
      }),
    );
    const { totalMs, functions } = await selfTimes(file);
    expect(totalMs).toBe(3.5);
    expect(functions.map((f) => [f.where, f.selfMs])).toEqual([
      ['send (packages/sdk/dist/client/create-client.js:10)', 3],
      ['write (node:internal/stream_base_commons:10)', 0.5],
    ]);
    expect(byOrigin(functions).map((o) => o.origin)).toEqual(['sdk', 'node']);
  });
});

describe('extraSelfTime', () => {
  it('keeps what the first profile spends beyond the second, the largest first', () => {
    const f = (where: string, selfMs: number) => ({ where, origin: 'node', selfMs, share: 0 });
    const extra = extraSelfTime([f('a', 5), f('b', 2), f('c', 1)], [f('a', 4.5), f('b', 3)]);
    expect(extra.map((e) => [e.where, e.selfMs])).toEqual([
      ['c', 1],
      ['a', 0.5],
    ]);
  });
});
