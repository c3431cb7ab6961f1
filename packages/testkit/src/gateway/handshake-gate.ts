import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { recordType, startsWithHelloRetryRequest } from './tls-records.ts';

/**
 * Sits between the TCP socket and the TLS engine of one `verify`-mode connection, so the emulator
 * can refuse a client certificate the way s2n does although OpenSSL has already finished its side
 * of the handshake by the time Node reports the peer certificate.
 *
 * It passes bytes through until the client sends its last handshake flight (a ChangeCipherSpec in
 * TLS 1.2, the first encrypted record in TLS 1.3). From then on it withholds what the engine writes
 * (the server's CCS + Finished in TLS 1.2, the session tickets in TLS 1.3) until the verdict:
 * `open()` releases it, `freeze()` drops it and everything after, leaving the raw socket to the
 * caller, who then sends an alert, a close_notify, a FIN or an RST.
 */
export class HandshakeGate extends Duplex {
  readonly raw: Socket;
  #state: 'inspecting' | 'holding' | 'open' | 'frozen' = 'inspecting';
  #held: Buffer[] = [];
  #header: Buffer = Buffer.alloc(0);
  #skip = 0;
  #helloRetry = false;
  #onFrozenInput: (() => void) | undefined;

  constructor(raw: Socket) {
    super({ allowHalfOpen: true });
    this.raw = raw;
    raw.on('data', (chunk: Buffer) => this.#fromClient(chunk));
    raw.on('end', () => {
      if (this.#state !== 'frozen') this.push(null);
    });
    raw.on('error', (error) => {
      if (this.#state !== 'frozen') this.destroy(error);
    });
    raw.on('close', () => {
      if (this.#state !== 'frozen') this.destroy();
    });
  }

  get state(): 'inspecting' | 'holding' | 'open' | 'frozen' {
    return this.#state;
  }

  /** The verdict is Success: release what was withheld and stop looking at records. */
  open(): void {
    if (this.#state === 'frozen' || this.#state === 'open') return;
    this.#state = 'open';
    const held = this.#held;
    this.#held = [];
    for (const chunk of held) this.raw.write(chunk);
  }

  /**
   * The verdict is a refusal: nothing more from the engine reaches the client, input is discarded
   * (after telling `onInput` that some arrived: under TLS 1.3 that is the client's first request).
   */
  freeze(onInput?: () => void): void {
    this.#state = 'frozen';
    this.#onFrozenInput = onInput;
    this.#held = [];
    this.raw.resume();
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    switch (this.#state) {
      case 'frozen':
        callback();
        return;
      case 'holding':
        this.#held.push(chunk);
        callback();
        return;
      case 'inspecting':
        if (startsWithHelloRetryRequest(chunk)) this.#helloRetry = true;
        this.raw.write(chunk, callback);
        return;
      case 'open':
        this.raw.write(chunk, callback);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#state !== 'frozen') this.raw.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#state !== 'frozen') this.raw.destroy();
    callback(error);
  }

  #fromClient(chunk: Buffer): void {
    if (this.#state === 'frozen') {
      this.#onFrozenInput?.();
      return;
    }
    if (this.#state === 'inspecting') this.#inspect(chunk);
    if (!this.push(chunk)) this.raw.pause();
  }

  /** Walks record headers; decides when the client's final handshake flight starts. */
  #inspect(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && this.#state === 'inspecting') {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, chunk.length - offset);
        this.#skip -= step;
        offset += step;
        continue;
      }
      const need = 5 - this.#header.length;
      this.#header = Buffer.concat([this.#header, chunk.subarray(offset, offset + need)]);
      offset += Math.min(need, chunk.length - offset);
      if (this.#header.length < 5) return;
      const type = this.#header[0];
      this.#skip = this.#header.readUInt16BE(3);
      this.#header = Buffer.alloc(0);
      // After a HelloRetryRequest the client's compatibility CCS precedes its second ClientHello,
      // so only an encrypted record marks the final flight then.
      if (
        type === recordType.applicationData ||
        (type === recordType.changeCipherSpec && !this.#helloRetry)
      ) {
        this.#state = 'holding';
      }
    }
  }
}
