import { ConfigError } from '../errors/index.ts';
import type { HeadersInit, ParseAs, RequestTimeouts } from './openapi-types.ts';

// Not `import … from 'node:http'`: importing node:http as an ES module reads every export, and
// its lazy WebSocket/EventSource getters then load Node's bundled fetch stack (about 20 ms of
// start-up CPU). getBuiltinModule hands back the CommonJS module without touching them.
const { validateHeaderName, validateHeaderValue } = process.getBuiltinModule('node:http');

function invalid(option: string, why: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', `request option ${option} ${why}`, { details: { option } });
}

// RFC 9110 token characters; the usual methods skip the pattern.
const methodToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** The methods the client has a shorthand for (`api.GET`, …). */
export const clientMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const knownMethods: ReadonlySet<unknown> = new Set(clientMethods);
// What may appear in a request target as sent: visible ASCII, no spaces, no fragment.
const pathCharacters = /^[\u0021-\u007e]*$/;
const parseAsValues: ReadonlySet<string> = new Set(['json', 'text', 'bytes', 'stream']);

export interface RequestOptionsToCheck {
  readonly method: string;
  readonly path: string;
  readonly headers?: HeadersInit | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly timeouts?: RequestTimeouts | undefined;
  readonly parseAs?: ParseAs | undefined;
  readonly schema?: unknown;
}

/**
 * Per-request options checked before anything is sent: a bad one is CONFIG_INVALID naming it, never
 * a network failure that gets retried (undici's own argument errors looked like one).
 */
export function checkRequestOptions(options: RequestOptionsToCheck): void {
  if (
    !knownMethods.has(options.method) &&
    (typeof options.method !== 'string' || !methodToken.test(options.method))
  ) {
    throw invalid('method', `must be an HTTP method token, got ${JSON.stringify(String(options.method))}`);
  }
  if (typeof options.path !== 'string' || !pathCharacters.test(options.path) || options.path.includes('#')) {
    throw invalid(
      'path',
      'must be percent-encoded (no spaces, control or non-ASCII characters, no #): encode path segments with encodeURIComponent or use params.path',
    );
  }
  checkHeaders(options.headers, 'headers');
  const { signal, timeouts, parseAs, schema } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalid('signal', 'must be an AbortSignal');
  if (timeouts !== undefined) {
    if (typeof timeouts !== 'object' || timeouts === null) throw invalid('timeouts', 'must be an object');
    for (const name of ['headers', 'body', 'total'] as const) {
      const value = timeouts[name];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw invalid(`timeouts.${name}`, `must be a positive number of milliseconds, got ${String(value)}`);
      }
    }
  }
  if (parseAs !== undefined && !parseAsValues.has(parseAs)) {
    throw invalid('parseAs', `must be 'json', 'text', 'bytes' or 'stream', got ${String(parseAs)}`);
  }
  if (schema !== undefined) {
    const standard = (schema as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
    if (typeof standard?.validate !== 'function')
      throw invalid('schema', 'must be a Standard Schema (zod, valibot, arktype...)');
    if (parseAs === 'stream') throw invalid('schema', "cannot validate a body read as parseAs 'stream'");
  }
}

/** Header names and values as node:http would refuse them, named by where they came from. */
export function checkHeaders(headers: HeadersInit | undefined, where: string): void {
  if (headers === undefined) return;
  if (typeof headers !== 'object' || headers === null)
    throw invalid(where, 'must be an object of header names to values');
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    try {
      validateHeaderName(name);
      for (const item of typeof value === 'string' ? [value] : (value as readonly unknown[])) {
        if (typeof item !== 'string') throw new TypeError('not a string');
        validateHeaderValue(name, item);
      }
    } catch (cause) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `request option ${where}.${name.length <= 64 ? name : `${name.slice(0, 64)}…`} is not a valid header (${(cause as Error).message.replace(/"[^"]*"$/, '').trim()})`,
        { cause, details: { option: `${where}.${name}` } },
      );
    }
  }
}
