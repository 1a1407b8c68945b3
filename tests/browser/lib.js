// Shared pieces of the browser tests: a fresh build of the example site, a static server for
// it, the list of its pages, and the pass/fail tally that ends with "N passed, N failed".
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

// Command line: node <script> [REFPRESS_BINARY [REPO_ROOT [extra...]]] [--site DIR]. Defaults
// suit a run from tests/browser after `cmake --build build`. --site DIR tests an already built
// site (the harness's own self-test uses it) instead of building REPO_ROOT.
function parseArgs(argv) {
    const pos = [];
    let site = null;
    for (let i = 2; i < argv.length; i++) {
        if (argv[i] === '--site' && i + 1 < argv.length) site = path.resolve(argv[++i]);
        else pos.push(argv[i]);
    }
    const repo = path.resolve(pos[1] || path.join(__dirname, '..', '..'));
    const bin = path.resolve(pos[0] || path.join(repo, 'build', 'refpress'));
    return { bin, repo, site, rest: pos.slice(2) };
}

// The site to test: the --site folder, or a fresh build of the repository.
function siteToTest(args) {
    return args.site || buildSite(args.bin, args.repo);
}

// The site build() returns, or null after one failed check, "the example site builds", that
// carries the build's output.
function siteOrFail(tally, build) {
    try {
        return build();
    } catch (e) {
        tally.check(false, 'the example site builds', e.message);
        return null;
    }
}

// Runs an async main that resolves to the exit code; an exception is one failed check.
function runMain(main) {
    main().then((code) => { process.exitCode = code; }, (e) => {
        console.log(`FAIL: ${e.stack || e}`);
        console.log('0 passed, 1 failed');
        process.exitCode = 1;
    });
}

// Builds the site in repo into a new temporary folder, removed when the process exits.
// Returns the output folder; throws with refpress's output when the build fails.
function buildSite(bin, repo) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refpress-browser-'));
    process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
    const out = path.join(tmp, 'site');
    const r = spawnSync(bin, ['build', repo, '--out', out, '--quiet'], { encoding: 'utf8' });
    if (r.error) throw new Error(`cannot run ${bin}: ${r.error.message}`);
    if (r.status !== 0) {
        throw new Error(`refpress build exited ${r.status}:\n${r.stdout}${r.stderr}`);
    }
    return out;
}

// Every .html file under dir, as paths relative to dir with '/' separators, sorted.
function htmlFiles(dir) {
    const found = [];
    const walk = (sub) => {
        for (const e of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
            const rel = sub ? `${sub}/${e.name}` : e.name;
            if (e.isDirectory()) walk(rel);
            else if (e.isFile() && e.name.endsWith('.html')) found.push(rel);
        }
    };
    walk('');
    return found.sort();
}

const TYPES = {
    '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
    '.json': 'application/json', '.xml': 'application/xml', '.txt': 'text/plain; charset=utf-8',
    '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg',
    '.gif': 'image/gif', '.webp': 'image/webp', '.avif': 'image/avif', '.ico': 'image/x-icon',
    '.woff': 'font/woff', '.woff2': 'font/woff2', '.webmanifest': 'application/manifest+json',
};

// Resolves a request path to a file in root: /x/ is /x/index.html. Returns null for anything
// outside root or missing.
function resolveFile(root, urlPath) {
    let p;
    try {
        p = decodeURIComponent(urlPath);
    } catch {
        return null;
    }
    if (p.includes('\0')) return null;
    if (p.endsWith('/')) p += 'index.html';
    const file = path.join(root, path.normalize(p));
    if (file !== root && !file.startsWith(root + path.sep)) return null;
    try {
        return fs.statSync(file).isFile() ? file : null;
    } catch {
        return null;
    }
}

// Serves root on 127.0.0.1 at a random port, as a static host would: a folder without its
// slash redirects, a missing file gets root/404.html with status 404. Resolves to
// { origin, close() }.
function serve(root) {
    const server = http.createServer((req, res) => {
        const urlPath = new URL(req.url, 'http://localhost').pathname;
        let file = resolveFile(root, urlPath);
        if (!file && !urlPath.endsWith('/') && resolveFile(root, urlPath + '/')) {
            res.writeHead(301, { Location: urlPath + '/' });
            res.end();
            return;
        }
        let status = 200;
        if (!file) {
            status = 404;
            file = resolveFile(root, '/404.html');
        }
        const body = file ? fs.readFileSync(file) : Buffer.from('not found\n');
        const type = file ? TYPES[path.extname(file).toLowerCase()] : 'text/plain';
        res.writeHead(status, {
            'Content-Type': type || 'application/octet-stream',
            'Content-Length': body.length,
            'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
    });
    return new Promise((resolve, reject) => {
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            resolve({
                origin: `http://127.0.0.1:${port}`,
                close: () => new Promise((done) => {
                    server.closeAllConnections?.();
                    server.close(() => done());
                }),
            });
        });
    });
}

// The tally: each check passes or fails with a message; done() prints the closing line and
// returns the exit status.
class Tally {
    constructor() {
        this.passed = 0;
        this.failed = 0;
        this.failures = [];
    }

    check(ok, name, detail) {
        if (ok) {
            this.passed++;
        } else {
            this.failed++;
            const msg = detail ? `${name}\n${indent(detail)}` : name;
            this.failures.push(msg);
            console.log(`FAIL: ${msg}`);
        }
        return ok;
    }

    replay(recorder) {
        for (const [ok, name, detail] of recorder.results) this.check(ok, name, detail);
    }

    done() {
        if (this.failures.length) {
            console.log(`\n${this.failures.length} failure(s):`);
            for (const f of this.failures) console.log(`  - ${f.split('\n')[0]}`);
        }
        console.log(`${this.passed} passed, ${this.failed} failed`);
        return this.failed === 0 ? 0 : 1;
    }
}

// Records checks made while other work runs at the same time, for a Tally to replay in order.
class Recorder {
    constructor() {
        this.results = [];
    }

    check(ok, name, detail) {
        this.results.push([ok, name, detail]);
        return ok;
    }
}

function indent(text) {
    return String(text).split('\n').map((l) => `    ${l}`).join('\n');
}

module.exports = {
    parseArgs, siteToTest, siteOrFail, runMain, buildSite, htmlFiles, serve, Tally, Recorder, indent,
};
