import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Gateway, isTestkitError, startGateway, type TestPki } from '@mtls-link/testkit';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, test } from 'vitest';
import { gatewayFor, h2Get, testPki } from './gateway-fixtures.ts';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTPS request with the valid client certificate, on a fresh connection. */
function call(
  gateway: Gateway,
  pki: TestPki,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const client = pki.clients.valid;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${gateway.url}${path}`,
      {
        method,
        ca: pki.root.certPem,
        servername: 'localhost',
        cert: client.certPem + client.chainPem,
        key: client.keyPem,
        agent: false,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const upstreams: { close(): void }[] = [];
afterAll(() => {
  for (const upstream of upstreams) upstream.close();
});

describe('built-in API (API Gateway private REST API)', () => {
  test('widgets: list, get, create, unknown id', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    const list = await call(gateway, pki, 'GET', '/widgets');
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body)[0]).toEqual({ id: '1', value: '4.99' });
    const one = await call(gateway, pki, 'GET', '/widgets/1');
    expect(one.body).toBe('{"id":"1","value":"4.99"}');
    expect(one.headers['content-type']).toBe('application/json');
    const created = await call(gateway, pki, 'POST', '/widgets', '{"value":"7.00"}');
    expect(created.status).toBe(201);
    const widget = JSON.parse(created.body);
    expect(widget).toMatchObject({ value: '7.00' });
    expect((await call(gateway, pki, 'GET', `/widgets/${widget.id}`)).body).toBe(created.body);
    const missing = await call(gateway, pki, 'GET', '/widgets/999');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ message: 'Widget not found' });
    expect((await call(gateway, pki, 'POST', '/widgets', 'not json')).status).toBe(400);
    // A malformed escape is the caller's mistake, answered by the API, not an ALB 502.
    const malformed = await call(gateway, pki, 'GET', '/widgets/%E0');
    expect(malformed.status).toBe(400);
    expect(malformed.headers['x-amzn-errortype']).toBe('BadRequestException');
  });

  test('every answer carries x-amzn-RequestId and x-amz-apigw-id', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { apiGateway: { requestIdPrefix: 'test-' } });
    const ids = new Set<string>();
    for (const path of ['/widgets', '/widgets/1', '/nope', '/echo']) {
      const answer = await call(gateway, pki, 'GET', path);
      expect(answer.headers['x-amzn-requestid']).toMatch(/^test-[0-9a-f-]{36}$/);
      expect(answer.headers['x-amz-apigw-id']).toMatch(/^[A-Za-z0-9+/]{15}=$/);
      ids.add(String(answer.headers['x-amzn-requestid']));
    }
    expect(ids.size).toBe(4);
  });

  test('unknown resource or method: 403 Missing Authentication Token', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/widgets'],
      ['PUT', '/widgets/1'],
    ] as const) {
      const answer = await call(gateway, pki, method, path);
      expect(answer.status).toBe(403);
      expect(answer.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
      expect(JSON.parse(answer.body)).toEqual({ message: 'Missing Authentication Token' });
    }
  });

  test("missingRoute 'forbidden': the newer 403 ForbiddenException type, same body; update() switches it", async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { apiGateway: { missingRoute: 'forbidden' } });
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/widgets'],
    ] as const) {
      const answer = await call(gateway, pki, method, path);
      expect(answer.status).toBe(403);
      expect(answer.headers['x-amzn-errortype']).toBe('ForbiddenException');
      expect(JSON.parse(answer.body)).toEqual({ message: 'Missing Authentication Token' });
      expect(answer.headers['x-amzn-requestid']).toBeTypeOf('string');
    }
    expect((await call(gateway, pki, 'GET', '/widgets')).status).toBe(200);
    gateway.update({ apiGateway: { missingRoute: 'missing-authentication-token' } });
    expect((await call(gateway, pki, 'GET', '/nope')).headers['x-amzn-errortype']).toBe(
      'MissingAuthenticationTokenException',
    );
  });

  test('authorizer: 401 Unauthorized, and an explicit deny unlike the resource policy one', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { apiGateway: { authorizer: 'unauthorized' } });
    const unauthorized = await call(gateway, pki, 'GET', '/widgets');
    expect(unauthorized.status).toBe(401);
    expect(JSON.parse(unauthorized.body)).toEqual({ message: 'Unauthorized' });
    expect(unauthorized.headers['x-amzn-errortype']).toBe('UnauthorizedException');
    expect(unauthorized.headers['x-amzn-requestid']).toBeTypeOf('string');
    gateway.update({ apiGateway: { authorizer: 'deny' } });
    const denied = await call(gateway, pki, 'GET', '/widgets');
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toEqual({
      Message: 'User is not authorized to access this resource with an explicit deny',
    });
    expect(denied.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    expect(denied.headers['x-amzn-requestid']).toBeTypeOf('string');
    // The resource policy is judged before the authorizer, with its own message.
    gateway.update({ apiGateway: { accessDenied: true } });
    expect(JSON.parse((await call(gateway, pki, 'GET', '/widgets')).body).Message).toMatch(
      /execute-api:Invoke on resource: .* with an explicit deny$/,
    );
    gateway.update({ apiGateway: { accessDenied: false, authorizer: 'allow' } });
    expect((await call(gateway, pki, 'GET', '/widgets')).status).toBe(200);
  });

  test('an execute-api endpoint policy deny: 403 IncompleteSignatureException / InvalidSignatureException', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, {
      apiGateway: { endpointPolicyDeny: 'IncompleteSignatureException' },
    });
    const incomplete = await call(gateway, pki, 'GET', '/widgets', undefined, {
      authorization: 'Bearer secret-token-value',
    });
    expect(incomplete.status).toBe(403);
    expect(incomplete.headers['x-amzn-errortype']).toBe('IncompleteSignatureException');
    const message = (JSON.parse(incomplete.body) as { message: string }).message;
    expect(message).toMatch(
      /^Authorization header requires 'Credential' parameter\. .*Authorization=Bearer$/,
    );
    // The caller's token is never echoed back.
    expect(incomplete.body).not.toContain('secret-token-value');
    expect(incomplete.headers['x-amzn-requestid']).toBeTypeOf('string');
    gateway.update({ apiGateway: { endpointPolicyDeny: 'InvalidSignatureException' } });
    const invalid = await call(gateway, pki, 'GET', '/widgets');
    expect(invalid.status).toBe(403);
    expect(invalid.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
    expect(JSON.parse(invalid.body).message).toMatch(
      /^The request signature we calculated does not match the signature you provided\./,
    );
    expect(invalid.headers['x-amzn-requestid']).toBeTypeOf('string');
  });

  test('domainName: another Host gets 403 ForbiddenException unless x-apigw-api-id names the API', async () => {
    const pki = await testPki();
    const domainName = 'a1b2c3d4e5.execute-api.eu-west-2.amazonaws.com';
    const gateway = await gatewayFor(pki, { apiGateway: { domainName } });
    const wrong = await call(gateway, pki, 'GET', '/widgets');
    expect(wrong.status).toBe(403);
    expect(wrong.headers['x-amzn-errortype']).toBe('ForbiddenException');
    expect(JSON.parse(wrong.body)).toEqual({ message: 'Forbidden' });
    expect(wrong.headers['x-amzn-requestid']).toBeTypeOf('string');
    expect((await call(gateway, pki, 'GET', '/widgets', undefined, { host: domainName })).status).toBe(200);
    expect(
      (await call(gateway, pki, 'GET', '/widgets', undefined, { host: `${domainName.toUpperCase()}:443` }))
        .status,
    ).toBe(200);
    expect(
      (await call(gateway, pki, 'GET', '/widgets', undefined, { 'x-apigw-api-id': 'a1b2c3d4e5' })).status,
    ).toBe(200);
    expect(
      (await call(gateway, pki, 'GET', '/widgets', undefined, { 'x-apigw-api-id': 'zzzz' })).status,
    ).toBe(403);
  });

  test('bad apiGateway options name the field', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    expect(() => gateway.update({ apiGateway: { authorizer: 'maybe' as never } })).toThrow(
      /update: apiGateway\.authorizer/,
    );
    expect(() => gateway.update({ apiGateway: { missingRoute: 'gone' as never } })).toThrow(
      /apiGateway\.missingRoute/,
    );
    expect(() => gateway.update({ apiGateway: { endpointPolicyDeny: 'Nope' as never } })).toThrow(
      /apiGateway\.endpointPolicyDeny/,
    );
    expect(() => gateway.update({ apiGateway: { domainName: '' } })).toThrow(/apiGateway\.domainName/);
    expect(() => gateway.update({ upstreamTimeoutMs: 0 })).toThrow(/update: upstreamTimeoutMs/);
  });

  test('/echo returns the request and the forwarded mTLS headers', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    const answer = await call(gateway, pki, 'PATCH', '/echo?a=1&b=two', '{"x":1}');
    const echoed = JSON.parse(answer.body);
    expect(echoed).toMatchObject({
      method: 'PATCH',
      path: '/echo',
      query: { a: '1', b: 'two' },
      body: '{"x":1}',
    });
    expect(echoed.headers['content-type']).toBe('application/json');
    expect(echoed.mtls['X-Amzn-Mtls-Clientcert-Serial-Number']).toBe(pki.clients.valid.serialHex);
  });

  test('accessDenied answers like a resource policy with an explicit deny; update() switches it', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { apiGateway: { accessDenied: true } });
    const denied = await call(gateway, pki, 'GET', '/widgets');
    expect(denied.status).toBe(403);
    expect(denied.headers['x-amzn-errortype']).toBe('AccessDeniedException');
    expect(JSON.parse(denied.body).Message).toMatch(
      /^User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:[^ ]+\/GET\/widgets with an explicit deny$/,
    );
    expect(denied.headers['x-amzn-requestid']).toBeTypeOf('string');
    gateway.update({ apiGateway: { accessDenied: false } });
    expect((await call(gateway, pki, 'GET', '/widgets')).status).toBe(200);
  });

  test('albError answers with the ALB page and Server: awselb/2.0', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { albError: 502 });
    const titles = {
      502: '502 Bad Gateway',
      503: '503 Service Temporarily Unavailable',
      504: '504 Gateway Time-out',
    };
    for (const status of [502, 503, 504] as const) {
      gateway.update({ albError: status });
      const answer = await call(gateway, pki, 'GET', '/widgets');
      expect(answer.status).toBe(status);
      expect(answer.headers.server).toBe('awselb/2.0');
      expect(answer.headers['content-type']).toBe('text/html');
      expect(answer.body).toContain(`<title>${titles[status]}</title>`);
      expect(answer.headers['x-amzn-requestid']).toBeUndefined();
    }
    gateway.update({ albError: undefined });
    expect((await call(gateway, pki, 'GET', '/widgets')).status).toBe(200);
  });
});

describe('upstream', () => {
  test('proxies path, query, body and the mTLS headers; an unreachable upstream is a 502', async () => {
    const pki = await testPki();
    const seen: { url?: string | undefined; headers?: IncomingHttpHeaders; body?: string } = {};
    const upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.url = req.url;
        seen.headers = req.headers;
        seen.body = Buffer.concat(chunks).toString();
        res.writeHead(418, { 'content-type': 'text/plain', 'x-upstream': 'yes' });
        res.end('teapot');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreams.push(upstream);
    const { port } = upstream.address() as AddressInfo;
    const gateway = await gatewayFor(pki, { upstream: `http://127.0.0.1:${port}/base` });
    const answer = await call(gateway, pki, 'POST', '/widgets?x=1', '{"value":"1"}');
    expect(answer).toMatchObject({ status: 418, body: 'teapot' });
    expect(answer.headers['x-upstream']).toBe('yes');
    expect(seen.url).toBe('/base/widgets?x=1');
    expect(seen.body).toBe('{"value":"1"}');
    expect(seen.headers?.['x-amzn-mtls-clientcert-serial-number']).toBe(pki.clients.valid.serialHex);

    const unreachable = await gatewayFor(pki, { upstream: 'http://127.0.0.1:1/' });
    const failed = await call(unreachable, pki, 'GET', '/widgets');
    expect(failed.status).toBe(502);
    expect(failed.headers.server).toBe('awselb/2.0');
  });
});

describe('upstream over both HTTP versions', () => {
  test("the client's Host reaches the upstream, from HTTP/1.1 and from HTTP/2's :authority", async () => {
    const pki = await testPki();
    const hosts: (string | undefined)[] = [];
    const upstream = createServer((req, res) => {
      hosts.push(req.headers.host);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`v${req.httpVersion}`);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreams.push(upstream);
    const { port } = upstream.address() as AddressInfo;
    const gateway = await gatewayFor(pki, { upstream: `http://127.0.0.1:${port}` });
    const h1 = await call(gateway, pki, 'GET', '/widgets', undefined, { host: 'api.example.com' });
    expect(h1).toMatchObject({ status: 200, body: 'v1.1' });
    const h2 = await h2Get(gateway, pki, '/widgets', 'api.example.com');
    expect(h2.status).toBe(200);
    expect(h2.body).toBe('v1.1');
    expect(hosts).toEqual(['api.example.com', 'api.example.com']);
  });

  test('an upstream that does not answer within upstreamTimeoutMs gets the ALB 504 page', async () => {
    const pki = await testPki();
    const held: ServerResponse[] = [];
    const slow = createServer((_req, res) => {
      held.push(res);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    upstreams.push({
      close: () => {
        for (const res of held) res.destroy();
        slow.close();
      },
    });
    const { port } = slow.address() as AddressInfo;
    const gateway = await gatewayFor(pki, { upstream: `http://127.0.0.1:${port}`, upstreamTimeoutMs: 300 });
    const started = performance.now();
    const answer = await call(gateway, pki, 'GET', '/widgets');
    const elapsed = performance.now() - started;
    expect(answer.status).toBe(504);
    expect(answer.headers.server).toBe('awselb/2.0');
    expect(answer.body).toContain('<title>504 Gateway Time-out</title>');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // The deadline plus a margin for the handshake on a busy machine.
    expect(elapsed).toBeLessThan(300 + 3_000);
    const viaH2 = await h2Get(gateway, pki, '/widgets');
    expect(viaH2.status).toBe(504);
  });
});

describe('fault injection', () => {
  test('resetRatio resets that share of requests, deterministically, after reading them', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki, { faults: { resetRatio: 0.5 } });
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        const answer = await call(gateway, pki, 'POST', '/widgets', `{"value":"${i}"}`);
        outcomes.push(String(answer.status));
      } catch (error) {
        outcomes.push((error as NodeJS.ErrnoException).code ?? 'error');
      }
    }
    expect(outcomes).toEqual(['201', 'ECONNRESET', '201', 'ECONNRESET', '201', 'ECONNRESET']);
    gateway.update({ faults: { resetRatio: 0 } });
    // The reset requests never reached the API: only the three answered ones created widgets.
    const list = JSON.parse((await call(gateway, pki, 'GET', '/widgets')).body) as { value: string }[];
    expect(list.map((w) => w.value).slice(-3)).toEqual(['0', '2', '4']);
  });
});

describe('real clients', () => {
  test('undici with a keep-alive pool: one handshake per connection, refusal surfaces as an error', async () => {
    const pki = await testPki();
    const gateway = await gatewayFor(pki);
    const valid = pki.clients.valid;
    const agent = new Agent({
      connections: 1,
      connect: {
        ca: pki.root.certPem,
        servername: 'localhost',
        cert: valid.certPem + valid.chainPem,
        key: valid.keyPem,
      },
    });
    try {
      for (let i = 0; i < 5; i++) {
        const answer = await request(`${gateway.url}/widgets/1`, { dispatcher: agent });
        expect(await answer.body.json()).toEqual({ id: '1', value: '4.99' });
      }
      expect(gateway.handshakes()).toBe(1);
    } finally {
      await agent.close();
    }
    const revoked = pki.clients.revoked;
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const refusedAgent = new Agent({
        connect: {
          ca: pki.root.certPem,
          servername: 'localhost',
          cert: revoked.certPem + revoked.chainPem,
          key: revoked.keyPem,
          minVersion: version,
          maxVersion: version,
        },
      });
      try {
        // The default refusal is the ALB's TCP reset: in the handshake under TLS 1.2, on the first
        // request under TLS 1.3.
        await expect(request(`${gateway.url}/widgets`, { dispatcher: refusedAgent })).rejects.toMatchObject({
          code: 'ECONNRESET',
        });
      } finally {
        await refusedAgent.close();
      }
    }
  });
});

describe('options', () => {
  test('bad options are refused with a typed error naming the field, never the key', async () => {
    const pki = await testPki();
    const server = { certPem: pki.server.certPem, keyPem: pki.server.keyPem };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ mode: 'strict', server }, /mode/],
      [{ mode: 'verify', server }, /trustStore/],
      [{ mode: 'off', server: { certPem: 'x', keyPem: pki.server.keyPem } }, /server\.certPem/],
      [{ mode: 'off', server, refusal: { style: 'drop' } }, /refusal\.style/],
      [{ mode: 'off', server, faults: { resetRatio: 2 } }, /faults\.resetRatio/],
      [{ mode: 'off', server, tls: { minVersion: 'TLSv1.1' } }, /tls\.minVersion/],
      [{ mode: 'off', server, upstream: 'ftp://x' }, /upstream/],
      [{ mode: 'off', server, headerNames: { subject: 'X Subject' } }, /headerNames\.subject/],
      [{ mode: 'off', server, headerNames: { fingerprint: 'X-Fp' } }, /headerNames\.fingerprint/],
      [
        { mode: 'off', server: { certPem: pki.server.certPem, keyPem: pki.clients.valid.keyPem } },
        /server\.certPem/,
      ],
      [
        { mode: 'verify', server, trustStore: { caPem: pki.trustStorePem, crlPems: ['junk'] } },
        /crlPems\[0\]/,
      ],
    ];
    for (const [options, field] of cases) {
      const error = await startGateway(options as never).then(
        (gateway) => gateway.close().then(() => undefined),
        (e: unknown) => e,
      );
      expect(isTestkitError(error), String(field)).toBe(true);
      expect((error as Error).message).toMatch(field);
      expect((error as Error).message).not.toMatch(/PRIVATE KEY|BEGIN/);
    }
    const gateway = await gatewayFor(pki);
    expect(() => gateway.update({ refusal: { delayMs: -1 } })).toThrow(/update: refusal\.delayMs/);
  });
});
