import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestPki, type Gateway, startGateway, type TestPki } from '@mtls-link/testkit';
import * as undici from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Agent, buildConnector, Client } from '../src/transport/undici-modules.ts';

// The SDK loads undici's dispatchers one file at a time instead of undici's index (which loads
// fetch, WebSocket, the caches and the mocks too). These tests fail when an undici upgrade moves
// one of those files or changes what the index exports under that name.
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const run = promisify(execFile);

let pki: TestPki;
let gateway: Gateway;

beforeAll(async () => {
  pki = await createTestPki();
  gateway = await startGateway({
    mode: 'verify',
    server: pki.server,
    trustStore: { caPem: pki.trustStorePem, crlPems: [pki.crlPem] },
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
});

describe("the undici modules the SDK loads are undici's own", () => {
  test('each is the object undici exports under that name', () => {
    expect(Agent).toBe(undici.Agent);
    expect(Client).toBe(undici.Client);
    expect(buildConnector).toBe(undici.buildConnector);
  });

  test("dispatchers get undici's request API from them alone", () => {
    expect(undici.Agent.prototype.request).toBeTypeOf('function');
    expect(Agent.prototype.request).toBe(undici.Dispatcher.prototype.request);
  });

  test("a fresh process calls the API over h2 and HTTP/1.1 without loading undici's index", async () => {
    const issued = pki.clients.valid;
    const script = `
      import { registerHooks } from 'node:module';
      const undiciFiles = [];
      registerHooks({ resolve(specifier, context, next) {
        const result = next(specifier, context);
        const at = result.url.lastIndexOf('/undici/');
        if (at >= 0 && !result.url.includes('/node_modules/', at)) undiciFiles.push(result.url.slice(at + 8));
        return result;
      } });
      const sdk = await import(${JSON.stringify(entry)});
      const identity = sdk.readIdentity(
        { secretString: ${JSON.stringify(JSON.stringify({ certificate: issued.certPem, privateKey: issued.keyPem, certificateChain: issued.chainPem }))}, source: 'test' },
        { validate: false },
      );
      const statuses = [];
      for (const allowH2 of [true, false]) {
        const client = sdk.createClient({ baseUrl: ${JSON.stringify(gateway.url)}, identity, ca: ${JSON.stringify(pki.trustStorePem)}, allowH2 });
        const response = await client.request({ method: 'GET', path: '/widgets' });
        statuses.push(response.status);
        await client.close();
      }
      console.log(JSON.stringify({ undiciFiles, statuses }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 30_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      undiciFiles: string[];
      statuses: number[];
    };
    expect(result.statuses).toEqual([200, 200]);
    expect(result.undiciFiles.length).toBeGreaterThan(0);
    expect(result.undiciFiles).not.toContain('index.js');
    expect(result.undiciFiles.filter((file) => file.startsWith('lib/web/fetch/'))).toEqual([]);
  });
});
