/** Where the client identity comes from: files, a PKCS#12 file, or Secrets Manager. */
export type CredentialSource =
  | {
      readonly kind: 'files';
      readonly certFile: string;
      readonly keyFile: string;
      readonly passphrase?: string;
    }
  | { readonly kind: 'pfx'; readonly pfxFile: string; readonly passphrase?: string }
  | {
      readonly kind: 'secret';
      readonly secretId: string;
      readonly region?: string;
      readonly endpoint?: string;
      readonly versionStage?: string;
      readonly passphrase?: string;
    };

/** Everything a probe run needs, already validated (the CLI and the canary both build this). */
export interface ProbeOptions {
  readonly url: string;
  readonly credentials?: CredentialSource;
  /** PEM files trusted for the server certificate; default: Node's system roots. */
  readonly caFiles?: readonly string[];
  /** PEM text trusted for the server certificate (the canary passes it inline). */
  readonly caPem?: string;
  /** The CA bundle the ALB trust store holds, as a file. */
  readonly trustStoreFile?: string;
  readonly trustStoreArn?: string;
  readonly elbv2Endpoint?: string;
  /** CRL locations: a file path, `s3://bucket/key` or `https://…`. */
  readonly crls?: readonly string[];
  readonly s3Endpoint?: string;
  readonly revokedCertFile?: string;
  readonly revokedKeyFile?: string;
  readonly servername?: string;
  /** `host:port` to dial instead of the URL's host; SNI and Host stay the URL's. */
  readonly connectTo?: string;
  /** `ip` or `ip:port` of the DNS server to ask instead of the system resolver. */
  readonly resolver?: string;
  /** Accept public addresses in DNS answers. @default false */
  readonly allowPublic?: boolean;
  readonly vpcEndpointId?: string;
  readonly ec2Endpoint?: string;
  readonly region?: string;
  /** @default 200 */
  readonly expectStatus?: number;
  /** @default 'GET' */
  readonly method?: string;
  /** `Name: value` lines. */
  readonly headers?: readonly string[];
  /** Request body, UTF-8 (e.g. JSON for a POST). */
  readonly body?: string;
  /** Per network step (DNS, TCP connect, TLS handshake), in milliseconds. @default 5000 */
  readonly timeoutMs?: number;
  /**
   * For the answer (response headers, then each gap in the body), in milliseconds: API Gateway
   * lets an integration take 29 s, and only an answer tells a slow API from a refusal held back.
   * @default 30000
   */
  readonly responseTimeoutMs?: number;
  /** Days before expiry from which client-cert.inspect warns. @default 14 */
  readonly warnDays?: number;
  /** The clock used to judge validity (tests). @default now */
  readonly now?: Date;
}

export const PROBE_DEFAULTS = {
  expectStatus: 200,
  method: 'GET',
  timeoutMs: 5000,
  responseTimeoutMs: 30_000,
  warnDays: 14,
  region: 'us-east-1',
} as const;

/**
 * The AWS region every client of a run uses (Secrets Manager, EC2, ELBv2, S3): the option, else
 * AWS_REGION, else AWS_DEFAULT_REGION (which the JavaScript SDK ignores), else us-east-1, as the
 * help says. Left to the SDK, a missing region fails as "could not be read" far from its cause.
 */
export function regionOf(region: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return region || env.AWS_REGION || env.AWS_DEFAULT_REGION || PROBE_DEFAULTS.region;
}
