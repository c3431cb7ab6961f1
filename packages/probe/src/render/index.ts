import type { ProbeResult } from '../result.ts';
import { type EmfOptions, renderEmf } from './emf.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderPrometheus } from './prometheus.ts';
import { renderText } from './text.ts';

export const OUTPUT_FORMATS = ['text', 'json', 'junit', 'emf', 'prometheus'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function renderResult(
  result: ProbeResult,
  format: OutputFormat,
  options: { color?: boolean; emf?: EmfOptions } = {},
): string {
  switch (format) {
    case 'json':
      return renderJson(result);
    case 'junit':
      return renderJunit(result);
    case 'emf':
      return renderEmf(result, options.emf);
    case 'prometheus':
      return renderPrometheus(result);
    case 'text':
      return renderText(result, { color: options.color ?? false });
  }
}

export { type EmfOptions, emfDocuments, renderEmf } from './emf.ts';
export { renderJson } from './json.ts';
export { renderJunit } from './junit.ts';
export { renderPrometheus } from './prometheus.ts';
export { renderText, wantsColor } from './text.ts';
