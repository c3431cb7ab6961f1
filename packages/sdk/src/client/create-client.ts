import { channel } from 'node:diagnostics_channel';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { classifyFailure } from '../classify/index.ts';
import { ConfigError, isMtlsLinkError, type MtlsLinkError } from '../errors/index.ts';
import { TypedEmitter } from '../identity/lifecycle/events.ts';
import {
  type ConnectionFacts,
  connectionFactsOf,
  type IdentityPool,
  IdentityTransport,
  isIdentityProvider,
} from '../transport/index.ts';
import type { ClientEvents, RetryEvent } from './client-events.ts';
import { type ClientOptions, type ResolvedClientOptions, resolveClientOptions } from './client-options.ts';
import { hooksMiddleware, type Middleware, observe } from './middleware.ts';
import type {
  ClientResponse,
  HeadersInit,
  MethodHelper,
  ParseAs,
  ParsedAs,
  QueryValue,
  RequestTimeouts,
  UntypedPaths,
} from './openapi-types.ts';
import { type EncodedBody, encodeRequestBody } from './request-body.ts';
import { fillPathTemplate, mergeHeaders, queryString } from './request-target.ts';
import { checkRequestOptions, clientMethods } from './request-validation.ts';
import { type PreparedRequest, type SendContext, send } from './send.ts';
import { POOL_SWAP_CHANNEL, RETRY_CHANNEL } from './tracing.ts';

export interface UntypedRequest<
  S extends StandardSchemaV1 | undefined = undefined,
  A extends ParseAs | undefined = undefined,
> {
  readonly method: string;
  /** Path below baseUrl, e.g. `/widgets/1`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly headers?: HeadersInit;
  /**
   * string, bytes (Uint8Array, ArrayBuffer, any typed array), Blob, URLSearchParams, FormData,
   * ReadableStream or an async iterable (streamed, never retried); anything else is sent as JSON.
   */
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  readonly timeouts?: RequestTimeouts;
  readonly schema?: S;
  readonly parseAs?: A;
}

export interface ClientStats {
  /** Retries after transient failures (backoff). */
  readonly retries: number;
  /** Retries with a new identity after the server refused the old one. */
  readonly identityRetries: number;
  /** Forced identity refreshes after a refusal. */
  readonly forcedRefreshes: number;
  /** Pools built for a new identity after the first. */
  readonly poolSwaps: number;
}

export interface CloseOptions {
  /** Requests still in flight after this long are cut off (their connections destroyed). @default wait for them */
  readonly timeoutMs?: number;
}

export interface Client<Paths = UntypedPaths> {
  readonly GET: MethodHelper<Paths, 'get'>;
  readonly POST: MethodHelper<Paths, 'post'>;
  readonly PUT: MethodHelper<Paths, 'put'>;
  readonly PATCH: MethodHelper<Paths, 'patch'>;
  readonly DELETE: MethodHelper<Paths, 'delete'>;
  readonly HEAD: MethodHelper<Paths, 'head'>;
  readonly OPTIONS: MethodHelper<Paths, 'options'>;
  /** Any method and path; `data` is the schema's output, or `unknown` without one. */
  request<S extends StandardSchemaV1 | undefined = undefined, A extends ParseAs | undefined = undefined>(
    request: UntypedRequest<S, A>,
  ): Promise<
    ClientResponse<S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : ParsedAs<A, unknown>>
  >;
  /** Adds middleware (see `Middleware`); returns the function that removes it again. */
  use(middleware: Middleware): () => void;
  on<E extends keyof ClientEvents>(event: E, listener: (event: ClientEvents[E]) => void): () => void;
  stats(): ClientStats;
  /**
   * Loads the identity and opens a connection to the API now, so that the first request does not
   * pay for either (call it in the Lambda init phase, at module scope). Rejects with the typed
   * error a request would get (secret, identity, DNS, TCP, TLS).
   */
  ready(options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Waits for in-flight requests, then closes every connection; with `timeoutMs`, requests still
   * running then are cut off. Requests after close() fail with CLIENT_CLOSED. The identity provider
   * stays open.
   */
  close(options?: CloseOptions): Promise<void>;
  /** `await using api = createClient(...)` closes the client at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface OperationOptions {
  readonly params?: {
    readonly path?: Readonly<Record<string, unknown>>;
    readonly query?: Readonly<Record<string, QueryValue>>;
    readonly header?: HeadersInit;
  };
  readonly body?: unknown;
  readonly headers?: HeadersInit;
  readonly signal?: AbortSignal;
  readonly timeouts?: RequestTimeouts;
  readonly schema?: StandardSchemaV1;
  readonly parseAs?: ParseAs;
}

interface RequestParts {
  readonly method: string;
  readonly path: string;
  readonly headers: ReturnType<typeof mergeHeaders>;
  readonly body: unknown;
  readonly signal: AbortSignal | undefined;
  readonly timeouts: RequestTimeouts | undefined;
  readonly schema: StandardSchemaV1 | undefined;
  readonly parseAs: ParseAs | undefined;
}

class MtlsClient {
  readonly #options: ResolvedClientOptions;
  readonly #transport: IdentityTransport;
  readonly #events = new TypedEmitter<ClientEvents>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #middleware: Middleware[] = [];
  readonly #context: SendContext;
  #retries = 0;
  #identityRetries = 0;

  constructor(options: ClientOptions) {
    this.#options = resolveClientOptions(options);
    const events = this.#events;
    this.#transport = new IdentityTransport(this.#options.identity, this.#options.pool, {
      minForcedRefreshIntervalMs: this.#options.minForcedRefreshIntervalMs,
      onSwap: (event) => {
        events.emit('pool-swap', event);
        if (poolSwapChannel.hasSubscribers) poolSwapChannel.publish(event);
      },
    });
    const identity = this.#options.identity;
    if (isIdentityProvider(identity)) {
      this.#unsubscribe.push(
        identity.on('refresh', (event) => events.emit('identity-refresh', event)),
        identity.on('refresh-failed', (event) => events.emit('identity-refresh-failed', event)),
        identity.on('expiry-warning', (event) => events.emit('expiry-warning', event)),
      );
    }
    const hooks = this.#options.hooks;
    if (hooks.onRequest !== undefined || hooks.onResponse !== undefined || hooks.onError !== undefined) {
      // The observe-only hooks are the first middleware: they see the request as the caller made
      // it and the response as the caller gets it.
      this.#middleware.push(hooksMiddleware(hooks));
    }
    for (const middleware of options.middleware ?? []) this.use(middleware);
    this.#context = {
      options: this.#options,
      transport: this.#transport,
      middleware: this.#middleware,
      classify: (cause, method, url, timeouts, pool) => this.#classify(cause, method, url, timeouts, pool),
      emitRetry: (event) => this.#emitRetry(event),
      countRetry: (afterIdentityRefresh) => {
        if (afterIdentityRefresh) this.#identityRetries += 1;
        else this.#retries += 1;
      },
    };
  }

  use(middleware: Middleware): () => void {
    if (typeof middleware !== 'object' || middleware === null) {
      throw new ConfigError(
        'CONFIG_INVALID',
        'use(): middleware must be an object with onRequest, onResponse or onError',
        {
          details: { option: 'middleware' },
        },
      );
    }
    for (const name of ['onRequest', 'onResponse', 'onError'] as const) {
      if (middleware[name] !== undefined && typeof middleware[name] !== 'function') {
        throw new ConfigError('CONFIG_INVALID', `use(): middleware.${name} must be a function`, {
          details: { option: `middleware.${name}` },
        });
      }
    }
    this.#middleware.push(middleware);
    return () => {
      const index = this.#middleware.indexOf(middleware);
      if (index !== -1) this.#middleware.splice(index, 1);
    };
  }

  on<E extends keyof ClientEvents>(event: E, listener: (event: ClientEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  stats(): ClientStats {
    return {
      retries: this.#retries,
      identityRetries: this.#identityRetries,
      forcedRefreshes: this.#transport.forcedRefreshes,
      poolSwaps: this.#transport.swaps,
    };
  }

  async ready(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new ConfigError('CONFIG_INVALID', 'ready(): option signal must be an AbortSignal', {
        details: { option: 'signal' },
      });
    }
    const { origin, host, port } = this.#options;
    try {
      const pool = await this.#transport.ready(signal);
      await pool.preconnect(host, port);
    } catch (cause) {
      if (isMtlsLinkError(cause)) throw cause;
      if (signal?.aborted === true) throw cause;
      throw this.#classify(cause, 'CONNECT', origin, undefined);
    }
  }

  async close(options: CloseOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `close(): option timeoutMs must be a non-negative number, got ${String(timeoutMs)}`,
        {
          details: { option: 'timeoutMs' },
        },
      );
    }
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    await this.#transport.close(timeoutMs);
  }

  operation(
    method: string,
    template: string,
    options: OperationOptions | undefined,
  ): Promise<ClientResponse<unknown>> {
    let path: string;
    try {
      path = fillPathTemplate(template, options?.params?.path);
    } catch (error) {
      return Promise.reject(error);
    }
    const params = options?.params;
    return this.#prepareAndSend({
      method,
      path: this.#options.basePath + path + queryString(params?.query),
      headers: mergeHeaders(this.#options.headers, params?.header, options?.headers, undefined),
      body: options?.body,
      signal: options?.signal,
      schema: options?.schema,
      timeouts: options?.timeouts,
      parseAs: options?.parseAs,
    });
  }

  request(
    request: UntypedRequest<StandardSchemaV1 | undefined, ParseAs | undefined>,
  ): Promise<ClientResponse<unknown>> {
    if (typeof request !== 'object' || request === null) {
      return Promise.reject(
        new ConfigError('CONFIG_INVALID', 'request(): the argument must be an object { method, path, ... }', {
          details: { option: 'request' },
        }),
      );
    }
    const givenPath = typeof request.path === 'string' ? request.path : String(request.path);
    const path = givenPath.startsWith('/') ? givenPath : `/${givenPath}`;
    let query = queryString(request.query);
    // An untyped path may carry its own query string already.
    if (query !== '' && path.includes('?')) query = `&${query.slice(1)}`;
    return this.#prepareAndSend({
      method: typeof request.method === 'string' ? request.method.toUpperCase() : String(request.method),
      path: this.#options.basePath + path + query,
      headers: mergeHeaders(this.#options.headers, undefined, request.headers, undefined),
      body: request.body,
      signal: request.signal,
      schema: request.schema,
      timeouts: request.timeouts,
      parseAs: request.parseAs,
    });
  }

  /** Not async: the common bodies encode synchronously, and the call costs no extra promise. */
  #prepareAndSend(parts: RequestParts): Promise<ClientResponse<unknown>> {
    let encoded: ReturnType<typeof encodeRequestBody>;
    try {
      checkRequestOptions(parts);
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      encoded = encodeRequestBody(parts.body);
    } catch (cause) {
      return Promise.reject(bodyNotEncoded(cause));
    }
    // Only FormData encodes asynchronously.
    if (encoded instanceof Promise) {
      return encoded.then(
        (body) => this.#send(parts, body),
        (cause: unknown) => Promise.reject(bodyNotEncoded(cause)),
      );
    }
    return this.#send(parts, encoded);
  }

  #send(parts: RequestParts, body: EncodedBody): Promise<ClientResponse<unknown>> {
    let headers = parts.headers;
    if (body.contentType !== undefined && headers?.['content-type'] === undefined) {
      headers = { ...headers, 'content-type': body.contentType };
    }
    const prepared: PreparedRequest = {
      method: parts.method,
      path: parts.path,
      headers,
      body,
      signal: parts.signal,
      schema: parts.schema,
      timeouts: parts.timeouts,
      parseAs: parts.parseAs,
    };
    return send(this.#context, prepared);
  }

  #emitRetry(event: RetryEvent): void {
    const onRetry = this.#options.hooks.onRetry;
    if (onRetry !== undefined) observe(onRetry, event);
    this.#events.emit('retry', event);
    if (retryChannel.hasSubscribers) retryChannel.publish(event);
  }

  #classify(
    cause: unknown,
    method: string,
    url: string,
    timeouts: RequestTimeouts | undefined,
    pool?: IdentityPool,
  ): MtlsLinkError {
    if (isMtlsLinkError(cause)) return cause;
    const options = this.#options;
    const facts = connectionFactsOf(cause) ?? (pool === undefined ? undefined : unconfirmedConnection(pool));
    return classifyFailure(cause, {
      host: options.host,
      port: options.port,
      servername: options.servername,
      method,
      url,
      timeouts: {
        connect: options.pool.connectTimeoutMs,
        headers: timeouts?.headers ?? options.pool.headersTimeoutMs,
        body: timeouts?.body ?? options.pool.bodyTimeoutMs,
        total: timeouts?.total ?? options.totalTimeoutMs,
      },
      ...facts,
    });
  }
}

/**
 * HTTP/2 stream deadlines fail the request, not the socket, so their error carries no connection
 * facts. The request ran on one of the pool's open connections: when one of them has shown no
 * evidence of acceptance, its facts stand for the request (so a headers timeout says it may be a
 * refusal held back); otherwise the facts of an accepted one.
 */
function unconfirmedConnection(pool: IdentityPool): ConnectionFacts | undefined {
  const open = pool.openConnections().filter((c) => c.alpnProtocol === 'h2');
  return open.find((c) => c.acceptedBy === undefined) ?? open[0];
}

function bodyNotEncoded(cause: unknown): ConfigError {
  return new ConfigError(
    'CONFIG_INVALID',
    `request option body cannot be encoded: ${(cause as Error)?.message ?? String(cause)}`,
    { cause, details: { option: 'body' } },
  );
}

const retryChannel = channel(RETRY_CHANNEL);
const poolSwapChannel = channel(POOL_SWAP_CHANNEL);

/**
 * A typed mTLS client over undici. Non-2xx answers and failures throw an `MtlsLinkError` subclass
 * (`HttpError`, `ClientCertificateRejectedError`, `ConnectionError`, `TimeoutError`...), so a
 * caller handles network and HTTP failures in one place and `data` is always the success type.
 *
 * @example
 * const api = createClient<paths>({ baseUrl: 'https://api.example.com', identity: fromSecretsManager({ secretId }) });
 * const { data } = await api.GET('/widgets/{id}', { params: { path: { id: '1' } } });
 */
export function createClient<Paths extends object = UntypedPaths>(options: ClientOptions): Client<Paths> {
  const client = new MtlsClient(options);
  const api: Record<string | symbol, unknown> = {
    request: (request: UntypedRequest<StandardSchemaV1 | undefined, ParseAs | undefined>) =>
      client.request(request),
    use: (middleware: Middleware) => client.use(middleware),
    on: <E extends keyof ClientEvents>(event: E, listener: (event: ClientEvents[E]) => void) =>
      client.on(event, listener),
    stats: () => client.stats(),
    ready: (readyOptions?: { signal?: AbortSignal }) => client.ready(readyOptions),
    close: (closeOptions?: CloseOptions) => client.close(closeOptions),
    [Symbol.asyncDispose]: () => client.close(),
  };
  for (const name of clientMethods) {
    api[name] = (path: string, init?: OperationOptions) => client.operation(name, path, init);
  }
  return api as unknown as Client<Paths>;
}
