import type { ProbeContext } from '../context.ts';
import { type IdentityJudgement, judgeIdentity } from '../identity-judgement.ts';

const cache = new WeakMap<ProbeContext, IdentityJudgement>();

/**
 * The SDK's offline judgement of the identity, computed once per run and shared by
 * client-cert.inspect, tls.client-cert (predicted ALB status) and revocation.crl. Without a trust
 * store, the server CAs join the identity's chain as candidate CRL issuers.
 */
export function identityInspection(context: ProbeContext): IdentityJudgement | undefined {
  const cached = cache.get(context);
  if (cached) return cached;
  const identity = context.inputs.identity;
  if (identity === undefined) return undefined;
  const value = judgeIdentity(identity, {
    now: context.now,
    warnDays: context.warnDays,
    trustStorePem: context.inputs.trustStore?.pem,
    crlPems: context.inputs.crls.flatMap((c) => (c.pem === undefined ? [] : [c.pem])),
    extraIssuersPem: context.inputs.serverCa ?? [],
  });
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
