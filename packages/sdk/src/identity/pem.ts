import { IdentityError } from '../errors/index.ts';

/** One `-----BEGIN X-----` block, decoded. */
export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
  /** The block as text, headers kept (legacy encrypted PEM keys need their DEK-Info header). */
  readonly text: string;
  /** Legacy OpenSSL encryption (`Proc-Type: 4,ENCRYPTED`). */
  readonly legacyEncrypted: boolean;
  readonly field: string;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * PEM pasted into JSON or a console often arrives with literal `\n` escapes (two characters) or CRLF
 * line ends; both are turned into plain newlines.
 */
function normalizePemText(text: string): string {
  return text.replace(/\\r\\n|\\n|\\r/g, '\n').replace(/\r\n?/g, '\n');
}

export function hasPemBlock(text: string): boolean {
  return text.includes(BEGIN);
}

/**
 * Splits text into PEM blocks with a linear scan (no backtracking regex: secrets can be large and
 * hostile). Throws IDENTITY_PEM_INVALID naming `field` for an unterminated block, a label mismatch
 * or a body that is not base64.
 */
export function splitPemBlocks(input: string, field: string, source: string): PemBlock[] {
  const text = normalizePemText(input);
  const blocks: PemBlock[] = [];
  let at = text.indexOf(BEGIN);
  while (at !== -1) {
    const labelEnd = text.indexOf(DASHES, at + BEGIN.length);
    const lineEnd = text.indexOf('\n', at);
    if (labelEnd === -1 || (lineEnd !== -1 && labelEnd > lineEnd)) {
      throw pemInvalid(field, source, 'a BEGIN line is not closed by five dashes');
    }
    const label = text.slice(at + BEGIN.length, labelEnd);
    if (!/^[A-Z0-9 #]{1,40}$/.test(label)) {
      throw pemInvalid(field, source, 'a BEGIN line has an unexpected label');
    }
    const endMarker = `${END}${label}${DASHES}`;
    const endAt = text.indexOf(endMarker, labelEnd);
    if (endAt === -1) {
      throw pemInvalid(field, source, `the ${label} block has no matching END line (truncated?)`, { label });
    }
    const inner = text.slice(labelEnd + DASHES.length, endAt);
    const legacyEncrypted = /Proc-Type:\s*4,ENCRYPTED/.test(inner);
    // RFC 1421 headers (Proc-Type, DEK-Info) hold a colon; base64 never does.
    const body = inner
      .split('\n')
      .filter((line) => !line.includes(':'))
      .join('')
      .replace(/\s+/g, '');
    if (body.length === 0 || body.length % 4 === 1 || !BASE64_BODY.test(body)) {
      throw pemInvalid(field, source, `the ${label} block body is not base64`, { label });
    }
    const der = Buffer.from(body, 'base64');
    const blockEnd = endAt + endMarker.length;
    blocks.push({ label, der, text: text.slice(at, blockEnd), legacyEncrypted, field });
    at = text.indexOf(BEGIN, blockEnd);
  }
  return blocks;
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BASE64_TEXT = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Decodes text that is entirely base64 (whitespace allowed), e.g. a Kubernetes-style field or an
 * environment variable; undefined when it is not.
 */
export function decodeBase64Text(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length < 8 || compact.length % 4 === 1 || !BASE64_TEXT.test(compact)) return undefined;
  const bytes = Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  return bytes.length > 0 ? bytes : undefined;
}

/** Bytes that are printable UTF-8 text (PEM or JSON stored as binary), as a string. */
export function bytesAsText(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes).toString('utf8');
  if (text.includes('\uFFFD')) return undefined;
  const trimmed = text.trimStart();
  return trimmed.startsWith('{') || hasPemBlock(trimmed) ? text : undefined;
}

export function pemInvalid(
  field: string,
  source: string,
  why: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): IdentityError {
  return new IdentityError('IDENTITY_PEM_INVALID', `${source}: field ${field}: ${why}`, {
    details: { source, field, ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}
