/**
 * This package's version, the backend's `meta.version`. A constant rather than a read of package.json,
 * so the module needs no Node built-in (a test keeps the two equal).
 */
export const VERSION = '0.1.0';
