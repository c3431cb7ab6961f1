import type { ClientConfig, ClientKind } from './bench-config.ts';
import type { BenchClient } from './clients/bench-client.ts';

/**
 * Loads only the library of `kind`: the client process times its own start-up (import + first
 * request), so it must not pay for the other clients' imports.
 */
export async function createBenchClient(kind: ClientKind, config: ClientConfig): Promise<BenchClient> {
  switch (kind) {
    case 'sdk':
      return (await import('./clients/sdk.ts')).createBenchClient(config);
    case 'undici':
      return (await import('./clients/undici.ts')).createBenchClient(config);
    case 'axios':
      return (await import('./clients/axios.ts')).createBenchClient(config);
    case 'https-keepalive':
      return (await import('./clients/node-https.ts')).nodeHttpsClient(config, true);
    case 'https-naive':
      return (await import('./clients/node-https.ts')).nodeHttpsClient(config, false);
  }
}
