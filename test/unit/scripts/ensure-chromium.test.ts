import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureChromium } from '../../../scripts/ensure-chromium.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function scratch(): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'ensure-chromium-'));
  return dir;
}

async function fakeBinary(path: string): Promise<void> {
  await writeFile(path, '#!/bin/sh\n');
  await chmod(path, 0o755);
}

describe('ensureChromium', () => {
  it('returns an existing binary without running anything', async () => {
    const bin = join(await scratch(), 'chromium');
    await fakeBinary(bin);
    const calls: string[] = [];
    const path = await ensureChromium({ candidates: [bin], env: {}, isRoot: true, run: async (c) => (calls.push(c), { code: 0, output: '' }) });
    expect([path, calls]).toEqual([bin, []]);
  });

  it('as root: apt-get update, then install chromium with --no-install-recommends, with progress lines', async () => {
    const bin = join(await scratch(), 'chromium');
    const calls: string[] = [];
    const progress: string[] = [];
    const path = await ensureChromium({
      candidates: [bin],
      env: {},
      isRoot: true,
      onProgress: (line) => progress.push(line),
      run: async (command, args) => {
        calls.push([command, ...args].join(' '));
        if (args[0] === 'install') await fakeBinary(bin);
        return { code: 0, output: '' };
      },
    });
    expect(path).toBe(bin);
    expect(calls).toEqual(['apt-get update', 'apt-get install -y --no-install-recommends chromium']);
    expect(progress.at(-1)).toMatch(/^Chromium installed at .* in \d+ s$/);
  });

  it('not root: one line saying what to install; a failed apt-get: its last line', async () => {
    const bin = join(await scratch(), 'chromium');
    await expect(ensureChromium({ candidates: [bin], env: {}, isRoot: false })).rejects.toThrow(
      /^browser tests need Chromium and none is at .*chromium: run "sudo apt-get install -y --no-install-recommends chromium"/,
    );
    const failing = async () => ({ code: 100, output: 'Reading package lists...\nE: Unable to locate package chromium\n' });
    await expect(ensureChromium({ candidates: [bin], env: {}, isRoot: true, run: failing })).rejects.toThrow(
      'apt-get update failed (exit 100): E: Unable to locate package chromium',
    );
  });

  it('CHROMIUM_PATH wins, and must be executable', async () => {
    const bin = join(await scratch(), 'my-chromium');
    await expect(ensureChromium({ env: { CHROMIUM_PATH: bin } })).rejects.toThrow(/CHROMIUM_PATH=.* is not an executable file/);
    await fakeBinary(bin);
    await expect(ensureChromium({ env: { CHROMIUM_PATH: bin } })).resolves.toBe(bin);
  });
});
