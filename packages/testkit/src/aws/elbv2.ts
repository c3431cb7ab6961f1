import 'reflect-metadata';
import { X509Crl } from '@peculiar/x509';
import { TestkitError } from '../errors.ts';
import { type LocalEndpoint, startHttpEndpoint } from './http-endpoint.ts';
import { awsQueryDialect, type QueryOperation, queryHandler } from './query-protocol.ts';
import { type LocalS3, startS3 } from './s3.ts';
import { ServiceFault } from './service-fault.ts';

export interface TrustStoreSeed {
  arn: string;
  name: string;
  /** The CA certificates the trust store holds, PEM concatenated. */
  caBundlePem: string;
  /** Revocation lists, numbered 1, 2, … as their RevocationId. */
  revocations?: { crlPem: string }[];
  /** @default 'ACTIVE' */
  status?: 'ACTIVE' | 'CREATING';
}

export interface LocalElbv2 extends LocalEndpoint {
  /** The S3 that serves the bundle and CRL `Location` URLs (the one passed in, or a private one). */
  readonly s3: LocalS3;
  /** The trust stores served; edit them while running to model an import or a rotation. */
  readonly trustStores: TrustStoreSeed[];
}

const bucket = 'elbv2-trust-stores';

const countCertificates = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;

function countRevokedEntries(store: TrustStoreSeed, crlPem: string): number {
  try {
    return new X509Crl(crlPem).entries.length;
  } catch (error) {
    throw new TestkitError(
      'AWS_TRUST_STORE_CRL_INVALID',
      `a revocation list of trust store '${store.name}' does not parse as a CRL`,
      {
        cause: error,
      },
    );
  }
}

function operations(trustStores: TrustStoreSeed[], s3: LocalS3): Record<string, QueryOperation> {
  const find = (arn: string | undefined) => {
    const store = trustStores.find((t) => t.arn === arn);
    if (!store)
      throw new ServiceFault(
        'TrustStoreNotFound',
        `One or more trust stores not found: ${arn ?? '(no TrustStoreArn)'}`,
      );
    return store;
  };
  const revocation = (store: TrustStoreSeed, id: string) => {
    const crl = store.revocations?.[Number(id) - 1];
    if (!crl || !/^\d+$/.test(id))
      throw new ServiceFault('RevocationIdNotFound', `One or more revocation IDs not found: ${id}`);
    return crl;
  };

  return {
    DescribeTrustStores: (params) => {
      const arns = params.list('TrustStoreArns.member');
      const names = params.list('Names.member');
      for (const arn of arns) find(arn);
      for (const name of names) {
        if (!trustStores.some((t) => t.name === name))
          throw new ServiceFault('TrustStoreNotFound', `One or more trust stores not found: ${name}`);
      }
      return {
        TrustStores: trustStores
          .filter(
            (t) =>
              (arns.length === 0 || arns.includes(t.arn)) && (names.length === 0 || names.includes(t.name)),
          )
          .map((t) => ({
            Name: t.name,
            TrustStoreArn: t.arn,
            Status: t.status ?? 'ACTIVE',
            NumberOfCaCertificates: countCertificates(t.caBundlePem),
            TotalRevokedEntries: (t.revocations ?? []).reduce(
              (sum, r) => sum + countRevokedEntries(t, r.crlPem),
              0,
            ),
          })),
      };
    },

    GetTrustStoreCaCertificatesBundle: (params) => {
      const store = find(params.get('TrustStoreArn'));
      const key = `${store.name}/ca-bundle.pem`;
      s3.putObject(bucket, key, store.caBundlePem);
      return { Location: s3.presign(bucket, key) };
    },

    DescribeTrustStoreRevocations: (params) => {
      const store = find(params.get('TrustStoreArn'));
      const ids = params.list('RevocationIds.member');
      for (const id of ids) revocation(store, id);
      return {
        TrustStoreRevocations: (store.revocations ?? [])
          .map((r, index) => ({ id: index + 1, crlPem: r.crlPem }))
          .filter((r) => ids.length === 0 || ids.includes(String(r.id)))
          .map((r) => ({
            TrustStoreArn: store.arn,
            RevocationId: r.id,
            RevocationType: 'CRL',
            NumberOfRevokedEntries: countRevokedEntries(store, r.crlPem),
          })),
      };
    },

    GetTrustStoreRevocationContent: (params) => {
      const store = find(params.get('TrustStoreArn'));
      const id = params.get('RevocationId') ?? '';
      const key = `${store.name}/revocations/${id}.crl`;
      s3.putObject(bucket, key, revocation(store, id).crlPem);
      return { Location: s3.presign(bucket, key) };
    },
  };
}

/**
 * A local ELBv2 query API (Version 2015-12-01) answering the trust-store reads for the real
 * `@aws-sdk/client-elastic-load-balancing-v2`. `Location` URLs point at a local S3 and serve the
 * trust store's content as it is when the location is asked for.
 */
export async function startElbv2(opts: { trustStores: TrustStoreSeed[]; s3?: LocalS3 }): Promise<LocalElbv2> {
  const s3 = opts.s3 ?? (await startS3());
  const trustStores = [...opts.trustStores];
  const endpoint = await startHttpEndpoint(
    queryHandler(
      awsQueryDialect('http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/'),
      operations(trustStores, s3),
    ),
  );
  return {
    ...endpoint,
    s3,
    trustStores,
    async close() {
      await endpoint.close();
      // Only the S3 this endpoint started is ours to stop.
      if (!opts.s3) await s3.close();
    },
  };
}
