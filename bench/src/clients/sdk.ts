import { createClient, readIdentity } from '@mtls-link/sdk';
import type { ClientConfig } from '../bench-config.ts';
import { postBody } from '../bench-config.ts';
import type { BenchClient } from './bench-client.ts';

/** The SDK as a user would set it up: one identity, the producer's CA, default pool and retries. */
export function createBenchClient(config: ClientConfig): BenchClient {
  const identity = readIdentity({
    secretString: JSON.stringify({ certificate: config.certPem, privateKey: config.keyPem }),
    source: 'benchmark',
  });
  const client = createClient({
    baseUrl: config.url,
    identity,
    ca: config.caPem,
    connections: config.concurrency,
    allowH2: config.protocol === 'h2',
  });
  return {
    async get() {
      await client.request({ method: 'GET', path: '/widgets' });
    },
    async post() {
      await client.request({
        method: 'POST',
        path: '/widgets',
        headers: { 'content-type': 'application/json' },
        body: postBody,
      });
    },
    close: () => client.close(),
  };
}
