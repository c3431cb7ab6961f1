import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Dispatcher } from 'undici';
import { classifyFailure, classifyHttpResponse } from '../classify/index.ts';
import { type MtlsLinkError, ResponseValidationError } from '../errors/index.ts';
import { TypedEmitter } from '../identity/lifecycle/events.ts';
import { connectionFactsOf, IdentityTransport, isIdentityProvider } from '../transport/index.ts';
import type { ClientEvents, RetryEvent } from './client-events.ts';
import {
  type ClientOptions,
  type RequestInfo,
  type ResolvedClientOptions,
  resolveClientOptions,
} from './client-options.ts';
import type {
  ClientResponse,
  HeadersInit,
  MethodHelper,
  QueryValue,
  RequestTimeouts,
  UntypedPaths,
} from './openapi-types.ts';
import { encodeBody, fillPathTemplate, mergeHeaders, queryString } from './request-target.ts';
import { backoffDelay, isIdempotent, isRetryableFailure, parseRetryAfter } from './retry-policy.ts';

export interface UntypedRequest<S extends StandardSchemaV1 | undefined = undefined> {
  readonly method: string;
  /** Path below baseUrl, e.g. `/widgets/1`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly headers?: HeadersInit;
  /** Strings and bytes are sent as they are, anything else as JSON. */
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  readonly timeouts?: RequestTimeouts;
  readonly schema?: S;
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

export interface Client<Paths = UntypedPaths> {
  readonly GET: MethodHelper<Paths, 'get'>;
  readonly POST: MethodHelper<Paths, 'post'>;
  readonly PUT: MethodHelper<Paths, 'put'>;
  readonly PATCH: MethodHelper<Paths, 'patch'>;
  readonly DELETE: MethodHelper<Paths, 'delete'>;
  readonly HEAD: MethodHelper<Paths, 'head'>;
  readonly OPTIONS: MethodHelper<Paths, 'options'>;
  /** Any method and path; `data` is the schema's output, or `unknown` without one. */
  request<S extends StandardSchemaV1 | undefined = undefined>(
    request: UntypedRequest<S>,
  ): Promise<ClientResponse<S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown>>;
  on<E extends keyof ClientEvents>(event: E, listener: (event: ClientEvents[E]) => void): () => void;
  stats(): ClientStats;
  /** Waits for in-flight requests, then closes every connection. The identity provider stays open. */
  close(): Promise<void>;
}

interface PreparedRequest {
  readonly method: string;
  /** Path with base path and query, as sent. */
  readonly path: string;
  readonly headers: Record<string, string | string[]> | undefined;
  readonly body: string | Uint8Array | undefined;
  readonly signal: AbortSignal | undefined;
  readonly schema: StandardSchemaV1 | undefined;
  readonly timeouts: RequestTimeouts | undefined;
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
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function validate(
  schema: StandardSchemaV1,
  value: unknown,
  method: string,
  url: string,
): Promise<unknown> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues === undefined) return result.value;
  const issues = result.issues.slice(0, 5).map((issue) => {
    const path = issue.path?.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.');
    return path === undefined || path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  throw new ResponseValidationError(
    'RESPONSE_VALIDATION_FAILED',
    `${method} ${url}: the response body does not match the schema (${issues.join('; ')})`,
    { details: { method, url, issues: result.issues.length, vendor: schema['~standard'].vendor } },
  );
}

class MtlsClient {
  readonly #options: ResolvedClientOptions;
  readonly #transport: IdentityTransport;
  readonly #events = new TypedEmitter<ClientEvents>();
  readonly #unsubscribe: (() => void)[] = [];
  #retries = 0;
  #identityRetries = 0;

  constructor(options: ClientOptions) {
    this.#options = resolveClientOptions(options);
    const events = this.#events;
    this.#transport = new IdentityTransport(this.#options.identity, this.#options.pool, {
      minForcedRefreshIntervalMs: this.#options.minForcedRefreshIntervalMs,
      onSwap: (event) => events.emit('pool-swap', event),
    });
    const identity = this.#options.identity;
    if (isIdentityProvider(identity)) {
      this.#unsubscribe.push(
        identity.on('refresh', (event) => events.emit('identity-refresh', event)),
        identity.on('refresh-failed', (event) => events.emit('identity-refresh-failed', event)),
        identity.on('expiry-warning', (event) => events.emit('expiry-warning', event)),
      );
    }
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

  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    await this.#transport.close();
  }

  operation(
    method: string,
    template: string,
    options: OperationOptions | undefined,
  ): Promise<ClientResponse<unknown>> {
    const params = options?.params;
    let path: string;
    let encoded: ReturnType<typeof encodeBody>;
    try {
      path = fillPathTemplate(template, params?.path);
      encoded = encodeBody(options?.body);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send({
      method,
      path: this.#options.basePath + path + queryString(params?.query),
      headers: mergeHeaders(this.#options.headers, params?.header, options?.headers, encoded.contentType),
      body: encoded.body,
      signal: options?.signal,
      schema: options?.schema,
      timeouts: options?.timeouts,
    });
  }

  request(request: UntypedRequest<StandardSchemaV1 | undefined>): Promise<ClientResponse<unknown>> {
    let encoded: ReturnType<typeof encodeBody>;
    try {
      encoded = encodeBody(request.body);
    } catch (error) {
      return Promise.reject(error);
    }
    const path = request.path.startsWith('/') ? request.path : `/${request.path}`;
    let query = queryString(request.query);
    // An untyped path may carry its own query string already.
    if (query !== '' && path.includes('?')) query = `&${query.slice(1)}`;
    return this.send({
      method: request.method.toUpperCase(),
      path: this.#options.basePath + path + query,
      headers: mergeHeaders(this.#options.headers, undefined, request.headers, encoded.contentType),
      body: encoded.body,
      signal: request.signal,
      schema: request.schema,
      timeouts: request.timeouts,
    });
  }

  async send(request: PreparedRequest): Promise<ClientResponse<unknown>> {
    const options = this.#options;
    const transport = this.#transport;
    const hooks = options.hooks;
    const { method, path } = request;
    const url = options.origin + path;
    const idempotent = isIdempotent(method, request.headers);
    const total = request.timeouts?.total ?? options.totalTimeoutMs;
    let signal = request.signal;
    let totalTimer: NodeJS.Timeout | undefined;
    let totalTimedOut = false;
    if (total !== undefined) {
      const controller = new AbortController();
      totalTimer = setTimeout(() => {
        totalTimedOut = true;
        controller.abort();
      }, total);
      signal = signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
    }
    const dispatch: Dispatcher.RequestOptions = {
      origin: options.origin,
      path,
      method: method as Dispatcher.HttpMethod,
      headers: request.headers ?? null,
      body: request.body ?? null,
      signal: signal ?? null,
    };
    if (request.timeouts?.headers !== undefined) dispatch.headersTimeout = request.timeouts.headers;
    if (request.timeouts?.body !== undefined) dispatch.bodyTimeout = request.timeouts.body;

    const started = hooks.onResponse !== undefined || options.retry.attempts > 0 ? performance.now() : 0;
    let attempt = 0;
    let retries = 0;
    let identityRetried = false;
    try {
      for (;;) {
        let pool = transport.pool;
        if (pool === undefined) {
          try {
            pool = await transport.ready();
          } catch (cause) {
            // The identity did not load (secret not found, throttled, client closed): onError sees it too.
            throw this.#failed(this.#classify(cause, method, url, request.timeouts, totalTimedOut, signal), {
              method,
              url,
              attempt,
            });
          }
        }
        if (hooks.onRequest !== undefined) observe(hooks.onRequest, { method, url, attempt });
        let error: MtlsLinkError;
        let retryAfterMs: number | undefined;
        try {
          const response = await pool.agent.request(dispatch);
          const status = response.statusCode;
          if (status >= 200 && status < 300) {
            const text = await response.body.text();
            let data: unknown;
            if (text !== '') {
              const type = response.headers['content-type'];
              data = typeof type === 'string' && type.includes('json') ? parseJson(text, method, url) : text;
            }
            if (request.schema !== undefined) data = await validate(request.schema, data, method, url);
            if (hooks.onResponse !== undefined) {
              observe(hooks.onResponse, {
                method,
                url,
                attempt,
                status,
                durationMs: performance.now() - started,
              });
            }
            return { data, status, headers: response.headers };
          }
          const body = await response.body.text();
          error = classifyHttpResponse({ status, method, url, headers: response.headers, body });
          retryAfterMs = parseRetryAfter(response.headers['retry-after']);
        } catch (cause) {
          if (isPoolClosedRace(cause) && transport.pool !== pool && !transport.closed) continue;
          error = this.#classify(cause, method, url, request.timeouts, totalTimedOut, signal);
        }

        if (error.code === 'MTLS_REJECTED' && !transport.closed) {
          if (idempotent && !identityRetried) {
            identityRetried = true;
            if (await transport.recoverFromRejection(pool.fingerprint256)) {
              this.#identityRetries += 1;
              attempt += 1;
              this.#emitRetry({ method, url, retry: attempt, delayMs: 0, error, afterIdentityRefresh: true });
              continue;
            }
          } else if (!idempotent) {
            // Not retried (it may have reached the server), but the next requests get a fresh identity.
            void transport.recoverFromRejection(pool.fingerprint256);
          }
        }
        if (
          idempotent &&
          retries < options.retry.attempts &&
          isRetryableFailure(error) &&
          !transport.closed
        ) {
          const delayMs = retryAfterMs ?? backoffDelay(options.retry, retries);
          if (performance.now() - started + delayMs <= options.retry.maxElapsedMs) {
            retries += 1;
            attempt += 1;
            this.#retries += 1;
            this.#emitRetry({ method, url, retry: attempt, delayMs, error, afterIdentityRefresh: false });
            try {
              await sleep(delayMs, signal);
            } catch (cause) {
              throw this.#failed(
                this.#classify(cause, method, url, request.timeouts, totalTimedOut, signal),
                { method, url, attempt },
              );
            }
            continue;
          }
        }
        throw this.#failed(error, { method, url, attempt });
      }
    } finally {
      if (totalTimer !== undefined) clearTimeout(totalTimer);
    }
  }

  /** Every failure a caller gets passes here, so `onError` sees each one. */
  #failed(error: MtlsLinkError, info: RequestInfo): MtlsLinkError {
    const onError = this.#options.hooks.onError;
    if (onError !== undefined) observe((e: MtlsLinkError) => onError(e, info), error);
    return error;
  }

  #emitRetry(event: RetryEvent): void {
    const onRetry = this.#options.hooks.onRetry;
    if (onRetry !== undefined) observe(onRetry, event);
    this.#events.emit('retry', event);
  }

  #classify(
    cause: unknown,
    method: string,
    url: string,
    timeouts: RequestTimeouts | undefined,
    totalTimedOut: boolean,
    signal: AbortSignal | undefined,
  ): MtlsLinkError {
    const options = this.#options;
    const facts = connectionFactsOf(cause);
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
      totalTimedOut,
      aborted: signal?.aborted === true,
      ...facts,
    });
  }
}

/** Hooks observe; one that throws must not fail the request it watched. */
function observe<T>(hook: (value: T) => void, value: T): void {
  try {
    hook(value);
  } catch {
    // Deliberately ignored, as the event emitter does.
  }
}

function parseJson(text: string, method: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ResponseValidationError(
      'RESPONSE_VALIDATION_FAILED',
      `${method} ${url}: the response is not valid JSON`,
      {
        cause,
        details: { method, url },
      },
    );
  }
}

/** A request that picked the old pool in the instant it was swapped out was never sent. */
function isPoolClosedRace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED';
}

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

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
  const api: Record<string, unknown> = {
    request: (request: UntypedRequest<StandardSchemaV1 | undefined>) => client.request(request),
    on: <E extends keyof ClientEvents>(event: E, listener: (event: ClientEvents[E]) => void) =>
      client.on(event, listener),
    stats: () => client.stats(),
    close: () => client.close(),
  };
  for (const name of methods) {
    api[name] = (path: string, init?: OperationOptions) => client.operation(name, path, init);
  }
  return api as unknown as Client<Paths>;
}
