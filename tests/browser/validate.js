// HTML validation: every .html page of a fresh build of the example site passes html-validate
// with .htmlvalidate.json beside this file. One check per page; errors fail, warnings print.
// Usage: node validate.js [REFPRESS_BINARY] [REPO_ROOT] [--site BUILT_SITE]
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { HtmlValidate, StaticConfigLoader } = require('html-validate');
const { parseArgs, siteToTest, siteOrFail, runMain, htmlFiles, Tally } = require('./lib.js');

// .htmlvalidate.json is JSON with whole-line // comments (the reason next to each rule).
function loadConfig() {
    const text = fs.readFileSync(path.join(__dirname, '.htmlvalidate.json'), 'utf8');
    const json = text.split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n');
    return JSON.parse(json);
}

function formatMessage(rel, m) {
    const kind = m.severity === 2 ? 'error' : 'warning';
    const where = `${rel}:${m.line}:${m.column}`;
    const sel = m.selector ? ` (${m.selector})` : '';
    return `${where}: ${kind} [${m.ruleId}] ${m.message}${sel}`;
}

async function main() {
    const args = parseArgs(process.argv);
    const tally = new Tally();
    const started = Date.now();
    const site = siteOrFail(tally, () => siteToTest(args));
    if (!site) return tally.done();
    const files = htmlFiles(site);
    // The example site has a home page, four kinds of pages, section and tag pages and a 404:
    // finding only a handful there means the walk or the build went wrong.
    if (!args.site) {
        tally.check(files.length >= 20, `the build has pages to validate (found ${files.length})`);
    }
    tally.check(files.includes('404.html') && files.includes('index.html'),
                'the build has index.html and 404.html');

    const validator = new HtmlValidate(new StaticConfigLoader(loadConfig()));
    let warnings = 0;
    for (const rel of files) {
        const report = await validator.validateFile(path.join(site, rel));
        const messages = report.results.flatMap((r) => r.messages);
        const errors = messages.filter((m) => m.severity === 2);
        for (const m of messages.filter((x) => x.severity !== 2)) {
            console.log(`note: ${formatMessage(rel, m)}`);
            warnings++;
        }
        tally.check(errors.length === 0, `${rel}: ${errors.length} html-validate error(s)`,
                    errors.map((m) => formatMessage(rel, m)).join('\n'));
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`validated ${files.length} pages in ${secs} s (${warnings} warning(s))`);
    return tally.done();
}

runMain(main);
