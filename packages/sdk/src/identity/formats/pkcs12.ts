import { createPrivateKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AuthenticatedSafe,
  type CertBag,
  type ContentInfo,
  EncryptedData,
  PFX,
  type SafeBag,
  SafeContents,
} from 'pkijs';
import { IdentityError } from '../../errors/index.ts';
import {
  decryptWithPassword,
  integerValue,
  octets,
  PasswordEncryptionError,
  verifyPkcs12Mac,
} from './password-encryption.ts';
import {
  decryptKeyDer,
  guardIterations,
  type KeySource,
  passphraseMissing,
  passphraseWrong,
} from './private-key.ts';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
} as const;

export interface Pkcs12Contents {
  readonly keys: KeyObject[];
  readonly certificates: Buffer[];
}

function malformed(where: KeySource, why: string): IdentityError {
  return new IdentityError(
    'IDENTITY_PEM_INVALID',
    `${where.source}: field ${where.field}: not a readable PKCS#12 file (${why})`,
    {
      details: { source: where.source, field: where.field, format: 'pkcs12' },
    },
  );
}

function parse<T>(make: () => T, where: KeySource, what: string): T {
  try {
    return make();
  } catch {
    throw malformed(where, `${what} does not parse`);
  }
}

function ber(bytes: Uint8Array, where: KeySource, what: string): asn1js.AsnType {
  // fromBER reports most damage through offset -1 but throws on some (a GeneralizedTime that is not a time).
  const parsed = parse(() => asn1js.fromBER(bytes), where, what);
  if (parsed.offset === -1 || parsed.offset !== bytes.byteLength)
    throw malformed(where, `${what} is not DER`);
  return parsed.result;
}

/**
 * Reads a PKCS#12 (PFX): verifies the MAC with the passphrase when there is one, decrypts
 * PBES2/PKCS#12-PBE encrypted bags with node:crypto, and returns the keys and certificates.
 */
export function readPkcs12(
  bytes: Uint8Array,
  passphrase: string | undefined,
  where: KeySource,
): Pkcs12Contents {
  const root = ber(bytes, where, 'the file');
  const pfx = parse(() => new PFX({ schema: root }), where, 'the PFX structure');
  if (pfx.authSafe.contentType !== OID.data)
    throw malformed(where, 'only password-integrity PKCS#12 is supported');
  const authSafeBytes = parse(() => octets(pfx.authSafe.content), where, 'the authenticated safe');

  if (pfx.macData) {
    if (passphrase === undefined) throw passphraseMissing(where, 'the PKCS#12 file');
    const mac = pfx.macData;
    const ok = guarded(where, () =>
      verifyPkcs12Mac(
        mac.mac.digestAlgorithm.algorithmId,
        passphrase,
        octets(mac.macSalt),
        macIterations(root),
        authSafeBytes,
        octets(mac.mac.digest),
      ),
    );
    if (!ok) throw passphraseWrong(where, 'the PKCS#12 file (its MAC does not verify)');
  }

  const authSafe = parse(
    () => new AuthenticatedSafe({ schema: ber(authSafeBytes, where, 'the authenticated safe') }),
    where,
    'the authenticated safe',
  );
  const keys: KeyObject[] = [];
  const certificates: Buffer[] = [];
  for (const info of authSafe.safeContents) {
    for (const bag of safeBags(info, passphrase, where)) {
      if (bag.bagId === OID.certBag) {
        const certBag = bag.bagValue as unknown as CertBag;
        if (certBag.certId !== OID.x509Certificate) continue;
        const value = certBag.certValue as unknown;
        const der =
          value instanceof asn1js.OctetString
            ? Buffer.from(octets(value))
            : Buffer.from(
                parse(
                  () => (value as { toSchema(): asn1js.AsnType }).toSchema().toBER(false),
                  where,
                  'a certificate bag',
                ),
              );
        certificates.push(der);
      } else if (bag.bagId === OID.shroudedKeyBag) {
        if (passphrase === undefined) throw passphraseMissing(where, 'the PKCS#12 key bag');
        const der = new Uint8Array(
          parse(
            () => (bag.bagValue as unknown as { toSchema(): asn1js.AsnType }).toSchema().toBER(false),
            where,
            'the key bag',
          ),
        );
        guardIterations(der, where);
        keys.push(decryptKeyDer(der, passphrase, where));
      } else if (bag.bagId === OID.keyBag) {
        const der = parse(
          () => (bag.bagValue as unknown as { toSchema(): asn1js.AsnType }).toSchema().toBER(false),
          where,
          'the key bag',
        );
        keys.push(
          parse(
            () => createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }),
            where,
            'the key bag',
          ),
        );
      }
    }
  }
  return { keys, certificates };
}

/** MacData's iterations (DEFAULT 1), read from the raw INTEGER: pkijs reads four-byte values as 0. */
function macIterations(root: asn1js.AsnType): number {
  const macData = (root as asn1js.Sequence).valueBlock.value[2];
  const iterations = macData instanceof asn1js.Sequence ? macData.valueBlock.value[2] : undefined;
  return iterations === undefined ? 1 : integerValue(iterations);
}

function safeBags(info: ContentInfo, passphrase: string | undefined, where: KeySource): SafeBag[] {
  let contents: Uint8Array;
  if (info.contentType === OID.data) {
    contents = parse(() => octets(info.content), where, 'a safe');
  } else if (info.contentType === OID.encryptedData) {
    if (passphrase === undefined) throw passphraseMissing(where, 'the PKCS#12 file');
    const encrypted = parse(() => new EncryptedData({ schema: info.content }), where, 'an encrypted safe');
    const { contentEncryptionAlgorithm, encryptedContent } = encrypted.encryptedContentInfo;
    if (!encryptedContent) throw malformed(where, 'an encrypted safe has no content');
    const ciphertext = parse(() => octets(encryptedContent), where, 'an encrypted safe');
    contents = guarded(where, () => decryptWithPassword(contentEncryptionAlgorithm, ciphertext, passphrase));
  } else {
    throw malformed(where, 'public-key encrypted safes are not supported');
  }
  return parse(() => new SafeContents({ schema: ber(contents, where, 'a safe') }), where, 'a safe').safeBags;
}

function guarded<T>(where: KeySource, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof PasswordEncryptionError)) throw error;
    if (error.reason === 'bad-decrypt') throw passphraseWrong(where, 'the PKCS#12 file');
    throw malformed(where, error.message);
  }
}
