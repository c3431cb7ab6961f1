import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { alertOfError } from '../classify/tls-alerts.ts';

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
  /** Any byte after the handshake, for HTTP/2 (whose sessions read natively). */
  responseStarted: boolean | undefined;
  /** The first TLS alert the server sent on this connection. */
  receivedAlert: string | undefined;
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

/**
 * Undici's HTTP/1.1 client pulls bytes with `socket.read()`. Watching the first non-empty read
 * tells whether the server ever answered on this connection; the own-property shim is removed
 * after it, so later reads cost nothing.
 */
function watchFirstRead(socket: Socket, facts: ConnectionFacts): void {
  const read = socket.read;
  const shim = function (this: Socket, size?: number) {
    const chunk = read.call(this, size);
    if (chunk !== null) {
      facts.responseStarted = true;
      delete (socket as { read?: unknown }).read;
    }
    return chunk;
  };
  Object.defineProperty(socket, 'read', { value: shim, configurable: true, writable: true });
}

/** Wraps undici's connector so every error of the connection carries its `ConnectionFacts`. */
export function trackingConnector(base: buildConnector.connector): buildConnector.connector {
  return (options, callback) => {
    const facts: ConnectionFacts = {
      tcpConnected: false,
      serverHelloSeen: false,
      handshakeComplete: false,
      tlsProtocol: undefined,
      responseStarted: false,
      receivedAlert: undefined,
      // Every pool connects with its identity's certificate.
      clientCertificate: true,
    };
    // HTTP/2 sessions read the socket natively, so no read() can be watched: any byte after the
    // handshake (SETTINGS, a session ticket) means the server did not refuse at that point.
    let h2BytesAtHandshake: number | undefined;
    const socket = (base as (...args: Parameters<buildConnector.connector>) => unknown)(
      options,
      (error, sock) => {
        if (error !== null) {
          tag(error, facts);
          callback(error, null);
          return;
        }
        const tlsSocket = sock as TLSSocket;
        facts.handshakeComplete = true;
        facts.tlsProtocol =
          typeof tlsSocket.getProtocol === 'function' ? (tlsSocket.getProtocol() ?? undefined) : undefined;
        if (tlsSocket.alpnProtocol === 'h2') h2BytesAtHandshake = tlsSocket.bytesRead;
        else watchFirstRead(tlsSocket, facts);
        callback(null, sock);
      },
    ) as TLSSocket | undefined;
    if (socket === undefined) return;
    socket.once('connect', () => {
      facts.tcpConnected = true;
    });
    // Key material is derived once ServerHello is processed (and under TLS 1.2 right when the client
    // sends its certificate): the event marks "past ServerHello". The line itself is dropped.
    socket.once('keylog', () => {
      facts.serverHelloSeen = true;
      if (facts.tlsProtocol === undefined) facts.tlsProtocol = socket.getProtocol() ?? undefined;
    });
    socket.on('error', (error: unknown) => {
      if (h2BytesAtHandshake !== undefined) facts.responseStarted = socket.bytesRead > h2BytesAtHandshake;
      if (facts.receivedAlert === undefined) {
        const { code, message } = error as { code?: unknown; message?: unknown };
        facts.receivedAlert = alertOfError(
          typeof code === 'string' ? code : undefined,
          typeof message === 'string' ? message : '',
        );
      }
      tag(error, facts);
    });
  };
}
