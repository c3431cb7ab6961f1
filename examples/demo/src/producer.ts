import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestPki,
  type Gateway,
  type LocalDnsServer,
  type LocalSecretsManager,
  startDnsServer,
  startGateway,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';

export const apiHost = 'api.example.com';
export const validSecretId = 'consumer/api-client';
export const revokedSecretId = 'consumer/revoked-client';

/** The producer as the consumer meets it, on this machine: gateway (ALB + API), secrets, DNS. */
export interface LocalProducer {
  readonly pki: TestPki;
  readonly gateway: Gateway;
  readonly secrets: LocalSecretsManager;
  readonly dns: LocalDnsServer;
  /** `https://api.example.com:PORT`: resolves to the gateway through `dns` only. */
  readonly baseUrl: string;
  /** PEM files the probe reads: the producer's CA bundle (also the ALB trust store) and its CRL. */
  readonly files: { readonly ca: string; readonly crl: string };
  close(): Promise<void>;
}

function identitySecret(issued: { certPem: string; keyPem: string; chainPem: string }): string {
  return JSON.stringify({
    certificate: issued.certPem,
    privateKey: issued.keyPem,
    certificateChain: issued.chainPem,
  });
}

export async function startLocalProducer(): Promise<LocalProducer> {
  const pki = await createTestPki({ serverNames: [apiHost, 'localhost'] });
  const crlPems = [pki.crlPem, pki.rootCrlPem];
  const gateway = await startGateway({
    mode: 'verify',
    server: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, chainPem: pki.server.chainPem },
    trustStore: { caPem: pki.trustStorePem, crlPems },
  });
  const secrets = await startSecretsManager({
    secrets: [
      { name: validSecretId, string: identitySecret(pki.clients.valid) },
      { name: revokedSecretId, string: identitySecret(pki.clients.revoked) },
    ],
  });
  const dns = await startDnsServer({ records: { [apiHost]: [{ type: 'A', data: '127.0.0.1', ttl: 60 }] } });
  const dir = await mkdtemp(join(tmpdir(), 'mtls-link-demo-'));
  const files = { ca: join(dir, 'producer-ca.pem'), crl: join(dir, 'trust-store.crl.pem') };
  await writeFile(files.ca, pki.trustStorePem);
  await writeFile(files.crl, pki.crlPem);
  return {
    pki,
    gateway,
    secrets,
    dns,
    baseUrl: `https://${apiHost}:${gateway.port}`,
    files,
    async close() {
      await Promise.all([gateway.close(), secrets.close(), dns.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
