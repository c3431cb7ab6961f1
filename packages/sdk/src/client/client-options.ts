import type { LookupFunction } from 'node:net';
import { ConfigError, type MtlsLinkError } from '../errors/index.ts';
import type { ClientIdentity, IdentityProvider } from '../identity/types.ts';
import { isIdentityProvider, type PoolSettings } from '../transport/index.ts';
import type { RetryEvent } from './client-events.ts';
import type { Middleware } from './middleware.ts';
import type { HeadersInit } from './openapi-types.ts';
import { type RetryOptions, type RetryPolicy, retryDefaults } from './retry-policy.ts';

export interface ClientTimeouts {
  /** TCP connect plus TLS handshake, per connection. @default 10000 */
  readonly connect?: number;
  /** From sending the request to the last response header. @default 30000 */
  readonly headers?: number;
  /** Longest pause between two chunks of the response body. @default 30000 */
  readonly body?: number;
  /** Whole request including retries and backoff; none by default (retry.maxElapsedMs bounds retries). */
  readonly total?: number;
}

export interface RequestInfo {
  readonly method: string;
  readonly url: string;
  /** 0 for the first attempt. */
  readonly attempt: number;
}

export interface ResponseInfo extends RequestInfo {
  readonly status: number;
  readonly durationMs: number;
}

/** Observers for logging and tracing; they run synchronously, so keep them cheap. */
export interface ClientHooks {
  readonly onRequest?: (info: RequestInfo) => void;
  readonly onResponse?: (info: ResponseInfo) => void;
  readonly onRetry?: (event: RetryEvent) => void;
  readonly onError?: (error: MtlsLinkError, info: RequestInfo) => void;
}

export interface ClientOptions {
  /** `https://host[:port][/base/path]`. */
  readonly baseUrl: string | URL;
  /** A refreshing provider (fromSecretsManager, fromFiles...) or one fixed identity. */
  readonly identity: IdentityProvider | ClientIdentity;
  /** Trust for the server certificate (PEM); the system roots when absent. */
  readonly ca?: string | readonly string[];
  /** SNI and the name the server certificate must cover, when it differs from baseUrl's host. */
  readonly servername?: string;
  readonly timeouts?: ClientTimeouts;
  /** `false` turns retries off. */
  readonly retry?: RetryOptions | false;
  /**
   * Negotiate HTTP/2 when the server offers it (ALPN), as the ALB does. @default true (as undici 8).
   * HTTP/2 multiplexes the requests over one connection per origin: fewer full mTLS handshakes (the
   * ALB never resumes sessions) and, against the emulator, about 15 % more throughput than the
   * HTTP/1.1 pool. Set `false` to spread a heavy caller's load over `connections` connections (hence
   * over several load-balancer nodes); refusals are classified the same way over both protocols.
   */
  readonly allowH2?: boolean;
  /** Connections per origin in the keep-alive pool. @default 32 */
  readonly connections?: number;
  /** Idle keep-alive connections are closed after this. @default 4000 */
  readonly keepAliveTimeout?: number;
  /**
   * Replace a connection after this many requests (0: never). Recycling spreads load over ALB nodes
   * added by scaling, and makes a revoked certificate show up on the next new connection rather
   * than whenever a keep-alive connection happens to close. @default 0
   */
  readonly maxRequestsPerConnection?: number;
  /** Headers sent with every request. */
  readonly headers?: HeadersInit;
  readonly hooks?: ClientHooks;
  /**
   * After the server refuses the client certificate, the identity is force-refreshed at most this
   * often. @default 5000
   */
  readonly minForcedRefreshInterval?: number;
  /** Custom DNS lookup for the connections (e.g. a specific resolver). */
  readonly lookup?: LookupFunction;
  /**
   * Largest response body read, in bytes; a larger one fails with RESPONSE_TOO_LARGE and the rest
   * is not read (undici stops at the limit, whatever parseAs). `Infinity` turns the limit off.
   * @default 10485760 (10 MiB, API Gateway's own payload limit)
   */
  readonly maxResponseSize?: number;
  /** Middleware installed at creation, as `use()` would (see `Middleware`). */
  readonly middleware?: readonly Middleware[];
}

export interface ResolvedClientOptions {
  readonly origin: string;
  readonly basePath: string;
  readonly host: string;
  readonly port: number;
  readonly servername: string;
  readonly identity: IdentityProvider | ClientIdentity;
  readonly pool: PoolSettings;
  readonly totalTimeoutMs: number | undefined;
  readonly retry: RetryPolicy;
  readonly headers: HeadersInit | undefined;
  readonly hooks: ClientHooks;
  readonly minForcedRefreshIntervalMs: number;
}

const clientDefaults = {
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  connections: 32,
  keepAliveTimeoutMs: 4_000,
  minForcedRefreshIntervalMs: 5_000,
  maxResponseSize: 10 * 1024 * 1024,
} as const;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `option ${name} must be a positive number of milliseconds, got ${String(value)}`,
      {
        details: { option: name },
      },
    );
  }
  return value;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `option ${name} must be a non-negative integer, got ${String(value)}`,
      {
        details: { option: name },
      },
    );
  }
  return value;
}

function responseLimit(value: number | undefined): number {
  if (value === undefined) return clientDefaults.maxResponseSize;
  if (value === Number.POSITIVE_INFINITY) return -1;
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `option maxResponseSize must be a positive integer of bytes (or Infinity), got ${String(value)}`,
      { details: { option: 'maxResponseSize' } },
    );
  }
  return value;
}

function isClientIdentity(value: unknown): value is ClientIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ClientIdentity>;
  return (
    typeof v.certPem === 'string' && typeof v.keyPem === 'string' && typeof v.fingerprint256 === 'string'
  );
}

/** Validates the options (naming the bad one) and fills the defaults. */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch (cause) {
    throw new ConfigError('CONFIG_INVALID', `option baseUrl is not a URL: ${String(options.baseUrl)}`, {
      cause,
      details: { option: 'baseUrl' },
    });
  }
  if (url.protocol !== 'https:') {
    throw new ConfigError(
      'CONFIG_INVALID',
      `option baseUrl must be https:// (mutual TLS), got ${url.protocol}//`,
      {
        details: { option: 'baseUrl' },
      },
    );
  }
  if (!isIdentityProvider(options.identity) && !isClientIdentity(options.identity)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      'option identity must be an IdentityProvider (fromSecretsManager, fromFiles, ...) or a ClientIdentity',
      { details: { option: 'identity' } },
    );
  }
  if (options.middleware !== undefined && !Array.isArray(options.middleware)) {
    throw new ConfigError('CONFIG_INVALID', 'option middleware must be an array of middleware objects', {
      details: { option: 'middleware' },
    });
  }
  const timeouts = options.timeouts ?? {};
  const retry =
    options.retry === false ? { ...retryDefaults, attempts: 0 } : { ...retryDefaults, ...options.retry };
  const retryPolicy = {
    attempts: nonNegativeInteger('retry.attempts', retry.attempts, retryDefaults.attempts),
    baseDelayMs: positive('retry.baseDelayMs', retry.baseDelayMs, retryDefaults.baseDelayMs),
    maxDelayMs: positive('retry.maxDelayMs', retry.maxDelayMs, retryDefaults.maxDelayMs),
    maxElapsedMs: positive('retry.maxElapsedMs', retry.maxElapsedMs, retryDefaults.maxElapsedMs),
  };
  const connections = options.connections ?? clientDefaults.connections;
  if (!Number.isInteger(connections) || connections < 1) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `option connections must be a positive integer, got ${String(connections)}`,
      {
        details: { option: 'connections' },
      },
    );
  }
  const port = url.port === '' ? 443 : Number(url.port);
  // URL keeps IPv6 hosts in brackets; sockets and SNI want them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return {
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    host,
    port,
    servername: options.servername ?? host,
    identity: options.identity,
    pool: {
      ca: options.ca,
      servername: options.servername,
      allowH2: options.allowH2 ?? true,
      connections,
      connectTimeoutMs: positive('timeouts.connect', timeouts.connect, clientDefaults.connectTimeoutMs),
      headersTimeoutMs: positive('timeouts.headers', timeouts.headers, clientDefaults.headersTimeoutMs),
      bodyTimeoutMs: positive('timeouts.body', timeouts.body, clientDefaults.bodyTimeoutMs),
      keepAliveTimeoutMs: positive(
        'keepAliveTimeout',
        options.keepAliveTimeout,
        clientDefaults.keepAliveTimeoutMs,
      ),
      lookup: options.lookup,
      maxRequestsPerConnection: nonNegativeInteger(
        'maxRequestsPerConnection',
        options.maxRequestsPerConnection,
        0,
      ),
      maxResponseSize: responseLimit(options.maxResponseSize),
    },
    totalTimeoutMs: timeouts.total === undefined ? undefined : positive('timeouts.total', timeouts.total, 0),
    retry: retryPolicy,
    headers: options.headers,
    hooks: options.hooks ?? {},
    minForcedRefreshIntervalMs: nonNegativeInteger(
      'minForcedRefreshInterval',
      options.minForcedRefreshInterval,
      clientDefaults.minForcedRefreshIntervalMs,
    ),
  };
}
