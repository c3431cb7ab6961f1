import https from 'node:https';
import axios from 'axios';
import { Agent, request } from 'undici';
import type { ClientConfig, ClientKind } from './bench-config.ts';
import { postBody } from './bench-config.ts';
import { sdkClient } from './sdk-client.ts';

export interface BenchClient {
  get(): Promise<void>;
  post(): Promise<void>;
  close(): Promise<void>;
}

function expectOk(status: number | undefined): void {
  if (status === undefined || status < 200 || status >= 300) throw new Error(`unexpected status ${status}`);
}

function undiciClient(config: ClientConfig): BenchClient {
  const agent = new Agent({
    connect: { ca: config.caPem, cert: config.certPem, key: config.keyPem },
    connections: config.concurrency,
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

/**
 * node:https with a keep-alive agent, or the naive way: no agent at all (`agent: false`), so every
 * request opens, and pays for, a TLS connection of its own.
 */
function nodeHttpsClient(config: ClientConfig, keepAlive: boolean): BenchClient {
  const tls = { ca: config.caPem, cert: config.certPem, key: config.keyPem };
  const agent = keepAlive ? new https.Agent({ ...tls, keepAlive, maxSockets: config.concurrency }) : false;
  const call = (method: string, body?: string) =>
    new Promise<void>((resolve, reject) => {
      const req = https.request(
        `${config.url}/widgets`,
        {
          ...(agent === false ? tls : {}),
          agent,
          method,
          headers:
            body === undefined ? {} : { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            try {
              JSON.parse(Buffer.concat(chunks).toString('utf8'));
              expectOk(res.statusCode);
              resolve();
            } catch (error) {
              reject(error);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return {
    get: () => call('GET'),
    post: () => call('POST', postBody),
    close: async () => {
      if (agent !== false) agent.destroy();
    },
  };
}

function axiosClient(config: ClientConfig): BenchClient {
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

export function createBenchClient(kind: ClientKind, config: ClientConfig): BenchClient {
  switch (kind) {
    case 'sdk':
      return sdkClient(config);
    case 'undici':
      return undiciClient(config);
    case 'https-keepalive':
      return nodeHttpsClient(config, true);
    case 'https-naive':
      return nodeHttpsClient(config, false);
    case 'axios':
      return axiosClient(config);
  }
}
