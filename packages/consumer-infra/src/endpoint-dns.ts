import { Aws, Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * The endpoint's regional DNS name, `vpce-<id>-<suffix>.vpce-svc-<id>.<region>.vpce.<suffix>`: the
 * first of its DNS entries (`hostedZoneId:dnsName`). It resolves to the interface of every AZ.
 */
export function regionalEndpointDnsName(endpoint: ec2.InterfaceVpcEndpoint): string {
  return Fn.select(1, Fn.split(':', Fn.select(0, endpoint.vpcEndpointDnsEntries)));
}

/**
 * The endpoint's zonal DNS name in one AZ: the regional name with `-<az name>` after its first label,
 * which resolves to that AZ's interface only. Built from the regional name rather than picked from
 * the DNS entries, whose order says nothing about the AZ.
 */
export function zonalEndpointDnsName(endpoint: ec2.InterfaceVpcEndpoint, availabilityZone: string): string {
  const labels = Fn.split('.', regionalEndpointDnsName(endpoint));
  const label = (i: number) => Fn.select(i, labels);
  // <first label>-<az>.vpce-svc-<id>.<service region>.vpce.<partition's URL suffix>
  return Fn.join('', [
    label(0),
    '-',
    availabilityZone,
    '.',
    label(1),
    '.',
    label(2),
    '.',
    label(3),
    '.',
    Aws.URL_SUFFIX,
  ]);
}

/**
 * The AZ name a subnet is in, as CloudFormation will place it: a subnet created by AZ ID (see
 * `VpcSource.availabilityZoneIds`) reports its name only at deploy time.
 */
export function subnetAvailabilityZone(subnet: ec2.ISubnet): string {
  const cfn = subnet.node.defaultChild;
  if (cfn instanceof ec2.CfnSubnet && cfn.availabilityZoneId !== undefined) return cfn.attrAvailabilityZone;
  return subnet.availabilityZone;
}
