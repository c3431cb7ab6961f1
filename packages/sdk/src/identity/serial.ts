/** A certificate serial as the ALB writes it: hexadecimal, upper case, no leading zero bytes. */
export function normalizeSerial(hex: string): string {
  return hex.toUpperCase().replace(/^(00)+(?=.)/, '');
}
