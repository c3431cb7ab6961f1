import type { LookupFunction, Socket } from 'node:net';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import type * as undici from 'undici';
import type { ClientIdentity } from '../identity/types.ts';
import { type ConnectionFacts, trackingConnector, trackingTlsOptions } from './connection-facts.ts';
import { Agent, buildConnector } from './undici-modules.ts';

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
  /** Largest response body accepted, in bytes (-1: no limit); undici stops reading past it. */
  readonly maxResponseSize: number;
}

/** One undici Agent (a keep-alive pool per origin) bound to one client identity. */
export interface IdentityPool {
  readonly agent: Agent;
  readonly fingerprint256: string;
  /** The identity the pool presents (for summaries in traces; never logged as it is). */
  readonly identity: TlsMaterial;
  /**
   * Opens a connection (TCP, TLS with this identity) to `host:port` now and parks it for the pool's
   * next new connection to that origin: the Lambda init phase pays the handshake, not the first
   * request. A parked connection unused for keepAliveTimeoutMs is closed.
   */
  preconnect(host: string, port: number): Promise<void>;
  /** Closes parked connections nobody took. */
  discardParked(): void;
  /**
   * Ends every connection now, requests in flight included (undici's Agent forgets its pools once
   * close() ran, so its destroy() no longer reaches them; the sockets are ours to end).
   */
  destroyConnections(): void;
  /** Facts of the pool's open connections (for failures undici reports without their socket). */
  openConnections(): ConnectionFacts[];
}

export type TlsMaterial = Pick<ClientIdentity, 'certPem' | 'chainPem' | 'keyPem' | 'fingerprint256'>;

/** The `cert` and `key` TLS options that present an identity: the leaf, then its intermediates. */
export function presentedMaterial(identity: Pick<TlsMaterial, 'certPem' | 'chainPem' | 'keyPem'>): {
  cert: string;
  key: string;
} {
  const chain = identity.chainPem.trim();
  return {
    // The server needs the intermediates to build the path to its trust store.
    cert: chain === '' ? identity.certPem : `${identity.certPem.trimEnd()}\n${chain}\n`,
    key: identity.keyPem,
  };
}

export function createIdentityPool(identity: TlsMaterial, settings: PoolSettings): IdentityPool {
  const material = {
    ...presentedMaterial(identity),
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
  const parked = new Map<string, Socket>();
  const open = new Set<Socket>();
  // The tracking connector already sees each connection once TLS is up: keep the sockets there.
  const opened = trackingConnector(connector, {
    onSocket: (socket) => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    },
  });
  const connect: undici.buildConnector.connector = (options, callback) => {
    const key = `${options.hostname}:${options.port}`;
    const socket = parked.get(key);
    if (socket !== undefined) {
      parked.delete(key);
      if (!socket.destroyed && socket.readyState === 'open') {
        // Asynchronously, as a real connect would: undici is still inside its connect bookkeeping.
        process.nextTick(() => callback(null, socket));
        return;
      }
    }
    opened(options, callback);
  };
  const agent = new Agent({
    connect,
    maxResponseSize: settings.maxResponseSize,
    allowH2: settings.allowH2,
    connections: settings.connections,
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: settings.bodyTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    ...(settings.maxRequestsPerConnection > 0
      ? { maxRequestsPerClient: settings.maxRequestsPerConnection }
      : {}),
  });
  return {
    agent,
    fingerprint256: identity.fingerprint256,
    identity,
    openConnections: opened.openConnections,
    preconnect: (host, port) =>
      new Promise<void>((resolve, reject) => {
        const key = `${host}:${port}`;
        if (parked.has(key)) {
          resolve();
          return;
        }
        opened(
          {
            hostname: host,
            host: `${host.includes(':') ? `[${host}]` : host}:${port}`,
            protocol: 'https:',
            port: String(port),
            servername: settings.servername ?? null,
          } as undici.buildConnector.Options,
          (error, socket) => {
            if (error !== null) {
              reject(error);
              return;
            }
            const ready = socket as Socket;
            parked.set(key, ready);
            const drop = () => {
              if (parked.get(key) === ready) parked.delete(key);
              ready.destroy();
            };
            ready.once('close', drop);
            // A connection no request took within the keep-alive time is one a server may close too.
            setTimeout(() => {
              if (parked.get(key) === ready) drop();
            }, settings.keepAliveTimeoutMs).unref();
            resolve();
          },
        );
      }),
    discardParked: () => {
      for (const socket of parked.values()) socket.destroy();
      parked.clear();
    },
    destroyConnections: () => {
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
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
