import { parseCrls } from '@mtls-link/sdk/diagnostics';
import { isProbeCode } from '../codes.ts';
import type { CrlInput } from '../context.ts';
import { type Check, fail, pass } from './check.ts';
import { identityInspection } from './identity-inspection.ts';

function crlFacts(input: CrlInput, index: number, now: Date) {
  if (input.pem === undefined) return { source: input.source, error: input.error ?? 'not fetched' };
  try {
    return {
      source: input.source,
      lists: parseCrls(input.pem, index).map((crl) => ({
        issuer: crl.issuer,
        thisUpdate: crl.thisUpdate.toISOString(),
        nextUpdate: crl.nextUpdate?.toISOString() ?? null,
        fresh: crl.nextUpdate === undefined || crl.nextUpdate.getTime() > now.getTime(),
        revokedEntries: crl.revokedSerials.size,
      })),
    };
  } catch (error) {
    return { source: input.source, error: `does not parse: ${(error as Error).message}` };
  }
}

export const revocationCrlCheck: Check = {
  id: 'revocation.crl',
  needs: () => [],
  notApplicable: (context) =>
    context.inputs.crls.length === 0 ? 'no --crl given and no revocation list in the trust store' : undefined,
  async run(context) {
    const crls = context.inputs.crls.map((c, i) => crlFacts(c, i, context.now));
    const details: Record<string, unknown> = { crls };
    const unavailable = context.inputs.crls.find((c) => c.pem === undefined);
    if (unavailable !== undefined) {
      return fail('CRL_UNAVAILABLE', `${unavailable.source}: ${unavailable.error ?? 'not fetched'}`, details);
    }
    const broken = crls.find((c) => 'error' in c);
    if (broken !== undefined && 'error' in broken)
      return fail('CRL_INVALID', `${broken.source}: ${broken.error}`, details);
    const judged = identityInspection(context);
    const findings = judged?.revocation ?? [];
    details.findings = findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message }));
    // The contract wants a fresh CRL: a stale one is a failure here even where the SDK only warns.
    const order = ['CRL_INVALID', 'CLIENT_CERT_REVOKED', 'CRL_STALE'];
    for (const code of order) {
      const finding = findings.find((f) => f.code === code);
      if (finding !== undefined && isProbeCode(finding.code))
        return fail(finding.code, finding.message, details);
    }
    const lists = crls.flatMap((c) => ('lists' in c ? c.lists : []));
    const stale = lists.find((l) => !l.fresh);
    if (stale !== undefined) {
      return fail('CRL_STALE', `the CRL of ${stale.issuer} went stale at ${stale.nextUpdate}`, details);
    }
    const entries = lists.reduce((n, l) => n + l.revokedEntries, 0);
    // The earliest nextUpdate is when this check will start failing unless a fresh CRL is imported.
    const next = lists
      .flatMap((l) => (l.nextUpdate === null ? [] : [l.nextUpdate]))
      .sort()
      .at(0);
    return pass(
      `${lists.length} CRL${lists.length === 1 ? '' : 's'} valid and fresh (${entries} revoked ${entries === 1 ? 'entry' : 'entries'}${next === undefined ? '' : `, next update ${next}`})${judged === undefined ? '' : `; serial ${context.inputs.identity?.serialHex} not listed`}`,
      details,
    );
  },
};
