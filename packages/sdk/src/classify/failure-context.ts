import type { AcceptanceEvidence } from '../transport/connection-facts.ts';

/**
 * What the caller knows about a connection when a request on it failed. The client fills it from
 * what its connector observed; the probe fills it from its own sockets. Every field is optional
 * except where the request was going: the classifier assumes nothing it is not told.
 */
export interface FailureContext {
  readonly host: string;
  readonly port: number;
  /** SNI sent in the ClientHello (defaults to the host in messages). */
  readonly servername?: string | undefined;
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  /** The TCP connection was established (so a connect timeout fired during the TLS handshake). */
  readonly tcpConnected?: boolean | undefined;
  /**
   * The handshake had progressed past ServerHello: the client had derived keys (and, under TLS 1.2,
   * sent its certificate). A refusal after this point is about the client's certificate.
   */
  readonly serverHelloSeen?: boolean | undefined;
  /** The client's side of the TLS handshake completed (`secureConnect`). */
  readonly handshakeComplete?: boolean | undefined;
  /** Negotiated protocol, e.g. `TLSv1.3`. */
  readonly tlsProtocol?: string | undefined;
  /** Any response byte arrived on this connection before the failure (so it was not refused). */
  readonly responseStarted?: boolean | undefined;
  /** An alert the connection received before it failed (e.g. `certificate_revoked`). */
  readonly receivedAlert?: string | undefined;
  /** What proved the server accepted this connection (a response byte, h2 SETTINGS, a TLS 1.3 ticket). */
  readonly acceptedBy?: AcceptanceEvidence | undefined;
  /** ALPN the server chose. */
  readonly alpnProtocol?: string | undefined;
  /** A client certificate was offered on this connection. */
  readonly clientCertificate?: boolean | undefined;
  /** The configured deadlines in milliseconds, named in timeout messages. */
  readonly timeouts?:
    | {
        readonly connect?: number | undefined;
        readonly headers?: number | undefined;
        readonly body?: number | undefined;
        readonly total?: number | undefined;
      }
    | undefined;
  /** The caller's AbortSignal had fired (whatever reason it carried). */
  readonly aborted?: boolean | undefined;
  /** The request was aborted because the client's total deadline fired (not the caller's signal). */
  readonly totalTimedOut?: boolean | undefined;
}

/**
 * How a server said no to the client certificate: a TLS alert, a reset or a close before any
 * response byte, or an HTTP-level refusal (nginx's 400 pages, 495/496). `silence` is kept for
 * readers of older results: silence is no longer taken as a refusal (see `TIMEOUT_HEADERS`'s
 * `details.suspectedRefusal`).
 */
export type RefusalSignal = 'alert' | 'reset' | 'close' | 'silence' | 'http';
