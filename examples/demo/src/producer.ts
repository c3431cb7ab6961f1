import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalProducer, startLocalProducer } from '@mtls-link/testkit';

export const apiHost = 'api.example.com';
export const validSecretId = 'consumer/api-client';
export const revokedSecretId = 'consumer/revoked-client';

/** The testkit's local producer plus the PEM files the probe reads. */
export interface DemoProducer extends LocalProducer {
  /** The producer's CA bundle (also the ALB trust store) and its CRL, as files. */
  readonly files: { readonly ca: string; readonly crl: string };
  /** The DNS server answering for `apiHost`, as `IP:PORT`. */
  readonly dnsAddress: string;
}

export async function startDemoProducer(): Promise<DemoProducer> {
  const producer = await startLocalProducer({
    apiHost,
    secrets: { [validSecretId]: 'valid', [revokedSecretId]: 'revoked' },
  });
  const dir = await mkdtemp(join(tmpdir(), 'mtls-link-demo-'));
  const files = { ca: join(dir, 'producer-ca.pem'), crl: join(dir, 'trust-store.crl.pem') };
  await writeFile(files.ca, producer.pki.trustStorePem);
  await writeFile(files.crl, producer.pki.crlPem);
  return {
    ...producer,
    files,
    dnsAddress: producer.dns?.address ?? '',
    async close() {
      await producer.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
