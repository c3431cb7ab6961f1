// The EC2 names --vpc-endpoint-id uses, loaded on use. The options import this module rather than
// the package itself: esbuild keeps the whole of a module imported dynamically from a package, so
// the split bundle's chunk would hold every EC2 command; through these few re-exports it holds the
// ones named here.
export {
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
