import type { HttpHeaders, MtlsLinkError } from '../errors/index.ts';
import type { ClientHooks } from './client-options.ts';

/** The request as middleware sees it, once per attempt. */
export interface MiddlewareRequest {
  readonly method: string;
  /** Origin, base path, path and query, as sent. */
  readonly url: string;
  /** Change them here (add a signature, a trace header): what is in it when onRequest returns is sent. */
  readonly headers: Headers;
  /** The encoded body for signing: text or bytes, a Blob, or undefined (none, or a stream read once). */
  readonly body: string | Uint8Array | Blob | undefined;
  /** 0 for the first attempt. */
  readonly attempt: number;
  /** When the call started (`performance.now()`), for durations across attempts. */
  readonly startedAt: number;
}

/** A response after decoding (`data` as `parseAs` read it); middleware may return another. */
export interface MiddlewareResponse {
  readonly status: number;
  readonly headers: HttpHeaders;
  readonly data: unknown;
}

/**
 * Middleware in the manner of openapi-fetch's `client.use()` and ky's hooks. `onRequest` runs before
 * each attempt in the order of `use()`; `onResponse` after each answer, in reverse order, and may
 * return a replacement (a 2xx replacement succeeds, anything else fails as an HttpError); `onError`
 * runs once on the failure the caller would get, in reverse order, and may return a response to
 * resolve with or an error to throw instead. A middleware that throws fails the request with what
 * it threw.
 */
export interface Middleware {
  onRequest?(context: { readonly request: MiddlewareRequest }): void | Promise<void>;
  onResponse?(context: {
    readonly request: MiddlewareRequest;
    readonly response: MiddlewareResponse;
  }): MiddlewareResponse | undefined | Promise<MiddlewareResponse | undefined>;
  onError?(context: {
    readonly request: MiddlewareRequest;
    readonly error: MtlsLinkError;
  }): MiddlewareResponse | Error | undefined | Promise<MiddlewareResponse | Error | undefined>;
}

/** Hooks observe; one that throws must not fail the request it watched. */
export function observe<T>(hook: (value: T) => void, value: T): void {
  try {
    hook(value);
  } catch {
    // Deliberately ignored, as the event emitter does.
  }
}

/**
 * The observe-only hooks of `ClientOptions.hooks` as a middleware: they see the same moments, never
 * change anything, and cannot break a request by throwing.
 */
export function hooksMiddleware(hooks: ClientHooks): Middleware {
  const { onRequest, onResponse, onError } = hooks;
  const middleware: { -readonly [K in keyof Middleware]: Middleware[K] } = {};
  if (onRequest !== undefined) {
    middleware.onRequest = ({ request }) => {
      observe(onRequest, { method: request.method, url: request.url, attempt: request.attempt });
    };
  }
  if (onResponse !== undefined) {
    middleware.onResponse = ({ request, response }) => {
      if (response.status < 200 || response.status >= 300) return undefined;
      observe(onResponse, {
        method: request.method,
        url: request.url,
        attempt: request.attempt,
        status: response.status,
        durationMs: performance.now() - request.startedAt,
      });
      return undefined;
    };
  }
  if (onError !== undefined) {
    middleware.onError = ({ request, error }) => {
      const info = { method: request.method, url: request.url, attempt: request.attempt };
      observe((e: MtlsLinkError) => onError(e, info), error);
      return undefined;
    };
  }
  return middleware;
}

export function isMiddlewareResponse(value: unknown): value is MiddlewareResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as MiddlewareResponse).status === 'number'
  );
}
