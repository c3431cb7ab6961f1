import { constants as cryptoConstants, randomBytes, type X509Certificate } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import { createServer as createNetServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { TestkitError } from '../errors.ts';
import {
  type ApiAnswer,
  type ApiRequest,
  albErrorAnswer,
  apiGatewayAnswer,
  seedWidgets,
} from './built-in-api.ts';
import { type ParsedCertificate, parseCertificate } from './certificate.ts';
import { judgeClientChain, type RefusalAlert } from './client-chain-verdict.ts';
import { albLogTimestamp, type ConnectionLogEntry, formatConnectionLogLine } from './connection-log.ts';
import { HandshakeGate } from './handshake-gate.ts';
import {
  type MtlsHeaderNames,
  mtlsHeaderNames,
  passthroughHeaders,
  validityHeaderValue,
  verifyModeHeaders,
} from './mtls-headers.ts';
import {
  defaultAlpn,
  defaultUpstreamTimeoutMs,
  type GatewayOptions,
  type GatewayUpdate,
  type RefusalOptions,
  type RefusalStyle,
  validateOptions,
  validateUpdate,
} from './options.ts';
import { refusalRecord, refusalSilenceMs } from './refusal.ts';
import { serverTrafficSecretFromKeylog } from './tls-records.ts';
import { type CompiledTrustStore, compileTrustStore, type TrustStoreInput } from './trust-store.ts';
import { proxyToUpstream } from './upstream-proxy.ts';

export interface Gateway {
  /** `https://127.0.0.1:PORT` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** One entry per TCP connection, in the ALB's field order, appended as connections settle. */
  readonly connectionLog: ConnectionLogEntry[];
  /** Full TLS handshakes the server completed so far (refused ones included; never resumed ones). */
  handshakes(): number;
  /** Replaces the trust store; connections whose handshake completes from now on use the new one. */
  setTrustStore(trustStore: TrustStoreInput): void;
  /** Changes refusal, API, fault, expiry and upstream-timeout settings for requests and handshakes from now on. */
  update(update: GatewayUpdate): void;
  /** Stops listening and destroys every open connection, including ones waiting out a refusal delay. */
  close(): Promise<void>;
}

interface Connection {
  readonly raw: Socket;
  readonly acceptedAt: number;
  readonly clientIp: string;
  readonly clientPort: number;
  gate?: HandshakeGate;
  serverTrafficSecret?: Buffer;
  mtlsHeaders: Record<string, string>;
  logged: boolean;
  timer?: NodeJS.Timeout;
}

/** How the request handlers find the connection behind a request (readable through HTTP/2's socket proxy). */
const connectionKey = Symbol.for('mtls-link.gateway.connection');
const handshakeTimeoutMs = 30_000;
/**
 * A TLS 1.3 client refused with `reset` or `close-notify` that sends no request gets its reset
 * after this long (the real ALB closes at once; a FIN would read as a different signal).
 */
const refusalRequestWaitMs = 1_000;
const mtlsHeaderPrefix = 'x-amzn-mtls-';

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

/**
 * The chain the peer presented, leaf first, as DER. Node links each certificate to its issuer
 * among the presented ones (X509Certificate.issuerCertificate), which is all the verdict needs
 * and much cheaper than getPeerCertificate(true).
 */
function presentedChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let cert: X509Certificate | undefined = socket.getPeerX509Certificate();
  while (cert !== undefined && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return chain;
}

function readBody(request: AnyRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: AnyResponse, answer: ApiAnswer): void {
  if (response.headersSent || response.destroyed) return;
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
  (response as ServerResponse).writeHead(answer.status, {
    ...answer.headers,
    'content-length': String(body.length),
  });
  (response as ServerResponse).end(body);
}

/**
 * Starts the ALB-like listener: TLS with the chosen mutual-TLS mode in front of an emulated API
 * Gateway private REST API (or an upstream), on 127.0.0.1 and a free port unless told otherwise.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  validateOptions(options);
  const mode = options.mode;
  let trustStore: CompiledTrustStore | undefined =
    options.trustStore === undefined ? undefined : compileTrustStore(options.trustStore);
  let caPemForNames = options.trustStore?.caPem;
  const settings = {
    refusal: { style: 'reset', delayMs: 0, ...options.refusal } as RefusalOptions & { style: RefusalStyle },
    apiGateway: { ...options.apiGateway },
    albError: options.albError,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? defaultUpstreamTimeoutMs,
    faults: { resetRatio: 0, ...options.faults },
    ignoreClientCertificateExpiry: options.ignoreClientCertificateExpiry ?? false,
  };
  let resetAccumulator = 0;
  let handshakeCount = 0;
  let closed = false;
  const widgets = seedWidgets();
  const connectionLog: ConnectionLogEntry[] = [];
  const connections = new Set<Connection>();
  const alpn = [...(options.tls?.alpn ?? defaultAlpn)];
  const elb = `app/mtls-emulator/${randomBytes(8).toString('hex')}`;
  const headerNames: MtlsHeaderNames = { ...mtlsHeaderNames, ...options.headerNames };
  const forwardedHeaderNames = new Set(Object.values(headerNames).map((name) => name.toLowerCase()));

  const makeSecureContext = (): SecureContext => {
    try {
      return createSecureContext({
        cert: `${options.server.certPem.trim()}\n${options.server.chainPem ?? ''}`,
        key: options.server.keyPem,
        minVersion: options.tls?.minVersion ?? 'TLSv1.2',
        maxVersion: options.tls?.maxVersion ?? 'TLSv1.3',
        // The ALB resumes no session with mutual TLS: every connection is a full handshake.
        secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
        ...(options.advertiseTrustStoreCaNames === true && caPemForNames !== undefined
          ? { ca: caPemForNames }
          : {}),
      });
    } catch (cause) {
      throw new TestkitError(
        'GATEWAY_OPTIONS_INVALID',
        'startGateway: server.certPem / server.keyPem / tls could not be loaded into a TLS context',
        { cause },
      );
    }
  };
  let secureContext = makeSecureContext();

  const writeLog = (conn: Connection, fields: Partial<ConnectionLogEntry>): void => {
    if (conn.logged) return;
    conn.logged = true;
    const entry: ConnectionLogEntry = {
      timestamp: albLogTimestamp(new Date()),
      clientIp: conn.clientIp,
      clientPort: conn.clientPort,
      listenerPort: port,
      tlsProtocol: '-',
      tlsCipher: '-',
      tlsHandshakeLatency: -1,
      leafClientCertSubject: '-',
      leafClientCertValidity: '-',
      leafClientCertSerialNumber: '-',
      tlsVerifyStatus: mode === 'verify' ? 'Failed:UnmappedConnectionError' : '-',
      connTraceId: `TID_${randomBytes(16).toString('hex')}`,
      tlsKeyexchange: '-',
      elb,
      ipAddress: conn.raw.localAddress ?? host,
      ...fields,
    };
    connectionLog.push(entry);
    const line = formatConnectionLogLine(entry);
    try {
      options.onConnectionLog?.(line, entry);
    } catch (error) {
      process.emitWarning(`gateway onConnectionLog threw: ${String(error)}`);
    }
  };

  const leafFields = (leaf: ParsedCertificate | undefined): Partial<ConnectionLogEntry> =>
    leaf === undefined
      ? {}
      : {
          leafClientCertSubject: leaf.subject,
          leafClientCertValidity: validityHeaderValue(leaf),
          leafClientCertSerialNumber: leaf.serialHex,
        };

  const attachHttp = (socket: TLSSocket): void => {
    // What tls.Server does before 'secureConnection'; HTTP/2 waits for 'secureConnect' otherwise.
    (socket as TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
    if (socket.alpnProtocol === 'h2') h2Server.emit('connection', socket);
    else httpServer.emit('connection', socket);
  };

  const refuse = (conn: Connection, socket: TLSSocket, alert: RefusalAlert): void => {
    const protocol = socket.getProtocol();
    const suite = socket.getCipher()?.standardName ?? '';
    const { style } = settings.refusal;
    const silenceMs = refusalSilenceMs(settings.refusal);
    // Under TLS 1.3 the client's handshake is complete and it sends its request; the ALB's reset
    // answers that request (Linux resets a socket closed with unread data). Under TLS 1.2 the
    // client waits for the server's Finished and sends nothing more: the signal goes at once.
    const awaitRequest = protocol === 'TLSv1.3' && (style === 'reset' || style === 'close-notify');
    let requestSeen = false;
    let onRequest: (() => void) | undefined;
    const sawRequest = (): void => {
      if (requestSeen) return;
      requestSeen = true;
      onRequest?.();
    };
    conn.gate?.freeze(sawRequest);
    // The request may have come with the client's Finished: the TLS socket then still decrypts it
    // (what it writes goes nowhere, the gate is frozen).
    if (awaitRequest) socket.on('data', sawRequest);
    else socket.destroy();
    const record = (): Buffer | undefined =>
      style === 'reset'
        ? undefined
        : refusalRecord({ style, alert, protocol, suite, serverTrafficSecret: conn.serverTrafficSecret });
    const reset = (): void => {
      clearTimeout(conn.timer);
      socket.destroy();
      if (!conn.raw.destroyed) conn.raw.resetAndDestroy();
    };
    const act = (): void => {
      const raw = conn.raw;
      if (raw.destroyed) return;
      if (style === 'reset' || style === 'close-notify') {
        const notify = record();
        if (notify !== undefined) raw.write(notify);
        if (!awaitRequest || requestSeen) {
          // Let the close_notify leave before the reset discards what is still queued.
          if (notify !== undefined) setImmediate(reset);
          else reset();
          return;
        }
        onRequest = reset;
        conn.timer = setTimeout(reset, refusalRequestWaitMs);
        return;
      }
      const bytes = record();
      if (bytes === undefined) raw.end();
      else raw.end(bytes);
      // A client that never closes its side must not keep the socket forever.
      raw.setTimeout(5_000, () => raw.destroy());
    };
    if (silenceMs > 0) conn.timer = setTimeout(act, silenceMs);
    else act();
  };

  const onSecure = (conn: Connection, socket: TLSSocket): void => {
    clearTimeout(conn.timer);
    if (!socket.isSessionReused()) handshakeCount++;
    const tlsFields: Partial<ConnectionLogEntry> = {
      tlsProtocol: socket.getProtocol() ?? '-',
      tlsCipher: socket.getCipher()?.name ?? '-',
      tlsHandshakeLatency: (performance.now() - conn.acceptedAt) / 1000,
    };
    const chain = mode === 'off' ? [] : presentedChain(socket);
    if (mode === 'verify') {
      const verdict = judgeClientChain(
        chain,
        trustStore as CompiledTrustStore,
        { ignoreClientCertificateExpiry: settings.ignoreClientCertificateExpiry },
        new Date(),
      );
      writeLog(conn, { ...tlsFields, ...leafFields(verdict.leaf), tlsVerifyStatus: verdict.status });
      if (verdict.status !== 'Success' || verdict.leaf === undefined) {
        refuse(conn, socket, verdict.alert ?? 'certificate_unknown');
        return;
      }
      conn.mtlsHeaders = verifyModeHeaders(verdict.leaf, headerNames);
      conn.gate?.open();
      attachHttp(socket);
      return;
    }
    let parsed: ParsedCertificate[] = [];
    try {
      parsed = chain.map((der) => parseCertificate(der));
    } catch {
      // Passthrough forwards what it can; an unparseable certificate simply yields no header.
    }
    conn.mtlsHeaders = passthroughHeaders(parsed, headerNames);
    writeLog(conn, { ...tlsFields, ...leafFields(parsed[0]) });
    attachHttp(socket);
  };

  const onRawConnection = (raw: Socket): void => {
    raw.on('error', () => {
      // Resets by clients are part of the job; the close handler does the bookkeeping.
    });
    if (closed) {
      raw.destroy();
      return;
    }
    raw.setNoDelay(true);
    const conn: Connection = {
      raw,
      acceptedAt: performance.now(),
      clientIp: raw.remoteAddress ?? '-',
      clientPort: raw.remotePort ?? 0,
      mtlsHeaders: {},
      logged: false,
    };
    connections.add(conn);
    raw.on('close', () => {
      clearTimeout(conn.timer);
      connections.delete(conn);
      writeLog(conn, {});
    });
    const transport = mode === 'verify' ? new HandshakeGate(raw) : raw;
    if (transport instanceof HandshakeGate) conn.gate = transport;
    const socket = new TLSSocket(transport, {
      isServer: true,
      secureContext,
      requestCert: mode !== 'off',
      rejectUnauthorized: false,
      ALPNProtocols: alpn,
    });
    (socket as unknown as Record<symbol, Connection>)[connectionKey] = conn;
    if (mode === 'verify') {
      // The TLS 1.3 alert needs the server application traffic secret. Node enables key logging
      // only for sockets a listening tls.Server creates, so ask the handle directly.
      const handle = (socket as unknown as { _handle?: { enableKeylogCallback?: () => void } })._handle;
      handle?.enableKeylogCallback?.();
      socket.on('keylog', (line: Buffer) => {
        const secret = serverTrafficSecretFromKeylog(line);
        if (secret !== undefined) conn.serverTrafficSecret = secret;
      });
    }
    socket.on('secure', () => onSecure(conn, socket));
    socket.on('error', () => {
      socket.destroy();
      if (conn.gate?.state !== 'frozen') raw.destroy();
    });
    conn.timer = setTimeout(() => raw.destroy(), handshakeTimeoutMs);
  };

  const answer = async (request: AnyRequest, response: AnyResponse): Promise<void> => {
    const conn = (request.socket as unknown as Record<symbol, Connection | undefined>)[connectionKey];
    const body = await readBody(request);
    const ratio = settings.faults.resetRatio;
    if (ratio > 0 && conn !== undefined) {
      resetAccumulator += ratio;
      if (resetAccumulator >= 1 - 1e-9) {
        resetAccumulator -= 1;
        conn.raw.resetAndDestroy();
        return;
      }
    }
    if (settings.albError !== undefined) {
      send(response, albErrorAnswer(settings.albError));
      return;
    }
    const headers = { ...request.headers };
    // The ALB forwards HTTP/1.1 to its target whatever the client spoke: HTTP/2's :authority becomes Host.
    if (headers.host === undefined && typeof headers[':authority'] === 'string') {
      headers.host = headers[':authority'];
    }
    for (const name of Object.keys(headers)) {
      if (name.startsWith(':')) delete headers[name];
      // The ALB overwrites client-sent mTLS headers; never let a client spoof them, renamed or not.
      if (name.startsWith(mtlsHeaderPrefix) || forwardedHeaderNames.has(name)) delete headers[name];
    }
    const mtls = conn?.mtlsHeaders ?? {};
    for (const [name, value] of Object.entries(mtls)) headers[name.toLowerCase()] = value;
    const apiRequest: ApiRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers,
      body,
      mtls,
    };
    if (options.upstream !== undefined) {
      try {
        send(response, await proxyToUpstream(options.upstream, apiRequest, settings.upstreamTimeoutMs));
      } catch {
        send(response, albErrorAnswer(502));
      }
      return;
    }
    send(response, apiGatewayAnswer(apiRequest, widgets, settings.apiGateway));
  };
  const onRequest = (request: AnyRequest, response: AnyResponse): void => {
    answer(request, response).catch(() => {
      if (!response.headersSent) send(response, albErrorAnswer(502));
    });
  };

  // The ALB's HTTP idle timeout is 60 s.
  const httpServer = createHttpServer({ keepAliveTimeout: 60_000 }, onRequest);
  const h2Server = createHttp2Server({}, onRequest);
  h2Server.on('sessionError', () => {});
  const netServer = createNetServer(onRawConnection);

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    netServer.once('error', (cause) =>
      reject(
        new TestkitError(
          'GATEWAY_LISTEN_FAILED',
          `startGateway: cannot listen on ${host}:${options.port ?? 0}`,
          { cause },
        ),
      ),
    );
    netServer.listen(options.port ?? 0, host, () => resolve());
  });
  const address = netServer.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `https://${urlHost}:${port}`,
    host,
    port,
    connectionLog,
    handshakes: () => handshakeCount,
    setTrustStore(input: TrustStoreInput): void {
      trustStore = compileTrustStore(input);
      caPemForNames = input.caPem;
      if (options.advertiseTrustStoreCaNames === true) secureContext = makeSecureContext();
    },
    update(update: GatewayUpdate): void {
      validateUpdate(update, 'update: ');
      if (update.refusal !== undefined) settings.refusal = { ...settings.refusal, ...update.refusal };
      if (update.apiGateway !== undefined)
        settings.apiGateway = { ...settings.apiGateway, ...update.apiGateway };
      if ('albError' in update) settings.albError = update.albError;
      if (update.upstreamTimeoutMs !== undefined) settings.upstreamTimeoutMs = update.upstreamTimeoutMs;
      if (update.faults !== undefined) {
        settings.faults = { ...settings.faults, ...update.faults };
        resetAccumulator = 0;
      }
      if (update.ignoreClientCertificateExpiry !== undefined) {
        settings.ignoreClientCertificateExpiry = update.ignoreClientCertificateExpiry;
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const stopped = new Promise<void>((resolve) => netServer.close(() => resolve()));
      for (const conn of connections) {
        clearTimeout(conn.timer);
        conn.raw.destroy();
      }
      await stopped;
    },
  };
}
