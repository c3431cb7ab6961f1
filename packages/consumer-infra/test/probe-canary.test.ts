import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import {
  CANARY_ENVIRONMENT,
  CANARY_METRICS,
  isConsumerInfraError,
  ProbeCanary,
  type ProbeCanaryProps,
  vpcFromSource,
} from '../src/index.ts';
import {
  availabilityZones,
  consumerAccount,
  nagFindings,
  newApp,
  region,
  stubCanaryCode,
} from './fixtures.ts';

function build(props: Partial<ProbeCanaryProps> = {}) {
  const stack = new Stack(newApp(), 'Canary', { env: { account: consumerAccount, region } });
  const vpc = vpcFromSource(stack, 'Vpc', { kind: 'create', cidr: '10.20.0.0/16', availabilityZones });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const secret = new secretsmanager.Secret(stack, 'Secret', { encryptionKey: key });
  const canary = new ProbeCanary(stack, 'Probe', {
    vpc,
    url: 'https://api.example.com/widgets',
    secret,
    secretKeyArn: key.keyArn,
    crl: { bucketName: 'producer-crls', key: 'trust-store/intermediate.crl' },
    code: stubCanaryCode(),
    ...props,
  });
  return { stack, vpc, canary, template: Template.fromStack(stack) };
}

function canaryFunctions(template: Template) {
  return Object.entries(template.findResources('AWS::Lambda::Function')).filter(
    ([, resource]) => resource.Properties.Handler === 'index.handler' && resource.Properties.VpcConfig,
  );
}

describe('ProbeCanary', () => {
  test('perAz: one function per AZ, each pinned to one private subnet of its own AZ', () => {
    const { template, vpc, stack } = build({ perAz: true });
    const functions = canaryFunctions(template);
    expect(functions).toHaveLength(availabilityZones.length);
    const subnets = template.findResources('AWS::EC2::Subnet');
    const isolated = new Set(vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId).Ref));
    const azs = functions.map(([, fn]) => {
      const ids = fn.Properties.VpcConfig.SubnetIds as { Ref: string }[];
      expect(ids).toHaveLength(1);
      const ref = ids[0]?.Ref ?? '';
      expect(isolated.has(ref)).toBe(true);
      const az = subnets[ref]?.Properties.AvailabilityZone as string;
      expect(fn.Properties.Environment.Variables[CANARY_ENVIRONMENT.availabilityZone]).toBe(az);
      return az;
    });
    expect(azs.sort()).toEqual([...availabilityZones].sort());
    expect(nagFindings(stack, 'Canary/Probe/')).toEqual([]);
  });

  test("perAz with a zonal endpoint: each canary dials its own AZ's zonal DNS name on 443, keeping the URL", () => {
    const stack = new Stack(newApp(), 'Zonal', { env: { account: consumerAccount, region } });
    const vpc = vpcFromSource(stack, 'Vpc', { kind: 'create', cidr: '10.20.0.0/16', availabilityZones });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const endpoint = new ec2.InterfaceVpcEndpoint(stack, 'Endpoint', {
      vpc,
      service: new ec2.InterfaceVpcEndpointService(
        'com.amazonaws.vpce.eu-west-1.vpce-svc-0a1b2c3d4e5f60718',
        443,
      ),
      subnets: { onePerAz: true },
      lookupSupportedAzs: false,
      open: false,
    });
    new ProbeCanary(stack, 'Probe', {
      vpc,
      url: 'https://api.example.com/widgets',
      secret: new secretsmanager.Secret(stack, 'Secret', { encryptionKey: key }),
      secretKeyArn: key.keyArn,
      code: stubCanaryCode(),
      perAz: true,
      zonalEndpoint: endpoint,
      connectTo: 'ignored.example.com:443',
    });
    const template = Template.fromStack(stack);
    const [endpointId] = Object.keys(template.findResources('AWS::EC2::VPCEndpoint'));
    const regional = {
      'Fn::Select': [
        1,
        { 'Fn::Split': [':', { 'Fn::Select': [0, { 'Fn::GetAtt': [endpointId, 'DnsEntries'] }] }] },
      ],
    };
    const label = (i: number) => ({ 'Fn::Select': [i, { 'Fn::Split': ['.', regional] }] });
    const targets = canaryFunctions(template).map(([, fn]) => {
      const variables = fn.Properties.Environment.Variables;
      expect(variables[CANARY_ENVIRONMENT.url]).toBe('https://api.example.com/widgets');
      return {
        az: variables[CANARY_ENVIRONMENT.availabilityZone],
        connectTo: variables[CANARY_ENVIRONMENT.connectTo],
      };
    });
    expect(targets.map((t) => t.az).sort()).toEqual([...availabilityZones].sort());
    for (const { az, connectTo } of targets) {
      expect(connectTo).toEqual({
        'Fn::Join': [
          '',
          [
            label(0),
            `-${az}.`,
            label(1),
            '.',
            label(2),
            '.',
            label(3),
            '.',
            { Ref: 'AWS::URLSuffix' },
            ':443',
          ],
        ],
      });
    }
    expect(new Set(targets.map((t) => JSON.stringify(t.connectTo))).size).toBe(availabilityZones.length);
  });

  test('Lambda does not retry a failed run on its own: async retries 0 next to the schedule target', () => {
    const { template } = build({ perAz: true });
    const functions = canaryFunctions(template).map(([id]) => id);
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map(
      (r) => r.Properties,
    );
    expect(configs.map((c) => c.FunctionName.Ref).sort()).toEqual([...functions].sort());
    for (const config of configs)
      expect(config).toMatchObject({ MaximumRetryAttempts: 0, Qualifier: '$LATEST' });
    const targets = Object.values(template.findResources('AWS::Events::Rule')).flatMap(
      (r) => r.Properties.Targets,
    );
    for (const target of targets) expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
  });

  test('single: one function across the private subnets of every AZ', () => {
    const { template } = build({ perAz: false });
    const functions = canaryFunctions(template);
    expect(functions).toHaveLength(1);
    expect(functions[0]?.[1].Properties.VpcConfig.SubnetIds).toHaveLength(availabilityZones.length);
  });

  test('Node 24 on arm64, inputs as environment variables', () => {
    const { template } = build({ expectStatus: 204, perAz: false, canaryName: 'orders-api' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: {
          [CANARY_ENVIRONMENT.url]: 'https://api.example.com/widgets',
          [CANARY_ENVIRONMENT.secretId]: { Ref: Match.stringLikeRegexp('^Secret') },
          [CANARY_ENVIRONMENT.crl]: 's3://producer-crls/trust-store/intermediate.crl',
          [CANARY_ENVIRONMENT.expectStatus]: '204',
          [CANARY_ENVIRONMENT.metricsNamespace]: CANARY_METRICS.namespace,
          [CANARY_ENVIRONMENT.serviceName]: 'orders-api',
          // Three requests of 15 s fit the 60 s function timeout, with room for the rest of the run.
          [CANARY_ENVIRONMENT.responseTimeoutMs]: '15000',
        },
      },
      Timeout: 60,
    });
  });

  test('scheduled every 5 minutes by default, or as asked', () => {
    build().template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    build({ schedule: Duration.minutes(15) }).template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
    });
    expect(() => build({ schedule: Duration.seconds(30) })).toThrow(/at least one minute/);
  });

  test('least privilege: GetSecretValue on the secret, Decrypt on its key via Secrets Manager, GetObject on the CRL', () => {
    const { template } = build();
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyName).includes('ProbeRole'),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0]?.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: 'secretsmanager:GetSecretValue',
        Effect: 'Allow',
        Resource: { Ref: expect.stringMatching(/^Secret/) },
      },
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      },
      {
        Action: 's3:GetObject',
        Effect: 'Allow',
        Resource: 'arn:aws:s3:::producer-crls/trust-store/intermediate.crl',
      },
    ]);
  });

  test('the canary security group lets out HTTPS only', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Probe canary'),
      SecurityGroupEgress: [
        { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'HTTPS out' },
      ],
    });
  });

  test('alarms on failed checks and silence per canary, and on both certificates nearing expiry', () => {
    const { template } = build({ perAz: true, expiryWarningDays: 21 });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const byMetric = (name: string) => alarms.filter((a) => a.MetricName === name);
    const failed = byMetric(CANARY_METRICS.metrics.checkFailed);
    expect(failed).toHaveLength(availabilityZones.length);
    for (const alarm of failed) {
      expect(alarm).toMatchObject({
        Namespace: 'MtlsLink/Probe',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Period: 300,
      });
      expect(alarm.Dimensions).toEqual([
        { Name: 'service', Value: expect.stringMatching(/^mtls-link-canary-eu-west-1[abc]$/) },
      ]);
    }
    const silent = byMetric(CANARY_METRICS.metrics.success);
    expect(silent).toHaveLength(availabilityZones.length);
    expect(silent[0]).toMatchObject({
      Statistic: 'SampleCount',
      TreatMissingData: 'breaching',
      EvaluationPeriods: 3,
    });

    const expiry = alarms.filter((a) => Array.isArray(a.Metrics));
    expect(expiry).toHaveLength(2);
    const metricNames = expiry.map((a) =>
      (a.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[])
        .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []))
        .sort(),
    );
    expect(metricNames).toEqual(
      expect.arrayContaining([
        Array(3).fill(CANARY_METRICS.metrics.clientCertDaysToExpiry),
        Array(3).fill(CANARY_METRICS.metrics.serverCertDaysToExpiry),
      ]),
    );
    for (const alarm of expiry) {
      expect(alarm).toMatchObject({ Threshold: 21, ComparisonOperator: 'LessThanThreshold' });
      const expression = (alarm.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression;
      expect(expression).toMatch(/^MIN\(\[(client|server)0,\1[1],\1[2]\]\)$/);
    }
  });

  test('a dashboard shows alarms, failures, latency and days to expiry', () => {
    const { template, stack } = build({ perAz: false });
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(stack.resolve(dashboard?.Properties.DashboardBody));
    for (const name of Object.values(CANARY_METRICS.metrics).filter((m) => m !== 'Success')) {
      expect(body).toContain(name);
    }
    expect(body).toContain('alarm');
  });

  test('no CRL: no S3 permission and no CRL variable', () => {
    const stack = new Stack(newApp(), 'NoCrl', { env: { account: consumerAccount, region } });
    const vpc = vpcFromSource(stack, 'Vpc', { kind: 'create', cidr: '10.20.0.0/16', availabilityZones });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Secret',
      `arn:aws:secretsmanager:${region}:${consumerAccount}:secret:client-AbCdEf`,
    );
    new ProbeCanary(stack, 'Probe', {
      vpc,
      url: 'https://api.example.com/widgets',
      secret,
      secretKeyArn: `arn:aws:kms:${region}:${consumerAccount}:key/11111111-2222-3333-4444-555555555555`,
      code: stubCanaryCode(),
    });
    const json = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(json).not.toContain('s3:GetObject');
    expect(json).not.toContain(CANARY_ENVIRONMENT.crl);
  });

  test('perAz with no matching subnets is refused naming the prop', () => {
    let caught: unknown;
    try {
      build({ perAz: true, subnets: { subnetType: ec2.SubnetType.PUBLIC } });
    } catch (error) {
      caught = error;
    }
    expect(isConsumerInfraError(caught) ? caught.field : caught).toBe('subnets');
  });
});
