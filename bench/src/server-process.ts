// The server in a process of its own, so that its CPU does not count as the client's: the emulated
// producer (gateway), or nginx as an independent mTLS terminator when it is installed.
import { startGateway, startNginx } from '@mtls-link/testkit';

export type ServerTarget = 'gateway' | 'nginx';

export interface ServerConfig {
  readonly target: ServerTarget;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly serverChainPem: string;
  readonly trustStorePem: string;
}

/** `handshakes` is null where the server cannot count them (nginx). */
export type ServerMessage = { url: string } | { handshakes: number | null };

async function start(
  config: ServerConfig,
): Promise<{ url: string; handshakes(): number | null; close(): Promise<void> }> {
  const server = {
    certPem: config.serverCertPem,
    keyPem: config.serverKeyPem,
    chainPem: config.serverChainPem,
  };
  if (config.target === 'nginx') {
    // h2 on as well: each scenario pins its clients' ALPN offer (HTTP/1.1 only, or h2).
    const nginx = await startNginx({ server, caPem: config.trustStorePem, http2: true });
    return { url: nginx.url, handshakes: () => null, close: () => nginx.close() };
  }
  const gateway = await startGateway({ mode: 'verify', server, trustStore: { caPem: config.trustStorePem } });
  return { url: gateway.url, handshakes: () => gateway.handshakes(), close: () => gateway.close() };
}

process.once('message', async (config: ServerConfig) => {
  const server = await start(config);
  process.on('message', (message: unknown) => {
    if (message === 'stats') process.send?.({ handshakes: server.handshakes() } satisfies ServerMessage);
    if (message === 'stop') void server.close().then(() => process.disconnect());
  });
  process.send?.({ url: server.url } satisfies ServerMessage);
});
