import { describe, expect, it } from 'vitest';
import { median, pairedRatio, quantile, spread } from '../src/stats.ts';

describe('median', () => {
  it('takes the middle of an odd count and the mean of the two middles of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses an empty or non-finite series', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => median([1, Number.NaN])).toThrow(/not a finite number/);
  });
});

describe('spread', () => {
  it('is [min, max]', () => {
    expect(spread([1.02, 0.97, 1.1, 1])).toEqual([0.97, 1.1]);
  });
});

describe('pairedRatio', () => {
  it('divides within each pair, then takes the median and spread of the ratios', () => {
    // A round that the machine slowed down for both clients (the second) keeps its ratio.
    const sdk = [100, 50, 110];
    const undici = [100, 40, 100];
    const result = pairedRatio(sdk, undici);
    expect(result.perPair).toEqual([1, 1.25, 1.1]);
    expect(result.median).toBe(1.1);
    expect(result.spread).toEqual([1, 1.25]);
  });

  it('differs from the ratio of the medians when rounds are uneven', () => {
    const sdk = [1, 10, 100];
    const undici = [2, 5, 200];
    expect(pairedRatio(sdk, undici).median).toBe(0.5);
    expect(median(sdk) / median(undici)).toBe(2);
  });

  it('refuses unpaired series and a zero base', () => {
    expect(() => pairedRatio([1, 2], [1])).toThrow(/2 values against 1/);
    expect(() => pairedRatio([1], [0])).toThrow(/pair 1 divides by 0/);
  });
});

describe('quantile', () => {
  it('picks the nearest rank below', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(51);
    expect(quantile(sorted, 0.99)).toBe(100);
    expect(quantile([], 0.99)).toBe(0);
  });
});
