// The statistics of a paired design: each round yields one SDK/undici ratio; the verdict is the
// median of those ratios and the spread their min and max. No best-of-N anywhere.

/** [min, max] of a non-empty series. */
export type Spread = readonly [number, number];

function nonEmpty(values: readonly number[], what: string): void {
  if (values.length === 0) throw new RangeError(`${what}: no values`);
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError(`${what}: ${value} is not a finite number`);
  }
}

/** The median; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  nonEmpty(values, 'median');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function spread(values: readonly number[]): Spread {
  nonEmpty(values, 'spread');
  return [Math.min(...values), Math.max(...values)];
}

export interface PairedRatio {
  /** One ratio per pair, in round order. */
  readonly perPair: readonly number[];
  readonly median: number;
  readonly spread: Spread;
}

/**
 * a[i] / b[i] for each pair i, then their median and spread. The ratio is taken within the pair
 * (not of two medians) so that a round slowed down by the machine slows both of its members.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): PairedRatio {
  if (a.length !== b.length) throw new RangeError(`pairedRatio: ${a.length} values against ${b.length}`);
  const perPair = a.map((value, i) => {
    const base = b[i] as number;
    if (!(base > 0)) throw new RangeError(`pairedRatio: pair ${i + 1} divides by ${base}`);
    return value / base;
  });
  return { perPair, median: median(perPair), spread: spread(perPair) };
}

/** The value at quantile q (0..1) of an ascending-sorted series, nearest rank below. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export const round2 = (value: number): number => Math.round(value * 100) / 100;
export const round1 = (value: number): number => Math.round(value * 10) / 10;
