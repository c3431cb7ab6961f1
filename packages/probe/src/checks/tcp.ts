import { classifyFailure } from '@mtls-link/sdk/diagnostics';
import { isProbeCode, type ProbeCode } from '../codes.ts';
import type { DialTarget, ProbeContext } from '../context.ts';
import { ProbeError } from '../errors.ts';
import { formatHostPort } from '../net/address.ts';
import { resolveHost } from '../net/resolve.ts';
import { type TcpConnectResult, tcpConnect } from '../net/tcp-connect.ts';
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

/** The SDK's name for a failed connect (refused, timed out, no route), so both say the same. */
function codeOf(result: TcpConnectResult, timeoutMs: number): ProbeCode {
  const classified = classifyFailure(
    result.errno === 'ETIMEDOUT'
      ? { code: 'UND_ERR_CONNECT_TIMEOUT' }
      : { code: result.errno, message: result.message },
    { host: result.address, port: result.port, tcpConnected: false, timeouts: { connect: timeoutMs } },
  );
  return isProbeCode(classified.code) && classified.code.startsWith('TCP_') ? classified.code : 'TCP_TIMEOUT';
}

const describeFailure = (r: TcpConnectResult) =>
  r.errno === 'ECONNREFUSED' ? 'refused' : r.errno === 'ETIMEDOUT' ? 'no answer' : (r.errno ?? 'failed');

export const tcpCheck: Check = {
  id: 'tcp.connect',
  // With --connect-to the dial address does not come from DNS, so a DNS finding does not stop it.
  needs: (context): CheckId[] => (context.connectTo === undefined ? ['dns.resolve'] : []),
  async run(context) {
    const targets = await dialTargetsOf(context);
    const results = await Promise.all(targets.map((t) => tcpConnect(t.address, t.port, context.timeoutMs)));
    const perAddress = results.map((r) => ({
      address: r.address,
      port: r.port,
      connectMs: r.connectMs,
      ok: r.errno === undefined,
      ...(r.errno === undefined ? {} : { error: r.errno, code: codeOf(r, context.timeoutMs) }),
    }));
    const reached = results.filter((r) => r.errno === undefined);
    const bad = results.filter((r) => r.errno !== undefined);
    // Each address is one AZ's interface: the later checks go on through those that answered.
    context.dialTargets = reached.map((r) => ({ address: r.address, port: r.port }));
    const details = { connectTo: context.connectTo ?? null, addresses: perAddress };
    const first = bad[0];
    if (first === undefined) {
      return pass(
        `${results.map((r) => `${formatHostPort(r.address, r.port)} ${r.connectMs} ms`).join(', ')}`,
        details,
      );
    }
    const code = codeOf(first, context.timeoutMs);
    const failedList = bad.map((r) => `${formatHostPort(r.address, r.port)} ${describeFailure(r)}`);
    const summary = `${bad.length} of ${results.length} ${results.length === 1 ? 'address' : 'addresses'} failed: ${failedList.join(', ')}`;
    if (reached.length === 0) return fail(code, summary, details);
    return {
      ...fail(
        code,
        `${summary}; the later checks run on the ${reached.length === 1 ? 'address' : `${reached.length} addresses`} that answered`,
        details,
      ),
      excludedTargets: bad.map((r) => ({
        address: r.address,
        port: r.port,
        check: 'tcp.connect' as const,
        code: codeOf(r, context.timeoutMs),
        ...(r.errno === undefined ? {} : { error: r.errno }),
      })),
    };
  },
};
