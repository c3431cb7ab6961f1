/**
 * The probe's version, as `mtls-probe --version` and the exporter's build info report it. A constant
 * rather than a read of package.json, so the one-file bundle carries it too; a test keeps it equal
 * to package.json's.
 */
export const PROBE_VERSION = '0.1.0';
