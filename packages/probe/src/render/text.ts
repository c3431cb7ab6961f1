import type { CheckStatus, ProbeResult } from '../result.ts';

export interface TextOptions {
  /** ANSI colours; the CLI enables them on a TTY unless NO_COLOR is set. */
  readonly color: boolean;
}

const marks: Record<CheckStatus, string> = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };
const colours: Record<CheckStatus, string> = { pass: '32', warn: '33', fail: '31', skip: '2' };

/** Whether output to this stream should be coloured (https://no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** The report for people: one aligned line per check, the hint under each failure or warning. */
export function renderText(result: ProbeResult, options: TextOptions): string {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const idWidth = Math.max(...result.checks.map((c) => c.id.length));
  const timeWidth = Math.max(...result.checks.map((c) => `${Math.round(c.durationMs)} ms`.length));
  const indent = ' '.repeat(2 + 4 + 2 + idWidth + 2 + timeWidth + 2);
  const { target } = result;
  const lines = [
    `mtls-probe check ${target.url}${target.servername === target.host ? '' : ` (SNI ${target.servername})`}`,
  ];
  for (const check of result.checks) {
    const time = check.status === 'skip' ? '' : `${Math.round(check.durationMs)} ms`;
    const code = check.code === undefined ? '' : `${check.code}  `;
    lines.push(
      `  ${paint(colours[check.status], marks[check.status])}  ${check.id.padEnd(idWidth)}  ${time.padStart(timeWidth)}  ${paint(check.status === 'skip' ? '2' : '0', `${code}${check.summary}`)}`,
    );
    if ((check.status === 'fail' || check.status === 'warn') && check.hint !== undefined) {
      lines.push(`${indent}${paint('36', `hint: ${check.hint}`)}`);
    }
  }
  const count = (s: CheckStatus) => result.checks.filter((c) => c.status === s).length;
  const verdict = result.verdict.toUpperCase();
  lines.push(
    `${paint(colours[result.verdict], verdict)}: ${count('pass')} passed, ${count('warn')} warned, ${count('fail')} failed, ${count('skip')} skipped in ${result.durationMs} ms`,
  );
  return `${lines.join('\n')}\n`;
}
