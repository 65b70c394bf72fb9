#!/usr/bin/env node
// The review page on a real labelled folder: how fast it reads and scores
// the photos and whether the page stays responsive meanwhile, in Debian's
// Chromium (playwright-core). Also the way to use the page from a script:
// screenshots of the grid's first pages, and keys pressed on named photos.
//
//   node web/bench/review-rate.mjs --labels ../shared/data/utkface/labels.csv [--limit 10000]
//        [--folder DIR] [--site build/web] [--backend wasm] [--threads 1] [--workers N]
//        [--opfs] [--shots DIR --pages 3] [--keys FILE.json] [--csv OUT.csv] [--json]
//
//   --labels CSV   a labels CSV (path,gender,...,sha256): the first --limit
//                  rows (spread evenly over the file) are copied into a
//                  temporary folder with their own labels.csv
//   --folder DIR   open DIR as it is instead (its labels.csv, layout...)
//   --opfs         open the folder as the folder picker gives it (a
//                  directory handle, listed asynchronously) instead of
//                  through the folder input: the files are first copied
//                  into the page's origin-private file system
//   --shots DIR    screenshots of the grid's first --pages pages, and
//                  order.json (the photos in the grid's order)
//   --keys FILE    [[path, key], ...]: select each photo and press its key
//                  (as a person would), then save the labels CSV to --csv
//
// Prints photos/s, the longest main-thread task (PerformanceObserver
// 'longtask') and how many ran over 100 ms while reading.

import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

import { REPO, loadChromiumApi, startServer, withChromium } from '../../scripts/lib/browser.mjs';

function parseArgs(argv) {
  const options = { site: path.join(REPO, 'build/web'), limit: 10000, backend: 'wasm', threads: 1, workers: null, pages: 3,
    labels: null, folder: null, shots: null, keys: null, csv: null, json: false, opfs: false };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i].replace(/^--/, '');
    if (name === 'json' || name === 'opfs') options[name] = true;
    else if (name in options && i + 1 < argv.length) options[name] = argv[++i];
    else {
      console.error(`review-rate: unknown or incomplete argument '${argv[i]}' (see the comment at the top)`);
      process.exit(2);
    }
  }
  if (!options.labels === !options.folder) {
    console.error('review-rate: give --labels CSV or --folder DIR');
    process.exit(2);
  }
  return options;
}

/** A temporary folder with copies of `limit` photos of the CSV, spread over it, with their labels.csv. */
async function copiedFolder(csvPath, limit) {
  const lines = (await readFile(csvPath, 'utf8')).trim().split('\n');
  const header = lines[0];
  const rows = lines.slice(1);
  const step = Math.max(1, rows.length / limit);
  const picked = [];
  for (let k = 0; k < Math.min(limit, rows.length); k += 1) picked.push(rows[Math.floor(k * step)]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'facegender-review-'));
  const base = path.dirname(path.resolve(csvPath));
  for (const row of picked) {
    const file = row.split(',')[0];
    await mkdir(path.join(dir, path.dirname(file)), { recursive: true });
    // Copies: a folder input does not follow symbolic links.
    await copyFile(path.join(base, file), path.join(dir, file));
  }
  await writeFile(path.join(dir, 'labels.csv'), `${[header, ...picked].join('\n')}\n`);
  return { dir, count: picked.length };
}

async function watchLongTasks(page) {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, ms: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** Every file under `dir` (relative paths), copied into the page's origin-private file system under bench/. */
async function copyIntoOpfs(page, dir) {
  const files = [];
  const walk = async (sub) => {
    for (const entry of await readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else files.push(rel);
    }
  };
  await walk('');
  await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry('bench', { recursive: true }).catch(() => {});
  });
  for (let i = 0; i < files.length; i += 200) {
    const chunk = [];
    for (const rel of files.slice(i, i + 200)) chunk.push({ rel, b64: (await readFile(path.join(dir, rel))).toString('base64') });
    await page.evaluate(async (list) => {
      const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('bench', { create: true });
      for (const { rel, b64 } of list) {
        let folder = root;
        const parts = rel.split('/');
        for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part, { create: true });
        const writable = await (await folder.getFileHandle(parts.at(-1), { create: true })).createWritable();
        await writable.write(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
        await writable.close();
      }
    }, chunk);
  }
}

async function readFolder(page, dir, opfs) {
  if (opfs) await copyIntoOpfs(page, dir);
  await page.evaluate(() => { window.__longTasks = []; });
  const t0 = Date.now();
  if (opfs) {
    await page.evaluate(() => {
      performance.mark('review-folder-chosen');
      navigator.storage.getDirectory().then((root) => root.getDirectoryHandle('bench')).then((handle) => window.__review.openHandle(handle));
    });
    await page.waitForFunction(() => window.__review.counts().photos > 0, null, { timeout: 600000, polling: 200 });
  } else {
    await page.setInputFiles('#folder-input', dir);
  }
  const listed = Date.now();
  await page.waitForFunction(() => window.__review.counts().photos > 0 && !window.__review.scoring(), null,
    { timeout: 3_600_000, polling: 1000 });
  const seconds = (Date.now() - listed) / 1000;
  const counts = await page.evaluate(() => window.__review.counts());
  const longTasks = await page.evaluate(() => window.__longTasks);
  const worker = await page.evaluate(() => window.__review.timings());
  const redrawMs = await page.evaluate(() => Math.max(0, ...performance.getEntriesByName('review-redraw').map((e) => e.duration)));
  const workers = await page.evaluate(() => window.__review.workers());
  // Which long tasks began before the page's change handler ran: the
  // browser making the folder's File objects, in the task that then calls
  // the handler (its own part, up to its first await, is a few ms).
  const chosenAt = await page.evaluate(() => performance.getEntriesByName('review-folder-chosen').at(-1)?.startTime ?? 0);
  const before = longTasks.filter((t) => t.start < chosenAt);
  const after = longTasks.filter((t) => t.start >= chosenAt);
  return { counts, seconds, worker, workers, redrawMs, listSeconds: (listed - t0) / 1000, rate: counts.scored / seconds,
    longestTaskMs: Math.max(0, ...after.map((t) => t.ms)), tasksOver100Ms: after.filter((t) => t.ms > 100).length,
    inputTaskMs: Math.max(0, ...before.map((t) => t.ms)) };
}

async function screenshots(page, shots, pages) {
  await mkdir(shots, { recursive: true });
  await writeFile(path.join(shots, 'order.json'), JSON.stringify(await page.evaluate(() => window.__review.order()), null, 0));
  for (let k = 0; k < pages; k += 1) {
    await page.screenshot({ path: path.join(shots, `grid-page-${k + 1}.png`), fullPage: true });
    if (await page.isDisabled('#next-page')) break;
    await page.click('#next-page');
  }
}

/** Selects each named photo and presses its key, as a person would. */
async function pressKeys(page, keys) {
  await page.focus('#grid');
  for (const [file, key] of keys) {
    const at = await page.evaluate((p) => window.__review.order().indexOf(p), file);
    if (at < 0) throw new Error(`${file} is not in the grid`);
    await page.evaluate((position) => window.__review.select(position), at);
    await page.keyboard.press(key);
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const chromiumApi = loadChromiumApi();
  if (!chromiumApi) throw new Error('playwright-core is missing in web/node_modules: run scripts/setup.sh');
  const copied = options.labels ? await copiedFolder(options.labels, Number(options.limit)) : null;
  const dir = copied ? copied.dir : path.resolve(options.folder);
  const server = await startServer(path.resolve(options.site));
  try {
    await withChromium(chromiumApi, '/usr/bin/chromium', [], async (context) => {
      const page = context.pages()[0] ?? await context.newPage();
      await watchLongTasks(page);
      await page.goto(`${server.origin}/review.html?backend=${options.backend}&threads=${options.threads}${options.workers ? `&workers=${options.workers}` : ''}`);
      await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });
      const result = await readFolder(page, dir, options.opfs);
      const summary = await page.textContent('#summary');
      result.issues = await page.evaluate(() => window.__review.issues());
      if (options.json) console.log(JSON.stringify({ ...result, summary }));
      else {
        console.log(`${result.counts.scored} photos read in ${result.seconds.toFixed(1)} s: ${result.rate.toFixed(1)} photos/s ` +
          `(backend ${options.backend}, ${options.threads} inference thread${options.threads == 1 ? '' : 's'} per worker, ` +
          `${result.workers} worker${result.workers === 1 ? '' : 's'}; listing the folder ${result.listSeconds.toFixed(1)} s)`);
        const stages = Object.entries(result.worker).map(([stage, ms]) =>
          `${stage.replace(/Ms$/, '')} ${(ms / result.counts.scored).toFixed(1)}`).join(', ');
        console.log(`worker time, ms per photo: ${stages}`);
        console.log(`main thread, from the page's handler on: longest task ${result.longestTaskMs.toFixed(0)} ms, ` +
          `${result.tasksOver100Ms} over 100 ms (the longest redraw of the grid while reading: ${result.redrawMs.toFixed(0)} ms); ` +
          `the browser's own folder input before it: ${result.inputTaskMs.toFixed(0)} ms`);
        console.log(summary);
        console.log(`face checks: ${JSON.stringify(result.issues)}`);
      }
      if (options.shots) await screenshots(page, path.resolve(options.shots), Number(options.pages));
      if (options.keys) {
        const t0 = Date.now();
        await pressKeys(page, JSON.parse(await readFile(options.keys, 'utf8')));
        console.log(`keys pressed in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${await page.textContent('#summary')}`);
      }
      if (options.csv) {
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-csv')]);
        await download.saveAs(path.resolve(options.csv));
        console.log(`labels saved to ${options.csv}`);
      }
    });
  } finally {
    server.child.kill();
    if (copied) await rm(copied.dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`review-rate: ${error.stack || error}`);
  process.exit(1);
});
