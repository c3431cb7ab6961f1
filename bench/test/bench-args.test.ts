import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../src/bench-args.ts';

describe('parseBenchArgs', () => {
  it('defaults to a full run: 20,000 requests and 5 pairs (the floor of a paired verdict)', () => {
    expect(parseBenchArgs([])).toMatchObject({
      requests: 20_000,
      rounds: 5,
      slices: 10,
      peerRounds: 3,
      json: false,
    });
    expect(parseBenchArgs([]).cpuProfDir).toBeUndefined();
  });

  it('lets --requests and --rounds override --quick, and keeps peer rounds within the rounds', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({
      requests: 2_000,
      rounds: 3,
      slices: 4,
      peerRounds: 1,
    });
    expect(parseBenchArgs(['--quick', '--slices', '2']).slices).toBe(2);
    expect(
      parseBenchArgs(['--quick', '--requests', '500', '--rounds', '2', '--peer-rounds', '9']),
    ).toMatchObject({
      requests: 500,
      rounds: 2,
      peerRounds: 2,
    });
  });

  it('profiles into the git-ignored folder unless told another', () => {
    expect(parseBenchArgs(['--cpu-prof']).cpuProfDir).toBe('bench/.profiles');
    expect(parseBenchArgs(['--cpu-prof-dir', '/tmp/p']).cpuProfDir).toBe('/tmp/p');
  });

  it('refuses a count that is not a positive integer, naming the flag', () => {
    expect(() => parseBenchArgs(['--rounds', '0'])).toThrow(/--rounds: expected an integer >= 1, got "0"/);
    expect(() => parseBenchArgs(['--requests', 'many'])).toThrow(/--requests/);
    expect(() => parseBenchArgs(['--slices', '0'])).toThrow(/--slices/);
    expect(() => parseBenchArgs(['--best-of', '3'])).toThrow(/best-of/);
  });

  it('runs every scenario unless --scenarios names some, and refuses an unknown one', () => {
    expect(parseBenchArgs([]).scenarios).toBeUndefined();
    expect(parseBenchArgs(['--scenarios', 'nginx, h2']).scenarios).toEqual(['nginx', 'h2']);
    expect(() => parseBenchArgs(['--scenarios', 'nginx,apache'])).toThrow(
      /--scenarios: unknown scenario "apache"/,
    );
  });

  it('pairs undici with undici only when told to calibrate', () => {
    expect(parseBenchArgs([]).calibrate).toBe(false);
    expect(parseBenchArgs(['--calibrate']).calibrate).toBe(true);
  });
});
