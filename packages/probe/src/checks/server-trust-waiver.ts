import type { ProbeCode } from '../codes.ts';
import type { ProbeContext } from '../context.ts';
import { type CheckOutcome, warn } from './check.ts';

/** The findings about the server's certificate that --insecure lets the run continue past. */
export const SERVER_TRUST_CODES: ReadonlySet<ProbeCode> = new Set([
  'TLS_SERVER_UNTRUSTED',
  'TLS_HOSTNAME_MISMATCH',
  'TLS_SERVER_EXPIRED',
]);

/**
 * Under --insecure a server-trust failure becomes a warning (so the client-certificate and HTTP
 * checks still run, as curl -k goes on to send the request), keeping its code and saying why.
 */
export function waiveServerTrust(context: ProbeContext, outcome: CheckOutcome): CheckOutcome {
  if (!context.insecure || outcome.status !== 'fail' || outcome.code === undefined) return outcome;
  if (!SERVER_TRUST_CODES.has(outcome.code)) return outcome;
  return warn(outcome.code, `${outcome.summary} (--insecure: continuing without server trust)`, {
    ...outcome.details,
    insecure: true,
  });
}
