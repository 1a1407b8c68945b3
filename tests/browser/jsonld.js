// Structured data: every page of a fresh build of the example site carries exactly one
// <script type="application/ld+json"> whose JSON parses and holds what search engines need
// (TechArticle/Article with headline, description, dates, author, publisher,
// mainEntityOfPage, inLanguage, keywords; BreadcrumbList with positions from 1 and absolute
// URLs; FAQPage whose answers are the same HTML as the visible FAQ). Then the hostile golden
// site: front matter full of </script>, <!--, U+2028 and quotes must still give one script
// element of valid JSON that says exactly what the front matter says.
// Usage: node jsonld.js [REFPRESS_BINARY] [REPO_ROOT]
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs, buildSite, siteOrFail, htmlFiles, Tally } = require('./lib.js');

const SCRIPT = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/g;

function scripts(html) {
    return [...html.matchAll(SCRIPT)].map((m) => m[1]);
}

function absolute(u) {
    return typeof u === 'string' && /^https?:\/\/[^/]+\//.test(u);
}

// The visible FAQ answers of a page, in order: the HTML inside each <details> after </summary>.
function visibleAnswers(html) {
    const faq = html.match(/<section[^>]*class="[^"]*faq[^"]*"[\s\S]*?<\/section>/);
    if (!faq) return [];
    return [...faq[0].matchAll(/<\/summary>\s*(?:<div[^>]*>)?([\s\S]*?)(?:<\/div>)?\s*<\/details>/g)]
        .map((m) => m[1].trim());
}

function checkArticle(t, rel, a, html) {
    const need = ['headline', 'description', 'datePublished', 'dateModified', 'author',
                  'publisher', 'mainEntityOfPage', 'inLanguage'];
    for (const k of need) t.check(a[k] !== undefined, `${rel}: ${a['@type']} has ${k}`);
    t.check(Array.isArray(a.author) && a.author.every((x) => x['@type'] && x.name),
            `${rel}: authors are named Persons`);
    t.check(a.publisher && a.publisher['@type'] === 'Organization' && a.publisher.name,
            `${rel}: publisher is a named Organization`);
    t.check(a.mainEntityOfPage && absolute(a.mainEntityOfPage['@id']),
            `${rel}: mainEntityOfPage has an absolute @id`);
    const title = html.match(/<h1[^>]*>([\s\S]*?)<\/h1>/);
    t.check(title && a.headline.length > 0, `${rel}: headline present`);
    if (/<ul class="tags|rel="tag"|\/tags\//.test(html)) {
        t.check(typeof a.keywords === 'string' && a.keywords.length > 0, `${rel}: keywords`);
    }
}

function checkBreadcrumbs(t, rel, b) {
    const items = b.itemListElement || [];
    t.check(items.length >= 1, `${rel}: breadcrumb trail is not empty`);
    t.check(items.every((it, i) => it['@type'] === 'ListItem' && it.position === i + 1),
            `${rel}: breadcrumb positions run 1, 2, 3…`);
    t.check(items.every((it) => absolute(it.item) && it.name), `${rel}: breadcrumb URLs absolute`);
}

function checkFaq(t, rel, f, html) {
    const qs = f.mainEntity || [];
    t.check(qs.length > 0 && qs.every((q) => q['@type'] === 'Question' && q.name &&
            q.acceptedAnswer && q.acceptedAnswer['@type'] === 'Answer' && q.acceptedAnswer.text),
            `${rel}: every FAQ entry is a Question with an accepted Answer`);
    const shown = visibleAnswers(html);
    t.check(shown.length === qs.length, `${rel}: as many FAQ answers in JSON-LD as on the page`,
            `${qs.length} in JSON-LD, ${shown.length} visible`);
    qs.forEach((q, i) => {
        if (shown[i] === undefined) return;
        t.check(q.acceptedAnswer.text.trim() === shown[i], `${rel}: FAQ answer ${i + 1} matches the page`,
                `JSON-LD: ${q.acceptedAnswer.text.trim().slice(0, 120)}\npage:    ${shown[i].slice(0, 120)}`);
    });
}

function checkSite(t, site) {
    let articles = 0, faqs = 0;
    for (const rel of htmlFiles(site)) {
        const html = fs.readFileSync(path.join(site, rel), 'utf8');
        if (/http-equiv="refresh"/.test(html)) continue; // alias redirects
        const found = scripts(html);
        t.check(found.length === 1, `${rel}: one JSON-LD script`, `found ${found.length}`);
        if (found.length !== 1) continue;
        let data;
        try {
            data = JSON.parse(found[0]);
        } catch (e) {
            t.check(false, `${rel}: JSON-LD parses`, e.message);
            continue;
        }
        t.check(data['@context'] === 'https://schema.org', `${rel}: @context is schema.org`);
        const graph = data['@graph'] || [];
        const byType = (type) => graph.find((g) => g['@type'] === type);
        const article = byType('TechArticle') || byType('Article');
        const kind = (html.match(/<article class="([a-z]+)/) || [])[1];
        if (article) {
            articles++;
            checkArticle(t, rel, article, html);
        }
        const crumbs = byType('BreadcrumbList');
        t.check(Boolean(crumbs), `${rel}: BreadcrumbList`);
        if (crumbs) checkBreadcrumbs(t, rel, crumbs);
        const faq = byType('FAQPage');
        if (faq) {
            faqs++;
            checkFaq(t, rel, faq, html);
        }
        if (kind === 'article') t.check(Boolean(byType('Article')), `${rel}: an article is an Article`);
    }
    t.check(articles >= 16, `the example site has article structured data (${articles} pages)`);
    t.check(faqs >= 16, `the example site has FAQ structured data (${faqs} pages)`);
}

// The hostile golden site: its expected output, as committed, must still be safe and exact.
function checkHostile(t, repo) {
    const file = path.join(repo, 'tests', 'sites', 'hostile', 'expected', 'evil', 'index.html');
    const html = fs.readFileSync(file, 'utf8');
    const found = scripts(html);
    t.check(found.length === 1, 'hostile: one script element, not broken open', `found ${found.length}`);
    t.check(!html.includes('<script>alert(1)</script>'), 'hostile: no injected script element');
    let data;
    try {
        data = JSON.parse(found[0]);
    } catch (e) {
        t.check(false, 'hostile: JSON-LD parses', e.message);
        return;
    }
    const a = data['@graph'][0];
    t.check(a.headline === '</script><script>alert(1)</script>', 'hostile: headline exact');
    t.check(a.description.includes('<!-- opens a comment') && a.description.includes('\u2028') &&
            a.description.includes('\u2029'), 'hostile: comment opener and U+2028/2029 kept');
    t.check(!/[\u2028\u2029]|<\/|<!--/.test(found[0]), 'hostile: raw text has no </, <!-- or U+2028/9');
    t.check(a.author[0].name === 'Mallory "the" </SCRIPT >', 'hostile: author exact');
    const faq = data['@graph'].find((g) => g['@type'] === 'FAQPage');
    t.check(faq && faq.mainEntity[1].name === 'Backslash \\ and quote "', 'hostile: FAQ question exact');
}

function main() {
    const args = parseArgs(process.argv);
    const t = new Tally();
    const site = siteOrFail(t, () => buildSite(args.bin, args.repo));
    if (!site) return t.done();
    checkSite(t, site);
    checkHostile(t, args.repo);
    return t.done();
}

process.exitCode = main();
