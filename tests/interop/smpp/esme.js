// esme.js - the ESME (SMS gateway side) of tern's SMPP interop tests, on
// the `smpp` package from the npm registry (version pinned in
// package.json; scripts/deps.sh installs it here). One mode per run:
//
//   node esme.js load HOST PORT N        bind_transceiver, N submit_sm with
//        receipts asked for; every deliver_sm and receipt matched by id
//   node esme.js resilient HOST PORT N PROGRESS_FILE
//        the same, surviving a pulled cable or a restarted SMSC: enquire_link
//        every second, a bind silent for 3 s is dead, reconnect and rebind,
//        resubmit what was never acknowledged; re-deliveries dropped by id
//   node esme.js storm HOST PORT N CONCURRENCY   N bind/unbind/close cycles
//   node esme.js protocol HOST PORT      auth errors, RALYBND, RINVBNDSTS,
//        ESME_RTHROTTLED at the window (accounts tx and rx:555, window 10)
//   node esme.js malformed HOST PORT     raw bad PDUs: generic_nack or close
//
// Every run ends with one JSON line of figures and exit status 0, or a
// "FAIL: ..." line and status 1. Every wait has a time limit.
'use strict';
const smpp = require('smpp');
const net = require('net');
const fs = require('fs');

smpp.addTLV('tern_msg_id', {id: 0x1401, type: smpp.types.tlv.cstring});

const [mode, host, portStr, ...rest] = process.argv.slice(2);
const port = Number(portStr);
const t0 = Date.now();
const now = () => Date.now() - t0;
const RATE = Number(process.env.ESME_RATE || 200); // resilient: submits a second

function fail(why) {
	console.log('FAIL: ' + why);
	process.exit(1);
}
function limit(ms, what) {
	setTimeout(() => fail(what + ': not done within ' + ms / 1000 + ' s'), ms).unref();
}
function text(sm) {
	if (Buffer.isBuffer(sm)) return sm.toString('latin1');
	if (sm && typeof sm === 'object') return String(sm.message);
	return String(sm);
}

// ---- the message ledger: every id, how often it came ----------------------------

function ledger(n) {
	return {
		n, accepted: new Map(), // id -> index, from submit_sm_resp
		delivered: new Map(),   // id -> times a deliver_sm came
		receipts: new Map(),    // receipted id -> times
		seenIndex: new Set(),   // message indexes delivered (by text)
		dupes: 0,
	};
}

// A deliver_sm: a receipt (esm_class 0x04) or a message; tern's id in TLV
// 0x1401 tells a re-delivery from a new message.
function onDeliver(L, pdu) {
	const id = pdu.tern_msg_id;
	if (!id) fail('deliver_sm without tern message id (TLV 0x1401)');
	const seen = L.delivered.get(id) || 0;
	L.delivered.set(id, seen + 1);
	if (seen) { L.dupes++; return; }
	if (pdu.esm_class & 0x04) {
		const rid = pdu.receipted_message_id;
		const body = text(pdu.short_message);
		if (!rid || !body.includes('id:' + rid) || !body.includes('stat:DELIVRD') || pdu.message_state !== 2)
			fail('bad receipt: ' + JSON.stringify({rid, body, state: pdu.message_state}));
		L.receipts.set(rid, (L.receipts.get(rid) || 0) + 1);
		return;
	}
	const m = /^m-(\d+)$/.exec(text(pdu.short_message));
	if (!m) fail('unexpected message text ' + JSON.stringify(text(pdu.short_message)));
	L.seenIndex.add(Number(m[1]));
}

function complete(L) {
	if (L.accepted.size < L.n) return false;
	for (const id of L.accepted.keys())
		if (!L.delivered.has(id) || !L.receipts.has(id)) return false;
	return true;
}

// Every accepted id delivered and receipted; each id counted once.
function verify(L) {
	for (const [id, i] of L.accepted) {
		if (!L.delivered.has(id)) fail('accepted id ' + id + ' (message ' + i + ') never delivered');
		if (L.receipts.get(id) !== 1) fail('id ' + id + ': ' + (L.receipts.get(id) || 0) + ' receipts');
	}
	for (let i = 0; i < L.n; i++)
		if (!L.seenIndex.has(i)) fail('message ' + i + ' never delivered');
}

// ---- one bound session ------------------------------------------------------------

function bindSession(opts, onBound, onGone) {
	const s = smpp.connect({host, port});
	let gone = false;
	const end = (why) => { if (!gone) { gone = true; s.destroy(); onGone(why); } };
	s.on('error', (e) => end(e.code || String(e)));
	s.on('close', () => end('closed'));
	s.on('connect', () => {
		s.bind_transceiver({system_id: opts.system_id || 'tern', password: opts.password || 'tern'}, (pdu) => {
			if (pdu.command_status !== 0) return fail('bind: status ' + pdu.command_status);
			onBound(s);
		});
	});
	return {s, end};
}

// ---- load: N messages, no faults --------------------------------------------------

function runLoad(n) {
	const L = ledger(n);
	limit(120000, 'load');
	let next = 0, inflight = 0, retries = 0, tBound = 0;
	const WINDOW = 64;
	bindSession({}, (s) => {
		tBound = now();
		s.on('deliver_sm', (pdu) => { onDeliver(L, pdu); s.send(pdu.response()); check(s); });
		const pump = () => {
			while (inflight < WINDOW && next < n) submit(s, next++);
		};
		const submit = (s2, i) => {
			inflight++;
			s2.submit_sm({destination_addr: '4470' + String(i % 1000).padStart(4, '0'),
				source_addr: '4479000001', registered_delivery: 1, short_message: 'm-' + i}, (r) => {
				inflight--;
				if (r.command_status === 0x58) { retries++; setTimeout(() => submit(s2, i), 50); return; }
				if (r.command_status !== 0) fail('submit ' + i + ': status ' + r.command_status);
				if (L.accepted.has(r.message_id)) fail('message id ' + r.message_id + ' given twice');
				L.accepted.set(r.message_id, i);
				pump();
			});
		};
		pump();
	}, (why) => { if (!complete(L)) fail('connection lost: ' + why); });
	function check(s) {
		if (!complete(L)) return;
		const el = (now() - tBound) / 1000;
		verify(L);
		s.unbind(() => {
			s.close();
			console.log(JSON.stringify({mode: 'load', messages: n, accepted: L.accepted.size,
				delivered: L.delivered.size, receipts: L.receipts.size, duplicates: L.dupes,
				throttled_retries: retries, seconds: el, messages_per_s: Math.round(n / el),
				pdus_per_s: Math.round(5 * n / el)}));
			process.exit(0);
		});
	}
}

// ---- resilient: the same through a pulled cable or a restart -----------------------

function runResilient(n, progressFile) {
	const L = ledger(n);
	limit(180000, 'resilient');
	const todo = [];                 // indexes to (re)submit
	for (let i = 0; i < n; i++) todo.push(i);
	const st = {reconnects: 0, resubmitted: 0, outages: [], lastRx: 0, downSince: 0, cur: null};
	const connect = () => {
		const pending = new Map();     // seq -> index, submits without a response
		let lastRx = now(), timer = null, bound = false;
		const started = now();
		const sess = bindSession({}, (s) => {
			bound = true;
			lastRx = now();
			if (st.downSince) st.outages.push((now() - st.downSince) / 1000);
			st.downSince = 0;
			s.on('pdu', () => { lastRx = now(); });
			s.on('deliver_sm', (pdu) => { onDeliver(L, pdu); s.send(pdu.response()); done(s); });
			s.on('enquire_link', (pdu) => s.send(pdu.response()));
			// A paced stream (RATE a second), so the fault lands in the middle of it.
			let credit = 0;
			const pump = () => {
				while (credit >= 1 && pending.size < 32 && todo.length) {
					credit--;
					const i = todo.shift();
					const pdu = new smpp.PDU('submit_sm', {destination_addr: '4470000001',
						registered_delivery: 1, short_message: 'm-' + i});
					if (!s.send(pdu, (r) => {
						pending.delete(pdu.sequence_number);
						if (r.command_status === 0x58) { todo.push(i); return; }
						if (r.command_status !== 0) fail('submit ' + i + ': status ' + r.command_status);
						L.accepted.set(r.message_id, i);
						fs.writeFileSync(progressFile + '.tmp', String(L.accepted.size));
						fs.renameSync(progressFile + '.tmp', progressFile);
					})) { todo.unshift(i); return; }
					pending.set(pdu.sequence_number, i);
				}
			};
			timer = setInterval(() => {
				if (now() - lastRx > 3000) return sess.end('silent for 3 s');
				s.enquire_link();
				pump();
			}, 1000);
			const fast = setInterval(() => { credit = Math.min(credit + RATE / 100, 32); pump(); }, 10);
			s.on('close', () => clearInterval(fast));
			pump();
		}, (why) => {
			clearInterval(timer);
			clearTimeout(bindLimit);
			for (const i of pending.values()) { todo.unshift(i); st.resubmitted++; }
			if (complete(L)) return;
			if (!st.downSince) st.downSince = bound ? lastRx : started;
			st.reconnects++;
			console.error(`t=${now()}ms connection lost (${why}); reconnecting`);
			setTimeout(connect, 200);
		});
		// A connect or bind that does not finish in 2 s is given up.
		const bindLimit = setTimeout(() => { if (!bound) sess.end('no bind within 2 s'); }, 2000);
		st.cur = sess;
	};
	function done(s) {
		if (!complete(L)) return;
		verify(L);
		s.unbind(() => s.close());
		console.log(JSON.stringify({mode: 'resilient', messages: n, accepted: L.accepted.size,
			delivered_ids: L.delivered.size, receipts: L.receipts.size, duplicates_dropped: L.dupes,
			resubmitted: st.resubmitted, reconnects: st.reconnects, outages_s: st.outages,
			seconds: now() / 1000}));
		process.exit(0);
	}
	connect();
}

// ---- storm: many short binds ----------------------------------------------------------------

function runStorm(n, conc) {
	limit(60000, 'storm');
	let started = 0, finished = 0, failed = 0;
	const times = [];
	const one = () => {
		if (started >= n) return;
		const i = started++, t = now();
		const s = smpp.connect({host, port});
		let ok = false;
		s.on('error', () => {});
		s.on('close', () => {
			finished++;
			if (!ok) failed++;
			if (finished === n) report(); else one();
		});
		s.on('connect', () => s.bind_transmitter({system_id: 'tern', password: 'tern'}, (r) => {
			if (r.command_status !== 0) { s.destroy(); return; }
			s.unbind(() => { ok = true; times.push(now() - t); s.close(); });
		}));
		void i;
	};
	const report = () => {
		times.sort((a, b) => a - b);
		const el = now() / 1000;
		console.log(JSON.stringify({mode: 'storm', binds: n, ok: n - failed, failed, seconds: el,
			binds_per_s: Math.round(n / el), ms_median: times[times.length >> 1],
			ms_p99: times[Math.floor(times.length * 0.99)]}));
		process.exit(failed ? 1 : 0);
	};
	for (let k = 0; k < conc; k++) one();
}

// ---- protocol: auth, bind state, throttling ---------------------------------------------------

function step(s, cmd, params) {
	return new Promise((res) => s[cmd](params, res));
}
function session() {
	return new Promise((res, rej) => {
		const s = smpp.connect({host, port});
		s.on('connect', () => res(s));
		s.on('error', rej);
	});
}
function expect(r, status, what) {
	if (r.command_status !== status)
		fail(`${what}: status 0x${r.command_status.toString(16)}, want 0x${status.toString(16)}`);
	console.log(`ok ${what}: status 0x${status.toString(16)}`);
}

async function runProtocol() {
	limit(60000, 'protocol');
	const s = await session();
	expect(await step(s, 'submit_sm', {destination_addr: '5550001', short_message: 'x'}), 0x04,
		'submit_sm before bind -> ESME_RINVBNDSTS');
	expect(await step(s, 'bind_transmitter', {system_id: 'nobody', password: 'x'}), 0x0f,
		'unknown system_id -> ESME_RINVSYSID');
	expect(await step(s, 'bind_transmitter', {system_id: 'tx', password: 'wrong'}), 0x0e,
		'wrong password -> ESME_RINVPASWD');
	expect(await step(s, 'bind_transmitter', {system_id: 'tx', password: 'txpw'}), 0, 'bind_transmitter tx');
	expect(await step(s, 'bind_transmitter', {system_id: 'tx', password: 'txpw'}), 0x05,
		'second bind -> ESME_RALYBND');
	// rx is not bound: its messages wait, and count against tx's window (10).
	const ids = [];
	for (let i = 0; i < 12; i++) {
		const r = await step(s, 'submit_sm', {destination_addr: '555000' + i, short_message: 'w-' + i});
		if (i < 10) { if (r.command_status !== 0) fail('submit ' + i + ' refused'); ids.push(r.message_id); }
		else expect(r, 0x58, 'submit ' + (i + 1) + ' over the window of 10 -> ESME_RTHROTTLED');
	}
	const rx = await session();
	const got = [];
	const all = new Promise((res) => rx.on('deliver_sm', (pdu) => {
		got.push(pdu.tern_msg_id);
		rx.send(pdu.response());
		if (got.length === 10) res();
	}));
	expect(await step(rx, 'bind_receiver', {system_id: 'rx', password: 'rxpw'}), 0, 'bind_receiver rx');
	await all;
	if (got.join() !== ids.join()) fail('rx got ' + got.join() + ', want ' + ids.join());
	console.log('ok the 10 waiting messages reached rx when it bound, in order, ids match');
	await new Promise((res) => setTimeout(res, 200));
	expect(await step(s, 'submit_sm', {destination_addr: '5550099', short_message: 'after'}), 0,
		'submit after delivery emptied the window');
	expect(await step(rx, 'submit_sm', {destination_addr: '1', short_message: 'x'}), 0x04,
		'submit_sm on a receiver bind -> ESME_RINVBNDSTS');
	expect(await step(s, 'unbind', {}), 0, 'unbind');
	expect(await step(s, 'submit_sm', {destination_addr: '1', short_message: 'x'}), 0x04,
		'submit_sm after unbind -> ESME_RINVBNDSTS');
	s.close();
	rx.destroy();
	console.log(JSON.stringify({mode: 'protocol', ok: true}));
	process.exit(0);
}

// ---- malformed: raw bytes --------------------------------------------------------------------

function hdr(len, id, status, seq) {
	const b = Buffer.alloc(16);
	b.writeUInt32BE(len, 0); b.writeUInt32BE(id, 4); b.writeUInt32BE(status, 8); b.writeUInt32BE(seq, 12);
	return b;
}
const cstr = (s) => Buffer.from(s + '\0', 'latin1');
function pdu(id, seq, body) {
	return Buffer.concat([hdr(16 + body.length, id, 0, seq), body]);
}
const BIND = pdu(2, 1, Buffer.concat([cstr('tern'), cstr('tern'), cstr(''), Buffer.from([0x34, 0, 0]), cstr('')]));

// Send chunks; collect PDUs until `want` arrived or the peer closed.
function raw(chunks, want) {
	return new Promise((res) => {
		const c = net.connect(port, host);
		let buf = Buffer.alloc(0), closed = false;
		const out = [];
		const finish = () => { c.destroy(); res({pdus: out, closed}); };
		const timer = setTimeout(finish, 3000);
		c.on('connect', () => chunks.forEach((b) => c.write(b)));
		c.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			while (buf.length >= 16 && buf.length >= buf.readUInt32BE(0)) {
				const len = buf.readUInt32BE(0);
				out.push({id: buf.readUInt32BE(4), status: buf.readUInt32BE(8), seq: buf.readUInt32BE(12)});
				buf = buf.subarray(len);
			}
			if (out.length >= want) { clearTimeout(timer); finish(); }
		});
		c.on('error', () => {});
		c.on('close', () => { closed = true; clearTimeout(timer); finish(); });
	});
}
function nack(p, status, seq, what) {
	if (!p || p.id !== 0x80000000 || p.status !== status || p.seq !== seq)
		fail(what + ': got ' + JSON.stringify(p) + ', want generic_nack 0x' + status.toString(16) + ' seq ' + seq);
	console.log(`ok ${what}: generic_nack status 0x${status.toString(16)} seq ${seq}`);
}

async function runMalformed() {
	limit(60000, 'malformed');
	// One session: bind, then three bad PDUs, then enquire_link still answered.
	const noNul = pdu(4, 3, Buffer.concat([cstr(''), Buffer.from([1, 1]), Buffer.from('44770090012345678901234567890', 'latin1')]));
	const cut = Buffer.concat([hdr(19, 4, 0, 4), Buffer.from([0, 1, 1])]);
	let r = await raw([BIND, pdu(0x1234, 2, Buffer.alloc(0)), noNul, cut, pdu(0x15, 5, Buffer.alloc(0))], 5);
	if (r.pdus[0].id !== 0x80000002 || r.pdus[0].status !== 0) fail('bind: ' + JSON.stringify(r.pdus[0]));
	nack(r.pdus[1], 0x03, 2, 'unknown command id 0x1234');
	nack(r.pdus[2], 0x0a, 3, 'source_addr without its NUL in 21 bytes');
	nack(r.pdus[3], 0x02, 4, 'submit_sm body cut short');
	if (!r.pdus[4] || r.pdus[4].id !== 0x80000015 || r.pdus[4].seq !== 5) fail('no enquire_link_resp after the bad PDUs');
	console.log('ok the session survives: enquire_link answered after three bad PDUs');
	r = await raw([hdr(8, 0x15, 0, 6)], 2);
	nack(r.pdus[0], 0x02, 6, 'command_length 8');
	if (!r.closed) fail('command_length 8: connection not closed');
	console.log('ok command_length 8: connection closed after the nack');
	r = await raw([hdr(0x7fffffff, 4, 0, 7), Buffer.alloc(100)], 2);
	nack(r.pdus[0], 0x02, 7, 'command_length 2 GB');
	if (!r.closed) fail('command_length 2 GB: connection not closed');
	console.log('ok command_length 2 GB: connection closed after the nack');
	const junk = Buffer.alloc(64 * 1024);
	for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
	r = await raw([junk], 1);
	if (!r.closed && !r.pdus.length) fail('64 KiB of junk: no answer, no close');
	console.log(`ok 64 KiB of junk: ${r.pdus.length} nack(s), closed=${r.closed}`);
	r = await raw([BIND, pdu(0x15, 9, Buffer.alloc(0))], 2);
	if (r.pdus.length !== 2 || r.pdus[1].id !== 0x80000015) fail('tern does not answer after the junk');
	console.log('ok tern still binds and answers after all of it');
	console.log(JSON.stringify({mode: 'malformed', ok: true}));
	process.exit(0);
}

switch (mode) {
case 'load': runLoad(Number(rest[0] || 1000)); break;
case 'resilient': runResilient(Number(rest[0] || 1000), rest[1] || '/dev/null'); break;
case 'storm': runStorm(Number(rest[0] || 500), Number(rest[1] || 50)); break;
case 'protocol': runProtocol().catch((e) => fail(String(e))); break;
case 'malformed': runMalformed().catch((e) => fail(String(e))); break;
default: fail('unknown mode ' + mode);
}
