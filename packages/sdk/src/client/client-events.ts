import type { MtlsLinkError } from '../errors/index.ts';
import type { ExpiryWarningEvent, RefreshEvent, RefreshFailedEvent } from '../identity/types.ts';
import type { SwapEvent } from '../transport/index.ts';

export interface RetryEvent {
  readonly method: string;
  readonly url: string;
  /** 1 for the first retry. */
  readonly retry: number;
  readonly delayMs: number;
  readonly error: MtlsLinkError;
  /** The retry runs with a new identity after the server refused the old one. */
  readonly afterIdentityRefresh: boolean;
}

export interface ClientEvents {
  /** The identity provider loaded an identity (changed or not). */
  'identity-refresh': RefreshEvent;
  /** A refresh failed; the last good identity stays in use. */
  'identity-refresh-failed': RefreshFailedEvent;
  'expiry-warning': ExpiryWarningEvent;
  /** A new connection pool was built for a new identity; the old one drains. */
  'pool-swap': SwapEvent;
  retry: RetryEvent;
}
