// Names read "CN=…, O=…" as the CRL issuers the SDK reports do.
import { DN_ATTRIBUTE_NAMES } from '@mtls-link/sdk/diagnostics';

interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
  readonly end: number;
}

function readTlv(der: Buffer, offset: number): Tlv {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated DER');
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 3) throw new Error('unsupported DER length');
    length = der.readUIntBE(start, bytes);
    start += bytes;
  }
  const end = start + length;
  if (end > der.length) throw new Error('truncated DER');
  return { tag, value: der.subarray(start, end), end };
}

function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < value.length; ) {
    const tlv = readTlv(value, offset);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

function oidText(value: Buffer): string {
  const first = value[0] ?? 0;
  const arcs = [Math.floor(first / 40), first % 40];
  let arc = 0;
  for (const byte of value.subarray(1)) {
    arc = arc * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0;
    }
  }
  return arcs.join('.');
}

/**
 * A DER X.501 Name (as a TLS CertificateRequest lists them) as `CN=…, O=…` in the order it is
 * encoded. Node has no public decoder for a bare Name; this reads only SEQUENCE/SET/OID/string.
 */
export function formatDerName(der: Buffer): string {
  const name = readTlv(der, 0);
  if (name.tag !== 0x30) throw new Error('a Name is a SEQUENCE');
  return children(name.value)
    .flatMap((rdn) => children(rdn.value))
    .map((attribute) => {
      const [type, value] = children(attribute.value);
      if (type === undefined || value === undefined) throw new Error('an attribute needs a type and a value');
      const oid = oidText(type.value);
      // BMPString is UTF-16BE; every other string type CA names use reads as UTF-8.
      const text =
        value.tag === 0x1e
          ? Buffer.from(value.value).swap16().toString('utf16le')
          : value.value.toString('utf8');
      return `${DN_ATTRIBUTE_NAMES[oid] ?? oid}=${text}`;
    })
    .join(', ');
}
