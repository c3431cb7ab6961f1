// The Elastic Load Balancing names --trust-store-arn uses, loaded on use (see ec2.ts for why not the
// package itself).
export {
  DescribeTrustStoreRevocationsCommand,
  DescribeTrustStoresCommand,
  ElasticLoadBalancingV2Client,
  GetTrustStoreCaCertificatesBundleCommand,
  GetTrustStoreRevocationContentCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
