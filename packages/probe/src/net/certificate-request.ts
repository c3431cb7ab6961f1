import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { formatDerName } from './der-name.ts';

export interface CertificateRequestOptions {
  readonly address: string;
  readonly port: number;
  /** SNI; omitted for IP literals. */
  readonly servername: string | undefined;
  readonly timeoutMs: number;
}

/** What one TLS 1.2 handshake showed of the server's CertificateRequest. */
export interface CertificateRequestReading {
  /** Distinguished names of the CAs the server accepts client certificates from; [] when it lists none. */
  readonly caNames?: readonly string[];
  /** Why no names could be read. */
  readonly note?: string;
}

const HANDSHAKE = 22;
const CERTIFICATE_REQUEST = 13;
const SERVER_HELLO_DONE = 14;

/** certificate_types<1..255>, signature_algorithms<2..2^16-2>, certificate_authorities<0..2^16-1> (RFC 5246 7.4.4). */
function caNamesOf(body: Buffer): string[] {
  let offset = 1 + (body[0] ?? 0);
  offset += 2 + body.readUInt16BE(offset);
  const end = offset + 2 + body.readUInt16BE(offset);
  const names: string[] = [];
  for (offset += 2; offset < end; ) {
    const length = body.readUInt16BE(offset);
    names.push(formatDerName(body.subarray(offset + 2, offset + 2 + length)));
    offset += 2 + length;
  }
  return names;
}

/** Collects plaintext handshake messages from the server's TLS records, as they arrive. */
class HandshakeReader {
  #records = Buffer.alloc(0);
  #messages = Buffer.alloc(0);

  push(chunk: Buffer): { type: number; body: Buffer }[] {
    this.#records = Buffer.concat([this.#records, chunk]);
    while (this.#records.length >= 5) {
      const length = this.#records.readUInt16BE(3);
      if (this.#records.length < 5 + length) break;
      if (this.#records[0] === HANDSHAKE) {
        this.#messages = Buffer.concat([this.#messages, this.#records.subarray(5, 5 + length)]);
      }
      this.#records = this.#records.subarray(5 + length);
    }
    const out: { type: number; body: Buffer }[] = [];
    while (this.#messages.length >= 4) {
      const length = this.#messages.readUIntBE(1, 3);
      if (this.#messages.length < 4 + length) break;
      out.push({ type: this.#messages[0] ?? 0, body: this.#messages.subarray(4, 4 + length) });
      this.#messages = this.#messages.subarray(4 + length);
    }
    return out;
  }
}

/**
 * The acceptable CA names of the server's CertificateRequest. Node exposes no API for them, and
 * under TLS 1.3 the message is encrypted, so this runs one extra handshake capped at TLS 1.2 and
 * reads the message off the wire (it is plaintext there). The handshake presents no certificate;
 * a verify-mode server then refuses it, after the names have been read.
 */
export function readCertificateRequest(
  options: CertificateRequestOptions,
): Promise<CertificateRequestReading> {
  return new Promise((resolve) => {
    const raw = netConnect({ host: options.address, port: options.port });
    const reader = new HandshakeReader();
    let settled = false;
    const finish = (reading: CertificateRequestReading) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tls.destroy();
      raw.destroy();
      resolve(reading);
    };
    const timer = setTimeout(
      () => finish({ note: `no CertificateRequest within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    // The TLS socket runs over this duplex, so the server's bytes can be read on the way in.
    const tap = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        raw.write(chunk, callback);
      },
      final(callback) {
        raw.end();
        callback();
      },
    });
    raw.on('data', (chunk: Buffer) => {
      try {
        for (const message of reader.push(chunk)) {
          if (message.type === CERTIFICATE_REQUEST) finish({ caNames: caNamesOf(message.body) });
          else if (message.type === SERVER_HELLO_DONE)
            finish({ note: 'the server did not ask for a client certificate (no CertificateRequest)' });
        }
      } catch (error) {
        finish({ note: `the CertificateRequest does not parse: ${(error as Error).message}` });
      }
      if (!settled) tap.push(chunk);
    });
    raw.on('end', () => tap.push(null));
    raw.on('error', (error: NodeJS.ErrnoException) =>
      finish({ note: `connection failed: ${error.code ?? error.message}` }),
    );
    const tls = tlsConnect({
      socket: tap,
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      // Only the CertificateRequest matters here; tls.server judges the server's certificate.
      rejectUnauthorized: false,
    });
    tls.on('error', (error: NodeJS.ErrnoException) =>
      finish({
        note: /version|protocol/i.test(`${error.code} ${error.message}`)
          ? 'the server refused TLS 1.2; under TLS 1.3 the CertificateRequest is encrypted and Node exposes no API for its CA names'
          : `the TLS 1.2 handshake failed before a CertificateRequest: ${error.code ?? error.message}`,
      }),
    );
  });
}
