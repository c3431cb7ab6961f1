import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface TcpConnectResult {
  readonly address: string;
  readonly port: number;
  readonly connectMs: number;
  /** Node's error code, or `ETIMEDOUT` when our own deadline fired. */
  readonly errno?: string;
  readonly message?: string;
}

/** Opens and closes one TCP connection under a deadline, reporting how long the connect took. */
export function tcpConnect(address: string, port: number, timeoutMs: number): Promise<TcpConnectResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const elapsed = () => Math.round((performance.now() - start) * 10) / 10;
    const socket = connect({ host: address, port });
    const finish = (outcome: { errno?: string; message?: string }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ address, port, connectMs: elapsed(), ...outcome });
    };
    const timer = setTimeout(
      () => finish({ errno: 'ETIMEDOUT', message: `no TCP answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({}));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish({ ...(error.code === undefined ? {} : { errno: error.code }), message: error.message }),
    );
  });
}
