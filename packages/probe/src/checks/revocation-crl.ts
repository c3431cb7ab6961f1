import { type JudgedCrl, judgeCrlPems, parseCrls } from '@mtls-link/sdk/diagnostics';
import { isProbeCode } from '../codes.ts';
import type { CrlInput, ProbeContext } from '../context.ts';
import { type Check, fail, pass, warn } from './check.ts';
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
        ...(crl.crlNumber === undefined ? {} : { crlNumber: String(crl.crlNumber) }),
        ...(crl.deltaBase === undefined ? {} : { deltaOf: String(crl.deltaBase) }),
        ...(crl.removedSerials.size === 0 ? {} : { removeFromCrlEntries: crl.removedSerials.size }),
      })),
    };
  } catch (error) {
    return { source: input.source, error: `does not parse: ${(error as Error).message}` };
  }
}

/**
 * The CAs a CRL may be signed by: the ALB's trust store when known (authoritative), else the
 * identity's chain and --ca standing in for it, as the identity judgement does.
 */
function issuerCandidates(context: ProbeContext): { pem: string; authoritative: boolean } {
  const store = context.inputs.trustStore;
  if (store !== undefined) return { pem: store.pem, authoritative: true };
  return {
    pem: [context.inputs.identity?.chainPem ?? '', ...(context.inputs.serverCa ?? [])].join('\n'),
    authoritative: false,
  };
}

function signatureFacts(j: JudgedCrl) {
  return {
    crl: j.list.index,
    issuer: j.list.issuer,
    signature: j.match.verdict,
    candidates: j.match.candidates,
    ...(j.match.issuer === undefined
      ? {}
      : { signedBy: { serial: j.match.issuer.serialNumber, fingerprint256: j.match.issuer.fingerprint256 } }),
    ...(j.base === undefined ? {} : { deltaAppliedTo: String(j.base.crlNumber) }),
  };
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
    // Signatures, deltas and freshness are judged with or without credentials; membership needs them.
    const candidates = issuerCandidates(context);
    const { judged, findings: listFindings } = judgeCrlPems(
      context.inputs.crls.map((c) => c.pem ?? ''),
      candidates.pem,
      { now: context.now.getTime(), authoritative: candidates.authoritative },
    );
    details.signatures = judged.map(signatureFacts);
    const membership = (identityInspection(context)?.revocation ?? []).filter(
      (f) => f.code === 'CLIENT_CERT_REVOKED',
    );
    const findings = [...listFindings, ...membership];
    details.findings = findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message }));
    // The contract wants a fresh CRL: a stale one is a failure here even where the SDK only warns.
    for (const code of ['CRL_INVALID', 'CLIENT_CERT_REVOKED', 'CRL_STALE'] as const) {
      const finding = findings.find((f) => f.code === code);
      if (finding !== undefined) return fail(code, finding.message, details);
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
    const serial = context.inputs.identity?.serialHex;
    const tail = `(${entries} revoked ${entries === 1 ? 'entry' : 'entries'}${next === undefined ? '' : `, next update ${next}`})${serial === undefined ? '' : `; serial ${serial} not listed`}`;
    // Not verified is not valid: say which, and that the lists were read all the same.
    for (const code of ['CRL_INCOMPLETE', 'CRL_UNVERIFIED'] as const) {
      const finding = findings.find((f) => f.code === code);
      if (finding !== undefined && isProbeCode(code)) {
        const more = findings.filter((f) => f.code === code).length - 1;
        return warn(
          code,
          `${finding.message}${more > 0 ? ` (and ${more} more)` : ''}; read all the same ${tail}`,
          details,
        );
      }
    }
    const deltas = judged.filter((j) => j.base !== undefined).length;
    return pass(
      `${lists.length} CRL${lists.length === 1 ? '' : 's'} valid and fresh, signatures verified${deltas === 0 ? '' : `, ${deltas} delta CRL${deltas === 1 ? '' : 's'} applied to ${deltas === 1 ? 'its' : 'their'} full CRL`} ${tail}`,
      details,
    );
  },
};
