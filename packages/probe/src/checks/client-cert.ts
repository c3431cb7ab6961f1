import { isProbeCode } from '../codes.ts';
import type { TrustStoreInput } from '../context.ts';
import { REVOCATION_FINDINGS } from '../identity-judgement.ts';
import { type Check, fail, pass, warn } from './check.ts';
import { identityInspection } from './identity-inspection.ts';

function trustStoreFacts(store: TrustStoreInput | undefined) {
  if (store === undefined) return null;
  return {
    source: store.source,
    caCount: store.caCount,
    ...(store.name === undefined ? {} : { name: store.name }),
    ...(store.revokedEntries === undefined ? {} : { revokedEntries: store.revokedEntries }),
    ...(store.revocationIds === undefined ? {} : { revocationLists: store.revocationIds.length }),
  };
}

export const clientCertCheck: Check = {
  id: 'client-cert.inspect',
  needs: () => [],
  notApplicable: (context) =>
    context.inputs.identity === undefined && context.inputs.identityProblem === undefined
      ? 'no client credentials given (--cert/--key, --pfx or --secret-id)'
      : undefined,
  async run(context) {
    const problem = context.inputs.identityProblem;
    if (problem !== undefined)
      return fail(problem.code, problem.message, { ...problem.details }, problem.hint);
    const identity = context.inputs.identity;
    const judged = identityInspection(context);
    if (identity === undefined || judged === undefined)
      throw new Error('client-cert.inspect ran without an identity');
    const { inspection } = judged;
    const findings = inspection.findings.filter((f) => !REVOCATION_FINDINGS.has(f.code));
    const details = {
      source: identity.source,
      subject: identity.subject,
      issuer: identity.issuer,
      serial: identity.serialHex,
      notBefore: identity.notBefore.toISOString(),
      notAfter: identity.notAfter.toISOString(),
      daysLeft: Math.round(inspection.daysLeft * 10) / 10,
      keyType: identity.keyType,
      ...(identity.keyBits === undefined ? {} : { keyBits: identity.keyBits }),
      ...(identity.curve === undefined ? {} : { curve: identity.curve }),
      chainDepth: inspection.chainDepth,
      ...(inspection.trusted === undefined ? {} : { trusted: inspection.trusted }),
      trustStore: trustStoreFacts(context.inputs.trustStore),
      predictedAlbStatus: inspection.predictedAlbStatus,
      findings: findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message })),
    };
    const error = findings.find((f) => f.severity === 'error');
    if (error !== undefined && isProbeCode(error.code)) return fail(error.code, error.message, details);
    const warning = findings.find((f) => f.severity === 'warning');
    if (warning !== undefined && isProbeCode(warning.code))
      return warn(warning.code, warning.message, details);
    const store = context.inputs.trustStore;
    // What the verdict was judged against: people check this first when the ALB disagrees.
    const against =
      store === undefined
        ? ''
        : `; trust store ${store.name ?? store.source}: ${store.caCount} CA${store.caCount === 1 ? '' : 's'}${store.revokedEntries === undefined ? '' : `, ${store.revokedEntries} revoked ${store.revokedEntries === 1 ? 'entry' : 'entries'}`}`;
    return pass(
      `${identity.subject}, ${identity.keyType.toUpperCase()}${identity.keyBits ? ` ${identity.keyBits}` : identity.curve ? ` ${identity.curve}` : ''}, ${Math.floor(inspection.daysLeft)} days left, ALB would log ${inspection.predictedAlbStatus}${inspection.predictedAlbStatus === 'Success' ? '' : ' (see revocation.crl)'}${against}`,
      details,
    );
  },
};
