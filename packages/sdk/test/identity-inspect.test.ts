import { createTestPki, judgeClientChain, type TestPki } from '@mtls-link/testkit';
import { beforeAll, describe, expect, test } from 'vitest';
import { type IdentityFinding, inspectIdentity } from '../src/diagnostics.ts';
import { type ClientIdentity, readIdentity } from '../src/index.ts';

let pki: TestPki;
let crlPems: string[];

beforeAll(async () => {
  pki = await createTestPki();
  crlPems = [pki.crlPem, pki.rootCrlPem];
}, 60_000);

const lenient = (certPem: string, keyPem: string, chainPem: string): ClientIdentity =>
  readIdentity({ source: 'test:inspect', secretString: certPem + chainPem + keyPem }, { validate: false });
const codes = (findings: readonly IdentityFinding[]) => findings.map((f) => f.code);

const expected = {
  valid: 'Success',
  expired: 'Failed:ClientCertExpired',
  notYetValid: 'Failed:ClientCertNotYetValid',
  revoked: 'Failed:ClientCertCrlHit',
  foreignCa: 'Failed:ClientCertUntrusted',
  serverAuthOnly: 'Failed:ClientCertPurposeInvalid',
  rsa1024: 'Failed:ClientCertTypeUnsupported',
  chainTooDeep: 'Failed:ClientCertMaxChainDepthExceeded',
  rsa2048: 'Success',
  rsa4096: 'Success',
  ecP256: 'Success',
  ecP384: 'Success',
} as const;

describe('predictedAlbStatus for every client flavour of the test PKI', () => {
  test.each(Object.entries(expected))(
    '%s -> %s, the same verdict as the testkit gateway',
    (flavour, status) => {
      const issued = pki.clients[flavour as keyof typeof expected];
      const identity = lenient(issued.certPem, issued.keyPem, issued.chainPem);
      const inspection = inspectIdentity(identity, { trustStorePem: pki.trustStorePem, crlPems });
      expect(inspection.predictedAlbStatus).toBe(status);
      // The gateway judges the chain the client actually sends: leaf + identity.chainPem.
      const verdict = judgeClientChain([identity.certPem, identity.chainPem], {
        caPem: pki.trustStorePem,
        crlPems,
      });
      expect(verdict.status).toBe(status);
      const errors = inspection.findings.filter((f) => f.severity === 'error');
      expect(errors.length === 0).toBe(status === 'Success');
    },
  );

  test('the valid client: trusted, depth 3 (leaf, intermediate, root), no findings', () => {
    const { valid } = pki.clients;
    const inspection = inspectIdentity(lenient(valid.certPem, valid.keyPem, valid.chainPem), {
      trustStorePem: pki.trustStorePem,
      crlPems,
    });
    expect(inspection).toMatchObject({ trusted: true, chainDepth: 3, findings: [] });
    expect(inspection.daysLeft).toBeGreaterThan(14);
  });
});

describe('findings', () => {
  test('without a trust store, trust and CRLs are not judged: a foreign-CA client predicts Success', () => {
    const { foreignCa } = pki.clients;
    const inspection = inspectIdentity(lenient(foreignCa.certPem, foreignCa.keyPem, foreignCa.chainPem));
    expect(inspection.predictedAlbStatus).toBe('Success');
    expect(inspection.trusted).toBeUndefined();
  });

  test('every broken rule is reported, not only the first (expired + purpose)', async () => {
    const both = await pki.intermediate.issueClient({
      commonName: 'expired server-only',
      extendedKeyUsages: ['serverAuth'],
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const inspection = inspectIdentity(lenient(both.certPem, both.keyPem, both.chainPem), {
      trustStorePem: pki.trustStorePem,
    });
    expect(codes(inspection.findings)).toEqual(['CLIENT_CERT_EXPIRED', 'CLIENT_CERT_PURPOSE_INVALID']);
    expect(inspection.predictedAlbStatus).toBe('Failed:ClientCertExpired');
  });

  test('key mismatch is a finding; the leaf is then the certificate that issued nothing', () => {
    const { valid, ecP256 } = pki.clients;
    const identity = lenient(valid.certPem, ecP256.keyPem, valid.chainPem);
    expect(identity.subject).toContain('client valid');
    expect(codes(inspectIdentity(identity).findings)).toEqual(['CLIENT_CERT_KEY_MISMATCH']);
  });

  test('expiry within warnDays is a warning, and the status stays Success', async () => {
    const soon = await pki.intermediate.issueClient({ notAfter: new Date(Date.now() + 5 * 86_400_000) });
    const identity = lenient(soon.certPem, soon.keyPem, soon.chainPem);
    const inspection = inspectIdentity(identity, { trustStorePem: pki.trustStorePem, warnDays: 14 });
    expect(inspection.findings).toEqual([
      expect.objectContaining({ code: 'CLIENT_CERT_EXPIRING', severity: 'warning' }),
    ]);
    expect(inspection.predictedAlbStatus).toBe('Success');
    expect(inspectIdentity(identity, { trustStorePem: pki.trustStorePem, warnDays: 3 }).findings).toEqual([]);
  });

  test('a stale CRL is reported separately and still revokes', () => {
    const { revoked, valid } = pki.clients;
    const opts = { trustStorePem: pki.trustStorePem, crlPems: [pki.staleCrlPem] };
    const hit = inspectIdentity(lenient(revoked.certPem, revoked.keyPem, revoked.chainPem), opts);
    expect(codes(hit.findings)).toEqual(['CRL_STALE', 'CLIENT_CERT_REVOKED']);
    expect(hit.predictedAlbStatus).toBe('Failed:ClientCertCrlHit');
    const clean = inspectIdentity(lenient(valid.certPem, valid.keyPem, valid.chainPem), opts);
    expect(codes(clean.findings)).toEqual(['CRL_STALE']);
    expect(clean.predictedAlbStatus).toBe('Success');
  });

  test('CRL signatures are verified against the trust-store CA that issued them', async () => {
    const { valid } = pki.clients;
    const identity = lenient(valid.certPem, valid.keyPem, valid.chainPem);
    // Tamper with the last signature byte of the intermediate's CRL.
    const body = pki.crlPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const der = Buffer.from(body, 'base64');
    der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0xff;
    const tampered = `-----BEGIN X509 CRL-----\n${der.toString('base64')}\n-----END X509 CRL-----\n`;
    const bad = inspectIdentity(identity, { trustStorePem: pki.trustStorePem, crlPems: [tampered] });
    expect(bad.findings).toEqual([
      expect.objectContaining({
        code: 'CRL_INVALID',
        details: expect.objectContaining({ badSignature: true }),
      }),
    ]);
    expect(bad.predictedAlbStatus).toBe('Failed:ClientCertCrlProcessingError');
    expect(
      judgeClientChain([identity.certPem, identity.chainPem], {
        caPem: pki.trustStorePem,
        crlPems: [tampered],
      }).status,
    ).toBe('Failed:ClientCertCrlProcessingError');
    // A CRL from a CA outside the trust store, and one that is not a CRL at all.
    const foreign = await pki.foreignRoot.crl();
    const other = inspectIdentity(identity, {
      trustStorePem: pki.trustStorePem,
      crlPems: [foreign, 'not a crl'],
    });
    expect(codes(other.findings)).toEqual(['CRL_INVALID', 'CRL_INVALID']);
    expect(other.predictedAlbStatus).toBe('Success');
  });
});
