import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import type * as undici from 'undici';
import { classifyFailure } from '../classify/classify-failure.ts';
import { classifyHttpResponse } from '../classify/http-status.ts';
import { type CertificateVerdict, judgeCertificate } from '../classify/judge.ts';
import type { MtlsLinkError } from '../errors/index.ts';
import {
  type ConnectionFacts,
  connectionFactsOf,
  trackingConnector,
  trackingTlsOptions,
} from './connection-facts.ts';
import { presentedMaterial, type TlsMaterial } from './pool.ts';
import { buildConnector, Client } from './undici-modules.ts';

export interface ExchangeRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  /**
   * Header lines in order. A `Host` given here replaces the one derived from `origin` (exactly one
   * is sent); `Connection: close` / `keep-alive` are honoured, not sent twice.
   */
  readonly headers: readonly (readonly [string, string])[];
  /** Request body (UTF-8), sent with its Content-Length. */
  readonly body?: string;
}

export interface ExchangeOptions {
  /** The URL's origin (`https://api.example.com:8443`): the Host header and the default SNI. */
  readonly origin: string;
  /** The address dialled instead of the origin's host (one resolved address, or a connect-to target). */
  readonly address: string;
  readonly port: number;
  /** SNI and the name the server certificate must cover; undefined for an IP literal host. */
  readonly servername: string | undefined;
  /** Trust for the server certificate (PEM); Node's system roots when undefined. */
  readonly ca?: readonly string[] | undefined;
  /** The identity to present (PEM); none when undefined. */
  readonly identity?: Pick<TlsMaterial, 'certPem' | 'chainPem' | 'keyPem'> | undefined;
  /** Offer HTTP/2 by ALPN, as the client does by default. @default true */
  readonly allowH2?: boolean;
  /** Verify the server certificate, as the client does. @default true */
  readonly rejectUnauthorized?: boolean;
  /** TCP connect plus TLS handshake. */
  readonly connectTimeoutMs: number;
  /** Response headers, then each gap in the body. */
  readonly responseTimeoutMs: number;
  readonly request: ExchangeRequest;
  /** Body bytes kept in the result (the rest is read and dropped). @default 65536 */
  readonly maxBodyBytes?: number;
  /**
   * Abandons the exchange: the connection is destroyed and the outcome reports the abort as a
   * failure (a caller that aborts has stopped caring about the outcome).
   */
  readonly signal?: AbortSignal;
}

export interface ExchangeResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** UTF-8, cut at `maxBodyBytes`. */
  readonly body: string;
}

export interface ExchangeOutcome {
  readonly address: string;
  readonly port: number;
  /** What the connector saw of the connection (protocol, ALPN, alert, acceptance evidence). */
  readonly connection: ConnectionFacts | undefined;
  readonly cipher: string | undefined;
  readonly timings: {
    readonly connectMs?: number;
    readonly tlsMs?: number;
    readonly firstByteMs?: number;
    readonly totalMs: number;
  };
  readonly response?: ExchangeResponse;
  /** The classified failure, or the non-2xx answer's error (an HTTP-level refusal among them). */
  readonly error?: MtlsLinkError;
  /** The judgement on the client certificate (or, without one, on the connection). */
  readonly verdict: CertificateVerdict;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function headerObject(request: ExchangeRequest): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [rawName, value] of request.headers) {
    const name = rawName.toLowerCase();
    const existing = headers[name];
    headers[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return headers;
}

async function readCapped(body: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of body) {
    if (kept < max) {
      const part = chunk.subarray(0, max - kept);
      chunks.push(part);
      kept += part.length;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One request on one fresh connection through the same undici connector, TLS options and ALPN offer
 * as the client's pools, dialling a given address while keeping SNI and Host. Never throws: it
 * reports how far it got, the classified failure (the client's own classifier) and the verdict on
 * the certificate. The probe judges each endpoint address with it, so a passing probe means the
 * client's default options work against the same server.
 */
export async function exchangeOnce(options: ExchangeOptions): Promise<ExchangeOutcome> {
  const start = performance.now();
  const timings: { connectMs?: number; tlsMs?: number; firstByteMs?: number } = {};
  const identity = options.identity;
  const allowH2 = options.allowH2 ?? true;
  const base = buildConnector({
    ...(identity === undefined ? {} : presentedMaterial(identity)),
    ...(options.ca === undefined ? {} : { ca: [...options.ca] }),
    ...(options.servername === undefined ? {} : { servername: options.servername }),
    ...trackingTlsOptions,
    rejectUnauthorized: options.rejectUnauthorized ?? true,
    allowH2,
    timeout: options.connectTimeoutMs,
    // Every exchange is a fresh, full handshake: no session resumption from an earlier one.
    maxCachedSessions: 0,
  });
  let cipher: string | undefined;
  let live: ConnectionFacts | undefined;
  const dial: undici.buildConnector.connector = (connectOptions, callback) => {
    const socket = (base as (...args: Parameters<undici.buildConnector.connector>) => unknown)(
      { ...connectOptions, hostname: options.address, port: String(options.port) },
      callback,
    ) as TLSSocket | undefined;
    socket?.once('connect', () => {
      timings.connectMs = round(performance.now() - start);
    });
    return socket;
  };
  const tracking = trackingConnector(dial, {
    clientCertificate: identity !== undefined,
    onSocket: (socket, facts) => {
      timings.tlsMs = round(performance.now() - start - (timings.connectMs ?? 0));
      cipher = socket.getCipher()?.standardName;
      live = facts;
    },
  });
  const client = new Client(options.origin, {
    connect: tracking,
    allowH2,
    headersTimeout: options.responseTimeoutMs,
    bodyTimeout: options.responseTimeoutMs,
    keepAliveTimeout: 1000,
  });
  const { method, path } = options.request;
  const url = new URL(path, options.origin).toString();
  let response: ExchangeResponse | undefined;
  let error: MtlsLinkError | undefined;
  let facts: ConnectionFacts | undefined;
  try {
    const answer = await client.request({
      method: method as 'GET',
      path,
      headers: headerObject(options.request),
      ...(options.request.body === undefined ? {} : { body: options.request.body }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    timings.firstByteMs = round(performance.now() - start - (timings.connectMs ?? 0) - (timings.tlsMs ?? 0));
    facts = tracking.openConnections()[0] ?? (live === undefined ? undefined : { ...live });
    const body = await readCapped(answer.body, options.maxBodyBytes ?? 65_536);
    response = { status: answer.statusCode, headers: answer.headers, body };
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      error = classifyHttpResponse({ status: answer.statusCode, method, url, headers: answer.headers, body });
    }
  } catch (cause) {
    facts ??=
      connectionFactsOf(cause) ??
      tracking.openConnections()[0] ??
      (live === undefined ? undefined : { ...live });
    error = classifyFailure(cause, {
      host: options.address,
      port: options.port,
      servername: options.servername,
      method,
      url,
      timeouts: {
        connect: options.connectTimeoutMs,
        headers: options.responseTimeoutMs,
        body: options.responseTimeoutMs,
      },
      ...facts,
      clientCertificate: identity !== undefined,
    });
  } finally {
    await client.destroy().catch(() => {});
  }
  const acceptedBy = response !== undefined ? (facts?.acceptedBy ?? 'response') : facts?.acceptedBy;
  return {
    address: options.address,
    port: options.port,
    connection: facts,
    cipher,
    timings: { ...timings, totalMs: round(performance.now() - start) },
    ...(response === undefined ? {} : { response }),
    ...(error === undefined ? {} : { error }),
    verdict: judgeCertificate(error, acceptedBy),
  };
}
