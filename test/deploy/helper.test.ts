// test/helpers/tools.ts: skip with a notice locally, fail under CI.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { haveTool, requireTool } from '../helpers/tools.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('haveTool', () => {
  it('finds a tool on PATH', () => {
    expect(haveTool('sh', 'dash')).toBe(true);
  });

  it('without CI: a one-line notice naming the package, and false', () => {
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireTool('palisade-no-such-tool-1', 'some-package')).toEqual({ available: false });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^skipping: install Debian package some-package/));
  });

  it('under CI=true: throws', () => {
    vi.stubEnv('CI', 'true');
    expect(() => haveTool('palisade-no-such-tool-2', 'some-package')).toThrow(/some-package/);
  });
});
