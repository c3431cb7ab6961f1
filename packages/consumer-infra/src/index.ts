export { type ApiRoute, addApiRoutes } from './api-routes.ts';
export { addMtlsLinkStacks, type MtlsLinkAppOptions } from './app.ts';
export {
  CONTEXT_KEYS,
  type ContextKey,
  checkAzAlignment,
  consumerPropsFromContext,
  producerPropsFromContext,
} from './app-context.ts';
export {
  bundleCanary,
  bundleCanaryOnce,
  type CanaryBundle,
  type CanaryBundleOptions,
  DEFAULT_CANARY_ENTRY,
  removeCanaryBundles,
} from './canary-bundle.ts';
export { CANARY_ENVIRONMENT } from './canary-environment.ts';
export { CANARY_METRICS, type CanaryMetricName } from './canary-metrics.ts';
export { regionalEndpointDnsName, subnetAvailabilityZone, zonalEndpointDnsName } from './endpoint-dns.ts';
export { ConsumerInfraError, type ConsumerInfraErrorCode, isConsumerInfraError } from './errors.ts';
export { ExampleBackend, type ExampleBackendProps } from './example-backend.ts';
export { MtlsPrivateApi, type MtlsPrivateApiProps, type TrustStoreSource } from './mtls-private-api.ts';
export {
  type ClientIdentitySecretSpec,
  ENDPOINT_SERVICE_NAME,
  ENDPOINT_SERVICE_NAME_PLACEHOLDER,
  endpointServiceNameProblem,
  PrivateApiConsumer,
  type PrivateApiConsumerProps,
  type PrivateDnsMode,
} from './private-api-consumer.ts';
export { type CanaryInstance, type CrlLocation, ProbeCanary, type ProbeCanaryProps } from './probe-canary.ts';
export {
  type ConsumerCanaryOptions,
  ConsumerStack,
  type ConsumerStackProps,
} from './stacks/consumer-stack.ts';
export { ProducerStack, type ProducerStackProps } from './stacks/producer-stack.ts';
export { AVAILABILITY_ZONE_ID, type VpcSource, vpcFromSource } from './stacks/vpc-source.ts';
