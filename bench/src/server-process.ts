// The emulated producer in a process of its own, so that its CPU does not count as the client's.
import { startGateway } from '@mtls-link/testkit';

export interface ServerConfig {
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly serverChainPem: string;
  readonly trustStorePem: string;
}

export type ServerMessage = { url: string } | { handshakes: number };

process.once('message', async (config: ServerConfig) => {
  const gateway = await startGateway({
    mode: 'verify',
    server: { certPem: config.serverCertPem, keyPem: config.serverKeyPem, chainPem: config.serverChainPem },
    trustStore: { caPem: config.trustStorePem },
  });
  process.on('message', (message: unknown) => {
    if (message === 'stats') process.send?.({ handshakes: gateway.handshakes() } satisfies ServerMessage);
    if (message === 'stop') void gateway.close().then(() => process.disconnect());
  });
  process.send?.({ url: gateway.url } satisfies ServerMessage);
});
