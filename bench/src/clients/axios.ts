import https from 'node:https';
import axios from 'axios';
import type { ClientConfig } from '../bench-config.ts';
import { postBody } from '../bench-config.ts';
import { type BenchClient, expectOk } from './bench-client.ts';

/** axios on a keep-alive node:https agent (HTTP/1.1 only). */
export function createBenchClient(config: ClientConfig): BenchClient {
  const httpsAgent = new https.Agent({
    ca: config.caPem,
    cert: config.certPem,
    key: config.keyPem,
    keepAlive: true,
    maxSockets: config.concurrency,
  });
  const instance = axios.create({ baseURL: config.url, httpsAgent });
  return {
    async get() {
      const res = await instance.get('/widgets');
      expectOk(res.status);
    },
    async post() {
      const res = await instance.post('/widgets', postBody, {
        headers: { 'content-type': 'application/json' },
      });
      expectOk(res.status);
    },
    close: async () => httpsAgent.destroy(),
  };
}
