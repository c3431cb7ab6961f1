import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

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
