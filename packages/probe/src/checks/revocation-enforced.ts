import { inspectIdentity } from '@mtls-link/sdk/diagnostics';
import type { ProbeContext } from '../context.ts';
import { REVOCATION_FINDINGS } from '../identity-judgement.ts';
import { type Check, fail, pass, warn } from './check.ts';
import { outcomeFacts, requestAll, where } from './exchange-all.ts';
import { firstRefusal } from './refusal.ts';

/**
 * Why the revoked certificate would be refused even if it were not revoked (expired, foreign CA,
 * no clientAuth...): then its refusal proves nothing about revocation. The trust store is used
 * when one is known; CRLs are left out on purpose.
 */
function otherReasons(context: ProbeContext): string[] {
  const revoked = context.inputs.revokedIdentity;
  if (revoked === undefined) return [];
  const trustStorePem = context.inputs.trustStore?.pem;
  const inspection = inspectIdentity(revoked, {
    now: context.now,
    ...(trustStorePem === undefined ? {} : { trustStorePem }),
  });
  return inspection.findings
    .filter((f) => f.severity === 'error' && !REVOCATION_FINDINGS.has(f.code))
    .map((f) => `${f.code}: ${f.message}`);
}

export const revocationEnforcedCheck: Check = {
  id: 'revocation.enforced',
  // Only a server that accepts the good certificate can show that it refuses the revoked one.
  needs: (context) =>
    context.inputs.identity === undefined || context.inputs.revokedIdentity === undefined
      ? ['tls.server']
      : ['tls.server', 'tls.client-cert'],
  notApplicable: (context) =>
    context.inputs.revokedIdentity === undefined ? 'no --revoked-cert/--revoked-key given' : undefined,
  async run(context) {
    const revoked = context.inputs.revokedIdentity;
    if (revoked === undefined) throw new Error('revocation.enforced ran without a revoked identity');
    const results = await requestAll(context, revoked);
    const others = otherReasons(context);
    const details = {
      revokedSerial: revoked.serialHex,
      addresses: results.map(outcomeFacts),
      ...(others.length === 0 ? {} : { otherReasons: others }),
    };
    const accepted = results.find((r) => r.verdict.kind === 'accepted');
    if (accepted !== undefined) {
      return fail(
        'REVOCATION_NOT_ENFORCED',
        `${where(accepted)} accepted the revoked certificate (serial ${revoked.serialHex})${accepted.response === undefined ? '' : ` and answered ${accepted.response.status}`}`,
        details,
      );
    }
    const unclear = results.find((r) => r.verdict.kind !== 'refused');
    if (unclear !== undefined) {
      return warn(
        'REVOCATION_UNCONFIRMED',
        `${where(unclear)} neither accepted nor refused the revoked certificate: ${unclear.error?.message ?? 'no answer'}`,
        details,
      );
    }
    const { refused, how } = firstRefusal(results, 'revocation.enforced');
    if (refused.alert === 'certificate_revoked') {
      return pass(`the revoked certificate (serial ${revoked.serialHex}) was refused ${how}`, details);
    }
    if (others.length > 0) {
      return warn(
        'REVOCATION_UNCONFIRMED',
        `the revoked certificate (serial ${revoked.serialHex}) was refused ${how}, but it would be refused anyway (${others[0]}): nothing was learnt about revocation; use a certificate that is valid apart from being revoked`,
        details,
      );
    }
    const basis =
      context.inputs.trustStore === undefined
        ? 'its dates are valid (give --trust-store to also check its chain)'
        : `it is otherwise acceptable to ${context.inputs.trustStore.source}`;
    return pass(
      `the revoked certificate (serial ${revoked.serialHex}) was refused ${how}, and ${basis}`,
      details,
    );
  },
};
