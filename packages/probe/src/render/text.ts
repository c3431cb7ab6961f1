import { formatHostPort } from '../net/address.ts';
import type { CheckResult, CheckStatus, ProbeResult } from '../result.ts';

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

type Entry = Readonly<Record<string, unknown>>;

const isEntry = (value: unknown): value is Entry => typeof value === 'object' && value !== null;

/** One address's outcome in a few words, from the per-address details every network check keeps. */
function addressOutcome(entry: Entry): string {
  const failure = isEntry(entry.failure) ? entry.failure : undefined;
  if (entry.ok === false) return String(entry.code ?? entry.error ?? 'failed');
  if (typeof entry.code === 'string') return entry.code;
  if (failure !== undefined) {
    const how = failure.alert ?? failure.errno ?? failure.signal ?? 'failed';
    return `${String(how)}${typeof failure.stage === 'string' ? ` (${failure.stage})` : ''}`;
  }
  if (typeof entry.status === 'number') return `answered ${entry.status}`;
  if (typeof entry.connectMs === 'number') return `ok ${entry.connectMs} ms`;
  return 'ok';
}

const where = (entry: Entry) =>
  typeof entry.address === 'string' && typeof entry.port === 'number'
    ? formatHostPort(entry.address, entry.port)
    : undefined;

/**
 * One line per address when the addresses (each an AZ's interface) fared differently, or some were
 * not tried because an earlier step failed on them; nothing when they all agree.
 */
function perAddressLines(check: CheckResult): string[] {
  const entries = (Array.isArray(check.details.addresses) ? check.details.addresses : []).filter(isEntry);
  const excluded = (
    Array.isArray(check.details.excludedAddresses) ? check.details.excludedAddresses : []
  ).filter(isEntry);
  const outcomes = entries.map(addressOutcome);
  // tcp.connect's successes carry their connect time: compare what happened, not how fast.
  const kinds = new Set(outcomes.map((o) => o.replace(/^ok .*/, 'ok')));
  if (excluded.length === 0 && (entries.length < 2 || kinds.size < 2)) return [];
  return [
    ...entries.flatMap((e, i) => {
      const at = where(e);
      return at === undefined ? [] : [`${at}  ${outcomes[i]}`];
    }),
    ...excluded.flatMap((e) => {
      const at = where(e);
      return at === undefined
        ? []
        : [
            `${at}  not tried: failed ${String(e.failedAt)}${e.code === undefined ? '' : ` (${String(e.code)})`}`,
          ];
    }),
  ];
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
    for (const line of perAddressLines(check)) lines.push(`${indent}${paint('2', line)}`);
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
