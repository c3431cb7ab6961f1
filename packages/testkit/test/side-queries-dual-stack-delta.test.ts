import { Resolver } from 'node:dns/promises';
import {
  DescribeNetworkInterfacesCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  createRootCa,
  type LocalDnsServer,
  localAwsCredentials,
  startDnsServer,
  startEc2,
} from '@mtls-link/testkit';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// The testkit pieces the probe's per-address, DNS, dual-stack and CRL tests stand on: a resolver
// that answers A but refuses or drops the side queries, dual-stack endpoint interfaces, delta CRLs.

let dns: LocalDnsServer;
const resolverFor = (server: LocalDnsServer, timeout = 5_000) => {
  const resolver = new Resolver({ timeout, tries: 1 });
  resolver.setServers([server.address]);
  return resolver;
};
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'answered',
    (error: NodeJS.ErrnoException) => error.code,
  );

beforeAll(async () => {
  dns = await startDnsServer({
    records: { 'api.example.com': [{ type: 'A', data: '10.0.1.10' }] },
    refused: ['elsewhere.example.com'],
    byType: { CNAME: 'refused', AAAA: 'servfail', TXT: 'silent' },
  });
});

afterAll(async () => {
  await dns.close();
});

describe('DNS server: per-type and per-name refusals', () => {
  test('A is answered while CNAME is refused, AAAA SERVFAILs and TXT is dropped', async () => {
    const resolver = resolverFor(dns);
    expect(await resolver.resolve4('api.example.com')).toEqual(['10.0.1.10']);
    expect(await codeOf(resolver.resolveCname('api.example.com'))).toBe('EREFUSED');
    expect(await codeOf(resolver.resolve6('api.example.com'))).toBe('ESERVFAIL');
    expect(await codeOf(resolverFor(dns, 300).resolveTxt('api.example.com'))).toBe('ETIMEOUT');
    expect(dns.queryLog.map((q) => q.type)).toEqual(expect.arrayContaining(['A', 'CNAME', 'AAAA', 'TXT']));
  });

  test('a name listed in refused is answered REFUSED whatever the type', async () => {
    expect(await codeOf(resolverFor(dns).resolve4('elsewhere.example.com'))).toBe('EREFUSED');
  });
});

describe('EC2: dual-stack endpoint interfaces', () => {
  test('an ENI with IPv6 addresses returns them, and makes its endpoint dualstack', async () => {
    const ec2 = await startEc2({
      vpcEndpoints: [
        { id: 'vpce-0dual', serviceName: 'svc', networkInterfaceIds: ['eni-a'] },
        { id: 'vpce-0v4', serviceName: 'svc', networkInterfaceIds: ['eni-b'] },
      ],
      networkInterfaces: [
        { id: 'eni-a', privateIpAddress: '10.0.1.10', ipv6Addresses: ['2600:1f18:1::10'] },
        { id: 'eni-b', privateIpAddress: '10.0.2.10' },
      ],
    });
    const client = new EC2Client({
      endpoint: ec2.endpoint,
      region: 'us-east-1',
      credentials: localAwsCredentials,
      maxAttempts: 1,
    });
    try {
      const enis = await client.send(
        new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-a', 'eni-b'] }),
      );
      expect(enis.NetworkInterfaces?.map((n) => n.Ipv6Addresses)).toEqual([
        [{ Ipv6Address: '2600:1f18:1::10' }],
        [],
      ]);
      const filtered = await client.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [{ Name: 'ipv6-addresses.ipv6-address', Values: ['2600:1f18:1::10'] }],
        }),
      );
      expect(filtered.NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual(['eni-a']);
      const endpoints = await client.send(new DescribeVpcEndpointsCommand({}));
      expect(endpoints.VpcEndpoints?.map((e) => [e.VpcEndpointId, e.IpAddressType])).toEqual([
        ['vpce-0dual', 'dualstack'],
        ['vpce-0v4', 'ipv4'],
      ]);
    } finally {
      client.destroy();
      await ec2.close();
    }
  });
});

describe('PKI: delta CRLs', () => {
  test('deltaOf and removed make a delta CRL with a critical deltaCRLIndicator and removeFromCRL entries', async () => {
    const ca = await createRootCa({ commonName: 'delta test CA' });
    const [gone, back] = await Promise.all([ca.issueClient(), ca.issueClient()]);
    const crl = new x509.X509Crl(
      await ca.crl({ revoked: [gone], removed: [back], crlNumber: 7, deltaOf: 6 }),
    );
    expect(await crl.verify({ publicKey: ca.cert.publicKey })).toBe(true);
    const delta = crl.extensions.find((e) => e.type === '2.5.29.27');
    expect(delta?.critical).toBe(true);
    expect(Buffer.from(delta?.value ?? new ArrayBuffer(0)).toString('hex')).toBe('020106');
    expect(
      Buffer.from(crl.extensions.find((e) => e.type === '2.5.29.20')?.value ?? new ArrayBuffer(0)).toString(
        'hex',
      ),
    ).toBe('020107');
    expect(crl.entries.map((e) => [e.serialNumber.toUpperCase(), e.reason])).toEqual([
      [gone.serialHex.toUpperCase(), x509.X509CrlReason.keyCompromise],
      [back.serialHex.toUpperCase(), x509.X509CrlReason.removeFromCRL],
    ]);
  });
});
