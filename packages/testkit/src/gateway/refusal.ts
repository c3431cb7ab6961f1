import { alertNumbers, type RefusalAlert } from './client-chain-verdict.ts';
import { type RefusalStyle, s2nBlinding } from './options.ts';
import { alertLevel, plaintextAlertRecord, supportsTls13Suite, tls13AlertRecord } from './tls-records.ts';

export interface RefusalContext {
  readonly style: Exclude<RefusalStyle, 'reset'>;
  readonly alert: RefusalAlert;
  /** `TLSv1.2` or `TLSv1.3`, as negotiated. */
  readonly protocol: string | null;
  /** Standard cipher suite name, e.g. `TLS_AES_256_GCM_SHA384`. */
  readonly suite: string;
  /** SERVER_TRAFFIC_SECRET_0 from the key log (TLS 1.3 only). */
  readonly serverTrafficSecret: Buffer | undefined;
}

/** How long a refused client waits in silence before the signal: `delayMs` plus the blinding draw. */
export function refusalSilenceMs(
  refusal: { delayMs?: number; blinding?: boolean | { minMs: number; maxMs: number } },
  random: () => number = Math.random,
): number {
  const fixed = refusal.delayMs ?? 0;
  const range = refusal.blinding === true ? s2nBlinding : refusal.blinding;
  if (range === undefined || range === false) return fixed;
  return fixed + range.minMs + Math.floor(random() * (range.maxMs - range.minMs + 1));
}

/**
 * The bytes that tell a client it was refused: a fatal alert (style `alert`) or a close_notify
 * (styles `close` and `close-notify`), as the record layer of the negotiated version wants it. Undefined when it
 * cannot be built (TLS 1.3 without the traffic secret): the caller then closes with a bare FIN.
 */
export function refusalRecord(context: RefusalContext): Buffer | undefined {
  const close = context.style !== 'alert';
  const level = close ? alertLevel.warning : alertLevel.fatal;
  // TLS 1.2 has no certificate_required alert; RFC 5246 section 7.4.6 suggests handshake_failure.
  const alert =
    context.protocol === 'TLSv1.2' && context.alert === 'certificate_required'
      ? 'handshake_failure'
      : context.alert;
  const description = close ? 0 : alertNumbers[alert];
  // In TLS 1.2 the refusal happens before the server's ChangeCipherSpec: the alert is plaintext.
  if (context.protocol === 'TLSv1.2') return plaintextAlertRecord(level, description);
  if (context.serverTrafficSecret !== undefined && supportsTls13Suite(context.suite)) {
    return tls13AlertRecord(context.suite, context.serverTrafficSecret, 0, level, description);
  }
  return undefined;
}
