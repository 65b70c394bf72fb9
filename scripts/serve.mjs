#!/usr/bin/env node
// A small static file server for the facegender web app.
//
//   node scripts/serve.mjs ROOT        serves ROOT on http://127.0.0.1:8080
//   PORT=9000 node scripts/serve.mjs ROOT
//
// It listens on 127.0.0.1 only. Every response carries cross-origin isolation
// headers (WebAssembly threads need them) and a Content-Security-Policy that
// allows only this origin, so the page cannot load or send anything elsewhere.
// Only files inside ROOT are served: no listings, no dotfiles, no paths that
// leave ROOT (also through symbolic links, FILE.gz twins included).
//
// This file picks the file; `send` (web/node_modules, from scripts/setup.sh)
// sends it: ETag and Last-Modified, 304 answers to If-None-Match and
// If-Modified-Since, ranges, and closing the file when a client goes away.

import { realpath, stat } from 'node:fs/promises';
import { createServer, STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

const HOST = '127.0.0.1';

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.onnx': 'application/octet-stream',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.ts': 'text/plain; charset=utf-8',
};

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  // A video file the visitor opens plays from a blob: URL (never uploaded).
  "media-src 'self' blob:",
  // The review page shows the visitor's own photos and their thumbnails
  // from blob: URLs (read in the page, never uploaded).
  "img-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Always revalidate (the build rewrites files in place); the ETag makes
  // that a 304 when nothing changed.
  'Cache-Control': 'no-cache',
};

function usage() {
  console.error('usage: node scripts/serve.mjs ROOT   (PORT overrides the port, 8080)');
  process.exit(2);
}

// The server's npm packages live in web/node_modules (web/package.json).
function loadPackages() {
  const require = createRequire(new URL('../web/package.json', import.meta.url));
  try {
    return { send: require('send'), Negotiator: require('negotiator') };
  } catch (err) {
    console.error(`facegender serve: ${err.message.split('\n')[0]}`);
    console.error('facegender serve: web/node_modules is incomplete; run scripts/setup.sh --serve-only');
    process.exit(2);
  }
}

const { send, Negotiator } = loadPackages();

function parsePort(text) {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`facegender serve: PORT must be an integer in 1..65535, got '${text}'`);
    process.exit(2);
  }
  return port;
}

function isInside(root, candidate) {
  return candidate === root || candidate.startsWith(root + path.sep);
}

// The real path of `file` when it is a regular file inside root, else null.
async function realFileInside(root, file) {
  try {
    const real = await realpath(file);
    return isInside(root, real) && (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}

// Maps a request path to a file inside root, or returns an HTTP status.
async function resolveFile(root, requestUrl) {
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(requestUrl, 'http://localhost').pathname);
  } catch {
    return { status: 400 };
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return { status: 400 };
  const segments = pathname.split('/').filter((s) => s !== '');
  // The URL parser already removes "." and ".." segments; reject any that
  // survive (e.g. percent-encoded ones) rather than resolve them.
  if (segments.some((s) => s === '..' || s === '.')) return { status: 403 };
  if (segments.some((s) => s.startsWith('.'))) return { status: 404 };

  let file = path.resolve(root, ...segments);
  if (!isInside(root, file)) return { status: 403 };
  try {
    if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
    if (!(await stat(file)).isFile()) return { status: 404 };
  } catch {
    return { status: 404 };
  }
  const real = await realFileInside(root, file);
  return real ? { status: 200, file: real } : { status: 403 };
}

// Only when the client takes gzip (q > 0; "gzip;q=0" refuses it).
function acceptsGzip(req) {
  return new Negotiator(req).encodings(['gzip']).length > 0;
}

function sendStatus(req, res, status, extraHeaders = {}) {
  const body = `${status} ${STATUS_CODES[status] ?? ''}\n`;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...(status === 405 ? { Allow: 'GET, HEAD' } : {}),
    ...extraHeaders,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

// Errors from `send` (412, 416, a file that vanished): a plain status page,
// or a cut connection once the body has started.
function onSendError(req, res, err) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  const status = err.status ?? err.statusCode ?? 500;
  const contentRange = err.headers?.['Content-Range'];
  sendStatus(req, res, status, contentRange ? { 'Content-Range': contentRange } : {});
}

async function handle(root, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendStatus(req, res, 405);
    return;
  }
  const found = await resolveFile(root, req.url ?? '/');
  if (found.status !== 200) {
    sendStatus(req, res, found.status);
    return;
  }
  // The build's precompressed twin (FILE.gz, web/build.mjs), when the client
  // takes gzip and the twin obeys the same rules as the file.
  const gzip = acceptsGzip(req) ? await realFileInside(root, `${found.file}.gz`) : null;
  const type = MIME_TYPES[path.extname(found.file).toLowerCase()] ?? 'application/octet-stream';
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.setHeader('Content-Type', type);
  res.setHeader('Vary', 'Accept-Encoding');
  if (gzip) res.setHeader('Content-Encoding', 'gzip');

  // `send` URL-decodes the path it gets and checks it against root again, so
  // hand it the real file relative to root, percent-encoded.
  const relative = path.relative(root, gzip ?? found.file).split(path.sep).map(encodeURIComponent).join('/');
  send(req, relative, { root, index: false, cacheControl: false, dotfiles: 'ignore' })
    .on('error', (err) => onSendError(req, res, err))
    .pipe(res);
}

function logRequest(req, res) {
  if (process.env.FACEGENDER_SERVE_QUIET !== '1') {
    console.log(`${req.method} ${req.url} ${res.statusCode}${res.writableFinished ? '' : ' (aborted)'}`);
  }
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0].startsWith('-')) usage();
  const port = parsePort(process.env.PORT ?? '8080');

  let root;
  try {
    root = await realpath(path.resolve(args[0]));
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
  } catch {
    console.error(`facegender serve: '${args[0]}' is not a folder`);
    process.exit(2);
  }

  const server = createServer((req, res) => {
    res.on('close', () => logRequest(req, res));
    handle(root, req, res).catch(() => {
      if (!res.headersSent) sendStatus(req, res, 500);
      else res.destroy();
    });
  });
  server.on('error', (err) => {
    const why = err.code === 'EADDRINUSE' ? `port ${port} is already in use (set PORT)` : err.message;
    console.error(`facegender serve: ${why}`);
    process.exit(1);
  });
  server.listen(port, HOST, () => {
    console.log(`facegender serve: serving ${root} on http://${HOST}:${port}/ (Ctrl+C to stop)`);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      server.close();
      process.exit(0);
    });
  }
}

await main();
