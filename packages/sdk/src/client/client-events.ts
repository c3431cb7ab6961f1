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

type Listener<T> = (event: T) => void;

/** A minimal typed emitter: listeners are called in order; a throwing listener does not stop the others. */
export class ClientEventEmitter {
  readonly #listeners: { [E in keyof ClientEvents]?: Set<Listener<ClientEvents[E]>> } = {};

  on<E extends keyof ClientEvents>(event: E, listener: Listener<ClientEvents[E]>): () => void {
    let set = this.#listeners[event] as Set<Listener<ClientEvents[E]>> | undefined;
    if (set === undefined) {
      set = new Set();
      (this.#listeners as Record<string, Set<unknown>>)[event] = set;
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<E extends keyof ClientEvents>(event: E, payload: ClientEvents[E]): void {
    const set = this.#listeners[event] as Set<Listener<ClientEvents[E]>> | undefined;
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch {
        // An observer must not break the request it observes.
      }
    }
  }
}
