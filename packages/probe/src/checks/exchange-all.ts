import type { ProbeContext } from '../context.ts';
import { type ExchangeIdentity, type TlsExchangeResult, tlsExchange } from '../net/tls-exchange.ts';

/** One fresh connection to every dial target (each an AZ's interface), all at once. */
export function exchangeAll(
  context: ProbeContext,
  opts: { identity?: ExchangeIdentity; withRequest: boolean; alpn: readonly string[] },
): Promise<TlsExchangeResult[]> {
  const targets = context.dialTargets ?? [];
  return Promise.all(
    targets.map((t) =>
      tlsExchange({
        address: t.address,
        port: t.port,
        servername: context.sni,
        verifyName: context.target.servername,
        ca: context.inputs.serverCa,
        ...(opts.identity === undefined ? {} : { identity: opts.identity }),
        alpn: opts.alpn,
        ...(opts.withRequest ? { request: context.request } : {}),
        timeoutMs: context.timeoutMs,
      }),
    ),
  );
}

/** How an exchange ended, for the per-address details (no key material, no bodies). */
export function exchangeFacts(result: TlsExchangeResult): Record<string, unknown> {
  const f = result.failure;
  return {
    address: result.address,
    port: result.port,
    ...(result.handshake?.protocol ? { protocol: result.handshake.protocol } : {}),
    timings: result.timings,
    ...(result.response === undefined ? {} : { status: result.response.status }),
    ...(f === undefined
      ? {}
      : {
          failure: {
            stage: f.stage,
            signal: f.signal,
            ...(f.alert === undefined ? {} : { alert: f.alert }),
            ...(f.errno === undefined ? {} : { errno: f.errno }),
            afterHandshake: f.afterHandshake,
            message: f.message,
          },
        }),
  };
}
