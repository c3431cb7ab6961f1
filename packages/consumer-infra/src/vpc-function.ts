import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { managedPolicyFinding } from './nag-findings.ts';

/** A security group for a function that only talks HTTPS out (the private API, AWS service endpoints). */
export function httpsOutSecurityGroup(
  scope: Construct,
  vpc: ec2.IVpc,
  description: string,
): ec2.SecurityGroup {
  const group = new ec2.SecurityGroup(scope, 'SecurityGroup', { vpc, description, allowAllOutbound: false });
  group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS out');
  return group;
}

const vpcAccessPolicy = 'service-role/AWSLambdaVPCAccessExecutionRole';

/**
 * The role of a Lambda function that runs in a VPC: the AWS managed VPC-access policy (its ENI
 * actions support no resource-level restriction), acknowledged for cdk-nag with `reason`. Data
 * access is for the caller to grant, per resource.
 */
export function vpcFunctionRole(scope: Construct, description: string, reason: string): iam.Role {
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(vpcAccessPolicy)],
  });
  Validations.of(role).acknowledge({ id: managedPolicyFinding(vpcAccessPolicy), reason });
  return role;
}
