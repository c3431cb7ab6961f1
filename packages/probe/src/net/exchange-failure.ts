import type { MtlsLinkError } from '@mtls-link/sdk';
import { classifyFailure } from '@mtls-link/sdk/diagnostics';
import type { TlsExchangeResult } from './tls-exchange.ts';

/**
 * Names what went wrong on one exchange with the SDK's classifier, so the probe and the client say
 * the same thing about the same failure. The exchange's own deadlines are translated into the
 * timeout codes the classifier knows from the client's connector.
 */
export function classifyExchange(
  result: TlsExchangeResult,
  facts: {
    servername: string | undefined;
    clientCertificate: boolean;
    timeoutMs: number;
    method?: string;
    url?: string;
  },
): MtlsLinkError | undefined {
  const failure = result.failure;
  if (failure === undefined) return undefined;
  let errorLike: { code?: string; message: string };
  if (failure.signal === 'timeout') {
    errorLike = { code: 'UND_ERR_CONNECT_TIMEOUT', message: failure.message };
  } else if (failure.signal === 'close') {
    errorLike = { code: 'UND_ERR_SOCKET', message: failure.message };
  } else {
    errorLike = { ...(failure.errno === undefined ? {} : { code: failure.errno }), message: failure.message };
  }
  return classifyFailure(errorLike, {
    host: result.address,
    port: result.port,
    servername: facts.servername,
    ...(facts.method === undefined ? {} : { method: facts.method }),
    ...(facts.url === undefined ? {} : { url: facts.url }),
    tcpConnected: failure.stage !== 'tcp',
    // Handshake facts exist once the server's certificate arrived, which comes after ServerHello.
    serverHelloSeen: result.handshake !== undefined,
    handshakeComplete: failure.afterHandshake,
    tlsProtocol: result.handshake?.protocol ?? undefined,
    clientCertificate: facts.clientCertificate,
    timeouts: { connect: facts.timeoutMs, headers: facts.timeoutMs, body: facts.timeoutMs },
  });
}
