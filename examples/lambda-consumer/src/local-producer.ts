/**
 * The producer side, run locally: a throwaway PKI, the ALB-like gateway in mTLS verify mode serving
 * the widgets API, and a local Secrets Manager holding the consumer's client identity. In AWS these
 * are the producer's ALB + private API and your account's secret; nothing here is copied into a
 * real service.
 */
import {
  createTestPki,
  type Gateway,
  type Issued,
  type LocalSecretsManager,
  startGateway,
  startSecretsManager,
  type TestPki,
} from '@mtls-link/testkit';

export const SECRET_ID = 'consumer/widgets-client';

export interface LocalProducer {
  readonly pki: TestPki;
  readonly gateway: Gateway;
  readonly secrets: LocalSecretsManager;
  readonly secretId: string;
  close(): Promise<void>;
}

/** The JSON layout most teams store: PEM fields in one SecretString. */
export function identitySecret(issued: Issued): string {
  return JSON.stringify({
    certificate: issued.certPem,
    privateKey: issued.keyPem,
    certificateChain: issued.chainPem,
  });
}

export async function startLocalProducer(): Promise<LocalProducer> {
  const pki = await createTestPki();
  const [gateway, secrets] = await Promise.all([
    startGateway({
      mode: 'verify',
      server: pki.server,
      trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    }),
    startSecretsManager({ secrets: [{ name: SECRET_ID, string: identitySecret(pki.clients.valid) }] }),
  ]);
  return {
    pki,
    gateway,
    secrets,
    secretId: SECRET_ID,
    close: async () => {
      await Promise.all([gateway.close(), secrets.close()]);
    },
  };
}
