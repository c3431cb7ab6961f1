import { readFile } from 'node:fs/promises';
import { ConfigError, IdentityError } from '../../errors/index.ts';
import { loadAsn1ReadersFor } from '../formats/asn1-readers.ts';
import { readIdentityParts } from '../formats/read-identity.ts';
import { RefreshingIdentityProvider, type RefreshOptions } from '../lifecycle/provider.ts';
import type { IdentityProvider, MaterialPart } from '../types.ts';

export type FilesIdentityOptions = RefreshOptions &
  (
    | {
        /** PEM file with the client certificate (may hold the chain too, in any order). */
        readonly cert: string;
        /** PEM file with the private key: PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8. */
        readonly key: string;
        /** PEM file with the intermediates. */
        readonly chain?: string;
        readonly passphrase?: string;
        readonly pfx?: never;
      }
    | {
        /** PKCS#12 file (.p12 / .pfx). */
        readonly pfx: string;
        readonly passphrase?: string;
        readonly cert?: never;
        readonly key?: never;
        readonly chain?: never;
      }
  );

async function readPart(path: string, role: MaterialPart['role']): Promise<MaterialPart> {
  try {
    const bytes = await readFile(path);
    return role === 'pfx'
      ? { field: path, role, bytes }
      : { field: path, role, text: bytes.toString('utf8') };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new IdentityError(
      'IDENTITY_FIELD_MISSING',
      `file ${path} cannot be read (${String(code ?? 'error')})`,
      {
        cause: error,
        details: { source: 'files', field: path },
      },
    );
  }
}

/**
 * An identity in files, re-read on every refresh (so a certificate renewed in place, e.g. by
 * cert-manager or a sidecar, is picked up). Messages name the file path as the field.
 */
export function fromFiles(options: FilesIdentityOptions): IdentityProvider {
  const paths = options.pfx !== undefined ? [options.pfx] : [options.cert, options.key, options.chain];
  if (options.pfx === undefined && (typeof options.cert !== 'string' || typeof options.key !== 'string')) {
    throw new ConfigError('CONFIG_INVALID', 'fromFiles: give { cert, key, chain? } or { pfx } file paths', {
      details: { option: typeof (options as { cert?: unknown }).cert === 'string' ? 'key' : 'cert' },
    });
  }
  const source = `files:${paths.filter((p) => p !== undefined).join(',')}`;
  return new RefreshingIdentityProvider(async ({ now }) => {
    const parts =
      options.pfx !== undefined
        ? [await readPart(options.pfx, 'pfx')]
        : await Promise.all([
            readPart(options.cert, 'cert'),
            readPart(options.key, 'key'),
            ...(options.chain === undefined ? [] : [readPart(options.chain, 'chain')]),
          ]);
    await loadAsn1ReadersFor(parts);
    return readIdentityParts(parts, { source, passphrase: options.passphrase, version: undefined }, { now });
  }, options);
}
