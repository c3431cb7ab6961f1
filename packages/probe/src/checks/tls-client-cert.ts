import { codeForAlbStatus, codeForRefusalAlert } from '../alb-verify-status.ts';
import { hintFor, isProbeCode } from '../codes.ts';
import type { ProbeContext } from '../context.ts';
import { formatHostPort } from '../net/address.ts';
import { classifyExchange } from '../net/exchange-failure.ts';
import type { CheckId } from '../result.ts';
import { type Check, fail, pass } from './check.ts';
import { exchangeAll, exchangeFacts } from './exchange-all.ts';
import { presentableIdentity } from './identity-inspection.ts';
import { refusalOf, rejectionSummary } from './refusal.ts';

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
    const identity = context.inputs.identity;
    if (identity === undefined) throw new Error('tls.client-cert ran without an identity');
    const results = await exchangeAll(context, { identity, withRequest: true, alpn: ['http/1.1'] });
    context.clientExchanges = results;
    const inspection = context.results.get('client-cert.inspect');
    const predictedAlbStatus = inspection?.details.predictedAlbStatus;
    const perAddress = results.map((r) => {
      const refusal = refusalOf(r);
      return { ...exchangeFacts(r), accepted: r.response !== undefined, ...(refusal ? { refusal } : {}) };
    });
    const details: Record<string, unknown> = {
      ...(predictedAlbStatus === undefined ? {} : { predictedAlbStatus }),
      addresses: perAddress,
    };
    const failed = results.find((r) => r.response === undefined);
    if (failed === undefined) {
      const first = results[0];
      return pass(
        `the server accepted the client certificate (${first?.handshake?.protocol ?? 'TLS'}) and answered ${first?.response?.status}`,
        { ...details, protocol: first?.handshake?.protocol ?? null },
      );
    }
    const error = classifyExchange(failed, {
      servername: context.sni,
      clientCertificate: true,
      timeoutMs: context.timeoutMs,
      method: context.request.method,
      url: context.target.url,
    });
    const refusal = refusalOf(failed);
    const facts = {
      ...details,
      protocol: failed.handshake?.protocol ?? null,
      ...(refusal === undefined
        ? {}
        : { signal: refusal.signal, ...(refusal.alert === undefined ? {} : { alert: refusal.alert }) }),
    };
    const code =
      error !== undefined && isProbeCode(error.code)
        ? error.code
        : refusal
          ? 'MTLS_REJECTED'
          : 'REQUEST_FAILED';
    const hint = code === 'MTLS_REJECTED' ? rejectionHint(context, refusal?.alert) : undefined;
    const where = formatHostPort(failed.address, failed.port);
    const summary =
      code === 'MTLS_REJECTED'
        ? rejectionSummary(refusal, where)
        : (error?.message ?? failed.failure?.message ?? `request to ${where} failed`);
    return fail(code, summary, facts, hint);
  },
};
