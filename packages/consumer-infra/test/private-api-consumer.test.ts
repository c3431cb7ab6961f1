import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { describe, expect, test } from 'vitest';
import {
  ENDPOINT_SERVICE_NAME_PLACEHOLDER,
  isConsumerInfraError,
  PrivateApiConsumer,
  type PrivateApiConsumerProps,
  vpcFromSource,
} from '../src/index.ts';
import {
  availabilityZones,
  consumerAccount,
  endpointServiceName,
  nagFindings,
  newApp,
  region,
} from './fixtures.ts';

function build(props: Partial<PrivateApiConsumerProps> = {}) {
  const stack = new Stack(newApp(), 'Consumer', { env: { account: consumerAccount, region } });
  const vpc = vpcFromSource(stack, 'Vpc', { kind: 'create', cidr: '10.20.0.0/16', availabilityZones });
  const consumer = new PrivateApiConsumer(stack, 'PrivateApi', { vpc, endpointServiceName, ...props });
  return { stack, vpc, consumer, template: Template.fromStack(stack) };
}

describe('PrivateApiConsumer', () => {
  test('creates an interface endpoint to the service, one subnet per AZ, no private DNS by default', () => {
    const { template, stack } = build();
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: endpointServiceName,
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: false,
    });
    const [endpoint] = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
    const subnetRefs = ((endpoint?.Properties.SubnetIds ?? []) as { Ref: string }[]).map((ref) => ref.Ref);
    expect(subnetRefs).toHaveLength(availabilityZones.length);
    const subnets = template.findResources('AWS::EC2::Subnet');
    const azs = subnetRefs.map((ref) => subnets[ref]?.Properties.AvailabilityZone);
    expect(new Set(azs)).toEqual(new Set(availabilityZones));
    template.resourceCountIs('AWS::Route53::HostedZone', 0);
    expect(nagFindings(stack)).toEqual([]);
  });

  test('the endpoint security group admits TCP 443 only from the given peers', () => {
    const { template } = build({
      allowedPeers: [ec2.Peer.ipv4('10.20.1.0/24'), ec2.Peer.ipv4('192.168.7.0/24')],
    });
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    const entries = Object.entries(groups).filter(([id]) => id.includes('EndpointSecurityGroup'));
    expect(entries).toHaveLength(1);
    const ingress = entries[0]?.[1].Properties.SecurityGroupIngress as Record<string, unknown>[];
    expect(
      ingress.map((rule) => [rule['CidrIp'], rule['IpProtocol'], rule['FromPort'], rule['ToPort']]),
    ).toEqual([
      ['10.20.1.0/24', 'tcp', 443, 443],
      ['192.168.7.0/24', 'tcp', 443, 443],
    ]);
    // No separate ingress resources widen it, and nothing leaves the endpoint's group.
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    const egress = entries[0]?.[1].Properties.SecurityGroupEgress as Record<string, unknown>[];
    expect(egress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
  });

  test('defaults the peers to the VPC CIDR as a literal', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [{ CidrIp: '10.20.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }],
    });
  });

  test('hosted-zone DNS: a private zone for the API name with an alias to the endpoint', () => {
    const { template } = build({ privateDns: { kind: 'hosted-zone', domainName: 'api.example.com' } });
    template.hasResourceProperties('AWS::Route53::HostedZone', {
      Name: 'api.example.com.',
      VPCs: [{ VPCId: Match.anyValue(), VPCRegion: region }],
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'api.example.com.',
      Type: 'A',
      AliasTarget: {
        DNSName: { 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::Select': [0, Match.anyValue()] }] }] },
        HostedZoneId: Match.anyValue(),
      },
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { PrivateDnsEnabled: false });
  });

  test('endpoint-service DNS: the endpoint turns private DNS on and no zone is made', () => {
    const { template } = build({ privateDns: { kind: 'endpoint-service' } });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { PrivateDnsEnabled: true });
    template.resourceCountIs('AWS::Route53::HostedZone', 0);
  });

  test('the client identity secret is encrypted with a rotating customer-managed key', () => {
    const { template } = build();
    const keys = template.findResources('AWS::KMS::Key');
    const [keyId] = Object.keys(keys);
    expect(keys[keyId ?? '']?.Properties.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      // Prefixed with the stack name: a second consumer in the account gets its own retained secret.
      Name: 'mtls-link/Consumer/api-client',
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
  });

  test('grants read on the secret (and decrypt via Secrets Manager) to the given consumer roles', () => {
    const stack2 = new Stack(newApp(), 'WithRoles', { env: { account: consumerAccount, region } });
    const vpc = ec2.Vpc.fromVpcAttributes(stack2, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      vpcCidrBlock: '10.30.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      isolatedSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
    });
    const role = iam.Role.fromRoleArn(stack2, 'Role', `arn:aws:iam::${consumerAccount}:role/orders-service`);
    new PrivateApiConsumer(stack2, 'PrivateApi', { vpc, endpointServiceName, consumerRoles: [role] });
    const t2 = Template.fromStack(stack2);
    t2.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['orders-service'],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { Ref: Match.stringLikeRegexp('ClientIdentity') },
          }),
        ]),
      },
    });
    t2.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
          }),
        ]),
      },
    });
    t2.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      SubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
    });
  });

  test('takes the secret name it is given', () => {
    const { template } = build({ secret: { kind: 'create', secretName: 'team/api-client' } });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'team/api-client' });
  });

  test('an imported secret creates neither secret nor key', () => {
    const { template, consumer, stack } = build({
      secret: {
        kind: 'import',
        secretArn: `arn:aws:secretsmanager:${region}:${consumerAccount}:secret:existing/client-AbCdEf`,
        encryptionKeyArn: `arn:aws:kms:${region}:${consumerAccount}:key/11111111-2222-3333-4444-555555555555`,
      },
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(stack.resolve(consumer.secret.secretArn)).toContain('existing/client-AbCdEf');
    expect(nagFindings(stack)).toEqual([]);
  });

  test('an imported secret with its key: consumer roles also get kms:Decrypt on that key, via Secrets Manager', () => {
    const keyArn = `arn:aws:kms:${region}:${consumerAccount}:key/11111111-2222-3333-4444-555555555555`;
    const stack = new Stack(newApp(), 'Imported', { env: { account: consumerAccount, region } });
    const vpc = vpcFromSource(stack, 'Vpc', { kind: 'create', cidr: '10.20.0.0/16', availabilityZones });
    const role = iam.Role.fromRoleArn(stack, 'Role', `arn:aws:iam::${consumerAccount}:role/orders-service`);
    new PrivateApiConsumer(stack, 'PrivateApi', {
      vpc,
      endpointServiceName,
      consumerRoles: [role],
      secret: {
        kind: 'import',
        secretArn: `arn:aws:secretsmanager:${region}:${consumerAccount}:secret:existing/client-AbCdEf`,
        encryptionKeyArn: keyArn,
      },
    });
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('orders-service'),
    );
    expect(policy?.Properties.Roles).toEqual(['orders-service']);
    expect(policy?.Properties.PolicyDocument.Statement).toContainEqual({
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    });
  });

  test('the endpoint DNS names: regional, and zonal with the AZ after the first label', () => {
    const { consumer, stack, template } = build();
    const [endpointId] = Object.keys(template.findResources('AWS::EC2::VPCEndpoint'));
    const regional = {
      'Fn::Select': [
        1,
        { 'Fn::Split': [':', { 'Fn::Select': [0, { 'Fn::GetAtt': [endpointId, 'DnsEntries'] }] }] },
      ],
    };
    expect(stack.resolve(consumer.regionalDnsName())).toEqual(regional);
    const label = (i: number) => ({ 'Fn::Select': [i, { 'Fn::Split': ['.', regional] }] });
    expect(stack.resolve(consumer.zonalDnsName('eu-west-1b'))).toEqual({
      'Fn::Join': [
        '',
        [label(0), '-eu-west-1b.', label(1), '.', label(2), '.', label(3), '.', { Ref: 'AWS::URLSuffix' }],
      ],
    });
  });

  test('a token for the service name (an SSM parameter, another stack) is accepted as it is', () => {
    const stack = new Stack(newApp(), 'Token', { env: { account: consumerAccount, region } });
    const vpc = vpcFromSource(stack, 'Vpc', { kind: 'create', cidr: '10.20.0.0/16', availabilityZones });
    const name = ssm.StringParameter.valueForStringParameter(stack, '/producer/endpoint-service-name');
    new PrivateApiConsumer(stack, 'PrivateApi', { vpc, endpointServiceName: name });
    const template = Template.fromStack(stack);
    const [parameter] = Object.keys(template.toJSON().Parameters ?? {}).filter((p) =>
      p.startsWith('SsmParameter'),
    );
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: { Ref: parameter } });
  });

  test('a service in another region: the endpoint is cross-region', () => {
    build({
      endpointServiceName: 'com.amazonaws.vpce.eu-central-1.vpce-svc-0a1b2c3d4e5f60718',
    }).template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceRegion: 'eu-central-1' });
    build().template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceRegion: Match.absent() });
  });

  test('outputs the endpoint id, its DNS names and the secret ARN', () => {
    const { template } = build();
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.some((id) => id.includes('EndpointId'))).toBe(true);
    expect(outputs.some((id) => id.includes('EndpointDnsNames'))).toBe(true);
    expect(outputs.some((id) => id.includes('ClientIdentitySecretArn'))).toBe(true);
  });

  test('a malformed endpoint service name is refused naming the prop', () => {
    let caught: unknown;
    try {
      build({ endpointServiceName: 'vpce-svc-0123' });
    } catch (error) {
      caught = error;
    }
    expect(isConsumerInfraError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'PROPS_INVALID', field: 'endpointServiceName' });
  });

  test("the cdk.json placeholder is refused: it names no producer's service", () => {
    let caught: unknown;
    try {
      build({ endpointServiceName: ENDPOINT_SERVICE_NAME_PLACEHOLDER });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'PROPS_INVALID', field: 'endpointServiceName' });
    expect((caught as Error).message).toContain('placeholder');
  });
});
