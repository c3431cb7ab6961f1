import type { ProbeContext } from '../context.ts';
import { isProbeError } from '../errors.ts';
import { canonicalAddress, formatHostPort } from '../net/address.ts';
import { type FailedQuery, type ResolvedAddress, resolveHost } from '../net/resolve.ts';
import { type Check, fail, pass, warn } from './check.ts';
import { describeEndpoint, eniAddressesOf } from './vpce.ts';

/**
 * The endpoint's interface addresses when --vpc-endpoint-id is given, else undefined. A lookup that
 * fails is vpce.state's finding; here it only means nothing is known.
 */
async function endpointAddresses(context: ProbeContext): Promise<Map<string, string> | undefined> {
  if (context.vpcEndpoint === undefined) return undefined;
  try {
    const { enis } = await describeEndpoint(context);
    return new Map(eniAddressesOf(enis).map((a) => [a.address, a.eni ?? 'an interface of the endpoint']));
  } catch {
    return undefined;
  }
}

const describeQuery = (q: FailedQuery) =>
  `${q.type} ${q.name} ${q.errno === 'EREFUSED' ? 'refused' : q.errno === 'ESERVFAIL' ? 'SERVFAIL' : q.errno === 'ETIMEOUT' ? 'unanswered' : q.errno}`;

export const dnsCheck: Check = {
  id: 'dns.resolve',
  needs: () => [],
  async run(context) {
    const started = performance.now();
    try {
      const resolution = await resolveHost(context.target.host, {
        ...(context.resolver === undefined ? {} : { resolver: context.resolver }),
        timeoutMs: context.timeoutMs,
      });
      context.dnsMs = Math.round((performance.now() - started) * 10) / 10;
      context.resolution = resolution;
      const failedQueries = resolution.failedQueries ?? [];
      // Public by its range, but an address of the endpoint's own interfaces (a dual-stack
      // endpoint's VPC IPv6 addresses are global unicast): private where it matters.
      const hasPublic = resolution.addresses.some((a) => a.scope === 'public');
      const ofEndpoint = hasPublic ? await endpointAddresses(context) : undefined;
      const addresses: ResolvedAddress[] = resolution.addresses.map((a) => {
        const eni = ofEndpoint?.get(canonicalAddress(a.address));
        if (eni === undefined) return a;
        return { ...a, scope: a.scope === 'public' ? 'private' : a.scope, endpointInterface: eni };
      });
      const details = {
        resolver: resolution.resolver,
        cnameChain: resolution.cnameChain,
        addresses,
        ...(failedQueries.length === 0 ? {} : { failedQueries }),
        // Without an answer from the system's DNS servers, an empty chain means "not reported",
        // not "no CNAME": say so.
        ...(resolution.resolver === 'system' && resolution.dnsDetails === false
          ? {
              note: "the system's DNS servers did not answer the CNAME/TTL queries (a name from /etc/hosts?): use --resolver to see them",
            }
          : failedQueries.some((q) => q.type === 'CNAME')
            ? { note: 'the CNAME query got no answer: the chain shown may be incomplete' }
            : {}),
      };
      const list = addresses.map((a) => a.address).join(', ');
      const publicOnes = addresses.filter((a) => a.scope === 'public');
      if (publicOnes.length > 0 && !context.allowPublic) {
        return fail(
          'DNS_PUBLIC_ADDRESS',
          `${context.target.host} resolves to public ${publicOnes.length === 1 ? 'address' : 'addresses'} ${publicOnes.map((a) => a.address).join(', ')}`,
          details,
        );
      }
      const side =
        failedQueries.length === 0
          ? ''
          : ` (side ${failedQueries.length === 1 ? 'query' : 'queries'} ${failedQueries.map(describeQuery).join(', ')})`;
      return pass(`${context.target.host} → ${list}${side}`, details);
    } catch (error) {
      if (!isProbeError(error)) throw error;
      const connectTo = context.connectTo;
      // With --connect-to (a canary dialling its AZ's zonal endpoint name, say) nothing dials the
      // URL's host: its resolution is worth knowing, not a broken hop.
      if (connectTo !== undefined) {
        return warn(
          error.code,
          `${error.message}; not needed for this run: --connect-to dials ${formatHostPort(connectTo.address, connectTo.port)} (SNI and Host stay ${context.target.host})`,
          { ...error.details, connectTo },
        );
      }
      return fail(error.code, error.message, { ...error.details });
    }
  },
};
