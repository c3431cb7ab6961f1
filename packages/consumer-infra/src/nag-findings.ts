/**
 * The id of cdk-nag's AwsSolutions-IAM4 finding for a role holding one AWS managed policy, e.g.
 * `service-role/AWSLambdaBasicExecutionRole`. The acknowledgement names the policy, so another
 * managed policy added to the same role is still reported.
 */
export function managedPolicyFinding(policyName: string): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyName}]`;
}
