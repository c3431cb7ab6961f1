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
    }
  | {
      readonly kind: 'import';
      readonly vpcId: string;
      readonly vpcCidrBlock: string;
      readonly availabilityZones: string[];
      /** Private subnets, one per AZ in the same order as `availabilityZones`. */
      readonly privateSubnetIds: string[];
    };

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
    restrictDefaultSecurityGroup: false,
  });
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
