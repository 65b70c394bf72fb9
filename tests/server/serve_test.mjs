// scripts/serve.mjs, the site server, on a small site made here (no build
// needed): what the app relies on (isolation headers, MIME types, no way out
// of the folder, FILE.gz twins) and four audit findings (file descriptors
// kept by aborted downloads, FILE.gz symlinks that leave the folder,
// "gzip;q=0", revalidation with ETag/Last-Modified).
//
//   node --test tests/server/serve_test.mjs     (ctest -L server)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const SERVE = fileURLToPath(new URL('../../scripts/serve.mjs', import.meta.url));
const APP_JS = 'console.log("plain app.js");\n';
const SECRET = 'SECRET outside the served folder';

// ROOT (served) and OUTSIDE (its sibling, which must never be reachable).
async function makeSite(dir) {
  const root = path.join(dir, 'root');
  const outside = path.join(dir, 'outside');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await mkdir(outside);
  const files = {
    'index.html': '<!doctype html><title>top</title>\n',
    'sub/index.html': '<!doctype html><title>sub</title>\n',
    'app.js': APP_JS,
    'core.mjs': 'export const x = 1;\n',
    'core.wasm': Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    'model.onnx': 'onnx bytes',
    'changing.txt': 'first version\n',
    'leak.js': APP_JS,
    '.hidden': SECRET,
  };
  for (const [name, data] of Object.entries(files)) await writeFile(path.join(root, name), data);
  await writeFile(path.join(root, 'app.js.gz'), gzipSync(APP_JS));
  await writeFile(path.join(outside, 'secret.txt'), SECRET);
  await writeFile(path.join(outside, 'secret.js.gz'), gzipSync(SECRET));
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'escape.txt'));
  await symlink(path.join(outside, 'secret.js.gz'), path.join(root, 'leak.js.gz'));
  // Large enough that no download finishes before the client aborts it;
  // sparse, so it costs no disk.
  await writeFile(path.join(root, 'big.bin'), '');
  await truncate(path.join(root, 'big.bin'), 64 * 1024 * 1024);
  return root;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// Starts serve.mjs on ROOT (under `ulimit -n fdLimit` when given); resolves
// once it listens, to {port, stop}.
async function startServer(root, { fdLimit } = {}) {
  const port = await freePort();
  const command = fdLimit
    ? ['bash', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, process.execPath, SERVE, root]]
    : [process.execPath, [SERVE, root]];
  const child = spawn(...command, {
    env: { ...process.env, PORT: String(port), FACEGENDER_SERVE_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`serve.mjs exited (${code}) before listening`)));
    child.stdout.on('data', (data) => {
      if (String(data).includes('serving')) resolve();
    });
  });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });
  return { port, stop };
}

// One request on its own connection; resolves to {status, headers, body}.
function request(port, urlPath, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// Starts downloading urlPath and hangs up after the first bytes.
function abortedDownload(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      res.once('data', () => req.destroy());
    });
    req.on('error', () => {}); // the hang-up itself, or a server that no longer answers
    req.on('close', resolve);
  });
}

function assertIsolationHeaders(res) {
  assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin');
  assert.equal(res.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin');
  assert.match(res.headers['content-security-policy'] ?? '', /default-src 'self'/);
}

let tmp;
let root;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'facegender-serve-test-'));
  root = await makeSite(tmp);
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('serve.mjs', () => {
  let server;
  before(async () => {
    server = await startServer(root);
  });
  after(async () => {
    await server?.stop();
  });

  test('sends the isolation headers and the types the app needs', async () => {
    const types = {
      '/': /^text\/html/,
      '/sub/': /^text\/html/,
      '/app.js': /^text\/javascript/,
      '/core.mjs': /^text\/javascript/,
      '/core.wasm': /^application\/wasm$/,
      '/model.onnx': /^application\/octet-stream$/,
    };
    for (const [urlPath, type] of Object.entries(types)) {
      const res = await request(server.port, urlPath);
      assert.equal(res.status, 200, urlPath);
      assert.match(res.headers['content-type'], type, urlPath);
      assertIsolationHeaders(res);
    }
    assert.match((await request(server.port, '/sub/')).body.toString(), /<title>sub</);
    assertIsolationHeaders(await request(server.port, '/missing.js'));
  });

  test('serves nothing outside the folder, no dotfiles, no other methods', async () => {
    const refused = {
      '/../outside/secret.txt': [403, 404],
      '/%2e%2e/outside/secret.txt': [403, 404],
      '/sub/%2e%2e%2f..%2foutside/secret.txt': [403],
      '/escape.txt': [403],
      '/.hidden': [404],
      '/%2ehidden': [404],
      '/a%00b': [400],
      '/a%5c..%5cb': [400],
      '/missing.js': [404],
    };
    for (const [urlPath, statuses] of Object.entries(refused)) {
      const res = await request(server.port, urlPath);
      assert.ok(statuses.includes(res.status), `${urlPath}: got ${res.status}, want ${statuses}`);
      assert.ok(!res.body.toString().includes('SECRET'), `${urlPath} leaked the secret`);
    }
    const post = await request(server.port, '/app.js', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  test('HEAD and ranges', async () => {
    const head = await request(server.port, '/app.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), APP_JS.length);
    assert.equal(head.body.length, 0);
    const part = await request(server.port, '/app.js', { headers: { Range: 'bytes=0-6' } });
    assert.equal(part.status, 206);
    assert.equal(part.body.toString(), APP_JS.slice(0, 7));
  });

  test('sends the FILE.gz twin to clients that take gzip', async () => {
    const res = await request(server.port, '/app.js', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.match(res.headers['content-type'], /^text\/javascript/);
    assert.match(res.headers.vary ?? '', /Accept-Encoding/i);
    assert.equal(gunzipSync(res.body).toString(), APP_JS);
    const plain = await request(server.port, '/app.js');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), APP_JS);
  });

  test('a FILE.gz symlink that leaves the folder is not served for FILE', async () => {
    const res = await request(server.port, '/leak.js', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], undefined, 'served leak.js.gz, which points outside the folder');
    assert.equal(res.body.toString(), APP_JS);
  });

  test('Accept-Encoding q-values: q=0 refuses gzip', async () => {
    const cases = {
      'gzip;q=0': undefined,
      'gzip; q=0.0, deflate': undefined,
      '*;q=1, gzip;q=0': undefined,
      'deflate;q=1, gzip;q=0.5': 'gzip',
      '*': 'gzip',
    };
    for (const [accept, encoding] of Object.entries(cases)) {
      const res = await request(server.port, '/app.js', { headers: { 'Accept-Encoding': accept } });
      assert.equal(res.status, 200, accept);
      assert.equal(res.headers['content-encoding'], encoding, `Accept-Encoding: ${accept}`);
      assert.equal((encoding ? gunzipSync(res.body) : res.body).toString(), APP_JS, accept);
    }
  });

  test('revalidation: ETag, Last-Modified and 304 answers', async () => {
    const first = await request(server.port, '/app.js');
    const { etag, 'last-modified': lastModified } = first.headers;
    assert.ok(etag, 'no ETag');
    assert.ok(lastModified, 'no Last-Modified');
    assert.equal(first.headers['cache-control'], 'no-cache');

    const byEtag = await request(server.port, '/app.js', { headers: { 'If-None-Match': etag } });
    assert.equal(byEtag.status, 304, 'If-None-Match with the current ETag');
    assert.equal(byEtag.body.length, 0);
    assertIsolationHeaders(byEtag);
    const byDate = await request(server.port, '/app.js', { headers: { 'If-Modified-Since': lastModified } });
    assert.equal(byDate.status, 304, 'If-Modified-Since with the current Last-Modified');

    // The gzip twin is another representation, with its own validator.
    const gz = await request(server.port, '/app.js', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.ok(gz.headers.etag && gz.headers.etag !== etag, 'the gzip twin shares the plain ETag');

    // A rebuilt file is sent again.
    const before = await request(server.port, '/changing.txt');
    await writeFile(path.join(root, 'changing.txt'), 'second, longer version\n');
    const changed = await request(server.port, '/changing.txt', { headers: { 'If-None-Match': before.headers.etag } });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.toString(), 'second, longer version\n');
  });
});

describe('serve.mjs with 128 file descriptors', () => {
  let server;
  before(async () => {
    server = await startServer(root, { fdLimit: 128 });
  });
  after(async () => {
    await server?.stop();
  });

  test('aborted downloads do not keep files open', { timeout: 30_000 }, async () => {
    const aborts = 200;
    const parallel = 8;
    for (let i = 0; i < aborts; i += parallel) {
      await Promise.all(Array.from({ length: parallel }, () => abortedDownload(server.port, '/big.bin')));
    }
    let res;
    try {
      res = await request(server.port, '/index.html');
    } catch (err) {
      assert.fail(`no answer after ${aborts} aborted downloads (file descriptors leaked?): ${err.message}`);
    }
    assert.equal(res.status, 200);
    assert.match(res.body.toString(), /<title>top</);
  });
});
