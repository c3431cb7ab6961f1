import { awsRequestHandler } from '../aws-request-handler.ts';
import type { CrlInput } from '../context.ts';
import { pemOrBase64, readOptionFile } from './read-file.ts';

export interface CrlSourceOptions {
  readonly s3Endpoint?: string;
  readonly region: string;
  readonly timeoutMs: number;
}

/** Fetches a URL (a pre-signed S3 location or an https CRL distribution point) as bytes. */
export async function fetchBytes(url: string, timeoutMs: number): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${new URL(url).host}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fromS3(location: string, options: CrlSourceOptions): Promise<Uint8Array> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match?.[1] || !match[2]) throw new Error('expected s3://bucket/key');
  const { GetObjectCommand, S3Client } = await import('../aws/s3.ts');
  const client = new S3Client({
    region: options.region,
    maxAttempts: 2,
    ...awsRequestHandler(),
    ...(options.s3Endpoint === undefined ? {} : { endpoint: options.s3Endpoint, forcePathStyle: true }),
  });
  try {
    const output = await client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }), {
      abortSignal: AbortSignal.timeout(options.timeoutMs),
    });
    if (output.Body === undefined) throw new Error('empty object');
    return await output.Body.transformToByteArray();
  } finally {
    client.destroy();
  }
}

/**
 * Obtains one CRL. A file that cannot be read stops the run (exit 2: a bad option); a remote
 * location that cannot be fetched is a finding of revocation.crl (CRL_UNAVAILABLE).
 */
export async function loadCrl(location: string, options: CrlSourceOptions): Promise<CrlInput> {
  const remote =
    location.startsWith('s3://') || location.startsWith('https://') || location.startsWith('http://');
  if (!remote) return { source: location, pem: pemOrBase64(await readOptionFile('--crl', location)) };
  try {
    const bytes = location.startsWith('s3://')
      ? await fromS3(location, options)
      : await fetchBytes(location, options.timeoutMs);
    return { source: location, pem: pemOrBase64(bytes) };
  } catch (error) {
    // fetch() says only "fetch failed"; the reason (ECONNREFUSED, a certificate error) is its cause.
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const reason = e.cause?.code ?? e.cause?.message;
    return {
      source: location,
      error: `cannot fetch: ${e.name === 'Error' || e.name === 'TypeError' ? '' : `${e.name}: `}${e.message}${reason === undefined ? '' : ` (${reason})`}`,
    };
  }
}
