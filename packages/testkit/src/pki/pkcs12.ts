import { createHash, createHmac, createPrivateKey, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import { TestkitError } from '../errors.ts';
import type { Issued } from './issued.ts';
import { pemToDer } from './pem.ts';

// PKCS#12 (RFC 7292) in the shape OpenSSL 3 writes by default: the key in a PKCS8ShroudedKeyBag
// under PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), certificates in a plain data SafeContents, and an
// HMAC-SHA256 MAC keyed through the PKCS#12 KDF. Node's tls `pfx` option and OpenSSL 3 read it.
const oid = {
  data: '1.2.840.113549.1.7.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  friendlyName: '1.2.840.113549.1.9.20',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

const macIterations = 2048;

export interface Pkcs12Options {
  /** Put the issuing CAs (`issued.chainPem`) into the file as well. @default true */
  includeChain?: boolean;
  /** Friendly name of the key and leaf. @default the leaf subject */
  friendlyName?: string;
}

export async function toPkcs12(
  issued: Issued,
  passphrase: string,
  opts: Pkcs12Options = {},
): Promise<Uint8Array> {
  if (passphrase.length === 0) {
    throw new TestkitError('PKI_PASSPHRASE_MISSING', 'toPkcs12: passphrase must not be empty');
  }
  const leafDer = new Uint8Array(issued.cert.rawData);
  const localKeyId = createHash('sha1').update(leafDer).digest();
  const friendly = opts.friendlyName ?? issued.subject;
  const bagAttributes = () =>
    new asn1js.Set({
      value: [
        attribute(oid.friendlyName, new asn1js.BmpString({ value: friendly })),
        attribute(oid.localKeyId, new asn1js.OctetString({ valueHex: localKeyId })),
      ],
    });

  const encryptedKey = createPrivateKey(issued.keyPem).export({
    type: 'pkcs8',
    format: 'der',
    cipher: 'aes-256-cbc',
    passphrase,
  });
  const keyBag = safeBag(oid.pkcs8ShroudedKeyBag, fromDer(encryptedKey, 'encrypted key'), bagAttributes());

  const chainDers = opts.includeChain === false ? [] : pemToDer(issued.chainPem, 'CERTIFICATE');
  const certBags = [
    safeBag(oid.certBag, certBag(leafDer), bagAttributes()),
    ...chainDers.map((der) => safeBag(oid.certBag, certBag(der))),
  ];

  const authenticatedSafe = new asn1js.Sequence({
    value: [dataContentInfo(sequenceDer([keyBag])), dataContentInfo(sequenceDer(certBags))],
  }).toBER();

  const salt = randomBytes(16);
  const macKey = pkcs12Kdf(passphrase, salt, macIterations, 32);
  const mac = createHmac('sha256', macKey).update(new Uint8Array(authenticatedSafe)).digest();

  const pfx = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 3 }),
      dataContentInfo(authenticatedSafe),
      new asn1js.Sequence({
        value: [
          new asn1js.Sequence({
            value: [
              new asn1js.Sequence({
                value: [new asn1js.ObjectIdentifier({ value: oid.sha256 }), new asn1js.Null()],
              }),
              new asn1js.OctetString({ valueHex: mac }),
            ],
          }),
          new asn1js.OctetString({ valueHex: salt }),
          new asn1js.Integer({ value: macIterations }),
        ],
      }),
    ],
  });
  return new Uint8Array(pfx.toBER());
}

function attribute(type: string, value: asn1js.AsnType): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: type }), new asn1js.Set({ value: [value] })],
  });
}

function explicit0(value: asn1js.AsnType): asn1js.Constructed {
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [value] });
}

function safeBag(bagId: string, value: asn1js.AsnType, attributes?: asn1js.Set): asn1js.Sequence {
  const fields: asn1js.AsnType[] = [new asn1js.ObjectIdentifier({ value: bagId }), explicit0(value)];
  if (attributes) fields.push(attributes);
  return new asn1js.Sequence({ value: fields });
}

function certBag(der: Uint8Array): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: oid.x509Certificate }),
      explicit0(new asn1js.OctetString({ valueHex: der })),
    ],
  });
}

function dataContentInfo(content: ArrayBuffer): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: oid.data }),
      explicit0(new asn1js.OctetString({ valueHex: content })),
    ],
  });
}

function sequenceDer(items: asn1js.AsnType[]): ArrayBuffer {
  return new asn1js.Sequence({ value: items }).toBER();
}

function fromDer(der: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1) {
    throw new TestkitError('PKI_PKCS12_BUILD_FAILED', `toPkcs12: could not parse the ${what}`);
  }
  return parsed.result;
}

/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2) with SHA-256 and ID 3 (MAC key). PBKDF2 cannot
 * stand in: the MAC of a classic PKCS#12 file is keyed this way, with the password as BMPString.
 */
function pkcs12Kdf(passphrase: string, salt: Uint8Array, iterations: number, length: number): Buffer {
  const u = 32;
  const v = 64;
  const password = Buffer.alloc((passphrase.length + 1) * 2);
  for (let i = 0; i < passphrase.length; i++) password.writeUInt16BE(passphrase.charCodeAt(i), i * 2);
  const diversifier = Buffer.alloc(v, 3);
  const stretch = (input: Uint8Array): Buffer => {
    const size = v * Math.ceil(input.length / v);
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i++) out[i] = input[i % input.length] ?? 0;
    return out;
  };
  const block = Buffer.concat([stretch(salt), stretch(password)]);
  const result: Buffer[] = [];
  let produced = 0;
  while (produced < length) {
    let a = createHash('sha256').update(diversifier).update(block).digest();
    for (let i = 1; i < iterations; i++) a = createHash('sha256').update(a).digest();
    result.push(a);
    produced += u;
    if (produced >= length) break;
    const b = stretch(a);
    // I_j = (I_j + B + 1) mod 2^(v*8) for each v-byte block of I.
    for (let j = 0; j < block.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (block[j + k] ?? 0) + (b[k] ?? 0) + carry;
        block[j + k] = sum & 0xff;
        carry = sum >>> 8;
      }
    }
  }
  return Buffer.concat(result).subarray(0, length);
}
