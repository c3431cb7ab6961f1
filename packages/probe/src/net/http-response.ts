/** An HTTP/1.1 response as read off the wire by the probe's own parser. */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  /** Header names in lower case; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as text, cut at `maxBodyBytes`. */
  readonly body: string;
}

const maxBodyBytes = 64 * 1024;

/**
 * Incremental HTTP/1.1 response reader. The probe writes requests by hand so that it sees every
 * socket event itself: an alert, a reset or a close before the first byte each mean something
 * different after a TLS 1.3 handshake, and a full HTTP client would fold them into one error.
 */
export class HttpResponseReader {
  #buffer: Buffer = Buffer.alloc(0);
  #head: { status: number; statusText: string; headers: Record<string, string> } | undefined;
  #bodyStart = 0;

  /** Feeds bytes; returns the response once it is complete (by Content-Length or chunked framing). */
  push(chunk: Buffer): HttpResponse | undefined {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (this.#head === undefined) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end === -1) return undefined;
      this.#head = parseHead(this.#buffer.subarray(0, end).toString('latin1'));
      this.#bodyStart = end + 4;
    }
    return this.#complete(false);
  }

  /** The peer closed: whatever arrived is the response (if the head arrived at all). */
  end(): HttpResponse | undefined {
    return this.#head === undefined ? undefined : this.#complete(true);
  }

  get headReceived(): boolean {
    return this.#head !== undefined;
  }

  #complete(closed: boolean): HttpResponse | undefined {
    const head = this.#head;
    if (head === undefined) return undefined;
    const body = this.#buffer.subarray(this.#bodyStart);
    const length = head.headers['content-length'];
    const chunked = /chunked/i.test(head.headers['transfer-encoding'] ?? '');
    let bytes: Buffer | undefined;
    if (head.status === 204 || head.status === 304) bytes = Buffer.alloc(0);
    else if (chunked) bytes = decodeChunked(body) ?? (closed ? body : undefined);
    else if (length !== undefined) {
      const n = Number(length);
      bytes = body.length >= n ? body.subarray(0, n) : closed ? body : undefined;
    } else if (closed) bytes = body;
    if (bytes === undefined) return undefined;
    return {
      status: head.status,
      statusText: head.statusText,
      headers: head.headers,
      body: bytes.subarray(0, maxBodyBytes).toString('utf8'),
    };
  }
}

function parseHead(text: string): { status: number; statusText: string; headers: Record<string, string> } {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const match = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!match) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(statusLine.slice(0, 60))}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(match[1]), statusText: match[2] ?? '', headers };
}

function decodeChunked(body: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return Buffer.concat(parts);
    if (size === 0) return Buffer.concat(parts);
    const start = lineEnd + 2;
    if (body.length < start + size + 2) return undefined;
    parts.push(body.subarray(start, start + size));
    offset = start + size + 2;
  }
}
