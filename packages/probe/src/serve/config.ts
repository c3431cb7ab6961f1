import { readFile } from 'node:fs/promises';
import { CHECK_OPTIONS, type CheckArgs } from '../cli/check-options.ts';
import { ProbeError } from '../errors.ts';

/** Options a module may set: every `check` option except those about output and repetition. */
const NOT_IN_MODULES = new Set(['format', 'output', 'strict', 'watch', 'count', 'verbose']);

export type ModuleArgs = Omit<CheckArgs, 'url'>;

/** `mtls-probe serve --config FILE`, validated. */
export interface ExporterConfig {
  /** Probes run at once; further requests wait for a slot within their deadline. */
  readonly maxConcurrent: number;
  /** Deadline of one probe unless the module's max-time or Prometheus' scrape timeout is shorter. */
  readonly maxTimeMs: number;
  readonly modules: ReadonlyMap<string, ModuleArgs>;
}

export const EXPORTER_DEFAULTS = { maxConcurrent: 4, maxTimeMs: 10_000 } as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function moduleOf(name: string, value: unknown, where: string): ModuleArgs {
  if (!isObject(value))
    throw new ProbeError('CONFIG_INVALID', `${where}: modules.${name} must be an object of check options`);
  const args: Record<string, unknown> = {};
  for (const [key, given] of Object.entries(value)) {
    const spec = (
      CHECK_OPTIONS as Record<string, { type?: string; array?: boolean; choices?: readonly string[] }>
    )[key];
    const field = `${where}: modules.${name}.${key}`;
    if (spec === undefined || NOT_IN_MODULES.has(key)) {
      throw new ProbeError(
        'CONFIG_INVALID',
        `${field}: not a module option (modules take check options such as "cert", "secret-id", "ca", "max-time")`,
      );
    }
    if (spec.array === true) {
      const list = typeof given === 'string' ? [given] : given;
      if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) {
        throw new ProbeError('CONFIG_INVALID', `${field}: must be a string or a list of strings`);
      }
      args[key] = list;
    } else if (typeof given !== (spec.type ?? 'string')) {
      throw new ProbeError('CONFIG_INVALID', `${field}: must be a ${spec.type ?? 'string'}`);
    } else args[key] = given;
  }
  return args as ModuleArgs;
}

function positive(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ProbeError('CONFIG_INVALID', `${where}: ${name} must be a positive number`);
  }
  return value;
}

/** Reads and validates the exporter's JSON config; errors name the file and the field. */
export async function loadExporterConfig(file: string): Promise<ExporterConfig> {
  const where = `--config ${file}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    const reason =
      cause instanceof SyntaxError
        ? `not JSON: ${cause.message}`
        : `cannot read it (${(cause as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new ProbeError('CONFIG_INVALID', `${where}: ${reason}`, { cause });
  }
  if (!isObject(parsed) || !isObject(parsed.modules) || Object.keys(parsed.modules).length === 0) {
    throw new ProbeError('CONFIG_INVALID', `${where}: expected {"modules": {"NAME": {check options}}}`);
  }
  for (const key of Object.keys(parsed)) {
    if (!['modules', 'maxConcurrent', 'maxTimeMs'].includes(key)) {
      throw new ProbeError(
        'CONFIG_INVALID',
        `${where}: unknown field ${key} (fields: modules, maxConcurrent, maxTimeMs)`,
      );
    }
  }
  return {
    maxConcurrent: Math.floor(
      positive(where, 'maxConcurrent', parsed.maxConcurrent, EXPORTER_DEFAULTS.maxConcurrent),
    ),
    maxTimeMs: positive(where, 'maxTimeMs', parsed.maxTimeMs, EXPORTER_DEFAULTS.maxTimeMs),
    modules: new Map(
      Object.entries(parsed.modules).map(([name, value]) => [name, moduleOf(name, value, where)]),
    ),
  };
}
