import { type LocalSecretsManager, startSecretsManager } from '../aws/secrets-manager.ts';
import { type LocalDnsServer, startDnsServer } from '../dns/server.ts';
import { type Gateway, startGateway } from '../gateway/gateway.ts';
import type { GatewayOptions } from '../gateway/options.ts';
import type { Issued } from '../pki/issued.ts';
import { createTestPki, type TestPki } from '../pki/test-pki.ts';

/**
 * The JSON layout most teams store in Secrets Manager: PEM fields in one SecretString
 * (`certificate` / `privateKey` / `certificateChain`, one of the families the SDK reads).
 */
export function identitySecret(issued: Pick<Issued, 'certPem' | 'keyPem' | 'chainPem'>): string {
  return JSON.stringify({
    certificate: issued.certPem,
    privateKey: issued.keyPem,
    certificateChain: issued.chainPem,
  });
}

export interface LocalProducerOptions {
  /**
   * Secrets to seed: secret name -> which client of the test PKI it holds (stored with
   * `identitySecret`). @default { 'consumer/api-client': 'valid' }
   */
  readonly secrets?: Readonly<Record<string, keyof TestPki['clients']>>;
  /**
   * A host name to serve from a local DNS server (A record to 127.0.0.1), as the consumer VPC's
   * private hosted zone would; the server certificate covers it. No DNS server when absent.
   */
  readonly apiHost?: string;
  /** Gateway settings over the default (mode verify, the PKI's trust store with its CRLs). */
  readonly gateway?: Partial<Omit<GatewayOptions, 'server'>>;
}

/** A producer as the consumer meets it, on this machine. */
export interface LocalProducer {
  readonly pki: TestPki;
  /** The ALB-like listener in front of the built-in widgets API. */
  readonly gateway: Gateway;
  readonly secrets: LocalSecretsManager;
  /** The first seeded secret's name (`consumer/api-client` by default). */
  readonly secretId: string;
  /** Present when `apiHost` was given. */
  readonly dns: LocalDnsServer | undefined;
  /** `https://<apiHost or 127.0.0.1>:PORT`. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the producer side locally: a throwaway PKI, the gateway in mTLS verify mode (trust store =
 * the PKI's CAs with their CRLs, so `clients.revoked` is refused), a local Secrets Manager holding
 * client identities, and optionally a DNS server for the API's name.
 */
export async function startLocalProducer(options: LocalProducerOptions = {}): Promise<LocalProducer> {
  const pki = await createTestPki(options.apiHost === undefined ? {} : { serverNames: [options.apiHost] });
  const seeds = Object.entries(options.secrets ?? { 'consumer/api-client': 'valid' as const });
  const started = await Promise.allSettled([
    startGateway({
      mode: 'verify',
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem, pki.rootCrlPem] },
      ...options.gateway,
      server: pki.server,
    }),
    startSecretsManager({
      secrets: seeds.map(([name, flavour]) => ({ name, string: identitySecret(pki.clients[flavour]) })),
    }),
    options.apiHost === undefined
      ? undefined
      : startDnsServer({ records: { [options.apiHost]: [{ type: 'A', data: '127.0.0.1', ttl: 60 }] } }),
  ] as const);
  const [gatewayStart, secretsStart, dnsStart] = started;
  if (
    gatewayStart.status === 'rejected' ||
    secretsStart.status === 'rejected' ||
    dnsStart.status === 'rejected'
  ) {
    // One part failed: stop the parts that did start, or their listeners keep the process alive.
    await Promise.allSettled(
      started.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value?.close() : undefined)),
    );
    throw started.find((outcome) => outcome.status === 'rejected')?.reason;
  }
  const gateway = gatewayStart.value;
  const secrets = secretsStart.value;
  const dns = dnsStart.value;
  return {
    pki,
    gateway,
    secrets,
    secretId: seeds[0]?.[0] ?? '',
    dns,
    baseUrl: `https://${options.apiHost ?? '127.0.0.1'}:${gateway.port}`,
    async close() {
      await Promise.all([gateway.close(), secrets.close(), dns?.close()]);
    },
  };
}
