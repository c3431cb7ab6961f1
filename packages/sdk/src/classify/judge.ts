import type { MtlsLinkError } from '../errors/index.ts';
import type { AcceptanceEvidence } from '../transport/connection-facts.ts';
import type { RefusalSignal } from './failure-context.ts';

/**
 * What one request on a fresh connection says about the client certificate, on the evidence seen:
 * - `accepted`: a response byte, the server's HTTP/2 SETTINGS or a TLS 1.3 session ticket arrived
 *   (the request may still have failed later, e.g. a slow API: `error` says how);
 * - `refused`: an alert, a reset or close before any response byte, or an HTTP-level refusal page;
 * - `unconfirmed`: the server neither refused nor showed acceptance before the response deadline;
 * - `failed`: the exchange broke before the certificate could be judged (DNS, TCP, server TLS...).
 */
export type CertificateVerdict =
  | { readonly kind: 'accepted'; readonly evidence: AcceptanceEvidence }
  | {
      readonly kind: 'refused';
      readonly signal: RefusalSignal;
      readonly alert?: string;
      /** For `http`: `certificate-required` or `certificate-error`. */
      readonly reason?: string;
    }
  | { readonly kind: 'unconfirmed' }
  | { readonly kind: 'failed' };

/**
 * The one place that turns a classified outcome into a verdict on the certificate. The SDK's
 * client acts on the same codes (it refreshes its identity on `MTLS_REJECTED`, and not on a
 * `TIMEOUT_HEADERS` whose `suspectedRefusal` is set); the probe reports the verdict.
 */
export function judgeCertificate(
  error: MtlsLinkError | undefined,
  acceptedBy: AcceptanceEvidence | undefined,
): CertificateVerdict {
  if (error?.code === 'MTLS_REJECTED') {
    const { signal, alert, reason } = error.details as {
      signal?: RefusalSignal;
      alert?: string;
      reason?: string;
    };
    return {
      kind: 'refused',
      signal: signal ?? 'close',
      ...(typeof alert === 'string' ? { alert } : {}),
      ...(typeof reason === 'string' ? { reason } : {}),
    };
  }
  if (error === undefined) return { kind: 'accepted', evidence: acceptedBy ?? 'response' };
  if (acceptedBy !== undefined) return { kind: 'accepted', evidence: acceptedBy };
  if (error.details.suspectedRefusal === true) return { kind: 'unconfirmed' };
  return { kind: 'failed' };
}
