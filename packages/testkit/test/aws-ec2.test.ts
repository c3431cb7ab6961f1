import {
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { type LocalEc2, localAwsCredentials, startEc2 } from '@mtls-link/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rejection } from './aws-fixtures.ts';

let ec2: LocalEc2;
let client: EC2Client;

beforeAll(async () => {
  ec2 = await startEc2({
    vpcEndpoints: [
      {
        id: 'vpce-0aaa',
        serviceName: 'com.amazonaws.us-east-1.execute-api',
        state: 'available',
        vpcId: 'vpc-1',
        dnsEntries: [
          { dnsName: 'vpce-0aaa-xyz.execute-api.us-east-1.vpce.amazonaws.com', hostedZoneId: 'Z1' },
        ],
        networkInterfaceIds: ['eni-a', 'eni-b'],
        securityGroups: [{ groupId: 'sg-443', groupName: 'api-clients' }],
        subnetIds: ['subnet-a', 'subnet-b'],
      },
      {
        id: 'vpce-0bbb',
        serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-123',
        state: 'pendingAcceptance',
        privateDnsEnabled: false,
        lastError: { code: 'Client::Pending', message: 'waiting for the provider to accept' },
      },
    ],
    networkInterfaces: [
      { id: 'eni-a', privateIpAddress: '10.0.1.10', subnetId: 'subnet-a', availabilityZone: 'us-east-1a' },
      {
        id: 'eni-b',
        privateIpAddress: '10.0.2.10',
        secondaryPrivateIpAddresses: ['10.0.2.11'],
        subnetId: 'subnet-b',
        availabilityZone: 'us-east-1b',
        securityGroups: [{ groupId: 'sg-443' }],
      },
    ],
    securityGroups: [
      {
        groupId: 'sg-443',
        groupName: 'api-clients',
        ingress: [
          { protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['10.0.0.0/16'], ipv6Cidrs: ['fd00::/8'] },
          { protocol: 'tcp', fromPort: 443, toPort: 443, groupIds: ['sg-app'] },
        ],
      },
      {
        groupId: 'sg-closed',
        ingress: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['10.0.0.0/8'] }],
      },
    ],
  });
  client = new EC2Client({
    endpoint: ec2.endpoint,
    region: 'us-east-1',
    credentials: localAwsCredentials,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await ec2.close();
});

describe('DescribeVpcEndpoints', () => {
  test('returns the endpoint fields as the SDK parses them from the wire', async () => {
    const out = await client.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0aaa'] }));
    expect(out.VpcEndpoints).toHaveLength(1);
    const [endpoint] = out.VpcEndpoints ?? [];
    expect(endpoint).toMatchObject({
      VpcEndpointId: 'vpce-0aaa',
      VpcEndpointType: 'Interface',
      VpcId: 'vpc-1',
      ServiceName: 'com.amazonaws.us-east-1.execute-api',
      State: 'available',
      PrivateDnsEnabled: true,
      DnsEntries: [{ DnsName: 'vpce-0aaa-xyz.execute-api.us-east-1.vpce.amazonaws.com', HostedZoneId: 'Z1' }],
      NetworkInterfaceIds: ['eni-a', 'eni-b'],
      Groups: [{ GroupId: 'sg-443', GroupName: 'api-clients' }],
      SubnetIds: ['subnet-a', 'subnet-b'],
    });
    expect(endpoint?.LastError).toBeUndefined();
  });

  test('keeps the lower-camel state and reports LastError', async () => {
    const out = await client.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0bbb'] }));
    expect(out.VpcEndpoints?.[0]).toMatchObject({
      State: 'pendingAcceptance',
      PrivateDnsEnabled: false,
      LastError: { Code: 'Client::Pending', Message: 'waiting for the provider to accept' },
    });
  });

  test('filters by state and service name, AND across filters', async () => {
    const available = await client.send(
      new DescribeVpcEndpointsCommand({
        Filters: [{ Name: 'vpc-endpoint-state', Values: ['available', 'failed'] }],
      }),
    );
    expect(available.VpcEndpoints?.map((e) => e.VpcEndpointId)).toEqual(['vpce-0aaa']);
    const none = await client.send(
      new DescribeVpcEndpointsCommand({
        Filters: [
          { Name: 'vpc-endpoint-state', Values: ['available'] },
          { Name: 'service-name', Values: ['com.amazonaws.vpce.us-east-1.vpce-svc-123'] },
        ],
      }),
    );
    expect(none.VpcEndpoints).toEqual([]);
    const all = await client.send(new DescribeVpcEndpointsCommand({}));
    expect(all.VpcEndpoints).toHaveLength(2);
  });

  test('state can change while running', async () => {
    const target = ec2.state.vpcEndpoints.find((e) => e.id === 'vpce-0bbb')!;
    target.state = 'available';
    try {
      const out = await client.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0bbb'] }));
      expect(out.VpcEndpoints?.[0]?.State).toBe('available');
    } finally {
      target.state = 'pendingAcceptance';
    }
  });

  test('an unknown id is InvalidVpcEndpointId.NotFound (EC2 error XML, HTTP 400)', async () => {
    const error = await rejection(
      client.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-missing'] })),
    );
    expect(error.name).toBe('InvalidVpcEndpointId.NotFound');
    expect(error.message).toBe("The Vpc Endpoint Id 'vpce-missing' does not exist");
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect((error as { $metadata?: { requestId?: string } }).$metadata?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('an unknown filter name is InvalidParameterValue', async () => {
    const error = await rejection(
      client.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })),
    );
    expect(error.name).toBe('InvalidParameterValue');
  });
});

describe('DescribeNetworkInterfaces', () => {
  test('returns addresses, zone and subnet per interface', async () => {
    const out = await client.send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-a', 'eni-b'] }),
    );
    expect(
      out.NetworkInterfaces?.map((n) => [
        n.NetworkInterfaceId,
        n.PrivateIpAddress,
        n.AvailabilityZone,
        n.SubnetId,
      ]),
    ).toEqual([
      ['eni-a', '10.0.1.10', 'us-east-1a', 'subnet-a'],
      ['eni-b', '10.0.2.10', 'us-east-1b', 'subnet-b'],
    ]);
    expect(out.NetworkInterfaces?.[1]?.PrivateIpAddresses).toEqual([
      { PrivateIpAddress: '10.0.2.10', Primary: true },
      { PrivateIpAddress: '10.0.2.11', Primary: false },
    ]);
    expect(out.NetworkInterfaces?.[1]?.Groups).toEqual([{ GroupId: 'sg-443', GroupName: 'sg-443' }]);
    expect(out.NetworkInterfaces?.[0]?.InterfaceType).toBe('vpc_endpoint');
  });

  test('filters by address; an unknown id is InvalidNetworkInterfaceID.NotFound', async () => {
    const out = await client.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: 'private-ip-address', Values: ['10.0.2.11'] }],
      }),
    );
    expect(out.NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual(['eni-b']);
    const error = await rejection(
      client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-zzz'] })),
    );
    expect(error.name).toBe('InvalidNetworkInterfaceID.NotFound');
  });
});

describe('DescribeSecurityGroups', () => {
  test('returns ingress rules with CIDR, IPv6 and group sources', async () => {
    const out = await client.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-443'] }));
    const [group] = out.SecurityGroups ?? [];
    expect(group?.GroupName).toBe('api-clients');
    expect(group?.IpPermissions).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        IpRanges: [{ CidrIp: '10.0.0.0/16' }],
        Ipv6Ranges: [{ CidrIpv6: 'fd00::/8' }],
        UserIdGroupPairs: [],
        PrefixListIds: [],
      },
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        IpRanges: [],
        Ipv6Ranges: [],
        UserIdGroupPairs: [{ GroupId: 'sg-app', UserId: '123456789012' }],
        PrefixListIds: [],
      },
    ]);
    expect(group?.IpPermissionsEgress?.[0]).toMatchObject({
      IpProtocol: '-1',
      IpRanges: [{ CidrIp: '0.0.0.0/0' }],
    });
  });

  test('selects by name; an unknown group is InvalidGroup.NotFound', async () => {
    const out = await client.send(new DescribeSecurityGroupsCommand({ GroupNames: ['sg-closed'] }));
    expect(out.SecurityGroups?.map((g) => g.GroupId)).toEqual(['sg-closed']);
    const error = await rejection(client.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-nope'] })));
    expect(error.name).toBe('InvalidGroup.NotFound');
    expect(error.message).toContain('sg-nope');
  });
});
