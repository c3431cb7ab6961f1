import { setTimeout as sleep } from 'node:timers/promises';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Dispatcher } from 'undici';
import { classifyHttpResponse } from '../classify/index.ts';
import { HttpError, type MtlsLinkError, ResponseValidationError } from '../errors/index.ts';
import type { IdentityPool, IdentityTransport } from '../transport/index.ts';
import { bodyText, dispatchBuffered } from './buffered-dispatch.ts';
import type { RetryEvent } from './client-events.ts';
import type { ResolvedClientOptions } from './client-options.ts';
import { Deadline } from './deadline.ts';
import {
  isMiddlewareResponse,
  type Middleware,
  type MiddlewareRequest,
  type MiddlewareResponse,
} from './middleware.ts';
import type { ClientResponse, ParseAs, RequestTimeouts } from './openapi-types.ts';
import type { EncodedBody } from './request-body.ts';
import type { OutgoingHeaders } from './request-target.ts';
import {
  decodeErrorBody,
  decodeText,
  isResponseTooLarge,
  responseTooLarge,
  streamedAnswer,
} from './response-body.ts';
import { backoffDelay, isIdempotent, isRetryableFailure, parseRetryAfter } from './retry-policy.ts';
import { type RequestTraceContext, requestTrace, traceIdentity } from './tracing.ts';

/** A request with its target and body encoded and its options checked. */
export interface PreparedRequest {
  readonly method: string;
  /** Path with base path and query, as sent. */
  readonly path: string;
  readonly headers: OutgoingHeaders | undefined;
  readonly body: EncodedBody;
  readonly signal: AbortSignal | undefined;
  readonly schema: StandardSchemaV1 | undefined;
  readonly timeouts: RequestTimeouts | undefined;
  readonly parseAs: ParseAs | undefined;
}

/** What the retry loop needs from its client. */
export interface SendContext {
  readonly options: ResolvedClientOptions;
  readonly transport: IdentityTransport;
  readonly middleware: readonly Middleware[];
  /** The classifier's reading of a failure (network, TLS, refusal...). */
  classify(
    cause: unknown,
    method: string,
    url: string,
    timeouts: RequestTimeouts | undefined,
    pool?: IdentityPool,
  ): MtlsLinkError;
  emitRetry(event: RetryEvent): void;
  countRetry(afterIdentityRefresh: boolean): void;
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

/** A request that picked the old pool in the instant it was swapped out was never sent. */
function isPoolClosedRace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED';
}

function toHeaders(headers: OutgoingHeaders | undefined): Headers {
  const out = new Headers();
  if (headers === undefined) return out;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') out.set(name, value);
    else for (const item of value ?? []) out.append(name, item);
  }
  return out;
}

function fromHeaders(headers: Headers): OutgoingHeaders | null {
  const out: OutgoingHeaders = {};
  let any = false;
  for (const [name, value] of headers) {
    any = true;
    out[name] = value;
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return any ? out : null;
}

const noMiddleware: readonly Middleware[] = Object.freeze([]);

/** The outcome of one attempt: an answer (any status), or the failure that ended it. */
type Outcome =
  | { readonly kind: 'answer'; readonly response: MiddlewareResponse }
  | { readonly kind: 'failure'; readonly error: MtlsLinkError; readonly retryAfterMs?: number | undefined }
  | { readonly kind: 'pool-race' };

/**
 * One call, traced on `mtls-link:request` when anyone listens (OpenTelemetry, for instance): the
 * retry loop of `run` inside the tracing channel's context.
 */
export function send(context: SendContext, request: PreparedRequest): Promise<ClientResponse<unknown>> {
  if (!requestTrace.hasSubscribers) return run(context, request, undefined);
  const trace: RequestTraceContext = {
    method: request.method,
    url: context.options.origin + request.path,
    attempts: 0,
    retries: 0,
    identityRetried: false,
  };
  return requestTrace.tracePromise(() => run(context, request, trace), trace);
}

/**
 * The retry loop of one call: identity, attempts on the current pool, the identity refresh after
 * a refusal, backoff, all under one deadline; middleware around each attempt.
 */
async function run(
  context: SendContext,
  request: PreparedRequest,
  trace: RequestTraceContext | undefined,
): Promise<ClientResponse<unknown>> {
  const { options, transport } = context;
  // A snapshot: middleware added while the call runs applies from the next call on.
  const middleware = context.middleware.length === 0 ? noMiddleware : [...context.middleware];
  const { method, path } = request;
  const url = options.origin + path;
  const idempotent = isIdempotent(method, request.headers);
  const replayable = request.body.replayable;
  const deadline = Deadline.of(request.signal, request.timeouts?.total ?? options.totalTimeoutMs);
  const signal = deadline.signal;
  const started = performance.now();
  let attempt = 0;
  let retries = 0;
  let identityRetried = false;
  // Without middleware nobody sees the request view: the hot path skips building it.
  const observed = middleware.length > 0;
  let current: MiddlewareRequest | undefined;

  // No closures in this function: a closure would move its locals into a heap context that every
  // call allocates and every access reads through. The failure path gets what it needs passed in.
  const call: CallState = { trace, request, url, started, middleware };

  try {
    for (;;) {
      let pool = transport.pool;
      if (pool === undefined) {
        try {
          pool = await transport.ready(signal);
        } catch (cause) {
          // The identity did not load (secret not found, throttled, client closed): onError sees it too.
          return await fail(
            call,
            current,
            attempt,
            deadline.error('identity', method, url, attempt) ??
              context.classify(cause, method, url, request.timeouts),
          );
        }
      }
      current = observed ? requestView(request, url, attempt, started) : undefined;
      if (trace !== undefined) {
        trace.attempts = attempt + 1;
        const identity = traceIdentity(pool.identity);
        if (identity !== undefined) trace.identity = identity;
      }
      for (const step of middleware)
        if (step.onRequest !== undefined) await step.onRequest({ request: current as MiddlewareRequest });

      // The attempt itself, inline: an async helper would cost every call one more promise.
      let outcome: Outcome;
      try {
        const { parseAs } = request;
        const dispatch = dispatchOptions(request, current, context);
        // Every mode but `stream` reads the body whole: through one handler, without a stream per call.
        const answer =
          parseAs === 'stream'
            ? await streamedAnswer(pool.agent, dispatch, signal)
            : await dispatchBuffered(pool.agent, dispatch, signal);
        const { statusCode: status, headers } = answer;
        if (status >= 200 && status < 300) {
          const data =
            parseAs === 'stream'
              ? answer.stream
              : parseAs === 'bytes'
                ? new Uint8Array(answer.body)
                : decodeText(bodyText(answer.body), headers, parseAs, method, url);
          // Nothing to run on a success without middleware or schema: answer at once.
          if (!observed && request.schema === undefined) {
            if (trace !== undefined) trace.status = status;
            return { data, status, headers };
          }
          outcome = { kind: 'answer', response: { status, headers, data } };
        } else {
          const { text, data } = decodeErrorBody(answer.body, headers, parseAs);
          outcome = {
            kind: 'answer',
            response: { status, headers, data, [rawText]: text } as MiddlewareResponse,
          };
        }
      } catch (cause) {
        outcome = failureOutcome(cause, pool, request, url, context);
      }
      if (outcome.kind === 'pool-race' && transport.pool !== pool && !transport.closed) continue;
      let error: MtlsLinkError;
      let retryAfterMs: number | undefined;
      if (outcome.kind === 'answer') {
        let response = outcome.response;
        for (let i = middleware.length - 1; i >= 0; i -= 1) {
          const onResponse = middleware[i]?.onResponse;
          if (onResponse === undefined) continue;
          const replaced = await onResponse({ request: current as MiddlewareRequest, response });
          if (isMiddlewareResponse(replaced)) response = replaced;
        }
        const { status, headers } = response;
        if (status >= 200 && status < 300) {
          let data = response.data;
          try {
            if (request.schema !== undefined) data = await validate(request.schema, data, method, url);
          } catch (failure) {
            return await fail(call, current, attempt, failure as MtlsLinkError);
          }
          if (trace !== undefined) trace.status = status;
          return { data, status, headers };
        }
        error = httpFailure(response, method, url);
        retryAfterMs = parseRetryAfter(headers['retry-after']);
      } else if (outcome.kind === 'failure') {
        const fired = deadline.error('attempt', method, url, attempt);
        if (fired !== undefined) return await fail(call, current, attempt, fired);
        error = outcome.error;
      } else {
        error = context.classify(new Error('the connection pool closed'), method, url, request.timeouts);
      }

      if (error.code === 'MTLS_REJECTED' && !transport.closed) {
        if (idempotent && replayable && !identityRetried) {
          identityRetried = true;
          let recovered: boolean;
          try {
            recovered = await transport.recoverFromRejection(pool.fingerprint256, signal);
          } catch {
            return await fail(
              call,
              current,
              attempt,
              deadline.error('forced-refresh', method, url, attempt) ?? error,
            );
          }
          if (recovered) {
            attempt += 1;
            context.countRetry(true);
            if (trace !== undefined) trace.identityRetried = true;
            context.emitRetry({ method, url, retry: attempt, delayMs: 0, error, afterIdentityRefresh: true });
            continue;
          }
        } else if (!idempotent || !replayable) {
          // Not retried (it may have reached the server), but the next requests get a fresh identity.
          void transport.recoverFromRejection(pool.fingerprint256);
        }
      }
      if (
        idempotent &&
        replayable &&
        retries < options.retry.attempts &&
        isRetryableFailure(error) &&
        !transport.closed
      ) {
        const delayMs = retryAfterMs ?? backoffDelay(options.retry, retries);
        if (performance.now() - started + delayMs <= options.retry.maxElapsedMs) {
          retries += 1;
          attempt += 1;
          context.countRetry(false);
          if (trace !== undefined) trace.retries = retries;
          context.emitRetry({ method, url, retry: attempt, delayMs, error, afterIdentityRefresh: false });
          try {
            await sleep(delayMs, undefined, signal === undefined ? {} : { signal });
          } catch (cause) {
            return await fail(
              call,
              current,
              attempt,
              deadline.error('backoff', method, url, attempt) ??
                context.classify(cause, method, url, request.timeouts),
            );
          }
          continue;
        }
      }
      return await fail(call, current, attempt, error);
    }
  } finally {
    deadline.dispose();
  }
}

/** What the failure path of a call needs: its trace, request and middleware. */
interface CallState {
  readonly trace: RequestTraceContext | undefined;
  readonly request: PreparedRequest;
  readonly url: string;
  readonly started: number;
  readonly middleware: readonly Middleware[];
}

/** The end of a failed call: the trace learns the error, then middleware may recover or replace it. */
async function fail(
  call: CallState,
  current: MiddlewareRequest | undefined,
  attempt: number,
  error: MtlsLinkError,
): Promise<ClientResponse<unknown>> {
  const { trace, middleware } = call;
  if (trace !== undefined) {
    trace.code = error.code;
    trace.hop = error.hop;
    if (error instanceof HttpError) trace.status = error.status;
  }
  if (middleware.length === 0) throw error;
  // A failure while waiting for the next attempt belongs to that attempt.
  const view =
    current?.attempt === attempt ? current : requestView(call.request, call.url, attempt, call.started);
  let thrown: Error = error;
  for (let i = middleware.length - 1; i >= 0; i -= 1) {
    const onError = middleware[i]?.onError;
    if (onError === undefined) continue;
    const answer = await onError({ request: view, error });
    if (isMiddlewareResponse(answer))
      return { data: answer.data, status: answer.status, headers: answer.headers };
    if (answer instanceof Error) thrown = answer;
  }
  throw thrown;
}

function requestView(
  request: PreparedRequest,
  url: string,
  attempt: number,
  startedAt: number,
): MiddlewareRequest {
  const body = request.body.body;
  return {
    method: request.method,
    url,
    headers: toHeaders(request.headers),
    body: typeof body === 'string' || body instanceof Uint8Array || body instanceof Blob ? body : undefined,
    attempt,
    startedAt,
  };
}

/** The undici options of one attempt: the request as prepared, or as middleware left it. */
function dispatchOptions(
  request: PreparedRequest,
  view: MiddlewareRequest | undefined,
  context: SendContext,
): Dispatcher.DispatchOptions {
  const dispatch: Dispatcher.DispatchOptions = {
    origin: context.options.origin,
    path: request.path,
    method: request.method as Dispatcher.HttpMethod,
    headers: view === undefined ? (request.headers ?? null) : fromHeaders(view.headers),
    // undici sends Blobs as they are; its types leave them out.
    body: (request.body.body ?? null) as string | Uint8Array | null,
  };
  if (request.timeouts?.headers !== undefined) dispatch.headersTimeout = request.timeouts.headers;
  if (request.timeouts?.body !== undefined) dispatch.bodyTimeout = request.timeouts.body;
  return dispatch;
}

/** How an attempt that threw ended: the pool swapped under it, a body too large, or a failure. */
function failureOutcome(
  cause: unknown,
  pool: IdentityPool,
  request: PreparedRequest,
  url: string,
  context: SendContext,
): Outcome {
  const { method } = request;
  if (isPoolClosedRace(cause)) return { kind: 'pool-race' };
  if (isResponseTooLarge(cause))
    return {
      kind: 'failure',
      error: responseTooLarge(method, url, context.options.pool.maxResponseSize, cause),
    };
  if ((cause as MtlsLinkError)?.code === 'RESPONSE_VALIDATION_FAILED')
    return { kind: 'failure', error: cause as MtlsLinkError };
  return { kind: 'failure', error: context.classify(cause, method, url, request.timeouts, pool) };
}

// The error body's text travels with the response (middleware replacing it loses it, as it should).
const rawText = Symbol('raw error body text');

/**
 * The classifier's reading of an error answer: an HttpError carrying the headers and parsed body,
 * or (a terminator's certificate-refusal page) the refusal itself, which the loop above handles.
 */
function httpFailure(response: MiddlewareResponse, method: string, url: string): MtlsLinkError {
  const given = (response as { [rawText]?: string })[rawText];
  const text =
    given ?? (typeof response.data === 'string' ? response.data : (JSON.stringify(response.data) ?? ''));
  const classified = classifyHttpResponse({
    status: response.status,
    method,
    url,
    headers: response.headers,
    body: text,
  });
  if (!(classified instanceof HttpError)) return classified;
  return new HttpError(
    classified.code,
    classified.message,
    {
      status: classified.status,
      method,
      url,
      body: classified.body,
      ...(classified.errorType === undefined ? {} : { errorType: classified.errorType }),
      ...(classified.requestId === undefined ? {} : { requestId: classified.requestId }),
      headers: response.headers,
      data: response.data,
    },
    { hint: classified.hint, details: classified.details },
  );
}
