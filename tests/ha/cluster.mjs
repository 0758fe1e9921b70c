// A PostgreSQL primary with a streaming standby on this machine, for tests of failover and of
// read replicas. Debian's PostgreSQL 15 binaries (pg_config --bindir, else the newest
// /usr/lib/postgresql/*/bin); as root every server and pg_basebackup run as the user postgres,
// which owns the data directories (deploy/local/pgcluster.sh does the same).
//
//   const pair = await startPair();            // primary + synchronous standby, streaming
//   pair.url('coopd')                          // postgresql://coopd:PW@127.0.0.1:P1,127.0.0.1:P2/coopd
//   await pair.primary.kill();                 // SIGKILL of the postmaster and its processes
//   await pair.standby.promote();              // pg_promote(), waits until it takes writes
//   await pair.standby.pauseReplay(); ...      // replica tests: hold replay, stop/start alone
//   await pair.standby.holdReceiver(); ...     // a stalled network: WAL stops arriving
//   pair.standby.release();
//
// Every server is stopped (by pid or by its data directory, never by name) and its directory
// removed when the process exits, also when a test fails (the harness's onCleanup).
//
// Durability: the primary runs with synchronous_commit = on and synchronous_standby_names
// naming the standby's application_name, so a commit is acknowledged only once the standby has
// flushed it, as the CloudNativePG cluster does (deploy/kubernetes/base/cluster.yaml). The
// standby is cloned before the primary gets synchronous_standby_names, so it does not carry it:
// promoted, it would otherwise wait on every commit for a standby that does not exist.
// fsync stays off (pgcluster's PGCLUSTER_FAST): the servers are killed, not the machine, and
// what a killed process wrote is in the page cache.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startCluster, Cluster, PGCLUSTER, freePort, psql, run, waitFor, onCleanup } from '../api/harness.mjs';

const isRoot = process.getuid?.() === 0;

/** The directory of the PostgreSQL server binaries (as pgcluster.sh finds it). */
export const BINDIR = (() => {
	const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
	const dir = r.status === 0 ? r.stdout.trim() : '';
	if (dir && fs.existsSync(path.join(dir, 'pg_basebackup')) && fs.existsSync(path.join(dir, 'initdb'))) return dir;
	const vers = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)) : [];
	vers.sort((a, b) => Number(a) - Number(b));
	return vers.length ? `/usr/lib/postgresql/${vers.at(-1)}/bin` : dir;
})();

/** Runs a PostgreSQL program as the owner of the data directories (postgres when we are root). */
function asOwner(prog, args, { env = {}, timeout = 120000 } = {}) {
	// runuser keeps the environment (a password stays out of the process list).
	const full = { PATH: process.env.PATH, LANG: 'C.UTF-8', ...env };
	const bin = path.join(BINDIR, prog);
	return isRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...args], { env: full, timeout }) : run(bin, args, { env: full, timeout });
}

/** {state, ppid} of pid from /proc, or null when there is no such process. */
function procStat(pid) {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return { state, ppid: Number(ppid) };
	} catch {
		return null;
	}
}

/** Whether pid runs (a zombie, killed and not yet reaped by its parent, does not). */
function alive(pid) {
	const s = procStat(pid);
	return s !== null && s.state !== 'Z' && s.state !== 'X';
}

/** The pids whose parent is pid. */
function childrenOf(pid) {
	const out = [];
	for (const d of fs.readdirSync('/proc')) if (/^\d+$/.test(d) && procStat(Number(d))?.ppid === pid) out.push(Number(d));
	return out;
}

/**
 * One PostgreSQL server: a data directory, a port and the maintenance URL. Wraps the harness's
 * Cluster (pgcluster.sh start/stop) and adds what failover and replica tests need.
 */
export class PgNode {
	constructor({ name, cluster, password }) {
		this.name = name; // also the standby's application_name
		this.cluster = cluster;
		this.password = password;
	}
	get dir() {
		return this.cluster.dir;
	}
	get port() {
		return this.cluster.port;
	}
	/** URL of database db on this server alone. */
	url(db = 'postgres') {
		return this.cluster.urlFor(db);
	}
	/** Rows of one statement on this server (database db). */
	sql(q, db = 'postgres') {
		return psql(this.url(db), q);
	}
	/** The postmaster's pid (first line of postmaster.pid), or null when it is not there. */
	pid() {
		try {
			const pid = Number(fs.readFileSync(path.join(this.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
			return pid > 0 && alive(pid) ? pid : null;
		} catch {
			return null;
		}
	}
	/**
	 * Kills the server hard: SIGKILL of the postmaster, then of each of its processes, by pid.
	 * A host that dies takes every backend with it at once; a postmaster killed alone would leave
	 * its backends to notice and exit by themselves. Resolves when all of them are gone.
	 */
	async kill() {
		const pid = this.pid();
		if (!pid) throw new Error(`${this.name}: no postmaster running`);
		const children = childrenOf(pid);
		process.kill(pid, 'SIGKILL');
		for (const c of children) {
			try {
				process.kill(c, 'SIGKILL');
			} catch {
				/* already gone */
			}
		}
		await waitFor(() => ![pid, ...children].some(alive), { timeoutMs: 10000, intervalMs: 20, msg: `${this.name}'s processes to exit` });
		this.killed = true;
	}
	/**
	 * Stops the server (fast shutdown: sessions end, a checkpoint is written). While a
	 * synchronous standby is stopped every commit on the primary waits for it: a test that stops
	 * the standby alone wants startPair({sync: false}).
	 */
	stop() {
		return this.cluster.stop();
	}
	/** Starts it again on its port (a standby comes back as a standby and catches up). */
	start() {
		return this.cluster.start();
	}
	async inRecovery() {
		return (await this.sql('select pg_is_in_recovery() as r'))[0].r === 't';
	}
	/** Promotes a standby (pg_promote waits until it is done) and waits until it takes writes. */
	async promote() {
		const r = await this.sql('select pg_promote(true, 30) as ok');
		if (r[0].ok !== 't') throw new Error(`${this.name}: pg_promote did not finish`);
		await waitFor(async () => (await this.sql('show transaction_read_only'))[0].transaction_read_only === 'off', {
			timeoutMs: 10000,
			intervalMs: 20,
			msg: `${this.name} to take writes`,
		});
	}
	/** Holds WAL replay on a standby (it still receives WAL; reads see the state at the pause). */
	async pauseReplay() {
		await this.sql('select pg_wal_replay_pause()');
		await waitFor(async () => (await this.sql('select pg_get_wal_replay_pause_state() as s'))[0].s === 'paused', {
			timeoutMs: 10000,
			intervalMs: 20,
			msg: `${this.name}: replay paused`,
		});
	}
	async resumeReplay() {
		await this.sql('select pg_wal_replay_resume()');
	}
	/**
	 * Freezes this standby's WAL receiver (SIGSTOP of its pid), as when the network between
	 * primary and standby stalls: what the primary has sent waits in the socket and arrives
	 * when it is released, nothing is acknowledged meanwhile (a synchronous primary holds every
	 * commit), and reads on the standby fall behind.
	 */
	async holdReceiver() {
		const rows = await this.sql('select pid from pg_stat_wal_receiver');
		if (rows.length !== 1) throw new Error(`${this.name}: no WAL receiver`);
		this.hold(Number(rows[0].pid));
	}
	/**
	 * Freezes this primary's WAL sender to the standby named name (SIGSTOP): from then on no
	 * WAL leaves the primary for it; killed in that state, the primary takes what it had not
	 * sent with it.
	 */
	async holdSender(name) {
		const rows = await this.sql(`select pid from pg_stat_replication where application_name = '${name}'`);
		if (rows.length !== 1) throw new Error(`${this.name}: no WAL sender for ${name}`);
		this.hold(Number(rows[0].pid));
	}
	hold(pid) {
		process.kill(pid, 'SIGSTOP');
		(this.held ??= new Set()).add(pid);
	}
	/** Lets every process held by holdReceiver/holdSender go on (SIGCONT). */
	release() {
		for (const pid of this.held ?? []) {
			try {
				process.kill(pid, 'SIGCONT');
			} catch {
				/* it is gone */
			}
		}
		this.held?.clear();
	}
	/** A standby's last replayed WAL position (pg_lsn text). */
	async replayLsn() {
		return (await this.sql('select pg_last_wal_replay_lsn() as l'))[0].l;
	}
	/** A primary's current WAL position (pg_lsn text). */
	async currentLsn() {
		return (await this.sql('select pg_current_wal_lsn() as l'))[0].l;
	}
	destroySync() {
		this.release(); // a stopped process would hold up the shutdown
		// A killed server has no postmaster; pgcluster's stop then finds nothing to stop.
		const pid = this.pid();
		if (pid) this.cluster.destroySync();
		else fs.rmSync(this.cluster.base, { recursive: true, force: true });
	}
}

/** A primary (pgcluster.sh through the harness) with a database db; synchronous_commit on. */
export async function startPrimary({ db = 'coopd', name = 'primary' } = {}) {
	const cluster = await startCluster();
	const password = fs.readFileSync(`${cluster.dir}.password`, 'utf8').trim();
	const node = new PgNode({ name, cluster, password });
	onCleanup(() => node.destroySync()); // before the harness's own: releases held processes first
	// pgcluster's fast mode sets synchronous_commit = off: a commit would be acknowledged before
	// the standby has it. ALTER SYSTEM overrides postgresql.conf; the standby's copy has it too.
	await node.sql('alter system set synchronous_commit = on');
	await node.sql('select pg_reload_conf()');
	if (db !== 'postgres') await node.sql(`create database ${db}`);
	return node;
}

/**
 * A streaming standby of primary: pg_basebackup -R with a replication slot named name (also the
 * application_name), started on a free port of its own; resolves once the primary shows it
 * streaming (and, with sync, as its synchronous standby).
 */
export async function startStandby(primary, { name = 'standby', sync = true } = {}) {
	const base = fs.mkdtempSync('/tmp/coopd-test-pg-');
	fs.chmodSync(base, 0o755);
	const dir = path.join(base, 'pg');
	fs.mkdirSync(dir, { mode: 0o700 });
	fs.writeFileSync(`${dir}.password`, `${primary.password}\n`, { mode: 0o600 }); // pgcluster.sh reads it
	const cluster = new Cluster({ dir, base, port: null, url: null });
	const node = new PgNode({ name, cluster, password: primary.password });
	onCleanup(() => node.destroySync());
	if (isRoot) fs.chownSync(dir, ...ownerIds());
	const bb = await asOwner(
		'pg_basebackup',
		['-D', dir, '-R', '-C', '-S', name, '-X', 'stream', '-c', 'fast', '-d', `host=127.0.0.1 port=${primary.port} user=coopd application_name=${name}`],
		{ env: { PGPASSWORD: primary.password } },
	);
	if (bb.code !== 0) throw new Error(`pg_basebackup of ${primary.name} failed: ${bb.stderr}`);
	fs.rmSync(path.join(dir, 'server.log'), { force: true }); // the primary's log, copied along
	let lastErr = '';
	for (let attempt = 0; attempt < 4; attempt++) {
		cluster.port = await freePort();
		const r = await run(PGCLUSTER, ['start', dir, String(cluster.port), 'postgres'], { env: { ...process.env, PGCLUSTER_FAST: '1' } });
		if (r.code === 0) {
			cluster.url = r.stdout.trim().split('\n').pop();
			break;
		}
		lastErr = r.stderr;
		cluster.port = null;
	}
	if (!cluster.port) throw new Error(`the standby did not start: ${lastErr}`);
	const ssn = (await node.sql('show synchronous_standby_names'))[0].synchronous_standby_names;
	if (ssn !== '') throw new Error(`the standby carries synchronous_standby_names = ${ssn}`);
	if (sync) {
		await primary.sql(`alter system set synchronous_standby_names = '"${name}"'`);
		await primary.sql('select pg_reload_conf()');
	}
	await waitStreaming(primary, name, { sync });
	return node;
}

function ownerIds() {
	const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
	const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
	return [Number(r.stdout.trim()), Number(g.stdout.trim())];
}

/** Waits until primary lists standby name as streaming (and as sync when sync). */
export function waitStreaming(primary, name, { sync = true, timeoutMs = 30000 } = {}) {
	return waitFor(
		async () => {
			const rows = await primary.sql(`select state, sync_state from pg_stat_replication where application_name = '${name}'`);
			return rows.length === 1 && rows[0].state === 'streaming' && (!sync || rows[0].sync_state === 'sync');
		},
		{ timeoutMs, intervalMs: 50, msg: `${name} streaming from ${primary.name}${sync ? ' as synchronous standby' : ''}` },
	);
}

/**
 * A primary with database db and one streaming standby (synchronous unless sync is false):
 * {primary, standby, url(db), keyValue(db)}. url() is the multi-host URL coopd is given: the
 * primary first, then the standby.
 */
export async function startPair({ db = 'coopd', sync = true } = {}) {
	const primary = await startPrimary({ db });
	const standby = await startStandby(primary, { name: 'standby', sync });
	const hosts = [primary, standby];
	return {
		primary,
		standby,
		db,
		url: (name = db) => `postgresql://coopd:${encodeURIComponent(primary.password)}@${hosts.map((h) => `127.0.0.1:${h.port}`).join(',')}/${name}`,
		keyValue: (name = db) => `host=${hosts.map(() => '127.0.0.1').join(',')} port=${hosts.map((h) => h.port).join(',')} dbname=${name} user=coopd password=${primary.password}`,
		/** Stops both (whatever is still running) and removes their directories. */
		destroy() {
			for (const n of [standby, primary]) n.destroySync();
		},
	};
}

