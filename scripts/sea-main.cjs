// Entry of the single executable (npm run bundle -- --sea). Node's single-executable main runs as
// CommonJS and the CLI is an ES module with top-level await, so this hands over to the ESM bundle
// embedded as an asset: written once per content hash to a folder only this user can write, then
// imported.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { getAsset } = require('node:sea');
const { pathToFileURL } = require('node:url');

const code = getAsset('mtls-probe.mjs', 'utf8');
const hash = createHash('sha256').update(code).digest('hex');
const dir = join(tmpdir(), `mtls-probe-${process.getuid?.() ?? 'user'}`);
mkdirSync(dir, { recursive: true, mode: 0o700 });
const owner = statSync(dir);
if ((process.getuid !== undefined && owner.uid !== process.getuid()) || (owner.mode & 0o022) !== 0) {
  throw new Error(`${dir} belongs to another user or is writable by others: remove it`);
}
const file = join(dir, `${hash.slice(0, 16)}.mjs`);
let current = false;
try {
  current = createHash('sha256').update(readFileSync(file)).digest('hex') === hash;
} catch {}
if (!current) {
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, code, { mode: 0o600 });
  renameSync(partial, file);
}
import(pathToFileURL(file).href).catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
