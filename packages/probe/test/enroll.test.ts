import { readFileSync, writeFileSync } from 'node:fs';
import { ACMPCAClient, GetCertificateCommand, IssueCertificateCommand } from '@aws-sdk/client-acm-pca';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createClient, fromSecretsManager, readIdentity } from '@mtls-link/sdk';
import {
  createTestPki,
  type Gateway,
  type LocalAcmPca,
  type LocalSecretsManager,
  localAwsClientConfig,
  startAcmPca,
  startGateway,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ENROLL_OPTIONS } from '../src/cli/enroll-options.ts';
import { ensureBuilt, runCli } from './helpers/built-cli.ts';
import { assertNoKeyMaterial, type PkiFiles, writePki } from './helpers/pki-files.ts';

let pki: TestPki;
let files: PkiFiles;
let gateway: Gateway;
let secrets: LocalSecretsManager;
let pca: LocalAcmPca;
let sm: SecretsManagerClient;

beforeAll(async () => {
  [pki] = await Promise.all([createTestPki(), ensureBuilt()]);
  files = writePki(pki);
  [gateway, secrets, pca] = await Promise.all([
    startGateway({ mode: 'verify', server: pki.server, trustStore: { caPem: pki.trustStorePem } }),
    startSecretsManager({ secrets: [{ name: 'consumer/db-password', string: '{"password":"hunter2"}' }] }),
    startAcmPca({ ca: pki.intermediate, inProgressPolls: 2 }),
  ]);
  sm = new SecretsManagerClient(localAwsClientConfig(secrets));
}, 120_000);

afterAll(async () => {
  sm?.destroy();
  await Promise.all([gateway?.close(), secrets?.close(), pca?.close()]);
  files?.remove();
});

const endpoints = (ca = pca) => ['--pca-endpoint', ca.endpoint, '--secrets-endpoint', secrets.endpoint];
const enroll = (secretId: string, ...extra: string[]) =>
  runCli(['enroll', '--ca-arn', pca.arn, '--secret-id', secretId, ...endpoints(), ...extra]);

/** Every private key a secret's versions hold, for the leak check on the command's output. */
async function keysIn(secretId: string): Promise<string[]> {
  const keys: string[] = [];
  for (const versionId of Object.keys(secrets.stagesOf(secretId))) {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
    const key = (JSON.parse(out.SecretString ?? '{}') as { privateKey?: string }).privateKey;
    if (key !== undefined) keys.push(key);
  }
  return keys;
}

/** The writes a run made to Secrets Manager for `secretId`. */
const writesTo = (secretId: string, from: number) =>
  secrets.calls
    .slice(from)
    .filter(
      (c) =>
        c.secretId === secretId &&
        ['CreateSecret', 'PutSecretValue', 'UpdateSecretVersionStage'].includes(c.op),
    );

describe('mtls-probe enroll against a local AWS Private CA', () => {
  test('--help lists every option with its default', async () => {
    const run = await runCli(['enroll', '--help']);
    expect(run.status).toBe(0);
    for (const [name, option] of Object.entries(ENROLL_OPTIONS)) {
      expect(run.stdout).toContain(`--${name}`);
      if (!('demandOption' in option) && !('default' in option))
        expect(option.describe, name).toMatch(/default|required/);
    }
  });

  test('enrolls into a new secret; the SDK then reads it and the gateway (which trusts the CA) accepts it', async () => {
    const run = await enroll('consumer/new-client', '--format', 'json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    const issued = pca.issued.at(-1);
    expect(report).toMatchObject({
      secretId: 'consumer/new-client',
      stage: 'AWSCURRENT',
      stored: true,
      serial: issued?.serialHex,
      certificateArn: issued?.certificateArn,
      findings: [],
    });
    expect(issued?.templateArn).toBe('arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1');
    expect(issued?.signingAlgorithm).toBe('SHA256WITHECDSA');
    expect(issued?.idempotencyToken).toMatch(/^[0-9a-f]{36}$/);
    // The CA answered "in progress" twice before the certificate was there.
    const gets = pca.calls.filter((c) => c.op === 'GetCertificate');
    expect(gets.filter((c) => c.error === 'RequestInProgressException').length).toBeGreaterThanOrEqual(2);
    expect(secrets.stagesOf('consumer/new-client')).toEqual({ [String(report.versionId)]: ['AWSCURRENT'] });
    expect(new Date(String(report.notAfter)).getTime() - Date.now()).toBeGreaterThan(364 * 86_400_000);

    const identity = fromSecretsManager({ secretId: 'consumer/new-client', client: sm });
    const api = createClient({ baseUrl: gateway.url, identity, ca: pki.trustStorePem });
    try {
      const answer = await api.request({ method: 'GET', path: '/echo' });
      expect(answer.status).toBe(200);
      const mtls = (answer.data as { mtls: Record<string, string> }).mtls;
      expect(mtls['X-Amzn-Mtls-Clientcert-Serial-Number']).toBe(issued?.serialHex);
      expect(mtls['X-Amzn-Mtls-Clientcert-Subject']).toContain('CN=consumer/new-client');
    } finally {
      await api.close();
      await identity.close?.();
    }
    assertNoKeyMaterial(run.stdout + run.stderr, await keysIn('consumer/new-client'));
  });

  test('a second enrollment adds a version: AWSPENDING with --stage, a new AWSCURRENT without; text output names serial, notAfter and version', async () => {
    const first = await enroll(
      'consumer/renewed',
      '--common-name',
      'orders-service',
      '--key-type',
      'rsa-2048',
    );
    expect(first.status, first.stderr).toBe(0);
    const pending = await enroll('consumer/renewed', '--stage', 'AWSPENDING', '--validity-days', '30');
    expect(pending.status, pending.stderr).toBe(0);
    const pendingSerial = pca.issued.at(-1)?.serialHex ?? '';
    expect(pending.stdout).toContain(pendingSerial);
    expect(pending.stdout).toMatch(/notAfter\s+\d{4}-\d\d-\d\dT/);
    const stages = Object.values(secrets.stagesOf('consumer/renewed'));
    expect(stages).toEqual(expect.arrayContaining([['AWSCURRENT'], ['AWSPENDING']]));

    const current = await sm.send(new GetSecretValueCommand({ SecretId: 'consumer/renewed' }));
    const rsa = readIdentity({ secretString: current.SecretString ?? '', source: 'test' });
    expect(rsa.keyType).toBe('rsa');
    expect(rsa.keyBits).toBe(2048);
    expect(rsa.subject).toContain('CN=orders-service');
    expect(pca.issued.find((i) => i.serialHex === rsa.serialHex)?.signingAlgorithm).toBe('SHA256WITHECDSA');

    const again = await enroll('consumer/renewed', '--key-type', 'ec-p384');
    expect(again.status, again.stderr).toBe(0);
    const byStage = secrets.stagesOf('consumer/renewed');
    expect(Object.values(byStage).flat().sort()).toEqual(['AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS']);
    const versionLine = /version\s+([0-9a-f-]{36})/.exec(again.stdout)?.[1] ?? '';
    expect(byStage[versionLine]).toEqual(['AWSCURRENT']);
    assertNoKeyMaterial(
      first.stdout + pending.stdout + again.stdout + again.stderr,
      await keysIn('consumer/renewed'),
    );
  });

  test.each([
    [
      'an unknown key type',
      ['--key-type', 'ed25519'],
      /--key-type: unknown key type "ed25519"; use one of ec-p256, ec-p384, rsa-2048, rsa-4096/,
    ],
    [
      'a stage enroll does not write',
      ['--stage', 'AWSPREVIOUS'],
      /--stage: must be AWSCURRENT or AWSPENDING/,
    ],
    ['zero validity days', ['--validity-days', '0'], /--validity-days: must be a whole number of days/],
  ])('%s: exit 2, the option named, nothing issued or written', async (_what, extra, message) => {
    const calls = secrets.calls.length;
    const issuedBefore = pca.issued.length;
    const run = await enroll('consumer/db-password', ...extra);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/CONFIG_INVALID/);
    expect(run.stderr).toMatch(message);
    expect(pca.issued.length).toBe(issuedBefore);
    expect(writesTo('consumer/db-password', calls)).toEqual([]);
  });

  test('a CA ARN of another region: exit 2 naming both regions, before any AWS call', async () => {
    const calls = secrets.calls.length;
    const pcaCalls = pca.calls.length;
    const elsewhere = pca.arn.replace(':us-east-1:', ':eu-west-1:');
    const run = await runCli([
      'enroll',
      '--ca-arn',
      elsewhere,
      '--secret-id',
      'consumer/other-region',
      ...endpoints(),
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      '--ca-arn: the CA is in region eu-west-1, but the clients use region us-east-1',
    );
    expect(run.stderr).toContain('--region eu-west-1');
    expect(secrets.calls.length).toBe(calls);
    expect(pca.calls.length).toBe(pcaCalls);
  });

  test('a secret that holds something else: exit 2, nothing issued, the secret untouched', async () => {
    const before = secrets.stagesOf('consumer/db-password');
    const calls = secrets.calls.length;
    const issuedBefore = pca.issued.length;
    const run = await enroll('consumer/db-password');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      '--secret-id consumer/db-password: its AWSCURRENT value is not a client identity',
    );
    expect(run.stderr).not.toContain('hunter2');
    expect(pca.issued.length).toBe(issuedBefore);
    expect(writesTo('consumer/db-password', calls)).toEqual([]);
    expect(secrets.stagesOf('consumer/db-password')).toEqual(before);
    const value = await sm.send(new GetSecretValueCommand({ SecretId: 'consumer/db-password' }));
    expect(value.SecretString).toBe('{"password":"hunter2"}');
  });

  test('a certificate that breaks a rule (a template without clientAuth): exit 1 with the finding, nothing stored', async () => {
    const run = await enroll(
      'consumer/server-template',
      '--template-arn',
      'arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1',
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('CLIENT_CERT_PURPOSE_INVALID');
    expect(run.stdout).toContain('not stored');
    expect(secrets.calls.filter((c) => c.secretId === 'consumer/server-template').map((c) => c.op)).toEqual([
      'DescribeSecret',
    ]);
  });
});

describe('a Private CA that is slow or throttles', () => {
  test('throttled twice: the SDK retries within the deadline and the enrollment succeeds', async () => {
    pca.throttleNext(2);
    const run = await enroll('consumer/throttled');
    expect(run.status, run.stderr).toBe(0);
    expect(pca.calls.filter((c) => c.error === 'ThrottlingException').length).toBeGreaterThanOrEqual(2);
    expect(Object.values(secrets.stagesOf('consumer/throttled'))).toEqual([['AWSCURRENT']]);
  });

  test('slower than --timeout: PCA_TIMEOUT well before the CA would answer, the secret never created', async () => {
    const slow = await startAcmPca({ ca: pki.intermediate, delayMs: 20_000 });
    try {
      const run = await runCli([
        'enroll',
        '--ca-arn',
        slow.arn,
        '--secret-id',
        'consumer/slow',
        '--timeout',
        '500',
        ...endpoints(slow),
      ]);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('PCA_TIMEOUT');
      expect(run.stderr).toContain('500 ms deadline');
      expect(run.wallMs).toBeLessThan(15_000);
      expect(secrets.calls.filter((c) => c.secretId === 'consumer/slow').map((c) => c.op)).toEqual([
        'DescribeSecret',
      ]);
    } finally {
      await slow.close();
    }
  });

  test('a certificate still in progress at the deadline: PCA_TIMEOUT naming the certificate', async () => {
    const busy = await startAcmPca({ ca: pki.intermediate, inProgressPolls: 1000 });
    try {
      const run = await runCli([
        'enroll',
        '--ca-arn',
        busy.arn,
        '--secret-id',
        'consumer/busy',
        '--timeout',
        '800',
        ...endpoints(busy),
      ]);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(
        /PCA_TIMEOUT: GetCertificate arn:aws:acm-pca:.*\/certificate\/[0-9a-f]+: still in progress/,
      );
      expect(busy.calls.filter((c) => c.op === 'GetCertificate').length).toBeGreaterThan(1);
    } finally {
      await busy.close();
    }
  });
});

describe('a CA outside AWS: --csr-out, then --import-cert', () => {
  test('the key waits as AWSPENDING, the signed certificate completes it as AWSCURRENT, and the gateway accepts it', async () => {
    const csrFile = files.write('external.csr', '');
    const out = await runCli([
      'enroll',
      '--secret-id',
      'consumer/external',
      '--csr-out',
      csrFile,
      '--common-name',
      'external-client',
      '--secrets-endpoint',
      secrets.endpoint,
    ]);
    expect(out.status, out.stderr).toBe(0);
    const csrPem = readFileSync(csrFile, 'utf8');
    expect(csrPem).toContain('-----BEGIN CERTIFICATE REQUEST-----');
    expect(Object.values(secrets.stagesOf('consumer/external'))).toEqual([['AWSPENDING']]);

    // The producer signs the CSR with its own CA (here: through the local Private CA's API).
    const producer = new ACMPCAClient(localAwsClientConfig(pca));
    pca.update({ inProgressPolls: 0 });
    const { CertificateArn } = await producer.send(
      new IssueCertificateCommand({
        CertificateAuthorityArn: pca.arn,
        Csr: new TextEncoder().encode(csrPem),
        SigningAlgorithm: 'SHA256WITHECDSA',
        TemplateArn: 'arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1',
        Validity: { Type: 'DAYS', Value: 90 },
      }),
    );
    const signed = await producer.send(
      new GetCertificateCommand({ CertificateAuthorityArn: pca.arn, CertificateArn }),
    );
    pca.update({ inProgressPolls: 2 });
    producer.destroy();
    const signedFile = files.write(
      'external-signed.pem',
      `${signed.CertificateChain}\n${signed.Certificate}\n`,
    );

    const wrongFile = files.write('wrong.pem', pki.clients.valid.certPem);
    const wrong = await runCli([
      'enroll',
      '--secret-id',
      'consumer/external',
      '--import-cert',
      wrongFile,
      '--secrets-endpoint',
      secrets.endpoint,
    ]);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toContain('CLIENT_CERT_KEY_MISMATCH');
    expect(Object.values(secrets.stagesOf('consumer/external'))).toEqual([['AWSPENDING']]);

    const done = await runCli([
      'enroll',
      '--secret-id',
      'consumer/external',
      '--import-cert',
      signedFile,
      '--secrets-endpoint',
      secrets.endpoint,
      '--format',
      'json',
    ]);
    expect(done.status, done.stderr).toBe(0);
    const report = JSON.parse(done.stdout) as { versionId: string; serial: string };
    expect(secrets.stagesOf('consumer/external')).toEqual({ [report.versionId]: ['AWSCURRENT'] });

    const identity = fromSecretsManager({ secretId: 'consumer/external', client: sm });
    const api = createClient({ baseUrl: gateway.url, identity, ca: pki.trustStorePem });
    try {
      const answer = await api.request({ method: 'GET', path: '/echo' });
      expect(
        (answer.data as { mtls: Record<string, string> }).mtls['X-Amzn-Mtls-Clientcert-Serial-Number'],
      ).toBe(report.serial);
    } finally {
      await api.close();
      await identity.close?.();
    }
    const pendingKey = JSON.parse(
      (
        await sm.send(
          new GetSecretValueCommand({ SecretId: 'consumer/external', VersionStage: 'AWSCURRENT' }),
        )
      ).SecretString ?? '{}',
    ) as { privateKey: string };
    assertNoKeyMaterial(out.stdout + out.stderr + wrong.stdout + done.stdout + done.stderr, [
      pendingKey.privateKey,
    ]);
  });

  test('--import-cert without a pending key: exit 2, saying to run --csr-out first', async () => {
    writeFileSync(files.write('lonely.pem', ''), pki.clients.valid.certPem);
    const run = await runCli([
      'enroll',
      '--secret-id',
      'consumer/db-password',
      '--import-cert',
      files.write('lonely2.pem', pki.clients.valid.certPem),
      '--secrets-endpoint',
      secrets.endpoint,
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('holds no AWSPENDING key to complete');
    expect(run.stderr).toContain('--csr-out');
  });
});
