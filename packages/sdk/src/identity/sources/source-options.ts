import { ConfigError } from '../../errors/index.ts';

/** A positive number of milliseconds, or the default; anything else is CONFIG_INVALID naming it. */
export function positiveMs(
  factory: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `${factory}: option ${name} must be a positive number of milliseconds, got ${String(value)}`,
      { details: { option: name } },
    );
  }
  return value;
}
