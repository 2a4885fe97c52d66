export { loadWebConfig, readWebConfig, serverFactory, type ServerFactory } from './load.js';
export {
  createBasicAuth,
  parseBasicAuth,
  bcryptCost,
  bcryptCostProblem,
  VERIFIED_TTL_MS,
  BCRYPT_MIN_COST,
  BCRYPT_MAX_COST,
  type BasicAuthCheck,
  type BasicAuthOptions,
} from './basic-auth.js';
export { createBcryptPool, defaultWorkers, type BcryptPool, type BcryptPoolOptions, type BcryptLane } from './bcrypt-pool.js';
export { answerPlainHttp, PLAIN_HTTP_BODY } from './plain-http.js';
export { validateWebConfig } from './validate.js';
export { webConfigSchema, type WebConfig } from './schema.js';
export { reloadCertificatesOnChange, CERT_CHECK_INTERVAL_MS, type ReloadOptions } from './reload.js';
