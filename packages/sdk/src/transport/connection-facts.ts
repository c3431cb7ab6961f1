import type { TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { alertOfError } from '../classify/tls-alerts.ts';

/**
 * What proved that the server accepted a connection (and so the client certificate on it):
 * a response byte (HTTP/1.1), the server's HTTP/2 SETTINGS (sent only once the server's handshake
 * is done, i.e. after it judged the certificate), a TLS 1.3 NewSessionTicket (sent after the
 * server processed the client's Finished), or a completed TLS 1.2 handshake (TLS 1.2 servers judge
 * the certificate inside the handshake). Timing proves nothing: silence is no evidence either way.
 */
export type AcceptanceEvidence = 'response' | 'h2-settings' | 'session-ticket' | 'tls12-handshake';

/**
 * What a connector saw of one connection. The classifier needs it to tell a refused client
 * certificate from an ordinary dropped connection: under TLS 1.3 the refusal arrives after the
 * client's handshake completed, as an alert, a reset or a close before any response byte.
 */
export interface ConnectionFacts {
  tcpConnected: boolean;
  serverHelloSeen: boolean;
  handshakeComplete: boolean;
  tlsProtocol: string | undefined;
  /** ALPN the server chose (`h2`, `http/1.1`), once the handshake completed. */
  alpnProtocol: string | undefined;
  /** Any application byte from the server after the handshake (read when the facts are taken). */
  responseStarted: boolean | undefined;
  /** The first TLS alert the server sent on this connection. */
  receivedAlert: string | undefined;
  /** The first evidence that the server accepted this connection, if any arrived. */
  acceptedBy: AcceptanceEvidence | undefined;
  readonly clientCertificate: boolean;
}

const factsKey = Symbol('mtls-link.connection-facts');

/** The facts of the connection an error came from, when our connector saw it. */
export function connectionFactsOf(error: unknown): ConnectionFacts | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as { [factsKey]?: ConnectionFacts })[factsKey];
}

function tag(error: unknown, facts: ConnectionFacts): void {
  if (typeof error === 'object' && error !== null && !Object.hasOwn(error, factsKey)) {
    // A snapshot: the error must describe the connection as it was when it failed.
    Object.defineProperty(error, factsKey, { value: { ...facts }, enumerable: false });
  }
}

/** A connector that also reports the facts of its open connections. */
export interface TrackingConnector extends buildConnector.connector {
  /** Snapshots of the connections this connector opened that are still open. */
  openConnections(): ConnectionFacts[];
}

export interface TrackingOptions {
  /** A client certificate is offered on every connection. @default true */
  readonly clientCertificate?: boolean;
  /** Called with each connection's socket once TLS is up (the probe reads its timings and chain). */
  readonly onSocket?: (socket: TLSSocket, facts: ConnectionFacts) => void;
}

/**
 * The connector options that let the facts be observed: `requestOCSP` makes OpenSSL call back
 * (Node's `OCSPResponse` event) once the server's certificate flight arrived, which marks "past
 * ServerHello" without asking Node for the connection's key material.
 */
export const trackingTlsOptions = { requestOCSP: true } as const;

/** Wraps undici's connector so every error of the connection carries its `ConnectionFacts`. */
export function trackingConnector(
  base: buildConnector.connector,
  options: TrackingOptions = {},
): TrackingConnector {
  const open = new Set<{ facts: ConnectionFacts; refresh: () => void }>();
  const connector = (connectOptions: buildConnector.Options, callback: buildConnector.Callback): unknown => {
    const facts: ConnectionFacts = {
      tcpConnected: false,
      serverHelloSeen: false,
      handshakeComplete: false,
      tlsProtocol: undefined,
      alpnProtocol: undefined,
      responseStarted: false,
      receivedAlert: undefined,
      acceptedBy: undefined,
      clientCertificate: options.clientCertificate ?? true,
    };
    // A TLS socket's bytesRead counts decrypted application data only (alerts and tickets are not
    // counted), so any byte after the handshake is the server's answer: an HTTP/1.1 response byte or,
    // under h2, its preface (the SETTINGS frame). It is read when the facts are needed, so the request
    // path pays nothing (patching the socket's methods would cost every later property access).
    let bytesAtHandshake: number | undefined;
    let socket: TLSSocket | undefined;
    const refresh = () => {
      if (bytesAtHandshake === undefined || socket === undefined) return;
      if (socket.bytesRead > bytesAtHandshake) {
        facts.responseStarted = true;
        facts.acceptedBy ??= facts.alpnProtocol === 'h2' ? 'h2-settings' : 'response';
      }
    };
    const entry = { facts, refresh };
    socket = (base as (...args: Parameters<buildConnector.connector>) => unknown)(
      connectOptions,
      (error, sock) => {
        if (error !== null) {
          refresh();
          tag(error, facts);
          callback(error, null);
          return;
        }
        const tlsSocket = sock as TLSSocket;
        facts.handshakeComplete = true;
        facts.tlsProtocol =
          typeof tlsSocket.getProtocol === 'function' ? (tlsSocket.getProtocol() ?? undefined) : undefined;
        facts.alpnProtocol = typeof tlsSocket.alpnProtocol === 'string' ? tlsSocket.alpnProtocol : undefined;
        if (facts.tlsProtocol === 'TLSv1.2') facts.acceptedBy = 'tls12-handshake';
        bytesAtHandshake = tlsSocket.bytesRead;
        open.add(entry);
        options.onSocket?.(tlsSocket, facts);
        callback(null, sock);
      },
    ) as TLSSocket | undefined;
    if (socket === undefined) return socket;
    const tls = socket;
    tls.once('connect', () => {
      facts.tcpConnected = true;
    });
    // OpenSSL calls the status callback once the server's certificate flight is in (with or
    // without a stapled response): the handshake is past ServerHello.
    tls.once('OCSPResponse', () => {
      facts.serverHelloSeen = true;
      if (facts.tlsProtocol === undefined) facts.tlsProtocol = tls.getProtocol() ?? undefined;
    });
    // Under TLS 1.3 tickets follow the server's verdict on the client's Finished (and its
    // certificate): a ticket after our handshake completed proves acceptance. Under TLS 1.2 the
    // session arrives within the handshake, which a refusal would have aborted anyway.
    tls.on('session', () => {
      if (facts.handshakeComplete && facts.tlsProtocol === 'TLSv1.3') facts.acceptedBy ??= 'session-ticket';
    });
    tls.on('error', (error: unknown) => {
      refresh();
      if (facts.receivedAlert === undefined) {
        const { code, message } = error as { code?: unknown; message?: unknown };
        facts.receivedAlert = alertOfError(
          typeof code === 'string' ? code : undefined,
          typeof message === 'string' ? message : '',
        );
      }
      tag(error, facts);
    });
    tls.once('close', () => {
      refresh();
      open.delete(entry);
    });
    return tls;
  };
  return Object.assign(connector as buildConnector.connector, {
    openConnections: () =>
      [...open].map((e) => {
        e.refresh();
        return { ...e.facts };
      }),
  });
}
