import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  type ClientIdentitySecretSpec,
  PrivateApiConsumer,
  type PrivateDnsMode,
} from '../private-api-consumer.ts';
import { type CrlLocation, ProbeCanary } from '../probe-canary.ts';
import { type VpcSource, vpcFromSource } from './vpc-source.ts';

export interface ConsumerCanaryOptions {
  /** Path (and query) the canary requests. @default '/widgets' */
  readonly path?: string;
  /** @default true */
  readonly perAz?: boolean;
  /** @default 5 */
  readonly scheduleMinutes?: number;
  /** @default 200 */
  readonly expectStatus?: number;
  /** @default none */
  readonly crl?: CrlLocation;
  /** @default 30 */
  readonly expiryWarningDays?: number;
  /** Pre-built canary code (tests pass one bundle to many stacks). @default bundled at synth */
  readonly code?: lambda.Code;
  /** Module exporting the canary handler, bundled at synth. @default the probe's canary handler */
  readonly entry?: string;
  /**
   * The canary's name: the metrics' `service` dimension (suffixed with the AZ per AZ). Unique per
   * account and region, or two canaries write into one series. @default `<stack name>-canary`
   */
  readonly name?: string;
  /** SNS topics (ARNs) every canary alarm notifies, on alarm and back to OK. @default none */
  readonly alarmTopicArns?: string[];
}

export interface ConsumerStackProps extends StackProps {
  readonly vpc: VpcSource;
  /** From the producer stack's EndpointServiceName output. */
  readonly endpointServiceName: string;
  /** The API's name, e.g. `api.example.com` (what the certificate and SNI say). */
  readonly apiDomainName: string;
  /** @default 'hosted-zone' */
  readonly privateDns?: PrivateDnsMode['kind'];
  /** CIDRs admitted to the endpoint on 443 (the canary's security group always is). @default the VPC CIDR */
  readonly allowedPeerCidrs?: string[];
  /** @default { kind: 'create' } */
  readonly secret?: ClientIdentitySecretSpec;
  /** Roles in this account that read the client identity. @default none */
  readonly consumerRoleArns?: string[];
  /** `false` leaves the canary out. @default {} */
  readonly canary?: ConsumerCanaryOptions | false;
  /**
   * Region of the producer's endpoint service when it is not this stack's (cross-region PrivateLink).
   * @default the region in `endpointServiceName` when it differs from this stack's
   */
  readonly endpointServiceRegion?: string;
}

/**
 * The consumer's environment: VPC (or an imported one), the endpoint to the producer's service,
 * private DNS, the client identity secret and the probe canary.
 */
export class ConsumerStack extends Stack {
  readonly #availabilityZones: string[];

  readonly consumer: PrivateApiConsumer;
  readonly canary: ProbeCanary | undefined;

  constructor(scope: Construct, id: string, props: ConsumerStackProps) {
    super(scope, id, props);
    this.#availabilityZones = [...props.vpc.availabilityZones];
    const vpc = vpcFromSource(this, 'Vpc', props.vpc);
    if (props.vpc.kind === 'create') {
      // The VPC has no route out: the canary reaches Secrets Manager and S3 through endpoints.
      const endpointSecurityGroup = new ec2.SecurityGroup(this, 'AwsEndpointsSecurityGroup', {
        vpc,
        description: 'AWS service endpoints: HTTPS from inside the VPC',
        allowAllOutbound: false,
      });
      endpointSecurityGroup.addIngressRule(
        ec2.Peer.ipv4(props.vpc.cidr),
        ec2.Port.tcp(443),
        'HTTPS from the VPC',
      );
      vpc.addInterfaceEndpoint('SecretsManager', {
        service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
        securityGroups: [endpointSecurityGroup],
        open: false,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED, onePerAz: true },
        lookupSupportedAzs: false,
      });
      vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    }

    const dnsKind = props.privateDns ?? 'hosted-zone';
    const privateDns: PrivateDnsMode =
      dnsKind === 'hosted-zone'
        ? { kind: 'hosted-zone', domainName: props.apiDomainName }
        : { kind: dnsKind };
    this.consumer = new PrivateApiConsumer(this, 'PrivateApi', {
      vpc,
      endpointServiceName: props.endpointServiceName,
      privateDns,
      ...(props.allowedPeerCidrs === undefined
        ? {}
        : { allowedPeers: props.allowedPeerCidrs.map((cidr) => ec2.Peer.ipv4(cidr)) }),
      ...(props.secret === undefined ? {} : { secret: props.secret }),
      ...(props.endpointServiceRegion === undefined ? {} : { serviceRegion: props.endpointServiceRegion }),
      consumerRoles: (props.consumerRoleArns ?? []).map((arn, i) =>
        iam.Role.fromRoleArn(this, `ConsumerRole${i}`, arn),
      ),
    });

    if (props.canary === false) {
      this.canary = undefined;
      return;
    }
    const options = props.canary ?? {};
    const perAz = options.perAz ?? true;
    const alarmActions = (options.alarmTopicArns ?? []).map(
      (arn, i) => new cloudwatchActions.SnsAction(sns.Topic.fromTopicArn(this, `AlarmTopic${i}`, arn)),
    );
    this.canary = new ProbeCanary(this, 'Canary', {
      vpc,
      url: `https://${props.apiDomainName}${options.path ?? '/widgets'}`,
      secret: this.consumer.secret,
      secretKeyArn: this.consumer.encryptionKeyArn,
      perAz,
      canaryName: options.name ?? `${this.stackName}-canary`,
      schedule: Duration.minutes(options.scheduleMinutes ?? 5),
      // One canary per AZ dials its own AZ's interface; the API's name would reach all of them.
      ...(perAz ? { zonalEndpoint: this.consumer.endpoint } : {}),
      ...(dnsKind === 'none' && !perAz
        ? // Without private DNS the API's name does not resolve here: dial the endpoint's regional name.
          { connectTo: `${this.consumer.regionalDnsName()}:443` }
        : {}),
      ...(alarmActions.length === 0 ? {} : { alarmActions }),
      ...(options.expectStatus === undefined ? {} : { expectStatus: options.expectStatus }),
      ...(options.crl === undefined ? {} : { crl: options.crl }),
      ...(options.expiryWarningDays === undefined ? {} : { expiryWarningDays: options.expiryWarningDays }),
      ...(options.code === undefined ? {} : { code: options.code }),
      ...(options.entry === undefined ? {} : { entry: options.entry }),
    });
    this.consumer.allowFrom(this.canary.securityGroup, 'HTTPS from the probe canary');
    new CfnOutput(this, 'CanaryRoleArn', {
      description:
        "Give this to the producer if the canary checks a CRL in the producer's bucket (s3:GetObject in its bucket policy)",
      value: this.canary.role.roleArn,
    });
  }

  /** The AZs named in the VPC source: the default would look them up in the account (no lookups here). */
  override get availabilityZones(): string[] {
    return this.#availabilityZones;
  }
}
