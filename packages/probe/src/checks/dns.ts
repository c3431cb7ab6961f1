import { isProbeError } from '../errors.ts';
import { resolveHost } from '../net/resolve.ts';
import { type Check, fail, pass } from './check.ts';

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
      const details = {
        resolver: resolution.resolver,
        cnameChain: resolution.cnameChain,
        addresses: resolution.addresses,
        // Without an answer from the system's DNS servers, an empty chain means "not reported",
        // not "no CNAME": say so.
        ...(resolution.resolver === 'system' && resolution.dnsDetails === false
          ? {
              note: "the system's DNS servers did not answer the CNAME/TTL queries (a name from /etc/hosts?): use --resolver to see them",
            }
          : {}),
      };
      const list = resolution.addresses.map((a) => a.address).join(', ');
      const publicOnes = resolution.addresses.filter((a) => a.scope === 'public');
      if (publicOnes.length > 0 && !context.allowPublic) {
        return fail(
          'DNS_PUBLIC_ADDRESS',
          `${context.target.host} resolves to public ${publicOnes.length === 1 ? 'address' : 'addresses'} ${publicOnes.map((a) => a.address).join(', ')}`,
          details,
        );
      }
      return pass(`${context.target.host} → ${list}`, details);
    } catch (error) {
      if (isProbeError(error)) return fail(error.code, error.message, { ...error.details });
      throw error;
    }
  },
};
