// Injected into the CommonJS bundle of a single executable: `import.meta.url` there is the
// executable's own path, so "beside sockscope" means beside the executable.
export const __sockscopeImportMetaUrl = require('node:url').pathToFileURL(process.execPath).href;
