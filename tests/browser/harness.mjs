// The browser tests' shared harness: numbered checks that log and count,
// the common command line, and opening the app in a page with its errors
// collected.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';

import { REPO } from '../../scripts/lib/browser.mjs';

/** log / check / die / finish for the test called `name`. */
export function createChecks(name) {
  const started = Date.now();
  let failures = 0;
  let checks = 0;
  const log = (message) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);
  return {
    log,
    check(condition, what, detail = '') {
      checks += 1;
      if (condition) {
        log(`ok   ${what}`);
      } else {
        failures += 1;
        log(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
      }
      return condition;
    },
    die(message) {
      console.error(`${name}: error: ${message}`);
      process.exit(1);
    },
    finish() {
      log(`${checks - failures}/${checks} checks passed`);
      if (failures > 0) process.exit(1);
    },
  };
}

/**
 * `--name VALUE` pairs into paths: --model (FACEGENDER_TEST_MODEL wins),
 * --wasm-build, --cascades, --chromium have defaults; `extra` maps more
 * flags to option names; `required` lists the options that must be given.
 */
export function parseTestArgs(argv, { extra = {}, required = [] }, die) {
  const options = {
    model: process.env.FACEGENDER_TEST_MODEL || path.join(REPO, 'models/facegender.onnx'),
    wasmBuild: path.join(REPO, 'build/wasm'),
    cascades: path.join(REPO, 'build/native/cascades'),
    chromium: '/usr/bin/chromium',
  };
  const names = { '--model': 'model', '--wasm-build': 'wasmBuild', '--cascades': 'cascades',
    '--chromium': 'chromium', ...extra };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || i + 1 >= argv.length) die(`unknown or incomplete argument '${argv[i]}'`);
    if (name !== 'model' || !process.env.FACEGENDER_TEST_MODEL) options[name] = path.resolve(argv[i + 1]);
  }
  for (const name of required) {
    if (!options[name]) die(`--${name} is required`);
  }
  return options;
}

/** Dies with `hint` unless `file` is a file. */
export async function requireFile(file, hint, die) {
  const isFile = await stat(file).then((s) => s.isFile(), () => false);
  if (!isFile) die(`${file} is missing: ${hint}`);
}

/**
 * Opens `url` in a new page of `context` and waits until the app has loaded
 * or failed; returns {page, pageErrors} (uncaught errors and console errors).
 */
export async function openApp(context, url) {
  const page = context.pages()[0] ?? await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => window.__facegender && window.__facegender.state !== 'loading', null,
    { timeout: 60000 });
  return { page, pageErrors };
}

/**
 * Runs axe-core (its source evaluated by the test, not loaded by the page:
 * the CSP stays as it is) and checks that it finds no serious or critical
 * violation.
 */
export async function auditAccessibility(page, axeSource, what, check) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const { violations } = await window.axe.run(document, { resultTypes: ['violations'] });
    return violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, target: v.nodes[0]?.target }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(serious.length === 0, `axe-core, ${what}: no serious or critical violation (${violations.length} minor)`,
    JSON.stringify(serious));
}
