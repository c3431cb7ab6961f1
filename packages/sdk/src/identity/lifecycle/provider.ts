import { abortable } from '../../abortable.ts';
import { isMtlsLinkError, type MtlsLinkError, SecretError } from '../../errors/index.ts';
import { daysLeft } from '../alb/rules.ts';
import { guardIdentity, summarizeIdentity, withHiddenIdentities } from '../summary.ts';
import type { ClientIdentity, IdentityEvents, IdentityProvider } from '../types.ts';
import { type Duration, toMilliseconds } from './duration.ts';
import { TypedEmitter } from './events.ts';

/** Options every refreshing source shares. */
export interface RefreshOptions {
  /** How often the identity is reloaded in the background, ± 10 % jitter. @default '15m' */
  readonly refreshEvery?: Duration;
  /** Emit `expiry-warning` when the certificate has fewer days left than this. @default 14 */
  readonly expiryWarningDays?: number;
  /**
   * A non-forced `refresh()` within this time of the last load returns the cached identity, so a
   * burst of refused connections cannot hammer Secrets Manager. @default '5s'
   */
  readonly minRefreshInterval?: Duration;
  /**
   * A forced `refresh()` (after a server refused the certificate) within this time of the last
   * forced one returns the cached identity: however many clients share the provider, a burst of
   * refusals costs one secret read; 0 turns the limit off. @default '5s'
   */
  readonly minForcedRefreshInterval?: Duration;
  /** The clock, for tests. @default Date.now */
  readonly now?: () => number;
  /** Random source for the jitter, for tests. @default Math.random */
  readonly random?: () => number;
}

export interface LoadContext {
  /** The provider's clock, so validity is judged at the same time the cache is. */
  readonly now: number;
  readonly reason: string;
  /** Fires when every caller waiting for this load has given up (their deadlines passed). */
  readonly signal: AbortSignal;
  /** The identity served so far: a source may return it as it is when the secret did not change. */
  readonly previous: ClientIdentity | undefined;
  /** A forced refresh (the server refused the certificate): caches in front of the secret are suspect. */
  readonly forced: boolean;
}

interface SharedLoad {
  readonly promise: Promise<ClientIdentity>;
  readonly controller: AbortController;
  /** Callers with a signal still waiting. */
  waiting: number;
  /** A caller without a signal (or the background refresh) waits: the load must finish. */
  pinned: boolean;
}

export type IdentityLoader = (context: LoadContext) => Promise<ClientIdentity>;

const DEFAULT_REFRESH_EVERY = 15 * 60_000;
const JITTER = 0.1;
/** Retry a failed background refresh after at most this long. */
const RETRY_AFTER_FAILURE = 60_000;
/** Near expiry refreshes come faster, but never more often than this. */
const MIN_SCHEDULED_DELAY = 30_000;
const WARNING_REPEAT = 86_400_000;
const MAX_TIMER = 2 ** 31 - 1;

/**
 * Caches an identity and keeps it fresh: loads on first use (concurrent callers share the load),
 * serves the cached identity while a due refresh runs in the background (checked on every
 * `current()` and by an unref'd timer), refreshes earlier as the certificate nears its notAfter,
 * and keeps the last good identity when a refresh fails, unless that identity has expired.
 */
export class RefreshingIdentityProvider implements IdentityProvider {
  readonly #load: IdentityLoader;
  readonly #emitter = new TypedEmitter<IdentityEvents>();
  readonly #interval: number;
  readonly #minInterval: number;
  readonly #minForcedInterval: number;
  readonly #warnDays: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onClose: (() => void) | undefined;
  #identity: ClientIdentity | undefined;
  #inflight: SharedLoad | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #lastForcedAt = Number.NEGATIVE_INFINITY;
  #nextRefreshAt = Number.POSITIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #lastError: MtlsLinkError | undefined;
  readonly #warned = new Map<string, number>();

  /** @param onClose releases what the source owns (e.g. an AWS client it created itself). */
  constructor(load: IdentityLoader, options: RefreshOptions = {}, onClose?: () => void) {
    this.#load = load;
    this.#onClose = onClose;
    this.#interval = toMilliseconds(options.refreshEvery ?? DEFAULT_REFRESH_EVERY, 'refreshEvery');
    this.#minInterval = toMilliseconds(options.minRefreshInterval ?? 5000, 'minRefreshInterval');
    // 0 is allowed here: no limit (a test, or a provider with a single client limiting itself).
    this.#minForcedInterval =
      options.minForcedRefreshInterval === 0
        ? 0
        : toMilliseconds(options.minForcedRefreshInterval ?? 5000, 'minForcedRefreshInterval');
    this.#warnDays = options.expiryWarningDays ?? 14;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  async current(opts: { signal?: AbortSignal } = {}): Promise<ClientIdentity> {
    const identity = this.#identity;
    const now = this.#now();
    if (identity === undefined || now > identity.notAfter.getTime()) {
      // Nothing to serve (never loaded, or expired: never served). Reload, but after a failure not
      // more often than minRefreshInterval: a broken secret must not turn every request into a
      // Secrets Manager call.
      if (this.#lastError && this.#inflight === undefined && now - this.#lastAttemptAt < this.#minInterval) {
        throw this.#lastError;
      }
      return this.#shared(identity === undefined ? 'initial' : 'expired', opts.signal);
    }
    if (now >= this.#nextRefreshAt && this.#inflight === undefined && !this.#closed)
      this.#background('scheduled');
    this.#checkExpiry(identity, now);
    return identity;
  }

  /**
   * Reloads now. Rejects with the typed error when the load fails (the last good identity stays
   * cached and `refresh-failed` is emitted).
   */
  async refresh(
    opts: { force?: boolean; reason?: string; signal?: AbortSignal } = {},
  ): Promise<ClientIdentity> {
    const reason = opts.reason ?? (opts.force ? 'forced' : 'requested');
    if (this.#inflight) return this.#join(this.#inflight, opts.signal);
    const identity = this.#identity;
    const now = this.#now();
    if (identity) {
      if (!opts.force && now - this.#lastAttemptAt < this.#minInterval) return identity;
      if (opts.force && now - this.#lastForcedAt < this.#minForcedInterval) return identity;
    }
    if (opts.force) this.#lastForcedAt = now;
    return this.#shared(reason, opts.signal, opts.force === true);
  }

  on<E extends keyof IdentityEvents>(event: E, listener: (event: IdentityEvents[E]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  close(): void {
    if (!this.#closed) this.#onClose?.();
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #background(reason: string): void {
    this.#shared(reason).catch(() => {
      // Reported through `refresh-failed`; the cached identity stays in service.
    });
  }

  #shared(reason: string, signal?: AbortSignal, forced = false): Promise<ClientIdentity> {
    let load = this.#inflight;
    if (load === undefined) {
      const controller = new AbortController();
      const promise = this.#attempt(reason, controller.signal, forced).finally(() => {
        if (this.#inflight === created) this.#inflight = undefined;
      });
      const created: SharedLoad = { promise, controller, waiting: 0, pinned: false };
      this.#inflight = created;
      load = created;
    }
    return this.#join(load, signal);
  }

  /** Waits for a shared load; the load is stopped only when every caller with a deadline gave up. */
  #join(load: SharedLoad, signal: AbortSignal | undefined): Promise<ClientIdentity> {
    if (signal === undefined) {
      load.pinned = true;
      return load.promise;
    }
    load.waiting += 1;
    return abortable(load.promise, signal, () => {
      load.waiting -= 1;
      if (load.waiting === 0 && !load.pinned) load.controller.abort(signal.reason);
    });
  }

  async #attempt(reason: string, signal: AbortSignal, forced: boolean): Promise<ClientIdentity> {
    const startedAt = this.#now();
    this.#lastAttemptAt = startedAt;
    const previous = this.#identity;
    try {
      const next = guardIdentity(await this.#load({ now: startedAt, reason, signal, previous, forced }));
      this.#identity = next;
      this.#lastError = undefined;
      const now = this.#now();
      this.#schedule(now, this.#delayFor(next, now));
      this.#emitter.emit(
        'refresh',
        withHiddenIdentities(
          {
            summary: summarizeIdentity(next, now),
            previousSummary: previous === undefined ? undefined : summarizeIdentity(previous, now),
            changed: previous?.fingerprint256 !== next.fingerprint256,
            reason,
          } as IdentityEvents['refresh'],
          { previous, current: next },
        ),
      );
      this.#checkExpiry(next, now);
      return next;
    } catch (caught) {
      const error = asMtlsLinkError(caught);
      this.#lastError = error;
      const now = this.#now();
      this.#schedule(now, this.#jitter(Math.min(this.#interval, RETRY_AFTER_FAILURE)));
      this.#emitter.emit(
        'refresh-failed',
        withHiddenIdentities(
          {
            error,
            summary: previous === undefined ? undefined : summarizeIdentity(previous, now),
            reason,
          } as IdentityEvents['refresh-failed'],
          { current: previous },
        ),
      );
      throw error;
    }
  }

  #delayFor(identity: ClientIdentity, now: number): number {
    const regular = this.#jitter(this.#interval);
    const remaining = identity.notAfter.getTime() - now;
    // As notAfter approaches, look for the rotated secret at half the remaining lifetime.
    if (remaining < 2 * this.#interval)
      return Math.min(regular, Math.max(Math.min(MIN_SCHEDULED_DELAY, this.#interval), remaining / 2));
    return regular;
  }

  #jitter(ms: number): number {
    return ms * (1 + JITTER * (2 * this.#random() - 1));
  }

  #schedule(now: number, delay: number): void {
    this.#nextRefreshAt = now + delay;
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        if (!this.#closed && this.#inflight === undefined) this.#background('scheduled');
      },
      Math.min(Math.max(0, delay), MAX_TIMER),
    );
    this.#timer.unref();
  }

  #checkExpiry(identity: ClientIdentity, now: number): void {
    const left = daysLeft(identity.notAfter, now);
    if (left >= this.#warnDays) return;
    const last = this.#warned.get(identity.fingerprint256);
    if (last !== undefined && now - last < WARNING_REPEAT) return;
    this.#warned.set(identity.fingerprint256, now);
    this.#emitter.emit(
      'expiry-warning',
      withHiddenIdentities(
        {
          summary: summarizeIdentity(identity, now),
          daysLeft: left,
          notAfter: identity.notAfter,
        } as IdentityEvents['expiry-warning'],
        { identity },
      ),
    );
  }
}

function asMtlsLinkError(error: unknown): MtlsLinkError {
  if (isMtlsLinkError(error)) return error;
  return new SecretError(
    'SECRET_UNAVAILABLE',
    `loading the identity failed: ${(error as Error)?.message ?? String(error)}`,
    {
      cause: error,
    },
  );
}

/** A provider for an identity already in hand: never refreshes. */
export function fromIdentity(given: ClientIdentity): IdentityProvider {
  const identity = guardIdentity(given);
  const emitter = new TypedEmitter<IdentityEvents>();
  return {
    current: async () => identity,
    refresh: async () => identity,
    on: (event, listener) => emitter.on(event, listener),
    close: () => {},
  };
}
