import { Readable } from 'node:stream';

/** What undici sends: bytes and strings as they are, Blobs and streams read as they go. */
export type WireBody = string | Uint8Array | Blob | Readable;

export interface EncodedBody {
  readonly body: WireBody | undefined;
  /** The content type the body implies, unless the caller set one. */
  readonly contentType: string | undefined;
  /** The same bytes can be sent again: a retry is possible. Streams and iterables are read once. */
  readonly replayable: boolean;
}

const none: EncodedBody = { body: undefined, contentType: undefined, replayable: true };

function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * The request body as the platform knows it (the content types are fetch's): string
 * (text/plain), Uint8Array/ArrayBuffer/any typed array or DataView (bytes, no type), Blob (its
 * type), URLSearchParams (form-encoded), FormData (multipart, its boundary), ReadableStream,
 * Node Readable and async iterables (streamed, not replayable); anything else as JSON. A
 * string keeps no content type when the caller's headers name one.
 */
export function encodeRequestBody(body: unknown): EncodedBody | Promise<EncodedBody> {
  if (body === undefined) return none;
  if (typeof body === 'string') return { body, contentType: 'text/plain;charset=UTF-8', replayable: true };
  if (body instanceof Uint8Array) return { body, contentType: undefined, replayable: true };
  if (ArrayBuffer.isView(body)) {
    return {
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      contentType: undefined,
      replayable: true,
    };
  }
  if (body instanceof ArrayBuffer || body instanceof SharedArrayBuffer) {
    return { body: new Uint8Array(body), contentType: undefined, replayable: true };
  }
  if (body instanceof Blob) {
    return { body, contentType: body.type === '' ? undefined : body.type, replayable: true };
  }
  if (body instanceof URLSearchParams) {
    return {
      body: body.toString(),
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      replayable: true,
    };
  }
  if (body instanceof FormData) {
    // undici's own request() takes only its own FormData class; the platform's encoder (the same
    // one fetch uses) gives the multipart bytes and their boundary, once, so a retry sends them again.
    const encoded = new Response(body);
    return encoded.arrayBuffer().then((bytes) => ({
      body: new Uint8Array(bytes),
      contentType: encoded.headers.get('content-type') ?? undefined,
      replayable: true,
    }));
  }
  if (body instanceof ReadableStream) {
    return {
      body: Readable.fromWeb(body as import('node:stream/web').ReadableStream),
      contentType: undefined,
      replayable: false,
    };
  }
  if (typeof body === 'object' && body !== null && isAsyncIterable(body)) {
    return {
      body: body instanceof Readable ? body : Readable.from(body),
      contentType: undefined,
      replayable: false,
    };
  }
  return { body: JSON.stringify(body), contentType: 'application/json', replayable: true };
}
