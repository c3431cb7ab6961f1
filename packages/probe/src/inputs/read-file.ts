import { readFile } from 'node:fs/promises';
import { ProbeError } from '../errors.ts';

/** Reads a file named by an option; failure is a ProbeError naming the option and path (exit 2). */
export async function readOptionFile(option: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ProbeError('CONFIG_INVALID', `${option}: cannot read ${path} (${code})`, {
      cause: error,
      details: { option, path },
    });
  }
}

/** Bytes that may be PEM text or DER: PEM stays text, DER becomes base64 (which the SDK's readers accept). */
export function pemOrBase64(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('latin1');
  return text.includes('-----BEGIN ') ? text : Buffer.from(bytes).toString('base64');
}

export function countCertificates(pem: string): number {
  return pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
}
