export { loadWebConfig, readWebConfig, serverFactory, type ServerFactory } from './load.js';
export { createBasicAuth, parseBasicAuth, VERIFIED_TTL_MS, type BasicAuthCheck } from './basic-auth.js';
export { validateWebConfig } from './validate.js';
export { webConfigSchema, type WebConfig } from './schema.js';
export { reloadCertificatesOnChange, CERT_CHECK_INTERVAL_MS, type ReloadOptions } from './reload.js';
