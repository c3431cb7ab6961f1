import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ResponseTooLargeError, ResponseValidationError } from '../errors/index.ts';
import { type BufferedAnswer, bodyText, emptyBody } from './buffered-dispatch.ts';
import type { ParseAs } from './openapi-types.ts';

type Headers = Dispatcher.ResponseData['headers'];

/** undici's error when a body crosses the pool's maxResponseSize. */
export function isResponseTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE';
}

export function responseTooLarge(
  method: string,
  url: string,
  limit: number,
  cause: unknown,
): ResponseTooLargeError {
  return new ResponseTooLargeError(
    'RESPONSE_TOO_LARGE',
    `${method} ${url}: the response is larger than maxResponseSize (${limit} bytes); the rest was not read`,
    { cause, details: { method, url, maxResponseSize: limit } },
  );
}

function isJsonType(headers: Headers): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.includes('json');
}

function parseJson(text: string, method: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ResponseValidationError(
      'RESPONSE_VALIDATION_FAILED',
      `${method} ${url}: the response is not valid JSON`,
      { cause, details: { method, url } },
    );
  }
}

/** A body read as text, decoded as `parseAs` asks (`undefined` for an empty JSON or default body). */
export function decodeText(
  text: string,
  headers: Headers,
  parseAs: 'json' | 'text' | undefined,
  method: string,
  url: string,
): unknown {
  if (parseAs === 'text') return text;
  if (text === '') return undefined;
  return parseAs === 'json' || isJsonType(headers) ? parseJson(text, method, url) : text;
}

/**
 * The answer for `parseAs: 'stream'`: a 2xx body is handed over unread as a web stream (the caller
 * consumes or cancels it); any other is read whole, for the error.
 */
export async function streamedAnswer(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal | undefined,
): Promise<BufferedAnswer> {
  const { statusCode, headers, body } = await dispatcher.request({ ...options, signal: signal ?? null });
  if (statusCode >= 200 && statusCode < 300)
    return {
      statusCode,
      headers,
      body: emptyBody,
      stream: Readable.toWeb(body) as ReadableStream<Uint8Array>,
    };
  return { statusCode, headers, body: Buffer.from(await body.arrayBuffer()) };
}

/**
 * An error answer's body: the text (for HttpError.body and the classifier) and the parsed data
 * (JSON by content type, else the text; bytes for parseAs 'bytes'). A JSON error body that does
 * not parse is kept as text: the status is the news, not the body.
 */
export function decodeErrorBody(
  body: Buffer,
  headers: Headers,
  parseAs: ParseAs | undefined,
): { text: string; data: unknown } {
  const text = bodyText(body);
  if (parseAs === 'bytes') return { text, data: new Uint8Array(body) };
  if (text === '') return { text, data: undefined };
  if (parseAs === 'json' || (parseAs !== 'text' && isJsonType(headers))) {
    try {
      return { text, data: JSON.parse(text) as unknown };
    } catch {
      return { text, data: text };
    }
  }
  return { text, data: text };
}
