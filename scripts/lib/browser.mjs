// What the browser test and the browser benchmark share: the site server
// (scripts/serve.mjs on a free 127.0.0.1 port) and Debian's Chromium driven by
// playwright-core from web/node_modules. Never downloads a browser.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const CHROMIUM_FLAGS = ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// A software WebGPU adapter (SwiftShader), so the WebGPU backend runs without a GPU.
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--use-angle=swiftshader'];

/** playwright-core's chromium API, or null when web/node_modules lacks it. */
export function loadChromiumApi() {
  const require = createRequire(path.join(REPO, 'web/package.json'));
  try {
    return require('playwright-core').chromium;
  } catch {
    return null;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Serves `site` with scripts/serve.mjs; returns {child, origin}. */
export async function startServer(site) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(REPO, 'scripts/serve.mjs'), site], {
    env: { ...process.env, PORT: String(port), FACEGENDER_SERVE_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`serve.mjs exited (${code})`)));
    child.stdout.on('data', (data) => {
      if (String(data).includes('serving')) resolve();
    });
  });
  return { child, origin: `http://127.0.0.1:${port}` };
}

/**
 * Runs `body(context)` in a Chromium with a fresh profile (deleted after),
 * `extraFlags` added to CHROMIUM_FLAGS.
 */
export async function withChromium(chromiumApi, executablePath, extraFlags, body) {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'facegender-chromium-'));
  let context;
  try {
    context = await chromiumApi.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS, ...extraFlags],
      viewport: { width: 1100, height: 900 },
    });
    return await body(context);
  } finally {
    await context?.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true });
  }
}
