// Shared by the gateway*.test.ts files: one PKI per test file, and clients that report exactly what
// they saw on the wire (answer, alert, reset or clean close), so tests can assert the signal.
import { connect as connectHttp2 } from 'node:http2';
import { connect } from 'node:tls';
import {
  createTestPki,
  type Gateway,
  type GatewayOptions,
  type Issued,
  startGateway,
  type TestPki,
} from '@mtls-link/testkit';
import { afterAll } from 'vitest';

let pkiPromise: Promise<TestPki> | undefined;
export function testPki(): Promise<TestPki> {
  pkiPromise ??= createTestPki();
  return pkiPromise;
}

const open: Gateway[] = [];
afterAll(async () => {
  await Promise.all(open.splice(0).map((gateway) => gateway.close()));
});

/** Starts a gateway with the test PKI's server certificate and trust store (+ CRL); closed after the file. */
export async function gatewayFor(pki: TestPki, options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const gateway = await startGateway({
    mode: 'verify',
    server: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, chainPem: pki.server.chainPem },
    trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
    ...options,
  });
  open.push(gateway);
  return gateway;
}

export type Signal = 'answer' | 'alert' | 'reset' | 'close' | 'other';

export interface Observed {
  readonly signal: Signal;
  /** Whether the client's TLS handshake completed (under TLS 1.3 it does even when refused). */
  readonly handshakeCompleted: boolean;
  readonly protocol: string | null;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly sawEnd: boolean;
  /** Whether the request left the client (under TLS 1.3 a refused client sends it). */
  readonly requestSent: boolean;
  /** What the server sent back, as text. */
  readonly response: string;
  readonly elapsedMs: number;
}

export interface AttemptOptions {
  readonly version?: 'TLSv1.2' | 'TLSv1.3';
  readonly path?: string;
  readonly timeoutMs?: number;
}

/** One connection with node:tls sending `GET path`; resolves when the socket closes. */
export function attempt(
  gateway: Gateway,
  pki: TestPki,
  client: Issued | undefined,
  options: AttemptOptions = {},
): Promise<Observed> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port: gateway.port,
      servername: 'localhost',
      ca: pki.root.certPem,
      ...(client === undefined ? {} : { cert: client.certPem + client.chainPem, key: client.keyPem }),
      ...(options.version === undefined ? {} : { minVersion: options.version, maxVersion: options.version }),
      // The RSA 1024 flavour must reach the server, which is what judges it.
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    let handshakeCompleted = false;
    let sawEnd = false;
    let requestSent = false;
    let protocol: string | null = null;
    let error: NodeJS.ErrnoException | undefined;
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => socket.destroy(new Error('test client timeout')),
      options.timeoutMs ?? 10_000,
    );
    socket.on('secureConnect', () => {
      handshakeCompleted = true;
      protocol = socket.getProtocol();
      socket.write(
        `GET ${options.path ?? '/widgets'} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
        (e) => {
          if (e === undefined || e === null) requestSent = true;
        },
      );
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      sawEnd = true;
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const response = Buffer.concat(chunks).toString('utf8');
      let signal: Signal = 'other';
      if (response.length > 0) signal = 'answer';
      else if (error?.code !== undefined && /^ERR_SSL_.*ALERT/.test(error.code)) signal = 'alert';
      else if (sawEnd) signal = 'close';
      else if (error?.code === 'ECONNRESET') signal = 'reset';
      resolve({
        signal,
        handshakeCompleted,
        protocol,
        sawEnd,
        requestSent,
        response,
        elapsedMs: performance.now() - started,
        ...(error?.code === undefined ? {} : { errorCode: error.code }),
        ...(error === undefined ? {} : { errorMessage: error.message }),
      });
    });
  });
}

/** One HTTP/2 GET with the valid client certificate; `authority` replaces `:authority`. */
export function h2Get(
  gateway: Gateway,
  pki: TestPki,
  path: string,
  authority?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const client = pki.clients.valid;
  const session = connectHttp2(gateway.url, {
    ca: pki.root.certPem,
    servername: 'localhost',
    cert: client.certPem + client.chainPem,
    key: client.keyPem,
  });
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      session.on('error', reject);
      const stream = session.request({
        ':method': 'GET',
        ':path': path,
        ...(authority === undefined ? {} : { ':authority': authority }),
      });
      let status = 0;
      let seen: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (headers) => {
        status = Number(headers[':status']);
        seen = headers;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => resolve({ status, headers: seen, body: Buffer.concat(chunks).toString() }));
      stream.on('error', reject);
      stream.end();
    },
  ).finally(() => session.close());
}

export const clientFlavours = [
  'valid',
  'expired',
  'notYetValid',
  'revoked',
  'foreignCa',
  'serverAuthOnly',
  'rsa1024',
  'chainTooDeep',
  'rsa2048',
  'rsa4096',
  'ecP256',
  'ecP384',
] as const;
