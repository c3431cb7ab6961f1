/** What the orchestrator hands to each client process. PEM strings travel over the IPC channel only. */
export interface ClientConfig {
  readonly kind: ClientKind;
  readonly url: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly getRequests: number;
  readonly postRequests: number;
  readonly warmupRequests: number;
  readonly concurrency: number;
}

export const clientKinds = ['sdk', 'undici', 'https-keepalive', 'axios', 'https-naive'] as const;
export type ClientKind = (typeof clientKinds)[number];

/** A 4 KB JSON body for the POST workload. */
export const postBody = JSON.stringify({ value: '4.99', note: 'x'.repeat(4096 - 30) });
