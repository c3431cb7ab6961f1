import { Agent, request } from 'undici';
import type { ClientConfig } from '../bench-config.ts';
import { postBody } from '../bench-config.ts';
import { type BenchClient, expectOk } from './bench-client.ts';

/** `undici.request` on an Agent with the SDK's TLS options, pool size and ALPN offer. */
export function createBenchClient(config: ClientConfig): BenchClient {
  const agent = new Agent({
    connect: { ca: config.caPem, cert: config.certPem, key: config.keyPem },
    connections: config.concurrency,
    allowH2: config.protocol === 'h2',
  });
  const getUrl = `${config.url}/widgets`;
  return {
    async get() {
      const { statusCode, body } = await request(getUrl, { dispatcher: agent });
      await body.json();
      expectOk(statusCode);
    },
    async post() {
      const { statusCode, body } = await request(getUrl, {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: postBody,
      });
      await body.json();
      expectOk(statusCode);
    },
    close: () => agent.close(),
  };
}
