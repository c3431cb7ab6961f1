import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, test } from 'vitest';
import { addMtlsLinkStacks } from '../src/app.ts';
import { CONTEXT_KEYS, consumerPropsFromContext, producerPropsFromContext } from '../src/app-context.ts';
import { isConsumerInfraError } from '../src/index.ts';
import { endpointServiceName, stubCanaryCode } from './fixtures.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
  app: string;
  output: string;
  context: Record<string, unknown>;
};

/** cdk.json's context with a real-looking service name in place of its placeholder (which is refused). */
function appWith(overrides: Record<string, unknown> = {}, drop: string[] = []): App {
  const context: Record<string, unknown> = { ...cdkJson.context, endpointServiceName, ...overrides };
  for (const key of drop) delete context[key];
  return new App({ context, outdir: undefined });
}

function contextError(
  fn: () => unknown,
): { code: string; field: string | undefined; message: string } | undefined {
  try {
    fn();
  } catch (error) {
    if (isConsumerInfraError(error)) return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  return undefined;
}

describe('app context', () => {
  test('cdk.json runs the built app, writes to cdk.out and sets every documented key it needs', () => {
    expect(cdkJson.app).toBe('node dist/bin/app.js');
    expect(cdkJson.output).toBe('cdk.out');
    for (const key of Object.keys(cdkJson.context).filter((k) => !k.startsWith('@aws-cdk'))) {
      expect(Object.keys(CONTEXT_KEYS)).toContain(key);
    }
  });

  test('cdk.json placeholders give both stacks their environments and VPCs without lookups', () => {
    const app = appWith();
    const producer = producerPropsFromContext(app);
    const consumer = consumerPropsFromContext(app);
    expect(producer.env).toEqual({ account: '111111111111', region: 'eu-west-1' });
    expect(consumer.env).toEqual({ account: '222222222222', region: 'eu-west-1' });
    expect(producer.vpc).toEqual({
      kind: 'create',
      cidr: '10.10.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    });
    expect(consumer.canary).toMatchObject({
      path: '/widgets',
      perAz: true,
      scheduleMinutes: 5,
      expectStatus: 200,
    });
  });

  test("cdk.json sets aws-cdk-lib's recommended feature flags (the tests synthesize under them)", async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const recommended = require('aws-cdk-lib/recommended-feature-flags.json') as Record<string, unknown>;
    for (const [flag, value] of Object.entries(recommended)) {
      expect(cdkJson.context[flag], flag).toEqual(value);
    }
  });

  test('the cdk.json placeholder service name is refused: deploy the producer and set its output', () => {
    const error = contextError(() =>
      consumerPropsFromContext(appWith({ endpointServiceName: cdkJson.context['endpointServiceName'] })),
    );
    expect(error).toMatchObject({ code: 'CONTEXT_INVALID', field: 'endpointServiceName' });
    expect(error?.message).toMatch(/placeholder/);
  });

  test('object versions, regions, alarm topics, canary name and AZ IDs are read from context', () => {
    const app = appWith({
      caBundleVersion: 'ca-v2',
      crlVersions: '{"trust-store/intermediate.crl":"crl-v7"}',
      endpointServiceAllowedRegions: 'eu-central-1',
      apiGatewayCloudWatchRole: 'true',
      alarmTopicArns: 'arn:aws:sns:eu-west-1:222222222222:oncall',
      canaryName: 'orders-canary',
      endpointServiceRegion: 'eu-central-1',
      producerVpc: {
        cidr: '10.10.0.0/16',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        availabilityZoneIds: ['euw1-az2', 'euw1-az3'],
      },
    });
    expect(producerPropsFromContext(app)).toMatchObject({
      caBundleVersion: 'ca-v2',
      crlVersions: { 'trust-store/intermediate.crl': 'crl-v7' },
      allowedRegions: ['eu-central-1'],
      cloudWatchRole: true,
      vpc: { availabilityZoneIds: ['euw1-az2', 'euw1-az3'] },
    });
    expect(consumerPropsFromContext(app)).toMatchObject({
      endpointServiceRegion: 'eu-central-1',
      canary: { name: 'orders-canary', alarmTopicArns: ['arn:aws:sns:eu-west-1:222222222222:oncall'] },
    });
  });

  test('AZ alignment: with AZ IDs on both sides, a consumer AZ the producer lacks is refused', () => {
    const producerVpc = {
      cidr: '10.10.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      availabilityZoneIds: ['euw1-az1', 'euw1-az2'],
    };
    const consumerVpc = {
      cidr: '10.20.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      availabilityZoneIds: ['euw1-az2', 'euw1-az3'],
    };
    const error = contextError(() =>
      addMtlsLinkStacks(appWith({ producerVpc, consumerVpc }), { canaryCode: stubCanaryCode(), nag: false }),
    );
    expect(error).toMatchObject({ code: 'CONTEXT_INVALID', field: 'consumerVpc' });
    expect(error?.message).toContain('euw1-az3');
    const aligned = { ...consumerVpc, availabilityZoneIds: ['euw1-az2', 'euw1-az1'] };
    expect(
      contextError(() =>
        addMtlsLinkStacks(appWith({ producerVpc, consumerVpc: aligned }), {
          canaryCode: stubCanaryCode(),
          nag: false,
        }),
      ),
    ).toBeUndefined();
  });

  test('allowedPrincipals defaults to the consumer account root', () => {
    expect(producerPropsFromContext(appWith()).allowedPrincipals).toEqual(['arn:aws:iam::222222222222:root']);
  });

  test('-c strings are accepted: JSON objects, comma lists, booleans, numbers', () => {
    const app = appWith({
      consumerVpc: JSON.stringify({
        vpcId: 'vpc-0123456789abcdef0',
        vpcCidrBlock: '10.40.0.0/16',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
      }),
      allowedPeerCidrs: '10.40.1.0/24, 10.40.2.0/24',
      canaryPerAz: 'false',
      canaryScheduleMinutes: '10',
    });
    const props = consumerPropsFromContext(app);
    expect(props.vpc.kind).toBe('import');
    expect(props.allowedPeerCidrs).toEqual(['10.40.1.0/24', '10.40.2.0/24']);
    expect(props.canary).toMatchObject({ perAz: false, scheduleMinutes: 10 });
  });

  test.each([
    ['a missing required key', {}, ['endpointServiceName'], 'endpointServiceName', /is required/],
    ['a malformed account', { producerAccount: '1234' }, [], 'producerAccount', /must match/],
    ['a VPC without AZs', { consumerVpc: { cidr: '10.20.0.0/16' } }, [], 'consumerVpc', /availabilityZones/],
    ['broken JSON', { producerVpc: '{"cidr":' }, [], 'producerVpc', /not valid JSON/],
    ['an unknown DNS mode', { privateDns: 'public' }, [], 'privateDns', /must match/],
    [
      'an imported secret without its key',
      { clientSecretArn: 'arn:aws:secretsmanager:eu-west-1:222222222222:secret:x-AbCdEf' },
      [],
      'clientSecretKeyArn',
      /required/,
    ],
    ['a CRL bucket without key', { canaryCrlBucket: 'crls' }, [], 'canaryCrlKey', /together/],
    ['a schedule out of range', { canaryScheduleMinutes: 0 }, [], 'canaryScheduleMinutes', /integer from 1/],
    [
      'a CRL version for an unknown key',
      { crlVersions: { 'other.crl': 'v1' } },
      [],
      'crlVersions',
      /not in crlKeys/,
    ],
    ['CRL versions that are not strings', { crlVersions: '["v1"]' }, [], 'crlVersions', /JSON object/],
    [
      'AZ IDs that do not match the AZ names',
      {
        consumerVpc: {
          cidr: '10.20.0.0/16',
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
          availabilityZoneIds: ['euw1-az1'],
        },
      },
      [],
      'consumerVpc',
      /one AZ ID/,
    ],
    [
      'an alarm topic that is not an SNS ARN',
      { alarmTopicArns: 'oncall' },
      [],
      'alarmTopicArns',
      /SNS topic ARN/,
    ],
    ['a canary name with spaces', { canaryName: 'my canary' }, [], 'canaryName', /must match/],
  ] as const)('%s is refused naming the key', (_name, overrides, drop, field, message) => {
    const app = appWith(overrides, [...drop]);
    const error = contextError(() => {
      producerPropsFromContext(app);
      consumerPropsFromContext(app);
    });
    expect(error).toMatchObject({ code: 'CONTEXT_INVALID', field });
    expect(error?.message).toMatch(message);
  });
});

describe('the app', () => {
  test('synthesizes both stacks with cdk-nag as a validation plugin, offline', () => {
    const app = appWith();
    const { producer, consumer } = addMtlsLinkStacks(app, { canaryCode: stubCanaryCode() });
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['MtlsLinkConsumer', 'MtlsLinkProducer']);
    expect(assembly.getStackByName('MtlsLinkProducer').environment).toMatchObject({
      account: '111111111111',
    });
    expect(assembly.getStackByName('MtlsLinkConsumer').environment).toMatchObject({
      account: '222222222222',
    });
    // Offline means no context lookups were needed.
    expect(assembly.manifest.missing ?? []).toEqual([]);
    expect(producer.templateOptions.description).toMatch(/producer/);
    expect(consumer.templateOptions.description).toMatch(/consumer/);
  });

  test('an unacknowledged finding fails synthesis', () => {
    const app = appWith();
    const { consumer } = addMtlsLinkStacks(app, { canaryCode: stubCanaryCode() });
    new s3.Bucket(consumer, 'CarelessBucket');
    expect(() => app.synth()).toThrow(/[Vv]alidation/);
  });
});
