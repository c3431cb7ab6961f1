import type { ProbeResult } from '../result.ts';

/** The `--format json` document (schemaVersion 1; docs/probe-result.schema.json describes it). */
export function renderJson(result: ProbeResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
