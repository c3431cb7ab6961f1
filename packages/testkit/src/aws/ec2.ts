import { type LocalEndpoint, localAccountId, startHttpEndpoint } from './http-endpoint.ts';
import {
  ec2Dialect,
  type QueryOperation,
  type QueryParams,
  queryHandler,
  type XmlValue,
} from './query-protocol.ts';
import { ServiceFault } from './service-fault.ts';

/** VPC endpoint states as EC2 writes them on the wire (lower camel case). */
export type VpcEndpointState =
  | 'pendingAcceptance'
  | 'pending'
  | 'available'
  | 'deleting'
  | 'deleted'
  | 'rejected'
  | 'failed'
  | 'expired';

export interface VpcEndpointSeed {
  id: string;
  serviceName: string;
  /** @default 'available' */
  state?: VpcEndpointState;
  /** @default 'Interface' */
  type?: 'Interface' | 'Gateway' | 'GatewayLoadBalancer';
  /** @default 'vpc-0local' */
  vpcId?: string;
  /** @default true */
  privateDnsEnabled?: boolean;
  dnsEntries?: { dnsName: string; hostedZoneId?: string }[];
  networkInterfaceIds?: string[];
  securityGroups?: { groupId: string; groupName?: string }[];
  subnetIds?: string[];
  lastError?: { code: string; message: string };
  /** @default 'ipv4' ('dualstack' when its interfaces carry IPv6 addresses) */
  ipAddressType?: 'ipv4' | 'dualstack' | 'ipv6';
}

export interface EniSeed {
  id: string;
  privateIpAddress: string;
  /** Secondary addresses besides the primary one. */
  secondaryPrivateIpAddresses?: string[];
  /** IPv6 addresses (a dual-stack endpoint's interface has one from its subnet's IPv6 CIDR). */
  ipv6Addresses?: string[];
  subnetId?: string;
  /** @default 'us-east-1a' */
  availabilityZone?: string;
  vpcId?: string;
  securityGroups?: { groupId: string; groupName?: string }[];
  /** @default 'in-use' */
  status?: 'available' | 'in-use' | 'attaching' | 'detaching' | 'associated';
  /** @default 'vpc_endpoint' */
  interfaceType?: string;
  description?: string;
}

export interface IpPermissionSeed {
  /** 'tcp', 'udp', 'icmp' or '-1' (all). */
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs?: string[];
  ipv6Cidrs?: string[];
  /** Security groups allowed as sources. */
  groupIds?: string[];
}

export interface SgSeed {
  groupId: string;
  /** @default groupId */
  groupName?: string;
  vpcId?: string;
  description?: string;
  ingress?: IpPermissionSeed[];
  /** @default all traffic to 0.0.0.0/0 */
  egress?: IpPermissionSeed[];
}

export interface Ec2State {
  vpcEndpoints: VpcEndpointSeed[];
  networkInterfaces: EniSeed[];
  securityGroups: SgSeed[];
}

export interface LocalEc2 extends LocalEndpoint {
  /** The resources served; change them while running (e.g. move an endpoint to `available`). */
  readonly state: Ec2State;
}

const defaultVpc = 'vpc-0local';

/**
 * Answers one Describe action: ids select resources (unknown ids are an error as in EC2), then every
 * filter must match (values OR-ed within a filter, filters AND-ed).
 */
function describe<T>(
  items: T[],
  idOf: (item: T) => string,
  ids: string[],
  notFound: (id: string) => ServiceFault,
  filters: Record<string, (item: T) => (string | undefined)[]>,
  params: QueryParams,
): T[] {
  for (const id of ids) if (!items.some((item) => idOf(item) === id)) throw notFound(id);
  const requested = params.filters();
  for (const { name } of requested) {
    if (!Object.hasOwn(filters, name))
      throw new ServiceFault('InvalidParameterValue', `The filter '${name}' is invalid`);
  }
  return items.filter(
    (item) =>
      (ids.length === 0 || ids.includes(idOf(item))) &&
      requested.every(({ name, values }) =>
        (filters[name]?.(item) ?? []).some((v) => v !== undefined && values.includes(v)),
      ),
  );
}

const groupSet = (groups: { groupId: string; groupName?: string }[] = []): XmlValue =>
  groups.map((g) => ({ groupId: g.groupId, groupName: g.groupName ?? g.groupId }));

const permission = (p: IpPermissionSeed): XmlValue => ({
  ipProtocol: p.protocol,
  fromPort: p.fromPort,
  toPort: p.toPort,
  groups: (p.groupIds ?? []).map((groupId) => ({ userId: localAccountId, groupId })),
  ipRanges: (p.cidrs ?? []).map((cidrIp) => ({ cidrIp })),
  ipv6Ranges: (p.ipv6Cidrs ?? []).map((cidrIpv6) => ({ cidrIpv6 })),
  prefixListIds: [],
});

function ipAddressTypeOf(e: VpcEndpointSeed, state: Ec2State): string {
  if (e.ipAddressType !== undefined) return e.ipAddressType;
  const ids = e.networkInterfaceIds ?? [];
  const v6 = state.networkInterfaces.some((n) => ids.includes(n.id) && (n.ipv6Addresses ?? []).length > 0);
  return v6 ? 'dualstack' : 'ipv4';
}

function operations(state: Ec2State): Record<string, QueryOperation> {
  return {
    DescribeVpcEndpoints: (params) => ({
      vpcEndpointSet: describe(
        state.vpcEndpoints,
        (e) => e.id,
        params.list('VpcEndpointId'),
        (id) =>
          new ServiceFault('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`),
        {
          'vpc-endpoint-id': (e) => [e.id],
          'service-name': (e) => [e.serviceName],
          'vpc-id': (e) => [e.vpcId ?? defaultVpc],
          'vpc-endpoint-state': (e) => [e.state ?? 'available'],
          'vpc-endpoint-type': (e) => [e.type ?? 'Interface'],
        },
        params,
      ).map((e) => ({
        vpcEndpointId: e.id,
        vpcEndpointType: e.type ?? 'Interface',
        vpcId: e.vpcId ?? defaultVpc,
        serviceName: e.serviceName,
        state: e.state ?? 'available',
        routeTableIdSet: [],
        subnetIdSet: e.subnetIds ?? [],
        groupSet: groupSet(e.securityGroups),
        ipAddressType: ipAddressTypeOf(e, state),
        dnsOptions: { dnsRecordIpType: ipAddressTypeOf(e, state) },
        privateDnsEnabled: e.privateDnsEnabled ?? true,
        requesterManaged: false,
        networkInterfaceIdSet: e.networkInterfaceIds ?? [],
        dnsEntrySet: (e.dnsEntries ?? []).map((d) => ({
          dnsName: d.dnsName,
          hostedZoneId: d.hostedZoneId ?? 'Z7HUB22UULQXV',
        })),
        creationTimestamp: new Date(0),
        tagSet: [],
        ownerId: localAccountId,
        lastError: e.lastError,
      })),
    }),

    DescribeNetworkInterfaces: (params) => ({
      networkInterfaceSet: describe(
        state.networkInterfaces,
        (n) => n.id,
        params.list('NetworkInterfaceId'),
        (id) =>
          new ServiceFault(
            'InvalidNetworkInterfaceID.NotFound',
            `The networkInterface ID '${id}' does not exist`,
          ),
        {
          'network-interface-id': (n) => [n.id],
          'vpc-id': (n) => [n.vpcId ?? defaultVpc],
          'subnet-id': (n) => [n.subnetId],
          'availability-zone': (n) => [n.availabilityZone ?? 'us-east-1a'],
          'private-ip-address': (n) => [n.privateIpAddress, ...(n.secondaryPrivateIpAddresses ?? [])],
          'ipv6-addresses.ipv6-address': (n) => n.ipv6Addresses ?? [],
          'interface-type': (n) => [n.interfaceType ?? 'vpc_endpoint'],
          'group-id': (n) => (n.securityGroups ?? []).map((g) => g.groupId),
        },
        params,
      ).map((n) => ({
        networkInterfaceId: n.id,
        subnetId: n.subnetId,
        vpcId: n.vpcId ?? defaultVpc,
        availabilityZone: n.availabilityZone ?? 'us-east-1a',
        description: n.description ?? '',
        ownerId: localAccountId,
        requesterManaged: true,
        status: n.status ?? 'in-use',
        privateIpAddress: n.privateIpAddress,
        sourceDestCheck: true,
        interfaceType: n.interfaceType ?? 'vpc_endpoint',
        groupSet: groupSet(n.securityGroups),
        privateIpAddressesSet: [
          { privateIpAddress: n.privateIpAddress, primary: true },
          ...(n.secondaryPrivateIpAddresses ?? []).map((privateIpAddress) => ({
            privateIpAddress,
            primary: false,
          })),
        ],
        ipv6AddressesSet: (n.ipv6Addresses ?? []).map((ipv6Address) => ({ ipv6Address })),
        tagSet: [],
      })),
    }),

    DescribeSecurityGroups: (params) => {
      const names = params.list('GroupName');
      const byName = names.map((name) => {
        const group = state.securityGroups.find((g) => (g.groupName ?? g.groupId) === name);
        if (!group)
          throw new ServiceFault('InvalidGroup.NotFound', `The security group '${name}' does not exist`);
        return group.groupId;
      });
      return {
        securityGroupInfo: describe(
          state.securityGroups,
          (g) => g.groupId,
          [...params.list('GroupId'), ...byName],
          (id) => new ServiceFault('InvalidGroup.NotFound', `The security group '${id}' does not exist`),
          {
            'group-id': (g) => [g.groupId],
            'group-name': (g) => [g.groupName ?? g.groupId],
            'vpc-id': (g) => [g.vpcId ?? defaultVpc],
          },
          params,
        ).map((g) => ({
          ownerId: localAccountId,
          groupId: g.groupId,
          groupName: g.groupName ?? g.groupId,
          groupDescription: g.description ?? g.groupName ?? g.groupId,
          vpcId: g.vpcId ?? defaultVpc,
          ipPermissions: (g.ingress ?? []).map(permission),
          ipPermissionsEgress: (g.egress ?? [{ protocol: '-1', cidrs: ['0.0.0.0/0'] }]).map(permission),
          tagSet: [],
        })),
      };
    },
  };
}

/**
 * A local EC2 query API (Version 2016-11-15) serving DescribeVpcEndpoints, DescribeNetworkInterfaces
 * and DescribeSecurityGroups to the real `@aws-sdk/client-ec2`.
 */
export async function startEc2(
  opts: { vpcEndpoints?: VpcEndpointSeed[]; networkInterfaces?: EniSeed[]; securityGroups?: SgSeed[] } = {},
): Promise<LocalEc2> {
  const state: Ec2State = {
    vpcEndpoints: [...(opts.vpcEndpoints ?? [])],
    networkInterfaces: [...(opts.networkInterfaces ?? [])],
    securityGroups: [...(opts.securityGroups ?? [])],
  };
  const endpoint = await startHttpEndpoint(
    queryHandler(ec2Dialect('http://ec2.amazonaws.com/doc/2016-11-15/'), operations(state)),
  );
  return { ...endpoint, state };
}
