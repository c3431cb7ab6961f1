import {
  ClientCertificateRejectedError,
  ConnectionError,
  isMtlsLinkError,
  type MtlsLinkError,
  TimeoutError,
} from '../errors/index.ts';
import type { AcceptanceEvidence } from '../transport/connection-facts.ts';
import type { FailureContext, RefusalSignal } from './failure-context.ts';
import {
  alertOfError,
  isClientCertificateAlert,
  isServerUntrustedCode,
  serverExpiredCodes,
} from './tls-alerts.ts';

interface ErrorLike {
  readonly code?: unknown;
  readonly name?: unknown;
  readonly message?: unknown;
  readonly syscall?: unknown;
  readonly errors?: unknown;
}

function asErrorLike(error: unknown): ErrorLike {
  return typeof error === 'object' && error !== null ? (error as ErrorLike) : {};
}

function codeOf(error: ErrorLike): string | undefined {
  return typeof error.code === 'string' ? error.code : undefined;
}

/** `net.connect` with autoSelectFamily fails with an AggregateError of each address's error. */
function innermost(error: ErrorLike): ErrorLike {
  if (Array.isArray(error.errors) && error.errors.length > 0 && codeOf(error) === undefined) {
    return asErrorLike(error.errors[0]);
  }
  return error;
}

function protocolFromCode(code: string | undefined): string | undefined {
  if (code?.startsWith('ERR_SSL_TLSV13_') === true) return 'TLSv1.3';
  return undefined;
}

const displayProtocol = (protocol: string | undefined): string =>
  protocol === undefined ? 'TLS' : protocol.replace('TLSv', 'TLS ');

const evidenceTexts: Record<AcceptanceEvidence, string> = {
  response: 'it had sent response bytes',
  'h2-settings': 'it sent its HTTP/2 SETTINGS',
  'session-ticket': 'it sent a TLS 1.3 session ticket',
  'tls12-handshake': 'it completed the TLS 1.2 handshake, inside which it judges the certificate',
};

/** How a connection showed it was accepted, for messages. */
export function evidenceText(evidence: AcceptanceEvidence): string {
  return evidenceTexts[evidence];
}

/**
 * Names the hop that failed and returns the matching error (`cause` kept). Used by the client for
 * every failed request and by the probe for its checks, so both say the same thing for the same
 * failure.
 */
export function classifyFailure(error: unknown, context: FailureContext): MtlsLinkError {
  if (isMtlsLinkError(error)) return error;
  const outer = asErrorLike(error);
  const inner = innermost(outer);
  const code = codeOf(inner) ?? codeOf(outer);
  const message = typeof inner.message === 'string' ? inner.message : String(error);
  const syscall = typeof inner.syscall === 'string' ? inner.syscall : undefined;

  const hostPort = `${context.host}:${context.port}`;
  const sni = context.servername ?? context.host;
  const where =
    context.method !== undefined && context.url !== undefined ? `${context.method} ${context.url}: ` : '';
  const at = `${hostPort} (SNI ${sni})`;
  const base = {
    host: context.host,
    port: context.port,
    servername: sni,
    ...(context.method === undefined ? {} : { method: context.method }),
    ...(context.url === undefined ? {} : { url: context.url }),
    ...(code === undefined ? {} : { errorCode: code }),
  };
  const opts = (details: Record<string, unknown> = {}) => ({
    cause: error,
    details: { ...base, ...details },
  });

  // DNS: getaddrinfo errors and c-ares (dns.Resolver / custom lookup) errors.
  const isDns = syscall === 'getaddrinfo' || syscall?.startsWith('query') === true;
  if (code === 'ENOTFOUND' || (isDns && code === 'ENODATA')) {
    return new ConnectionError('DNS_NXDOMAIN', `${where}the name ${context.host} does not resolve`, opts());
  }
  if (
    code === 'EAI_AGAIN' ||
    code === 'ETIMEOUT' ||
    (isDns && (code === 'ECONNREFUSED' || code === 'ESERVFAIL'))
  ) {
    return new ConnectionError(
      'DNS_TIMEOUT',
      `${where}the resolver gave no answer for ${context.host} (${code})`,
      opts(),
    );
  }

  // TCP
  if (code === 'ECONNREFUSED') {
    return new ConnectionError('TCP_REFUSED', `${where}${hostPort} refused the TCP connection`, opts());
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new ConnectionError(
      'TCP_NO_ROUTE',
      `${where}no route from this host to ${hostPort} (${code})`,
      opts(),
    );
  }
  if (code === 'ETIMEDOUT') {
    return new ConnectionError('TCP_TIMEOUT', `${where}no TCP answer from ${hostPort} (${code})`, opts());
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    const ms = context.timeouts?.connect;
    const after = ms === undefined ? '' : ` after ${ms} ms`;
    if (context.tcpConnected === false) {
      return new ConnectionError(
        'TCP_TIMEOUT',
        `${where}no TCP answer from ${hostPort}${after} (connect timeout)`,
        opts({ timeout: 'connect', timeoutMs: ms }),
      );
    }
    // The client sent its certificate and the server went quiet inside the handshake: a server
    // holding back its refusal (s2n waits 10-30 s after an error) looks exactly like a slow one.
    const suspectedRefusal =
      context.serverHelloSeen === true &&
      context.handshakeComplete === false &&
      context.clientCertificate === true;
    return new TimeoutError(
      'TIMEOUT_CONNECT',
      suspectedRefusal
        ? `${where}${at} went silent after the client sent its certificate and did not finish the handshake${after} (connect timeout): a refusal held back or a slow server, no evidence either way`
        : `${where}the connection to ${at} did not complete${after} (connect timeout${context.tcpConnected === true ? ', during the TLS handshake' : ''})`,
      opts({ timeout: 'connect', timeoutMs: ms, ...(suspectedRefusal ? { suspectedRefusal } : {}) }),
    );
  }

  // The client's own verdict on the server certificate.
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new ConnectionError(
      'TLS_HOSTNAME_MISMATCH',
      `${where}the server certificate at ${hostPort} does not cover ${sni}: ${message}`,
      opts(),
    );
  }
  if (code !== undefined && serverExpiredCodes.has(code)) {
    return new ConnectionError(
      'TLS_SERVER_EXPIRED',
      `${where}the server certificate at ${hostPort} is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} (${code})`,
      opts(),
    );
  }
  if (code !== undefined && isServerUntrustedCode(code)) {
    return new ConnectionError(
      'TLS_SERVER_UNTRUSTED',
      `${where}the server certificate at ${at} does not chain to a trusted CA (${code})`,
      opts(),
    );
  }

  // Alerts the server sent. Undici reports the connection's last error, so an alert followed by the
  // close that came with it arrives as "other side closed": the connector kept the alert.
  const alert =
    alertOfError(code, message) ??
    (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' ? context.receivedAlert : undefined);
  if (alert !== undefined) {
    const protocol = context.tlsProtocol ?? protocolFromCode(code);
    const aboutCertificate =
      isClientCertificateAlert(alert) ||
      // Under TLS 1.2 OpenSSL answers a missing or refused certificate with handshake_failure; once
      // ServerHello is through, the cipher suite was agreed, so the certificate is what failed.
      (alert === 'handshake_failure' && context.serverHelloSeen === true);
    if (aboutCertificate) return rejected('alert', protocol, alert);
    return new ConnectionError(
      'TLS_PROTOCOL',
      `${where}the TLS handshake with ${at} failed: the server sent the alert ${alert}`,
      opts({ alert, ...(protocol === undefined ? {} : { protocol }) }),
    );
  }
  if (code?.startsWith('ERR_SSL_') === true || code === 'EPROTO') {
    return new ConnectionError(
      'TLS_PROTOCOL',
      `${where}the TLS handshake with ${at} failed (${code}): ${message}`,
      opts(),
    );
  }

  // Timeouts and aborts.
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    const ms = context.timeouts?.headers;
    const within = ms === undefined ? '' : ` within ${ms} ms`;
    // Silence proves nothing: a refusal held back (s2n's blinding) and a slow API look the same.
    // Only TLS 1.3 leaves the verdict open after the handshake, and only evidence closes it.
    const suspectedRefusal = silentWithoutEvidence();
    const accepted = context.acceptedBy;
    const why = suspectedRefusal
      ? `: the server neither refused the client certificate nor showed it accepted it (no response byte, no HTTP/2 SETTINGS, no TLS 1.3 session ticket), so this may be a refusal held back or a slow API; raise timeouts.headers to tell`
      : accepted === undefined
        ? ''
        : ` although it accepted the connection (${evidenceText(accepted)}): the API is slow`;
    return new TimeoutError(
      'TIMEOUT_HEADERS',
      `${where}no response headers from ${hostPort}${within} (headers timeout)${why}`,
      opts({
        timeout: 'headers',
        timeoutMs: ms,
        suspectedRefusal,
        ...(accepted === undefined ? {} : { acceptedBy: accepted }),
        ...(context.tlsProtocol === undefined ? {} : { protocol: context.tlsProtocol }),
      }),
    );
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    const ms = context.timeouts?.body;
    return new TimeoutError(
      'TIMEOUT_BODY',
      `${where}the response body from ${hostPort} stalled${ms === undefined ? '' : ` for ${ms} ms`} (body timeout)`,
      opts({ timeout: 'body', timeoutMs: ms }),
    );
  }
  if (
    context.aborted === true ||
    context.totalTimedOut === true ||
    code === 'UND_ERR_ABORTED' ||
    code === 'ABORT_ERR' ||
    inner.name === 'AbortError'
  ) {
    if (context.totalTimedOut === true) {
      const ms = context.timeouts?.total;
      return new TimeoutError(
        'TIMEOUT_TOTAL',
        `${where}the request with its retries took longer than ${ms ?? 'the total timeout'} ms (total timeout)`,
        opts({ timeout: 'total', timeoutMs: ms }),
      );
    }
    return new TimeoutError('ABORTED', `${where}the request was aborted by its AbortSignal`, opts());
  }

  // The connection ended without an answer.
  // Node reports a clean end of the stream during the handshake as ECONNRESET with this message; a
  // real RST reads "read ECONNRESET".
  const endedInHandshake =
    code === 'ECONNRESET' && message.includes('disconnected before secure TLS connection');
  const reset = (code === 'ECONNRESET' && !endedInHandshake) || code === 'EPIPE';
  const closed = code === 'UND_ERR_SOCKET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || endedInHandshake;
  if (reset || closed) {
    const signal: RefusalSignal = reset ? 'reset' : 'close';
    const duringHandshake = context.handshakeComplete === false && context.serverHelloSeen === true;
    if (duringHandshake || closedWithoutAnswer()) return rejected(signal, context.tlsProtocol, undefined);
    if (context.handshakeComplete === true && context.acceptedBy !== undefined) {
      return new ConnectionError(
        'REQUEST_FAILED',
        `${where}${at} ${reset ? 'reset' : 'closed'} the connection after it had accepted it (${evidenceText(context.acceptedBy)}): a dropped connection, not a refusal`,
        opts({ signal, acceptedBy: context.acceptedBy }),
      );
    }
    if (context.handshakeComplete === false) {
      return new ConnectionError(
        'TLS_PROTOCOL',
        `${where}${at} ${reset ? 'reset' : 'closed'} the connection during the TLS handshake, before ServerHello`,
        opts({ signal }),
      );
    }
    return new ConnectionError(
      'REQUEST_FAILED',
      `${where}${at} ${reset ? 'reset' : 'closed'} the connection while the request was in flight`,
      opts({ signal }),
    );
  }

  return new ConnectionError('REQUEST_FAILED', `${where}the request to ${at} failed: ${message}`, opts());

  /**
   * TLS 1.3 clients finish the handshake before the server judges their certificate, and some TLS
   * 1.2 servers (nginx with ssl_verify_client) judge it after the handshake too: either way the
   * refusal is the connection ending before it ever answered.
   */
  function closedWithoutAnswer(): boolean {
    return (
      context.handshakeComplete === true &&
      context.responseStarted === false &&
      context.acceptedBy === undefined
    );
  }

  /**
   * Under TLS 1.3 the server judges the certificate after the client's handshake is done, so a
   * fresh connection that stays silent may be a refusal held back (s2n may wait 10-30 s).
   */
  function silentWithoutEvidence(): boolean {
    return closedWithoutAnswer() && context.tlsProtocol === 'TLSv1.3';
  }

  function rejected(signal: RefusalSignal, protocol: string | undefined, alertName: string | undefined) {
    const how =
      signal === 'alert'
        ? `with the alert ${alertName}`
        : signal === 'reset'
          ? 'by resetting the connection before any response byte'
          : 'by closing the connection before any response byte';
    const when =
      protocol === 'TLSv1.3'
        ? 'right after the TLS 1.3 handshake'
        : context.handshakeComplete === true
          ? `after the ${displayProtocol(protocol)} handshake`
          : `during the ${displayProtocol(protocol)} handshake`;
    const what =
      context.clientCertificate === false
        ? 'the connection, which presented no client certificate,'
        : 'the client certificate';
    return new ClientCertificateRejectedError(
      'MTLS_REJECTED',
      `${where}${at} refused ${what} ${when}, ${how}`,
      opts({
        signal,
        ...(protocol === undefined ? {} : { protocol }),
        ...(alertName === undefined ? {} : { alert: alertName }),
      }),
    );
  }
}
