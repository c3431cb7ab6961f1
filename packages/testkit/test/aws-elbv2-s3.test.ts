import { Readable } from 'node:stream';
import {
  DescribeTrustStoreRevocationsCommand,
  DescribeTrustStoresCommand,
  ElasticLoadBalancingV2Client,
  GetTrustStoreCaCertificatesBundleCommand,
  GetTrustStoreRevocationContentCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  createTestPki,
  type LocalElbv2,
  type LocalS3,
  localAwsCredentials,
  startElbv2,
  startS3,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rejection } from './aws-fixtures.ts';

const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/partners/0123456789abcdef';
let pki: TestPki;
let s3: LocalS3;
let elbv2: LocalElbv2;
let elb: ElasticLoadBalancingV2Client;
let s3Client: S3Client;

beforeAll(async () => {
  pki = await createTestPki();
  s3 = await startS3({ objects: { 'crls/partners.crl': pki.crlPem } });
  elbv2 = await startElbv2({
    s3,
    trustStores: [
      { arn, name: 'partners', caBundlePem: pki.trustStorePem, revocations: [{ crlPem: pki.crlPem }] },
    ],
  });
  const common = { region: 'us-east-1', credentials: localAwsCredentials, maxAttempts: 1 };
  elb = new ElasticLoadBalancingV2Client({ ...common, endpoint: elbv2.endpoint });
  s3Client = new S3Client({ ...common, endpoint: s3.endpoint, forcePathStyle: true });
});

afterAll(async () => {
  elb.destroy();
  s3Client.destroy();
  await elbv2.close();
  await s3.close();
});

const certificatesIn = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;

describe('ELBv2 trust stores', () => {
  test('DescribeTrustStores counts CA certificates and revoked entries', async () => {
    const out = await elb.send(new DescribeTrustStoresCommand({ TrustStoreArns: [arn] }));
    expect(out.TrustStores).toEqual([
      {
        TrustStoreArn: arn,
        Name: 'partners',
        Status: 'ACTIVE',
        NumberOfCaCertificates: certificatesIn(pki.trustStorePem),
        TotalRevokedEntries: 1,
      },
    ]);
    expect(out.TrustStores?.[0]?.NumberOfCaCertificates).toBeGreaterThan(0);
    const byName = await elb.send(new DescribeTrustStoresCommand({ Names: ['partners'] }));
    expect(byName.TrustStores?.map((t) => t.TrustStoreArn)).toEqual([arn]);
  });

  test('an unknown trust store is TrustStoreNotFoundException (awsQuery error code TrustStoreNotFound)', async () => {
    const error = await rejection(
      elb.send(new DescribeTrustStoresCommand({ TrustStoreArns: [`${arn}-gone`] })),
    );
    expect(error.name).toBe('TrustStoreNotFoundException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect((error as { Error?: { Code?: string } }).Error?.Code).toBe('TrustStoreNotFound');
  });

  test('the CA bundle Location is a pre-signed S3 URL that serves the bundle', async () => {
    const out = await elb.send(new GetTrustStoreCaCertificatesBundleCommand({ TrustStoreArn: arn }));
    const location = new URL(out.Location ?? '');
    expect(location.origin).toBe(s3.endpoint);
    expect(location.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const response = await fetch(location);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(pki.trustStorePem);
  });

  test('revocations are listed with their entry counts and their content is served', async () => {
    const listed = await elb.send(new DescribeTrustStoreRevocationsCommand({ TrustStoreArn: arn }));
    expect(listed.TrustStoreRevocations).toEqual([
      { TrustStoreArn: arn, RevocationId: 1, RevocationType: 'CRL', NumberOfRevokedEntries: 1 },
    ]);
    const content = await elb.send(
      new GetTrustStoreRevocationContentCommand({ TrustStoreArn: arn, RevocationId: 1 }),
    );
    const response = await fetch(content.Location ?? '');
    expect(await response.text()).toBe(pki.crlPem);
  });

  test('an unknown revocation id is RevocationIdNotFoundException', async () => {
    const error = await rejection(
      elb.send(new GetTrustStoreRevocationContentCommand({ TrustStoreArn: arn, RevocationId: 7 })),
    );
    expect(error.name).toBe('RevocationIdNotFoundException');
  });

  test('a trust store changed while running is served as it is now', async () => {
    const store = elbv2.trustStores[0]!;
    const before = store.caBundlePem;
    store.caBundlePem = `${before}${pki.foreignRoot.certPem}`;
    try {
      const described = await elb.send(new DescribeTrustStoresCommand({ TrustStoreArns: [arn] }));
      expect(described.TrustStores?.[0]?.NumberOfCaCertificates).toBe(certificatesIn(before) + 1);
      const out = await elb.send(new GetTrustStoreCaCertificatesBundleCommand({ TrustStoreArn: arn }));
      expect(await (await fetch(out.Location ?? '')).text()).toContain(pki.foreignRoot.certPem.trim());
    } finally {
      store.caBundlePem = before;
    }
  });
});

describe('S3', () => {
  test('GetObject reads a seeded object path-style through the real client', async () => {
    const out = await s3Client.send(new GetObjectCommand({ Bucket: 'crls', Key: 'partners.crl' }));
    expect(await out.Body?.transformToString()).toBe(pki.crlPem);
    expect(out.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(out.ContentLength).toBe(Buffer.byteLength(pki.crlPem));
  });

  test('a missing key is NoSuchKey and a missing bucket NoSuchBucket, both 404', async () => {
    const key = await rejection(s3Client.send(new GetObjectCommand({ Bucket: 'crls', Key: 'nope.crl' })));
    expect(key.name).toBe('NoSuchKey');
    expect(key.$metadata?.httpStatusCode).toBe(404);
    const bucket = await rejection(s3Client.send(new GetObjectCommand({ Bucket: 'no-bucket', Key: 'x' })));
    expect(bucket.name).toBe('NoSuchBucket');
  });

  test('PutObject stores bytes (string and byte bodies) that GetObject and HeadObject then see', async () => {
    await s3Client.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'dir/a b.pem', Body: 'hello pem' }));
    const out = await s3Client.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'dir/a b.pem' }));
    expect(await out.Body?.transformToString()).toBe('hello pem');
    const bytes = new Uint8Array([0, 1, 2, 3, 254, 255]);
    await s3Client.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'bin', Body: bytes }));
    expect(s3.getObject('uploads', 'bin')).toEqual(bytes);
    const head = await s3Client.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'bin' }));
    expect(head.ContentLength).toBe(6);
  });

  test('a streamed PutObject (aws-chunked with a trailing checksum) is stored decoded', async () => {
    const seen: string[] = [];
    s3Client.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        seen.push(headers['content-encoding'] ?? '');
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordEncoding' },
    );
    try {
      await s3Client.send(
        new PutObjectCommand({
          Bucket: 'uploads',
          Key: 'streamed',
          Body: Readable.from([Buffer.from('first-'), Buffer.from('second')]),
          ContentLength: 12,
        }),
      );
    } finally {
      s3Client.middlewareStack.remove('recordEncoding');
    }
    expect(seen).toEqual(['aws-chunked']);
    expect(Buffer.from(s3.getObject('uploads', 'streamed') ?? []).toString()).toBe('first-second');
  });

  test('presign() URLs are served and requests are recorded', async () => {
    s3.putObject('bundles', 'ca.pem', pki.trustStorePem);
    const before = s3.requests.length;
    const response = await fetch(s3.presign('bundles', 'ca.pem', { expiresInSeconds: 60 }));
    expect(await response.text()).toBe(pki.trustStorePem);
    expect(s3.requests.slice(before)).toEqual([
      { method: 'GET', bucket: 'bundles', key: 'ca.pem', status: 200 },
    ]);
  });
});

test('startElbv2 without an S3 starts and stops its own', async () => {
  const own = await startElbv2({ trustStores: [{ arn, name: 'partners', caBundlePem: pki.trustStorePem }] });
  const client = new ElasticLoadBalancingV2Client({
    region: 'us-east-1',
    credentials: localAwsCredentials,
    maxAttempts: 1,
    endpoint: own.endpoint,
  });
  try {
    const out = await client.send(new GetTrustStoreCaCertificatesBundleCommand({ TrustStoreArn: arn }));
    expect(new URL(out.Location ?? '').origin).toBe(own.s3.endpoint);
    expect(await (await fetch(out.Location ?? '')).text()).toBe(pki.trustStorePem);
  } finally {
    client.destroy();
    await own.close();
  }
  await expect(fetch(own.s3.endpoint)).rejects.toThrow();
});
