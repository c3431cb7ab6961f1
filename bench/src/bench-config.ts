/** What the orchestrator hands to each client process. PEM strings travel over the IPC channel only. */
export interface ClientConfig {
  readonly kind: ClientKind;
  /** 'http1' pins HTTP/1.1 (allowH2 off on both sides of the pair); 'h2' lets ALPN pick h2. */
  readonly protocol: Protocol;
  readonly url: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly getRequests: number;
  readonly postRequests: number;
  readonly warmupRequests: number;
  readonly concurrency: number;
  /** Write a CPU profile of the GET load alone to this file (--cpu-prof). */
  readonly loadProfileFile?: string;
}

export const clientKinds = ['sdk', 'undici', 'https-keepalive', 'axios', 'https-naive'] as const;
export type ClientKind = (typeof clientKinds)[number];

export type Protocol = 'http1' | 'h2';

/** A 4 KB JSON body for the POST workload. */
export const postBody = JSON.stringify({ value: '4.99', note: 'x'.repeat(4096 - 30) });
