// The harness tested on itself: validate.js and e2e.js run on fixtures/broken, a hand-written
// site whose reference and guide pages carry one known defect per check and whose skill and
// article pages carry none. Each check must catch its defect and pass the clean pages.
// Usage: node selftest.js
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Tally } = require('./lib.js');

const FIXTURE = path.join(__dirname, 'fixtures', 'broken');

function run(script, extra) {
    const r = spawnSync(process.execPath, [path.join(__dirname, script), ...extra,
                                           '--site', FIXTURE],
                        { encoding: 'utf8', timeout: 300000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

// The detail lines printed under the FAIL line whose name matches head.
function failBlock(out, head) {
    const lines = out.split('\n');
    const i = lines.findIndex((l) => l.startsWith('FAIL: ') && head.test(l));
    if (i < 0) return null;
    const block = [];
    for (let j = i + 1; j < lines.length && lines[j].startsWith('    '); j++) block.push(lines[j]);
    return block.join('\n');
}

function expectFail(tally, out, head, detail, what) {
    const block = failBlock(out, head);
    const ok = block !== null && (!detail || detail.test(block));
    tally.check(ok, what, block === null ? `no FAIL line matching ${head}` :
        `the FAIL line's details do not match ${detail}:\n${block}`);
}

function expectClosingLine(tally, out, script) {
    const m = /^(\d+) passed, (\d+) failed$/m.exec(out.trimEnd().split('\n').pop());
    tally.check(m && Number(m[1]) > 0 && Number(m[2]) > 0,
                `${script} ends with "N passed, N failed", some of each`,
                out.trimEnd().split('\n').pop());
}

function checkValidate(tally) {
    const { status, out } = run('validate.js', []);
    tally.check(status === 1, 'validate.js exits 1 on the broken site', `status ${status}`);
    expectClosingLine(tally, out, 'validate.js');
    const page = /^FAIL: tech\/python\/index\.html: 3 html-validate error/;
    expectFail(tally, out, page, /tech\/python\/index\.html:\d+:\d+: error \[wcag\/h37\]/,
               'validate.js reports the <img> without alt with its position');
    expectFail(tally, out, page, /\[element-permitted-content\]/,
               'validate.js reports a <div> inside a <span>');
    expectFail(tally, out, page, /\[no-inline-style\]/, 'validate.js reports an inline style');
    const others = out.split('\n').filter((l) => l.startsWith('FAIL: ') && !page.test(l));
    tally.check(others.length === 0, 'validate.js passes the valid pages', others.join('\n'));
}

function checkE2e(tally) {
    const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'refpress-selftest-'));
    const { status, out } = run('e2e.js', ['-', '-', shots]);
    const count = fs.readdirSync(shots).filter((f) => f.endsWith('.png')).length;
    fs.rmSync(shots, { recursive: true, force: true });
    tally.check(status === 1, 'e2e.js exits 1 on the broken site', `status ${status}\n${out}`);
    expectClosingLine(tally, out, 'e2e.js');
    // 4 pages x 2 widths x 2 schemes, and the 404 page.
    tally.check(count === 17, `e2e.js writes 17 screenshots (wrote ${count})`);
    for (const size of ['1280x900', '390x844']) {
        for (const scheme of ['light', 'dark']) {
            const at = `@${size} ${scheme}`;
            const ref = `reference /tech/python/ ${at}`;
            const guide = `guide /guides/broken-toc/ ${at}`;
            expectFail(tally, out, new RegExp(`${ref}: no horizontal scroll$`),
                       /scrollWidth 2016 > clientWidth[\s\S]*div\.wide "wide block"/,
                       `${ref}: the wide block is reported as horizontal scroll`);
            expectFail(tally, out, new RegExp(`${ref}: FAQ "Does this open\\?" opens`),
                       /still false/, `${ref}: a FAQ that does not open is reported`);
            expectFail(tally, out, new RegExp(`${ref}: no console errors or failed requests`),
                       /fixture: deliberate console error/,
                       `${ref}: a console error is reported`);
            expectFail(tally, out, new RegExp(`${ref}: no console errors or failed requests`),
                       /HTTP 404: GET http:\/\/127\.0\.0\.1:\d+\/missing\.png/,
                       `${ref}: a missing image is reported`);
            expectFail(tally, out, new RegExp(`${guide}: the 3 links of TOC nav.toc ` +
                                              '"On this page" have targets'),
                       /^ {4}no element with id "missing" for #missing$/m,
                       `${guide}: a TOC link to nothing`);
            expectFail(tally, out, new RegExp(`${guide}: TOC link #present lands`),
                       /covered by header\.bar/, `${guide}: a heading under a fixed header`);
            expectFail(tally, out, new RegExp(`${guide}: TOC link #low lands`),
                       /heading top is (39\d|40\d)\.\d px, not within 0\.\.200/,
                       `${guide}: a heading that stops 400 px down`);
        }
        const axe = `reference /tech/python/ @1280x900 ${size === '1280x900' ? 'light' : 'dark'}`;
        expectFail(tally, out, new RegExp(`${axe}: axe-core finds no violations`),
                   /image-alt \(critical\)[\s\S]*target: img/,
                   `${axe}: axe-core reports the image without alt`);
    }
    const clean = out.split('\n').filter((l) => l.startsWith('FAIL: ') &&
        /skill \/skills\/good\/|article \/articles\/good\/|unknown address/.test(l));
    tally.check(clean.length === 0, 'e2e.js passes the clean skill, article and 404 pages',
                clean.join('\n'));
    tally.check(/^note: article \/articles\/good\/ @390x844 dark: no table of contents/m
        .test(out), 'a page without a TOC is skipped with a note');
    tally.check(/^screenshots: /m.test(out), 'e2e.js prints the screenshot folder');
}

const tally = new Tally();
checkValidate(tally);
checkE2e(tally);
process.exitCode = tally.done();
