import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createTestPki, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type ClientIdentity,
  createClient,
  HttpError,
  isMtlsLinkError,
  type MtlsLinkError,
  ResponseTooLargeError,
} from '../src/index.ts';
import { identityOf, json, type LocalServer, startTlsServer } from './fixtures/small-servers.ts';

let pki: TestPki;
let identity: ClientIdentity;
let server: LocalServer;
const calls = new Map<string, number>();
/** Every byte value, twice: text decoding would mangle it. */
const binary = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
const HUGE = 200 * 1024 * 1024;
const chunkedJson = JSON.stringify({ name: 'Grüße, 東京, 🚀'.repeat(40) });
const stalledClosed = Promise.withResolvers<void>();

beforeAll(async () => {
  pki = await createTestPki();
  identity = identityOf(pki.clients.valid);
  server = await startTlsServer({
    server: pki.server,
    version: 'TLSv1.3',
    handler: (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      calls.set(url.pathname, (calls.get(url.pathname) ?? 0) + 1);
      if (url.pathname === '/huge') {
        // 200 MB in 64 KiB chunks, written as the client reads (backpressure), until it hangs up.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 7);
        let sent = 0;
        const pump = () => {
          while (sent < HUGE) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => {
          sent = HUGE;
        });
        pump();
        return;
      }
      if (url.pathname === '/chunked-text') {
        // A byte-order mark, then multi-byte characters split across many small writes.
        res.writeHead(200, { 'content-type': 'application/json' });
        const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(chunkedJson)]);
        let at = 0;
        const next = () => {
          if (at >= bytes.length) return void res.end();
          res.write(bytes.subarray(at, at + 5));
          at += 5;
          setImmediate(next);
        };
        next();
        return;
      }
      if (url.pathname === '/early-hints') {
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        json(res, 200, { after: 'hints' });
        return;
      }
      if (url.pathname === '/no-content') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/stall-body') {
        // Half a body, then nothing: only the client's deadline ends the call.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
        res.write('{"half":');
        res.on('close', () => stalledClosed.resolve());
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        switch (url.pathname) {
          case '/binary':
            res.writeHead(200, {
              'content-type': 'application/octet-stream',
              'content-length': binary.length,
            });
            res.end(binary);
            return;
          case '/text-json':
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end('{"as":"json"}');
            return;
          case '/busy':
            json(res, 503, { message: 'busy', retryable: true }, { 'x-amzn-requestid': 'req-503' });
            return;
          case '/missing':
            json(res, 404, { message: 'no such widget', code: 'W404' }, { 'x-trace': 'abc' });
            return;
          default:
            json(res, 200, {
              contentType: req.headers['content-type'] ?? null,
              base64: raw.toString('base64'),
              sha256: createHash('sha256').update(raw).digest('hex'),
            });
        }
      });
    },
  });
}, 60_000);

afterAll(() => server.close());

function client(extra: Partial<Parameters<typeof createClient>[0]> = {}) {
  return createClient({ baseUrl: server.url, ca: pki.trustStorePem, identity, ...extra });
}

interface Echo {
  readonly contentType: string | null;
  readonly base64: string;
}

async function echo(body: unknown, path = '/echo'): Promise<{ bytes: Buffer; contentType: string | null }> {
  const api = client();
  try {
    const { data } = await api.request({ method: 'POST', path, body });
    const answer = data as Echo;
    return { bytes: Buffer.from(answer.base64, 'base64'), contentType: answer.contentType };
  } finally {
    await api.close();
  }
}

describe('request bodies arrive byte-exact with the content type fetch would send', () => {
  const text = 'grüße, 世界 🌍\n';

  test('string: UTF-8, text/plain', async () => {
    const got = await echo(text);
    expect(got.bytes.toString('utf8')).toBe(text);
    expect(got.contentType).toBe('text/plain;charset=UTF-8');
  });

  test('Uint8Array, ArrayBuffer, typed arrays and DataView: the same bytes, no content type', async () => {
    const bytes = Uint8Array.from(binary);
    const int16 = new Int16Array([1, -2, 300, -32768, 32767]);
    const window = new Uint8Array(binary.buffer, 100, 50);
    for (const [body, expected] of [
      [bytes, Buffer.from(binary)],
      [bytes.buffer.slice(0), Buffer.from(binary)],
      [int16, Buffer.from(int16.buffer)],
      [window, Buffer.from(binary.subarray(100, 150))],
      [new DataView(binary.buffer, 10, 20), Buffer.from(binary.subarray(10, 30))],
    ] as const) {
      const got = await echo(body);
      expect(got.bytes.equals(expected)).toBe(true);
      expect(got.contentType).toBeNull();
    }
  });

  test('Blob: its bytes and its type', async () => {
    const got = await echo(new Blob([binary], { type: 'image/png' }));
    expect(got.bytes.equals(Buffer.from(binary))).toBe(true);
    expect(got.contentType).toBe('image/png');
  });

  test('URLSearchParams: form-encoded', async () => {
    const got = await echo(new URLSearchParams({ a: '1 2', b: 'ä&=' }));
    expect(got.bytes.toString()).toBe('a=1+2&b=%C3%A4%26%3D');
    expect(got.contentType).toBe('application/x-www-form-urlencoded;charset=UTF-8');
  });

  test('FormData: multipart with its boundary; fields and file bytes read back exactly', async () => {
    const form = new FormData();
    // (The multipart encoding itself turns \n in field values into \r\n, as fetch does.)
    form.set('name', text.trim());
    form.set('file', new Blob([binary], { type: 'application/octet-stream' }), 'data.bin');
    const got = await echo(form);
    expect(got.contentType).toMatch(/^multipart\/form-data; boundary=/);
    const parsed = await new Response(got.bytes, {
      headers: { 'content-type': got.contentType ?? '' },
    }).formData();
    expect(parsed.get('name')).toBe(text.trim());
    const file = parsed.get('file') as File;
    expect(file.name).toBe('data.bin');
    expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(binary))).toBe(true);
  });

  test('ReadableStream, async iterable and Node Readable: streamed, the same bytes', async () => {
    const parts = [binary.subarray(0, 100), binary.subarray(100, 300), binary.subarray(300)];
    const web = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    async function* generate() {
      for (const part of parts) yield part;
    }
    for (const body of [web, generate(), Readable.from(parts.map((p) => Buffer.from(p)))]) {
      const got = await echo(body);
      expect(got.bytes.equals(Buffer.from(binary))).toBe(true);
    }
  });

  test('anything else: JSON', async () => {
    const got = await echo({ a: [1, 'two'], b: null });
    expect(got.bytes.toString()).toBe('{"a":[1,"two"],"b":null}');
    expect(got.contentType).toBe('application/json');
  });

  test('a caller content type wins over the implied one', async () => {
    const api = client();
    const { data } = await api.request({
      method: 'POST',
      path: '/echo',
      headers: { 'Content-Type': 'text/csv' },
      body: 'a,b',
    });
    await api.close();
    expect((data as Echo).contentType).toBe('text/csv');
  });

  test('a stream is sent once (not replayable), bytes and Blobs are retried', async () => {
    const api = client({ retry: { attempts: 2, baseDelayMs: 1 } });
    const headers = { 'Idempotency-Key': 'k-1' };
    calls.delete('/busy');
    async function* once() {
      yield binary;
    }
    const streamed = await api
      .request({ method: 'POST', path: '/busy', headers, body: once() })
      .catch((e: unknown) => e);
    expect((streamed as MtlsLinkError).code).toBe('HTTP_GATEWAY_ERROR');
    expect(calls.get('/busy')).toBe(1);
    calls.delete('/busy');
    await api.request({ method: 'POST', path: '/busy', headers, body: new Blob([binary]) }).catch(() => {});
    expect(calls.get('/busy')).toBe(3);
    await api.close();
  });

  test('a body JSON cannot encode is CONFIG_INVALID naming body, before anything is sent', async () => {
    const api = client();
    calls.delete('/echo');
    const error = (await api
      .request({ method: 'POST', path: '/echo', body: { n: 1n } })
      .catch((e: unknown) => e)) as MtlsLinkError;
    await api.close();
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.details['option']).toBe('body');
    expect(calls.get('/echo')).toBeUndefined();
  });
});

describe('responses as parseAs asks', () => {
  test("'bytes' keeps binary exact; the default reads non-JSON as text", async () => {
    const api = client();
    const bytes = await api.request({ method: 'GET', path: '/binary', parseAs: 'bytes' });
    expect(bytes.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bytes.data).equals(Buffer.from(binary))).toBe(true);
    const text = await api.request({ method: 'GET', path: '/binary' });
    expect(typeof text.data).toBe('string');
    await api.close();
  });

  test("'json' parses whatever the content type; 'text' never parses", async () => {
    const api = client();
    expect((await api.request({ method: 'GET', path: '/text-json', parseAs: 'json' })).data).toEqual({
      as: 'json',
    });
    expect((await api.request({ method: 'GET', path: '/echo', parseAs: 'text' })).data).toMatch(
      /^\{"contentType"/,
    );
    await api.close();
  });

  test("'stream' hands over a ReadableStream of the body", async () => {
    const api = client();
    const { data } = await api.request({ method: 'GET', path: '/binary', parseAs: 'stream' });
    const collected = Buffer.from(await new Response(data).arrayBuffer());
    expect(collected.equals(Buffer.from(binary))).toBe(true);
    await api.close();
  });

  test('HttpError carries the response headers and the parsed error body', async () => {
    const api = client();
    const error = await api.GET('/missing').catch((e: unknown) => e);
    await api.close();
    expect(error).toBeInstanceOf(HttpError);
    const http = error as HttpError<{ message: string; code: string }>;
    expect(http.status).toBe(404);
    expect(http.data).toEqual({ message: 'no such widget', code: 'W404' });
    expect(http.headers['x-trace']).toBe('abc');
    expect(http.body).toBe('{"message":"no such widget","code":"W404"}');
    // Headers (cookies, tokens) stay out of details, which logs print.
    expect(JSON.stringify(http.details)).not.toContain('x-trace');
  });
});

describe('answers read whole, as they arrive on the wire', () => {
  test('a body in many small chunks, multi-byte characters split across them, a byte-order mark first', async () => {
    const api = client();
    const { data } = await api.request({ method: 'GET', path: '/chunked-text' });
    expect(data).toEqual(JSON.parse(chunkedJson));
    const text = await api.request({ method: 'GET', path: '/chunked-text', parseAs: 'text' });
    expect(text.data).toBe(chunkedJson);
    await api.close();
  });

  test('an informational 103 before the answer: the answer is the 200 after it', async () => {
    const api = client();
    const answer = await api.request({ method: 'GET', path: '/early-hints' });
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({ after: 'hints' });
    await api.close();
  });

  test('no body: 204 and HEAD answer undefined', async () => {
    const api = client();
    const empty = await api.request({ method: 'GET', path: '/no-content' });
    expect([empty.status, empty.data]).toEqual([204, undefined]);
    const head = await api.request({ method: 'HEAD', path: '/binary' });
    expect([head.status, head.data]).toEqual([200, undefined]);
    await api.close();
  });

  test('a body that stops half-way: the signal ends the call (ABORTED) and the connection is closed', async () => {
    const api = client({ retry: false });
    const error = await api
      .request({ method: 'GET', path: '/stall-body', signal: AbortSignal.timeout(300) })
      .catch((e: unknown) => e);
    expect(isMtlsLinkError(error) && error.code).toBe('ABORTED');
    // The server sees the client hang up: the half-read answer is not left on the connection.
    await stalledClosed.promise;
    await api.close();
  });
});

describe('maxResponseSize', () => {
  test('a server streaming 200 MB: RESPONSE_TOO_LARGE at the 10 MiB default, client memory bounded', async () => {
    const api = client({ retry: false });
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    for (const parseAs of [undefined, 'bytes', 'text'] as const) {
      const error = await api
        .request({ method: 'GET', path: '/huge', ...(parseAs === undefined ? {} : { parseAs }) })
        .catch((e: unknown) => e);
      if (!isMtlsLinkError(error)) throw error;
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(error.name).toBe('ResponseTooLargeError');
      expect(error.code).toBe('RESPONSE_TOO_LARGE');
      expect(error.hop).toBe('response');
      expect(error.details['maxResponseSize']).toBe(10 * 1024 * 1024);
    }
    const grown = process.memoryUsage().rss - before;
    await api.close();
    // Reading the whole body three times over would take 600 MB and more; a bounded read stays far below.
    expect(grown).toBeLessThan(120 * 1024 * 1024);
  }, 60_000);

  test("a smaller limit, and 'stream' errors its stream at the limit", async () => {
    const api = client({ retry: false, maxResponseSize: 100_000 });
    const { data } = await api.request({ method: 'GET', path: '/huge', parseAs: 'stream' });
    const error = await new Response(data).arrayBuffer().catch((e: unknown) => e);
    expect(String((error as Error)?.message ?? error)).toMatch(/max|size|exceed/i);
    const small = await api.GET('/binary');
    expect(small.status).toBe(200);
    await api.close();
  }, 60_000);

  test('an invalid limit is CONFIG_INVALID naming it', () => {
    expect(() => client({ maxResponseSize: -5 })).toThrow(/maxResponseSize/);
  });
});
