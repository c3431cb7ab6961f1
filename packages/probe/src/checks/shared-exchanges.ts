import type { ExchangeOutcome } from '@mtls-link/sdk/diagnostics';
import type { ProbeContext } from '../context.ts';
import { requestAll } from './exchange-all.ts';
import { presentableIdentity } from './identity-inspection.ts';

/**
 * The run's request exchanges, one per dial target, made once and shared by the checks that judge
 * them: without a client certificate (tls.no-client-cert) and with it (tls.client-cert, whose
 * answer tls.no-client-cert compares with and http.response judges).
 *
 * tls.server starts both beside its own handshakes, so that the three connections of a check run
 * at once rather than one after another. Each is still judged by its own check, in order, and only
 * once tls.server has passed: a check skipped because tls.server failed never reads its exchange,
 * which is abandoned when the run ends (`context.abandon`).
 */
export function startRequestExchanges(context: ProbeContext): void {
  anonymous(context);
  if (presentableIdentity(context) !== undefined) withCertificate(context);
}

function anonymous(context: ProbeContext): Promise<readonly ExchangeOutcome[]> {
  context.anonymousExchanges ??= requestAll(context, undefined, context.abandon.signal);
  return context.anonymousExchanges;
}

function withCertificate(context: ProbeContext): Promise<readonly ExchangeOutcome[]> {
  if (context.clientExchanges === undefined) {
    const identity = presentableIdentity(context);
    if (identity === undefined) throw new Error('clientExchanges without a presentable identity');
    context.clientExchanges = requestAll(context, identity, context.abandon.signal);
  }
  return context.clientExchanges;
}

/**
 * Only the exchanges with the targets still dialled: tls.server takes out the addresses whose TLS
 * is unsound, after the exchanges to them had started.
 */
function onCurrentTargets(context: ProbeContext, outcomes: readonly ExchangeOutcome[]): ExchangeOutcome[] {
  const targets = context.dialTargets ?? [];
  return outcomes.filter((o) => targets.some((t) => t.address === o.address && t.port === o.port));
}

/** The request without a client certificate, one exchange per dial target. */
export async function anonymousExchanges(context: ProbeContext): Promise<ExchangeOutcome[]> {
  return onCurrentTargets(context, await anonymous(context));
}

/** The request presenting the client certificate, one exchange per dial target. */
export async function clientExchanges(context: ProbeContext): Promise<ExchangeOutcome[]> {
  return onCurrentTargets(context, await withCertificate(context));
}
