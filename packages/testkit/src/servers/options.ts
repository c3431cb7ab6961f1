import type { Issued } from '../pki/issued.ts';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** Options shared by the nginx and HAProxy mTLS terminators. */
export interface MtlsTerminatorOptions {
  /** The certificate the server presents; `chainPem` is sent along with it. */
  server: Pick<Issued, 'certPem' | 'keyPem' | 'chainPem'>;
  /** CA bundle the client certificate must chain to (e.g. `TestPki.trustStorePem`). */
  caPem: string;
  /**
   * CRLs, PEM (one string may hold several). Both servers check revocation for every CA in the
   * path once a CRL is set, so give one CRL per CA in `caPem` (e.g. `[pki.crlPem, pki.rootCrlPem]`);
   * a missing one is refused up front.
   */
  crlPem?: string | string[];
  /** @default { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } */
  tls?: { minVersion?: TlsVersion; maxVersion?: TlsVersion };
  /** Absolute path of the binary. @default findBinary(name) */
  binary?: string;
  /** How long to wait until the port completes a TLS handshake. @default 5000 ms */
  startTimeoutMs?: number;
}

export interface NginxOptions extends MtlsTerminatorOptions {
  /**
   * nginx's `ssl_verify_depth`, OpenSSL's meaning: the number of intermediate CAs allowed between
   * the leaf and the trust anchor. @default 4
   */
  verifyDepth?: number;
  /**
   * What a client with a bad or missing certificate gets. Stock nginx completes the handshake and
   * answers HTTP 400 itself ('http-400': `400 No required SSL certificate was sent` without a
   * certificate, `400 The SSL certificate error` for a refused one); 'close' drops the connection
   * after the handshake without an answer (`error_page 495 496 =444`). @default 'http-400'
   */
  refusal?: 'close' | 'http-400';
  /** Also serve HTTP/2 (ALPN h2) on the TLS listener, as `listen … ssl http2`. @default false */
  http2?: boolean;
}

export interface MtlsTerminator {
  readonly name: 'nginx' | 'haproxy';
  /** `https://127.0.0.1:PORT` (the PKI's server certificate holds that IP and `localhost`). */
  readonly url: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The temporary folder holding config, certificates and logs; removed by `close()`. */
  readonly dir: string;
  /** What the server wrote to its error log and stderr so far. */
  logs(): Promise<string>;
  /** SIGTERM, then SIGKILL after two seconds; then removes `dir`. */
  close(): Promise<void>;
}
