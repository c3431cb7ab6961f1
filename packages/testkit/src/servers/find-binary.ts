import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TestkitError } from '../errors.ts';

export type ServerBinary = 'nginx' | 'haproxy';

// Debian installs both daemons in sbin, which is often missing from a non-root PATH.
const sbinDirectories = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** Absolute path of an executable `nginx` or `haproxy`, looked up in PATH and the sbin folders. */
export function findBinary(name: ServerBinary): string | undefined {
  const pathDirectories = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir.length > 0);
  for (const directory of [...pathDirectories, ...sbinDirectories]) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** `override` when given, else the found binary; a clear error when there is none. */
export function requireBinary(name: ServerBinary, override: string | undefined): string {
  const binary = override ?? findBinary(name);
  if (!binary) {
    throw new TestkitError(
      'SERVER_BINARY_MISSING',
      `${name}: no executable found in PATH, /usr/sbin or /usr/local/sbin`,
    );
  }
  return binary;
}
