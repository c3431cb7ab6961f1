export * from './client/index.ts';
export * from './errors/index.ts';
export * from './identity/index.ts';
export type { SwapEvent } from './transport/index.ts';
