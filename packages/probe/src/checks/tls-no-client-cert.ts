import type { ExchangeOutcome } from '@mtls-link/sdk/diagnostics';
import { isProbeCode } from '../codes.ts';
import type { ProbeContext } from '../context.ts';
import { type Check, type CheckOutcome, fail, pass, warn } from './check.ts';
import { outcomeFacts, where } from './exchange-all.ts';
import { presentableIdentity } from './identity-inspection.ts';
import { acceptanceText, firstRefusal, silenceSummary } from './refusal.ts';
import { anonymousExchanges, clientExchanges } from './shared-exchanges.ts';

const isAuthStatus = (status: number | undefined) => status === 401 || status === 403;

/**
 * A 401/403 without a certificate is enforcement only if the certificate makes the difference:
 * compare with the same request presenting it (the exchanges tls.client-cert then reuses).
 */
async function judgeAuthAnswer(
  context: ProbeContext,
  answered: ExchangeOutcome,
  details: Record<string, unknown>,
): Promise<CheckOutcome> {
  const status = answered.response?.status;
  const at = where(answered);
  if (presentableIdentity(context) === undefined) {
    return warn(
      'MTLS_UNCONFIRMED',
      `${at} finished the TLS handshake without a client certificate and answered ${status}: that may be the backend enforcing mTLS at HTTP level or an unrelated refusal; give credentials to compare`,
      details,
    );
  }
  const withCert = (await clientExchanges(context)).find(
    (o) => o.address === answered.address && o.port === answered.port,
  );
  const statusWithCert = withCert?.response?.status;
  if (withCert?.verdict.kind === 'accepted' && !isAuthStatus(statusWithCert)) {
    return warn(
      'MTLS_ENFORCED_BY_BACKEND',
      `enforced at HTTP level by the backend, not by the TLS listener: ${at} finished the handshake without a client certificate and answered ${status}, and ${statusWithCert === undefined ? 'accepted the request with one' : `answered ${statusWithCert} with one`}`,
      { ...details, statusWithCertificate: statusWithCert ?? null },
    );
  }
  if (isAuthStatus(statusWithCert)) {
    return fail(
      'MTLS_NOT_ENFORCED',
      `${at} accepted the TLS connection without a client certificate; its ${status} comes with a certificate too (${statusWithCert}), so it is not about the certificate`,
      { ...details, statusWithCertificate: statusWithCert ?? null },
    );
  }
  return warn(
    'MTLS_UNCONFIRMED',
    `${at} answered ${status} without a client certificate, and the request with one did not get through to compare`,
    details,
  );
}

export const tlsNoClientCertCheck: Check = {
  id: 'tls.no-client-cert',
  needs: () => ['tls.server'],
  async run(context) {
    const results = await anonymousExchanges(context);
    const details = { addresses: results.map(outcomeFacts) };
    const answered = results.find((r) => r.response !== undefined && r.verdict.kind !== 'refused');
    if (answered?.response !== undefined) {
      if (isAuthStatus(answered.response.status)) return judgeAuthAnswer(context, answered, details);
      return fail(
        'MTLS_NOT_ENFORCED',
        `${where(answered)} answered ${answered.response.status} to a request without a client certificate`,
        details,
      );
    }
    const failed = results.find((r) => r.verdict.kind === 'failed');
    if (failed !== undefined) {
      // Neither an answer nor a refusal: the connection itself broke; say how, as the SDK would.
      const code =
        failed.error !== undefined && isProbeCode(failed.error.code) ? failed.error.code : 'REQUEST_FAILED';
      return fail(
        code,
        `${where(failed)} neither answered nor refused a connection without a client certificate: ${failed.error?.message ?? 'unknown'}`,
        details,
      );
    }
    const acceptedSilently = results.find((r) => r.verdict.kind === 'accepted');
    if (acceptedSilently !== undefined) {
      // The TLS listener took the connection without a certificate, yet nothing answered: HTTP-level
      // enforcement is still possible, so this proves neither way.
      return warn(
        'MTLS_UNCONFIRMED',
        `${where(acceptedSilently)} accepted the TLS connection without a client certificate (${acceptanceText(acceptedSilently)}) but did not answer: ${acceptedSilently.error?.message ?? 'no response'}`,
        details,
      );
    }
    const silent = results.find((r) => r.verdict.kind === 'unconfirmed');
    if (silent !== undefined) {
      return warn(
        'MTLS_UNCONFIRMED',
        silenceSummary(silent, where(silent), context.responseTimeoutMs),
        details,
      );
    }
    const { refused, how } = firstRefusal(results, 'tls.no-client-cert');
    return pass(
      refused.signal === 'http'
        ? `refused without a client certificate ${how}: the TLS terminator enforces mTLS at HTTP level`
        : `refused without a client certificate ${how}`,
      details,
    );
  },
};
