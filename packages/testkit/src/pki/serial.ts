import { randomBytes } from 'node:crypto';

/**
 * 16 random bytes, positive and without a leading zero nibble, so the hex is the same whether a
 * tool strips leading zeros (OpenSSL, Node) or not (@peculiar/x509).
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = 0x10 + ((bytes[0] ?? 0) % 0x70);
  return bytes.toString('hex').toUpperCase();
}
