import { BlockList, isIP } from 'node:net';
import type {
  EC2Client,
  IpPermission,
  NetworkInterface,
  SecurityGroup,
  VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { awsRequestHandler } from '../aws-request-handler.ts';
import type { ProbeContext } from '../context.ts';
import { ProbeError } from '../errors.ts';
import { canonicalAddress } from '../net/address.ts';
import { localAddressFor } from '../net/local-address.ts';
import { type Check, fail, pass } from './check.ts';

const localCredentialsNote = 'credentials come from the default AWS provider chain';

// The EC2 client is large: load it only when --vpc-endpoint-id asks for it, to keep start-up fast.
async function ec2Client(context: ProbeContext) {
  const ec2 = await import('../aws/ec2.ts');
  const v = context.vpcEndpoint;
  const client: EC2Client = new ec2.EC2Client({
    region: v?.region ?? 'us-east-1',
    ...(v?.endpoint === undefined ? {} : { endpoint: v.endpoint }),
    maxAttempts: 2,
    ...awsRequestHandler(),
  });
  return { client, ec2 };
}

/** A rule admits TCP 443 when its protocol is tcp or all, and its port range covers 443. */
function admits443(rule: IpPermission): boolean {
  const protocol = rule.IpProtocol ?? '';
  if (protocol === '-1' || protocol === 'all') return true;
  if (protocol !== 'tcp' && protocol !== '6') return false;
  const from = rule.FromPort ?? 0;
  const to = rule.ToPort ?? 65535;
  return from <= 443 && 443 <= to;
}

/** Whether a rule admits `source`: a CIDR containing it, or a security-group / prefix-list source (membership not visible from here). */
function admitsSource(rule: IpPermission, source: string | undefined): boolean {
  if ((rule.UserIdGroupPairs ?? []).length > 0 || (rule.PrefixListIds ?? []).length > 0) return true;
  if (source === undefined) return true;
  const family = isIP(source) === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  for (const range of rule.IpRanges ?? []) addCidr(list, range.CidrIp, 'ipv4');
  for (const range of rule.Ipv6Ranges ?? []) addCidr(list, range.CidrIpv6, 'ipv6');
  return list.check(source, family);
}

function addCidr(list: BlockList, cidr: string | undefined, family: 'ipv4' | 'ipv6'): void {
  const [network, bits] = (cidr ?? '').split('/');
  if (network && bits !== undefined && isIP(network) !== 0) list.addSubnet(network, Number(bits), family);
}

function sourcesOf(rule: IpPermission): string[] {
  return [
    ...(rule.IpRanges ?? []).map((r) => r.CidrIp ?? ''),
    ...(rule.Ipv6Ranges ?? []).map((r) => r.CidrIpv6 ?? ''),
    ...(rule.UserIdGroupPairs ?? []).map((g) => g.GroupId ?? ''),
    ...(rule.PrefixListIds ?? []).map((p) => p.PrefixListId ?? ''),
  ].filter((s) => s !== '');
}

/** What EC2 says about the endpoint: the endpoint, its interfaces and its security groups. */
interface EndpointFacts {
  readonly vpce: VpcEndpoint | undefined;
  readonly enis: readonly NetworkInterface[];
  readonly groups: readonly SecurityGroup[];
  readonly groupIds: readonly string[];
}

/** An address of one of the endpoint's interfaces (IPv4, or IPv6 on a dual-stack endpoint). */
export interface EniAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly zone: string | null;
  readonly eni: string | undefined;
}

export function eniAddressesOf(enis: readonly NetworkInterface[]): EniAddress[] {
  return enis.flatMap((eni) => {
    const at = { zone: eni.AvailabilityZone ?? null, eni: eni.NetworkInterfaceId };
    return [
      ...(eni.PrivateIpAddresses ?? []).map((a) => ({
        address: a.PrivateIpAddress ?? '',
        family: 4 as const,
      })),
      ...(eni.Ipv6Addresses ?? []).map((a) => ({ address: a.Ipv6Address ?? '', family: 6 as const })),
    ]
      .filter((a) => isIP(a.address) !== 0)
      .map((a) => ({ ...a, address: canonicalAddress(a.address), ...at }));
  });
}

const lookups = new WeakMap<ProbeContext, Promise<EndpointFacts>>();

/**
 * The endpoint as EC2 describes it, asked once per run: dns.resolve consults the interface
 * addresses (an address of the endpoint is private whatever its range), vpce.state judges them.
 */
export function describeEndpoint(context: ProbeContext): Promise<EndpointFacts> {
  const cached = lookups.get(context);
  if (cached !== undefined) return cached;
  const pending = lookUp(context);
  lookups.set(context, pending);
  return pending;
}

async function lookUp(context: ProbeContext): Promise<EndpointFacts> {
  const id = context.vpcEndpoint?.id ?? '';
  const { client, ec2 } = await ec2Client(context);
  try {
    // Every EC2 call has the step deadline: without an EC2 interface endpoint or a NAT, a call
    // from a private subnet would otherwise wait on TCP for minutes. A failure names the call.
    const lookup = <T>(api: string, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> =>
      run(AbortSignal.timeout(context.timeoutMs)).catch((error: Error) => {
        const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
        // A service error carries the HTTP status of EC2's answer; without one, EC2 was not reached.
        const answered = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        throw new ProbeError(
          'VPCE_LOOKUP_FAILED',
          `${api} for ${id} failed: ${timedOut ? `no answer within ${context.timeoutMs} ms` : `${error.name}: ${error.message}`}`,
          {
            cause: error,
            hint:
              timedOut || answered === undefined
                ? 'the EC2 API could not be reached: this host needs an EC2 interface endpoint or a NAT route (or --ec2-endpoint)'
                : `${api} failed: check the ec2:${api} permission, the region, and that what ${id} lists still exists`,
            details: { vpcEndpointId: id, api, timedOut, note: localCredentialsNote },
          },
        );
      });
    const described = await lookup('DescribeVpcEndpoints', (abortSignal) =>
      client.send(new ec2.DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }), { abortSignal }),
    );
    const vpce = described.VpcEndpoints?.[0];
    if (vpce === undefined) return { vpce, enis: [], groups: [], groupIds: [] };
    const eniIds = vpce.NetworkInterfaceIds ?? [];
    const groupIds = (vpce.Groups ?? []).map((g) => g.GroupId ?? '').filter((g) => g !== '');
    const [enis, groups] = await Promise.all([
      eniIds.length === 0
        ? Promise.resolve([])
        : lookup('DescribeNetworkInterfaces', (abortSignal) =>
            client
              .send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: eniIds }), {
                abortSignal,
              })
              .then((r) => r.NetworkInterfaces ?? []),
          ),
      groupIds.length === 0
        ? Promise.resolve([])
        : lookup('DescribeSecurityGroups', (abortSignal) =>
            client
              .send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: groupIds }), { abortSignal })
              .then((r) => r.SecurityGroups ?? []),
          ),
    ]);
    return { vpce, enis, groups, groupIds };
  } finally {
    client.destroy();
  }
}

export const vpceCheck: Check = {
  id: 'vpce.state',
  needs: () => ['dns.resolve'],
  notApplicable: (context) => (context.vpcEndpoint === undefined ? 'no --vpc-endpoint-id given' : undefined),
  async run(context) {
    const id = context.vpcEndpoint?.id ?? '';
    const { vpce, enis, groups, groupIds } = await describeEndpoint(context);
    if (vpce === undefined) {
      return fail('VPCE_LOOKUP_FAILED', `no VPC endpoint ${id} in ${context.vpcEndpoint?.region}`, {
        vpcEndpointId: id,
      });
    }
    const state = String(vpce.State ?? 'unknown');
    const eniAddresses = eniAddressesOf(enis);
    const dnsAddresses = (context.resolution?.addresses ?? []).map((a) => canonicalAddress(a.address));
    const eniSet = new Set(eniAddresses.map((a) => a.address));
    const source = dnsAddresses[0] === undefined ? undefined : await localAddressFor(dnsAddresses[0]);
    const rules443 = groups.flatMap((g) =>
      (g.IpPermissions ?? []).filter(admits443).map((r) => ({
        groupId: g.GroupId,
        sources: sourcesOf(r),
        admitsThisHost: admitsSource(r, source),
      })),
    );
    const details = {
      vpcEndpointId: id,
      state,
      serviceName: vpce.ServiceName ?? null,
      privateDnsEnabled: vpce.PrivateDnsEnabled ?? null,
      ...(vpce.IpAddressType === undefined ? {} : { ipAddressType: vpce.IpAddressType }),
      dnsEntries: (vpce.DnsEntries ?? []).map((d) => d.DnsName),
      ...(vpce.LastError?.Code === undefined
        ? {}
        : { lastError: `${vpce.LastError.Code}: ${vpce.LastError.Message ?? ''}` }),
      eniAddresses,
      dnsAddresses,
      securityGroups: groupIds,
      thisHost: source ?? null,
      rulesAdmitting443: rules443,
    };
    // EC2 writes states in lower camel case, the SDK's enums capitalise some: compare case-insensitively.
    if (state.toLowerCase() !== 'available') {
      return fail('VPCE_NOT_AVAILABLE', `VPC endpoint ${id} is ${state}, not available`, details);
    }
    // A and AAAA answers alike: a dual-stack endpoint's interfaces carry both.
    const strangers = dnsAddresses.filter((a) => !eniSet.has(a));
    if (strangers.length > 0 || dnsAddresses.length === 0) {
      return fail(
        'VPCE_DNS_MISMATCH',
        `DNS answered ${strangers.join(', ') || 'nothing'}, which ${strangers.length === 1 ? 'is not an address' : 'are not addresses'} of ${id}'s interfaces (${[...eniSet].join(', ') || 'none'})`,
        details,
      );
    }
    if (!rules443.some((r) => r.admitsThisHost)) {
      const from = source === undefined ? '' : ` from ${source}`;
      return fail(
        'VPCE_SG_BLOCKS_443',
        `no inbound rule of ${groupIds.join(', ') || 'the endpoint (no security groups)'} admits TCP 443${from}${rules443.length > 0 ? ` (443 is open to ${[...new Set(rules443.flatMap((r) => r.sources))].join(', ')} only)` : ''}`,
        details,
      );
    }
    const v6 = eniAddresses.filter((a) => a.family === 6).length;
    return pass(
      `${id} available, ${eniAddresses.length} interface ${eniAddresses.length === 1 ? 'address' : 'addresses'}${v6 === 0 ? '' : ` (${v6} IPv6)`} match DNS, TCP 443 admitted from ${[...new Set(rules443.filter((r) => r.admitsThisHost).flatMap((r) => r.sources))].join(', ')}`,
      details,
    );
  },
};
