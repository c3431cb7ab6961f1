import https from 'node:https';
import type { ClientConfig } from '../bench-config.ts';
import { postBody } from '../bench-config.ts';
import { type BenchClient, expectOk } from './bench-client.ts';

/**
 * node:https (HTTP/1.1 only) with a keep-alive agent, or the naive way: no agent at all
 * (`agent: false`), so every request opens, and pays for, a TLS connection of its own.
 */
export function nodeHttpsClient(config: ClientConfig, keepAlive: boolean): BenchClient {
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
