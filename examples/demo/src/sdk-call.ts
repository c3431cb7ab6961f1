import { Resolver } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createClient, fromSecretsManager, isMtlsLinkError } from '@mtls-link/sdk';
import { localAwsClientConfig } from '@mtls-link/testkit';
import type { DemoProducer } from './producer.ts';

/** Resolves names through the producer's DNS server, as the VPC resolver would inside the VPC. */
function lookupVia(server: string): LookupFunction {
  const resolver = new Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([server]);
  return (hostname, options, callback) => {
    resolver.resolve4(hostname, (error, addresses) => {
      if (error) return callback(error, '', 4);
      if (options.all)
        return callback(
          null,
          addresses.map((address) => ({ address, family: 4 })),
        );
      return callback(null, addresses[0] ?? '', 4);
    });
  };
}

export interface SdkCallOutcome {
  readonly ok: boolean;
  readonly line: string;
  /** The decoded answer, when there was one. */
  readonly data?: unknown;
}

/** One typed-ish SDK call, exactly as a consumer service makes it, with its identity from the secret. */
export async function callWithSdk(
  producer: DemoProducer,
  secretId: string,
  path = '/widgets/1',
): Promise<SdkCallOutcome> {
  const secretsClient = new SecretsManagerClient(localAwsClientConfig(producer.secrets));
  const identity = fromSecretsManager({ secretId, client: secretsClient });
  const api = createClient({
    baseUrl: producer.baseUrl,
    identity,
    ca: producer.pki.trustStorePem,
    lookup: lookupVia(producer.dnsAddress),
    retry: { attempts: 1 },
  });
  try {
    const { status, data } = await api.request({ method: 'GET', path });
    return { ok: true, line: `GET ${path} -> ${status} ${JSON.stringify(data)}`, data };
  } catch (error) {
    if (!isMtlsLinkError(error)) throw error;
    return {
      ok: false,
      line: `GET ${path} -> ${error.name} ${error.code}: ${error.message}\n    hint: ${error.hint}`,
    };
  } finally {
    await api.close();
    identity.close();
    secretsClient.destroy();
  }
}
