import { createServer, type Server, type Socket } from 'node:net';
import { type Gateway, startGateway, type TestPki } from '@mtls-link/testkit';

/** The ALB-like gateway in verify mode with the test PKI's server certificate and trust store. */
export function startVerifyGateway(pki: TestPki): Promise<Gateway> {
  return startGateway({ mode: 'verify', server: pki.server, trustStore: { caPem: pki.trustStorePem } });
}

/** A loopback port with nothing listening (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback server that accepts TCP and never says a word: the "never answers" case. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
