import type { ClientIdentity } from '@mtls-link/sdk';
import { type ExchangeOutcome, exchangeOnce } from '@mtls-link/sdk/diagnostics';
import type { ProbeContext } from '../context.ts';
import { formatHostPort } from '../net/address.ts';
import { type ExchangeIdentity, type TlsExchangeResult, tlsExchange } from '../net/tls-exchange.ts';

/**
 * One handshake (no request) to every dial target at once, for tls.server: the probe reads the
 * server's chain itself, so that it can report every problem with it rather than the first.
 */
export function handshakeAll(
  context: ProbeContext,
  opts: { identity?: ExchangeIdentity; alpn: readonly string[] },
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
        timeoutMs: context.timeoutMs,
      }),
    ),
  );
}

/**
 * The run's request on one fresh connection to every dial target at once, through the SDK's own
 * connector, TLS options and ALPN offer (h2 and HTTP/1.1): what passes here works for the client.
 */
export function requestAll(
  context: ProbeContext,
  identity: ClientIdentity | undefined,
  signal?: AbortSignal,
): Promise<ExchangeOutcome[]> {
  const targets = context.dialTargets ?? [];
  const origin = `https://${context.target.hostHeader}`;
  const { method, path, headers, body } = context.request;
  const names = new Set(headers.map(([name]) => name.toLowerCase()));
  // The user's headers replace the probe's own: exactly one of each is sent.
  const defaults: [string, string][] = [
    ...(names.has('user-agent') ? [] : [['user-agent', 'mtls-probe'] as [string, string]]),
    ...(names.has('accept') ? [] : [['accept', '*/*'] as [string, string]]),
  ];
  return Promise.all(
    targets.map((t) =>
      exchangeOnce({
        origin,
        address: t.address,
        port: t.port,
        servername: context.sni,
        ca: context.inputs.serverCa,
        identity,
        // tls.server judged the server's chain; here only the client certificate is in question.
        rejectUnauthorized: false,
        connectTimeoutMs: context.timeoutMs,
        responseTimeoutMs: context.responseTimeoutMs,
        request: {
          method,
          path,
          headers: [...defaults, ...headers],
          ...(body === undefined ? {} : { body }),
        },
        ...(signal === undefined ? {} : { signal }),
      }),
    ),
  );
}

/** How a handshake ended, for the per-address details (no key material, no bodies). */
export function exchangeFacts(result: TlsExchangeResult): Record<string, unknown> {
  const f = result.failure;
  return {
    address: result.address,
    port: result.port,
    ...(result.handshake?.protocol ? { protocol: result.handshake.protocol } : {}),
    timings: result.timings,
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

/** Where an exchange that failed got to, in the shape `details.addresses[].failure` always had. */
function failureOf(outcome: ExchangeOutcome): Record<string, unknown> | undefined {
  const error = outcome.error;
  if (error === undefined || outcome.response !== undefined) return undefined;
  const c = outcome.connection;
  const details = error.details as { signal?: string; alert?: string; errorCode?: string; timeout?: string };
  const stage = c?.tcpConnected !== true ? 'tcp' : c.handshakeComplete ? 'response' : 'tls';
  const signal =
    details.timeout !== undefined
      ? 'timeout'
      : (details.signal ?? (details.alert === undefined ? 'error' : 'alert'));
  return {
    stage,
    signal,
    ...(details.alert === undefined ? {} : { alert: details.alert }),
    ...(details.errorCode === undefined ? {} : { errno: details.errorCode }),
    afterHandshake: c?.handshakeComplete === true,
    message: error.message,
  };
}

/** How a request exchange ended, for the per-address details (no key material, no bodies). */
export function outcomeFacts(outcome: ExchangeOutcome): Record<string, unknown> {
  const c = outcome.connection;
  const error = outcome.error;
  const failure = failureOf(outcome);
  return {
    address: outcome.address,
    port: outcome.port,
    ...(c?.tlsProtocol === undefined ? {} : { protocol: c.tlsProtocol }),
    ...(c?.alpnProtocol === undefined ? {} : { alpn: c.alpnProtocol }),
    ...(outcome.cipher === undefined ? {} : { cipher: outcome.cipher }),
    timings: outcome.timings,
    ...(outcome.response === undefined ? {} : { status: outcome.response.status }),
    verdict: outcome.verdict.kind,
    ...(outcome.verdict.kind === 'accepted' ? { evidence: outcome.verdict.evidence } : {}),
    ...(outcome.verdict.kind === 'refused'
      ? {
          refusal: {
            signal: outcome.verdict.signal,
            ...(outcome.verdict.alert === undefined ? {} : { alert: outcome.verdict.alert }),
            ...(outcome.verdict.reason === undefined ? {} : { reason: outcome.verdict.reason }),
          },
        }
      : {}),
    accepted: outcome.verdict.kind === 'accepted',
    refused: outcome.verdict.kind === 'refused',
    ...(failure === undefined ? {} : { failure }),
    ...(error === undefined ? {} : { code: error.code, message: error.message }),
  };
}

export const where = (o: { address: string; port: number }) => formatHostPort(o.address, o.port);
