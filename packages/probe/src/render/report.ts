import type { ProbeReport } from '../report.ts';
import { renderReproduce } from '../reproduce.ts';
import type { EmfOptions } from './emf.ts';
import { type OutputFormat, renderResult } from './index.ts';
import { renderTimeline } from './timeline.ts';

export interface ReportRenderOptions {
  readonly color?: boolean;
  /** -v: the per-address timeline under the text report. */
  readonly verbose?: boolean;
  readonly emf?: EmfOptions;
}

/** Lines about the run itself that every reader must see: --insecure, --max-time, why it could not run. */
function circumstances(report: ProbeReport): string {
  const lines: string[] = [];
  if (report.insecure === true)
    lines.push('INSECURE: --insecure was given: the server certificate was not required to verify');
  if (report.deadline !== undefined) {
    lines.push(
      `DEADLINE: --max-time ${report.deadline.maxTimeMs} ms was reached during ${report.deadline.reachedIn}`,
    );
  }
  if (report.error !== undefined) {
    lines.push(`NOT RUN: ${report.error.code}: ${report.error.message}`, `  hint: ${report.error.hint}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * A CLI report in each output format: the engine's result as the existing renderers show it, and
 * what the run adds (insecure flag, deadline, not-run reason, -v timeline, reproduce commands) in a
 * section of its own, so the check renderers need not know about them.
 */
export function renderReport(
  report: ProbeReport,
  format: OutputFormat,
  options: ReportRenderOptions = {},
): string {
  switch (format) {
    case 'emf':
      return renderResult(report, 'emf', {
        emf: {
          ...options.emf,
          metadata: {
            ...options.emf?.metadata,
            ...(report.insecure === true ? { insecure: 'true' } : {}),
            ...(report.error === undefined ? {} : { error: report.error.code }),
          },
        },
      });
    case 'text':
      return [
        renderResult(report, 'text', { color: options.color ?? false }),
        circumstances(report),
        options.verbose === true ? renderTimeline(report) : '',
        renderReproduce(report.reproduce ?? []),
      ].join('');
    default:
      // JSON and JUnit carry the added fields as they are; Prometheus has no place for them.
      return renderResult(report, format);
  }
}
