// award — the Node.js original, ported for the bench (issue 14's "FULL ≥ 3×
// the Node.js original"). Not the service: the design the project grew out
// of, kept as it was so that it stays a fair baseline — not optimized and
// not fixed. A plain Node HTTP server with an Express-style route receives
// YooKassa's POST /v1/payments/webhook, parses the JSON body and awards
// tickets through the asynchronous sqlite3 module (Debian's node-sqlite3):
//   * check-then-insert: it reads whether the order's SELF_PURCHASE row
//     exists, then inserts; no constraint and no transaction make that
//     once (two deliveries of one order at once can both award it);
//   * ledger ids are random (the "legacy rows" of SPEC.md §3);
//   * a buyer row, then a referrer row when user_referrals names one;
//   * every statement is its own autocommit transaction;
//   * it answers 200 always, whatever happened.
// Database: the bot database's own tables (contests, plan_tickets,
// user_referrals, ticket_ledger), in the shapes of schema.sql's bot part;
// hotpath.sh creates them from schema.sql and seeds them as for the C rows.
// WAL and synchronous=FULL, to compare with award-fcgi's FULL row (NORMAL
// when asked, for hotpath.sh's optional node-NORMAL row).
//
// Usage: node server.js PORT BOT_DB [FULL|NORMAL]
//   listens on 127.0.0.1:PORT, direct (no nginx)
'use strict';

const http = require('http');
const crypto = require('crypto');
const sqlite3 = require('sqlite3');

const port = Number(process.argv[2]);
const db = new sqlite3.Database(process.argv[3]);
const sync = process.argv[4] === 'NORMAL' ? 'NORMAL' : 'FULL';
db.serialize(() => {
	db.run('PRAGMA journal_mode=WAL');
	db.run('PRAGMA synchronous=' + sync);
	db.run('PRAGMA busy_timeout=5000');
});

function get(sql, params) {
	return new Promise((resolve, reject) => {
		db.get(sql, params, (err, row) => err ? reject(err) : resolve(row));
	});
}

function run(sql, params) {
	return new Promise((resolve, reject) => {
		db.run(sql, params, (err) => err ? reject(err) : resolve());
	});
}

function insertTickets(contestId, owner, buyer, orderId, tickets, reason) {
	return run('INSERT INTO ticket_ledger (id, contest_id, referrer_id, ' +
	    'referred_id, order_id, delta, reason, created_at) ' +
	    'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
	    [crypto.randomUUID(), contestId, owner, buyer, orderId, tickets,
	    reason, new Date().toISOString()]);
}

// The award: as the original wrote it, one awaited statement after another.
async function award(orderId, buyer, planId, orderTime) {
	const seen = await get('SELECT id FROM ticket_ledger WHERE order_id = ? ' +
	    "AND reason = 'SELF_PURCHASE'", [orderId]);
	if (seen)
		return 'duplicate';
	const contest = await get('SELECT * FROM contests WHERE is_active = 1 ' +
	    'AND starts_at <= ? AND ends_at >= ? ORDER BY starts_at DESC LIMIT 1',
	    [orderTime, orderTime]);
	if (!contest)
		return 'no contest';
	const plan = await get('SELECT tickets FROM plan_tickets WHERE ' +
	    'plan_id = ?', [planId]);
	if (!plan || plan.tickets <= 0)
		return 'no tickets';
	await insertTickets(contest.id, buyer, buyer, orderId, plan.tickets,
	    'SELF_PURCHASE');
	const ref = await get('SELECT * FROM user_referrals WHERE ' +
	    'referred_id = ?', [buyer]);
	if (!ref || ref.referrer_id === buyer)
		return 'awarded';
	const bound = new Date(ref.bound_at.replace(' ', 'T') +
	    (ref.bound_at.includes(' ') ? 'Z' : ''));
	const at = new Date(orderTime);
	const days = contest.attribution_window_days;
	if (bound > at || (days > 0 && at - bound > days * 86400000))
		return 'awarded';
	await insertTickets(contest.id, ref.referrer_id, buyer, orderId,
	    plan.tickets, 'INVITEE_PAYMENT');
	return 'awarded, referrer too';
}

// The route, Express-style: (req, res) with the parsed body.
async function webhook(req, res) {
	try {
		const event = req.body;
		if (event.event === 'payment.succeeded') {
			const p = event.object;
			const m = p.metadata;
			await award(m.order_id, Number(m.telegram_id), m.plan_id,
			    m.created_at || p.created_at);
		}
	} catch (err) {
		console.error('webhook:', err.message);
	}
	res.statusCode = 200;
	res.end('OK');
}

const routes = { 'POST /v1/payments/webhook': webhook };

const server = http.createServer((req, res) => {
	const route = routes[req.method + ' ' + req.url];
	if (!route) {
		res.statusCode = 404;
		res.end();
		return;
	}
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		try {
			req.body = JSON.parse(Buffer.concat(chunks).toString());
		} catch (err) {
			req.body = {};
		}
		route(req, res);
	});
});

server.listen(port, '127.0.0.1', () => {
	console.log('listening on 127.0.0.1:' + port);
});
process.on('SIGTERM', () => server.close(() => db.close(() => process.exit(0))));
