#!/usr/bin/env node
/*
 * browser_test.js - the page in web/ driven by headless Chromium
 * (Debian's /usr/bin/chromium through playwright-core; no browser is
 * ever downloaded).  Run by tests/integration/test_browser.sh, which
 * starts the stack and hands over, in the environment:
 *
 *   BT_DEMO_URL      a lighttpd with AUTH_MODE=demo (page + programs)
 *   BT_JWT_URL       optional: the same with AUTH_MODE=jwt
 *   BT_JWT_TOKEN     a token for BT_JWT_URL, BT_JWT_USER its subject
 *   BT_WORKER_GATE   file to create to start the pairing worker
 *   BT_RELEASE       file to create to let the pairing provider answer
 *   BT_TMP           scratch directory
 *   BT_ARTIFACTS     directory for the screenshots
 *   CHROMIUM         the browser (default /usr/bin/chromium)
 *
 * Prints "ok - ..." / "not ok - ..." / "# ..." lines (the shell script
 * numbers them) and exits 0 when it ran to its end, whatever failed;
 * 2 when it broke off.  `browser_test.js --probe` only checks that
 * playwright-core can be loaded (local node_modules or NODE_PATH).
 */
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

let playwright;
try {
	playwright = require('playwright-core');
} catch (e) {
	if (process.argv[2] === '--probe') {
		console.error('playwright-core not found: ' + e.message);
		process.exit(1);
	}
	throw e;
}
if (process.argv[2] === '--probe')
	process.exit(0);

const env = process.env;
const DEMO = env.BT_DEMO_URL;
const JWT = env.BT_JWT_URL || '';
const ART = env.BT_ARTIFACTS;
const TMP = env.BT_TMP;
const CHROMIUM = env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 10000;	/* ms: the longest any single step may take */

const VERBOSE = env.BT_VERBOSE === '1';	/* timings of every step */
const T0 = Date.now();
let failed = 0;

function ok(cond, desc) {
	if (!cond)
		failed++;
	console.log((cond ? 'ok - ' : 'not ok - ') + desc);
	if (VERBOSE)
		diag('at ' + (Date.now() - T0) + ' ms');
	return !!cond;
}

function diag(msg) {
	for (const line of String(msg).split('\n'))
		console.log('# ' + line);
}

function touch(file) {
	fs.writeFileSync(file, '');
}

async function shot(page, name) {
	const t = Date.now();

	try {
		/* A tab in the background draws no frames to capture. */
		await page.bringToFront();
		await page.screenshot({ path: path.join(ART, name + '.png'),
		    fullPage: true, animations: 'disabled', timeout: WAIT });
	} catch (e) {
		diag('screenshot ' + name + ' failed: ' + e.message);
	}
	if (VERBOSE)
		diag('screenshot ' + name + ': ' + (Date.now() - t) + ' ms');
}

/* Run STEP; a timeout or error is a "not ok" for DESC, not a crash. */
async function step(desc, fn) {
	try {
		const r = await fn();
		return ok(r !== false, desc);
	} catch (e) {
		ok(false, desc);
		diag(e.message.split('\n').slice(0, 4).join('\n'));
		return false;
	}
}

async function text(page, sel) {
	return (await page.textContent(sel, { timeout: WAIT })) || '';
}

/* Wait until the text of SEL matches RE; the match. */
async function waitText(page, sel, re, timeout) {
	await page.waitForFunction(([s, src, flags]) => {
		const n = document.querySelector(s);
		return n !== null && !n.closest('[hidden]') &&
		    new RegExp(src, flags).test(n.textContent);
	}, [sel, re.source, re.flags], { timeout: timeout || WAIT });
	return (await text(page, sel)).match(re);
}

/* A job's JSON from the status program, as its owner. */
async function jobStatus(base, user, headers) {
	const r = await fetch(base + '/cgi-bin/status?job=' +
	    encodeURIComponent('pair:' + user), {
		headers: Object.assign({ Accept: 'application/json' },
		    headers || { 'X-Pairstore-User': user })
	});
	return r.json();
}

/* ------------------------------------------------------------ a PNG */

const CRC_TABLE = (() => {
	const t = new Int32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		t[n] = c;
	}
	return t;
})();

function crc32(buf) {
	let c = -1;
	for (let i = 0; i < buf.length; i++)
		c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
	return (c ^ -1) >>> 0;
}

function chunk(type, data) {
	const len = Buffer.alloc(4);
	const crc = Buffer.alloc(4);
	const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	len.writeUInt32BE(data.length);
	crc.writeUInt32BE(crc32(td));
	return Buffer.concat([len, td, crc]);
}

/*
 * A real, decodable W x H RGB PNG of random pixels (the PNG signature
 * and IHDR are all the server's type detection reads; the browser's
 * preview decodes the rest).  Stored deflate: about 3 W H bytes.
 */
function makePng(w, h) {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(h, 4);
	ihdr[8] = 8;	/* bit depth */
	ihdr[9] = 2;	/* RGB */
	const raw = require('crypto').randomBytes((3 * w + 1) * h);
	for (let y = 0; y < h; y++)
		raw[y * (3 * w + 1)] = 0;	/* filter: none */
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', ihdr),
		chunk('IDAT', zlib.deflateSync(raw, { level: 0 })),
		chunk('IEND', Buffer.alloc(0))
	]);
}

/* ------------------------------------------------------------ pages */

/* Console errors and uncaught exceptions of a page. */
function watchErrors(page) {
	const errs = [];
	page.on('console', (m) => {
		/* No favicon is shipped; the site's own is not our business. */
		if (m.type() === 'error' &&
		    !/\/favicon\.ico$/.test(m.location().url || ''))
			errs.push('console: ' + m.text());
	});
	page.on('pageerror', (e) => errs.push('pageerror: ' + e.message));
	return errs;
}

/* Visible form controls without a label, by id or name. */
function unlabelled(page) {
	return page.evaluate(() => Array.from(document.querySelectorAll(
	    'input, select, textarea')).filter((n) => n.offsetParent !== null &&
	    n.labels.length === 0).map((n) => n.id || n.name));
}

async function jsDemo(browser, st) {
	const ctx = await browser.newContext({
		viewport: { width: 390, height: 844 }, deviceScaleFactor: 1
	});
	ctx.setDefaultTimeout(WAIT);
	await ctx.clock.install();
	const page = await ctx.newPage();
	const errs = watchErrors(page);
	const user = 'alice.browser';

	await step('demo: the page loads (200)', async () =>
	    (await page.goto(DEMO + '/', { waitUntil: 'load' })).status() ===
	    200);
	await step('demo: the page asks for a user name', async () => {
		await page.waitForSelector('#user-name', { state: 'visible' });
		return true;
	});
	ok(await page.isHidden('#pair-user') &&
	    await page.isHidden('#upload-user'),
	    'demo: with JavaScript the per-form user fields are hidden');
	const missing = await unlabelled(page);
	ok(missing.length === 0, 'every visible field has a label' +
	    (missing.length ? ' (missing: ' + missing.join(', ') + ')' : ''));
	const small = await page.evaluate(() => Array.from(
	    document.querySelectorAll('input, select, button')).filter((n) =>
	    n.offsetParent !== null && parseFloat(getComputedStyle(n)
	    .fontSize) < 16).map((n) => n.id || n.name));
	ok(small.length === 0, 'inputs and buttons are at least 16px' +
	    (small.length ? ' (smaller: ' + small.join(', ') + ')' : ''));
	ok(await page.evaluate(() => document.documentElement.scrollWidth <=
	    window.innerWidth), 'no horizontal scrolling on a 390px phone');
	ok(errs.length === 0, 'the page loads with no console errors');
	if (errs.length)
		diag(errs.join('\n'));
	await shot(page, '01-form');

	/* Keyboard only: Tab to the user name, Tab to the phone, Enter. */
	await step('keyboard: Tab reaches the user name first', async () => {
		await page.keyboard.press('Tab');
		return page.evaluate(() =>
		    document.activeElement.id === 'user-name');
	});
	ok(await page.evaluate(() => getComputedStyle(document.activeElement)
	    .outlineStyle !== 'none'), 'keyboard focus is visible');
	await page.keyboard.type(user);
	await page.keyboard.press('Tab');
	ok(await page.evaluate(() => document.activeElement.id === 'phone'),
	    'keyboard: Tab goes on to the phone number');
	await page.keyboard.type('+49 151 2345-6789');
	await page.keyboard.press('Enter');
	await step('pair: "Position N in line" while the job waits',
	    async () => {
		const m = await waitText(page, '#pair-status',
		    /Position [0-9]+ in line/);
		diag('status: ' + m[0]);
	});
	ok(await page.evaluate(() => window.localStorage.getItem(
	    'pairstore.user')) === user, 'the user name is remembered');
	await shot(page, '02-waiting');

	/* A second request while the first one waits: 429. */
	await page.click('#pair-submit');
	let first = 0;
	await step('pair again: "already in progress. Try again in N ' +
	    'seconds."', async () => {
		const m = await waitText(page, '#pair-alert', /A pairing request for this user is already in progress\. Try again in ([0-9]+) seconds?\./);
		first = Number(m[1]);
		diag('429: ' + m[0]);
		return first > 0 && first <= 300;
	});
	await shot(page, '03-busy-429');
	ok(/Position [0-9]+ in line/.test(await text(page, '#pair-status')),
	    'the waiting job is still shown');
	st.first429 = first;
	st.ctx = ctx;
	st.demoPage = page;
	st.demoErrs = errs;
	st.demoUser = user;
	return page;
}

/*
 * Without JavaScript: the forms post to the programs themselves.  A
 * second page of the same context (a new context costs a renderer
 * process: seconds on a busy machine) with script execution off, as
 * the context option javaScriptEnabled: false does it in Chromium.
 */
async function noJsPair(st) {
	const page = await st.ctx.newPage();
	const cdp = await st.ctx.newCDPSession(page);
	await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
	const user = 'bob-nojs';

	await page.goto(DEMO + '/');
	ok(await page.isVisible('#pair-user') &&
	    await page.isVisible('#upload-user'),
	    'no-JS: each form has its user field');
	await page.fill('#pair-user', user);
	await page.fill('#phone', '+49 151 1111 2222');
	await step('no-JS pair: the form post ends on the HTML status page',
	    async () => {
		const [r, s] = await Promise.all([
			page.waitForResponse((x) =>
			    x.url().indexOf('/cgi-bin/pair') >= 0),
			page.waitForResponse((x) =>
			    x.url().indexOf('/cgi-bin/status?') >= 0),
			page.click('#pair-submit')
		]);
		await page.waitForLoadState('load');
		const ct = s.headers()['content-type'] || '';
		diag('POST /cgi-bin/pair: ' + r.status() + ', then ' +
		    s.status() + ' ' + ct + ' at ' +
		    page.url().replace(DEMO, ''));
		return r.status() === 303 && s.status() === 200 &&
		    /^text\/html/.test(ct) &&
		    /\/cgi-bin\/status\?job=/.test(page.url());
	});
	await step('no-JS status page: shows the job waiting, refreshes ' +
	    'itself', async () => {
		const body = await text(page, 'body');
		const refresh = await page.$('meta[http-equiv="refresh" i]');
		return /waiting|position|line/i.test(body) && refresh !== null;
	});
	await shot(page, '06-nojs-status');
	st.noJsStatusUrl = page.url();

	/* The same request again while it waits: an HTML 429 page. */
	await page.goto(DEMO + '/');
	await page.fill('#pair-user', user);
	await page.fill('#phone', '4915111112222');
	await step('no-JS pair again: a 429 page that says how long to wait',
	    async () => {
		const [r] = await Promise.all([
			page.waitForResponse((x) =>
			    x.url().indexOf('/cgi-bin/pair') >= 0),
			page.click('#pair-submit')
		]);
		await page.waitForLoadState('load');
		const body = await text(page, 'body');
		diag('POST again: ' + r.status() + ': ' +
		    body.replace(/\s+/g, ' ').trim().slice(0, 160));
		return r.status() === 429 && /[0-9]+ seconds?/.test(body);
	});
	await page.goto(st.noJsStatusUrl);
	st.noJsPage = page;
	st.noJsUser = user;
}

async function pairingDone(st) {
	const page = st.demoPage;

	/* The no-JS part took more than a second: the 429 count moved. */
	await step('the 429 countdown counts down', async () => {
		await waitText(page, '#pair-alert', new RegExp(
		    'Try again in (?!' + st.first429 + ' )[0-9]+ second'), 3000);
	});
	touch(env.BT_WORKER_GATE);
	await step('pair: "Working…" while the provider runs', async () => {
		await waitText(page, '#pair-status', /Working…/);
	});
	touch(env.BT_RELEASE);
	let shown = '';
	await step('pair: the code appears, grouped XXXX-XXXX', async () => {
		const m = await waitText(page, '#pair-code',
		    /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
		shown = m[0];
	});
	const job = await jobStatus(DEMO, st.demoUser);
	ok(shown !== '' && shown.replace('-', '') === job.code,
	    'pair: the code shown is the job\'s code');
	ok(await page.isHidden('#pair-alert'),
	    'pair: the 429 message goes once the job is done');
	await shot(page, '05-code');
	st.expiry1 = await text(page, '#pair-expiry');

	/* The no-JS status page refreshes itself to the code. */
	const np = st.noJsPage;
	const bob = await jobStatus(DEMO, st.noJsUser);
	await step('no-JS status page: refreshes itself to the code',
	    async () => {
		const code = bob.code || (await jobStatus(DEMO, st.noJsUser))
		    .code;
		if (!code)
			throw new Error('the job has no code: ' +
			    JSON.stringify(bob));
		const deadline = Date.now() + 15000;
		for (;;) {
			const body = (await np.textContent('body')) || '';
			if (body.replace(/[\s-]/g, '').indexOf(code) >= 0)
				return true;
			if (Date.now() > deadline)
				throw new Error('no code on ' + np.url());
			await np.waitForTimeout(250);
		}
	});
	await shot(np, '08-nojs-code');
}

async function upload(st) {
	const page = st.demoPage;
	const png = makePng(1024, 1024);
	const file = path.join(TMP, 'upload.png');

	fs.writeFileSync(file, png);
	diag('PNG: ' + png.length + ' bytes');

	/* The drop zone takes a dropped file into the real file input. */
	await step('a file dropped on the drop zone is chosen', async () => {
		await page.evaluate(() => {
			const dt = new DataTransfer();
			dt.items.add(new File(['x'], 'dropped.txt',
			    { type: 'text/plain' }));
			const z = document.getElementById('drop-zone');
			for (const t of ['dragenter', 'dragover', 'drop'])
				z.dispatchEvent(new DragEvent(t, {
				    dataTransfer: dt, bubbles: true,
				    cancelable: true }));
		});
		return /dropped\.txt/.test(await text(page, '#file-chosen'));
	});
	ok(await page.evaluate(() => document.getElementById('file')
	    .tabIndex >= 0 && document.getElementById('file')
	    .offsetParent !== null), 'the file input itself stays focusable');

	await page.selectOption('#kind', 'view-once');
	await page.setInputFiles('#file', file);
	/* Slow the upload down so the bar can be seen moving. */
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Network.enable');
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false, latency: 0, downloadThroughput: -1,
		uploadThroughput: 4 * 1024 * 1024
	});
	await page.click('#upload-submit');
	await step('upload: the progress bar moves', async () => {
		await page.waitForFunction(() => {
			const b = document.getElementById('upload-bar');
			return b.value > 0 && b.value < 100;
		}, null, { timeout: WAIT, polling: 50 });
		diag('progress: ' + await text(page, '#upload-pct'));
	});
	await shot(page, '09-upload-progress');
	await step('upload: the result appears', async () => {
		await page.waitForSelector('#upload-result',
		    { state: 'visible', timeout: 20000 });
	});
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false, latency: 0, downloadThroughput: -1,
		uploadThroughput: -1
	});
	ok(await page.evaluate(() =>
	    document.getElementById('upload-bar').value) === 100 &&
	    (await text(page, '#upload-pct')) === '100%',
	    'upload: the bar reached 100%');
	const href = await page.getAttribute('#upload-url', 'href');
	const shownUrl = await text(page, '#upload-url');
	ok(/^\/media\/view-once\/alice\.browser\/.+\.png$/.test(href) &&
	    shownUrl === DEMO + href, 'upload: the link is the stored URL (' +
	    href + ')');
	ok((await text(page, '#upload-backend')) === 'local',
	    'upload: stored in backend local');
	ok(/3\.[0-9] MB \(3,[0-9]{3},[0-9]{3} bytes\)/.test(
	    await text(page, '#upload-size')), 'upload: the size is shown (' +
	    await text(page, '#upload-size') + ')');
	await step('upload: an image preview of the stored file', async () => {
		await page.waitForFunction(() => {
			const i = document.querySelector('#upload-preview img');
			return i !== null && i.complete && i.naturalWidth > 0;
		});
		return page.evaluate(() => document.querySelector(
		    '#upload-preview img').naturalWidth === 1024);
	});
	await shot(page, '10-upload-result');
	await step('upload: the URL serves the same bytes', async () => {
		const r = await fetch(DEMO + href);
		const got = Buffer.from(await r.arrayBuffer());
		return r.status === 200 && got.equals(png);
	});
	st.png = file;
}

async function noJsUpload(st) {
	const page = st.noJsPage;

	await page.goto(DEMO + '/');
	await page.selectOption('#kind', 'scheduled-status');
	await page.fill('#upload-user', st.noJsUser);
	await page.setInputFiles('#file', st.png);
	await step('no-JS upload: the form post answers the HTML result page',
	    async () => {
		const [r] = await Promise.all([
			page.waitForResponse((x) =>
			    x.url().indexOf('/cgi-bin/upload') >= 0),
			page.click('#upload-submit')
		]);
		await page.waitForLoadState('load');
		return r.status() === 201;
	});
	const link = await page.$('a[href^="/media/scheduled-status/"]');
	ok(link !== null, 'no-JS upload: the page links the stored file');
	if (link !== null) {
		const r = await fetch(DEMO + await link.getAttribute('href'));
		const got = Buffer.from(await r.arrayBuffer());
		ok(got.equals(fs.readFileSync(st.png)),
		    'no-JS upload: the link serves the same bytes');
	}
	await shot(page, '11-nojs-upload');
	await page.close();
}

async function expiry(st) {
	const page = st.demoPage;
	const t1 = st.expiry1;

	/* Seconds have passed since the code came: the count moved. */
	await step('pair: the expiry countdown changes over time', async () => {
		await page.waitForFunction((t) => document.querySelector(
		    '#pair-expiry').textContent !== t, t1, { timeout: 3000 });
		diag('expiry: "' + t1 + '" then "' +
		    await text(page, '#pair-expiry') + '"');
		return /Expires in [0-9]+:[0-9]{2}/.test(t1);
	});
	await page.clock.fastForward('05:00');
	await step('pair: at 0 the code shows "expired"', async () => {
		await waitText(page, '#pair-expiry', /expired/i, 3000);
	});
	const other = st.demoErrs.filter((e) => !/status of 429/.test(e));
	ok(other.length === 0, 'demo: no console errors but the expected ' +
	    '429 (' + (st.demoErrs.length - other.length) + ')');
	if (other.length)
		diag(other.join('\n'));
	await page.close();
}

/* A page of the same context again: 127.0.0.1 is the same site. */
async function jwt(st) {
	const page = await st.ctx.newPage();
	const errs = watchErrors(page);
	const user = env.BT_JWT_USER;

	await page.goto(JWT + '/#token=' + env.BT_JWT_TOKEN);
	await step('jwt: the page says who is signed in', async () => {
		await waitText(page, '#identity-text',
		    new RegExp('Signed in as ' + user.replace('.', '\\.')));
	});
	ok(await page.evaluate(() => window.location.hash === '' &&
	    window.location.href.indexOf('token') < 0),
	    'jwt: the token left the address bar');
	ok(await page.isHidden('#user-name') && (await page.$$(
	    'input[name="user"]:visible')).length === 0,
	    'jwt: no user-name field');
	await page.fill('#phone', '4915199990000');
	await page.click('#pair-submit');
	await step('jwt: a pairing works', async () => {
		await waitText(page, '#pair-code', /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
	});
	await shot(page, '12-jwt-code');
	ok(errs.length === 0, 'jwt: no console errors');
	if (errs.length)
		diag(errs.join('\n'));
}

async function main() {
	fs.mkdirSync(ART, { recursive: true });
	const t0 = Date.now();
	const browser = await playwright.chromium.launch({
		executablePath: CHROMIUM,
		args: ['--no-sandbox', '--disable-dev-shm-usage'],
		timeout: 30000
	});
	diag('Chromium ' + browser.version() + ', started in ' +
	    (Date.now() - t0) + ' ms');
	const st = {};
	const timed = async (name, fn) => {
		const t = Date.now();
		await fn();
		diag(name + ': ' + (Date.now() - t) + ' ms');
	};
	try {
		await timed('demo page', () => jsDemo(browser, st));
		await timed('no-JS pair', () => noJsPair(st));
		await timed('pairing done', () => pairingDone(st));
		await timed('upload', () => upload(st));
		await timed('no-JS upload', () => noJsUpload(st));
		await timed('expiry', () => expiry(st));
		if (JWT)
			await timed('jwt', () => jwt(st));
		else
			diag('no BT_JWT_URL: jwt mode not tried');
	} finally {
		await browser.close();
	}
	diag('browser part: ' + (Date.now() - t0) + ' ms, ' + failed +
	    ' failed');
}

/* Whatever happens, never run for more than a minute. */
setTimeout(() => {
	ok(false, 'the browser test finished within 60 s');
	process.exit(2);
}, 60000).unref();

main().then(() => process.exit(0), (e) => {
	ok(false, 'the browser test ran to its end');
	diag(e.stack || String(e));
	process.exit(2);
});
