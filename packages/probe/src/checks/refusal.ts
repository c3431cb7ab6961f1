import { type ExchangeOutcome, evidenceText } from '@mtls-link/sdk/diagnostics';

type Refused = Extract<ExchangeOutcome['verdict'], { kind: 'refused' }>;

function protocolOf(outcome: ExchangeOutcome): string {
  return outcome.connection?.tlsProtocol ?? 'TLS';
}

/** How the server said no: when (during or after the handshake) and how. */
export function describeRefusal(outcome: ExchangeOutcome, r: Refused): string {
  const protocol = protocolOf(outcome);
  if (r.signal === 'http') {
    const status = outcome.response?.status;
    return `at HTTP level after the ${protocol} handshake (${status}: ${r.reason === 'certificate-required' ? 'no required SSL certificate was sent' : 'the SSL certificate error'})`;
  }
  const how =
    r.signal === 'alert'
      ? `with the alert ${r.alert}`
      : r.signal === 'reset'
        ? 'by resetting the connection before any response byte'
        : 'by closing the connection before any response byte';
  const during = outcome.connection?.handshakeComplete === false;
  const when =
    !during && protocol === 'TLSv1.3'
      ? 'right after the TLS 1.3 handshake'
      : `${during ? 'during' : 'after'} the ${protocol} handshake`;
  return `${when}, ${how}`;
}

/**
 * The first address's refusal and its description, for checks that passed because every address
 * refused (the per-address details carry the rest).
 */
export function firstRefusal(
  results: readonly ExchangeOutcome[],
  check: string,
): { readonly refused: Refused; readonly how: string } {
  const first = results[0];
  if (first === undefined || first.verdict.kind !== 'refused') {
    throw new Error(`${check} judged a refusal without a refused dial target`);
  }
  return { refused: first.verdict, how: describeRefusal(first, first.verdict) };
}

/** The contract's wording for tls.client-cert: when the server said no, how, and where. */
export function rejectionSummary(outcome: ExchangeOutcome, r: Refused, at: string): string {
  return `the server refused the client certificate ${describeRefusal(outcome, r)} at ${at}`;
}

/** What an exchange that neither answered nor refused showed, for MTLS_UNCONFIRMED summaries. */
export function silenceSummary(outcome: ExchangeOutcome, at: string, responseTimeoutMs: number): string {
  return `${at} neither refused nor answered within the response deadline (${responseTimeoutMs} ms) after the ${protocolOf(outcome)} handshake, and showed no evidence of accepting the connection (no response byte, no HTTP/2 SETTINGS, no TLS 1.3 session ticket)`;
}

/** "accepted (it sent its HTTP/2 SETTINGS)", for summaries of slow answers. */
export function acceptanceText(outcome: ExchangeOutcome): string {
  return outcome.verdict.kind === 'accepted' ? evidenceText(outcome.verdict.evidence) : 'no evidence';
}
