import { abortable } from '../abortable.ts';
import { ClientClosedError } from '../errors/index.ts';
import type { ClientIdentity, IdentityProvider } from '../identity/types.ts';
import { createIdentityPool, type IdentityPool, type PoolSettings, type TlsMaterial } from './pool.ts';

export interface SwapEvent {
  readonly from: string | undefined;
  readonly to: string;
  readonly reason: string;
}

export interface IdentityTransportOptions {
  /** A forced refresh after a refused certificate happens at most this often. */
  readonly minForcedRefreshIntervalMs: number;
  readonly onSwap?: ((event: SwapEvent) => void) | undefined;
}

export function isIdentityProvider(value: unknown): value is IdentityProvider {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as IdentityProvider).current === 'function' &&
    typeof (value as IdentityProvider).refresh === 'function'
  );
}

/**
 * Holds the pool of the current identity. When the identity's fingerprint changes, a new pool is
 * built and swapped in with one assignment (requests read the field synchronously, so each request
 * runs wholly on one pool), then the old pool is closed, which lets its in-flight requests finish.
 */
export class IdentityTransport {
  readonly #settings: PoolSettings;
  readonly #options: IdentityTransportOptions;
  readonly #provider: IdentityProvider | undefined;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #draining = new Set<Promise<void>>();
  /** Pools closing, for close({ timeoutMs }) to destroy when they take too long. */
  readonly #retiring = new Set<IdentityPool>();
  #pool: IdentityPool | undefined;
  #loading: Promise<IdentityPool> | undefined;
  #forced: Promise<boolean> | undefined;
  #lastForcedAt = Number.NEGATIVE_INFINITY;
  #closed = false;
  /** Pools built after the first one. */
  swaps = 0;
  /** Forced identity refreshes after a refused certificate. */
  forcedRefreshes = 0;

  constructor(
    identity: IdentityProvider | ClientIdentity,
    settings: PoolSettings,
    options: IdentityTransportOptions,
  ) {
    this.#settings = settings;
    this.#options = options;
    if (isIdentityProvider(identity)) {
      this.#provider = identity;
      this.#unsubscribe.push(
        identity.on('refresh', (event) => {
          this.adopt(event.current, event.reason);
        }),
      );
    } else {
      this.#provider = undefined;
      this.adopt(identity, 'initial');
    }
  }

  /** The current pool, or undefined before the first identity loaded (the request hot path). */
  get pool(): IdentityPool | undefined {
    return this.#pool;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The current pool, loading the identity on first use. `signal` bounds this caller's wait; the
   * load itself is the provider's, shared and stopped only when all its waiters gave up.
   */
  ready(signal?: AbortSignal): Promise<IdentityPool> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#pool !== undefined) return Promise.resolve(this.#pool);
    const provider = this.#provider;
    if (provider === undefined) return Promise.reject(closedError());
    // The provider gets the signal too (so a load nobody waits for stops); the race below holds the
    // deadline even for a provider that ignores it.
    if (signal !== undefined && this.#loading === undefined) {
      return abortable(
        provider.current({ signal }).then((identity) => this.adopt(identity, 'initial')),
        signal,
      );
    }
    this.#loading ??= provider.current().then(
      (identity) => {
        this.#loading = undefined;
        return this.adopt(identity, 'initial');
      },
      (error: unknown) => {
        this.#loading = undefined;
        throw error;
      },
    );
    return abortable(this.#loading, signal);
  }

  /** Makes `identity` current; builds and swaps a pool only when its fingerprint differs. */
  adopt(identity: TlsMaterial, reason: string): IdentityPool {
    const old = this.#pool;
    if (old !== undefined && old.fingerprint256 === identity.fingerprint256) return old;
    if (this.#closed) {
      if (old !== undefined) return old;
      throw closedError();
    }
    const pool = createIdentityPool(identity, this.#settings);
    this.#pool = pool;
    if (old !== undefined) {
      this.swaps += 1;
      this.#retire(old);
    }
    this.#options.onSwap?.({ from: old?.fingerprint256, to: pool.fingerprint256, reason });
    return pool;
  }

  /**
   * After the server refused the certificate of the pool with `failedFingerprint`: is there a
   * different identity to retry with? Refreshes the identity (forced, shared by concurrent callers,
   * at most once per `minForcedRefreshIntervalMs`) unless another identity is already current.
   */
  async recoverFromRejection(failedFingerprint: string, signal?: AbortSignal): Promise<boolean> {
    const provider = this.#provider;
    if (this.#closed || provider === undefined) return false;
    if (this.#pool !== undefined && this.#pool.fingerprint256 !== failedFingerprint) return true;
    if (this.#forced === undefined) {
      const now = performance.now();
      if (now - this.#lastForcedAt < this.#options.minForcedRefreshIntervalMs) return false;
      this.#lastForcedAt = now;
      this.forcedRefreshes += 1;
      this.#forced = provider
        // No signal for the shared refresh: concurrent refused requests wait on it, each with its
        // own deadline (below), and the source's own timeouts end it.
        .refresh({ force: true, reason: 'server refused the client certificate' })
        .then(
          // Closed meanwhile: nothing to retry on (and adopt() would throw into a promise nobody awaits).
          (identity) =>
            !this.#closed &&
            this.adopt(identity, 'server refused the client certificate').fingerprint256 !==
              failedFingerprint,
          // A failed refresh leaves the old identity: the caller reports the refusal it had.
          () => false,
        )
        .finally(() => {
          this.#forced = undefined;
        });
    }
    return abortable(this.#forced, signal);
  }

  #retire(pool: IdentityPool): void {
    pool.discardParked();
    this.#retiring.add(pool);
    const done = () => {
      this.#draining.delete(drained);
      this.#retiring.delete(pool);
    };
    const drained = pool.agent.close().then(done, done);
    this.#draining.add(drained);
  }

  /**
   * Stops following the provider and closes every pool once its in-flight requests finished; after
   * `timeoutMs` the pools still draining are destroyed (their requests fail).
   */
  async close(timeoutMs?: number): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const unsubscribe of this.#unsubscribe) unsubscribe();
      if (this.#pool !== undefined) this.#retire(this.#pool);
      // Requests from now on go through ready(), which says the client is closed.
      this.#pool = undefined;
    }
    const drained = Promise.all([...this.#draining]);
    if (timeoutMs === undefined) {
      await drained;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const outcome = await Promise.race([drained, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      const retiring = [...this.#retiring];
      this.#retiring.clear();
      this.#draining.clear();
      for (const pool of retiring) pool.destroyConnections();
      await Promise.all(retiring.map((pool) => pool.agent.destroy().catch(() => {})));
    }
  }
}

function closedError(): ClientClosedError {
  return new ClientClosedError(
    'CLIENT_CLOSED',
    'the client is closed: create a new client with createClient()',
  );
}
