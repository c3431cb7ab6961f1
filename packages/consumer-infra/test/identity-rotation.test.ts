import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ROTATION_ENV } from '@mtls-link/probe/rotation-names';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import {
  bundleCanary,
  ConsumerStack,
  DEFAULT_ROTATION_ENTRY,
  IdentityRotation,
  type IdentityRotationProps,
  isConsumerInfraError,
  vpcFromSource,
} from '../src/index.ts';
import {
  availabilityZones,
  consumerAccount,
  endpointServiceName,
  nagFindings,
  newApp,
  producerAccount,
  region,
  stubCanaryCode,
} from './fixtures.ts';

const caArn = `arn:aws:acm-pca:${region}:${producerAccount}:certificate-authority/11111111-2222-3333-4444-555555555555`;
const template = 'arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1';

function build(props: Partial<IdentityRotationProps> = {}) {
  const stack = new Stack(newApp(), 'Rotation', { env: { account: consumerAccount, region } });
  const vpc = vpcFromSource(stack, 'Vpc', { kind: 'create', cidr: '10.20.0.0/16', availabilityZones });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const secret = new secretsmanager.Secret(stack, 'Secret', { encryptionKey: key });
  const rotation = new IdentityRotation(stack, 'Identity', {
    vpc,
    secret,
    secretKeyArn: key.keyArn,
    caArn,
    url: 'https://api.example.com/widgets',
    code: stubCanaryCode(),
    ...props,
  });
  return { stack, secret, key, rotation, template: Template.fromStack(stack) };
}

/** The statements of the inline policies attached to `role` (the resolved role reference). */
function statements(
  t: Template,
  role: unknown,
): { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(JSON.stringify(role)))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

describe('IdentityRotation', () => {
  test('a rotation schedule on the secret, run by the function, which only Secrets Manager may invoke for this secret', () => {
    const { template: t, stack, secret, rotation } = build();
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: stack.resolve(secret.secretArn),
      RotationLambdaARN: stack.resolve(rotation.function.functionArn),
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceArn: stack.resolve(secret.secretArn),
      SourceAccount: consumerAccount,
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          [ROTATION_ENV.caArn]: caArn,
          [ROTATION_ENV.templateArn]: template,
          [ROTATION_ENV.validityDays]: '365',
          [ROTATION_ENV.url]: 'https://api.example.com/widgets',
          [ROTATION_ENV.keyType]: 'ec-p256',
        }),
      },
    });
  });

  test('least privilege: one CA with the client-auth template as a condition, one secret, one key through Secrets Manager', () => {
    const { template: t, stack, secret, key, rotation } = build();
    const all = statements(t, stack.resolve(rotation.role.roleName));
    expect(all).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'acm-pca:IssueCertificate',
          Resource: caArn,
          Condition: { StringEquals: { 'acm-pca:TemplateArn': template } },
        }),
        expect.objectContaining({
          Action: ['acm-pca:GetCertificate', 'acm-pca:GetCertificateAuthorityCertificate'],
          Resource: caArn,
        }),
        expect.objectContaining({
          Action: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          Resource: stack.resolve(secret.secretArn),
        }),
        expect.objectContaining({
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: stack.resolve(key.keyArn),
          Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
        }),
      ]),
    );
    // Nothing on '*', and no action beyond those four statements.
    expect(all.filter((s) => JSON.stringify(s.Resource).includes('"*"') || s.Resource === '*')).toEqual([]);
    expect(all).toHaveLength(4);
  });

  test('endpoints for Secrets Manager and Private CA in the VPC, open to the function alone', () => {
    const { template: t, stack, rotation } = build();
    for (const service of ['secretsmanager', 'acm-pca']) {
      t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: `com.amazonaws.${region}.${service}`,
        PrivateDnsEnabled: true,
        VpcEndpointType: 'Interface',
      });
    }
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroup'))
      .flatMap((g) => g.Properties.SecurityGroupIngress ?? [])
      .concat(Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties));
    const fromFunction = ingress.filter(
      (rule: { SourceSecurityGroupId?: unknown }) =>
        JSON.stringify(rule.SourceSecurityGroupId) ===
        JSON.stringify(stack.resolve(rotation.securityGroup.securityGroupId)),
    );
    expect(fromFunction).toHaveLength(2);
    expect(
      fromFunction.every((r: { FromPort: number; ToPort: number }) => r.FromPort === 443 && r.ToPort === 443),
    ).toBe(true);

    const without = build({ endpoints: { secretsManager: false, acmPca: false } }).template;
    without.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  test('an alarm on a failed rotation (the function reports an error for any failed step)', () => {
    const { template: t } = build();
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test.each([
    [
      { schedule: Duration.days(365) },
      'schedule',
      /every 365 days is not shorter than the certificate validity of 365 days/,
    ],
    [
      { schedule: Duration.days(90), validityDays: 60 },
      'schedule',
      /not shorter than the certificate validity of 60 days/,
    ],
    [{ schedule: Duration.hours(36) }, 'schedule', /whole number of days/],
    [{ caArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/x' }, 'caArn', /must be a Private CA ARN/],
    [{ templateArn: 'EndEntityClientAuthCertificate' }, 'templateArn', /template ARN/],
    [{ url: 'http://api.example.com/' }, 'url', /must be https/],
  ] as const)('synth-time refusal: %o names %s', (props, field, message) => {
    let error: unknown;
    try {
      build(props);
    } catch (e) {
      error = e;
    }
    expect(isConsumerInfraError(error)).toBe(true);
    expect((error as { field: string }).field).toBe(field);
    expect((error as Error).message).toMatch(message);
  });

  test('cdk-nag: no finding for the construct, and the secret it rotates meets SMG4', () => {
    const { stack } = build();
    expect(nagFindings(stack, 'Rotation/Identity/')).toEqual([]);
    expect(nagFindings(stack).filter((f) => f.rule === 'AwsSolutions-SMG4')).toEqual([]);
  });
});

describe('rotation in ConsumerStack (PrivateApiConsumer identityRotation)', () => {
  function consumer(rotation: boolean) {
    return new ConsumerStack(newApp(), 'Consumer', {
      env: { account: consumerAccount, region },
      vpc: { kind: 'create', cidr: '10.20.0.0/16', availabilityZones },
      endpointServiceName,
      apiDomainName: 'api.example.com',
      canary: { code: stubCanaryCode() },
      ...(rotation ? { rotation: { caArn, code: stubCanaryCode(), schedule: Duration.days(60) } } : {}),
    });
  }

  test('with rotation: no SMG4 acknowledgement, no SMG4 finding, the endpoint admits the function, one Secrets Manager endpoint', () => {
    const stack = consumer(true);
    const secret = stack.consumer.secret.node.defaultChild ?? stack.consumer.secret;
    const acknowledged = secret.node.metadata.filter((m) => JSON.stringify(m.data).includes('SMG4'));
    expect(acknowledged).toEqual([]);
    expect(nagFindings(stack)).toEqual([]);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    t.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(60 days)' },
    });
    const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify(e.Properties.ServiceName),
    );
    expect(endpoints.filter((n) => n.includes('secretsmanager'))).toHaveLength(1);
    expect(endpoints.filter((n) => n.includes('acm-pca'))).toHaveLength(1);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ROTATION_ENV.url]: 'https://api.example.com/widgets' }) },
    });
    const rotationGroup = stack.resolve(stack.consumer.rotation?.securityGroup.securityGroupId);
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ SourceSecurityGroupId: rotationGroup, FromPort: 443 }),
      ]),
    );
  });

  test('without private DNS the rotation dials the endpoint regional name, as the canary does', () => {
    const stack = new ConsumerStack(newApp(), 'Consumer', {
      env: { account: consumerAccount, region },
      vpc: { kind: 'create', cidr: '10.20.0.0/16', availabilityZones },
      endpointServiceName,
      apiDomainName: 'api.example.com',
      privateDns: 'none',
      canary: false,
      rotation: { caArn, code: stubCanaryCode() },
    });
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    const rotation = functions.find(
      (f) => f.Properties.Environment?.Variables?.[ROTATION_ENV.caArn] === caArn,
    );
    const connectTo = JSON.stringify(rotation?.Properties.Environment.Variables[ROTATION_ENV.connectTo]);
    expect(connectTo).toContain('DnsEntries');
    expect(connectTo).toContain(':443');
  });

  test('without rotation: the SMG4 acknowledgement stays (and says why), no rotation resources', () => {
    const stack = consumer(false);
    expect(nagFindings(stack)).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    expect(stack.consumer.rotation).toBeUndefined();
  });
});

describe('the rotation bundle', () => {
  test('esbuild bundles the probe rotation handler; the bundle loads and answers a malformed event with CONFIG_INVALID', async () => {
    const bundle = bundleCanary({ entry: DEFAULT_ROTATION_ENTRY });
    try {
      const module = (await import(pathToFileURL(bundle.file).href)) as {
        handler: (event: unknown) => Promise<unknown>;
      };
      const lines: string[] = [];
      const write = process.stdout.write;
      process.stdout.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stdout.write;
      try {
        await expect(module.handler({ Step: 'dropSecret' })).rejects.toMatchObject({
          code: 'CONFIG_INVALID',
        });
      } finally {
        process.stdout.write = write;
      }
      expect(JSON.parse(lines.join('')).error.code).toBe('CONFIG_INVALID');
    } finally {
      rmSync(bundle.dir, { recursive: true, force: true });
    }
  });
});
