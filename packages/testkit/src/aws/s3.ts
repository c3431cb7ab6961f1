import { createHash, createHmac } from 'node:crypto';
import {
  type EndpointRequest,
  type EndpointResponse,
  type LocalEndpoint,
  localAwsCredentials,
  localAwsRegion,
  startHttpEndpoint,
} from './http-endpoint.ts';
import { escapeXml } from './query-protocol.ts';

export interface LocalS3 extends LocalEndpoint {
  /** Requests in arrival order. */
  readonly requests: { method: string; bucket: string; key: string; status: number }[];
  putObject(bucket: string, key: string, body: string | Uint8Array): void;
  getObject(bucket: string, key: string): Uint8Array | undefined;
  /**
   * A path-style URL carrying SigV4 pre-signed query parameters, like the `Location` ELBv2 returns.
   * The local S3 serves it without checking the signature.
   */
  presign(bucket: string, key: string, opts?: { expiresInSeconds?: number }): string;
}

interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly modified: Date;
}

const xmlError = (
  status: number,
  code: string,
  message: string,
  requestId: string,
  extra = '',
): EndpointResponse => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${extra}<RequestId>${requestId}</RequestId></Error>`,
});

/**
 * Decodes an `aws-chunked` body (what the SDK sends for streamed uploads with trailing checksums):
 * `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` … `0\r\n<trailers>\r\n\r\n`.
 */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Splits a path-style URL into bucket and (decoded) key. */
function locate(url: URL): { bucket: string; key: string } {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  return { bucket: decodeURIComponent(bucket), key: rest.map(decodeURIComponent).join('/') };
}

/**
 * A local S3 answering path-style GetObject, HeadObject and PutObject (`forcePathStyle: true` in the
 * SDK). Signatures, SigV4 headers and pre-signed query parameters are accepted and not checked.
 */
export async function startS3(
  opts: { objects?: Record<string, string | Uint8Array> } = {},
): Promise<LocalS3> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const requests: LocalS3['requests'] = [];

  const putObject = (bucket: string, key: string, body: string | Uint8Array) => {
    const bytes = Buffer.from(body);
    const objects = buckets.get(bucket) ?? new Map<string, StoredObject>();
    buckets.set(bucket, objects);
    objects.set(key, {
      body: bytes,
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      modified: new Date(),
    });
  };
  for (const [path, body] of Object.entries(opts.objects ?? {})) {
    const slash = path.indexOf('/');
    putObject(path.slice(0, slash), path.slice(slash + 1), body);
  }

  const answer = (request: EndpointRequest, bucket: string, key: string): EndpointResponse => {
    const objects = buckets.get(bucket);
    if (request.method === 'PUT' && key !== '') {
      const encoded = String(request.headers['content-encoding'] ?? '').includes('aws-chunked');
      putObject(bucket, key, encoded ? decodeAwsChunked(request.body) : request.body);
      return { status: 200, headers: { etag: buckets.get(bucket)?.get(key)?.etag ?? '' } };
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return xmlError(
        405,
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
        request.requestId,
      );
    }
    if (!objects) {
      return xmlError(
        404,
        'NoSuchBucket',
        'The specified bucket does not exist',
        request.requestId,
        `<BucketName>${escapeXml(bucket)}</BucketName>`,
      );
    }
    const object = objects.get(key);
    if (!object) {
      return xmlError(
        404,
        'NoSuchKey',
        'The specified key does not exist.',
        request.requestId,
        `<Key>${escapeXml(key)}</Key>`,
      );
    }
    const headers = {
      'content-type': 'application/octet-stream',
      etag: object.etag,
      'last-modified': object.modified.toUTCString(),
      'accept-ranges': 'bytes',
    };
    if (request.method === 'HEAD')
      return { status: 200, headers: { ...headers, 'content-length': String(object.body.byteLength) } };
    return { status: 200, headers, body: object.body };
  };

  const endpoint = await startHttpEndpoint((request) => {
    const { bucket, key } = locate(request.url);
    const response = answer(request, bucket, key);
    requests.push({ method: request.method, bucket, key, status: response.status });
    // HEAD answers carry the object's length but no body.
    if (request.method === 'HEAD') return { ...response, body: '' };
    return response;
  });

  return {
    ...endpoint,
    requests,
    putObject,
    getObject: (bucket, key) => {
      const body = buckets.get(bucket)?.get(key)?.body;
      return body === undefined ? undefined : new Uint8Array(body);
    },
    presign(bucket, key, presignOpts = {}) {
      const now = new Date();
      const amzDate = now
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
      const path = `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
      const query = new URLSearchParams({
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Credential': `${localAwsCredentials.accessKeyId}/${amzDate.slice(0, 8)}/${localAwsRegion}/s3/aws4_request`,
        'X-Amz-Date': amzDate,
        'X-Amz-Expires': String(presignOpts.expiresInSeconds ?? 900),
        'X-Amz-SignedHeaders': 'host',
      });
      // Looks like a signature and changes with the URL; nobody verifies it locally.
      const signature = createHmac('sha256', localAwsCredentials.secretAccessKey)
        .update(`${path}?${query}`)
        .digest('hex');
      query.set('X-Amz-Signature', signature);
      return `${endpoint.endpoint}${path}?${query}`;
    },
  };
}
