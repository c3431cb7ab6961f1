import { TestkitError } from '../errors.ts';
import type { ConnectionLogEntry } from './connection-log.ts';
import { type MtlsHeaderField, mtlsHeaderNames } from './mtls-headers.ts';
import type { TrustStoreInput } from './trust-store.ts';

export type MtlsMode = 'off' | 'passthrough' | 'verify';
/** What a client whose certificate is refused sees: a TLS alert, a TCP reset, or a clean close. */
export type RefusalStyle = 'alert' | 'reset' | 'close';
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
  /** TLS policy. @default { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', alpn: ['http/1.1'] } */
  tls?: { minVersion?: TlsVersion; maxVersion?: TlsVersion; alpn?: AlpnProtocol[] };
  /**
   * How a refused certificate is signalled, and after how long (s2n may wait 10-30 s; the delay is
   * not confirmed for the ALB). @default { style: 'alert', delayMs: 0 }
   */
  refusal?: { style?: RefusalStyle; delayMs?: number };
  /** Proxy every accepted request to this http(s) URL instead of answering with the built-in API. */
  upstream?: string;
  /** API Gateway behaviour: `accessDenied` answers 403 AccessDeniedException (resource policy). */
  apiGateway?: { accessDenied?: boolean; requestIdPrefix?: string };
  /** Answer every request with this ALB error page instead. */
  albError?: 502 | 503 | 504;
  /**
   * Reset this share (0..1) of requests after reading them and before answering. Deterministic:
   * with 0.25, every fourth request is reset.
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
  Pick<GatewayOptions, 'refusal' | 'apiGateway' | 'faults' | 'ignoreClientCertificateExpiry'>
> & {
  /** An ALB error to answer with from now on; `undefined` switches it off again. */
  albError?: 502 | 503 | 504 | undefined;
};

function invalid(field: string, why: string): TestkitError {
  return new TestkitError('GATEWAY_OPTIONS_INVALID', `startGateway: ${field} ${why}`);
}

const tlsVersions = new Set(['TLSv1.2', 'TLSv1.3']);
/** An HTTP field name (RFC 9110 token). */
const headerToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function validateUpdate(update: GatewayUpdate, prefix = ''): void {
  const style = update.refusal?.style;
  if (style !== undefined && !['alert', 'reset', 'close'].includes(style)) {
    throw invalid(
      `${prefix}refusal.style`,
      `must be 'alert', 'reset' or 'close', got ${JSON.stringify(style)}`,
    );
  }
  const delay = update.refusal?.delayMs;
  if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) {
    throw invalid(`${prefix}refusal.delayMs`, 'must be a number of milliseconds >= 0');
  }
  if (update.albError !== undefined && ![502, 503, 504].includes(update.albError)) {
    throw invalid(`${prefix}albError`, 'must be 502, 503 or 504');
  }
  const ratio = update.faults?.resetRatio;
  if (ratio !== undefined && !(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1)) {
    throw invalid(`${prefix}faults.resetRatio`, 'must be between 0 and 1');
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
