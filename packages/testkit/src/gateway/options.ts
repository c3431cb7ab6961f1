import { TestkitError } from '../errors.ts';
import type { ConnectionLogEntry } from './connection-log.ts';
import { type MtlsHeaderField, mtlsHeaderNames } from './mtls-headers.ts';
import type { TrustStoreInput } from './trust-store.ts';

export type MtlsMode = 'off' | 'passthrough' | 'verify';
/**
 * What a client whose certificate is refused sees:
 * - `reset`: a TCP reset and no TLS byte (the one public capture of a real ALB). Under TLS 1.3 the
 *   client's handshake completes and its first request gets the reset; under TLS 1.2 the reset
 *   comes in place of the server's Finished.
 * - `close-notify`: s2n-tls's own refusal over TCP, a `close_notify` instead of an alert, then the
 *   socket is closed with the client's request unread, which Linux turns into a reset.
 * - `alert`: a fatal TLS alert naming the reason (`certificate_required`, `certificate_revoked`,
 *   ...), as OpenSSL-based servers such as HAProxy send it.
 * - `close`: a `close_notify`, then a clean FIN (no reset).
 */
export type RefusalStyle = 'alert' | 'reset' | 'close' | 'close-notify';
export const refusalStyles: readonly RefusalStyle[] = ['reset', 'close-notify', 'alert', 'close'];

/** s2n-tls's default blinding: a random 10-30 s pause after an error before the connection closes. */
export const s2nBlinding = { minMs: 10_000, maxMs: 30_000 } as const;

export interface RefusalOptions {
  /** How the refusal is signalled. @default 'reset' */
  style?: RefusalStyle;
  /** A fixed silence before the signal, in milliseconds. @default 0 */
  delayMs?: number;
  /**
   * s2n-style blinding: silence for a random time between `minMs` and `maxMs` (added to `delayMs`),
   * then the signal. `true` is s2n's default range (10-30 s, see `s2nBlinding`); whether the real
   * ALB blinds is not documented. @default false (no blinding)
   */
  blinding?: boolean | { minMs: number; maxMs: number };
}

/** How the built-in API answers; the checks run in this order, the first that applies answers. */
export interface ApiGatewayOptions {
  /**
   * The execute-api VPC endpoint policy denies the call: 403 with this `x-amzn-ErrorType`.
   * @default undefined (the endpoint policy allows)
   */
  endpointPolicyDeny?: 'IncompleteSignatureException' | 'InvalidSignatureException';
  /**
   * The API's domain name: a request whose Host (or `:authority`) is another name, and that has no
   * matching `x-apigw-api-id`, answers 403 ForbiddenException `{"message":"Forbidden"}`.
   * @default undefined (any Host is served)
   */
  domainName?: string;
  /** 403 AccessDeniedException: the resource policy denies (e.g. not through the allowed endpoint). @default false */
  accessDenied?: boolean;
  /**
   * A Lambda/Cognito authorizer's verdict: `unauthorized` answers 401 `{"message":"Unauthorized"}`,
   * `deny` 403 `{"Message":"User is not authorized to access this resource with an explicit deny"}`.
   * @default 'allow'
   */
  authorizer?: 'allow' | 'unauthorized' | 'deny';
  /**
   * What an unknown resource or method answers: `missing-authentication-token` (403
   * MissingAuthenticationTokenException `{"message":"Missing Authentication Token"}`, the long-standing
   * shape) or `forbidden` (403 ForbiddenException with the same body, the newer one; a wrong Host or a
   * WAF block answer ForbiddenException `{"message":"Forbidden"}` instead).
   * @default 'missing-authentication-token'
   */
  missingRoute?: 'missing-authentication-token' | 'forbidden';
  /** Prefix for `x-amzn-RequestId` values, to tell gateways apart in a test. @default '' */
  requestIdPrefix?: string;
}
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';
export type AlpnProtocol = 'h2' | 'http/1.1';

export interface GatewayOptions {
  /** The ALB listener's mutual-TLS mode. */
  mode: MtlsMode;
  /** The listener certificate: leaf PEM, PKCS#8 key PEM, and the intermediates to send. */
  server: { certPem: string; keyPem: string; chainPem?: string };
  /** CA bundle and CRLs (PEM). Required in `verify` mode. */
  trustStore?: TrustStoreInput;
  /** Listener attribute `IgnoreClientCertificateExpiry`. @default false */
  ignoreClientCertificateExpiry?: boolean;
  /**
   * Listener attribute `AdvertiseTrustStoreCaNames`: list the trust store's CA names in the
   * CertificateRequest. @default false
   */
  advertiseTrustStoreCaNames?: boolean;
  /**
   * Listener attributes `routing.http.request.x_amzn_mtls_clientcert*.header_name`: forward the
   * mTLS headers under these names instead, e.g. `{ subject: 'X-Client-Subject' }`.
   * @default the ALB's `X-Amzn-Mtls-Clientcert*` names (see `mtlsHeaderNames`)
   */
  headerNames?: Partial<Record<MtlsHeaderField, string>>;
  /**
   * TLS policy. The ALB offers h2 and HTTP/1.1 by ALPN; both carry the built-in API and the proxy.
   * @default { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', alpn: ['h2', 'http/1.1'] }
   */
  tls?: { minVersion?: TlsVersion; maxVersion?: TlsVersion; alpn?: AlpnProtocol[] };
  /**
   * How a refused certificate is signalled, and after how long.
   * @default { style: 'reset', delayMs: 0, blinding: false }
   */
  refusal?: RefusalOptions;
  /**
   * Proxy every accepted request to this http(s) URL instead of answering with the built-in API.
   * The client's Host goes along unchanged, as the ALB forwards it.
   */
  upstream?: string;
  /**
   * How long the upstream may take to answer before the gateway answers the ALB's `504 Gateway
   * Time-out` page (the ALB's idle timeout, 60 s by default; API Gateway's own limit is 29 s).
   * @default 60000
   */
  upstreamTimeoutMs?: number;
  /** API Gateway behaviour of the built-in API. @default {} (every check passes) */
  apiGateway?: ApiGatewayOptions;
  /** Answer every request with this ALB error page instead. */
  albError?: 502 | 503 | 504;
  /**
   * Reset this share (0..1) of requests after reading them and before answering. Deterministic:
   * with 0.25, every fourth request is reset. It is a TCP reset: over HTTP/2 it fails every stream
   * of that connection.
   */
  faults?: { resetRatio?: number };
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** Called with each connection-log line as it is written. */
  onConnectionLog?: (line: string, entry: ConnectionLogEntry) => void;
}

export type GatewayUpdate = Partial<
  Pick<
    GatewayOptions,
    'refusal' | 'apiGateway' | 'faults' | 'ignoreClientCertificateExpiry' | 'upstreamTimeoutMs'
  >
> & {
  /** An ALB error to answer with from now on; `undefined` switches it off again. */
  albError?: 502 | 503 | 504 | undefined;
};

export const defaultAlpn: readonly AlpnProtocol[] = ['h2', 'http/1.1'];
export const defaultUpstreamTimeoutMs = 60_000;

function invalid(field: string, why: string): TestkitError {
  return new TestkitError('GATEWAY_OPTIONS_INVALID', `startGateway: ${field} ${why}`);
}

const tlsVersions = new Set(['TLSv1.2', 'TLSv1.3']);
/** An HTTP field name (RFC 9110 token). */
const headerToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function validateUpdate(update: GatewayUpdate, prefix = ''): void {
  const style = update.refusal?.style;
  if (style !== undefined && !refusalStyles.includes(style)) {
    throw invalid(
      `${prefix}refusal.style`,
      `must be one of ${refusalStyles.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(style)}`,
    );
  }
  const delay = update.refusal?.delayMs;
  if (delay !== undefined && !isMilliseconds(delay)) {
    throw invalid(`${prefix}refusal.delayMs`, 'must be a number of milliseconds >= 0');
  }
  const blinding = update.refusal?.blinding;
  if (blinding !== undefined && typeof blinding !== 'boolean') {
    if (
      typeof blinding !== 'object' ||
      blinding === null ||
      !isMilliseconds(blinding.minMs) ||
      !isMilliseconds(blinding.maxMs) ||
      blinding.maxMs < blinding.minMs
    ) {
      throw invalid(
        `${prefix}refusal.blinding`,
        'must be true, false or { minMs, maxMs } with 0 <= minMs <= maxMs (milliseconds)',
      );
    }
  }
  const api = update.apiGateway;
  if (api !== undefined) validateApiGateway(api, prefix);
  const upstreamTimeout = update.upstreamTimeoutMs;
  if (upstreamTimeout !== undefined && !(isMilliseconds(upstreamTimeout) && upstreamTimeout > 0)) {
    throw invalid(`${prefix}upstreamTimeoutMs`, 'must be a number of milliseconds > 0');
  }
  if (update.albError !== undefined && ![502, 503, 504].includes(update.albError)) {
    throw invalid(`${prefix}albError`, 'must be 502, 503 or 504');
  }
  const ratio = update.faults?.resetRatio;
  if (ratio !== undefined && !(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1)) {
    throw invalid(`${prefix}faults.resetRatio`, 'must be between 0 and 1');
  }
}

function isMilliseconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function validateApiGateway(api: ApiGatewayOptions, prefix: string): void {
  const oneOf = (field: keyof ApiGatewayOptions, allowed: readonly string[]): void => {
    const value = api[field];
    if (value !== undefined && !allowed.includes(value as string)) {
      throw invalid(
        `${prefix}apiGateway.${field}`,
        `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
      );
    }
  };
  oneOf('endpointPolicyDeny', ['IncompleteSignatureException', 'InvalidSignatureException']);
  oneOf('authorizer', ['allow', 'unauthorized', 'deny']);
  oneOf('missingRoute', ['missing-authentication-token', 'forbidden']);
  if (api.domainName !== undefined && (typeof api.domainName !== 'string' || api.domainName === '')) {
    throw invalid(`${prefix}apiGateway.domainName`, 'must be a non-empty host name');
  }
}

export function validateOptions(options: GatewayOptions): void {
  if (!['off', 'passthrough', 'verify'].includes(options.mode)) {
    throw invalid('mode', `must be 'off', 'passthrough' or 'verify', got ${JSON.stringify(options.mode)}`);
  }
  if (typeof options.server?.certPem !== 'string' || !options.server.certPem.includes('BEGIN CERTIFICATE')) {
    throw invalid('server.certPem', 'must be a PEM certificate');
  }
  if (typeof options.server.keyPem !== 'string' || !options.server.keyPem.includes('PRIVATE KEY')) {
    throw invalid('server.keyPem', 'must be a PEM private key');
  }
  if (options.mode === 'verify' && options.trustStore === undefined) {
    throw invalid('trustStore', "is required in 'verify' mode");
  }
  for (const field of ['minVersion', 'maxVersion'] as const) {
    const value = options.tls?.[field];
    if (value !== undefined && !tlsVersions.has(value))
      throw invalid(`tls.${field}`, "must be 'TLSv1.2' or 'TLSv1.3'");
  }
  for (const protocol of options.tls?.alpn ?? []) {
    if (protocol !== 'h2' && protocol !== 'http/1.1')
      throw invalid('tls.alpn', `has unknown protocol ${protocol}`);
  }
  for (const [field, name] of Object.entries(options.headerNames ?? {})) {
    if (!(field in mtlsHeaderNames)) {
      throw invalid(`headerNames.${field}`, `is not one of ${Object.keys(mtlsHeaderNames).join(', ')}`);
    }
    if (typeof name !== 'string' || !headerToken.test(name)) {
      throw invalid(`headerNames.${field}`, `must be an HTTP header name, got ${JSON.stringify(name)}`);
    }
  }
  if (options.upstream !== undefined) {
    let url: URL;
    try {
      url = new URL(options.upstream);
    } catch {
      throw invalid('upstream', 'must be an absolute http(s) URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw invalid('upstream', 'must be an http(s) URL');
  }
  if (
    options.port !== undefined &&
    !(Number.isInteger(options.port) && options.port >= 0 && options.port < 65536)
  ) {
    throw invalid('port', 'must be an integer 0..65535');
  }
  validateUpdate(options);
}
