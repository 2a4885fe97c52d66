import type { JSONSchemaType } from '@sockscope/core';

/** TLS versions by their exporter-toolkit names. */
export const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;

/** exporter-toolkit's client certificate policies (Go's tls.ClientAuthType names). */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;

/** A client certificate policy. */
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** The security headers exporter-toolkit lets a web config set. */
export const SECURITY_HEADERS = [
  'Content-Security-Policy',
  'X-Frame-Options',
  'X-Content-Type-Options',
  'X-XSS-Protection',
  'Strict-Transport-Security',
] as const;

/** A web config file after validation (exporter-toolkit format, the subset sockscope serves). */
export interface WebConfig {
  /** Serve HTTPS with this certificate; absent means plain HTTP. */
  tls_server_config?: {
    cert_file: string;
    key_file: string;
    client_auth_type: ClientAuthType;
    client_ca_file?: string;
    min_version: keyof typeof TLS_VERSIONS;
    max_version: keyof typeof TLS_VERSIONS;
  };
  /** Extra response headers. */
  http_server_config?: { headers?: Partial<Record<(typeof SECURITY_HEADERS)[number], string>> };
  /** User name → bcrypt hash; any entry turns basic auth on for every path. */
  basic_auth_users?: Record<string, string>;
}

// $2a$/$2b$/$2y$, two-digit cost, 22 salt + 31 hash characters: what htpasswd -B and Go's bcrypt write.
const BCRYPT_HASH = '^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$';
const version = { type: 'string', enum: Object.keys(TLS_VERSIONS) };

/** exporter-toolkit keys sockscope recognises but does not implement: refused with a reason, not as typos. */
export const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = Object.freeze({
  'tls_server_config.cipher_suites': 'not supported: Node.js uses its own secure defaults for the TLS version range',
  'tls_server_config.curve_preferences': 'not supported: Node.js uses its own curve list',
  'tls_server_config.prefer_server_cipher_suites': 'not supported: remove it',
  'tls_server_config.client_allowed_sans': 'not supported: restrict clients with client_ca_file instead',
  'tls_server_config.cert': 'not supported: put the certificate in a file and name it in cert_file',
  'tls_server_config.key': 'not supported: put the key in a file and name it in key_file',
  'http_server_config.http2': 'not supported: sockscope serves HTTP/1.1, which every Prometheus speaks',
});

/** JSON Schema of the web config file: unknown keys are errors, as in exporter-toolkit's strict YAML. */
export const webConfigSchema: JSONSchemaType = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tls_server_config: {
      type: 'object',
      additionalProperties: false,
      required: ['cert_file', 'key_file'],
      properties: {
        cert_file: { type: 'string', minLength: 1, description: 'PEM certificate (chain), relative to the web config file' },
        key_file: { type: 'string', minLength: 1, description: 'PEM private key, relative to the web config file' },
        client_auth_type: { type: 'string', enum: [...CLIENT_AUTH_TYPES], default: 'NoClientCert' },
        client_ca_file: { type: 'string', minLength: 1, description: 'PEM CA bundle that client certificates must chain to' },
        min_version: { ...version, default: 'TLS12' },
        max_version: { ...version, default: 'TLS13' },
      },
    },
    http_server_config: {
      type: 'object',
      additionalProperties: false,
      properties: {
        headers: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries(SECURITY_HEADERS.map((h) => [h, { type: 'string', minLength: 1 }])),
        },
      },
    },
    basic_auth_users: {
      type: 'object',
      additionalProperties: { type: 'string', pattern: BCRYPT_HASH },
      propertyNames: { type: 'string', minLength: 1, pattern: '^[^:]*$' },
    },
  },
};
