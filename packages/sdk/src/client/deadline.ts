import { AbortedError, type MtlsLinkError, TimeoutError } from '../errors/index.ts';

/** Where the call was when its deadline fired, for the message. */
export type DeadlineStage = 'identity' | 'forced-refresh' | 'backoff' | 'attempt';

const stageText: Record<DeadlineStage, string> = {
  identity: 'while the identity loaded',
  'forced-refresh': 'while the identity was force-refreshed after a refusal',
  backoff: 'while waiting to retry',
  attempt: 'in flight',
};

/**
 * One deadline for a whole call: the caller's signal and `timeouts.total`, combined into the one
 * signal every step (identity load, forced refresh, backoff, each attempt) waits with.
 */
export class Deadline {
  /** A call with neither a signal nor `timeouts.total` has nothing to track: one shared instance. */
  static of(caller: AbortSignal | undefined, totalMs: number | undefined): Deadline {
    return caller === undefined && totalMs === undefined ? unbounded : new Deadline(caller, totalMs);
  }

  readonly signal: AbortSignal | undefined;
  readonly #caller: AbortSignal | undefined;
  readonly #totalMs: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The total deadline's own signal, aborted exactly when it fires. */
  #own: AbortSignal | undefined;

  constructor(caller: AbortSignal | undefined, totalMs: number | undefined) {
    this.#caller = caller;
    this.#totalMs = totalMs;
    if (totalMs === undefined) {
      this.signal = caller;
      return;
    }
    const controller = new AbortController();
    this.#own = controller.signal;
    this.#timer = setTimeout(() => {
      controller.abort(new DOMException(`total deadline of ${totalMs} ms`, 'TimeoutError'));
    }, totalMs);
    this.signal = caller === undefined ? controller.signal : AbortSignal.any([caller, controller.signal]);
  }

  /** The deadline's own error when it fired (TIMEOUT_TOTAL, or ABORTED with the signal's reason). */
  error(stage: DeadlineStage, method: string, url: string, attempt: number): MtlsLinkError | undefined {
    if (this.#own?.aborted === true && this.#caller?.aborted !== true) {
      return new TimeoutError(
        'TIMEOUT_TOTAL',
        `${method} ${url}: the request took longer than its total deadline of ${this.#totalMs} ms (${stageText[stage]})`,
        { details: { method, url, timeout: 'total', timeoutMs: this.#totalMs, stage, attempt } },
      );
    }
    if (this.#caller?.aborted === true) {
      return new AbortedError(
        'ABORTED',
        `${method} ${url}: the request was aborted by its AbortSignal (${stageText[stage]})`,
        {
          cause: this.#caller.reason,
          details: { method, url, stage, attempt },
        },
      );
    }
    return undefined;
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}

const unbounded = new Deadline(undefined, undefined);
