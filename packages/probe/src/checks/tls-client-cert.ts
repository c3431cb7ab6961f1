import type { ExchangeOutcome } from '@mtls-link/sdk/diagnostics';
import { codeForAlbStatus, codeForRefusalAlert } from '../alb-verify-status.ts';
import { hintFor, isProbeCode } from '../codes.ts';
import type { ProbeContext } from '../context.ts';
import type { CheckId } from '../result.ts';
import { type Check, fail, pass, warn } from './check.ts';
import { outcomeFacts, where } from './exchange-all.ts';
import { presentableIdentity } from './identity-inspection.ts';
import { acceptanceText, rejectionSummary, silenceSummary } from './refusal.ts';
import { clientExchanges } from './shared-exchanges.ts';

/**
 * Why the server said no, as far as this run can tell: the inspection's predicted ALB verdict (or
 * its first error), else the refusal alert's meaning, else what to give the probe to find out.
 */
function rejectionHint(context: ProbeContext, alert: string | undefined): string {
  const inspection = context.results.get('client-cert.inspect');
  const inspectCode =
    codeForAlbStatus(inspection?.details.predictedAlbStatus) ??
    (inspection?.status === 'fail' ? inspection.code : undefined);
  if (inspectCode !== undefined) return hintFor(inspectCode);
  const alertCode = codeForRefusalAlert(alert);
  if (alertCode !== undefined) return `the alert ${alert} says: ${hintFor(alertCode)}`;
  const log = "the ALB connection log's tls_verify_status for this connection names the reason";
  return context.inputs.trustStore === undefined
    ? `the offline checks found nothing, but ran without the ALB's trust store: rerun with --trust-store FILE or --trust-store-arn ARN (and --crl); ${log}`
    : `the offline checks against ${context.inputs.trustStore.source} predict Success, so the ALB enforces another trust store or CRL (compare with --trust-store-arn); ${log}`;
}

export const tlsClientCertCheck: Check = {
  id: 'tls.client-cert',
  // A key that does not match its certificate cannot be presented: client-cert.inspect says so.
  needs: (context): CheckId[] =>
    context.inputs.identity !== undefined && presentableIdentity(context) === undefined
      ? ['tls.server', 'client-cert.inspect']
      : ['tls.server'],
  notApplicable: (context) =>
    context.inputs.identity === undefined
      ? 'no client credentials given (--cert/--key, --pfx or --secret-id)'
      : undefined,
  async run(context) {
    const results = await clientExchanges(context);
    const inspection = context.results.get('client-cert.inspect');
    const predictedAlbStatus = inspection?.details.predictedAlbStatus;
    const details: Record<string, unknown> = {
      ...(predictedAlbStatus === undefined ? {} : { predictedAlbStatus }),
      addresses: results.map(outcomeFacts),
    };
    const refused = results.find((r) => r.verdict.kind === 'refused');
    const failed = results.find((r) => r.verdict.kind === 'failed');
    const unconfirmed = results.find((r) => r.verdict.kind === 'unconfirmed');
    const bad = refused ?? failed;
    if (bad !== undefined) {
      const protocol = bad.connection?.tlsProtocol ?? null;
      if (bad.verdict.kind === 'refused') {
        const { signal, alert, reason } = bad.verdict;
        return fail(
          'MTLS_REJECTED',
          rejectionSummary(bad, bad.verdict, where(bad)),
          {
            ...details,
            protocol,
            signal,
            ...(alert === undefined ? {} : { alert }),
            ...(reason === undefined ? {} : { reason }),
          },
          rejectionHint(context, alert),
        );
      }
      const code = bad.error !== undefined && isProbeCode(bad.error.code) ? bad.error.code : 'REQUEST_FAILED';
      return fail(code, bad.error?.message ?? `the request to ${where(bad)} failed`, {
        ...details,
        protocol,
      });
    }
    if (unconfirmed !== undefined) {
      return warn(
        'MTLS_UNCONFIRMED',
        silenceSummary(unconfirmed, where(unconfirmed), context.responseTimeoutMs),
        { ...details, protocol: unconfirmed.connection?.tlsProtocol ?? null },
      );
    }
    const first = results[0];
    const protocol = first?.connection?.tlsProtocol ?? null;
    const answer =
      first?.response === undefined
        ? `(${acceptanceText(first ?? ({} as ExchangeOutcome))}), but no answer yet: see http.response`
        : `and answered ${first.response.status}`;
    return pass(
      `the server accepted the client certificate (${protocol ?? 'TLS'}${first?.connection?.alpnProtocol === undefined ? '' : `, ${first.connection.alpnProtocol}`}) ${answer}`,
      { ...details, protocol },
    );
  },
};
