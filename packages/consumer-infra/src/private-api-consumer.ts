import { CfnOutput, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { regionalEndpointDnsName, zonalEndpointDnsName } from './endpoint-dns.ts';
import { ConsumerInfraError } from './errors.ts';
import { vpcCidr } from './vpc-cidr.ts';

/** What an endpoint service name looks like: `com.amazonaws.vpce.<region>.vpce-svc-<id>`. */
export const ENDPOINT_SERVICE_NAME = /^[a-z0-9.-]+\.vpce-svc-[0-9a-f]+$/;

/** The example value in this package's `cdk.json`: it names no real service, so it is refused. */
export const ENDPOINT_SERVICE_NAME_PLACEHOLDER = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0';

/**
 * Why `name` cannot be an endpoint service name, or undefined when it can. A token (an SSM parameter,
 * another stack's output) is only known at deploy time and is accepted as it is.
 */
export function endpointServiceNameProblem(name: string): string | undefined {
  if (Token.isUnresolved(name)) return undefined;
  if (name === ENDPOINT_SERVICE_NAME_PLACEHOLDER) {
    return "is the cdk.json placeholder: set it to the producer stack's EndpointServiceName output";
  }
  if (!ENDPOINT_SERVICE_NAME.test(name)) {
    return `must look like com.amazonaws.vpce.<region>.vpce-svc-<id>, got "${name}"`;
  }
  return undefined;
}

/** The region in a literal endpoint service name (`com.amazonaws.vpce.<region>.vpce-svc-…`), if any. */
function serviceNameRegion(name: string): string | undefined {
  if (Token.isUnresolved(name)) return undefined;
  return /^com\.amazonaws\.vpce\.([a-z0-9-]+)\.vpce-svc-/.exec(name)?.[1];
}

/** How the consumer VPC resolves the API's name to the endpoint's private addresses. */
export type PrivateDnsMode =
  /** The producer's endpoint service has a verified private DNS name; the endpoint turns it on. */
  | { readonly kind: 'endpoint-service' }
  /** A Route 53 private hosted zone for `domainName` with an alias record to the endpoint. */
  | { readonly kind: 'hosted-zone'; readonly domainName: string }
  /** No DNS here: callers use the endpoint's own DNS names (and send the API's Host/SNI). */
  | { readonly kind: 'none' };

/** The client identity secret: created here with a customer-managed KMS key, or imported. */
export type ClientIdentitySecretSpec =
  | {
      readonly kind: 'create';
      /** @default `mtls-link/<stack name>/api-client` */
      readonly secretName?: string;
      /** @default a new key with rotation enabled */
      readonly encryptionKey?: kms.IKey;
    }
  | {
      readonly kind: 'import';
      readonly secretArn: string;
      /** The CMK the secret is encrypted with; needed to grant kms:Decrypt. */
      readonly encryptionKeyArn: string;
    };

export interface PrivateApiConsumerProps {
  readonly vpc: ec2.IVpc;
  /** The producer's endpoint service, e.g. `com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0`. */
  readonly endpointServiceName: string;
  /**
   * Subnets for the endpoint; one per AZ is kept (one endpoint interface per AZ).
   * @default the VPC's private subnets (with egress if any, else isolated)
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Who may open TCP 443 to the endpoint. Nothing else is admitted.
   * @default the VPC's IPv4 CIDR
   */
  readonly allowedPeers?: ec2.IPeer[];
  /** @default { kind: 'none' } */
  readonly privateDns?: PrivateDnsMode;
  /** @default { kind: 'create' } */
  readonly secret?: ClientIdentitySecretSpec;
  /** Roles (in this account) that may read the client identity. @default none */
  readonly consumerRoles?: iam.IRole[];
  /** Emit CfnOutputs for the endpoint id, DNS names and secret ARN. @default true */
  readonly outputs?: boolean;
  /**
   * Region of the endpoint service when it is not this stack's (cross-region PrivateLink; the
   * producer must list this region in the service's allowed regions).
   * @default the region in a literal `endpointServiceName` when it differs from the stack's, else none
   */
  readonly serviceRegion?: string;
}

/**
 * The consumer's end of a private API behind mTLS: an interface VPC endpoint to the producer's
 * endpoint service, its security group, private DNS and the client-identity secret.
 */
export class PrivateApiConsumer extends Construct {
  readonly endpoint: ec2.InterfaceVpcEndpoint;
  readonly securityGroup: ec2.SecurityGroup;
  readonly secret: secretsmanager.ISecret;
  /** The key the secret is encrypted with (ARN form when imported). */
  readonly encryptionKeyArn: string;
  readonly encryptionKey: kms.IKey | undefined;
  readonly hostedZone: route53.PrivateHostedZone | undefined;
  readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: PrivateApiConsumerProps) {
    super(scope, id);
    const problem = endpointServiceNameProblem(props.endpointServiceName);
    if (problem !== undefined) {
      throw new ConsumerInfraError('PROPS_INVALID', `endpointServiceName ${problem}`, {
        field: 'endpointServiceName',
      });
    }
    const stackRegion = Stack.of(this).region;
    const namedRegion = serviceNameRegion(props.endpointServiceName);
    const serviceRegion =
      props.serviceRegion ??
      (namedRegion !== undefined && !Token.isUnresolved(stackRegion) && namedRegion !== stackRegion
        ? namedRegion
        : undefined);
    this.vpc = props.vpc;
    const dns = props.privateDns ?? { kind: 'none' };

    this.securityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: props.vpc,
      description: 'Admits TCP 443 to the private API endpoint from the listed peers only',
      allowAllOutbound: false,
    });
    for (const peer of props.allowedPeers ?? [ec2.Peer.ipv4(vpcCidr(props.vpc))]) {
      this.allowFrom(peer);
    }

    this.endpoint = new ec2.InterfaceVpcEndpoint(this, 'Endpoint', {
      vpc: props.vpc,
      service: new ec2.InterfaceVpcEndpointService(props.endpointServiceName, 443),
      subnets: { ...(props.subnets ?? {}), onePerAz: true },
      securityGroups: [this.securityGroup],
      open: false,
      privateDnsEnabled: dns.kind === 'endpoint-service',
      lookupSupportedAzs: false,
      ...(serviceRegion === undefined ? {} : { serviceRegion }),
    });

    if (dns.kind === 'hosted-zone') {
      this.hostedZone = new route53.PrivateHostedZone(this, 'Zone', {
        zoneName: dns.domainName,
        vpc: props.vpc,
      });
      new route53.ARecord(this, 'ApiAlias', {
        zone: this.hostedZone,
        target: route53.RecordTarget.fromAlias(new targets.InterfaceVpcEndpointTarget(this.endpoint)),
      });
    }

    const spec = props.secret ?? { kind: 'create' };
    const stack = Stack.of(this);
    if (spec.kind === 'create') {
      const key =
        spec.encryptionKey ??
        new kms.Key(this, 'SecretKey', {
          description: 'Encrypts the mTLS client identity (certificate and private key)',
          enableKeyRotation: true,
          removalPolicy: RemovalPolicy.RETAIN,
        });
      this.encryptionKey = key;
      this.encryptionKeyArn = key.keyArn;
      this.secret = new secretsmanager.Secret(this, 'ClientIdentity', {
        // Prefixed with the stack name: the secret is retained, and a fixed name would collide with
        // a second consumer in the same account and region.
        secretName: spec.secretName ?? `mtls-link/${stack.stackName}/api-client`,
        description: 'mTLS client identity (certificate, chain, private key) for the private API',
        encryptionKey: key,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(this.secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The secret holds an X.509 client identity issued by the producer-trusted CA; it is rotated by ' +
          'putting a newly issued certificate and key (the SDK and canary pick up AWSCURRENT), not by a ' +
          'Secrets Manager rotation Lambda, which cannot obtain a certificate from that CA.',
      });
    } else {
      this.encryptionKey = kms.Key.fromKeyArn(this, 'SecretKey', spec.encryptionKeyArn);
      this.encryptionKeyArn = spec.encryptionKeyArn;
      // Imported with its key, so `secret.encryptionKey` names the key for whoever grants on it later.
      this.secret = secretsmanager.Secret.fromSecretAttributes(this, 'ClientIdentity', {
        secretCompleteArn: spec.secretArn,
        encryptionKey: this.encryptionKey,
      });
    }
    for (const role of props.consumerRoles ?? []) {
      this.secret.grantRead(role);
      if (spec.kind === 'import') {
        // grantRead() hands an imported key's decrypt grant to a key policy it cannot change, and
        // drops it: the role's own policy has to carry it.
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [spec.encryptionKeyArn],
            conditions: {
              StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
            },
          }),
        );
      }
    }

    if (props.outputs ?? true) {
      new CfnOutput(this, 'EndpointId', { value: this.endpoint.vpcEndpointId });
      new CfnOutput(this, 'EndpointDnsNames', {
        description: 'hostedZoneId:dnsName pairs: the regional name first, then one per AZ',
        value: Fn.join(',', this.endpoint.vpcEndpointDnsEntries),
      });
      new CfnOutput(this, 'ClientIdentitySecretArn', { value: this.secret.secretArn });
    }
  }

  /** The endpoint's regional DNS name (every AZ's interface). */
  regionalDnsName(): string {
    return regionalEndpointDnsName(this.endpoint);
  }

  /** The endpoint's DNS name in one AZ (that AZ's interface only), e.g. for a per-AZ canary. */
  zonalDnsName(availabilityZone: string): string {
    return zonalEndpointDnsName(this.endpoint, availabilityZone);
  }

  /** Admit TCP 443 to the endpoint from one more peer (a canary's security group, say). */
  allowFrom(peer: ec2.IPeer, description = 'HTTPS to the private API endpoint'): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(443), description);
  }
}
