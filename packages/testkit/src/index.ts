// @peculiar/x509 (used by the PKI and the gateway) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
export type { EndpointRequest, EndpointResponse, LocalEndpoint } from './aws/http-endpoint.ts';
export { localAccountId, localAwsCredentials, localAwsRegion } from './aws/http-endpoint.ts';
export type {
  InjectedFault,
  LocalSecretsManager,
  SecretsManagerCall,
  SecretValue,
  SeedSecret,
} from './aws/secrets-manager.ts';
export { startSecretsManager } from './aws/secrets-manager.ts';
export * from './errors.ts';
export * from './pki/index.ts';
