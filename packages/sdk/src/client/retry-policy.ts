import type { MtlsLinkError } from '../errors/index.ts';

export interface RetryOptions {
  /** Retries after the first attempt. @default 2 */
  readonly attempts?: number;
  /** Backoff base: the n-th retry waits a random time in [0, min(maxDelayMs, baseDelayMs * 2^n)]. @default 100 */
  readonly baseDelayMs?: number;
  /** Cap of one backoff delay (a server's Retry-After may ask for more, up to maxElapsedMs). @default 2000 */
  readonly maxDelayMs?: number;
  /** No retry starts when the request has run this long, or when its delay would cross it. @default 15000 */
  readonly maxElapsedMs?: number;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxElapsedMs: number;
}

export const retryDefaults: RetryPolicy = {
  attempts: 2,
  baseDelayMs: 100,
  maxDelayMs: 2000,
  maxElapsedMs: 15_000,
};

const idempotentMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

export function isIdempotent(
  method: string,
  headers: Readonly<Record<string, unknown>> | undefined,
): boolean {
  if (idempotentMethods.has(method)) return true;
  if (headers === undefined) return false;
  for (const name in headers) {
    if (name.length === 15 && name.toLowerCase() === 'idempotency-key') return true;
  }
  return false;
}

// Transient by nature: the same request may well succeed on another connection or a moment later.
const retryableCodes: ReadonlySet<string> = new Set([
  'TCP_REFUSED',
  'TCP_TIMEOUT',
  'DNS_TIMEOUT',
  'TIMEOUT_CONNECT',
  'TIMEOUT_HEADERS',
  'TIMEOUT_BODY',
  'HTTP_GATEWAY_ERROR',
]);

/**
 * Only failures known to be transient are retried. REQUEST_FAILED is two things: a connection the
 * server reset or closed mid-request (`details.signal`, retried) and the classifier's catch-all for
 * what it could not name (an OpenSSL error from a hand-built identity, an argument undici refused),
 * which another attempt would only repeat.
 */
export function isRetryableFailure(error: MtlsLinkError): boolean {
  if (retryableCodes.has(error.code)) return true;
  if (error.code === 'REQUEST_FAILED')
    return error.details.signal === 'reset' || error.details.signal === 'close';
  // A reset or close on a fresh connection reads as a refusal, but a dropped connection looks the
  // same; only an alert is the server's unambiguous word, so the others get an ordinary retry.
  if (error.code === 'MTLS_REJECTED')
    return error.details.signal === 'reset' || error.details.signal === 'close';
  return error.code === 'HTTP_UNEXPECTED_STATUS' && error.details.status === 429;
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(Math.random() * ceiling);
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
