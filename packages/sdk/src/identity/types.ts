import type { KeyObject, X509Certificate } from 'node:crypto';
import type { MtlsLinkError } from '../errors/index.ts';

/**
 * A client certificate with its private key, read and checked, ready for a TLS connection. Identities
 * the SDK builds keep `keyPem` and `privateKey` non-enumerable and print as their `IdentitySummary`
 * through `JSON.stringify` and `util.inspect`: logging one never shows the key.
 */
export interface ClientIdentity {
  /** The leaf certificate (the one whose public key matches the private key), PEM. */
  readonly certPem: string;
  /** Intermediates above the leaf, leaf-to-root order, PEM concatenated; self-signed roots left out. */
  readonly chainPem: string;
  /** The private key, decrypted, PKCS#8 PEM. Never log it. */
  readonly keyPem: string;
  readonly privateKey: KeyObject;
  readonly leaf: X509Certificate;
  /** The intermediates of `chainPem`, parsed, leaf-to-root order. */
  readonly chain: readonly X509Certificate[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the leaf, colon-separated upper-case hex (as node:crypto prints it). */
  readonly fingerprint256: string;
  /** Leaf serial, upper-case hex without colons (as the ALB's X-Amzn-Mtls-Clientcert-Serial-Number). */
  readonly serialHex: string;
  readonly subject: string;
  readonly issuer: string;
  readonly keyType: 'rsa' | 'ec' | 'other';
  /** RSA modulus length in bits. */
  readonly keyBits?: number;
  /** EC named curve as node:crypto names it (prime256v1, secp384r1, secp521r1...). */
  readonly curve?: string;
  /** Where the identity came from, e.g. `secretsmanager:consumer/api-client@AWSCURRENT`; never its contents. */
  readonly source: string;
  /** The secret's VersionId when the source knows it. */
  readonly version?: string;
}

/** Raw material as a source delivers it; `readIdentity` finds the format on its own. */
export interface IdentityMaterial {
  /** Text: JSON with PEM fields, a PEM bundle, or base64 of either. */
  readonly secretString?: string;
  /** Bytes: PKCS#12 (or PEM text stored as binary). */
  readonly secretBinary?: Uint8Array;
  /** Passphrase for an encrypted key or PKCS#12 when the material does not carry one. */
  readonly passphrase?: string;
  /** Names the origin in messages: secret id and stage, file path, env var. */
  readonly source: string;
  readonly version?: string;
}

/** One named piece of material, e.g. a file or an environment variable, read with its own name. */
export interface MaterialPart {
  /** How messages name this part: a JSON field, a file path, an env var. */
  readonly field: string;
  readonly role: 'cert' | 'key' | 'chain' | 'ca' | 'bundle' | 'pfx';
  readonly text?: string;
  readonly bytes?: Uint8Array;
}

export interface ReadIdentityOptions {
  /** The time validity is judged at. @default Date.now() */
  readonly now?: number | Date;
  /**
   * `true` (default): throw the first ALB rule the identity breaks (expired, no clientAuth, ...).
   * `false`: only throw when the material cannot be read at all; the probe then reports the broken
   * rules as findings through `inspectIdentity`.
   */
  readonly validate?: boolean;
}

export type FindingCode =
  | 'CLIENT_CERT_KEY_MISMATCH'
  | 'CLIENT_CERT_EXPIRED'
  | 'CLIENT_CERT_NOT_YET_VALID'
  | 'CLIENT_CERT_EXPIRING'
  | 'CLIENT_CERT_PURPOSE_INVALID'
  | 'CLIENT_CERT_TYPE_UNSUPPORTED'
  | 'CLIENT_CERT_CHAIN_TOO_DEEP'
  | 'CLIENT_CERT_UNTRUSTED'
  | 'CLIENT_CERT_REVOKED'
  | 'CRL_INVALID'
  | 'CRL_STALE'
  | 'CRL_UNVERIFIED'
  | 'CRL_INCOMPLETE';

export interface IdentityFinding {
  readonly code: FindingCode;
  /** `error`: the ALB refuses the certificate; `warning`: it works today but needs attention. */
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** `tls_verify_status` as the ALB writes it in its connection log. */
export type AlbVerifyStatus =
  | 'Success'
  | 'Failed:ClientCertUntrusted'
  | 'Failed:ClientCertCrlHit'
  | 'Failed:ClientCertCrlProcessingError'
  | 'Failed:ClientCertExpired'
  | 'Failed:ClientCertNotYetValid'
  | 'Failed:ClientCertPurposeInvalid'
  | 'Failed:ClientCertTypeUnsupported'
  | 'Failed:ClientCertMaxChainDepthExceeded';

export interface InspectIdentityOptions {
  /** @default new Date() */
  readonly now?: Date | number;
  /** The CA bundle the ALB trust store holds (PEM). Without it, trust and CRLs are not judged. */
  readonly trustStorePem?: string;
  /** Revocation lists the trust store uses (PEM or base64 DER). */
  readonly crlPems?: readonly string[];
  /** Warn when fewer days than this are left. @default 14 */
  readonly warnDays?: number;
  /**
   * `trustStorePem` is not the ALB's trust store but CAs standing in for it (e.g. the identity's
   * own chain): a CRL none of them issued is unverified (`CRL_UNVERIFIED`, a warning), not invalid.
   * @default false
   */
  readonly trustStoreStandIn?: boolean;
}

export interface IdentityInspection {
  readonly findings: readonly IdentityFinding[];
  /**
   * What the ALB would write as `tls_verify_status` for this identity. Without a trust store the
   * trust and CRL steps are assumed to pass, so `Success` means "nothing offline says no".
   */
  readonly predictedAlbStatus: AlbVerifyStatus;
  /** Certificates in the verification path, leaf and root included (see `chainDepth` in rules.ts). */
  readonly chainDepth: number;
  readonly daysLeft: number;
  /** Whether a path to a trust store CA was found (undefined without a trust store). */
  readonly trusted?: boolean;
}

/** What events and logs carry of an identity: never the key. */
export interface IdentitySummary {
  readonly source: string;
  readonly version?: string;
  /** Leaf serial, upper-case hex (as the ALB's X-Amzn-Mtls-Clientcert-Serial-Number). */
  readonly serialHex: string;
  readonly fingerprint256: string;
  readonly subject: string;
  /** ISO 8601. */
  readonly notAfter: string;
  /** Days until notAfter when the summary was made, one decimal. */
  readonly daysLeft: number;
}

// In the events below, the identity-valued properties are not enumerable: logging the event object
// prints the summaries only.

export interface RefreshEvent {
  readonly previous: ClientIdentity | undefined;
  readonly current: ClientIdentity;
  readonly summary: IdentitySummary;
  readonly previousSummary: IdentitySummary | undefined;
  /** The leaf fingerprint differs from the previous one. */
  readonly changed: boolean;
  readonly reason: string;
}

export interface RefreshFailedEvent {
  readonly error: MtlsLinkError;
  /** The last good identity, still served (undefined when none was ever loaded). */
  readonly current: ClientIdentity | undefined;
  readonly summary: IdentitySummary | undefined;
  readonly reason: string;
}

export interface ExpiryWarningEvent {
  readonly identity: ClientIdentity;
  readonly summary: IdentitySummary;
  readonly daysLeft: number;
  readonly notAfter: Date;
}

export interface IdentityEvents {
  refresh: RefreshEvent;
  'refresh-failed': RefreshFailedEvent;
  'expiry-warning': ExpiryWarningEvent;
}

/** What `createClient({ identity })` takes: a cached, refreshing source of the client identity. */
export interface IdentityProvider {
  /**
   * The cached identity; the first call loads it (concurrent first calls share one load). With a
   * `signal`, the call rejects with the signal's reason when it fires; the shared load stops only
   * when every caller waiting on it has gone.
   */
  current(opts?: { signal?: AbortSignal }): Promise<ClientIdentity>;
  /**
   * Reload now. Without `force`, a call within `minRefreshInterval` of the last load returns the
   * cached identity; a load already in flight is always shared. Forced reloads are rate-limited by
   * `minForcedRefreshInterval`.
   */
  refresh(opts?: { force?: boolean; reason?: string; signal?: AbortSignal }): Promise<ClientIdentity>;
  on<E extends keyof IdentityEvents>(event: E, listener: (event: IdentityEvents[E]) => void): () => void;
  /** Stops the background refresh timer; the cached identity stays readable. */
  close(): void;
}
