import { describe, expect, it } from 'vitest';
import { abbaOrder, pairSchedule, sliceSizes, soloSchedule } from '../src/schedule.ts';

describe('sliceSizes', () => {
  it('cuts a load into equal slices, or slices one request apart (the larger first)', () => {
    expect(sliceSizes(20_000, 10)).toEqual(Array(10).fill(2_000));
    expect(sliceSizes(10, 4)).toEqual([3, 3, 2, 2]);
    expect(sliceSizes(7, 1)).toEqual([7]);
  });

  it('never makes an empty slice, and refuses nonsense', () => {
    expect(sliceSizes(3, 10)).toEqual([1, 1, 1]);
    expect(() => sliceSizes(0, 2)).toThrow(RangeError);
    expect(() => sliceSizes(10, 0)).toThrow(RangeError);
  });
});

describe('abbaOrder', () => {
  it('alternates first, other, other, first', () => {
    expect(abbaOrder(4)).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
    expect(abbaOrder(2, 1)).toEqual([1, 0, 0, 1]);
  });

  it('gives both members the same mean position for an even count: linear drift cancels', () => {
    for (const slices of [2, 4, 10, 20]) {
      const order = abbaOrder(slices);
      const positions = (member: number) => order.flatMap((m, k) => (m === member ? [k] : []));
      expect(positions(0)).toHaveLength(slices);
      expect(positions(1)).toHaveLength(slices);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      expect(sum(positions(0))).toBe(sum(positions(1)));
    }
  });
});

describe('pairSchedule', () => {
  const schedule = pairSchedule({ getRequests: 10, getSlices: 4, postRequests: 4, postSlices: 2, first: 0 });

  it('runs every GET slice of both members before the POST slices, in ABBA order', () => {
    expect(schedule.map((s) => `${s.phase}${s.member}`)).toEqual([
      ...['get0', 'get1', 'get1', 'get0', 'get0', 'get1', 'get1', 'get0'],
      ...['post0', 'post1', 'post1', 'post0'],
    ]);
  });

  it('gives each member its whole load, slice k of one as large as slice k of the other', () => {
    for (const member of [0, 1]) {
      const mine = schedule.filter((s) => s.member === member);
      expect(mine.filter((s) => s.phase === 'get').map((s) => s.requests)).toEqual([3, 3, 2, 2]);
      expect(mine.filter((s) => s.phase === 'post').map((s) => s.requests)).toEqual([2, 2]);
    }
  });

  it('runs a lone client in one piece per phase', () => {
    expect(soloSchedule(100, 10)).toEqual([
      { member: 0, phase: 'get', requests: 100 },
      { member: 0, phase: 'post', requests: 10 },
    ]);
  });
});
