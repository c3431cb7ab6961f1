import { type App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { describe, expect, test } from 'vitest';
import {
  CANARY_ENVIRONMENT,
  ConsumerStack,
  type ConsumerStackProps,
  ProducerStack,
  type ProducerStackProps,
} from '../src/index.ts';
import {
  availabilityZones,
  certificateArn,
  consumerAccount,
  endpointServiceName,
  nagFindings,
  newApp,
  producerAccount,
  region,
  stubCanaryCode,
} from './fixtures.ts';

function producer(props: Partial<ProducerStackProps> = {}, app: App = newApp()) {
  return new ProducerStack(app, 'Producer', {
    env: { account: producerAccount, region },
    vpc: { kind: 'create', cidr: '10.10.0.0/16', availabilityZones },
    apiDomainName: 'api.example.com',
    apiCertificateArn: certificateArn,
    trustStoreBucketName: 'producer-trust-store',
    caBundleKey: 'trust-store/ca-bundle.pem',
    crlKeys: ['trust-store/intermediate.crl'],
    allowedPrincipals: [`arn:aws:iam::${consumerAccount}:root`],
    ...props,
  });
}

function consumer(props: Partial<ConsumerStackProps> = {}, app: App = newApp()) {
  return new ConsumerStack(app, 'Consumer', {
    env: { account: consumerAccount, region },
    vpc: { kind: 'create', cidr: '10.20.0.0/16', availabilityZones },
    endpointServiceName,
    apiDomainName: 'api.example.com',
    canary: { code: stubCanaryCode(), crl: { bucketName: 'producer-crls', key: 'intermediate.crl' } },
    ...props,
  });
}

const importedVpc = {
  kind: 'import',
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidrBlock: '10.40.0.0/16',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
} as const;

function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  return scope.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        // CDK files ids without a known plugin prefix under "Annotation::"; cdk-nag matches either.
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^Annotation::/, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions on every stack', () => {
  const variants: [string, () => Stack][] = [
    ['producer', () => producer()],
    [
      'producer, imported VPC, no CRLs',
      () =>
        producer({
          vpc: {
            ...importedVpc,
            privateSubnetIds: [...importedVpc.privateSubnetIds],
            availabilityZones: [...importedVpc.availabilityZones],
          },
          crlKeys: [],
        }),
    ],
    ['consumer, hosted zone, canary per AZ', () => consumer()],
    [
      'consumer, endpoint-service DNS, one canary',
      () => consumer({ privateDns: 'endpoint-service', canary: { code: stubCanaryCode(), perAz: false } }),
    ],
    [
      'consumer, imported VPC and secret, no DNS',
      () =>
        consumer({
          vpc: {
            ...importedVpc,
            privateSubnetIds: [...importedVpc.privateSubnetIds],
            availabilityZones: [...importedVpc.availabilityZones],
          },
          privateDns: 'none',
          secret: {
            kind: 'import',
            secretArn: `arn:aws:secretsmanager:${region}:${consumerAccount}:secret:client-AbCdEf`,
            encryptionKeyArn: `arn:aws:kms:${region}:${consumerAccount}:key/11111111-2222-3333-4444-555555555555`,
          },
          consumerRoleArns: [`arn:aws:iam::${consumerAccount}:role/orders-service`],
        }),
    ],
    ['consumer without canary', () => consumer({ canary: false })],
  ];
  test.each(variants)('%s: zero unacknowledged findings', (_name, make) => {
    expect(nagFindings(make())).toEqual([]);
  });

  test('the check does report what is not acknowledged', () => {
    const stack = consumer({ canary: false });
    new s3.Bucket(stack, 'CarelessBucket');
    const rules = nagFindings(stack).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });

  test('every acknowledgement names one rule and gives a specific reason', () => {
    const app = newApp();
    producer({}, app);
    consumer({}, app);
    // CDK itself acknowledges a CloudFormation-Validate warning about literal AZs; ours are cdk-nag's.
    const acks = acknowledgements(app).filter((a) => !a.id.startsWith('CloudFormation-Validate::'));
    expect(acks.length).toBeGreaterThanOrEqual(8);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(60);
    }
    // No blanket acknowledgement at stack level: each sits on the construct it concerns.
    expect(acks.filter((a) => a.path === 'Producer' || a.path === 'Consumer')).toEqual([]);
    expect(new Set(acks.map((a) => a.id.replace(/\[.*$/, '')))).toEqual(
      new Set([
        'AwsSolutions-APIG3',
        'AwsSolutions-APIG4',
        'AwsSolutions-COG4',
        'AwsSolutions-ELB2',
        'AwsSolutions-IAM4',
        'AwsSolutions-IAM5',
        'AwsSolutions-S1',
        'AwsSolutions-SMG4',
      ]),
    );
  });
});

describe('ConsumerStack', () => {
  test('its VPC reaches Secrets Manager and S3 through endpoints (no NAT) and logs flows', () => {
    const template = Template.fromStack(consumer());
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: `com.amazonaws.${region}.secretsmanager`,
      PrivateDnsEnabled: true,
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
      VpcEndpointType: 'Gateway',
    });
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  test('the endpoint admits 443 from the given CIDRs and the canary, nothing else', () => {
    const stack = consumer({ allowedPeerCidrs: ['10.20.5.0/24'] });
    const template = Template.fromStack(stack);
    const [groupId, group] =
      Object.entries(template.findResources('AWS::EC2::SecurityGroup')).find(([id]) =>
        id.startsWith('PrivateApiEndpointSecurityGroup'),
      ) ?? [];
    expect(group?.Properties.SecurityGroupIngress).toEqual([
      {
        CidrIp: '10.20.5.0/24',
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        Description: expect.any(String),
      },
    ]);
    const extra = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (rule) => rule.Properties.GroupId['Fn::GetAtt']?.[0] === groupId,
    );
    expect(extra.map((rule) => rule.Properties)).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^CanarySecurityGroup/), 'GroupId'] },
      }),
    ]);
  });

  test('the canary calls the API by name, one per AZ, every 5 minutes by default', () => {
    const template = Template.fromStack(consumer());
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      {
        Environment: {
          Variables: Match.objectLike({ [CANARY_ENVIRONMENT.url]: 'https://api.example.com/widgets' }),
        },
      },
      availabilityZones.length,
    );
    template.resourcePropertiesCountIs('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' }, 3);
  });

  test('per AZ, each canary dials its own AZ of the endpoint (zonal name), with or without private DNS', () => {
    for (const privateDns of ['hosted-zone', 'none'] as const) {
      const template = Template.fromStack(consumer({ privateDns }));
      const [endpointId] = Object.keys(
        template.findResources('AWS::EC2::VPCEndpoint', { Properties: { ServiceName: endpointServiceName } }),
      );
      const variables = Object.values(template.findResources('AWS::Lambda::Function'))
        .map((f) => f.Properties.Environment?.Variables)
        .filter((v) => v?.[CANARY_ENVIRONMENT.url] !== undefined);
      expect(variables).toHaveLength(availabilityZones.length);
      const seen = new Set<string>();
      for (const v of variables) {
        const dial = JSON.stringify(v[CANARY_ENVIRONMENT.connectTo]);
        expect(v[CANARY_ENVIRONMENT.url]).toBe('https://api.example.com/widgets');
        expect(dial).toContain(`{"Fn::GetAtt":["${endpointId}","DnsEntries"]}`);
        expect(dial).toContain(`"-${v[CANARY_ENVIRONMENT.availabilityZone]}."`);
        expect(dial).toContain(':443');
        seen.add(dial);
      }
      expect(seen.size).toBe(availabilityZones.length);
    }
  });

  test('alarm actions go to the given SNS topics; the canary name is unique per stack by default', () => {
    const topic = `arn:aws:sns:${region}:${consumerAccount}:oncall`;
    const template = Template.fromStack(
      consumer({ canary: { code: stubCanaryCode(), alarmTopicArns: [topic] } }),
    );
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topic]);
    const services = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables?.[CANARY_ENVIRONMENT.serviceName])
      .filter((name) => name !== undefined)
      .sort();
    expect(services).toEqual(availabilityZones.map((az) => `Consumer-canary-${az}`));
    const named = Template.fromStack(consumer({ canary: { code: stubCanaryCode(), name: 'orders' } }));
    named.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [CANARY_ENVIRONMENT.serviceName]: 'orders-eu-west-1a' }) },
    });
  });

  test('outputs the canary role ARN (for the producer CRL bucket policy)', () => {
    const template = Template.fromStack(consumer());
    const [roleId] = Object.keys(
      template.findResources('AWS::IAM::Role', {
        Properties: { Description: Match.stringLikeRegexp('^Probe canary') },
      }),
    );
    template.hasOutput('CanaryRoleArn', { Value: { 'Fn::GetAtt': [roleId, 'Arn'] } });
  });

  test("its VPC's default security group is restricted; subnets are placed by AZ ID when given", () => {
    const template = Template.fromStack(
      consumer({
        vpc: {
          kind: 'create',
          cidr: '10.20.0.0/16',
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
          availabilityZoneIds: ['euw1-az3', 'euw1-az1'],
        },
      }),
    );
    template.hasResourceProperties('Custom::VpcRestrictDefaultSG', {
      DefaultSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Vpc'), 'DefaultSecurityGroup'] },
    });
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet')).map((s) => s.Properties);
    expect(subnets.map((s) => s.AvailabilityZoneId).sort()).toEqual(['euw1-az1', 'euw1-az3']);
    for (const subnet of subnets) expect(subnet.AvailabilityZone).toBeUndefined();
    // Placed by ID, a subnet's AZ name is known at deploy time only: the zonal names read it from the subnet.
    const dials = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((f) => JSON.stringify(f.Properties.Environment?.Variables?.[CANARY_ENVIRONMENT.connectTo] ?? ''))
      .filter((d) => d.includes('DnsEntries'));
    expect(dials).toHaveLength(2);
    for (const dial of dials) expect(dial).toMatch(/"Fn::GetAtt":\["Vpc\w+Subnet\w+","AvailabilityZone"\]/);
  });

  test('an imported secret: the canary role may decrypt with its key, via Secrets Manager only', () => {
    const keyArn = `arn:aws:kms:${region}:${consumerAccount}:key/11111111-2222-3333-4444-555555555555`;
    const template = Template.fromStack(
      consumer({
        secret: {
          kind: 'import',
          secretArn: `arn:aws:secretsmanager:${region}:${consumerAccount}:secret:client-AbCdEf`,
          encryptionKeyArn: keyArn,
        },
      }),
    );
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    expect(statements).toContainEqual({
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    });
  });

  test('one canary without private DNS dials the endpoint regional name and keeps the API name for SNI', () => {
    const template = Template.fromStack(
      consumer({ privateDns: 'none', canary: { code: stubCanaryCode(), perAz: false } }),
    );
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.[CANARY_ENVIRONMENT.url],
    );
    expect(fn?.Properties.Environment.Variables[CANARY_ENVIRONMENT.url]).toBe(
      'https://api.example.com/widgets',
    );
    expect(JSON.stringify(fn?.Properties.Environment.Variables[CANARY_ENVIRONMENT.connectTo])).toContain(
      'DnsEntries',
    );
  });
});

describe('ProducerStack', () => {
  test('reads the trust store from the named bucket, and all the producer parts are there', () => {
    const template = Template.fromStack(producer());
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TrustStore', {
      CaCertificatesBundleS3Bucket: 'producer-trust-store',
    });
    for (const type of [
      'AWS::ApiGateway::RestApi',
      'AWS::ApiGateway::DomainNameV2',
      'AWS::EC2::VPCEndpointService',
      'AWS::ElasticLoadBalancingV2::TrustStoreRevocation',
      'AWS::EC2::FlowLog',
    ]) {
      template.resourceCountIs(type, 1);
    }
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
  });

  test('passes backend, routes, stage, subnets, listener options and object versions through', () => {
    const app = newApp();
    const stack = producer(
      {
        backend: lambda.Function.fromFunctionArn(
          new Stack(),
          'Fn',
          `arn:aws:lambda:${region}:${producerAccount}:function:orders`,
        ),
        routes: [{ path: '/orders', methods: ['GET'] }],
        stageName: 'prod',
        subnets: { availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
        sslPolicy: elbv2.SslPolicy.TLS13_13,
        ignoreClientCertificateExpiry: true,
        caBundleVersion: 'ca-v3',
        crlVersions: { 'trust-store/intermediate.crl': 'crl-v9' },
      },
      app,
    );
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'prod' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'orders' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
      MutualAuthentication: Match.objectLike({ IgnoreClientCertificateExpiry: true }),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TrustStore', {
      CaCertificatesBundleS3ObjectVersion: 'ca-v3',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TrustStoreRevocation', {
      RevocationContents: [Match.objectLike({ S3ObjectVersion: 'crl-v9' })],
    });
    const [alb] = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Properties: { Type: 'application' },
      }),
    );
    expect(alb?.Properties.Subnets).toHaveLength(2);
    expect(nagFindings(stack)).toEqual([]);
  });
});
