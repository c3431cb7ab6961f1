import type { TlsExchangeResult } from '../net/tls-exchange.ts';
import { exchangeFacts } from './exchange-all.ts';

/** How a server said no: the alert (with its name), a reset, a close, or silence until our deadline. */
export interface Refusal {
  readonly signal: 'alert' | 'reset' | 'close' | 'silence';
  readonly alert?: string;
  readonly duringHandshake: boolean;
  readonly protocol: string | null;
}

/**
 * Whether an exchange that presented a certificate (or none) was refused by the server. Refused means
 * the connection ended, or stayed silent until our deadline, after TCP was up and before any response
 * byte. Under TLS 1.3 the handshake completes first and the refusal is the first thing read.
 */
export function refusalOf(result: TlsExchangeResult): Refusal | undefined {
  const f = result.failure;
  if (f === undefined || f.stage === 'tcp' || f.responseStarted) return undefined;
  // A handshake that failed before the server's certificate arrived is a protocol problem, not a refusal.
  if (!f.afterHandshake && result.handshake === undefined) return undefined;
  const signal = f.signal === 'timeout' ? 'silence' : f.signal === 'error' ? 'close' : f.signal;
  return {
    signal,
    ...(f.alert === undefined ? {} : { alert: f.alert }),
    duringHandshake: !f.afterHandshake,
    protocol: result.handshake?.protocol ?? null,
  };
}

/** An exchange's facts and whether (and how) the server refused it, for checks that expect a refusal. */
export function refusalFacts(result: TlsExchangeResult): Record<string, unknown> {
  const refusal = refusalOf(result);
  return { ...exchangeFacts(result), refused: refusal !== undefined, ...(refusal ? { refusal } : {}) };
}

export function describeRefusal(r: Refusal): string {
  const how =
    r.signal === 'alert'
      ? `with the alert ${r.alert}`
      : r.signal === 'silence'
        ? 'by staying silent until the deadline'
        : r.signal === 'reset'
          ? 'by resetting the connection'
          : 'by closing the connection';
  const when = r.duringHandshake
    ? `during the ${r.protocol ?? 'TLS'} handshake`
    : `after the ${r.protocol ?? 'TLS'} handshake`;
  return `${when}, ${how}`;
}

/** The contract's wording for tls.client-cert: when the server said no, how, and where. */
export function rejectionSummary(r: Refusal | undefined, where: string): string {
  if (r === undefined) return `the server at ${where} refused the client certificate`;
  const when =
    !r.duringHandshake && r.protocol === 'TLSv1.3'
      ? 'right after the TLS 1.3 handshake'
      : `${r.duringHandshake ? 'during' : 'after'} the ${r.protocol ?? 'TLS'} handshake`;
  const how = r.signal === 'alert' ? `alert ${r.alert}` : r.signal;
  return `the server refused the client certificate ${when} (${how}) at ${where}`;
}
