/**
 * A small HTTP service that answers its callers from the producer's widgets API, reached over
 * mutual TLS with a client certificate kept in AWS Secrets Manager. This is the file to copy.
 *
 *   GET  /widgets      -> { widgets: [{ id, priceCents }] }
 *   GET  /widgets/:id  -> { id, priceCents }
 *   POST /widgets      <- { "price": "4.99" }  -> 201 { id, priceCents }
 *   GET  /healthz      -> which client certificate is in use (never the key)
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Client, createClient, type Duration, fromSecretsManager } from '@mtls-link/sdk';
import { z } from 'zod';
import { answerForFailure } from './upstream-failures.ts';
import type { paths } from './widgets-api.generated.ts';

export interface WidgetServiceOptions {
  /** The producer's API, e.g. `https://api.widgets.internal` (the private API's custom domain). */
  readonly apiUrl: string;
  /** The secret holding our client certificate and key. */
  readonly secretId: string;
  /** Trust for the producer's server certificate (PEM), when it is not from a public CA. */
  readonly apiCa?: string;
  /** A configured Secrets Manager client (region, credentials, VPC endpoint); the SDK makes one otherwise. */
  readonly secretsManager?: SecretsManagerClient;
  /** How often the secret is re-read, so a rotation is picked up without a restart. @default '15m' */
  readonly refreshEvery?: Duration;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Structured log sink. @default one JSON line per event on stdout */
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
}

export interface WidgetService {
  readonly url: string;
  /** Stops accepting calls, lets the ones in flight finish, then closes the mTLS connections. */
  close(): Promise<void>;
}

const defaultLog = (event: string, fields: Record<string, unknown>) => {
  console.log(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
};

/** The producer keeps prices as decimal strings; callers of this service get integer cents. */
function toCents(value: string): number {
  return Math.round(Number.parseFloat(value) * 100);
}

const newWidgetBody = z.object({ price: z.string().regex(/^\d+(\.\d{1,2})?$/, 'a price like "4.99"') });

class BadRequest extends Error {}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new BadRequest('body larger than 64 KiB');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('body is not JSON');
  }
}

export async function startWidgetService(options: WidgetServiceOptions): Promise<WidgetService> {
  const log = options.log ?? defaultLog;
  let stopping = false;

  const send = (response: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      // While stopping, a caller's keep-alive connection would hold close() open until it idles out.
      ...(stopping ? { connection: 'close' } : {}),
    });
    response.end(text);
  };

  // One provider and one client for the life of the process: the client keeps a keep-alive pool of
  // mTLS connections, and building one per request would pay a full TLS handshake every time.
  const identity = fromSecretsManager({
    secretId: options.secretId,
    ...(options.secretsManager === undefined ? {} : { client: options.secretsManager }),
    ...(options.refreshEvery === undefined ? {} : { refreshEvery: options.refreshEvery }),
  });
  const api: Client<paths> = createClient<paths>({
    baseUrl: options.apiUrl,
    identity,
    ...(options.apiCa === undefined ? {} : { ca: options.apiCa }),
    timeouts: { connect: 5_000, headers: 10_000, total: 20_000 },
    retry: { attempts: 2, maxElapsedMs: 5_000 },
  });

  // What operators need when something goes wrong with the certificate: which one, and why it changed.
  api.on('identity-refresh', (event) => {
    if (event.changed) {
      log('identity-refresh', {
        reason: event.reason,
        serial: event.current.serialHex,
        notAfter: event.current.notAfter.toISOString(),
        version: event.current.version,
        previousSerial: event.previous?.serialHex,
      });
    }
  });
  api.on('identity-refresh-failed', (event) => {
    // The last good certificate stays in use; this is a warning until it expires.
    log('identity-refresh-failed', {
      reason: event.reason,
      code: event.error.code,
      message: event.error.message,
      stillServing: event.current?.serialHex,
    });
  });
  api.on('expiry-warning', (event) => {
    log('identity-expiry-warning', { serial: event.identity.serialHex, daysLeft: event.daysLeft });
  });
  api.on('retry', (event) => {
    log('upstream-retry', {
      method: event.method,
      url: event.url,
      retry: event.retry,
      delayMs: Math.round(event.delayMs),
      code: event.error.code,
      afterIdentityRefresh: event.afterIdentityRefresh,
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://service.invalid');
    const method = request.method ?? 'GET';
    const widgetId = /^\/widgets\/([^/]+)$/.exec(url.pathname)?.[1];

    if (method === 'GET' && url.pathname === '/widgets') {
      const { data } = await api.GET('/widgets', { signal: abortOnHangUp(response) });
      send(response, 200, { widgets: data.map((w) => ({ id: w.id, priceCents: toCents(w.value) })) });
      return;
    }
    if (method === 'GET' && widgetId !== undefined) {
      const id = decodeURIComponent(widgetId);
      // Typed end to end: the path template, `params.path.id` and `data` all come from the spec.
      const { data } = await api.GET('/widgets/{id}', {
        params: { path: { id } },
        signal: abortOnHangUp(response),
      });
      send(response, 200, { id: data.id, priceCents: toCents(data.value) });
      return;
    }
    if (method === 'POST' && url.pathname === '/widgets') {
      const parsed = newWidgetBody.safeParse(await readJson(request));
      if (!parsed.success) {
        send(response, 400, { error: 'invalid_body', issues: parsed.error.issues.map((i) => i.message) });
        return;
      }
      // A POST is only retried with an idempotency key; reuse the caller's so their retry is safe too.
      const key = request.headers['idempotency-key'];
      const { status, data } = await api.POST('/widgets', {
        body: { value: parsed.data.price },
        params: { header: { 'Idempotency-Key': typeof key === 'string' ? key : randomUUID() } },
      });
      send(response, status, { id: data.id, priceCents: toCents(data.value) });
      return;
    }
    if (method === 'GET' && url.pathname === '/healthz') {
      const current = await identity.current();
      send(response, 200, {
        identity: {
          source: current.source,
          subject: current.subject,
          serial: current.serialHex,
          notAfter: current.notAfter.toISOString(),
        },
      });
      return;
    }
    send(response, 404, { error: 'no_such_route' });
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (error instanceof BadRequest) {
        send(response, 400, { error: 'invalid_body', issues: [error.message] });
        return;
      }
      const answer = answerForFailure(error);
      log('upstream-error', {
        method: request.method,
        path: request.url,
        status: answer.status,
        ...answer.body,
        // SDK messages name the host, secret or field, never key material, so they are safe to log.
        message: error instanceof Error ? error.message : String(error),
      });
      if (!response.headersSent) send(response, answer.status, answer.body);
      else response.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    close() {
      closing ??= (async () => {
        stopping = true;
        // Stop taking calls first; close() resolves once the calls in flight have been answered.
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await stopped;
        await api.close();
        identity.close();
        log('service-stopped', {});
      })();
      return closing;
    },
  };
}

/** A caller that hangs up should not keep an upstream call (and its retries) running. */
function abortOnHangUp(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
