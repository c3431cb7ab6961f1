import { spawn, spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import {
  compileTrustStore,
  createRootCa,
  decodeMtlsHeader,
  encodePemForHeader,
  formatRfc2253,
  judgeClientChain,
  parseCertificate,
} from '@mtls-link/testkit';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { describe, expect, test } from 'vitest';
import { clientFlavours, testPki } from './gateway-fixtures.ts';

const day = 86_400_000;

describe('judgeClientChain: the ALB verify-mode verdict as a pure function', () => {
  test('each client flavour gets its tls_verify_status and alert', async () => {
    const pki = await testPki();
    const store = compileTrustStore({ caPem: pki.trustStorePem, crlPems: [pki.crlPem] });
    const expected: Record<(typeof clientFlavours)[number], [string, string | undefined]> = {
      valid: ['Success', undefined],
      expired: ['Failed:ClientCertExpired', 'certificate_expired'],
      notYetValid: ['Failed:ClientCertNotYetValid', 'certificate_expired'],
      revoked: ['Failed:ClientCertCrlHit', 'certificate_revoked'],
      foreignCa: ['Failed:ClientCertUntrusted', 'certificate_unknown'],
      serverAuthOnly: ['Failed:ClientCertPurposeInvalid', 'unsupported_certificate'],
      rsa1024: ['Failed:ClientCertTypeUnsupported', 'unsupported_certificate'],
      chainTooDeep: ['Failed:ClientCertMaxChainDepthExceeded', 'bad_certificate'],
      rsa2048: ['Success', undefined],
      rsa4096: ['Success', undefined],
      ecP256: ['Success', undefined],
      ecP384: ['Success', undefined],
    };
    for (const flavour of clientFlavours) {
      const client = pki.clients[flavour];
      const verdict = judgeClientChain([client.certPem, client.chainPem], store);
      expect({ flavour, status: verdict.status, alert: verdict.alert }).toEqual({
        flavour,
        status: expected[flavour][0],
        alert: expected[flavour][1],
      });
    }
  });

  test('no certificate: UnmappedConnectionError / certificate_required; garbage: ClientCertInvalid', async () => {
    const pki = await testPki();
    const store = { caPem: pki.trustStorePem };
    expect(judgeClientChain([], store)).toMatchObject({
      status: 'Failed:UnmappedConnectionError',
      alert: 'certificate_required',
    });
    expect(judgeClientChain([new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])], store).status).toBe(
      'Failed:ClientCertInvalid',
    );
  });

  test('time is an input: the same chain expires at notAfter, unless expiry is ignored', async () => {
    const pki = await testPki();
    const client = pki.clients.valid;
    const store = { caPem: pki.trustStorePem };
    const later = new Date(client.notAfter.getTime() + day);
    expect(judgeClientChain([client.certPem], store, {}, later).status).toBe('Failed:ClientCertExpired');
    expect(
      judgeClientChain([client.certPem], store, { ignoreClientCertificateExpiry: true }, later).status,
    ).toBe('Success');
    const earlier = new Date(client.notBefore.getTime() - day);
    expect(judgeClientChain([client.certPem], store, {}, earlier).status).toBe(
      'Failed:ClientCertNotYetValid',
    );
  });

  test('the path may be completed from the trust store, but not from nowhere', async () => {
    const pki = await testPki();
    const client = pki.clients.valid;
    // Trust store with root + intermediate: the leaf alone is enough.
    expect(judgeClientChain([client.certPem], { caPem: pki.trustStorePem }).status).toBe('Success');
    // Only the root: the client must send the intermediate.
    expect(judgeClientChain([client.certPem], { caPem: pki.root.certPem }).status).toBe(
      'Failed:ClientCertUntrusted',
    );
    expect(
      judgeClientChain([client.certPem, pki.intermediate.certPem], { caPem: pki.root.certPem }).status,
    ).toBe('Success');
    // Only the intermediate: an intermediate in the trust store is an anchor.
    expect(judgeClientChain([client.certPem], { caPem: pki.intermediate.certPem }).status).toBe('Success');
  });

  test('maxChainDepth counts the path leaf to anchor', async () => {
    const pki = await testPki();
    const client = pki.clients.valid;
    const store = { caPem: pki.trustStorePem };
    // leaf -> intermediate -> root = 3
    expect(judgeClientChain([client.certPem], store, { maxChainDepth: 3 }).status).toBe('Success');
    expect(judgeClientChain([client.certPem], store, { maxChainDepth: 2 }).status).toBe(
      'Failed:ClientCertMaxChainDepthExceeded',
    );
  });

  test('revocation: a stale CRL still counts, a revoked intermediate revokes its leaves, a forged CRL is an error', async () => {
    const pki = await testPki();
    const client = pki.clients.valid;
    expect(
      judgeClientChain([pki.clients.revoked.certPem], {
        caPem: pki.trustStorePem,
        crlPems: [pki.staleCrlPem],
      }).status,
    ).toBe('Failed:ClientCertCrlHit');
    const rootRevokesIntermediate = await pki.root.crl({ revoked: [pki.intermediate] });
    expect(
      judgeClientChain([client.certPem], { caPem: pki.trustStorePem, crlPems: [rootRevokesIntermediate] }),
    ).toMatchObject({ status: 'Failed:ClientCertCrlHit', alert: 'certificate_revoked' });
    // A CA with the intermediate's name but another key: its CRL names the right issuer, yet the
    // signature cannot verify with the intermediate's key.
    const impostor = await createRootCa({ commonName: 'mtls-link test intermediate CA' });
    expect(parseCertificate(Buffer.from(impostor.cert.rawData)).subject).toBe(
      pki.intermediate.cert.subject.split(', ').reverse().join(','),
    );
    const forged = await impostor.crl({ revoked: [] });
    expect(judgeClientChain([client.certPem], { caPem: pki.trustStorePem, crlPems: [forged] }).status).toBe(
      'Failed:ClientCertCrlProcessingError',
    );
  });
});

describe('RFC 2253 names', () => {
  const oids = {
    C: '2.5.4.6',
    O: '2.5.4.10',
    OU: '2.5.4.11',
    CN: '2.5.4.3',
    DC: '0.9.2342.19200300.100.1.25',
  };
  type Rdn = [keyof typeof oids, string][];
  /** DER of a Name built attribute by attribute, so values such as a leading '#' stay literal. */
  function nameDer(rdns: Rdn[]): ArrayBuffer {
    return new asn1js.Sequence({
      value: rdns.map(
        (rdn) =>
          new asn1js.Set({
            value: rdn.map(
              ([type, value]) =>
                new asn1js.Sequence({
                  value: [
                    new asn1js.ObjectIdentifier({ value: oids[type] }),
                    new asn1js.Utf8String({ value }),
                  ],
                }),
            ),
          }),
      ),
    }).toBER();
  }

  async function selfSigned(rdns: Rdn[]): Promise<string> {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: new x509.Name(nameDer(rdns)),
      keys,
      serialNumber: '01',
      notBefore: new Date(),
      notAfter: new Date(Date.now() + day),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    return cert.toString('pem');
  }

  const names: [Rdn[], string][] = [
    [[[['C', 'US']], [['O', 'Acme, Inc.']], [['CN', '#1 client']]], 'CN=\\#1 client,O=Acme\\, Inc.,C=US'],
    [[[['O', 'a+b=c']], [['CN', ' padded ']]], 'CN=\\ padded\\ ,O=a\\+b=c'],
    [[[['O', 'quote"semi;<>\\']]], 'O=quote\\"semi\\;\\<\\>\\\\'],
    [[[['CN', 'é']]], 'CN=\\C3\\A9'],
    [
      [
        [['DC', 'example']],
        [['DC', 'com']],
        [
          ['CN', 'multi'],
          ['OU', 'unit'],
        ],
      ],
      'CN=multi+OU=unit,DC=com,DC=example',
    ],
  ];

  for (const [json, rfc2253] of names) {
    test(`formats ${rfc2253}`, async () => {
      expect(formatRfc2253(new Uint8Array(nameDer(json)))).toBe(rfc2253);
      const pem = await selfSigned(json);
      const parsed = parseCertificate(Buffer.from(new x509.X509Certificate(pem).rawData));
      expect(formatRfc2253(parsed.subjectDer)).toBe(rfc2253);
      expect(parsed.subject).toBe(rfc2253);
    });
  }

  const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
  if (!hasOpenssl) console.warn('openssl CLI not found: the RFC 2253 cross-check against OpenSSL is skipped');
  test.skipIf(!hasOpenssl)('agrees with openssl -nameopt RFC2253 on the escaping cases', async () => {
    for (const [json] of names.slice(0, 3)) {
      const pem = await selfSigned(json);
      const out = await new Promise<string>((resolve) => {
        const child = spawn('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253']);
        let text = '';
        child.stdout.on('data', (c: Buffer) => {
          text += c.toString();
        });
        child.on('close', () => resolve(text.trim().replace(/^subject=/, '')));
        child.stdin.end(pem);
      });
      expect(parseCertificate(Buffer.from(new x509.X509Certificate(pem).rawData)).subject).toBe(out);
    }
  });
});

describe('header encoding', () => {
  test('URL-encodes a PEM keeping + = / and decodes back with decodeURIComponent only', async () => {
    const pki = await testPki();
    const pem = `${pki.clients.valid.certPem}`;
    const encoded = encodePemForHeader(pem);
    expect(encoded).not.toMatch(/[\n ]/);
    expect(encoded).not.toMatch(/%2B|%3D|%2F/);
    expect(decodeMtlsHeader(encoded)).toBe(pem);
    const withPlus = encodePemForHeader('a+b/c=');
    expect(withPlus).toBe('a+b/c=');
    // Form decoding would corrupt it: that is why decodeMtlsHeader exists.
    expect(new URLSearchParams(`v=${withPlus}`).get('v')).toBe('a b/c=');
    expect(decodeMtlsHeader(withPlus)).toBe('a+b/c=');
  });
});
