export type { ServerBinary } from './find-binary.ts';
export { findBinary } from './find-binary.ts';
export { startHaproxy } from './haproxy.ts';
export { startNginx } from './nginx.ts';
export type { MtlsTerminator, MtlsTerminatorOptions, NginxOptions, TlsVersion } from './options.ts';
