import { awsRequestHandler } from '../aws-request-handler.ts';
import type { CrlInput, TrustStoreInput } from '../context.ts';
import { ProbeError } from '../errors.ts';
import { fetchBytes } from './crl-sources.ts';
import { countCertificates, pemOrBase64 } from './read-file.ts';

export interface LiveTrustStore {
  readonly trustStore: TrustStoreInput;
  readonly crls: readonly CrlInput[];
}

/**
 * Reads what the ALB enforces: the trust store's CA bundle and every revocation list, through the
 * pre-signed `Location` URLs ELBv2 returns. Failure is TRUST_STORE_UNAVAILABLE (the command cannot
 * judge what it was asked to judge).
 */
export async function readTrustStore(
  arn: string,
  options: { endpoint?: string; region: string; timeoutMs: number },
): Promise<LiveTrustStore> {
  const {
    DescribeTrustStoreRevocationsCommand,
    DescribeTrustStoresCommand,
    ElasticLoadBalancingV2Client,
    GetTrustStoreCaCertificatesBundleCommand,
    GetTrustStoreRevocationContentCommand,
  } = await import('../aws/elbv2.ts');
  const client = new ElasticLoadBalancingV2Client({
    region: options.region,
    maxAttempts: 2,
    ...awsRequestHandler(),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  });
  // Each call has the step deadline, as every other network step of the probe does.
  const deadline = () => ({ abortSignal: AbortSignal.timeout(options.timeoutMs) });
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const e = error as Error;
      const timedOut = e.name === 'AbortError' || e.name === 'TimeoutError';
      throw new ProbeError(
        'TRUST_STORE_UNAVAILABLE',
        `--trust-store-arn ${arn}: ${what} failed: ${timedOut ? `no answer within ${options.timeoutMs} ms` : `${e.name}: ${e.message}`}`,
        {
          cause: error,
          details: { trustStoreArn: arn, step: what },
        },
      );
    }
  };
  try {
    const described = await step('DescribeTrustStores', () =>
      client.send(new DescribeTrustStoresCommand({ TrustStoreArns: [arn] }), deadline()),
    );
    const store = described.TrustStores?.[0];
    const bundle = await step('GetTrustStoreCaCertificatesBundle', async () => {
      const { Location } = await client.send(
        new GetTrustStoreCaCertificatesBundleCommand({ TrustStoreArn: arn }),
        deadline(),
      );
      if (Location === undefined) throw new Error('no Location in the answer');
      return Buffer.from(await fetchBytes(Location, options.timeoutMs)).toString('utf8');
    });
    const revocations = await step('DescribeTrustStoreRevocations', async () => {
      const { TrustStoreRevocations } = await client.send(
        new DescribeTrustStoreRevocationsCommand({ TrustStoreArn: arn }),
        deadline(),
      );
      return TrustStoreRevocations ?? [];
    });
    const crls = await Promise.all(
      revocations.map((r) =>
        step(`GetTrustStoreRevocationContent ${r.RevocationId}`, async () => {
          const { Location } = await client.send(
            new GetTrustStoreRevocationContentCommand({ TrustStoreArn: arn, RevocationId: r.RevocationId }),
            deadline(),
          );
          if (Location === undefined) throw new Error('no Location in the answer');
          const bytes = await fetchBytes(Location, options.timeoutMs);
          return { source: `${arn}#revocation/${r.RevocationId}`, pem: pemOrBase64(bytes) };
        }),
      ),
    );
    return {
      trustStore: {
        source: arn,
        pem: bundle,
        caCount: store?.NumberOfCaCertificates ?? countCertificates(bundle),
        ...(store?.Name === undefined ? {} : { name: store.Name }),
        ...(store?.TotalRevokedEntries === undefined ? {} : { revokedEntries: store.TotalRevokedEntries }),
        revocationIds: revocations.map((r) => String(r.RevocationId)),
      },
      crls,
    };
  } finally {
    client.destroy();
  }
}
