import { tracingChannel } from 'node:diagnostics_channel';
import type { ErrorCode, Hop } from '../errors/index.ts';
import { summarizeIdentity } from '../identity/summary.ts';
import type { ClientIdentity, IdentitySummary } from '../identity/types.ts';
import type { TlsMaterial } from '../transport/index.ts';

/** The diagnostics_channel tracing channel of one logical request (retries and identity work included). */
export const REQUEST_TRACING_CHANNEL = 'mtls-link:request';
/** Published (inside the request's async context) before each retry, with the RetryEvent. */
export const RETRY_CHANNEL = 'mtls-link:retry';
/** Published when a new identity's pool replaces the old one, with the SwapEvent. */
export const POOL_SWAP_CHANNEL = 'mtls-link:pool-swap';

/**
 * The context object of `mtls-link:request`'s start/end/asyncStart/asyncEnd/error events. The SDK
 * fills it in as the call runs; by asyncEnd it holds the outcome. Never key material.
 */
export interface RequestTraceContext {
  readonly method: string;
  readonly url: string;
  /** Attempts made so far (1 for a call that succeeded at once). */
  attempts: number;
  /** Backoff retries after transient failures. */
  retries: number;
  /** A retry ran with a new identity after the server refused the old one. */
  identityRetried: boolean;
  /** The identity of the last attempt. */
  identity?: IdentitySummary;
  /** The HTTP status of the answer the caller got (success or HttpError). */
  status?: number;
  /** The failure's code and hop, when the call failed with an MtlsLinkError. */
  code?: ErrorCode;
  hop?: Hop;
  /** Set by diagnostics_channel: the response or the error. */
  result?: unknown;
  error?: unknown;
}

export const requestTrace = tracingChannel<unknown, RequestTraceContext>(REQUEST_TRACING_CHANNEL);

/** The summary of a pool's identity when it is a full ClientIdentity (a hand-built one may not be). */
export function traceIdentity(identity: TlsMaterial): IdentitySummary | undefined {
  const full = identity as Partial<ClientIdentity>;
  if (
    typeof full.serialHex !== 'string' ||
    !(full.notAfter instanceof Date) ||
    typeof full.source !== 'string'
  )
    return undefined;
  return summarizeIdentity(identity as ClientIdentity);
}
