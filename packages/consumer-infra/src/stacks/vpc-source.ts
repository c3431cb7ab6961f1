import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * Where a stack's VPC comes from. Both forms are fully known at synth time: no context lookups, so
 * synthesis works offline and gives the same template every time.
 */
export type VpcSource =
  | {
      readonly kind: 'create';
      /** e.g. `10.20.0.0/16` */
      readonly cidr: string;
      /** e.g. `['eu-west-1a', 'eu-west-1b']`; one private subnet per AZ. */
      readonly availabilityZones: string[];
      /**
       * The same AZs by ID (`euw1-az1`…, same order). AZ names map to different physical AZs in
       * different accounts; PrivateLink pairs AZs by ID. Given, the subnets are placed by ID (the
       * names stay labels) and the app checks the consumer's IDs against the producer's.
       * @default placed by name
       */
      readonly availabilityZoneIds?: string[];
    }
  | {
      readonly kind: 'import';
      readonly vpcId: string;
      readonly vpcCidrBlock: string;
      readonly availabilityZones: string[];
      /** Private subnets, one per AZ in the same order as `availabilityZones`. */
      readonly privateSubnetIds: string[];
      /** The same AZs by ID, for the app's alignment check. @default not checked */
      readonly availabilityZoneIds?: string[];
    };

/** What an AZ ID looks like: `euw1-az1`, `use1-az6`, `apne1-az4`. */
export const AVAILABILITY_ZONE_ID = /^[a-z]{2,5}\d+-az\d+$/;

/** Creates (isolated subnets, flow logs on) or imports by attributes the VPC a stack runs in. */
export function vpcFromSource(scope: Construct, id: string, source: VpcSource): ec2.IVpc {
  if (source.kind === 'import') {
    return ec2.Vpc.fromVpcAttributes(scope, id, {
      vpcId: source.vpcId,
      vpcCidrBlock: source.vpcCidrBlock,
      availabilityZones: source.availabilityZones,
      isolatedSubnetIds: source.privateSubnetIds,
    });
  }
  const vpc = new ec2.Vpc(scope, id, {
    ipAddresses: ec2.IpAddresses.cidr(source.cidr),
    availabilityZones: source.availabilityZones,
    natGateways: 0,
    subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    // The default security group admits everything within itself; nothing here uses it.
    restrictDefaultSecurityGroup: true,
  });
  const ids = source.availabilityZoneIds;
  if (ids !== undefined) {
    for (const subnet of vpc.isolatedSubnets) {
      const cfn = subnet.node.defaultChild;
      const id = ids[source.availabilityZones.indexOf(subnet.availabilityZone)];
      if (cfn instanceof ec2.CfnSubnet && id !== undefined) {
        cfn.availabilityZone = undefined;
        cfn.availabilityZoneId = id;
      }
    }
  }
  Validations.of(vpc).acknowledge({
    id: 'CloudFormation-Validate::W3010',
    reason: 'The AZs are named in the VPC source on purpose: synthesis makes no account lookups.',
  });
  vpc.addFlowLog('FlowLog', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(
      new logs.LogGroup(scope, `${id}FlowLogs`, {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    ),
  });
  return vpc;
}
