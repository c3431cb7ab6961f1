import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Issued } from '@mtls-link/testkit';

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export interface SmallServerOptions {
  readonly server: Issued;
  /** CAs the server trusts for client certificates. */
  readonly caPem: string;
  readonly version: 'TLSv1.2' | 'TLSv1.3';
  /** Serve HTTP/2 (with HTTP/1.1 fallback) instead of HTTP/1.1 only. */
  readonly h2?: boolean;
  /** Refuse a missing or untrusted certificate in the handshake (TLS-level enforcement). */
  readonly requireCertificate: boolean;
  /** Answers every request; `authorized` says whether a trusted client certificate came with it. */
  readonly handler: (
    request: Request,
    response: Response,
    facts: { authorized: boolean; rawHeaders: string[] },
  ) => void;
}

export interface SmallServer {
  readonly url: string;
  readonly port: number;
  /** The raw header lines of every request seen, in order. */
  readonly seen: string[][];
  /** TLS connections still open. */
  openConnections(): number;
  close(): Promise<void>;
}

/**
 * A Node HTTPS (or HTTP/2) server written for a test's odd behaviour: a slow API, a backend that
 * refuses at HTTP level, an API Gateway error shape. It is a real TLS peer on a loopback port.
 */
export async function startSmallServer(options: SmallServerOptions): Promise<SmallServer> {
  const seen: string[][] = [];
  const tls = {
    cert: options.server.certPem + options.server.chainPem,
    key: options.server.keyPem,
    ca: options.caPem,
    requestCert: true,
    rejectUnauthorized: options.requireCertificate,
    minVersion: options.version,
    maxVersion: options.version,
  };
  const onRequest = (request: Request, response: Response) => {
    const socket = request.socket as unknown as TLSSocket;
    seen.push(request.rawHeaders);
    options.handler(request, response, {
      authorized: socket.authorized === true,
      rawHeaders: request.rawHeaders,
    });
  };
  const server = options.h2
    ? createSecureServer({ ...tls, allowHTTP1: true }, onRequest)
    : createServer(tls, onRequest);
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    seen,
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
