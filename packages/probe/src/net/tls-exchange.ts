import { X509Certificate } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  checkServerIdentity,
  type DetailedPeerCertificate,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { alertOfError } from '@mtls-link/sdk/diagnostics';

/** The PEM a TLS connection presents; never reported. */
export interface ExchangeIdentity {
  readonly certPem: string;
  readonly chainPem: string;
  readonly keyPem: string;
}

export interface TlsExchangeOptions {
  /** The address dialled (one resolved address, or the --connect-to target). */
  readonly address: string;
  readonly port: number;
  /** SNI; omitted for IP literals, as TLS forbids them in SNI. */
  readonly servername: string | undefined;
  /** The name the server certificate must cover. */
  readonly verifyName: string;
  /** Trusted CAs for the server; undefined means Node's system roots. */
  readonly ca: readonly string[] | undefined;
  readonly identity?: ExchangeIdentity;
  readonly alpn: readonly string[];
  /** Deadline for each step: TCP connect, TLS handshake. */
  readonly timeoutMs: number;
}

export interface PeerCertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notAfter: string;
  readonly daysLeft: number;
}

export interface HandshakeFacts {
  /** Whether the handshake completed (under TLS 1.2 a refused client certificate aborts it). */
  readonly completed: boolean;
  readonly protocol: string | null;
  readonly cipher: string | undefined;
  readonly alpn: string | false;
  /** Leaf first, as the server sent it. */
  readonly peerChain: readonly PeerCertificateSummary[];
  /** OpenSSL's verdict on the server chain (e.g. CERT_HAS_EXPIRED); undefined when it verified. */
  readonly verifyError: string | undefined;
  /** Why the certificate does not cover `verifyName`; undefined when it does. */
  readonly hostnameError: string | undefined;
}

export type ExchangeStage = 'tcp' | 'tls';
export type FailureSignal = 'alert' | 'reset' | 'close' | 'timeout' | 'error';

export interface ExchangeFailure {
  readonly stage: ExchangeStage;
  readonly signal: FailureSignal;
  /** Node's error code (ECONNREFUSED, ERR_SSL_…). */
  readonly errno?: string;
  /** TLS alert name in RFC 8446 spelling, when the peer sent one. */
  readonly alert?: string;
  readonly message: string;
  /** The TLS handshake had completed when it failed (the TLS 1.3 client-certificate case). */
  readonly afterHandshake: boolean;
}

export interface TlsExchangeResult {
  readonly address: string;
  readonly port: number;
  readonly timings: {
    readonly connectMs?: number;
    readonly tlsMs?: number;
    readonly totalMs: number;
  };
  readonly handshake?: HandshakeFacts;
  readonly failure?: ExchangeFailure;
}

function failureOf(error: NodeJS.ErrnoException, stage: ExchangeStage, afterHandshake: boolean) {
  const errno = error.code;
  const alert = alertOfError(errno, error.message);
  const signal: FailureSignal =
    alert !== undefined ? 'alert' : errno === 'ECONNRESET' || errno === 'EPIPE' ? 'reset' : 'error';
  return {
    stage,
    signal,
    ...(errno === undefined ? {} : { errno }),
    ...(alert === undefined ? {} : { alert }),
    message: error.message.split('\n')[0] ?? error.message,
    afterHandshake,
  } satisfies ExchangeFailure;
}

function summarise(cert: DetailedPeerCertificate, now: number): PeerCertificateSummary {
  const x509 = new X509Certificate(cert.raw);
  const notAfter = new Date(x509.validTo);
  return {
    subject: x509.subject.split('\n').join(', '),
    issuer: x509.issuer.split('\n').join(', '),
    serialNumber: x509.serialNumber.toUpperCase(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.round(((notAfter.getTime() - now) / 86_400_000) * 10) / 10,
  };
}

function peerChainOf(socket: TLSSocket): { leaf?: DetailedPeerCertificate; chain: PeerCertificateSummary[] } {
  const leaf = socket.getPeerCertificate(true);
  if (leaf === null || leaf === undefined || leaf.raw === undefined) return { chain: [] };
  const chain: PeerCertificateSummary[] = [];
  const seen = new Set<string>();
  const now = Date.now();
  for (
    let cert: DetailedPeerCertificate | undefined = leaf;
    cert?.raw !== undefined;
    cert = cert.issuerCertificate
  ) {
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
    chain.push(summarise(cert, now));
  }
  return { leaf, chain };
}

// Node only exposes OpenSSL's verdict on the server chain after a completed handshake
// (authorizationError). Under TLS 1.2 a refused client certificate aborts the handshake, yet the
// server's chain was received and verified before that: read the verdict from the handle directly.
function pendingVerifyError(socket: TLSSocket): string | undefined {
  const handle = (
    socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } }
  )._handle;
  const error = handle?.verifyError?.();
  return error ? (error.code ?? error.message) : undefined;
}

function handshakeFacts(
  socket: TLSSocket,
  completed: boolean,
  verifyName: string,
): HandshakeFacts | undefined {
  const { leaf, chain } = peerChainOf(socket);
  if (!completed && leaf === undefined) return undefined;
  const verifyError = completed
    ? (socket.authorizationError as unknown as string | null) || undefined
    : pendingVerifyError(socket);
  const hostnameError = leaf === undefined ? undefined : checkServerIdentity(verifyName, leaf)?.message;
  return {
    completed,
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.standardName,
    alpn: socket.alpnProtocol ?? false,
    peerChain: chain,
    verifyError,
    hostnameError,
  };
}

const stepNames: Record<ExchangeStage, string> = {
  tcp: 'TCP connect',
  tls: 'TLS handshake',
};

/**
 * One fresh connection: TCP, then TLS, each step under its own deadline, then a polite close. Never
 * throws: it reports how far it got, the server's chain as sent, and how the handshake ended. The
 * request itself goes through the SDK's transport (see checks/exchange-all.ts); this is for the
 * server's side of TLS, which the probe judges itself so that it can report every problem.
 */
export function tlsExchange(options: TlsExchangeOptions): Promise<TlsExchangeResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const since = (t: number) => Math.round((performance.now() - t) * 10) / 10;
    const timings: { connectMs?: number; tlsMs?: number } = {};
    let stage: ExchangeStage = 'tcp';
    let stageStart = start;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let handshake: HandshakeFacts | undefined;
    let secure: TLSSocket | undefined;
    let handshakeDone = false;
    let closing = false;

    const finish = (end: { failure?: ExchangeFailure }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      secure?.destroy();
      tcp.destroy();
      resolve({
        address: options.address,
        port: options.port,
        timings: { ...timings, totalMs: since(start) },
        ...(handshake === undefined ? {} : { handshake }),
        ...end,
      });
    };
    // Once we are closing on purpose, whatever the peer does next ends the exchange without blame.
    const fail = (failure: ExchangeFailure) => finish(closing ? {} : { failure });
    const arm = (next: ExchangeStage) => {
      clearTimeout(timer);
      stage = next;
      stageStart = performance.now();
      timer = setTimeout(() => {
        if (secure && handshake === undefined) handshake = handshakeFacts(secure, false, options.verifyName);
        fail({
          stage,
          signal: 'timeout',
          message: `${stepNames[stage]} did not complete within ${options.timeoutMs} ms`,
          afterHandshake: handshakeDone,
        });
      }, options.timeoutMs);
    };

    const tcp = tcpConnect({ host: options.address, port: options.port });
    arm('tcp');
    tcp.on('error', (error) => fail(failureOf(error, stage, handshakeDone)));
    tcp.once('connect', () => {
      timings.connectMs = since(stageStart);
      arm('tls');
      const identity = options.identity;
      let socket: TLSSocket;
      try {
        socket = tlsConnect({
          socket: tcp,
          ...(options.servername === undefined ? {} : { servername: options.servername }),
          ...(options.ca === undefined ? {} : { ca: [...options.ca] }),
          ...(identity === undefined
            ? {}
            : { cert: identity.certPem + identity.chainPem, key: identity.keyPem }),
          // The probe judges the server chain itself, so that it can report every problem, not just the first.
          rejectUnauthorized: false,
          ALPNProtocols: [...options.alpn],
          minVersion: 'TLSv1.2',
          requestOCSP: true,
        });
      } catch (error) {
        // OpenSSL refuses to load some material (a key too weak for its security level, say).
        fail({
          stage: 'tls',
          signal: 'error',
          errno: (error as NodeJS.ErrnoException).code ?? 'ERR_TLS_SETUP',
          message: `TLS setup failed: ${(error as Error).message}`,
          afterHandshake: false,
        });
        return;
      }
      secure = socket;
      // Under TLS 1.2 the server judges our certificate inside the handshake; when it refuses by
      // reset or close (s2n may send no alert), Node has dropped the peer certificate by the time
      // 'error' or 'close' arrives, and the refusal would look like a failure before ServerHello.
      // OpenSSL's status callback (Node's 'OCSPResponse', asked for by requestOCSP) runs once the
      // server's certificate flight is in: read the facts there.
      socket.once('OCSPResponse', () => {
        if (!handshakeDone && handshake === undefined)
          handshake = handshakeFacts(socket, false, options.verifyName);
      });
      socket.on('secureConnect', () => {
        timings.tlsMs = since(stageStart);
        handshakeDone = true;
        handshake = handshakeFacts(socket, true, options.verifyName);
        // Close politely and give the server a moment: under TLS 1.3 it judges the client
        // certificate after our side is done, and an abrupt reset would be logged as a failed
        // connection on the producer's side. The socket must keep reading (and discard whatever
        // the server sends after the handshake: session tickets, an HTTP/2 SETTINGS frame): a
        // paused socket never sees the server's FIN, so 'close' would not fire and every
        // exchange would sit out the whole grace period.
        closing = true;
        socket.end();
        socket.resume();
        clearTimeout(timer);
        timer = setTimeout(() => finish({}), Math.min(options.timeoutMs, 250));
      });
      socket.on('close', () =>
        fail({
          stage,
          signal: 'close',
          message: `the connection closed during the ${stepNames[stage]}`,
          afterHandshake: handshakeDone,
        }),
      );
      socket.on('error', (error) => {
        if (handshake === undefined) handshake = handshakeFacts(socket, false, options.verifyName);
        fail(failureOf(error, stage, handshakeDone));
      });
    });
  });
}
