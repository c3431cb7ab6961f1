import type { LookupFunction } from 'node:net';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import type { ClientIdentity } from '../identity/types.ts';
import { type ConnectionFacts, trackingConnector, trackingTlsOptions } from './connection-facts.ts';

/** The TLS and pool settings every pool of one client shares; only the identity differs. */
export interface PoolSettings {
  /** Trust for the server certificate (PEM); system roots when absent. */
  readonly ca?: string | readonly string[] | undefined;
  /** SNI and the name the server certificate must cover, when it differs from the URL's host. */
  readonly servername?: string | undefined;
  readonly allowH2: boolean;
  /** Connections per origin. */
  readonly connections: number;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** How long an idle keep-alive connection is kept. */
  readonly keepAliveTimeoutMs: number;
  /** Requests per connection before it is replaced (0: no limit). */
  readonly maxRequestsPerConnection: number;
  /** Custom DNS lookup (tests point it at a local resolver). */
  readonly lookup?: LookupFunction | undefined;
}

/** One undici Agent (a keep-alive pool per origin) bound to one client identity. */
export interface IdentityPool {
  readonly agent: Agent;
  readonly fingerprint256: string;
  /** Facts of the pool's open connections (for failures undici reports without their socket). */
  openConnections(): ConnectionFacts[];
}

export type TlsMaterial = Pick<ClientIdentity, 'certPem' | 'chainPem' | 'keyPem' | 'fingerprint256'>;

export function createIdentityPool(identity: TlsMaterial, settings: PoolSettings): IdentityPool {
  const chain = identity.chainPem.trim();
  const material = {
    // The server needs the intermediates to build the path to its trust store.
    cert: chain === '' ? identity.certPem : `${identity.certPem.trimEnd()}\n${chain}\n`,
    key: identity.keyPem,
    ...(settings.ca === undefined ? {} : { ca: settings.ca as string | string[] }),
  };
  const connector = buildConnector({
    ...material,
    ...secureContextOnce(material),
    ...trackingTlsOptions,
    ...(settings.servername === undefined ? {} : { servername: settings.servername }),
    ...(settings.lookup === undefined ? {} : { lookup: settings.lookup }),
    allowH2: settings.allowH2,
    timeout: settings.connectTimeoutMs,
  });
  const tracking = trackingConnector(connector);
  const agent = new Agent({
    connect: tracking,
    allowH2: settings.allowH2,
    connections: settings.connections,
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: settings.bodyTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    ...(settings.maxRequestsPerConnection > 0
      ? { maxRequestsPerClient: settings.maxRequestsPerConnection }
      : {}),
  });
  return { agent, fingerprint256: identity.fingerprint256, openConnections: tracking.openConnections };
}

/**
 * Without a context, tls.connect parses the key, certificates and CA bundle again for every
 * connection; one context per pool does it once. Material node refuses (a key that does not match
 * its certificate) gets none, so each connection keeps failing with node's own error, as before.
 */
function secureContextOnce(material: SecureContextOptions): { secureContext?: SecureContext } {
  try {
    return { secureContext: createSecureContext(material) };
  } catch {
    return {};
  }
}
