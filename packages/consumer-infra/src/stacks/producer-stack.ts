import { Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
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
  /** Consumer principals allowed to connect, e.g. `arn:aws:iam::222222222222:root`. */
  readonly allowedPrincipals: string[];
  /** @default true */
  readonly acceptanceRequired?: boolean;
  /** @default apiDomainName */
  readonly endpointServicePrivateDnsName?: string;
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
      },
      allowedPrincipals: props.allowedPrincipals,
      ...(props.acceptanceRequired === undefined ? {} : { acceptanceRequired: props.acceptanceRequired }),
      ...(props.endpointServicePrivateDnsName === undefined
        ? {}
        : { endpointServicePrivateDnsName: props.endpointServicePrivateDnsName }),
    });
  }

  /** The AZs named in the VPC source: the default would look them up in the account (no lookups here). */
  override get availabilityZones(): string[] {
    return this.#availabilityZones;
  }
}
