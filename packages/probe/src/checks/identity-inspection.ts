import { type IdentityFinding, type IdentityInspection, inspectIdentity } from '@mtls-link/sdk';
import type { ProbeContext } from '../context.ts';

/** Finding codes that belong to revocation.crl rather than client-cert.inspect. */
export const REVOCATION_FINDINGS: ReadonlySet<string> = new Set([
  'CRL_INVALID',
  'CRL_STALE',
  'CLIENT_CERT_REVOKED',
]);

const cache = new WeakMap<
  ProbeContext,
  { inspection: IdentityInspection; revocation: readonly IdentityFinding[] }
>();

/**
 * The SDK's offline judgement of the identity, computed once per run and shared by
 * client-cert.inspect, tls.client-cert (predicted ALB status) and revocation.crl.
 *
 * The ALB looks CRL issuers up in its trust store. Without one (`--crl` alone), the identity's own
 * chain stands in for it, so that membership and signatures can still be judged.
 */
export function identityInspection(context: ProbeContext) {
  const cached = cache.get(context);
  if (cached) return cached;
  const identity = context.inputs.identity;
  if (identity === undefined) return undefined;
  const trustStorePem = context.inputs.trustStore?.pem;
  const crlPems = context.inputs.crls.flatMap((c) => (c.pem === undefined ? [] : [c.pem]));
  const inspection = inspectIdentity(identity, {
    now: context.now,
    warnDays: context.warnDays,
    ...(trustStorePem === undefined ? {} : { trustStorePem }),
    ...(crlPems.length > 0 && trustStorePem !== undefined ? { crlPems } : {}),
  });
  let revocation = inspection.findings.filter((f) => REVOCATION_FINDINGS.has(f.code));
  let predictedAlbStatus = inspection.predictedAlbStatus;
  if (crlPems.length > 0 && trustStorePem === undefined) {
    const issuers = [identity.chainPem, ...(context.inputs.serverCa ?? [])].join('\n');
    const byChain = inspectIdentity(identity, { now: context.now, trustStorePem: issuers, crlPems });
    revocation = byChain.findings.filter((f) => REVOCATION_FINDINGS.has(f.code));
    if (predictedAlbStatus === 'Success' && revocation.some((f) => f.code === 'CLIENT_CERT_REVOKED')) {
      predictedAlbStatus = 'Failed:ClientCertCrlHit';
    }
  }
  const value = { inspection: { ...inspection, predictedAlbStatus }, revocation };
  cache.set(context, value);
  return value;
}

/**
 * The identity to present on a connection, or undefined when its key does not belong to its
 * certificate: TLS would refuse to load such a pair, and client-cert.inspect reports it.
 */
export function presentableIdentity(context: ProbeContext) {
  const identity = context.inputs.identity;
  // A cheap look (node:crypto) rather than the full inspection, which client-cert.inspect times.
  return identity?.leaf.checkPrivateKey(identity.privateKey) === true ? identity : undefined;
}
