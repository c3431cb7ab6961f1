import { classifyFailure } from '@mtls-link/sdk/diagnostics';
import type { DialTarget, ProbeContext } from '../context.ts';
import { ProbeError } from '../errors.ts';
import { formatHostPort } from '../net/address.ts';
import { resolveHost } from '../net/resolve.ts';
import { tcpConnect } from '../net/tcp-connect.ts';
import type { CheckId } from '../result.ts';
import { type Check, fail, pass } from './check.ts';

async function dialTargetsOf(context: ProbeContext): Promise<readonly DialTarget[]> {
  if (context.connectTo !== undefined) {
    const { address, port } = context.connectTo;
    const resolution = await resolveHost(address, { timeoutMs: context.timeoutMs });
    return resolution.addresses.map((a) => ({ address: a.address, port }));
  }
  const addresses = context.resolution?.addresses ?? [];
  if (addresses.length === 0)
    throw new ProbeError('DNS_NXDOMAIN', `no address to dial for ${context.target.host}`);
  return addresses.map((a) => ({ address: a.address, port: context.target.port }));
}

export const tcpCheck: Check = {
  id: 'tcp.connect',
  // With --connect-to the dial address does not come from DNS, so a DNS finding does not stop it.
  needs: (context): CheckId[] => (context.connectTo === undefined ? ['dns.resolve'] : []),
  async run(context) {
    const targets = await dialTargetsOf(context);
    context.dialTargets = targets;
    const results = await Promise.all(targets.map((t) => tcpConnect(t.address, t.port, context.timeoutMs)));
    const perAddress = results.map((r) => ({
      address: r.address,
      port: r.port,
      connectMs: r.connectMs,
      ok: r.errno === undefined,
      ...(r.errno === undefined ? {} : { error: r.errno }),
    }));
    const details = { connectTo: context.connectTo ?? null, addresses: perAddress };
    const failed = results.find((r) => r.errno !== undefined);
    if (failed) {
      const classified = classifyFailure(
        failed.errno === 'ETIMEDOUT'
          ? { code: 'UND_ERR_CONNECT_TIMEOUT' }
          : { code: failed.errno, message: failed.message },
        {
          host: failed.address,
          port: failed.port,
          tcpConnected: false,
          timeouts: { connect: context.timeoutMs },
        },
      );
      const code = classified.code === 'TCP_REFUSED' ? 'TCP_REFUSED' : 'TCP_TIMEOUT';
      const bad = results.filter((r) => r.errno !== undefined);
      return fail(
        code,
        `${bad.length} of ${results.length} ${results.length === 1 ? 'address' : 'addresses'} failed: ${bad
          .map(
            (r) => `${formatHostPort(r.address, r.port)} ${r.errno === 'ECONNREFUSED' ? 'refused' : r.errno}`,
          )
          .join(', ')}`,
        details,
      );
    }
    return pass(
      `${results.map((r) => `${formatHostPort(r.address, r.port)} ${r.connectMs} ms`).join(', ')}`,
      details,
    );
  },
};
