import type { ClientConfig } from '../bench-config.ts';

export interface BenchClient {
  get(): Promise<void>;
  post(): Promise<void>;
  close(): Promise<void>;
}

export type BenchClientFactory = (config: ClientConfig) => BenchClient;

export function expectOk(status: number | undefined): void {
  if (status === undefined || status < 200 || status >= 300) throw new Error(`unexpected status ${status}`);
}
