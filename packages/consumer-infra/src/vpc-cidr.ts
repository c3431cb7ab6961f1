import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * The VPC's IPv4 CIDR as a literal when it is known at synth time (a VPC created in this app holds
 * it on its CfnVPC), else the token. Literal peers keep security-group rules readable and let
 * cdk-nag judge them.
 */
export function vpcCidr(vpc: ec2.IVpc): string {
  if (!Token.isUnresolved(vpc.vpcCidrBlock)) return vpc.vpcCidrBlock;
  const cfn = vpc.node.defaultChild;
  if (cfn instanceof ec2.CfnVPC && typeof cfn.cidrBlock === 'string' && !Token.isUnresolved(cfn.cidrBlock)) {
    return cfn.cidrBlock;
  }
  return vpc.vpcCidrBlock;
}
