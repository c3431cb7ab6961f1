// The S3 names an s3:// CRL location uses, loaded on use (see ec2.ts for why not the package itself).
export { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
