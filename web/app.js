/*
 * pairstore page: pairing codes and media uploads for the programs in
 * /cgi-bin (README.md, "HTTP interface").  Plain ES2017, no framework,
 * no inline code: works under Content-Security-Policy default-src 'self'.
 * Without JavaScript the two forms post to the programs themselves and
 * the programs answer with HTML pages.
 *
 * Identity follows the server's AUTH_MODE, read from
 * GET /cgi-bin/status/health ("auth_mode"; demo when absent):
 *   demo         a user name typed here (kept in localStorage), sent as
 *                X-Pairstore-User
 *   jwt          a token from the embedding application, sent as
 *                Authorization: Bearer: window.PAIRSTORE_TOKEN (set by a
 *                script loaded before this one), else a #token=...
 *                fragment (removed from the address bar at once), else a
 *                message {type: "pairstore-token", token} from
 *                window.parent
 *   remote_user  the web server authenticates; nothing extra is sent
 */
(function () {
	'use strict';

	var USER_RE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
	var TOKEN_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
	var USER_KEY = 'pairstore.user';
	var POLL_MS = 1000;
	var MODES = { demo: true, jwt: true, remote_user: true };

	function $(id) {
		return document.getElementById(id);
	}

	var el = {
		identity: $('identity'),
		identityHeading: $('identity-h'),
		identityDemo: $('identity-demo'),
		identityText: $('identity-text'),
		userName: $('user-name'),
		pairForm: $('pair-form'),
		phone: $('phone'),
		pairSubmit: $('pair-submit'),
		pairAlert: $('pair-alert'),
		pairStatus: $('pair-status'),
		pairResult: $('pair-result'),
		pairCode: $('pair-code'),
		pairExpiry: $('pair-expiry'),
		uploadForm: $('upload-form'),
		kind: $('kind'),
		file: $('file'),
		fileChosen: $('file-chosen'),
		dropZone: $('drop-zone'),
		uploadSubmit: $('upload-submit'),
		uploadProgress: $('upload-progress'),
		uploadBar: $('upload-bar'),
		uploadBarLabel: $('upload-bar-label'),
		uploadPct: $('upload-pct'),
		uploadAlert: $('upload-alert'),
		uploadStatus: $('upload-status'),
		uploadResult: $('upload-result'),
		uploadUrl: $('upload-url'),
		uploadBackend: $('upload-backend'),
		uploadSize: $('upload-size'),
		uploadPreview: $('upload-preview')
	};
	var statusBase = document.body.getAttribute('data-status-url') ||
	    '/cgi-bin/status';
	var userFields = document.querySelectorAll('.user-field');

	var mode = null;	/* known once modeReady resolves */
	var token = null;
	var poll = null;	/* the pairing job being watched */
	var countdown = null;	/* the code's time left */
	var retryTimer = null;	/* the 429 message's countdown */

	/* ------------------------------------------------------- helpers */

	function show(node, on) {
		node.hidden = !on;
	}

	function setAlert(node, text) {
		node.textContent = text || '';
		show(node, !!text);
	}

	function plural(n, one, many) {
		return n + ' ' + (n === 1 ? one : many);
	}

	function formatBytes(n) {
		var units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
		var v = n;
		var i = 0;

		while (v >= 1000 && i < units.length - 1) {
			v /= 1000;
			i++;
		}
		if (i === 0)
			return plural(n, 'byte', 'bytes');
		return (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ' +
		    units[i] + ' (' + n.toLocaleString('en') + ' bytes)';
	}

	function storageGet(key) {
		try {
			return window.localStorage.getItem(key);
		} catch (e) {
			return null;	/* blocked (sandboxed frame, settings) */
		}
	}

	function storageSet(key, value) {
		try {
			window.localStorage.setItem(key, value);
		} catch (e) {
			/* not remembered, still used */
		}
	}

	async function readJson(res) {
		try {
			return await res.json();
		} catch (e) {
			return null;
		}
	}

	function parseJson(text) {
		try {
			return JSON.parse(text);
		} catch (e) {
			return null;
		}
	}

	/* The headers that say who the caller is, added to HEADERS. */
	function authHeaders(headers) {
		if (mode === 'demo' && USER_RE.test(currentUser()))
			headers['X-Pairstore-User'] = currentUser();
		else if (mode === 'jwt' && token)
			headers.Authorization = 'Bearer ' + token;
		return headers;
	}

	function currentUser() {
		return el.userName.value.trim();
	}

	/*
	 * Whether a request can say who the caller is; otherwise the
	 * reason is shown in ALERT and false returned.
	 */
	function ensureIdentity(alertNode) {
		if (mode === 'demo') {
			if (USER_RE.test(currentUser())) {
				el.userName.removeAttribute('aria-invalid');
				return true;
			}
			el.userName.setAttribute('aria-invalid', 'true');
			setAlert(alertNode, 'Enter your user name above: ' +
			    'letters, digits, "_", "." or "-" (not first), ' +
			    'at most 64.');
			el.userName.focus();
			return false;
		}
		if (mode === 'jwt' && !token) {
			setAlert(alertNode, 'Not signed in: the application ' +
			    'that opened this page has not signed you in.');
			return false;
		}
		return true;
	}

	/* Plain words for an error answer (problem+json or none). */
	function problemText(status, body, what) {
		var detail = body && typeof body.detail === 'string' ?
		    body.detail : '';
		var title = body && typeof body.title === 'string' ?
		    body.title : '';

		switch (status) {
		case 400:
			return detail ? detail.charAt(0).toUpperCase() +
			    detail.slice(1) + (/[.!?]$/.test(detail) ? '' :
			    '.') : 'The request was not ' +
			    'accepted (' + (title || 'Bad Request') + ').';
		case 401:
			return mode === 'demo' ? 'Not signed in: enter a ' +
			    'valid user name.' : 'Not signed in.';
		case 403:
			if (what === 'upload')
				return 'The upload was refused: it did not ' +
				    'come from this site (cross-site request).';
			return 'This pairing request belongs to another user.';
		case 404:
			return what === 'status' ? 'This pairing request is ' +
			    'no longer known. Ask for a new code.' :
			    'Not found: the service is not set up here.';
		case 413:
			return what === 'upload' ? 'The file is too large.' :
			    'The request is too large.';
		case 502:
			return 'The file could not be stored anywhere right ' +
			    'now. Try again later.';
		case 503:
			return 'The service is temporarily unavailable. Try ' +
			    'again in a moment.';
		default:
			if (status >= 500)
				return 'Something went wrong on the server (' +
				    (title || 'error ' + status) + '). Try ' +
				    'again later.';
			return 'Unexpected answer from the server (' +
			    (title || 'HTTP ' + status) + ').';
		}
	}

	/* ------------------------------------------------------ identity */

	/* A token from the address bar's #token=..., removed from it. */
	function takeFragmentToken() {
		var hash = window.location.hash;
		var params, t, rest;

		if (!hash || hash.length < 2 || hash.indexOf('token=') < 0)
			return null;
		params = new URLSearchParams(hash.slice(1));
		t = params.get('token');
		params.delete('token');
		rest = params.toString();
		try {
			window.history.replaceState(window.history.state, '',
			    window.location.pathname + window.location.search +
			    (rest ? '#' + rest : ''));
		} catch (e) {
			window.location.hash = rest;
		}
		return t;
	}

	/* The token's subject, for display only (the server verifies). */
	function tokenSubject(t) {
		try {
			var p = t.split('.')[1].replace(/-/g, '+')
			    .replace(/_/g, '/');
			var claims = JSON.parse(window.atob(p + '==='.slice(
			    (p.length + 3) % 4)));
			return typeof claims.sub === 'string' &&
			    USER_RE.test(claims.sub) ? claims.sub : '';
		} catch (e) {
			return '';
		}
	}

	function setToken(t) {
		if (typeof t !== 'string' || !TOKEN_RE.test(t))
			return;
		token = t;
		if (mode === 'jwt')
			applyMode();
	}

	function applyMode() {
		var sub;
		var i;

		/* JavaScript sends identity itself: no per-form fields. */
		for (i = 0; i < userFields.length; i++) {
			userFields[i].hidden = true;
			userFields[i].querySelector('input').disabled = true;
		}
		if (mode === 'demo') {
			show(el.identity, true);
			show(el.identityDemo, true);
			el.identityText.textContent = '';
		} else if (mode === 'jwt') {
			el.identityHeading.textContent = 'Account';
			show(el.identity, true);
			show(el.identityDemo, false);
			if (token) {
				sub = tokenSubject(token);
				el.identityText.textContent = sub ?
				    'Signed in as ' + sub + '.' : 'Signed in.';
			} else {
				el.identityText.textContent = 'Not signed in ' +
				    'yet: this page gets your sign-in from ' +
				    'the application that opened it.';
			}
		} else {
			show(el.identity, false);
		}
	}

	async function detectMode() {
		var res, body;

		try {
			res = await fetch(statusBase + '/health', {
				headers: { Accept: 'application/json' },
				cache: 'no-store'
			});
			body = await readJson(res);
			if (body && typeof body.auth_mode === 'string' &&
			    MODES[body.auth_mode] === true)
				return body.auth_mode;
		} catch (e) {
			/* unreachable: assume the local default */
		}
		return 'demo';
	}

	function initUserName() {
		var typed = document.getElementById('pair-user').value.trim() ||
		    document.getElementById('upload-user').value.trim();
		var saved = storageGet(USER_KEY);

		if (typed && USER_RE.test(typed))
			el.userName.value = typed;
		else if (saved && USER_RE.test(saved))
			el.userName.value = saved;
		el.userName.addEventListener('input', function () {
			var u = currentUser();

			if (USER_RE.test(u)) {
				el.userName.removeAttribute('aria-invalid');
				storageSet(USER_KEY, u);
			}
		});
		el.userName.addEventListener('change', function () {
			if (currentUser() !== '' && !USER_RE.test(currentUser()))
				el.userName.setAttribute('aria-invalid', 'true');
		});
	}

	/* ------------------------------------------------------- pairing */

	function setPairStatus(text) {
		el.pairStatus.textContent = text || '';
	}

	function groupCode(code) {
		return code.length === 8 ? code.slice(0, 4) + '-' +
		    code.slice(4) : code;
	}

	function stopCountdown() {
		if (countdown !== null) {
			clearTimeout(countdown);
			countdown = null;
		}
	}

	function showCode(code, msLeft) {
		var deadline = Date.now() + Math.max(0, msLeft);

		stopCountdown();
		el.pairCode.textContent = groupCode(code);
		el.pairCode.classList.remove('expired');
		show(el.pairResult, true);
		setPairStatus('Your pairing code is ready.');

		function tick() {
			var ms = deadline - Date.now();
			var s = Math.ceil(ms / 1000);

			if (s <= 0) {
				countdown = null;
				el.pairExpiry.textContent = 'Expired. Ask for a ' +
				    'new code.';
				el.pairCode.classList.add('expired');
				setPairStatus('The pairing code has expired.');
				return;
			}
			el.pairExpiry.textContent = 'Expires in ' +
			    Math.floor(s / 60) + ':' + ('0' + s % 60).slice(-2) +
			    ' (' + plural(s, 'second', 'seconds') + ').';
			countdown = setTimeout(tick, ms - (s - 1) * 1000 + 20);
		}
		tick();
	}

	function clearCode() {
		stopCountdown();
		show(el.pairResult, false);
		el.pairCode.textContent = '';
		el.pairExpiry.textContent = '';
	}

	/* Show a job's state; true when it is final. */
	function showJob(job) {
		var left;

		switch (job.state) {
		case 'waiting':
			setPairStatus(typeof job.position === 'number' &&
			    job.position > 0 ? 'Position ' + job.position +
			    ' in line.' : 'Waiting in line\u2026');
			return false;
		case 'active':
			setPairStatus('Working\u2026');
			return false;
		case 'delayed':
			setPairStatus('An attempt failed' + (job.error ? ' (' +
			    job.error + ')' : '') + '. Trying again shortly\u2026');
			return false;
		case 'completed':
			left = typeof job.code_expires_in_ms === 'number' ?
			    job.code_expires_in_ms : job.code_expires_at ?
			    Date.parse(job.code_expires_at) - Date.now() : 0;
			if (typeof job.code === 'string' && job.code !== '' &&
			    left > 0) {
				showCode(job.code, left);
			} else {
				clearCode();
				setPairStatus('Done, but the code is no longer ' +
				    'valid. Ask for a new one.');
			}
			return true;
		case 'failed':
			clearCode();
			setPairStatus('');
			setAlert(el.pairAlert, 'No pairing code could be made' +
			    (job.error ? ': ' + job.error : '') + '. You can ' +
			    'try again.');
			return true;
		default:
			setPairStatus('Status: ' + String(job.state));
			return false;
		}
	}

	function stopPolling() {
		if (poll !== null) {
			poll.stopped = true;
			clearTimeout(poll.timer);
			poll = null;
		}
	}

	function stopRetryCountdown() {
		if (retryTimer !== null) {
			clearTimeout(retryTimer);
			retryTimer = null;
		}
	}

	/* A job reached its end: a "try again in" message is moot now. */
	function jobFinished() {
		if (retryTimer !== null) {
			stopRetryCountdown();
			setAlert(el.pairAlert, '');
		}
	}

	function startPolling(url) {
		var p = { url: url, stopped: false, timer: 0, failures: 0 };

		stopPolling();
		poll = p;

		function again(ms) {
			if (!p.stopped)
				p.timer = setTimeout(tick, ms);
		}

		async function tick() {
			var res = null;
			var body = null;

			try {
				res = await fetch(p.url, {
					headers: authHeaders({
						Accept: 'application/json'
					}),
					cache: 'no-store'
				});
				body = await readJson(res);
			} catch (e) {
				res = null;
			}
			if (p.stopped)
				return;
			if (res !== null && res.status === 200 && body) {
				p.failures = 0;
				if (body.state === 'completed' ||
				    body.state === 'failed')
					jobFinished();
				if (showJob(body)) {
					p.stopped = true;
					poll = null;
					return;
				}
				again(POLL_MS);
				return;
			}
			if (res === null || res.status >= 500) {
				/* Passing trouble: keep watching, slower. */
				p.failures++;
				setPairStatus(res === null ? 'Connection ' +
				    'lost; trying again\u2026' : problemText(
				    res.status, body, 'status') +
				    ' Still trying\u2026');
				again(Math.min(POLL_MS * Math.pow(2, p.failures),
				    15000));
				return;
			}
			p.stopped = true;
			poll = null;
			setPairStatus('');
			setAlert(el.pairAlert, problemText(res.status, body,
			    'status'));
		}
		again(POLL_MS);
	}

	function statusUrlFor(jobId) {
		return statusBase + '?job=' + encodeURIComponent(jobId);
	}

	/* Watch the caller's own job, if one is under way or has a code. */
	async function resumeOwnJob(onlyInFlight) {
		var res, body, job;

		try {
			res = await fetch(statusBase, {
				headers: authHeaders({
					Accept: 'application/json'
				}),
				cache: 'no-store'
			});
			body = await readJson(res);
		} catch (e) {
			return;
		}
		if (res.status !== 200 || !body || !body.job || poll !== null)
			return;
		job = body.job;
		if (job.state === 'completed' || job.state === 'failed') {
			if (!onlyInFlight && job.state === 'completed' &&
			    job.code)
				showJob(job);
			return;
		}
		clearCode();
		showJob(job);
		startPolling(statusUrlFor(job.job));
	}

	function showRetryAfter(seconds) {
		var deadline = Date.now() + seconds * 1000;
		var lead = 'A pairing request for this user is already in ' +
		    'progress.';

		stopRetryCountdown();
		function tick() {
			var ms = deadline - Date.now();
			var s = Math.ceil(ms / 1000);

			if (s <= 0) {
				retryTimer = null;
				setAlert(el.pairAlert, lead + ' You can try ' +
				    'again now.');
				return;
			}
			setAlert(el.pairAlert, lead + ' Try again in ' +
			    plural(s, 'second', 'seconds') + '.');
			retryTimer = setTimeout(tick, ms - (s - 1) * 1000 + 20);
		}
		tick();
	}

	function phoneDigits(s) {
		return s.replace(/[\s+\-.()]/g, '');
	}

	async function submitPair(ev) {
		var digits, res, body, ra;

		ev.preventDefault();
		await modeReady;
		setAlert(el.pairAlert, '');
		stopRetryCountdown();
		digits = phoneDigits(el.phone.value);
		if (!/^[0-9]{7,15}$/.test(digits)) {
			el.phone.setAttribute('aria-invalid', 'true');
			setAlert(el.pairAlert, 'Enter a phone number of 7 to ' +
			    '15 digits, in international form (country code ' +
			    'first).');
			el.phone.focus();
			return;
		}
		el.phone.removeAttribute('aria-invalid');
		if (!ensureIdentity(el.pairAlert))
			return;
		el.pairSubmit.disabled = true;
		if (poll === null)
			setPairStatus('Sending\u2026');
		try {
			res = await fetch(el.pairForm.action, {
				method: 'POST',
				headers: authHeaders({
					Accept: 'application/json',
					'Content-Type':
					    'application/x-www-form-urlencoded'
				}),
				body: new URLSearchParams({ phone: digits })
				    .toString(),
				cache: 'no-store'
			});
			body = await readJson(res);
		} catch (e) {
			res = null;
		}
		el.pairSubmit.disabled = false;
		if (res === null) {
			setPairStatus('');
			setAlert(el.pairAlert, 'The service could not be ' +
			    'reached. Check your connection and try again.');
			return;
		}
		if (res.status === 202 && body && body.job) {
			stopPolling();
			clearCode();
			showJob({ state: body.state || 'waiting',
			    position: body.position });
			startPolling(body.status_url ||
			    statusUrlFor(body.job));
			return;
		}
		if (poll === null)
			setPairStatus('');
		if (res.status === 429) {
			ra = parseInt(res.headers.get('Retry-After') || '', 10);
			if (ra >= 0)
				showRetryAfter(ra);
			else
				setAlert(el.pairAlert, 'A pairing request for ' +
				    'this user is already in progress. Try ' +
				    'again later.');
			/* Show the request that is in the way. */
			if (poll === null)
				resumeOwnJob(true);
			return;
		}
		setAlert(el.pairAlert, problemText(res.status, body, 'pair'));
	}

	/* -------------------------------------------------------- upload */

	function setProgress(pct) {
		var v = Math.max(0, Math.min(100, Math.floor(pct)));

		el.uploadBar.value = v;
		el.uploadPct.textContent = v + '%';
	}

	function showFileChosen() {
		var f = el.file.files && el.file.files[0];

		el.fileChosen.textContent = f ? 'Chosen: ' + f.name + ', ' +
		    formatBytes(f.size) + '.' : '';
	}

	function showUploadResult(r, file) {
		var url = String(r.url || '');
		var abs, media, mime;

		try {
			abs = new URL(url, window.location.href).href;
		} catch (e) {
			abs = url;
		}
		el.uploadUrl.href = url;
		el.uploadUrl.textContent = abs;
		el.uploadBackend.textContent = String(r.backend || '');
		el.uploadSize.textContent = typeof r.bytes === 'number' ?
		    formatBytes(r.bytes) : '';
		el.uploadPreview.textContent = '';
		mime = file && file.type ? file.type : '';
		if (r.resource_type === 'image') {
			media = document.createElement('img');
			media.alt = 'Preview of the uploaded image';
		} else if (r.resource_type === 'video') {
			media = document.createElement(
			    mime.indexOf('audio/') === 0 ? 'audio' : 'video');
			media.controls = true;
			media.preload = 'metadata';
		}
		if (media) {
			media.addEventListener('error', function () {
				el.uploadPreview.textContent = 'No preview ' +
				    'available.';
			});
			media.src = url;
			el.uploadPreview.appendChild(media);
		}
		show(el.uploadResult, true);
	}

	async function submitUpload(ev) {
		var file = el.file.files && el.file.files[0];
		var xhr, fd, headers, name;

		ev.preventDefault();
		await modeReady;
		setAlert(el.uploadAlert, '');
		if (!file) {
			setAlert(el.uploadAlert, 'Choose a file first.');
			el.file.focus();
			return;
		}
		if (!ensureIdentity(el.uploadAlert))
			return;
		show(el.uploadResult, false);
		el.uploadPreview.textContent = '';
		setProgress(0);
		el.uploadBarLabel.textContent = 'Uploading';
		show(el.uploadProgress, true);
		el.uploadStatus.textContent = 'Uploading ' + file.name + '\u2026';
		el.uploadSubmit.disabled = true;

		/* kind first, then the file: the server reads in order. */
		fd = new FormData();
		fd.append('kind', el.kind.value);
		fd.append('file', file, file.name);
		xhr = new XMLHttpRequest();
		xhr.open('POST', el.uploadForm.action);
		headers = authHeaders({ Accept: 'application/json' });
		for (name in headers)
			xhr.setRequestHeader(name, headers[name]);
		xhr.upload.addEventListener('progress', function (e) {
			if (e.lengthComputable && e.total > 0)
				setProgress(e.loaded * 100 / e.total);
		});
		xhr.upload.addEventListener('load', function () {
			setProgress(100);
			el.uploadBarLabel.textContent = 'Uploaded';
			el.uploadStatus.textContent = 'Sent; storing\u2026';
		});
		xhr.addEventListener('load', function () {
			var body = parseJson(xhr.responseText);

			el.uploadSubmit.disabled = false;
			if (xhr.status === 201 && body && body.url) {
				setProgress(100);
				el.uploadBarLabel.textContent = 'Uploaded';
				el.uploadStatus.textContent = 'Stored.';
				showUploadResult(body, file);
				return;
			}
			show(el.uploadProgress, false);
			el.uploadStatus.textContent = '';
			setAlert(el.uploadAlert, problemText(xhr.status, body,
			    'upload'));
		});
		xhr.addEventListener('error', function () {
			el.uploadSubmit.disabled = false;
			show(el.uploadProgress, false);
			el.uploadStatus.textContent = '';
			setAlert(el.uploadAlert, 'The upload was interrupted. ' +
			    'Check your connection; a very large file may be ' +
			    'over the size limit.');
		});
		xhr.send(fd);
	}

	function initDropZone() {
		var zone = el.dropZone;
		var depth = 0;

		function hasFiles(e) {
			var types = e.dataTransfer && e.dataTransfer.types;

			return !!types && Array.prototype.indexOf.call(types,
			    'Files') >= 0;
		}
		zone.addEventListener('dragenter', function (e) {
			if (!hasFiles(e))
				return;
			e.preventDefault();
			depth++;
			zone.classList.add('drag-over');
		});
		zone.addEventListener('dragover', function (e) {
			if (!hasFiles(e))
				return;
			e.preventDefault();
			e.dataTransfer.dropEffect = 'copy';
		});
		zone.addEventListener('dragleave', function () {
			depth = Math.max(0, depth - 1);
			if (depth === 0)
				zone.classList.remove('drag-over');
		});
		zone.addEventListener('drop', function (e) {
			depth = 0;
			zone.classList.remove('drag-over');
			if (!hasFiles(e))
				return;
			e.preventDefault();
			if (e.dataTransfer.files.length > 0) {
				el.file.files = e.dataTransfer.files;
				showFileChosen();
				el.file.focus();
			}
		});
		/* A file dropped next to the zone must not open in the tab. */
		window.addEventListener('dragover', function (e) {
			if (hasFiles(e) && !zone.contains(e.target))
				e.preventDefault();
		});
		window.addEventListener('drop', function (e) {
			if (hasFiles(e) && !zone.contains(e.target))
				e.preventDefault();
		});
		el.file.addEventListener('change', showFileChosen);
	}

	/* ---------------------------------------------------------- start */

	/* The token first, so it leaves the address bar at once. */
	(function () {
		var fromFragment = takeFragmentToken();

		if (typeof window.PAIRSTORE_TOKEN === 'string' &&
		    TOKEN_RE.test(window.PAIRSTORE_TOKEN))
			token = window.PAIRSTORE_TOKEN;
		else if (fromFragment && TOKEN_RE.test(fromFragment))
			token = fromFragment;
	}());
	window.addEventListener('message', function (e) {
		var d = e.data;
		var want = window.PAIRSTORE_PARENT_ORIGIN;

		if (window.parent === window || e.source !== window.parent)
			return;
		if (typeof want === 'string' && e.origin !== want)
			return;
		if (d && typeof d === 'object' && d.type === 'pairstore-token')
			setToken(d.token);
	});
	if (window.parent !== window) {
		/* Tell the embedding application this page can take one. */
		window.parent.postMessage({ type: 'pairstore-ready' }, '*');
	}

	initUserName();
	initDropZone();
	el.pairForm.addEventListener('submit', submitPair);
	el.uploadForm.addEventListener('submit', submitUpload);

	var modeReady = detectMode().then(function (m) {
		mode = m;
		applyMode();
		if ((mode === 'demo' && USER_RE.test(currentUser())) ||
		    (mode === 'jwt' && token) || mode === 'remote_user')
			resumeOwnJob(false);
	});
}());
