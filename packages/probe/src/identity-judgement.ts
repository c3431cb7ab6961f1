import type { ClientIdentity } from '@mtls-link/sdk';
import { type IdentityFinding, type IdentityInspection, inspectIdentity } from '@mtls-link/sdk/diagnostics';

/** Finding codes that belong to revocation.crl rather than client-cert.inspect. */
export const REVOCATION_FINDINGS: ReadonlySet<string> = new Set([
  'CRL_INVALID',
  'CRL_STALE',
  'CRL_UNVERIFIED',
  'CRL_INCOMPLETE',
  'CLIENT_CERT_REVOKED',
]);

export interface IdentityJudgement {
  /** The SDK's inspection; its predicted ALB status counts a CRL hit found either way. */
  readonly inspection: IdentityInspection;
  /** The CRL findings (signature, freshness, membership). */
  readonly revocation: readonly IdentityFinding[];
}

/**
 * The SDK's offline judgement of an identity, as `check` and `cert` both report it.
 *
 * The ALB looks CRL issuers up in its trust store. Without one (`--crl` alone), the identity's own
 * chain (and `extraIssuersPem`) stands in for it, so that membership and signatures can still be
 * judged instead of every CRL being reported as from an unknown issuer.
 */
export function judgeIdentity(
  identity: ClientIdentity,
  options: {
    readonly now?: Date;
    readonly warnDays?: number;
    readonly trustStorePem?: string | undefined;
    readonly crlPems: readonly string[];
    readonly extraIssuersPem?: readonly string[];
  },
): IdentityJudgement {
  const { trustStorePem, crlPems } = options;
  const when = {
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.warnDays === undefined ? {} : { warnDays: options.warnDays }),
  };
  const inspection = inspectIdentity(identity, {
    ...when,
    ...(trustStorePem === undefined ? {} : { trustStorePem }),
    ...(crlPems.length > 0 && trustStorePem !== undefined ? { crlPems } : {}),
  });
  if (crlPems.length === 0 || trustStorePem !== undefined) {
    return { inspection, revocation: inspection.findings.filter((f) => REVOCATION_FINDINGS.has(f.code)) };
  }
  const issuers = [identity.chainPem, ...(options.extraIssuersPem ?? [])].join('\n');
  const byChain = inspectIdentity(identity, {
    ...when,
    trustStorePem: issuers,
    crlPems,
    trustStoreStandIn: true,
  });
  const revocation = byChain.findings.filter((f) => REVOCATION_FINDINGS.has(f.code));
  const crlHit = revocation.some((f) => f.code === 'CLIENT_CERT_REVOKED');
  const predictedAlbStatus =
    inspection.predictedAlbStatus === 'Success' && crlHit
      ? 'Failed:ClientCertCrlHit'
      : inspection.predictedAlbStatus;
  return { inspection: { ...inspection, predictedAlbStatus }, revocation };
}
