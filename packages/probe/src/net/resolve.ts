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
  /** The endpoint interface this address belongs to (dns.resolve, when --vpc-endpoint-id is known). */
  readonly endpointInterface?: string;
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
  /**
   * Side queries that failed while the address itself was answered (the CNAME chain, the other
   * address family): the name resolved, but what they would have told is not known.
   */
  readonly failedQueries?: readonly FailedQuery[];
}

export interface ResolveOptions {
  /** `ip` or `ip:port`; default: the system's resolver (getaddrinfo, so /etc/hosts counts). */
  readonly resolver?: { host: string; port: number };
  readonly timeoutMs: number;
}

const notFoundCodes = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'EAI_NONAME', 'EAI_NODATA']);
// ECONNREFUSED: nothing listens on the resolver's port, which reads as a resolver that does not answer.
const timeoutCodes = new Set(['ETIMEOUT', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN']);

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
  // c-ares names the resolver's answer: SERVFAIL and REFUSED are answers, not silence.
  if (code === 'ESERVFAIL') {
    return new ProbeError('DNS_SERVFAIL', `${resolverName} answered SERVFAIL for ${host}`, {
      cause: error,
      details,
    });
  }
  if (code === 'EREFUSED') {
    return new ProbeError('DNS_REFUSED', `${resolverName} refused the query for ${host}`, {
      cause: error,
      details,
    });
  }
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

/** A DNS question that got no usable answer. */
export interface FailedQuery {
  readonly name: string;
  readonly type: 'A' | 'AAAA' | 'CNAME';
  /** c-ares's code: ETIMEOUT, ESERVFAIL, EREFUSED, … */
  readonly errno: string;
}

type Answer<T> = { readonly records: T[] } | { readonly failed: FailedQuery; readonly error: unknown };

/** One query under its own deadline: "no such record" is an empty answer, anything else a failure. */
async function ask<T>(
  name: string,
  type: FailedQuery['type'],
  query: () => Promise<T[]>,
  timeoutMs: number,
): Promise<Answer<T>> {
  try {
    return { records: await withDeadline(query(), timeoutMs, noAnswer(timeoutMs)) };
  } catch (error) {
    const errno = (error as { code?: string }).code ?? 'ETIMEOUT';
    if (errno === 'ENODATA' || errno === 'ENOTFOUND') return { records: [] };
    return { failed: { name, type, errno }, error };
  }
}

interface DnsRecords {
  readonly cnameChain: string[];
  readonly records: { address: string; family: 4 | 6; ttl: number }[];
  /** Queries that failed (timed out, SERVFAIL, REFUSED). */
  readonly failed: FailedQuery[];
  /** The A query's error when no address came back at all (else the AAAA query's). */
  readonly addressError?: unknown;
}

/**
 * CNAMEs and A/AAAA records with their TTLs, asked of DNS directly, all at once. The CNAME chain
 * and the second address family are side queries: a resolver may refuse or drop them (dnsmasq
 * without a local zone does) while it answers the address itself, and then the name still resolved.
 */
async function queryRecords(resolver: Resolver, host: string, timeoutMs: number): Promise<DnsRecords> {
  const chain = (async () => {
    const cnameChain: string[] = [];
    let current = host;
    // A chain longer than 8 is a loop or a misconfiguration; the address queries still follow it.
    for (let i = 0; i < 8; i++) {
      const answer = await ask(current, 'CNAME', () => resolver.resolveCname(current), timeoutMs);
      if ('failed' in answer) return { cnameChain, failed: answer.failed };
      const [next] = answer.records;
      if (next === undefined) break;
      cnameChain.push(next);
      current = next;
    }
    return { cnameChain };
  })();
  const [v4, v6, cname] = await Promise.all([
    ask(host, 'A', () => resolver.resolve4(host, { ttl: true }), timeoutMs),
    ask(host, 'AAAA', () => resolver.resolve6(host, { ttl: true }), timeoutMs),
    chain,
  ]);
  const records = [
    ...('records' in v4 ? v4.records : []).map((a) => ({
      address: a.address,
      family: 4 as const,
      ttl: a.ttl,
    })),
    ...('records' in v6 ? v6.records : []).map((a) => ({
      address: a.address,
      family: 6 as const,
      ttl: a.ttl,
    })),
  ];
  const failed = [v4, v6].flatMap((a) => ('failed' in a ? [a.failed] : []));
  if (cname.failed !== undefined) failed.push(cname.failed);
  const addressError = 'error' in v4 ? v4.error : 'error' in v6 ? v6.error : undefined;
  return {
    cnameChain: cname.cnameChain,
    records,
    failed,
    ...(records.length === 0 && addressError !== undefined ? { addressError } : {}),
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
    const { cnameChain, records, failed, addressError } = await queryRecords(resolver, host, timeoutMs);
    if (addressError !== undefined) throw addressError;
    if (records.length === 0) {
      throw Object.assign(new Error(`no A or AAAA records for ${host}`), { code: 'ENOTFOUND' });
    }
    const addresses = records.map((r) => ({ ...r, scope: addressScope(r.address) }));
    return {
      host,
      resolver: name,
      cnameChain,
      addresses,
      ...(failed.length === 0 ? {} : { failedQueries: failed }),
    };
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
    const found = await queryRecords(resolver, host, timeoutMs);
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
      ...(dns === undefined || dns.failed.length === 0 ? {} : { failedQueries: dns.failed }),
      ...(isLocalhostName(host) ? {} : { dnsDetails: dns !== undefined }),
    };
  } catch (error) {
    throw dnsError(host, error, 'system');
  }
}
