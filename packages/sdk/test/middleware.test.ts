import { createHmac } from 'node:crypto';
import { createTestPki, type TestPki } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type ClientIdentity,
  createClient,
  HttpError,
  type Middleware,
  type MtlsLinkError,
  type RequestInfo,
  type ResponseInfo,
} from '../src/index.ts';
import { identityOf, json, type LocalServer, startTlsServer } from './fixtures/small-servers.ts';

const signingKey = 'shared-hmac-key-for-the-test';
const sign = (method: string, path: string, timestamp: string, body: string) =>
  createHmac('sha256', signingKey).update(`${method}\n${path}\n${timestamp}\n${body}`).digest('hex');

let pki: TestPki;
let identity: ClientIdentity;
let server: LocalServer;
let signedSeen = 0;

beforeAll(async () => {
  pki = await createTestPki();
  identity = identityOf(pki.clients.valid);
  server = await startTlsServer({
    server: pki.server,
    version: 'TLSv1.3',
    handler: (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const url = req.url ?? '/';
        if (url.startsWith('/signed')) {
          const timestamp = String(req.headers['x-timestamp'] ?? '');
          const expected = sign(req.method ?? '', url, timestamp, body);
          if (req.headers['x-signature'] !== expected) {
            json(res, 401, { message: 'bad signature' });
            return;
          }
          signedSeen += 1;
          json(res, 200, { verified: true, body });
          return;
        }
        if (url === '/gone') {
          json(res, 410, { message: 'gone' });
          return;
        }
        json(res, 200, { live: true });
      });
    },
  });
}, 60_000);

afterAll(() => server.close());

function client(extra: Partial<Parameters<typeof createClient>[0]> = {}) {
  return createClient({ baseUrl: server.url, ca: pki.trustStorePem, identity, ...extra });
}

const signer: Middleware = {
  onRequest({ request }) {
    const timestamp = String(Date.now());
    const body = typeof request.body === 'string' ? request.body : '';
    const path = new URL(request.url).pathname + new URL(request.url).search;
    request.headers.set('x-timestamp', timestamp);
    request.headers.set('x-signature', sign(request.method, path, timestamp, body));
  },
};

describe('middleware', () => {
  test('onRequest signs a header over method, path and body; the server verifies it', async () => {
    const api = client();
    const unsigned = await api.POST('/signed', { body: { a: 1 } }).catch((e: unknown) => e);
    expect((unsigned as HttpError).status).toBe(401);
    const off = api.use(signer);
    const { data } = await api.request({ method: 'POST', path: '/signed?x=1', body: { a: 1 } });
    expect(data).toEqual({ verified: true, body: '{"a":1}' });
    expect(signedSeen).toBe(1);
    off();
    expect(((await api.POST('/signed', { body: {} }).catch((e: unknown) => e)) as HttpError).status).toBe(
      401,
    );
    await api.close();
  });

  test('onResponse replaces a response: an error status becomes a success, or the data changes', async () => {
    const api = client({
      middleware: [
        {
          onResponse({ response }) {
            if (response.status === 410)
              return { status: 200, headers: response.headers, data: { fallback: true } };
            return undefined;
          },
        },
      ],
    });
    expect((await api.GET('/gone')).data).toEqual({ fallback: true });
    api.use({
      onResponse: ({ response }) => ({ ...response, data: { wrapped: response.data } }),
    });
    // Reverse order: the later middleware sees the raw answer first, the earlier one its result.
    expect((await api.GET('/live')).data).toEqual({ wrapped: { live: true } });
    await api.close();
  });

  test('onResponse turning a success into an error status fails as HttpError; onError may recover or replace', async () => {
    const api = client();
    api.use({
      onResponse: () => ({ status: 503, headers: {}, data: { message: 'maintenance' } }),
    });
    const error = (await api.GET('/live', {}).catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.code).toBe('HTTP_GATEWAY_ERROR');
    expect(error.data).toEqual({ message: 'maintenance' });

    const recovering = client();
    const codes: string[] = [];
    recovering.use({
      onError: ({ error: e }) => {
        codes.push(e.code);
        return { status: 200, headers: {}, data: 'from cache' };
      },
    });
    expect((await recovering.GET('/gone')).data).toBe('from cache');
    recovering.use({ onError: () => new Error('replaced') });
    // Reverse order: the replacing middleware runs first; the recovering one still resolves.
    expect((await recovering.GET('/gone')).data).toBe('from cache');
    expect(codes).toEqual(['HTTP_UNEXPECTED_STATUS', 'HTTP_UNEXPECTED_STATUS']);
    await api.close();
    await recovering.close();
  });

  test('the observe-only hooks still see every moment, as a special case of middleware', async () => {
    const requests: RequestInfo[] = [];
    const responses: ResponseInfo[] = [];
    const errors: MtlsLinkError[] = [];
    const api = client({
      hooks: {
        onRequest: (info) => {
          requests.push(info);
          throw new Error('a faulty hook never breaks the request');
        },
        onResponse: (info) => responses.push(info),
        onError: (error) => errors.push(error),
      },
    });
    await api.GET('/live');
    await api.GET('/gone').catch(() => {});
    expect(requests.map((r) => r.url)).toEqual([`${server.url}/live`, `${server.url}/gone`]);
    expect(responses).toHaveLength(1);
    expect(responses[0]?.status).toBe(200);
    expect(errors.map((e) => e.code)).toEqual(['HTTP_UNEXPECTED_STATUS']);
    await api.close();
  });

  test('a bad middleware is CONFIG_INVALID naming it', () => {
    const api = client();
    expect(() => api.use({ onRequest: 'sign' } as unknown as Middleware)).toThrow(/middleware.onRequest/);
  });
});
