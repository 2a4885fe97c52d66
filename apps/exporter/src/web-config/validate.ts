import { compileConfigSchema } from '@sockscope/core';
import { bcryptCostProblem } from './basic-auth.js';
import { UNSUPPORTED_KEYS, webConfigSchema, type WebConfig } from './schema.js';

const validator = compileConfigSchema(webConfigSchema);

/**
 * Validates a parsed web config in place (filling defaults) and returns every problem as
 * `path: message`. Known exporter-toolkit keys sockscope does not implement are named as such
 * rather than as typos, and a malformed hash (or one of a cost bcrypt cannot use) says how to make a good one.
 */
export function validateWebConfig(raw: unknown): { config: WebConfig; errors: string[] } {
  const errors = validator(raw).map(explain);
  const tls = (raw as WebConfig | null)?.tls_server_config;
  if (errors.length === 0 && tls) {
    const verifies = tls.client_auth_type === 'VerifyClientCertIfGiven' || tls.client_auth_type === 'RequireAndVerifyClientCert';
    if (verifies && tls.client_ca_file === undefined) {
      errors.push(`tls_server_config.client_ca_file: required when client_auth_type is ${tls.client_auth_type}`);
    }
    if (tls.client_ca_file !== undefined && tls.client_auth_type === 'NoClientCert') {
      errors.push('tls_server_config.client_auth_type: client_ca_file is set but client_auth_type is NoClientCert; set RequireAndVerifyClientCert');
    }
    if (versionRank(tls.min_version) > versionRank(tls.max_version)) {
      errors.push(`tls_server_config.min_version: ${tls.min_version} is newer than max_version ${tls.max_version}`);
    }
  }
  // the pattern lets any two-digit cost through; bcrypt refuses below 4, and above 31 it would never finish
  const users: unknown = (raw as WebConfig | null)?.basic_auth_users;
  if (users !== null && typeof users === 'object') {
    for (const [user, hash] of Object.entries(users)) {
      const problem = typeof hash === 'string' && /^\$2[aby]\$[0-9]{2}\$/.test(hash) ? bcryptCostProblem(hash) : undefined;
      if (problem) errors.push(`basic_auth_users.${user}: ${problem}`);
    }
  }
  return { config: raw as WebConfig, errors };
}

function explain(line: string): string {
  const unknown = /^([^:]+): unknown key/.exec(line);
  const reason = unknown ? UNSUPPORTED_KEYS[unknown[1] as string] : undefined;
  if (unknown && reason) return `${unknown[1]}: ${reason}`;
  const hash = /^(basic_auth_users\.[^:]+): must match pattern/.exec(line);
  if (hash) return `${hash[1]}: must be a bcrypt hash such as $2y$10$… (make one with: htpasswd -nbBC 10 "" 'password' | tr -d ':\\n')`;
  return line;
}

function versionRank(v: string): number {
  return Number(v.slice(3));
}
