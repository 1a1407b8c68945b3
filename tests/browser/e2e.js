// End to end in headless Chromium: one page of each kind (reference, guide, skill, article) of a
// fresh build of the example site, served on 127.0.0.1, at two widths in light and dark: no
// horizontal scroll, table-of-contents links land on their headings, the FAQ opens, no console
// errors or failed requests, screenshots; axe-core finds no violations at 1280 px; an unknown
// address answers 404 with the site's 404 page.
// Usage: node e2e.js [REFPRESS_BINARY] [REPO_ROOT] [SCREENSHOT_DIR] [--site BUILT_SITE]
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { parseArgs, siteToTest, siteOrFail, runMain, serve, Tally, Recorder } = require('./lib.js');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const VIEWPORTS = [{ width: 1280, height: 900 }, { width: 390, height: 844 }];
const SCHEMES = ['light', 'dark'];
const AXE_WIDTH = 1280;
const AXE_SCRIPT = require.resolve('axe-core/axe.min.js');
const TOC_TOP_MAX = 200;       // a heading reached from the TOC sits this near the top, in px
const TOC_CLICKS = 6;          // links clicked per TOC (smooth scrolling makes each take ~1.5 s)
const WATCHDOG_MS = 840 * 1000; // below ctest's TIMEOUT, so the closing line still prints

// The first page a section lists (its first link to /section/slug/), else the first folder.
function firstPageOf(site, section) {
    const index = path.join(site, section, 'index.html');
    if (fs.existsSync(index)) {
        const html = fs.readFileSync(index, 'utf8');
        const re = new RegExp(`href="(/${section}/[^"/?#]+/)"`);
        const m = re.exec(html);
        if (m) return m[1];
    }
    const dirs = fs.existsSync(path.join(site, section))
        ? fs.readdirSync(path.join(site, section), { withFileTypes: true })
            .filter((e) => e.isDirectory() &&
                           fs.existsSync(path.join(site, section, e.name, 'index.html')))
            .map((e) => e.name).sort()
        : [];
    return dirs.length ? `/${section}/${dirs[0]}/` : null;
}

function pagesToTest(site) {
    const pages = [];
    const ref = '/tech/python/';
    // The reference page has a FAQ and guides have a table of contents: there a missing one
    // fails; elsewhere it is skipped with a note.
    pages.push({ kind: 'reference',
                 path: fs.existsSync(path.join(site, 'tech/python/index.html')) ? ref : null,
                 wanted: ref, needs: { faq: true } });
    for (const [kind, section] of [['guide', 'guides'], ['skill', 'skills'],
                                   ['article', 'articles']]) {
        pages.push({ kind, path: firstPageOf(site, section), wanted: `/${section}/…`,
                     needs: { toc: kind === 'guide' } });
    }
    return pages;
}

const ANSI = /\x1b\[[0-9;]*m/g;

// The first line of a Playwright error, and the line that names what blocks a click.
function firstLine(e) {
    const lines = String(e && e.message ? e.message : e).replace(ANSI, '').split('\n');
    const blocker = lines.find((l) => /intercepts pointer events/.test(l));
    return blocker ? `${lines[0]} (${blocker.trim().replace(/^- /, '')})` : lines[0];
}

// An unexpected error, without colours and at most 15 lines.
function errorText(e) {
    const lines = String(e && e.stack ? e.stack : e).replace(ANSI, '').split('\n');
    return lines.slice(0, 15).join('\n');
}

// Records console errors, uncaught exceptions, failed requests and HTTP errors on a page.
// A response from allowedUrl with status 404 (the deliberate 404 test) is not a problem.
function watch(page, allowedUrl) {
    const problems = [];
    page.on('console', (m) => {
        if (m.type() !== 'error') return;
        const loc = m.location();
        if (allowedUrl && loc.url === allowedUrl && /\b404\b/.test(m.text())) return;
        const where = loc.url ? ` (${loc.url}:${loc.lineNumber})` : '';
        problems.push(`console error: ${m.text()}${where}`);
    });
    page.on('pageerror', (e) => problems.push(`uncaught exception: ${e.message}`));
    page.on('requestfailed', (r) => {
        problems.push(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`);
    });
    page.on('response', (r) => {
        if (r.status() < 400) return;
        if (allowedUrl && r.url() === allowedUrl && r.status() === 404) return;
        problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    return problems;
}

// What makes the document wider than the window: the outermost elements that stick out of
// the window or of their parent's box, and are not clipped by a scrolling or hidden-overflow
// ancestor, with the start of their text.
function overflowCulprits() {
    const cw = document.documentElement.clientWidth;
    const describe = (el) => {
        let s = el.tagName.toLowerCase();
        if (el.id) s += `#${el.id}`;
        if (typeof el.className === 'string' && el.className.trim()) {
            s += `.${el.className.trim().split(/\s+/).join('.')}`;
        }
        const text = (el.textContent || '').trim().replace(/\s+/g, ' ');
        return text ? `${s} "${text.length > 60 ? `${text.slice(0, 60)}…` : text}"` : s;
    };
    const box = (el) => el.getBoundingClientRect();
    const sticksOut = (el) => {
        const r = box(el);
        if (r.width === 0 && r.height === 0) return false;
        if (r.right > cw + 0.5 || r.left < -0.5) return true;
        const p = el.parentElement;
        if (!p || p === document.documentElement) return false;
        const pr = box(p);
        return r.right > pr.right + 0.5 || r.left < pr.left - 0.5;
    };
    const clipped = (el) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== 'visible') return true;
        }
        return false;
    };
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
        if (!sticksOut(el) || clipped(el)) continue;
        let outer = false;
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (sticksOut(a)) outer = true;
        }
        if (outer) continue;
        const r = box(el);
        const pr = box(el.parentElement);
        out.push(`${describe(el)}: left ${Math.round(r.left)}, right ${Math.round(r.right)} ` +
                 `(parent ${el.parentElement.tagName.toLowerCase()} ends at ` +
                 `${Math.round(pr.right)}, window ${cw})`);
        if (out.length >= 8) break;
    }
    return out;
}

async function checkNoHorizontalScroll(page, label, tally) {
    const m = await page.evaluate(() => ({
        sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth,
    }));
    const ok = m.sw <= m.cw;
    const detail = ok ? '' : `scrollWidth ${m.sw} > clientWidth ${m.cw}; sticking out:\n` +
        ((await page.evaluate(overflowCulprits)).join('\n') || '(no single element found)');
    tally.check(ok, `${label}: no horizontal scroll`, detail);
}

// Waits until the element with this id has not moved for 400 ms (smooth scrolling moves it
// every frame while it runs), at most 5 s.
async function waitForScrollToSettle(page, id) {
    await page.evaluate(() => { window.__refpressSettle = { top: null, since: 0 }; });
    try {
        await page.waitForFunction((target) => {
            const el = document.getElementById(target);
            const top = el ? el.getBoundingClientRect().top : 0;
            const st = window.__refpressSettle;
            const now = performance.now();
            if (st.top === null || Math.abs(st.top - top) >= 0.5) {
                st.top = top;
                st.since = now;
                return false;
            }
            return now - st.since >= 400;
        }, id, { polling: 'raf', timeout: 5000 });
    } catch {
        // measured as it stands; a heading still moving will be reported by its position
    }
}

// Where the heading for id is after a click: its box, whether the page is scrolled to its end,
// and whether something else (a sticky header) covers it.
function headingPosition(target) {
    const el = document.getElementById(target);
    if (!el) return { exists: false, hash: location.hash };
    const r = el.getBoundingClientRect();
    const doc = document.documentElement;
    const atEnd = window.scrollY + window.innerHeight >= doc.scrollHeight - 2;
    const x = Math.min(Math.max(r.left + 4, 0), window.innerWidth - 1);
    const y = Math.min(Math.max(r.top + Math.min(r.height / 2, 12), 0), window.innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    const covered = !(hit && (hit === el || el.contains(hit)));
    let coveredBy = '';
    if (covered && hit) {
        coveredBy = hit.tagName.toLowerCase() +
            (typeof hit.className === 'string' && hit.className ? `.${hit.className}` : '');
    }
    return { exists: true, hash: location.hash, top: r.top, bottom: r.bottom,
             innerHeight: window.innerHeight, atEnd, covered, coveredBy };
}

function describeNav(nav) {
    const cls = typeof nav.className === 'string' && nav.className.trim()
        ? `.${nav.className.trim().split(/\s+/).join('.')}` : '';
    const name = nav.getAttribute('aria-label') ||
        document.getElementById(nav.getAttribute('aria-labelledby') || '')?.textContent.trim();
    return `nav${cls}${name ? ` "${name}"` : ''}`;
}

// Up to k indexes of 0..n-1, evenly spread, first and last included.
function spread(n, k) {
    if (n <= k) return [...Array(n).keys()];
    return [...new Set([...Array(k).keys()].map((i) => Math.round((i * (n - 1)) / (k - 1))))];
}

// Whether each link is shown, folded in a closed <details> whose summary is shown, or hidden.
function linkStates(links) {
    const shown = (el) => el.checkVisibility({ visibilityProperty: true });
    return links.map((a) => {
        if (shown(a)) return 'shown';
        const summary = a.closest('details:not([open])')?.querySelector(':scope > summary');
        return summary && shown(summary) ? 'folded' : 'hidden';
    });
}

// Every <nav> with links to '#…' is a table of contents: every link must have a target, and
// TOC_CLICKS of the links a reader can reach are clicked, spread over the list, opening a closed
// <details> around them first as a reader would. Links hidden at this width (a page may show a
// rail on wide screens and a folded list on narrow ones) are skipped with a note.
async function checkToc(page, label, needed, tally, notes) {
    const navs = page.locator('nav:has(a[href^="#"])');
    const count = await navs.count();
    if (count === 0 && needed) {
        tally.check(false, `${label}: the page has a table of contents (a nav link to '#…')`);
        return;
    }
    if (count === 0) {
        notes.push(`${label}: no table of contents (no nav link to '#…'), TOC check skipped`);
        return;
    }
    let reached = 0;
    for (let k = 0; k < count; k++) {
        const nav = navs.nth(k);
        const what = await nav.evaluate(describeNav);
        const links = nav.locator('a[href^="#"]');
        const missing = await links.evaluateAll((as) => {
            const decode = (h) => {
                try {
                    return decodeURIComponent(h.slice(1));
                } catch {
                    return h.slice(1);
                }
            };
            return as.map((a) => a.getAttribute('href'))
                .filter((h) => !document.getElementById(decode(h)))
                .map((h) => `no element with id "${decode(h)}" for ${h}`);
        });
        const states = await links.evaluateAll(linkStates);
        tally.check(missing.length === 0,
                    `${label}: the ${states.length} links of TOC ${what} have targets`,
                    missing.join('\n'));
        const reachable = states.flatMap((st, i) => (st === 'hidden' ? [] : [i]));
        const hidden = states.length - reachable.length;
        if (hidden) {
            notes.push(`${label}: ${hidden} of the ${states.length} links of TOC ${what} are ` +
                       'hidden at this width, not clicked');
        }
        reached += reachable.length;
        for (const j of spread(reachable.length, TOC_CLICKS)) {
            await checkTocLink(page, links.nth(reachable[j]), label, tally, notes);
        }
    }
    if (reached === 0) notes.push(`${label}: no table of contents is shown at this width`);
}

async function checkTocLink(page, link, label, tally, notes) {
    const href = await link.getAttribute('href');
    let id;
    try {
        id = decodeURIComponent(href.slice(1));
    } catch {
        id = href.slice(1);
    }
    const name = `${label}: TOC link ${href} lands on its heading`;
    // A link without a target has failed the check above.
    if (!(await page.evaluate((t) => !!document.getElementById(t), id))) return;
    if (!(await link.isVisible())) {
        const summary = link.locator('xpath=ancestor::details[not(@open)][1]/summary');
        if (await summary.count()) {
            try {
                await summary.first().click({ timeout: 3000 });
            } catch (e) {
                tally.check(false, name, `its closed <details> cannot be opened: ${firstLine(e)}`);
                return;
            }
        }
    }
    try {
        await link.click({ timeout: 3000 });
    } catch (e) {
        tally.check(false, name, `the link cannot be clicked: ${firstLine(e)}`);
        return;
    }
    await waitForScrollToSettle(page, id);
    const p = await page.evaluate(headingPosition, id);
    if (!p.exists) {
        tally.check(false, name, `the element with id "${id}" went away after the click`);
        return;
    }
    // -1: scroll positions are fractional, a heading at the very top may sit at -0.5
    const inTop = p.top >= -1 && p.top <= TOC_TOP_MAX;
    // A heading near the end of the page cannot scroll up to the top: there it must be in view
    // with the page scrolled to its end.
    const inViewAtEnd = p.atEnd && p.top >= -1 && p.bottom <= p.innerHeight + 1;
    const problems = [];
    if (p.hash !== href) problems.push(`location.hash is "${p.hash}", not "${href}"`);
    if (!inTop && !inViewAtEnd) {
        problems.push(`heading top is ${p.top.toFixed(1)} px, not within 0..${TOC_TOP_MAX}` +
                      ` (window height ${p.innerHeight}${p.atEnd ? ', scrolled to end' : ''})`);
    }
    if (p.covered) problems.push(`the heading is covered by ${p.coveredBy || 'nothing'}`);
    if (!problems.length && !inTop) {
        notes.push(`${label}: TOC link ${href}: heading at ${Math.round(p.top)} px, in view ` +
                   'with the page scrolled to its end');
    }
    tally.check(problems.length === 0, name, problems.join('\n'));
}

// The FAQ is the <details> inside an element named faq (id, class, or aria-labelledby heading);
// without one, the first <details> of the page.
function faqIndex() {
    const all = [...document.querySelectorAll('details')];
    const isFaq = (d) => {
        for (let e = d.parentElement; e; e = e.parentElement) {
            if (/faq/i.test(`${e.id} ${typeof e.className === 'string' ? e.className : ''}`)) {
                return true;
            }
            const lb = e.getAttribute('aria-labelledby');
            const h = lb && document.getElementById(lb);
            if (h && /faq|frequently asked|questions/i.test(h.textContent)) return true;
        }
        return false;
    };
    const i = all.findIndex(isFaq);
    return i >= 0 ? i : all.length ? 0 : -1;
}

async function checkFaq(page, label, needed, tally, notes) {
    const i = await page.evaluate(faqIndex);
    if (i < 0 && needed) {
        tally.check(false, `${label}: the page has a FAQ (a <details>)`);
        return;
    }
    if (i < 0) {
        notes.push(`${label}: no <details> on the page, FAQ check skipped`);
        return;
    }
    const details = page.locator('details').nth(i);
    const wasOpen = await details.evaluate((d) => d.open);
    try {
        await details.locator(':scope > summary').click({ timeout: 3000 });
    } catch (e) {
        tally.check(false, `${label}: the FAQ summary can be clicked`, firstLine(e));
        return;
    }
    const st = await details.evaluate((d) => {
        const body = [...d.children].filter((c) => c.tagName !== 'SUMMARY');
        const shown = body.some((c) => c.getBoundingClientRect().height > 0);
        return { open: d.open, shown, summary: d.querySelector('summary')?.textContent.trim() };
    });
    if (wasOpen) {
        tally.check(!st.open, `${label}: FAQ "${st.summary}" (open at load) closes on a click`);
        return;
    }
    tally.check(st.open && st.shown, `${label}: FAQ "${st.summary}" opens on a click`,
                st.open ? 'details.open is true but no answer content is shown' :
                    'details.open is still false after clicking its summary');
}

async function checkProblems(page, problems, label, tally) {
    await page.waitForTimeout(50);
    tally.check(problems.length === 0, `${label}: no console errors or failed requests`,
                problems.join('\n'));
}

async function visit(browser, origin, pg, vp, scheme, shots, tally, notes) {
    const label = `${pg.kind} ${pg.path} @${vp.width}x${vp.height} ${scheme}`;
    const context = await browser.newContext({ viewport: vp });
    try {
        const page = await context.newPage();
        page.setDefaultTimeout(10000);
        const problems = watch(page, null);
        await page.emulateMedia({ colorScheme: scheme });
        const resp = await page.goto(origin + pg.path, { waitUntil: 'load' });
        if (!tally.check(resp && resp.status() === 200, `${label}: loads with status 200`,
                         `status ${resp && resp.status()}`)) return;
        await page.evaluate(() => document.fonts.ready.then(() => true));
        const file = path.join(shots, `${pg.kind}-${vp.width}x${vp.height}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        await checkNoHorizontalScroll(page, label, tally);
        await checkToc(page, label, !!pg.needs.toc, tally, notes);
        await checkFaq(page, label, !!pg.needs.faq, tally, notes);
        await checkProblems(page, problems, label, tally);
    } catch (e) {
        tally.check(false, `${label}: the visit ran to its end`, errorText(e));
    } finally {
        await context.close();
    }
}

// Each violation: id, impact, rule summary, then its elements grouped by what to fix.
function formatViolations(violations) {
    const lines = [];
    for (const v of violations) {
        lines.push(`${v.id} (${v.impact}): ${v.help} [${v.nodes.length} element(s)] ${v.helpUrl}`);
        const groups = new Map();
        for (const n of v.nodes) {
            const key = String(n.summary || '');
            if (!groups.has(key)) groups.set(key, []);
            groups.get(key).push(n.target.join(' '));
        }
        for (const [summary, targets] of groups) {
            const shown = targets.slice(0, 12).join(', ');
            const more = targets.length > 12 ? ` and ${targets.length - 12} more` : '';
            lines.push(`  target: ${shown}${more}`);
            for (const l of summary.split('\n')) lines.push(`    ${l}`);
        }
    }
    return lines.join('\n');
}

async function runAxe(browser, origin, pg, scheme, tally) {
    const vp = VIEWPORTS.find((v) => v.width === AXE_WIDTH);
    const label = `${pg.kind} ${pg.path} @${vp.width}x${vp.height} ${scheme}`;
    // bypassCSP so that axe can be injected whatever policy the page sets.
    const context = await browser.newContext({ viewport: vp, bypassCSP: true });
    try {
        const page = await context.newPage();
        page.setDefaultTimeout(10000);
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(origin + pg.path, { waitUntil: 'load' });
        await page.evaluate(() => document.fonts.ready.then(() => true));
        await page.addScriptTag({ path: AXE_SCRIPT });
        const violations = await page.evaluate(async () => {
            const r = await window.axe.run(document, { resultTypes: ['violations'] });
            return r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({ target: n.target, summary: n.failureSummary })),
            }));
        });
        tally.check(violations.length === 0,
                    `${label}: axe-core finds no violations (found ${violations.length})`,
                    formatViolations(violations));
    } catch (e) {
        tally.check(false, `${label}: axe-core ran`, errorText(e));
    } finally {
        await context.close();
    }
}

async function check404(browser, origin, shots, tally) {
    const url = `${origin}/no-such-page-for-the-test/`;
    const label = 'unknown address';
    const context = await browser.newContext({ viewport: VIEWPORTS[0] });
    try {
        const page = await context.newPage();
        page.setDefaultTimeout(10000);
        const problems = watch(page, url);
        const resp = await page.goto(url, { waitUntil: 'load' });
        tally.check(resp && resp.status() === 404, `${label}: answers status 404`,
                    `status ${resp && resp.status()}`);
        const p = await page.evaluate(() => ({
            h1: document.querySelector('h1')?.textContent.trim() || '',
            home: !!document.querySelector('a[href="/"]'),
        }));
        tally.check(p.h1 !== '' && p.home,
                    `${label}: shows the 404 page with a heading and a link home`,
                    `h1 "${p.h1}", link to / ${p.home ? 'present' : 'missing'}`);
        await page.screenshot({ path: path.join(shots, '404-1280x900-light.png'), fullPage: true });
        await checkProblems(page, problems, `${label} (404 page)`, tally);
    } catch (e) {
        tally.check(false, `${label}: the visit ran to its end`, errorText(e));
    } finally {
        await context.close();
    }
}

async function main() {
    const args = parseArgs(process.argv);
    const { repo, rest } = args;
    const shots = path.resolve(rest[0] || path.join(repo, 'build', 'screenshots'));
    const tally = new Tally();
    const notes = [];
    const started = Date.now();
    setTimeout(() => {
        tally.check(false, `the run finished within ${WATCHDOG_MS / 1000} s`);
        process.exit(tally.done());
    }, WATCHDOG_MS).unref();

    const site = siteOrFail(tally, () => siteToTest(args));
    if (!site) return tally.done();
    fs.mkdirSync(shots, { recursive: true });
    for (const f of fs.readdirSync(shots)) {
        if (f.endsWith('.png')) fs.rmSync(path.join(shots, f));
    }
    const pages = pagesToTest(site);
    for (const pg of pages) {
        tally.check(pg.path !== null, `the site has a ${pg.kind} page (${pg.wanted})`);
    }
    const found = pages.filter((pg) => pg.path);
    console.log(`pages: ${found.map((pg) => `${pg.kind} ${pg.path}`).join(', ')}`);

    if (!tally.check(fs.existsSync(CHROMIUM), `${CHROMIUM} exists`,
                     'install it with tools/test-deps.sh (apt-get install -y chromium)')) {
        return tally.done();
    }
    const server = await serve(site);
    let browser;
    try {
        browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS,
                                          headless: true, timeout: 60000 });
    } catch (e) {
        await server.close();
        tally.check(false, 'Chromium starts', errorText(e));
        return tally.done();
    }
    try {
        // The visits of one page run side by side (mostly waiting for smooth scrolling), each
        // in its own browser context; their results are reported in a fixed order.
        for (const pg of found) {
            const jobs = [];
            for (const vp of VIEWPORTS) {
                for (const scheme of SCHEMES) {
                    const rec = new Recorder();
                    const own = [];
                    jobs.push({ rec, own, run: visit(browser, server.origin, pg, vp, scheme,
                                                     shots, rec, own) });
                }
            }
            for (const scheme of SCHEMES) {
                const rec = new Recorder();
                jobs.push({ rec, own: [], run: runAxe(browser, server.origin, pg, scheme, rec) });
            }
            await Promise.all(jobs.map((j) => j.run));
            for (const j of jobs) {
                tally.replay(j.rec);
                notes.push(...j.own);
            }
        }
        await check404(browser, server.origin, shots, tally);
    } finally {
        await browser.close();
        await server.close();
    }
    for (const n of notes) console.log(`note: ${n}`);
    const count = fs.readdirSync(shots).filter((f) => f.endsWith('.png')).length;
    console.log(`screenshots: ${shots} (${count} files)`);
    console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return tally.done();
}

runMain(main);
