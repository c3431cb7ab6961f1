export interface BenchClient {
  get(): Promise<void>;
  post(): Promise<void>;
  close(): Promise<void>;
}

export function expectOk(status: number | undefined): void {
  if (status === undefined || status < 200 || status >= 300) throw new Error(`unexpected status ${status}`);
}
