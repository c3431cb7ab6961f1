import type { ClientIdentity } from '@mtls-link/sdk';
import type { ExchangeOutcome, ExchangeRequest } from '@mtls-link/sdk/diagnostics';
import type { ProbeError } from './errors.ts';
import type { Resolution } from './net/resolve.ts';
import type { CheckResult, ProbeTarget } from './result.ts';

/** A CRL as obtained for this run: its text, or why it could not be fetched. */
export interface CrlInput {
  /** The location given (file path, s3:// or https:// URL, or a trust store's revocation id). */
  readonly source: string;
  readonly pem?: string;
  readonly error?: string;
}

/** The trust store the ALB enforces, from `--trust-store` or read live through `--trust-store-arn`. */
export interface TrustStoreInput {
  readonly source: string;
  readonly pem: string;
  readonly caCount: number;
  /** The trust store's name and its revoked-entry total, as ELBv2 reports them (ARN source only). */
  readonly name?: string;
  readonly revokedEntries?: number;
  /** Revocation lists attached to the live trust store (ARN source only). */
  readonly revocationIds?: readonly string[];
}

/** Everything read before the checks run; a read failure stops the run with exit status 2. */
export interface ProbeInputs {
  readonly identity?: ClientIdentity;
  /** Credentials that parse but cannot form an identity (the key belongs to no certificate): a finding. */
  readonly identityProblem?: ProbeError;
  readonly revokedIdentity?: ClientIdentity;
  /** PEM CAs for the server certificate; undefined = Node's system roots. */
  readonly serverCa?: readonly string[];
  readonly trustStore?: TrustStoreInput;
  readonly crls: readonly CrlInput[];
}

export interface DialTarget {
  readonly address: string;
  readonly port: number;
}

/** What checks share during one run. Later checks read what earlier ones found. */
export interface ProbeContext {
  readonly target: ProbeTarget & { readonly path: string; readonly hostHeader: string };
  readonly inputs: ProbeInputs;
  readonly request: ExchangeRequest;
  /** Deadline of each network step: DNS, TCP connect, TLS handshake. */
  readonly timeoutMs: number;
  /** Deadline of the answer: response headers, then each gap in the body. */
  readonly responseTimeoutMs: number;
  readonly now: Date;
  readonly expectStatus: number;
  readonly warnDays: number;
  readonly allowPublic: boolean;
  /** --insecure: server-trust failures warn instead of failing. */
  readonly insecure: boolean;
  readonly resolver: { host: string; port: number } | undefined;
  readonly connectTo: DialTarget | undefined;
  readonly vpcEndpoint?: { readonly id: string; readonly endpoint?: string; readonly region: string };
  /** SNI: the servername option or the URL host; undefined when that is an IP literal. */
  readonly sni: string | undefined;
  readonly results: Map<string, CheckResult>;
  resolution?: Resolution;
  /** How long resolving the URL host took (the `dns` latency phase). */
  dnsMs?: number;
  dialTargets?: readonly DialTarget[];
  /** The with-certificate exchanges, one per dial target, made once and shared by the checks. */
  clientExchanges?: Promise<readonly ExchangeOutcome[]>;
  /** The same request without a client certificate, likewise shared. */
  anonymousExchanges?: Promise<readonly ExchangeOutcome[]>;
  /**
   * Aborted when the run ends (or its --max-time is reached): exchanges started ahead of the check
   * that reads them, and not read because that check was skipped, are abandoned then.
   */
  readonly abandon: AbortController;
}
