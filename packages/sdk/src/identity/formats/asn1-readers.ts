import { createRequire } from 'node:module';
import { onDemand } from '../on-demand.ts';
import type { IdentityMaterial, MaterialPart } from '../types.ts';
import { detectParts } from './read-identity.ts';

type Pkcs12Reader = typeof import('./pkcs12.ts');
type KeyEncryption = typeof import('./password-encryption.ts');

interface Asn1Readers {
  readonly pkcs12: Pkcs12Reader;
  readonly encryption: KeyEncryption;
}

const readers = onDemand<Asn1Readers>(
  async () => {
    const [pkcs12, encryption] = await Promise.all([
      import('./pkcs12.ts'),
      import('./password-encryption.ts'),
    ]);
    return { pkcs12, encryption };
  },
  () => {
    const require = createRequire(import.meta.url);
    // The published package runs the compiled .js; tests run the TypeScript sources.
    const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    return {
      pkcs12: require(`./pkcs12${extension}`) as Pkcs12Reader,
      encryption: require(`./password-encryption${extension}`) as KeyEncryption,
    };
  },
);

/**
 * Loads the PKCS#12 and encrypted-key readers, which stand on pkijs and asn1js (about 45 ms to
 * load): only an identity that is a PKCS#12 file or an encrypted private key needs them, so the SDK
 * loads them on first use, as the AWS SDK loads its clients. The identity sources call this before
 * they read such material; a direct `readIdentity()` of it loads them synchronously instead.
 */
export function loadAsn1Readers(): Promise<void> {
  return readers.load();
}

/**
 * Whether this material could need the readers: PKCS#12 bytes or a PKCS#12 field, an encrypted
 * private key (`ENCRYPTED PRIVATE KEY`, or legacy `Proc-Type: 4,ENCRYPTED`), or text that is not
 * PEM (base64 or DER could hide either). Over-inclusive is fine (the readers only load earlier);
 * a plain PEM identity must not match by chance: its base64 holds any three letters somewhere.
 */
export function mayNeedAsn1Readers(material: IdentityMaterial | readonly MaterialPart[]): boolean {
  let parts: readonly MaterialPart[];
  if (Array.isArray(material)) parts = material as readonly MaterialPart[];
  else {
    try {
      ({ parts } = detectParts(material as IdentityMaterial));
    } catch {
      // Material that cannot be read at all: reading it will say why, without the readers.
      return false;
    }
  }
  return parts.some(
    (p) =>
      p.role === 'pfx' ||
      p.bytes !== undefined ||
      (p.text !== undefined && (p.text.includes('ENCRYPTED') || !p.text.includes('-----BEGIN'))),
  );
}

/** Loads the readers when this material could need them (see mayNeedAsn1Readers). */
export async function loadAsn1ReadersFor(
  material: IdentityMaterial | readonly MaterialPart[],
): Promise<void> {
  if (mayNeedAsn1Readers(material)) await loadAsn1Readers();
}

/** The readers, loading them synchronously when nothing loaded them yet. */
export function asn1Readers(): Asn1Readers {
  return readers.get();
}

/** Does this look like a DER PFX at all (an outer SEQUENCE)? Cheap, for format detection. */
export function looksLikePkcs12(bytes: Uint8Array): boolean {
  return bytes.length > 16 && bytes[0] === 0x30;
}
