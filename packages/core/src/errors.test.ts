import { describe, expect, it } from 'vitest';
import { SockscopeError, isSockscopeError } from './errors.js';

describe('SockscopeError', () => {
  it("names a package's subclass after its class, with no constructor of its own, and keeps code, details and cause", () => {
    class PkgError extends SockscopeError<'ERR_PKG_BROKEN'> {}
    const cause = new Error('EPERM');
    const err = new PkgError('ERR_PKG_BROKEN', 'it broke', ['a: b'], { cause });
    expect(err.name).toBe('PkgError');
    expect(err).toMatchObject({ code: 'ERR_PKG_BROKEN', message: 'it broke', details: ['a: b'], cause });
    expect(isSockscopeError(err)).toBe(true);
    expect(new SockscopeError('ERR_CONFIG_INVALID', 'x').name).toBe('SockscopeError');
  });

  it("does not take Node's own ERR_ errors for ours (they have no details)", () => {
    const nodeErr = Object.assign(new TypeError('bad arg'), { code: 'ERR_INVALID_ARG_TYPE' });
    expect(isSockscopeError(nodeErr)).toBe(false);
  });
});
