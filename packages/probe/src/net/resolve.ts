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
  /**
   * System resolver only: whether its DNS servers answered the CNAME/TTL queries (getaddrinfo
   * alone tells neither).
   */
  readonly dnsDetails?: boolean;
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

interface DnsRecords {
  readonly cnameChain: string[];
  readonly records: { address: string; family: 4 | 6; ttl: number }[];
}

/** CNAMEs and A/AAAA records with their TTLs, asked of DNS directly. */
async function queryRecords(resolver: Resolver, host: string): Promise<DnsRecords> {
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
  return {
    cnameChain,
    records: [
      ...v4.map((a) => ({ address: a.address, family: 4 as const, ttl: a.ttl })),
      ...v6.map((a) => ({ address: a.address, family: 6 as const, ttl: a.ttl })),
    ],
  };
}

// c-ares retries and backs off on its own schedule; the probe's deadline is the step's timeout.
const noAnswer = (timeoutMs: number) => () =>
  Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEOUT' }) as NodeJS.ErrnoException;

async function viaResolver(host: string, server: { host: string; port: number }, timeoutMs: number) {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  const name = isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
  resolver.setServers([name]);
  try {
    const { cnameChain, records } = await withDeadline(
      queryRecords(resolver, host),
      timeoutMs,
      noAnswer(timeoutMs),
    );
    if (records.length === 0) {
      throw Object.assign(new Error(`no A or AAAA records for ${host}`), { code: 'ENOTFOUND' });
    }
    const addresses = records.map((r) => ({ ...r, scope: addressScope(r.address) }));
    return { host, resolver: name, cnameChain, addresses };
  } catch (error) {
    throw dnsError(host, error, name);
  } finally {
    resolver.cancel();
  }
}

/**
 * The CNAME chain and TTLs getaddrinfo does not tell, asked of the system's own DNS servers
 * (resolv.conf: in a VPC, the Route 53 Resolver): best effort, never longer than `timeoutMs`, and
 * undefined when they do not answer (a name from /etc/hosts, a resolver that is not DNS).
 */
async function systemDnsRecords(host: string, timeoutMs: number): Promise<DnsRecords | undefined> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  try {
    const found = await withDeadline(queryRecords(resolver, host), timeoutMs, noAnswer(timeoutMs));
    return found.records.length > 0 ? found : undefined;
  } catch {
    return undefined;
  } finally {
    resolver.cancel();
  }
}

function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** How long the system path waits for the CNAME/TTL details beside getaddrinfo's answer. */
const systemDetailsMs = 1_000;

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
    // The addresses are getaddrinfo's, as the dial (undici, node:https) will use them; the DNS
    // details are asked for alongside so that they add no time when DNS answers.
    const [answers, dns] = await Promise.all([
      withDeadline(
        lookup(host, { all: true, order: 'ipv4first' }),
        options.timeoutMs,
        () =>
          new ProbeError(
            'DNS_TIMEOUT',
            `the system resolver did not answer for ${host} in ${options.timeoutMs} ms`,
          ),
      ),
      // RFC 6761: localhost names are never sent to DNS (nor are the tests' queries sent off loopback).
      isLocalhostName(host)
        ? undefined
        : systemDnsRecords(host, Math.min(options.timeoutMs, systemDetailsMs)),
    ]);
    const ttls = new Map(dns?.records.map((r) => [r.address, r.ttl]));
    const seen = new Set<string>();
    const addresses = answers
      .filter((a) => !seen.has(a.address) && seen.add(a.address))
      .map((a) => {
        const ttl = ttls.get(a.address);
        return {
          address: a.address,
          family: a.family as 4 | 6,
          ...(ttl === undefined ? {} : { ttl }),
          scope: addressScope(a.address),
        };
      });
    return {
      host,
      resolver: 'system',
      cnameChain: dns?.cnameChain ?? [],
      addresses,
      ...(isLocalhostName(host) ? {} : { dnsDetails: dns !== undefined }),
    };
  } catch (error) {
    throw dnsError(host, error, 'system');
  }
}
