import { ConfigError } from '../../errors/index.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `'15m'`, `'30s'`, `'1h'`, `'500ms'`, `'1d'` or a number of milliseconds. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

export function toMilliseconds(value: Duration, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return value;
  } else if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
    const ms = match ? Number(match[1]) * (UNITS[match[2] as string] as number) : 0;
    if (ms > 0) return ms;
  }
  throw new ConfigError(
    'CONFIG_INVALID',
    `option ${option}: expected a positive duration like '15m', '30s' or milliseconds`,
    {
      details: { option },
    },
  );
}
