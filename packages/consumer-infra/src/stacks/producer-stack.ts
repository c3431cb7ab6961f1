import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ApiRoute } from '../api-routes.ts';
import { MtlsPrivateApi } from '../mtls-private-api.ts';
import { type VpcSource, vpcFromSource } from './vpc-source.ts';

export interface ProducerStackProps extends StackProps {
  readonly vpc: VpcSource;
  /** e.g. `api.example.com` */
  readonly apiDomainName: string;
  /** ACM certificate for `apiDomainName`, in the producer account and region. */
  readonly apiCertificateArn: string;
  /** Existing bucket holding the CA bundle and CRLs (upload them before deploying). */
  readonly trustStoreBucketName: string;
  readonly caBundleKey: string;
  /** @default none */
  readonly crlKeys?: string[];
  /** S3 object version of the CA bundle (see `TrustStoreSource.caBundleVersion`). @default latest at creation */
  readonly caBundleVersion?: string;
  /** S3 object versions of the CRLs, by key. @default latest of each at creation */
  readonly crlVersions?: Readonly<Record<string, string>>;
  /** Consumer principals allowed to connect, e.g. `arn:aws:iam::222222222222:root`. */
  readonly allowedPrincipals: string[];
  /** @default true */
  readonly acceptanceRequired?: boolean;
  /** @default apiDomainName */
  readonly endpointServicePrivateDnsName?: string;
  /** Regions whose consumers may connect (cross-region PrivateLink). @default this stack's region only */
  readonly allowedRegions?: string[];
  /** @default a new ExampleBackend (without `/echo`) */
  readonly backend?: lambda.IFunction;
  /** Required with `backend`. @default the example backend's routes */
  readonly routes?: readonly ApiRoute[];
  /** @default none */
  readonly authorizer?: apigateway.IAuthorizer;
  /** @default 'v1' */
  readonly stageName?: string;
  /** Subnets of the load balancers and the execute-api endpoint. @default the VPC's private subnets */
  readonly subnets?: ec2.SubnetSelection;
  /** @default elbv2.SslPolicy.RECOMMENDED_TLS */
  readonly sslPolicy?: elbv2.SslPolicy;
  /** @default false */
  readonly ignoreClientCertificateExpiry?: boolean;
  /** Create and claim the account's API Gateway CloudWatch role. @default false */
  readonly cloudWatchRole?: boolean;
}

/** The producer's environment: VPC, private API with its example backend, mTLS ALB, NLB, endpoint service. */
export class ProducerStack extends Stack {
  readonly #availabilityZones: string[];

  readonly api: MtlsPrivateApi;

  constructor(scope: Construct, id: string, props: ProducerStackProps) {
    super(scope, id, props);
    this.#availabilityZones = [...props.vpc.availabilityZones];
    const vpc = vpcFromSource(this, 'Vpc', props.vpc);
    this.api = new MtlsPrivateApi(this, 'PrivateApi', {
      vpc,
      domainName: props.apiDomainName,
      certificateArn: props.apiCertificateArn,
      trustStore: {
        bucket: s3.Bucket.fromBucketName(this, 'TrustStoreBucket', props.trustStoreBucketName),
        caBundleKey: props.caBundleKey,
        ...(props.crlKeys === undefined ? {} : { crlKeys: props.crlKeys }),
        ...(props.caBundleVersion === undefined ? {} : { caBundleVersion: props.caBundleVersion }),
        ...(props.crlVersions === undefined ? {} : { crlVersions: props.crlVersions }),
      },
      allowedPrincipals: props.allowedPrincipals,
      ...(props.acceptanceRequired === undefined ? {} : { acceptanceRequired: props.acceptanceRequired }),
      ...(props.endpointServicePrivateDnsName === undefined
        ? {}
        : { endpointServicePrivateDnsName: props.endpointServicePrivateDnsName }),
      ...pick(props, [
        'allowedRegions',
        'backend',
        'routes',
        'authorizer',
        'stageName',
        'subnets',
        'sslPolicy',
        'ignoreClientCertificateExpiry',
        'cloudWatchRole',
      ]),
    });
  }

  /** The AZs named in the VPC source: the default would look them up in the account (no lookups here). */
  override get availabilityZones(): string[] {
    return this.#availabilityZones;
  }
}

/** The given keys of `props` that are set (exactOptionalPropertyTypes forbids passing `undefined` on). */
function pick<T extends object, K extends keyof T>(props: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) {
    if (props[key] !== undefined) picked[key] = props[key];
  }
  return picked;
}
