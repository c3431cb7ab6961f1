import type { Environment } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ConsumerInfraError } from './errors.ts';
import {
  type ClientIdentitySecretSpec,
  endpointServiceNameProblem,
  type PrivateDnsMode,
} from './private-api-consumer.ts';
import type { ConsumerStackProps } from './stacks/consumer-stack.ts';
import type { ProducerStackProps } from './stacks/producer-stack.ts';
import { AVAILABILITY_ZONE_ID, type VpcSource } from './stacks/vpc-source.ts';

/**
 * Every context key the app reads, with what it means. `cdk.json` holds placeholder values; override
 * them there or per command with `-c key=value` (objects and arrays as JSON).
 */
export const CONTEXT_KEYS = {
  producerAccount: 'Producer AWS account id (12 digits)',
  producerRegion: 'Producer region, e.g. eu-west-1',
  producerVpc:
    'Producer VPC: {"cidr","availabilityZones"} to create one, or {"vpcId","vpcCidrBlock","availabilityZones","privateSubnetIds"} to import one; optional "availabilityZoneIds" (same order) places created subnets by AZ ID and lets the app check the consumer AZs against these',
  apiDomainName: 'The API name consumers call, e.g. api.example.com (certificate, SNI, private DNS)',
  apiCertificateArn: 'ACM certificate ARN for apiDomainName in the producer account/region',
  trustStoreBucket: 'Producer bucket holding the CA bundle and CRLs (objects uploaded before deploy)',
  caBundleKey: 'Key of the PEM CA bundle in trustStoreBucket',
  crlKeys: 'Keys of CRLs in trustStoreBucket (array; may be empty)',
  caBundleVersion:
    'S3 object version of the CA bundle; deploy a new one after uploading a new bundle (default: latest at creation)',
  crlVersions:
    'S3 object versions of the CRLs, {"<key>":"<versionId>"}; deploy the new version after overwriting a CRL, or it does not take effect',
  endpointServiceAllowedRegions:
    'Regions whose consumers may connect (cross-region PrivateLink; array; default none)',
  apiGatewayCloudWatchRole:
    "Create the API Gateway CloudWatch role and claim the account's setting (default false: the account already has one)",
  allowedPrincipals:
    'Principals allowed to connect to the endpoint service (array; default: the consumer account root)',
  acceptanceRequired: 'Endpoint connections wait for the producer to accept them (default true)',
  endpointServicePrivateDnsName: 'Private DNS name of the endpoint service (default apiDomainName)',
  consumerAccount: 'Consumer AWS account id (12 digits)',
  consumerRegion:
    "Consumer region: the producer's, or another one the producer lists in endpointServiceAllowedRegions",
  consumerVpc: 'Consumer VPC, same shapes as producerVpc',
  endpointServiceName:
    "The producer stack's EndpointServiceName output, com.amazonaws.vpce.<region>.vpce-svc-<id>",
  endpointServiceRegion:
    "Region of the producer's endpoint service (default: the region in endpointServiceName; set when cross-region)",
  privateDns: 'hosted-zone (default) | endpoint-service | none',
  allowedPeerCidrs: 'CIDRs admitted to the endpoint on TCP 443 (array; default the consumer VPC CIDR)',
  clientSecretName: 'Name of the client-identity secret the stack creates (default mtls-link/api-client)',
  clientSecretArn: 'Import this existing secret instead (needs clientSecretKeyArn)',
  clientSecretKeyArn: 'The KMS key ARN the imported secret is encrypted with',
  consumerRoleArns: 'Roles in the consumer account granted read on the secret (array)',
  canary: 'Deploy the probe canary (default true)',
  canaryPath: 'Path the canary requests (default /widgets)',
  canaryPerAz: 'One canary per AZ (default true)',
  canaryScheduleMinutes: 'Minutes between canary runs (default 5)',
  canaryExpectStatus: 'HTTP status the canary expects (default 200)',
  canaryCrlBucket: 'Bucket of the CRL the canary checks (optional, with canaryCrlKey)',
  canaryCrlKey: 'Key of that CRL',
  canaryName: "The canary's name and metrics service dimension (default <consumer stack name>-canary)",
  alarmTopicArns: 'SNS topic ARNs every canary alarm notifies (array; default none)',
  expiryWarningDays: 'Alarm when a certificate has fewer days left (default 30)',
  canaryEntry: 'Module exporting the canary handler, bundled at synth (default @mtls-link/probe/canary)',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/** Typed reads of context values; `-c` gives strings, cdk.json gives JSON values: accept both. */
class ContextReader {
  readonly #scope: Construct;
  constructor(scope: Construct) {
    this.#scope = scope;
  }

  #raw(key: ContextKey): unknown {
    const value: unknown = this.#scope.node.tryGetContext(key);
    if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
      try {
        return JSON.parse(value);
      } catch (cause) {
        throw invalid(key, 'is not valid JSON', cause);
      }
    }
    return value;
  }

  string(key: ContextKey, pattern?: RegExp): string {
    const value = this.optionalString(key, pattern);
    if (value === undefined) throw invalid(key, `is required (${CONTEXT_KEYS[key]})`);
    return value;
  }

  optionalString(key: ContextKey, pattern?: RegExp): string | undefined {
    const value = this.#raw(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw invalid(key, 'must be a string');
    if (pattern !== undefined && !pattern.test(value))
      throw invalid(key, `must match ${pattern}, got "${value}"`);
    return value;
  }

  strings(key: ContextKey): string[] | undefined {
    const value = this.#raw(key);
    if (value === undefined || value === null) return undefined;
    const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
      throw invalid(key, 'must be an array of strings');
    }
    return list.filter((item) => item !== '');
  }

  boolean(key: ContextKey): boolean | undefined {
    const value = this.#raw(key);
    if (value === undefined || value === null) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw invalid(key, 'must be true or false');
  }

  number(key: ContextKey, min: number, max: number): number | undefined {
    const value = this.#raw(key);
    if (value === undefined || value === null || value === '') return undefined;
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw invalid(key, `must be an integer from ${min} to ${max}`);
    return n;
  }

  /** A JSON object of string values, e.g. `{"trust-store/intermediate.crl":"3HL4kqtJlcpXroDTDmJ"}`. */
  stringMap(key: ContextKey): Record<string, string> | undefined {
    const value = this.#raw(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (
      typeof value !== 'object' ||
      Array.isArray(value) ||
      !Object.values(value).every((item) => typeof item === 'string' && item !== '')
    ) {
      throw invalid(key, 'must be a JSON object of non-empty strings');
    }
    return value as Record<string, string>;
  }

  vpc(key: ContextKey): VpcSource {
    const value = this.#raw(key);
    if (typeof value !== 'object' || value === null) throw invalid(key, `is required (${CONTEXT_KEYS[key]})`);
    const v = value as Record<string, unknown>;
    const azs = v['availabilityZones'];
    if (!Array.isArray(azs) || azs.length < 2 || !azs.every((az) => typeof az === 'string')) {
      throw invalid(key, 'needs availabilityZones: at least two AZ names (no lookups are made)');
    }
    const ids = v['availabilityZoneIds'];
    if (
      ids !== undefined &&
      (!Array.isArray(ids) ||
        ids.length !== azs.length ||
        !ids.every((id) => typeof id === 'string' && AVAILABILITY_ZONE_ID.test(id)))
    ) {
      throw invalid(
        key,
        'availabilityZoneIds must list one AZ ID (e.g. euw1-az1) per availabilityZones entry, in the same order',
      );
    }
    const zoneIds = ids === undefined ? {} : { availabilityZoneIds: ids as string[] };
    if (typeof v['cidr'] === 'string') {
      return { kind: 'create', cidr: v['cidr'], availabilityZones: azs, ...zoneIds };
    }
    const subnets = v['privateSubnetIds'];
    if (
      typeof v['vpcId'] === 'string' &&
      typeof v['vpcCidrBlock'] === 'string' &&
      Array.isArray(subnets) &&
      subnets.length === azs.length &&
      subnets.every((s) => typeof s === 'string')
    ) {
      return {
        kind: 'import',
        vpcId: v['vpcId'],
        vpcCidrBlock: v['vpcCidrBlock'],
        availabilityZones: azs,
        privateSubnetIds: subnets,
        ...zoneIds,
      };
    }
    throw invalid(
      key,
      'must be {"cidr","availabilityZones"} or {"vpcId","vpcCidrBlock","availabilityZones","privateSubnetIds"} with one subnet per AZ',
    );
  }
}

function invalid(key: ContextKey, what: string, cause?: unknown): ConsumerInfraError {
  return new ConsumerInfraError('CONTEXT_INVALID', `context value "${key}" ${what}`, {
    field: key,
    ...(cause === undefined ? {} : { cause }),
  });
}

const account = /^\d{12}$/;
const regionPattern = /^[a-z]{2}(-[a-z]+)+-\d$/;

function environment(read: ContextReader, accountKey: ContextKey, regionKey: ContextKey): Environment {
  return { account: read.string(accountKey, account), region: read.string(regionKey, regionPattern) };
}

/** Producer stack props from context (see CONTEXT_KEYS). */
export function producerPropsFromContext(scope: Construct): ProducerStackProps {
  const read = new ContextReader(scope);
  const consumerAccount = read.optionalString('consumerAccount', account);
  const allowedPrincipals =
    read.strings('allowedPrincipals') ??
    (consumerAccount === undefined ? [] : [`arn:aws:iam::${consumerAccount}:root`]);
  if (allowedPrincipals.length === 0) {
    throw invalid('allowedPrincipals', 'is empty and there is no consumerAccount to default to');
  }
  const acceptanceRequired = read.boolean('acceptanceRequired');
  const privateDnsName = read.optionalString('endpointServicePrivateDnsName');
  const crlKeys = read.strings('crlKeys') ?? [];
  const caBundleVersion = read.optionalString('caBundleVersion');
  const crlVersions = read.stringMap('crlVersions');
  const unknownCrl = Object.keys(crlVersions ?? {}).find((key) => !crlKeys.includes(key));
  if (unknownCrl !== undefined)
    throw invalid('crlVersions', `names "${unknownCrl}", which is not in crlKeys`);
  const allowedRegions = read.strings('endpointServiceAllowedRegions');
  const badRegion = allowedRegions?.find((region) => !regionPattern.test(region));
  if (badRegion !== undefined)
    throw invalid('endpointServiceAllowedRegions', `has "${badRegion}", not a region`);
  const cloudWatchRole = read.boolean('apiGatewayCloudWatchRole');
  return {
    env: environment(read, 'producerAccount', 'producerRegion'),
    vpc: read.vpc('producerVpc'),
    apiDomainName: read.string('apiDomainName'),
    apiCertificateArn: read.string('apiCertificateArn', /^arn:aws[a-z-]*:acm:/),
    trustStoreBucketName: read.string('trustStoreBucket'),
    caBundleKey: read.string('caBundleKey'),
    crlKeys,
    ...(caBundleVersion === undefined ? {} : { caBundleVersion }),
    ...(crlVersions === undefined ? {} : { crlVersions }),
    allowedPrincipals,
    ...(allowedRegions === undefined || allowedRegions.length === 0 ? {} : { allowedRegions }),
    ...(cloudWatchRole === undefined ? {} : { cloudWatchRole }),
    ...(acceptanceRequired === undefined ? {} : { acceptanceRequired }),
    ...(privateDnsName === undefined ? {} : { endpointServicePrivateDnsName: privateDnsName }),
  };
}

/** Consumer stack props from context (see CONTEXT_KEYS). */
export function consumerPropsFromContext(scope: Construct): ConsumerStackProps {
  const read = new ContextReader(scope);
  const privateDns = read.optionalString('privateDns', /^(hosted-zone|endpoint-service|none)$/) as
    | PrivateDnsMode['kind']
    | undefined;
  const secretArn = read.optionalString('clientSecretArn', /^arn:aws[a-z-]*:secretsmanager:/);
  let secret: ClientIdentitySecretSpec;
  if (secretArn !== undefined) {
    const keyArn = read.optionalString('clientSecretKeyArn', /^arn:aws[a-z-]*:kms:/);
    if (keyArn === undefined) throw invalid('clientSecretKeyArn', 'is required with clientSecretArn');
    secret = { kind: 'import', secretArn, encryptionKeyArn: keyArn };
  } else {
    const name = read.optionalString('clientSecretName');
    secret = name === undefined ? { kind: 'create' } : { kind: 'create', secretName: name };
  }
  const crlBucket = read.optionalString('canaryCrlBucket');
  const crlKey = read.optionalString('canaryCrlKey');
  if ((crlBucket === undefined) !== (crlKey === undefined)) {
    throw invalid(
      crlBucket === undefined ? 'canaryCrlBucket' : 'canaryCrlKey',
      'must be given together with the other',
    );
  }
  const path = read.optionalString('canaryPath', /^\//);
  const perAz = read.boolean('canaryPerAz');
  const scheduleMinutes = read.number('canaryScheduleMinutes', 1, 1440);
  const expectStatus = read.number('canaryExpectStatus', 100, 599);
  const expiryWarningDays = read.number('expiryWarningDays', 1, 365);
  const allowedPeerCidrs = read.strings('allowedPeerCidrs');
  const entry = read.optionalString('canaryEntry');
  const canaryName = read.optionalString('canaryName', /^[A-Za-z0-9_.-]{1,128}$/);
  const alarmTopicArns = read.strings('alarmTopicArns');
  const badTopic = alarmTopicArns?.find((arn) => !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(arn));
  if (badTopic !== undefined) throw invalid('alarmTopicArns', `has "${badTopic}", not an SNS topic ARN`);
  const serviceRegion = read.optionalString('endpointServiceRegion', regionPattern);
  const endpointServiceName = read.string('endpointServiceName');
  const nameProblem = endpointServiceNameProblem(endpointServiceName);
  if (nameProblem !== undefined) throw invalid('endpointServiceName', nameProblem);
  return {
    env: environment(read, 'consumerAccount', 'consumerRegion'),
    vpc: read.vpc('consumerVpc'),
    endpointServiceName,
    ...(serviceRegion === undefined ? {} : { endpointServiceRegion: serviceRegion }),
    apiDomainName: read.string('apiDomainName'),
    ...(privateDns === undefined ? {} : { privateDns }),
    ...(allowedPeerCidrs === undefined ? {} : { allowedPeerCidrs }),
    secret,
    consumerRoleArns: read.strings('consumerRoleArns') ?? [],
    canary:
      read.boolean('canary') === false
        ? false
        : {
            ...(path === undefined ? {} : { path }),
            ...(perAz === undefined ? {} : { perAz }),
            ...(scheduleMinutes === undefined ? {} : { scheduleMinutes }),
            ...(expectStatus === undefined ? {} : { expectStatus }),
            ...(expiryWarningDays === undefined ? {} : { expiryWarningDays }),
            ...(crlBucket === undefined || crlKey === undefined
              ? {}
              : { crl: { bucketName: crlBucket, key: crlKey } }),
            ...(entry === undefined ? {} : { entry }),
            ...(canaryName === undefined ? {} : { name: canaryName }),
            ...(alarmTopicArns === undefined || alarmTopicArns.length === 0 ? {} : { alarmTopicArns }),
          },
  };
}

/**
 * PrivateLink pairs AZs by ID, and an AZ name means a different physical AZ in each account: when
 * both VPCs list their AZ IDs, every consumer AZ must be one the producer's load balancers are in.
 * Without IDs nothing can be checked offline (see the README for the command that shows the mapping).
 */
export function checkAzAlignment(producer: VpcSource, consumer: VpcSource): void {
  const producerIds = producer.availabilityZoneIds;
  const consumerIds = consumer.availabilityZoneIds;
  if (producerIds === undefined || consumerIds === undefined) return;
  const missing = consumerIds.filter((id) => !producerIds.includes(id));
  if (missing.length > 0) {
    throw invalid(
      'consumerVpc',
      `has AZ IDs ${missing.join(', ')} where the producer (${producerIds.join(', ')}) has no load balancer: ` +
        'endpoint interfaces there cannot be created',
    );
  }
}
