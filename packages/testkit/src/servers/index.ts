export type { ServerBinary } from './find-binary.ts';
export { findBinary } from './find-binary.ts';
export { startHaproxy } from './haproxy.ts';
export type { DockerAvailableOptions, DockerStatus, LocalStack, LocalStackOptions } from './localstack.ts';
export { dockerAvailable, startLocalStack } from './localstack.ts';
export { startNginx } from './nginx.ts';
export type { MtlsTerminator, MtlsTerminatorOptions, NginxOptions, TlsVersion } from './options.ts';
