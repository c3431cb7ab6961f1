import type { Dispatcher } from 'undici';

type Headers = Dispatcher.ResponseData['headers'];

/** A response, its body read into memory (or, for `parseAs: 'stream'`, handed over unread). */
export interface BufferedAnswer {
  readonly statusCode: number;
  readonly headers: Headers;
  /** The body's bytes (empty for a body-less answer, and beside `stream`). */
  readonly body: Buffer;
  /** A 2xx body left unread for the caller (`parseAs: 'stream'` only). */
  readonly stream?: ReadableStream<Uint8Array>;
}

export const emptyBody = Buffer.alloc(0);

/**
 * Reads one response whole through undici's handler API (`dispatch`), for the modes that read
 * the body whole anyway (text, JSON, bytes, error bodies). `undici.request` builds a Readable
 * stream and an AsyncResource per call for a body the SDK then reads to its end; this handler
 * collects the chunks and settles one promise. The pool's `maxResponseSize` still applies: undici
 * enforces it while parsing, below any handler.
 */
class BufferingHandler implements Dispatcher.DispatchHandler {
  readonly #resolve: (answer: BufferedAnswer) => void;
  readonly #reject: (error: Error) => void;
  readonly #signal: AbortSignal | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #statusCode = 0;
  #headers: Headers = {};
  #chunks: Buffer[] = [];
  #length = 0;

  constructor(
    signal: AbortSignal | undefined,
    resolve: (answer: BufferedAnswer) => void,
    reject: (error: Error) => void,
  ) {
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    if (signal !== undefined) signal.addEventListener('abort', this, { once: true });
  }

  /** The signal's abort (an EventListener object: no closure per call). */
  handleEvent(): void {
    this.#controller?.abort(abortReason(this.#signal));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#signal?.aborted === true) {
      controller.abort(abortReason(this.#signal));
      return;
    }
    this.#controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    // 1xx informational answers come before the real one.
    if (statusCode < 200) return;
    this.#statusCode = statusCode;
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  onResponseEnd(): void {
    this.#done();
    const chunks = this.#chunks;
    const body =
      chunks.length === 0
        ? emptyBody
        : chunks.length === 1
          ? (chunks[0] as Buffer)
          : Buffer.concat(chunks, this.#length);
    this.#resolve({ statusCode: this.#statusCode, headers: this.#headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#done();
    this.#chunks = [];
    this.#reject(error);
  }

  #done(): void {
    this.#signal?.removeEventListener('abort', this);
    this.#controller = undefined;
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

/** Sends one request on `dispatcher` and reads its answer whole (see BufferingHandler). */
export function dispatchBuffered(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal | undefined,
): Promise<BufferedAnswer> {
  return new Promise((resolve, reject) => {
    // undici hands a failure to dispatch (bad options, a closed pool) to onResponseError.
    dispatcher.dispatch(options, new BufferingHandler(signal, resolve, reject));
  });
}

/** Decodes UTF-8 and drops a leading byte-order mark (`ignoreBOM` is false by default). */
const utf8 = new TextDecoder();

/** The body as text: UTF-8, a leading byte-order mark dropped (as undici's `body.text()` does). */
export function bodyText(body: Buffer): string {
  return utf8.decode(body);
}
