#!/usr/bin/env node
// Browser end-to-end test runner for Idempotent Producer Lab.
//
//   node web/e2e/run.mjs [test files...]     (default: web/e2e/tests/*.test.mjs)
//
// Serves the trunk output (dist/, build it first: `trunk build --release` or
// `cargo xtask e2e`) from an in-process static server on 127.0.0.1 at a free
// port, then runs the test files with node's built-in test runner, one file at
// a time, and exits with its status. Mounts:
//   /        -> dist/
//   /docs/lab/ -> dist/ again, to check the site works from a sub-path
//   /web/    -> web/
// Tests read the URLs from E2E_BASE_URL / E2E_SUBPATH_URL (see lib.mjs).
// A second server with the same mounts listens on another free port, a different
// origin for cross-origin embedding tests: E2E_SECOND_ORIGIN_URL.
// E2E_DIST=<dir> serves another folder instead of dist/.

import { createServer } from 'node:http';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const dist = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : join(root, 'dist');
const SUBPATH = '/docs/lab/'; // not /lab/: that is the JS API's folder in dist/

const MOUNTS = [
  ['/web/', join(root, 'web')],
  [SUBPATH, dist],
  ['/', dist],
];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

function resolveFile(urlPath) {
  for (const [prefix, dir] of MOUNTS) {
    if (urlPath === prefix.slice(0, -1) && prefix !== '/') return { redirect: prefix };
    if (!urlPath.startsWith(prefix)) continue;
    const file = normalize(join(dir, urlPath.slice(prefix.length)));
    if (file !== dir && !file.startsWith(dir + sep)) return null; // path traversal
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return null;
    }
    if (stat.isDirectory()) {
      if (!urlPath.endsWith('/')) return { redirect: `${urlPath}/` };
      const index = join(file, 'index.html');
      return existsSync(index) ? { file: index } : null;
    }
    return stat.isFile() ? { file } : null;
  }
  return null;
}

function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  } catch {
    res.writeHead(400).end('bad request');
    return;
  }
  const found = resolveFile(urlPath);
  if (!found) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${urlPath}\n`);
    return;
  }
  if (found.redirect) {
    res.writeHead(301, { Location: found.redirect }).end();
    return;
  }
  const type = MIME[extname(found.file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': statSync(found.file).size,
    'Cache-Control': 'no-store',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(found.file).pipe(res);
}

function testFiles() {
  const args = process.argv.slice(2);
  if (args.length > 0) return args.map((f) => resolve(f));
  const dir = join(here, 'tests');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.mjs'))
    .sort()
    .map((f) => join(dir, f));
}

async function main() {
  if (!existsSync(join(dist, 'index.html'))) {
    console.error(`e2e: ${dist}/index.html is missing: run \`trunk build --release\` (or \`cargo xtask e2e\`) first`);
    return 1;
  }
  const files = testFiles();
  if (files.length === 0) {
    console.error('e2e: no web/e2e/tests/*.test.mjs files found');
    return 1;
  }

  const server = createServer(handle);
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address();
  const second = createServer(handle);
  await new Promise((ok, fail) => {
    second.once('error', fail);
    second.listen(0, '127.0.0.1', ok);
  });
  const secondOriginUrl = `http://127.0.0.1:${second.address().port}/`;
  const baseUrl = `http://127.0.0.1:${port}/`;
  const subpathUrl = `http://127.0.0.1:${port}${SUBPATH}`;
  console.log(`e2e: serving ${dist} at ${baseUrl} (and ${subpathUrl}; second origin ${secondOriginUrl}); ${files.length} test file(s)`);

  const child = spawn(
    process.execPath,
    ['--test', '--test-reporter=spec', '--test-concurrency=1', `--test-timeout=${process.env.E2E_TEST_TIMEOUT_MS ?? 180000}`, ...files],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, E2E_BASE_URL: baseUrl, E2E_SUBPATH_URL: subpathUrl, E2E_SECOND_ORIGIN_URL: secondOriginUrl },
    },
  );
  const stop = (signal) => child.kill(signal);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await new Promise((done) => {
    child.on('exit', (status, signal) => done(status ?? (signal ? 1 : 0)));
    child.on('error', (err) => {
      console.error(`e2e: cannot start node --test: ${err.message}`);
      done(1);
    });
  });
  server.closeAllConnections?.();
  await new Promise((done) => server.close(done));
  second.closeAllConnections?.();
  await new Promise((done) => second.close(done));
  return code;
}

process.exitCode = await main();
