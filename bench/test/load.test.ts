import { describe, expect, it } from 'vitest';
import { runLoad, SlicedLoad } from '../src/load.ts';

describe('SlicedLoad', () => {
  it('sends every index once across the slices and sums them into one result', async () => {
    const sent: number[] = [];
    const load = new SlicedLoad(10, 3, async (i) => {
      sent.push(i);
      if (i === 7) throw new Error('boom');
    });
    await load.slice(4);
    expect(load.done).toBe(4);
    await load.slice(6);
    const result = load.result();
    expect([...sent].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.requests).toBe(10);
    expect(result.slices.map((s) => s.requests)).toEqual([4, 6]);
    expect(result.failures).toBe(1);
    expect(result.firstError).toBe('Error: boom');
    expect(result.wallMs).toBeCloseTo(result.slices[0]!.wallMs + result.slices[1]!.wallMs, 9);
  });

  it('refuses a slice past the total, and a result before the last request', async () => {
    const load = new SlicedLoad(5, 2, async () => {});
    await load.slice(3);
    await expect(load.slice(3)).rejects.toThrow(RangeError);
    expect(() => load.result()).toThrow(/ran 3 of 5/);
  });

  it('runs a load in one piece through runLoad', async () => {
    const result = await runLoad(8, 4, async () => {});
    expect(result.slices).toHaveLength(1);
    expect(result.requests).toBe(8);
    expect(result.failures).toBe(0);
  });
});
