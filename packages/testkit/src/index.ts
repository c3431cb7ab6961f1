// @peculiar/x509 (used by the PKI and the gateway) needs the Reflect metadata API before it loads.
import 'reflect-metadata';

export type { AcmPcaCall, AcmPcaOptions, IssuedByPca, LocalAcmPca } from './aws/acm-pca.ts';
export { startAcmPca } from './aws/acm-pca.ts';
export type {
  Ec2State,
  EniSeed,
  IpPermissionSeed,
  LocalEc2,
  SgSeed,
  VpcEndpointSeed,
  VpcEndpointState,
} from './aws/ec2.ts';
export { startEc2 } from './aws/ec2.ts';
export type { LocalElbv2, TrustStoreSeed } from './aws/elbv2.ts';
export { startElbv2 } from './aws/elbv2.ts';
export type { EndpointRequest, EndpointResponse, LocalEndpoint } from './aws/http-endpoint.ts';
export {
  localAccountId,
  localAwsClientConfig,
  localAwsCredentials,
  localAwsRegion,
} from './aws/http-endpoint.ts';
export type {
  LambdaInvocation,
  LocalFunction,
  LocalLambda,
  LocalLambdaContext,
  LocalLambdaHandler,
} from './aws/lambda.ts';
export { startLambda } from './aws/lambda.ts';
export type { LambdaSecretsExtensionOptions, LocalLambdaSecretsExtension } from './aws/lambda-extension.ts';
export { startLambdaSecretsExtension } from './aws/lambda-extension.ts';
export type { LocalS3 } from './aws/s3.ts';
export { startS3 } from './aws/s3.ts';
export type {
  InjectedFault,
  LocalSecretsManager,
  RotationEvent,
  RotationFunction,
  RotationOutcome,
  RotationStep,
  SecretsManagerCall,
  SecretValue,
  SeedSecret,
} from './aws/secrets-manager.ts';
export { startSecretsManager } from './aws/secrets-manager.ts';
export type { DnsQuery, DnsRecord, DnsServerOptions, LocalDnsServer } from './dns/server.ts';
export { startDnsServer } from './dns/server.ts';
export * from './errors.ts';
export * from './gateway/index.ts';
export * from './pki/index.ts';
export {
  identitySecret,
  type LocalProducer,
  type LocalProducerOptions,
  startLocalProducer,
} from './producer/local-producer.ts';
export * from './servers/index.ts';
