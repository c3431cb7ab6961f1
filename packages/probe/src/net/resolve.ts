import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ProbeError } from '../errors.ts';
import { type AddressScope, addressScope } from './address.ts';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
  /** Seconds, when the answer came from a DNS query (the system's getaddrinfo does not tell). */
  readonly ttl?: number;
  readonly scope: AddressScope;
}

export interface Resolution {
  readonly host: string;
  /** `system`, `literal` (the host is an address) or the `ip:port` of the resolver asked. */
  readonly resolver: string;
  /** CNAME targets followed from the host, in order. */
  readonly cnameChain: readonly string[];
  readonly addresses: readonly ResolvedAddress[];
}

export interface ResolveOptions {
  /** `ip` or `ip:port`; default: the system's resolver (getaddrinfo, so /etc/hosts counts). */
  readonly resolver?: { host: string; port: number };
  readonly timeoutMs: number;
}

const notFoundCodes = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'EAI_NONAME', 'EAI_NODATA']);
const timeoutCodes = new Set(['ETIMEOUT', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'ESERVFAIL']);

function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function dnsError(host: string, error: unknown, resolverName: string): ProbeError {
  const code = (error as { code?: string }).code ?? '';
  const details = { host, resolver: resolverName, errno: code };
  if (timeoutCodes.has(code) || error instanceof ProbeError) {
    return new ProbeError(
      'DNS_TIMEOUT',
      `no answer for ${host} from ${resolverName} (${code || 'timeout'})`,
      {
        cause: error,
        details,
      },
    );
  }
  if (notFoundCodes.has(code)) {
    return new ProbeError('DNS_NXDOMAIN', `${host} does not resolve (${code} from ${resolverName})`, {
      cause: error,
      details,
    });
  }
  return new ProbeError('DNS_TIMEOUT', `resolving ${host} failed: ${(error as Error).message}`, {
    cause: error,
    details,
  });
}

async function queryOrEmpty<T>(query: Promise<T[]>): Promise<T[]> {
  try {
    return await query;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
    throw error;
  }
}

async function viaResolver(host: string, server: { host: string; port: number }, timeoutMs: number) {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  const name = isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  resolver.setServers([name]);
  // c-ares retries and backs off on its own schedule; the probe's deadline is the step's timeout.
  const timeout = () =>
    Object.assign(new Error(`no answer within ${timeoutMs} ms`), {
      code: 'ETIMEOUT',
    }) as NodeJS.ErrnoException;
  const lookupAll = async () => {
    const cnameChain: string[] = [];
    let current = host;
    // A chain longer than 8 is a loop or a misconfiguration; the address queries still follow it.
    for (let i = 0; i < 8; i++) {
      const [next] = await queryOrEmpty(resolver.resolveCname(current));
      if (next === undefined) break;
      cnameChain.push(next);
      current = next;
    }
    const [v4, v6] = await Promise.all([
      queryOrEmpty(resolver.resolve4(host, { ttl: true })),
      queryOrEmpty(resolver.resolve6(host, { ttl: true })),
    ]);
    const addresses: ResolvedAddress[] = [
      ...v4.map((a) => ({
        address: a.address,
        family: 4 as const,
        ttl: a.ttl,
        scope: addressScope(a.address),
      })),
      ...v6.map((a) => ({
        address: a.address,
        family: 6 as const,
        ttl: a.ttl,
        scope: addressScope(a.address),
      })),
    ];
    if (addresses.length === 0) {
      throw Object.assign(new Error(`no A or AAAA records for ${host}`), { code: 'ENOTFOUND' });
    }
    return { host, resolver: name, cnameChain, addresses };
  };
  try {
    return await withDeadline(lookupAll(), timeoutMs, timeout);
  } catch (error) {
    throw dnsError(host, error, name);
  } finally {
    resolver.cancel();
  }
}

/** Resolves a host name the way the dial will use it, reporting CNAMEs, TTLs and each address's scope. */
export async function resolveHost(host: string, options: ResolveOptions): Promise<Resolution> {
  const family = isIP(host);
  if (family !== 0) {
    return {
      host,
      resolver: 'literal',
      cnameChain: [],
      addresses: [{ address: host, family: family as 4 | 6, scope: addressScope(host) }],
    };
  }
  if (options.resolver) return viaResolver(host, options.resolver, options.timeoutMs);
  try {
    const answers = await withDeadline(
      lookup(host, { all: true, order: 'ipv4first' }),
      options.timeoutMs,
      () =>
        new ProbeError(
          'DNS_TIMEOUT',
          `the system resolver did not answer for ${host} in ${options.timeoutMs} ms`,
        ),
    );
    const seen = new Set<string>();
    const addresses = answers
      .filter((a) => !seen.has(a.address) && seen.add(a.address))
      .map((a) => ({ address: a.address, family: a.family as 4 | 6, scope: addressScope(a.address) }));
    return { host, resolver: 'system', cnameChain: [], addresses };
  } catch (error) {
    throw dnsError(host, error, 'system');
  }
}
