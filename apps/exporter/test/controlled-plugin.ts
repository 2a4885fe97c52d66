import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A third-party collector package, `sockscope-plugin-controlled` (collector `controlled`), written
 * into `<dir>/node_modules` so the real CLI loads it as an operator's plugin (run the CLI with its
 * config in `dir` and `dir` as working directory). A test steers it through the file named by its
 * `control_file` config key: absent or `ok` publishes `sockscope_controlled_value 1`, `fail` makes
 * `stream()` throw, `slow` makes it wait until aborted, `create-fail` makes `create()` throw. Every
 * `create()` and `close()` is appended to `<control_file>.events`. `pattern` must be a valid
 * regular expression: its `validateConfig` says so as a plugin's own config check does.
 */
export function writeControlledPlugin(dir: string): void {
  const pkg = join(dir, 'node_modules', 'sockscope-plugin-controlled');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'sockscope-plugin-controlled', version: '1.0.0', type: 'module', exports: './index.js' }));
  writeFileSync(join(pkg, 'index.js'), PLUGIN_SOURCE);
}

/** Events (`create`, `close`) the controlled collector wrote for a control file. */
export function controlledEvents(controlFile: string): string[] {
  try {
    return readFileSync(`${controlFile}.events`, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const PLUGIN_SOURCE = `import { appendFileSync, readFileSync } from 'node:fs';
const mode = (file) => {
  try {
    return readFileSync(file, 'utf8').trim() || 'ok';
  } catch {
    return 'ok';
  }
};
export default {
  kind: 'collector',
  name: 'controlled',
  description: 'A collector a test steers through a file',
  platforms: ['any'],
  coreMajor: 0,
  provides: ['families'],
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { control_file: { type: 'string', default: '/nonexistent' }, pattern: { type: 'string', default: '.*' } },
  },
  validateConfig(config) {
    try {
      new RegExp(config.pattern);
      return [];
    } catch (err) {
      return ['pattern: invalid regular expression: ' + err.message];
    }
  },
  create(ctx) {
    const file = ctx.config.control_file;
    appendFileSync(file + '.events', 'create\\n');
    if (mode(file) === 'create-fail') throw new Error('the control file says create() fails');
    return {
      async stream(signal) {
        const m = mode(file);
        if (m === 'fail') throw new Error('the control file says fail');
        if (m === 'slow') {
          await new Promise((resolve) => {
            const t = setTimeout(resolve, 60000);
            signal.addEventListener('abort', () => {
              clearTimeout(t);
              resolve();
            });
          });
        }
        return { families: [{ name: 'sockscope_controlled_value', help: 'Always 1.', type: 'gauge', samples: [{ labels: {}, value: 1 }] }] };
      },
      async close() {
        appendFileSync(file + '.events', 'close\\n');
      },
    };
  },
};
`;
