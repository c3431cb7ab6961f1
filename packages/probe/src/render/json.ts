import type { ProbeResult } from '../result.ts';

/** The `--format json` document (CONTRACTS.md section 1, schemaVersion 1). */
export function renderJson(result: ProbeResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
