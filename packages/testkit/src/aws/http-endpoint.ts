import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What every local AWS endpoint hands back: the base URL to pass as the SDK's `endpoint`, and teardown. */
export interface LocalEndpoint {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface EndpointRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** A fresh id per request, echoed as the service's request id. */
  readonly requestId: string;
}

export interface EndpointResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export type EndpointHandler = (request: EndpointRequest) => EndpointResponse | Promise<EndpointResponse>;

/** Credentials the real SDK clients need to sign requests; the local endpoints accept any signature. */
export const localAwsCredentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } as const;
export const localAwsRegion = 'us-east-1';
export const localAccountId = '123456789012';

/**
 * What an AWS SDK v3 client needs to talk to a local endpoint: `new EC2Client(localAwsClientConfig(ec2))`.
 * S3 clients also need `forcePathStyle: true`.
 */
export function localAwsClientConfig(local: LocalEndpoint | string) {
  return {
    endpoint: typeof local === 'string' ? local : local.endpoint,
    region: localAwsRegion,
    credentials: localAwsCredentials,
  };
}

/**
 * One tiny HTTP/1.1 server shared by every local AWS service: it buffers the body, hands it to the
 * service's handler and writes the answer. Keep-alive is short so `close()` never waits on idle sockets.
 */
export async function startHttpEndpoint(
  handler: EndpointHandler,
  opts: { port?: number } = {},
): Promise<LocalEndpoint> {
  const server = createServer({ keepAliveTimeout: 1000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const requestId = randomUUID();
      const request: EndpointRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body: Buffer.concat(chunks),
        requestId,
      };
      Promise.resolve()
        .then(() => handler(request))
        .catch((error: unknown) => ({
          status: 500,
          headers: { 'content-type': 'text/plain' },
          body: `local endpoint failed: ${error instanceof Error ? error.message : String(error)}`,
        }))
        .then((answer) => {
          const body = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body);
          res.writeHead(answer.status, {
            'x-amzn-requestid': requestId,
            'content-length': String(body.byteLength),
            ...answer.headers,
          });
          res.end(body);
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
