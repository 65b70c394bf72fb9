#!/usr/bin/env node
// A tiny static file server for the facegender web app, with no dependencies.
//
//   node scripts/serve.mjs ROOT        serves ROOT on http://127.0.0.1:8080
//   PORT=9000 node scripts/serve.mjs ROOT
//
// It listens on 127.0.0.1 only. Every response carries cross-origin isolation
// headers (WebAssembly threads need them) and a Content-Security-Policy that
// allows only this origin, so the page cannot load or send anything elsewhere.
// Only files inside ROOT are served: no listings, no dotfiles, no paths that
// leave ROOT (also through symbolic links).

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
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
};

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
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
  'Cache-Control': 'no-cache',
};

function usage() {
  console.error('usage: node scripts/serve.mjs ROOT   (PORT overrides the port, 8080)');
  process.exit(2);
}

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
    let info = await stat(file);
    if (info.isDirectory()) {
      file = path.join(file, 'index.html');
      info = await stat(file);
    }
    if (!info.isFile()) return { status: 404 };
    const real = await realpath(file);
    if (!isInside(root, real)) return { status: 403 };
    return { status: 200, file: real, size: info.size };
  } catch {
    return { status: 404 };
  }
}

function acceptsGzip(req) {
  return /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
}

// FILE.gz beside FILE (written by web/build.mjs), or null.
async function gzipTwin(file) {
  try {
    const info = await stat(`${file}.gz`);
    return info.isFile() ? { file: `${file}.gz`, size: info.size } : null;
  } catch {
    return null;
  }
}

function sendStatus(req, res, status) {
  const body = `${status} ${{ 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' }[status] ?? ''}\n`;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...(status === 405 ? { Allow: 'GET, HEAD' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
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
  const type = MIME_TYPES[path.extname(found.file).toLowerCase()] ?? 'application/octet-stream';
  // The build's precompressed twin (FILE.gz), when the browser takes gzip.
  const gzip = acceptsGzip(req) ? await gzipTwin(found.file) : null;
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': gzip ? gzip.size : found.size,
    Vary: 'Accept-Encoding',
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(gzip ? gzip.file : found.file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
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
    handle(root, req, res)
      .catch(() => {
        if (!res.headersSent) sendStatus(req, res, 404);
        else res.destroy();
      })
      .finally(() => {
        if (process.env.FACEGENDER_SERVE_QUIET !== '1') {
          console.log(`${req.method} ${req.url} ${res.statusCode}`);
        }
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
