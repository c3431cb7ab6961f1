import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import {
  ACMPCAClient,
  GetCertificateAuthorityCertificateCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
  type IssueCertificateCommandInput,
} from '@aws-sdk/client-acm-pca';
import {
  createTestPki,
  type LocalAcmPca,
  localAwsCredentials,
  startAcmPca,
  type TestPki,
} from '@mtls-link/testkit';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rejection } from './aws-fixtures.ts';

let pki: TestPki;
let pca: LocalAcmPca;
let client: ACMPCAClient;
let csrPem: string;

beforeAll(async () => {
  pki = await createTestPki();
  pca = await startAcmPca({ ca: pki.intermediate, inProgressPolls: 2 });
  client = new ACMPCAClient({
    endpoint: pca.endpoint,
    region: 'us-east-1',
    credentials: localAwsCredentials,
    maxAttempts: 1,
  });
  x509.cryptoProvider.set(globalThis.crypto);
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: ['orders-service'] }],
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  csrPem = csr.toString('pem');
});

afterAll(async () => {
  client.destroy();
  await pca.close();
});

const issue = (overrides: Partial<IssueCertificateCommandInput> = {}) =>
  client.send(
    new IssueCertificateCommand({
      CertificateAuthorityArn: pca.arn,
      Csr: new TextEncoder().encode(csrPem),
      SigningAlgorithm: 'SHA256WITHECDSA',
      TemplateArn: 'arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1',
      Validity: { Type: 'DAYS', Value: 30 },
      ...overrides,
    }),
  );

describe('local ACM PCA', () => {
  test('IssueCertificate, then GetCertificate: in progress first, then the certificate signed by the CA with the template EKU', async () => {
    const { CertificateArn } = await issue();
    expect(CertificateArn).toMatch(new RegExp(`^${pca.arn}/certificate/[0-9a-f]{32}$`));
    const get = () =>
      client.send(new GetCertificateCommand({ CertificateAuthorityArn: pca.arn, CertificateArn }));
    for (let i = 0; i < 2; i++) expect((await rejection(get())).name).toBe('RequestInProgressException');
    const out = await get();
    const cert = new X509Certificate(out.Certificate ?? '');
    expect(cert.subject).toBe('CN=orders-service');
    expect(cert.checkIssued(new X509Certificate(pki.intermediate.certPem))).toBe(true);
    expect(cert.verify(new X509Certificate(pki.intermediate.certPem).publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    const days = (cert.validToDate.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    expect(out.CertificateChain).toContain(pki.intermediate.certPem.trim().split('\n')[1]);
    expect(pca.issued.at(-1)?.serialHex).toBe(cert.serialNumber.toUpperCase());
  });

  test('the same idempotency token with the same request answers the same certificate; a new CSR or token a new one', async () => {
    const a = await issue({ IdempotencyToken: 'token-1' });
    const b = await issue({ IdempotencyToken: 'token-1' });
    const c = await issue({ IdempotencyToken: 'token-2' });
    expect(b.CertificateArn).toBe(a.CertificateArn);
    expect(c.CertificateArn).not.toBe(a.CertificateArn);
  });

  test("the service's errors: a signing algorithm that does not match the CA key, an unknown CA, a bad CSR, a bad template", async () => {
    expect((await rejection(issue({ SigningAlgorithm: 'SHA256WITHRSA' }))).name).toBe('InvalidArgsException');
    const otherCa = pca.arn.replace(/[0-9a-f]{12}$/, '000000000000');
    expect((await rejection(issue({ CertificateAuthorityArn: otherCa }))).name).toBe(
      'ResourceNotFoundException',
    );
    expect((await rejection(issue({ Csr: new TextEncoder().encode('not a csr') }))).name).toBe(
      'MalformedCSRException',
    );
    expect((await rejection(issue({ TemplateArn: 'arn:aws:acm-pca:::template/Nope/V1' }))).name).toBe(
      'InvalidArnException',
    );
    expect((await rejection(issue({ Validity: { Type: 'DAYS', Value: 100_000 } }))).name).toBe(
      'ValidationException',
    );
  });

  test('GetCertificateAuthorityCertificate: the CA certificate and its chain', async () => {
    const out = await client.send(
      new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: pca.arn }),
    );
    expect(out.Certificate?.trim()).toBe(pki.intermediate.certPem.trim());
    expect(out.CertificateChain?.trim()).toBe(pki.root.certPem.trim());
  });

  test('throttleNext answers ThrottlingException; the calls are recorded with their errors', async () => {
    pca.throttleNext(1);
    const error = await rejection(issue());
    expect(error.name).toBe('ThrottlingException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(pca.calls.at(-1)).toEqual({ op: 'IssueCertificate', error: 'ThrottlingException' });
    await issue();
  });
});
