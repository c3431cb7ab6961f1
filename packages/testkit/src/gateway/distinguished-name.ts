import * as asn1js from 'asn1js';

/**
 * Short names RFC 2253 section 2.3 defines, plus `emailAddress`, which OpenSSL's RFC 2253 output
 * (`-nameopt RFC2253`) also prints by name. Anything else is printed as `OID=#hex(DER)`.
 */
const shortNames: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function escapeValue(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    const char = String.fromCharCode(byte);
    const first = i === 0;
    const last = i === bytes.length - 1;
    if (byte >= 0x80 || byte < 0x20 || byte === 0x7f) {
      // Like OpenSSL's ESC_MSB | ESC_CTRL: every non-ASCII UTF-8 byte as \XX, so the header stays ASCII.
      out += `\\${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else if (
      ',+"\\<>;'.includes(char) ||
      (first && (char === '#' || char === ' ')) ||
      (last && char === ' ')
    ) {
      out += `\\${char}`;
    } else {
      out += char;
    }
  }
  return out;
}

function attributeValue(value: asn1js.AsnType): string | undefined {
  if (value instanceof asn1js.BmpString || value instanceof asn1js.UniversalString) return value.getValue();
  if (
    value instanceof asn1js.Utf8String ||
    value instanceof asn1js.PrintableString ||
    value instanceof asn1js.IA5String ||
    value instanceof asn1js.TeletexString ||
    value instanceof asn1js.VisibleString ||
    value instanceof asn1js.NumericString
  ) {
    return value.getValue();
  }
  return undefined;
}

/**
 * Formats a DER-encoded X.501 Name as RFC 2253 does: the most specific RDN first, RDNs separated by
 * `,` without spaces, multi-valued RDNs joined by `+`, special characters escaped.
 */
export function formatRfc2253(nameDer: Uint8Array): string {
  const parsed = asn1js.fromBER(nameDer);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) {
    throw new Error('not a DER-encoded distinguished name');
  }
  const rdns: string[] = [];
  for (const rdn of parsed.result.valueBlock.value) {
    if (!(rdn instanceof asn1js.Set)) throw new Error('distinguished name: RDN is not a SET');
    const parts: string[] = [];
    for (const atv of rdn.valueBlock.value) {
      if (!(atv instanceof asn1js.Sequence))
        throw new Error('distinguished name: attribute is not a SEQUENCE');
      const [type, value] = atv.valueBlock.value;
      if (!(type instanceof asn1js.ObjectIdentifier) || value === undefined) {
        throw new Error('distinguished name: attribute without type or value');
      }
      const oid = type.getValue();
      const text = attributeValue(value);
      const name = shortNames[oid];
      if (name !== undefined && text !== undefined) {
        parts.push(`${name}=${escapeValue(text)}`);
      } else {
        parts.push(`${oid}=#${Buffer.from(value.valueBeforeDecodeView).toString('hex').toUpperCase()}`);
      }
    }
    rdns.push(parts.join('+'));
  }
  return rdns.reverse().join(',');
}
