/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Persistent state of mrelayd in SQLite (store.h).
 *
 * Choices, and why:
 *  - journal_mode=WAL: a commit appends to state.db-wal and fsyncs that one
 *    file; readers (load, export) never block the writer.
 *  - synchronous=FULL, not NORMAL: with NORMAL, WAL mode fsyncs only at
 *    checkpoints, so a committed transaction survives kill -9 (it is in the
 *    page cache) but is lost on power loss or a kernel crash. mrelayd
 *    acknowledges a change once mr_store_commit() returns, so the commit
 *    itself must reach the disk: FULL fsyncs the WAL at every commit.
 *  - The first open builds the database under a temporary name, fsyncs it
 *    and renames it into place, then fsyncs the directory: state.db either
 *    does not exist or is complete. So a zero-length state.db is never a
 *    "new, empty" state (SQLite would happily take it as one): it is
 *    damage, and open refuses it.
 *  - uint64_t ids are stored as (int64_t)(v ^ 2^63): SQLite integers are
 *    signed, and this keeps its order equal to unsigned order, so keys,
 *    indexes, load order and keyset pagination all follow the ids as the
 *    API sees them. The cost: ids below 2^63 take 8 bytes in a row instead
 *    of 1-8, and the raw file is not meant to be read with sqlite3(1);
 *    export is the readable form.
 *  - Upserts (INSERT ... ON CONFLICT DO UPDATE), never INSERT OR REPLACE:
 *    REPLACE deletes the old row first, which would cascade to a group's
 *    members.
 *  - STRICT tables with CHECK constraints, foreign keys, cell_size_check
 *    and the defensive flag: a value that does not fit its type is refused
 *    on the way in, and every row read is checked again on the way out.
 *
 * Member log (schema 2):
 *  - A member put or del appends a row to member_log, whose key is its
 *    rowid (seq), so a batch of changes fills a few new pages at the end
 *    of it. Written to member (key (grp, user)) directly, a batch spread
 *    over many groups dirtied one page per change, and SQLite writes every
 *    dirty page whole to the WAL: 10,000 changes cost ~10,000 4 KiB pages
 *    and their fsync; in the log, ~65 pages.
 *  - Compaction (mr_store_compact) takes the oldest N rows of the log,
 *    keeps each (grp, user)'s latest change among them, applies those to
 *    member in key order (so each page of member is written once per
 *    chunk however many changes fall on it) and deletes the N rows, all in
 *    one transaction: a crash keeps either the rows or their merge. Later
 *    rows of the same key stay in the log and still win. Large chunks
 *    (100k-500k rows) amortize the pages of member over more changes.
 *  - The log's effect is also kept in memory (struct pend, a hash table):
 *    for each (grp, user) with rows in the log, its latest change. member
 *    del needs it to answer -ENOENT (the log has no index: one on
 *    (grp, user) would be written all over, like member was), group del
 *    to skip the log when the group has nothing there, and load and export
 *    merge it, in key order, with the rows of member. It is exact because
 *    one process writes the database (the directory lock); a transaction's
 *    changes to it are journaled and undone by SQLite's rollback hook,
 *    which also sees the rollbacks SQLite makes itself (SQLITE_FULL...).
 *    All memory is reserved before the SQL statement, so a statement that
 *    succeeded is never left out of it.
 *  - Why load and export merge on the fly rather than compact first:
 *    export runs while mrelayd works and a load inside a transaction must
 *    see it, so the log must be readable anyway; compacting there would
 *    turn a read into a write of up to the whole member table. And why
 *    open compacts the whole log all the same: the daemon starts with an
 *    empty log and no memory for it, its first load is a plain scan of
 *    member, and the copy in memory never has to be rebuilt from disk.
 *  - Compaction frees the log's pages. While the store runs, the next log
 *    rows take them again; at open (after merging) and close they are
 *    given back (auto_vacuum = INCREMENTAL, set when the file is created,
 *    and PRAGMA incremental_vacuum), so a file at rest holds live pages
 *    only: its size is its content, and quick_check, which cannot read
 *    meaning into a free page, sees every page (one page of garbage
 *    anywhere is refused, tests/integration/test_restart.py). A file made
 *    by schema 1 keeps auto_vacuum = NONE (changing it takes a VACUUM, a
 *    rewrite of the file): it keeps up to the largest log's pages free.
 *  - No foreign key from member_log to grp: SQLite would scan the log to
 *    cascade every group delete (no index, see above). member put checks
 *    the group in the same INSERT; group del deletes the group's log rows
 *    itself, and only when the copy in memory says it has some. member
 *    keeps its foreign key: merging a change of a missing group fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "records.h"
#include "store.h"

#define APP_ID		0x6d72656c	/* "mrel" in PRAGMA application_id */
#define BUSY_MS		5000
#define CACHE_KIB	32768		/* page cache per connection */
#define WAL_KEEP	67108864	/* WAL bytes kept after a checkpoint */
#define EXPORT_SLOTS	4
#define COMPACT_OPEN	262144		/* log rows a transaction at open */
#define PEND_MIN_SLOTS	1024		/* smallest hash table of struct pend */
#define PEND_DEL	(-1)		/* struct pend role: deleted */
#define CURSOR_SHIFT	56
#define CURSOR_ORD	((UINT64_C(1) << CURSOR_SHIFT) - 1)
#define XSTR(x)		#x
#define STR(x)		XSTR(x)

#define ADVICE "restore it from a backup, or move it away (with any " \
	"-wal and -shm files beside it) to start with an empty state"

/*
 * Schema version 1. quick_check evaluates every CHECK on every row: write
 * them as comparisons (BETWEEN, =), never IN (...), which costs 5x more
 * there (measured: 10M members, open 6.4 s with IN, 1.4 s without).
 */
static const char schema_v1[] =
	"CREATE TABLE endpoint ("
	" name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 31),"
	" id INTEGER NOT NULL CHECK (id BETWEEN 0 AND 4294967295),"
	" ip_version INTEGER NOT NULL CHECK (ip_version = 4 OR ip_version = 6),"
	" addr BLOB NOT NULL CHECK (length(addr) = 16),"
	" udp_port INTEGER NOT NULL CHECK (udp_port BETWEEN 1 AND 65535),"
	" vlan INTEGER NOT NULL CHECK (vlan BETWEEN 0 AND 4094),"
	" port_id INTEGER NOT NULL CHECK (port_id BETWEEN 0 AND 65535),"
	" mac BLOB CHECK (mac IS NULL OR length(mac) = 6)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE device ("
	" user INTEGER NOT NULL,"
	" device INTEGER NOT NULL CHECK (device BETWEEN 0 AND 4294967295),"
	" endpoint TEXT NOT NULL REFERENCES endpoint (name),"
	" PRIMARY KEY (user, device)"
	") STRICT, WITHOUT ROWID;"
	/* Lets deleting an endpoint find its devices without a scan. */
	"CREATE INDEX device_endpoint ON device (endpoint);"
	"CREATE TABLE grp ("
	" id INTEGER PRIMARY KEY,"
	" policy INTEGER NOT NULL CHECK (policy BETWEEN 0 AND 1),"
	" max_members INTEGER NOT NULL"
	"  CHECK (max_members BETWEEN 0 AND 4294967295)"
	") STRICT;"
	"CREATE TABLE member ("
	" grp INTEGER NOT NULL REFERENCES grp (id) ON DELETE CASCADE,"
	" user INTEGER NOT NULL,"
	" role INTEGER NOT NULL CHECK (role BETWEEN 0 AND 2),"
	" PRIMARY KEY (grp, user)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE sub ("
	" pattern TEXT NOT NULL CHECK (length(CAST(pattern AS BLOB))"
	"  BETWEEN 1 AND 255),"
	" user INTEGER NOT NULL,"
	" device INTEGER NOT NULL CHECK (device BETWEEN 0 AND 4294967295),"
	" PRIMARY KEY (pattern, user, device)"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE seq ("
	" kind INTEGER NOT NULL CHECK (kind BETWEEN 0 AND 4294967295),"
	" a INTEGER NOT NULL,"
	" b INTEGER NOT NULL,"
	" hwm INTEGER NOT NULL,"
	" PRIMARY KEY (kind, a, b)"
	") STRICT, WITHOUT ROWID;";

/*
 * Migration hook: migrations[v] takes a database from schema v to v + 1.
 * All steps from the file's version to MR_STORE_SCHEMA_VERSION run in one
 * transaction with the user_version update, after the integrity check, so
 * a crash mid-way leaves the old version intact. migrations[0] creates the
 * schema of a new database. A migration that rewrites big tables should
 * first keep a copy (VACUUM INTO 'state.db.v<N>').
 */
static int
migrate_0_1(sqlite3 *db)
{
	return sqlite3_exec(db, schema_v1, NULL, NULL, NULL);
}

/*
 * Schema version 2: the member log (see the top of this file). role NULL
 * is a delete. Rows of member stay where they are.
 */
static const char schema_v2[] =
	"CREATE TABLE member_log ("
	" seq INTEGER PRIMARY KEY,"
	" grp INTEGER NOT NULL,"
	" user INTEGER NOT NULL,"
	" role INTEGER CHECK (role BETWEEN 0 AND 2)"
	") STRICT;";

static int
migrate_1_2(sqlite3 *db)
{
	return sqlite3_exec(db, schema_v2, NULL, NULL, NULL);
}

static int (*const migrations[MR_STORE_SCHEMA_VERSION])(sqlite3 *db) = {
	migrate_0_1,
	migrate_1_2,
};

#define EP_COLS "name, id, ip_version, addr, udp_port, vlan, port_id, mac"
#define DEV_COLS "user, device, endpoint"
#define GRP_COLS "id, policy, max_members"
#define MEM_COLS "grp, user, role"
#define SUB_COLS "pattern, user, device"
#define SEQ_COLS "kind, a, b, hwm"

/* For each kind: all rows in key order; rows after a key; rows after N. */
#define SCAN(cols, table, keys, after)					\
	"SELECT " cols " FROM " table " ORDER BY " keys,		\
	"SELECT " cols " FROM " table " WHERE " after " ORDER BY " keys,\
	"SELECT " cols " FROM " table " ORDER BY " keys " LIMIT -1 OFFSET ?1"

enum stmt_id {
	S_BEGIN, S_BEGIN_READ, S_COMMIT, S_ROLLBACK,
	S_EP_PUT, S_EP_DEL, S_DEV_PUT, S_DEV_DEL, S_GRP_PUT, S_GRP_DEL,
	S_MEM_PUT, S_MEM_DEL, S_SUB_ADD, S_SUB_DEL, S_SEQ_PUT, S_SEQ_ALL,
	S_SP, S_SP_RELEASE, S_MEM_GET, S_LOG_PUT, S_LOG_DEL,
	S_LOG_GRP_DEL, S_LOG_CHUNK, S_LOG_TRIM, S_LOG_COUNT,
	/* Three per record kind, in enum mr_record_kind order. */
	S_SCAN,
	S_MAX = S_SCAN + 3 * (MR_REC_KIND_MAX - 1)
};

enum { SCAN_ALL, SCAN_AFTER, SCAN_SKIP };

static const char *const stmt_sql[S_MAX] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_BEGIN_READ] = "BEGIN DEFERRED",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_EP_PUT] = "INSERT INTO endpoint (" EP_COLS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		"ON CONFLICT (name) DO UPDATE SET id = excluded.id, "
		"ip_version = excluded.ip_version, addr = excluded.addr, "
		"udp_port = excluded.udp_port, vlan = excluded.vlan, "
		"port_id = excluded.port_id, mac = excluded.mac",
	[S_EP_DEL] = "DELETE FROM endpoint WHERE name = ?1",
	[S_DEV_PUT] = "INSERT INTO device (" DEV_COLS ") VALUES (?1, ?2, ?3) "
		"ON CONFLICT (user, device) DO UPDATE "
		"SET endpoint = excluded.endpoint",
	[S_DEV_DEL] = "DELETE FROM device WHERE user = ?1 AND device = ?2",
	[S_GRP_PUT] = "INSERT INTO grp (" GRP_COLS ") VALUES (?1, ?2, ?3) "
		"ON CONFLICT (id) DO UPDATE SET policy = excluded.policy, "
		"max_members = excluded.max_members",
	[S_GRP_DEL] = "DELETE FROM grp WHERE id = ?1",
	[S_MEM_PUT] = "INSERT INTO member (" MEM_COLS ") VALUES (?1, ?2, ?3) "
		"ON CONFLICT (grp, user) DO UPDATE SET role = excluded.role",
	[S_MEM_DEL] = "DELETE FROM member WHERE grp = ?1 AND user = ?2",
	[S_SUB_ADD] = "INSERT INTO sub (" SUB_COLS ") VALUES (?1, ?2, ?3) "
		"ON CONFLICT DO NOTHING",
	[S_SUB_DEL] = "DELETE FROM sub "
		"WHERE pattern = ?1 AND user = ?2 AND device = ?3",
	[S_SEQ_PUT] = "INSERT INTO seq (" SEQ_COLS ") VALUES (?1, ?2, ?3, ?4) "
		"ON CONFLICT (kind, a, b) DO UPDATE "
		"SET hwm = max(hwm, excluded.hwm)",
	[S_SEQ_ALL] = "SELECT " SEQ_COLS " FROM seq ORDER BY kind, a, b",
	/* One write that must succeed or fail whole, in or out of a txn. */
	[S_SP] = "SAVEPOINT mr_write",
	[S_SP_RELEASE] = "RELEASE mr_write",
	[S_MEM_GET] = "SELECT 1 FROM member WHERE grp = ?1 AND user = ?2",
	[S_LOG_PUT] = "INSERT INTO member_log (" MEM_COLS ") "
		"SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM grp WHERE id = ?1)",
	[S_LOG_DEL] = "INSERT INTO member_log (" MEM_COLS ") "
		"VALUES (?1, ?2, NULL)",
	/* A scan of the log: see mr_store_group_del(). */
	[S_LOG_GRP_DEL] = "DELETE FROM member_log WHERE grp = ?1",
	[S_LOG_CHUNK] = "SELECT seq, " MEM_COLS " FROM member_log "
		"ORDER BY seq LIMIT ?1",
	[S_LOG_TRIM] = "DELETE FROM member_log WHERE seq <= ?1",
	[S_LOG_COUNT] = "SELECT count(*) FROM member_log",
	SCAN(EP_COLS, "endpoint", "name", "name > ?1"),
	SCAN(DEV_COLS, "device", "user, device", "(user, device) > (?1, ?2)"),
	SCAN(GRP_COLS, "grp", "id", "id > ?1"),
	SCAN(MEM_COLS, "member", "grp, user", "(grp, user) > (?1, ?2)"),
	SCAN(SUB_COLS, "sub", "pattern, user, device",
	     "(pattern, user, device) > (?1, ?2, ?3)"),
};

union rec {
	struct mr_api_endpoint ep;
	struct mr_api_device dev;
	struct mr_api_group grp;
	struct mr_api_member mem;
	struct mr_api_sub sub;
};

/* Where the page that ended at cursor stopped: resume after rec's key. */
struct export_slot {
	uint64_t cursor;	/* 0: empty (ordinal 0 needs no key) */
	union rec last;
};

/*
 * The latest change of a (grp, user) that has rows in member_log; also a
 * row of the log during compaction.
 */
struct pend {
	uint64_t grp;
	uint64_t user;
	int64_t seq;		/* its row in member_log */
	int16_t role;		/* enum mr_member_role, or PEND_DEL */
	uint8_t used;		/* hash table slot in use */
};

/* How to undo one change of struct pend: the slot as it was. */
struct undo {
	uint64_t grp;
	uint64_t user;
	struct pend old;	/* old.used == 0: the key was absent */
};

struct mr_store {
	sqlite3 *db;
	int lock_fd;
	int opened;		/* mr_store_open() succeeded */
	int failed;		/* an I/O error in a write: refuse writes */
	char dir[PATH_MAX];
	char path[PATH_MAX];	/* dir/state.db */
	char errmsg[512];
	sqlite3_stmt *stmt[S_MAX];
	struct export_slot slot[EXPORT_SLOTS];
	unsigned int next_slot;
	/* The member log in memory (top of this file). */
	struct pend *pend;	/* linear probing, pend_mask + 1 slots or NULL */
	size_t pend_mask;
	size_t pend_n;		/* keys in pend */
	struct pend *sorted;	/* the keys in (grp, user) order, */
	size_t sorted_n, sorted_cap;
	int sorted_ok;		/* valid while 1 */
	uint64_t log_rows;	/* rows in member_log */
	/* Between mr_store_begin() and its commit or rollback. */
	int in_txn;
	uint64_t txn_log_rows;	/* log_rows at begin */
	struct undo *undo;	/* the transaction's changes to pend */
	size_t undo_n, undo_cap;
};

static int compact_open(struct mr_store *st);

static inline int64_t
enc64(uint64_t v)
{
	return (int64_t)(v ^ (UINT64_C(1) << 63));
}

static inline uint64_t
dec64(int64_t v)
{
	return (uint64_t)v ^ (UINT64_C(1) << 63);
}

static int __attribute__((format(printf, 3, 4)))
seterr(struct mr_store *st, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	return rc;
}

const char *
mr_store_errmsg(const struct mr_store *st)
{
	return st->errmsg;
}

/* -errno for an SQLite result code (extended codes are on). */
static int
errno_of(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	}
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	case SQLITE_TOOBIG:
		return -E2BIG;
	}
	return -EIO;
}

/* Record an SQLite failure of `what`; returns its -errno. */
static int
sqerr(struct mr_store *st, int rc, const char *what)
{
	if ((rc & 0xff) == SQLITE_IOERR)
		st->failed = 1;
	return seterr(st, errno_of(rc), "%s: %s: %s", st->path, what,
		      sqlite3_errmsg(st->db));
}

static sqlite3_stmt *
stmt(struct mr_store *st, enum stmt_id id)
{
	int rc;

	if (st->stmt[id] != NULL)
		return st->stmt[id];
	rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
				SQLITE_PREPARE_PERSISTENT, &st->stmt[id], NULL);
	if (rc != SQLITE_OK) {
		sqerr(st, rc, "preparing a statement");
		st->stmt[id] = NULL;
	}
	return st->stmt[id];
}

/* Step a statement that returns no row, then reset it. */
static int
run(struct mr_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	return sqerr(st, rc, what);
}

static int
exec_id(struct mr_store *st, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = stmt(st, id);

	if (s == NULL)
		return -EIO;
	return run(st, s, what);
}

/* The member log in memory: struct pend by (grp, user). */

static uint64_t
pend_hash(uint64_t grp, uint64_t user)
{
	uint64_t x = grp * UINT64_C(0x9e3779b97f4a7c15) ^ user;

	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}

/* The slot of (grp, user), or the free slot where it would go. */
static size_t
pend_slot(const struct mr_store *st, uint64_t grp, uint64_t user)
{
	size_t i = (size_t)pend_hash(grp, user) & st->pend_mask;

	while (st->pend[i].used &&
	       (st->pend[i].grp != grp || st->pend[i].user != user))
		i = (i + 1) & st->pend_mask;
	return i;
}

static struct pend *
pend_find(const struct mr_store *st, uint64_t grp, uint64_t user)
{
	struct pend *p;

	if (st->pend == NULL)
		return NULL;
	p = &st->pend[pend_slot(st, grp, user)];
	return p->used ? p : NULL;
}

/*
 * Room for `keys` more keys and, inside a transaction, `undo` more undo
 * records: called before the SQL statement, so that once the statement
 * has succeeded, recording it cannot fail. Returns 0 or -ENOMEM.
 */
static int
pend_reserve(struct mr_store *st, size_t keys, size_t undo)
{
	size_t slots = st->pend != NULL ? st->pend_mask + 1 : 0, want, i;
	struct pend *old = st->pend;
	struct undo *u;

	if ((st->pend_n + keys) * 10 > slots * 7) {
		want = slots > 0 ? 2 * slots : PEND_MIN_SLOTS;
		while ((st->pend_n + keys) * 10 > want * 7)
			want *= 2;
		st->pend = calloc(want, sizeof(*st->pend));
		if (st->pend == NULL) {
			st->pend = old;
			return seterr(st, -ENOMEM, "member log: out of memory");
		}
		st->pend_mask = want - 1;
		for (i = 0; i < slots; i++)
			if (old[i].used)
				st->pend[pend_slot(st, old[i].grp,
						   old[i].user)] = old[i];
		free(old);
	}
	if (st->in_txn && st->undo_n + undo > st->undo_cap) {
		want = st->undo_cap > 0 ? 2 * st->undo_cap : 4096;
		while (want < st->undo_n + undo)
			want *= 2;
		u = realloc(st->undo, want * sizeof(*u));
		if (u == NULL)
			return seterr(st, -ENOMEM, "member log: out of memory");
		st->undo = u;
		st->undo_cap = want;
	}
	return 0;
}

static void
pend_journal(struct mr_store *st, uint64_t grp, uint64_t user,
	     const struct pend *old)
{
	struct undo *u;

	if (!st->in_txn)
		return;
	u = &st->undo[st->undo_n++];
	u->grp = grp;
	u->user = user;
	u->old = *old;
}

/* Free slot i, moving up the entries that probed past it. */
static void
pend_erase(struct mr_store *st, size_t i)
{
	size_t j = i, k;

	for (;;) {
		j = (j + 1) & st->pend_mask;
		if (!st->pend[j].used)
			break;
		k = (size_t)pend_hash(st->pend[j].grp, st->pend[j].user) &
		    st->pend_mask;
		/* Entry j may fill slot i unless its home lies in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			st->pend[i] = st->pend[j];
			i = j;
		}
	}
	st->pend[i].used = 0;
	st->pend_n--;
	st->sorted_ok = 0;
}

/* Record the latest change of (grp, user): after pend_reserve(). */
static void
pend_set(struct mr_store *st, uint64_t grp, uint64_t user, int64_t seq,
	 int role)
{
	struct pend *p = &st->pend[pend_slot(st, grp, user)];

	pend_journal(st, grp, user, p);
	if (!p->used)
		st->pend_n++;
	p->grp = grp;
	p->user = user;
	p->seq = seq;
	p->role = (int16_t)role;
	p->used = 1;
	st->sorted_ok = 0;
}

/* Forget (grp, user) if its latest change is at or before seq `upto`. */
static void
pend_forget(struct mr_store *st, uint64_t grp, uint64_t user, int64_t upto)
{
	size_t i;

	if (st->pend == NULL)
		return;
	i = pend_slot(st, grp, user);
	if (!st->pend[i].used || st->pend[i].seq > upto)
		return;
	pend_journal(st, grp, user, &st->pend[i]);
	pend_erase(st, i);
}

/* The users of group grp in pend, into a malloc'd *users (NULL if none). */
static int
pend_group(struct mr_store *st, uint64_t grp, uint64_t **users, size_t *n)
{
	size_t i, cap = 0;
	uint64_t *u;

	*users = NULL;
	*n = 0;
	for (i = 0; st->pend != NULL && i <= st->pend_mask; i++) {
		if (!st->pend[i].used || st->pend[i].grp != grp)
			continue;
		if (*n == cap) {
			cap = cap > 0 ? 2 * cap : 64;
			u = realloc(*users, cap * sizeof(*u));
			if (u == NULL) {
				free(*users);
				*users = NULL;
				return seterr(st, -ENOMEM, "group del: out of "
					      "memory");
			}
			*users = u;
		}
		(*users)[(*n)++] = st->pend[i].user;
	}
	return 0;
}

/* Give the memory back once the log is empty. */
static void
pend_shrink(struct mr_store *st)
{
	if (st->pend_n > 0)
		return;
	free(st->pend);
	free(st->sorted);
	st->pend = st->sorted = NULL;
	st->pend_mask = 0;
	st->sorted_n = st->sorted_cap = 0;
	st->sorted_ok = 0;
}

static int
key_cmp(uint64_t g1, uint64_t u1, uint64_t g2, uint64_t u2)
{
	if (g1 != g2)
		return g1 < g2 ? -1 : 1;
	return u1 < u2 ? -1 : u1 > u2;
}

static int
pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	int c = key_cmp(x->grp, x->user, y->grp, y->user);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* st->sorted: the keys of pend in (grp, user) order. Returns 0 or -ENOMEM. */
static int
pend_sorted(struct mr_store *st)
{
	struct pend *p;
	size_t i, n = 0;

	if (st->sorted_ok)
		return 0;
	if (st->pend_n > st->sorted_cap) {
		p = realloc(st->sorted, st->pend_n * sizeof(*p));
		if (p == NULL)
			return seterr(st, -ENOMEM, "member log: out of memory");
		st->sorted = p;
		st->sorted_cap = st->pend_n;
	}
	for (i = 0; st->pend != NULL && i <= st->pend_mask; i++)
		if (st->pend[i].used)
			st->sorted[n++] = st->pend[i];
	qsort(st->sorted, n, sizeof(*st->sorted), pend_cmp);
	st->sorted_n = n;
	st->sorted_ok = 1;
	return 0;
}

/* Transactions: undo the changes to pend of one that rolled back. */

static void
txn_end(struct mr_store *st)
{
	st->in_txn = 0;
	st->undo_n = 0;
	if (st->undo_cap > 65536) {
		free(st->undo);
		st->undo = NULL;
		st->undo_cap = 0;
	}
}

static void
txn_undo(struct mr_store *st)
{
	struct undo *u;
	size_t i;

	while (st->undo_n > 0) {
		u = &st->undo[--st->undo_n];
		i = pend_slot(st, u->grp, u->user);
		if (u->old.used) {
			if (!st->pend[i].used)
				st->pend_n++;
			st->pend[i] = u->old;
		} else if (st->pend[i].used) {
			pend_erase(st, i);
		}
	}
	st->log_rows = st->txn_log_rows;
	st->sorted_ok = 0;
	txn_end(st);
}

/*
 * sqlite3_rollback_hook(): every rollback of a transaction, whether asked
 * for or made by SQLite after an error. Rollbacks outside mr_store_begin()
 * (a failed autocommit write, a read snapshot, a compaction) have nothing
 * to undo: pend changes only after their statement succeeded.
 */
static void
on_rollback(void *arg)
{
	struct mr_store *st = arg;

	if (st->in_txn)
		txn_undo(st);
}

/*
 * First column of the first row of sql, as text, into out (may be NULL).
 * Returns the SQLite code (SQLITE_OK when there was a row or none).
 */
static int
query_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *s;
	int rc;

	if (out != NULL && size > 0)
		out[0] = '\0';
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (out != NULL && size > 0 &&
		    sqlite3_column_text(s, 0) != NULL)
			snprintf(out, size, "%s", sqlite3_column_text(s, 0));
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
sync_dir(const char *dir)
{
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int
make_dir(struct mr_store *st)
{
	char parent[PATH_MAX];
	struct stat sb;

	if (mkdir(st->dir, 0750) == 0) {
		/* Make the new directory entry itself durable. */
		snprintf(parent, sizeof(parent), "%s", st->dir);
		sync_dir(dirname(parent));
		return 0;
	}
	if (errno != EEXIST)
		return seterr(st, -errno, "%s: cannot create the state "
			      "directory: %s", st->dir, strerror(errno));
	if (stat(st->dir, &sb) < 0)
		return seterr(st, -errno, "%s: %s", st->dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return seterr(st, -ENOTDIR, "%s: exists and is not a directory",
			      st->dir);
	return 0;
}

static int
take_lock(struct mr_store *st)
{
	char path[PATH_MAX + 32], pid[32];
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), "%s/%s", st->dir, MR_STORE_LOCK_NAME);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return seterr(st, -errno, "%s: cannot open the lock file: %s",
			      path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		if (e == EWOULDBLOCK) {
			n = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			close(fd);
			return seterr(st, -EBUSY, "%s: state directory is in "
				      "use by another mrelayd (pid %s holds "
				      "%s); stop it, or give this one another "
				      "state directory", st->dir,
				      pid[0] != '\0' ? pid : "?", path);
		}
		close(fd);
		return seterr(st, -e, "%s: cannot lock: %s", path, strerror(e));
	}
	/* Informational: who holds it. Failing to write it is harmless. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0)
		(void)0;
	st->lock_fd = fd;
	return 0;
}

static void
unlink_db(const char *path)
{
	static const char *const sfx[] = {"", "-journal", "-wal", "-shm"};
	char p[PATH_MAX + 16];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

/* Run migrations from version `from` to the current one, in one txn. */
static int
migrate(sqlite3 *db, int from)
{
	char sql[128];
	int rc, v;

	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (v = from; rc == SQLITE_OK && v < MR_STORE_SCHEMA_VERSION; v++)
		rc = migrations[v](db);
	if (rc == SQLITE_OK) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; "
			 "PRAGMA application_id = %d", MR_STORE_SCHEMA_VERSION,
			 APP_ID);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Build a new, empty state database as path.new, make it durable, and
 * rename it to path. A crash at any point leaves either no state.db or a
 * complete one (a stale state.db.new is removed at the next open).
 */
static int
create_db(struct mr_store *st)
{
	char tmp[PATH_MAX + 8], mode[16];
	sqlite3 *db = NULL;
	int rc, fd;

	snprintf(tmp, sizeof(tmp), "%s.new", st->path);
	rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL,
				  NULL);
	/* Before the first table, or never (top of this file). */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", NULL,
				  NULL, NULL);
	if (rc == SQLITE_OK)
		rc = migrate(db, 0);
	if (rc == SQLITE_OK)
		rc = query_text(db, "PRAGMA journal_mode = WAL", mode,
				sizeof(mode));
	if (rc != SQLITE_OK) {
		seterr(st, errno_of(rc), "%s: cannot create the state database: "
		       "%s", tmp, db != NULL ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		unlink_db(tmp);
		return errno_of(rc);
	}
	/* Closing the last connection checkpoints and removes the WAL. */
	rc = sqlite3_close(db);
	if (rc != SQLITE_OK)
		return seterr(st, -EIO, "%s: cannot close: %s", tmp,
			      sqlite3_errstr(rc));
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0640) < 0 || fsync(fd) < 0) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		unlink_db(tmp);
		return seterr(st, rc, "%s: %s", tmp, strerror(-rc));
	}
	close(fd);
	if (rename(tmp, st->path) < 0) {
		rc = -errno;
		unlink_db(tmp);
		return seterr(st, rc, "%s: cannot rename to %s: %s", tmp,
			      st->path, strerror(-rc));
	}
	rc = sync_dir(st->dir);
	if (rc < 0)
		return seterr(st, rc, "%s: cannot sync: %s", st->dir,
			      strerror(-rc));
	return 0;
}

/* An error while reading an existing state.db: what it means, what to do. */
static int
open_failed(struct mr_store *st, int rc, const char *what)
{
	const char *msg = st->db != NULL ? sqlite3_errmsg(st->db) :
					   sqlite3_errstr(rc);
	int sys;

	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return seterr(st, -EUCLEAN, "%s: the state database is "
			      "corrupt or not a database (%s: %s); " ADVICE,
			      st->path, what, msg);
	case SQLITE_FULL:
		return seterr(st, -ENOSPC, "%s: %s: %s; free some space on "
			      "its file system", st->path, what, msg);
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_READONLY:
		sys = st->db != NULL ? sqlite3_system_errno(st->db) : 0;
		return seterr(st, sys > 0 ? -sys : -EACCES,
			      "%s: cannot open the state "
			      "database for writing (%s: %s); check its owner, "
			      "mode and file system", st->path, what, msg);
	}
	return seterr(st, errno_of(rc), "%s: cannot read the state database "
		      "(%s: %s); check the disk, then " ADVICE, st->path, what,
		      msg);
}

/* Per-connection settings; see the top of this file. */
static int
configure(struct mr_store *st)
{
	static const char *const pragmas[] = {
		"PRAGMA synchronous = FULL",
		"PRAGMA foreign_keys = ON",
		"PRAGMA cell_size_check = ON",
		"PRAGMA trusted_schema = OFF",
		"PRAGMA cache_size = -" STR(CACHE_KIB),
		"PRAGMA journal_size_limit = " STR(WAL_KEEP),
	};
	char mode[16], fk[8];
	size_t i;
	int rc;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_MS);
	sqlite3_rollback_hook(st->db, on_rollback, st);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* The first statement to read the file: garbage fails here. */
	rc = query_text(st->db, "PRAGMA journal_mode = WAL", mode,
			sizeof(mode));
	if (rc != SQLITE_OK)
		return open_failed(st, rc, "reading the header");
	if (strcmp(mode, "wal") != 0)
		return seterr(st, -ENOTSUP, "%s: cannot use WAL mode (journal "
			      "mode stays \"%s\"); put the state directory on "
			      "a local file system", st->path, mode);
	for (i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
		rc = sqlite3_exec(st->db, pragmas[i], NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return open_failed(st, rc, pragmas[i]);
	}
	rc = query_text(st->db, "PRAGMA foreign_keys", fk, sizeof(fk));
	if (rc != SQLITE_OK || strcmp(fk, "1") != 0)
		return seterr(st, -ENOTSUP, "%s: this SQLite has no foreign "
			      "key support", st->path);
	return 0;
}

/* Is this our database, of a version we know, and whole? Then migrate. */
static int
verify(struct mr_store *st)
{
	char txt[256];
	long app, ver;
	size_t i;
	int rc;

	rc = query_text(st->db, "PRAGMA application_id", txt, sizeof(txt));
	if (rc != SQLITE_OK)
		return open_failed(st, rc, "reading the header");
	app = strtol(txt, NULL, 10);
	rc = query_text(st->db, "PRAGMA user_version", txt, sizeof(txt));
	if (rc != SQLITE_OK)
		return open_failed(st, rc, "reading the header");
	ver = strtol(txt, NULL, 10);
	if (app != APP_ID || ver <= 0)
		return seterr(st, -EUCLEAN, "%s: an SQLite database, but not "
			      "an mrelay state database (application_id %ld, "
			      "user_version %ld); " ADVICE, st->path, app, ver);
	if (ver > MR_STORE_SCHEMA_VERSION)
		return seterr(st, -ENOTSUP, "%s: schema version %ld was "
			      "written by a newer mrelayd (this one knows up to "
			      "%d); run that newer mrelayd, or restore a backup "
			      "made by this version", st->path, ver,
			      MR_STORE_SCHEMA_VERSION);
	/* Reads every page (O(file size)), not the cross-index checks. */
	rc = query_text(st->db, "PRAGMA quick_check", txt, sizeof(txt));
	if (rc != SQLITE_OK)
		return open_failed(st, rc, "integrity check");
	if (strcmp(txt, "ok") != 0) {
		for (i = 0; txt[i] != '\0'; i++)
			if (txt[i] == '\n')
				txt[i] = ' ';
		return seterr(st, -EUCLEAN, "%s: the state database is "
			      "corrupt (integrity check: %s); " ADVICE,
			      st->path, txt);
	}
	if (ver < MR_STORE_SCHEMA_VERSION) {
		rc = migrate(st->db, (int)ver);
		if (rc != SQLITE_OK)
			return seterr(st, errno_of(rc), "%s: migrating the "
				      "schema from version %ld to %d failed "
				      "(%s); the file is unchanged", st->path,
				      ver, MR_STORE_SCHEMA_VERSION,
				      sqlite3_errmsg(st->db));
	}
	return 0;
}

static int
open_db(struct mr_store *st)
{
	char wal[PATH_MAX + 8], tmp[PATH_MAX + 8];
	struct stat sb;
	int rc;

	/* A first start that crashed before its rename: nothing to keep. */
	snprintf(tmp, sizeof(tmp), "%s.new", st->path);
	unlink_db(tmp);

	if (stat(st->path, &sb) < 0) {
		if (errno != ENOENT)
			return seterr(st, -errno, "%s: %s", st->path,
				      strerror(errno));
		snprintf(wal, sizeof(wal), "%s-wal", st->path);
		if (access(wal, F_OK) == 0)
			return seterr(st, -EUCLEAN, "%s: missing, but %s is "
				      "there: the state was moved or deleted "
				      "without its write-ahead log; put it "
				      "back, or move %s away too to start with "
				      "an empty state", st->path, wal, wal);
		rc = create_db(st);
		if (rc < 0)
			return rc;
	} else if (!S_ISREG(sb.st_mode)) {
		return seterr(st, -EUCLEAN, "%s: not a regular file; " ADVICE,
			      st->path);
	} else if (sb.st_size == 0) {
		return seterr(st, -EUCLEAN, "%s: the state database is empty "
			      "(0 bytes), which mrelayd never writes: it was "
			      "truncated or lost by the file system; " ADVICE,
			      st->path);
	}
	/* No SQLITE_OPEN_CREATE: if it vanished meanwhile, fail. */
	rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return open_failed(st, rc, "opening");
	rc = configure(st);
	if (rc == 0)
		rc = verify(st);
	if (rc == 0)
		rc = compact_open(st);
	return rc;
}

struct mr_store *
mr_store_open(const char *dir, char *err, size_t errlen)
{
	struct mr_store *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "%s: out of memory", dir);
		errno = ENOMEM;
		return NULL;
	}
	st->lock_fd = -1;
	/* STRICT tables: an older SQLite would call the schema malformed. */
	if (sqlite3_libversion_number() < 3037000) {
		snprintf(err, errlen, "SQLite %s is too old: mrelayd needs "
			 "3.37 or later", sqlite3_libversion());
		free(st);
		errno = ENOTSUP;
		return NULL;
	}
	if (dir == NULL || dir[0] == '\0' ||
	    (size_t)snprintf(st->dir, sizeof(st->dir), "%s", dir) >=
	    sizeof(st->dir) ||
	    (size_t)snprintf(st->path, sizeof(st->path), "%s/%s", dir,
			     MR_STORE_DB_NAME) >= sizeof(st->path)) {
		snprintf(err, errlen, "state directory name empty or too "
			 "long");
		free(st);
		errno = ENAMETOOLONG;
		return NULL;
	}
	rc = make_dir(st);
	if (rc == 0)
		rc = take_lock(st);
	if (rc == 0)
		rc = open_db(st);
	if (rc < 0) {
		snprintf(err, errlen, "%s", st->errmsg);
		mr_store_close(st);
		errno = -rc;
		return NULL;
	}
	st->errmsg[0] = '\0';
	st->opened = 1;
	return st;
}

void
mr_store_close(struct mr_store *st)
{
	int i;

	if (st == NULL)
		return;
	if (st->db != NULL && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	/* Best effort: a file with free pages is whole all the same. Not
	 * after a failed open: that file is left as it was. */
	if (st->opened && !st->failed)
		sqlite3_exec(st->db, "PRAGMA incremental_vacuum", NULL, NULL,
			     NULL);
	for (i = 0; i < S_MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->pend);
	free(st->sorted);
	free(st->undo);
	free(st);
}

static int
writable(struct mr_store *st)
{
	if (st->failed)
		return seterr(st, -EIO, "%s: an earlier write failed with an "
			      "I/O error; restart mrelayd", st->path);
	return 0;
}

int
mr_store_begin(struct mr_store *st)
{
	int rc = writable(st);

	if (rc < 0)
		return rc;
	if (!sqlite3_get_autocommit(st->db))
		return seterr(st, -EALREADY, "a transaction is already open");
	rc = exec_id(st, S_BEGIN, "begin");
	if (rc == 0) {
		st->in_txn = 1;
		st->txn_log_rows = st->log_rows;
		st->undo_n = 0;
	}
	return rc;
}

/* The transaction is over without a commit: pend as it was at begin. */
static void
txn_gone(struct mr_store *st)
{
	if (st->in_txn && sqlite3_get_autocommit(st->db))
		txn_undo(st);	/* if the rollback hook has not already */
}

int
mr_store_commit(struct mr_store *st)
{
	int rc;

	if (sqlite3_get_autocommit(st->db))
		return seterr(st, -EINVAL, "commit: no transaction is open");
	rc = writable(st);
	if (rc == 0)
		rc = exec_id(st, S_COMMIT, "commit");
	if (rc == 0) {
		txn_end(st);
		return 0;
	}
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	txn_gone(st);
	return rc;
}

int
mr_store_rollback(struct mr_store *st)
{
	int rc;

	if (sqlite3_get_autocommit(st->db)) {
		txn_gone(st);
		return 0;
	}
	rc = exec_id(st, S_ROLLBACK, "rollback");
	txn_gone(st);
	return rc;
}

/* Common start of every write: store usable, record valid, statement. */
static sqlite3_stmt *
write_stmt(struct mr_store *st, int kind, const void *rec, enum stmt_id id,
	   int *rc)
{
	char why[256];

	*rc = writable(st);
	if (*rc < 0)
		return NULL;
	if (rec != NULL && mr_record_check(kind, rec, why, sizeof(why)) < 0) {
		*rc = seterr(st, -EINVAL, "%s", why);
		return NULL;
	}
	if (stmt(st, id) == NULL)
		*rc = -EIO;
	return st->stmt[id];
}

/* Run a put; a foreign key failure means the parent is missing. */
static int
put(struct mr_store *st, sqlite3_stmt *s, const char *what,
    const char *parent)
{
	int rc = run(st, s, what);

	if (rc == -ENOENT)
		seterr(st, rc, "%s: %s does not exist", what, parent);
	return rc;
}

/* Run a del: -ENOENT if no row; a foreign key failure means in use. */
static int
del(struct mr_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = run(st, s, what);

	if (rc == -ENOENT)
		return seterr(st, -EBUSY, "%s: still in use", what);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		return seterr(st, -ENOENT, "%s: no such record", what);
	return rc;
}

int
mr_store_endpoint_put(struct mr_store *st, const struct mr_api_endpoint *ep)
{
	sqlite3_stmt *s;
	int rc;

	s = write_stmt(st, MR_REC_ENDPOINT, ep, S_EP_PUT, &rc);
	if (s == NULL)
		return rc;
	sqlite3_bind_text(s, 1, ep->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, ep->id);
	sqlite3_bind_int(s, 3, ep->ip_version);
	sqlite3_bind_blob(s, 4, ep->addr, sizeof(ep->addr), SQLITE_STATIC);
	sqlite3_bind_int(s, 5, ep->udp_port);
	sqlite3_bind_int(s, 6, ep->vlan);
	sqlite3_bind_int(s, 7, ep->port_id);
	if (ep->has_mac)
		sqlite3_bind_blob(s, 8, ep->mac, sizeof(ep->mac),
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 8);
	return run(st, s, "endpoint put");
}

int
mr_store_endpoint_del(struct mr_store *st, const char *name)
{
	sqlite3_stmt *s;
	int rc;

	s = write_stmt(st, 0, NULL, S_EP_DEL, &rc);
	if (s == NULL)
		return rc;
	if (name == NULL || !mr_name_valid(name, MR_NAME_MAX))
		return seterr(st, -EINVAL, "endpoint del: bad name");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return del(st, s, "endpoint del");
}

int
mr_store_device_put(struct mr_store *st, const struct mr_api_device *dev)
{
	sqlite3_stmt *s;
	int rc;

	s = write_stmt(st, MR_REC_DEVICE, dev, S_DEV_PUT, &rc);
	if (s == NULL)
		return rc;
	sqlite3_bind_int64(s, 1, enc64(dev->user));
	sqlite3_bind_int64(s, 2, dev->device);
	sqlite3_bind_text(s, 3, dev->endpoint, -1, SQLITE_STATIC);
	return put(st, s, "device put", "the endpoint");
}

int
mr_store_device_del(struct mr_store *st, uint64_t user, uint32_t device)
{
	sqlite3_stmt *s;
	int rc;

	s = write_stmt(st, 0, NULL, S_DEV_DEL, &rc);
	if (s == NULL)
		return rc;
	sqlite3_bind_int64(s, 1, enc64(user));
	sqlite3_bind_int64(s, 2, device);
	return del(st, s, "device del");
}

int
mr_store_group_put(struct mr_store *st, const struct mr_api_group *grp)
{
	sqlite3_stmt *s;
	int rc;

	s = write_stmt(st, MR_REC_GROUP, grp, S_GRP_PUT, &rc);
	if (s == NULL)
		return rc;
	sqlite3_bind_int64(s, 1, enc64(grp->id));
	sqlite3_bind_int(s, 2, grp->policy);
	sqlite3_bind_int64(s, 3, grp->max_members);
	return run(st, s, "group put");
}

/*
 * End the savepoint of one write made of several statements: keep it
 * (rc 0) or undo just it. Outside a transaction the savepoint was the
 * transaction, and its release the (durable) commit. Returns rc, or the
 * release's error.
 */
static int
write_end(struct mr_store *st, int rc)
{
	if (rc == 0) {
		rc = exec_id(st, S_SP_RELEASE, "commit");
		if (rc == 0)
			return 0;
	}
	if (sqlite3_get_autocommit(st->db))
		return rc;	/* SQLite rolled it back already */
	if (st->in_txn)
		sqlite3_exec(st->db, "ROLLBACK TO mr_write; RELEASE mr_write",
			     NULL, NULL, NULL);
	else
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * The members of the group go with it: those in member by the foreign
 * key's cascade, those in member_log by a scan of the log (it has no index
 * on grp), made only when pend says the group has rows there.
 */
int
mr_store_group_del(struct mr_store *st, uint64_t id)
{
	sqlite3_stmt *s, *ls = NULL;
	uint64_t *users;
	size_t n, i;
	int rc, dropped = 0;

	s = write_stmt(st, 0, NULL, S_GRP_DEL, &rc);
	if (s == NULL)
		return rc;
	rc = pend_group(st, id, &users, &n);
	if (rc == 0)
		rc = pend_reserve(st, 0, n);
	if (rc == 0 && n > 0 && (ls = stmt(st, S_LOG_GRP_DEL)) == NULL)
		rc = -EIO;
	if (rc == 0)
		rc = exec_id(st, S_SP, "group del");
	if (rc < 0) {
		free(users);
		return rc;
	}
	sqlite3_bind_int64(s, 1, enc64(id));
	rc = del(st, s, "group del");
	if (rc == 0 && ls != NULL) {
		sqlite3_bind_int64(ls, 1, enc64(id));
		rc = run(st, ls, "group del: member log");
		dropped = sqlite3_changes(st->db);
	}
	rc = write_end(st, rc);
	if (rc == 0) {
		for (i = 0; i < n; i++)
			pend_forget(st, id, users[i], INT64_MAX);
		st->log_rows -= (uint64_t)dropped;
	}
	free(users);
	return rc;
}

/* One row of member_log for (grp, user); role PEND_DEL for a delete. */
static int
log_append(struct mr_store *st, sqlite3_stmt *s, uint64_t grp,
	   uint64_t user, int role, const char *what)
{
	int rc;

	sqlite3_bind_int64(s, 1, enc64(grp));
	sqlite3_bind_int64(s, 2, enc64(user));
	if (role != PEND_DEL)
		sqlite3_bind_int(s, 3, role);
	rc = run(st, s, what);
	if (rc < 0)
		return rc;
	if (sqlite3_changes(st->db) == 0)
		return seterr(st, -ENOENT, "%s: the group does not exist",
			      what);
	pend_set(st, grp, user, sqlite3_last_insert_rowid(st->db), role);
	st->log_rows++;
	return 0;
}

int
mr_store_member_put(struct mr_store *st, const struct mr_api_member *mem)
{
	sqlite3_stmt *s;
	int rc;

	s = write_stmt(st, MR_REC_MEMBER, mem, S_LOG_PUT, &rc);
	if (s == NULL)
		return rc;
	rc = pend_reserve(st, 1, 1);
	if (rc < 0)
		return rc;
	return log_append(st, s, mem->group, mem->user, mem->role,
			  "member put");
}

/* Is (grp, user) in the member table? 1, 0 or -errno. */
static int
member_in_table(struct mr_store *st, uint64_t grp, uint64_t user)
{
	sqlite3_stmt *s = stmt(st, S_MEM_GET);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, enc64(grp));
	sqlite3_bind_int64(s, 2, enc64(user));
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sqerr(st, rc, "member del");
}

int
mr_store_member_del(struct mr_store *st, uint64_t group, uint64_t user)
{
	const struct pend *p;
	sqlite3_stmt *s;
	int rc;

	s = write_stmt(st, 0, NULL, S_LOG_DEL, &rc);
	if (s == NULL)
		return rc;
	rc = pend_reserve(st, 1, 1);
	if (rc < 0)
		return rc;
	/* The log's latest change of the key decides, else the table. */
	p = pend_find(st, group, user);
	rc = p != NULL ? p->role != PEND_DEL :
			 member_in_table(st, group, user);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return seterr(st, -ENOENT, "member del: no such record");
	return log_append(st, s, group, user, PEND_DEL, "member del");
}

static sqlite3_stmt *
sub_stmt(struct mr_store *st, const struct mr_api_sub *sub, enum stmt_id id,
	 int *rc)
{
	sqlite3_stmt *s = write_stmt(st, MR_REC_SUB, sub, id, rc);

	if (s == NULL)
		return NULL;
	sqlite3_bind_text(s, 1, sub->pattern, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, enc64(sub->user));
	sqlite3_bind_int64(s, 3, sub->device);
	return s;
}

int
mr_store_sub_add(struct mr_store *st, const struct mr_api_sub *sub)
{
	sqlite3_stmt *s;
	int rc;

	s = sub_stmt(st, sub, S_SUB_ADD, &rc);
	if (s == NULL)
		return rc;
	return run(st, s, "sub add");
}

int
mr_store_sub_del(struct mr_store *st, const struct mr_api_sub *sub)
{
	sqlite3_stmt *s;
	int rc;

	s = sub_stmt(st, sub, S_SUB_DEL, &rc);
	if (s == NULL)
		return rc;
	return del(st, s, "sub del");
}

int
mr_store_seq_put(struct mr_store *st, uint32_t kind, uint64_t a, uint64_t b,
		 uint64_t hwm)
{
	sqlite3_stmt *s;
	int rc;

	s = write_stmt(st, 0, NULL, S_SEQ_PUT, &rc);
	if (s == NULL)
		return rc;
	sqlite3_bind_int64(s, 1, kind);
	sqlite3_bind_int64(s, 2, enc64(a));
	sqlite3_bind_int64(s, 3, enc64(b));
	sqlite3_bind_int64(s, 4, enc64(hwm));
	return run(st, s, "seq put");
}

/* Reading rows back: every column is checked for type and range. */

static int
col_int(sqlite3_stmt *s, int i, int64_t max, int64_t *out)
{
	int64_t v;

	if (sqlite3_column_type(s, i) != SQLITE_INTEGER)
		return -1;
	v = sqlite3_column_int64(s, i);
	if (v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
col_u64(sqlite3_stmt *s, int i, uint64_t *out)
{
	if (sqlite3_column_type(s, i) != SQLITE_INTEGER)
		return -1;
	*out = dec64(sqlite3_column_int64(s, i));
	return 0;
}

/* TEXT without NUL bytes, shorter than size. */
static int
col_text(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const unsigned char *t;
	int n;

	if (sqlite3_column_type(s, i) != SQLITE_TEXT)
		return -1;
	t = sqlite3_column_text(s, i);
	n = sqlite3_column_bytes(s, i);
	if (t == NULL || n < 0 || (size_t)n >= size || strlen((const char *)t) !=
	    (size_t)n)
		return -1;
	memcpy(dst, t, (size_t)n + 1);
	return 0;
}

static int
col_blob(sqlite3_stmt *s, int i, void *dst, int len)
{
	if (sqlite3_column_type(s, i) != SQLITE_BLOB ||
	    sqlite3_column_bytes(s, i) != len)
		return -1;
	memcpy(dst, sqlite3_column_blob(s, i), (size_t)len);
	return 0;
}

/* Decode the current row of a scan of kind into r, zeroing the rest. */
static int
decode(struct mr_store *st, sqlite3_stmt *s, int kind, union rec *r)
{
	char why[256];
	int64_t v[4] = {0};
	int bad = 0;

	memset(r, 0, sizeof(*r));
	switch (kind) {
	case MR_REC_ENDPOINT:
		bad = col_text(s, 0, r->ep.name, sizeof(r->ep.name)) < 0 ||
		      col_int(s, 1, UINT32_MAX, &v[0]) < 0 ||
		      col_int(s, 2, 6, &v[1]) < 0 ||
		      col_blob(s, 3, r->ep.addr, sizeof(r->ep.addr)) < 0 ||
		      col_int(s, 4, UINT16_MAX, &v[2]) < 0 ||
		      col_int(s, 5, 4094, &v[3]) < 0;
		if (bad)
			break;
		r->ep.id = (uint32_t)v[0];
		r->ep.ip_version = (uint8_t)v[1];
		r->ep.udp_port = (uint16_t)v[2];
		r->ep.vlan = (uint16_t)v[3];
		bad = col_int(s, 6, UINT16_MAX, &v[0]) < 0;
		r->ep.port_id = (uint16_t)v[0];
		if (sqlite3_column_type(s, 7) != SQLITE_NULL) {
			bad |= col_blob(s, 7, r->ep.mac, sizeof(r->ep.mac)) < 0;
			r->ep.has_mac = 1;
		}
		break;
	case MR_REC_DEVICE:
		bad = col_u64(s, 0, &r->dev.user) < 0 ||
		      col_int(s, 1, UINT32_MAX, &v[0]) < 0 ||
		      col_text(s, 2, r->dev.endpoint,
			       sizeof(r->dev.endpoint)) < 0;
		r->dev.device = (uint32_t)v[0];
		break;
	case MR_REC_GROUP:
		bad = col_u64(s, 0, &r->grp.id) < 0 ||
		      col_int(s, 1, UINT8_MAX, &v[0]) < 0 ||
		      col_int(s, 2, UINT32_MAX, &v[1]) < 0;
		r->grp.policy = (uint8_t)v[0];
		r->grp.max_members = (uint32_t)v[1];
		break;
	case MR_REC_MEMBER:
		bad = col_u64(s, 0, &r->mem.group) < 0 ||
		      col_u64(s, 1, &r->mem.user) < 0 ||
		      col_int(s, 2, UINT8_MAX, &v[0]) < 0;
		r->mem.role = (uint8_t)v[0];
		break;
	case MR_REC_SUB:
		bad = col_text(s, 0, r->sub.pattern,
			       sizeof(r->sub.pattern)) < 0 ||
		      col_u64(s, 1, &r->sub.user) < 0 ||
		      col_int(s, 2, UINT32_MAX, &v[0]) < 0;
		r->sub.device = (uint32_t)v[0];
		break;
	}
	if (bad)
		return seterr(st, -EUCLEAN, "%s: a %s row has a column of the "
			      "wrong type or size: the file is corrupt or was "
			      "edited; " ADVICE, st->path,
			      mr_record_kind_name(kind));
	if (mr_record_check(kind, r, why, sizeof(why)) < 0)
		return seterr(st, -EUCLEAN, "%s: invalid row (%s): the file "
			      "is corrupt or was edited; " ADVICE, st->path,
			      why);
	return 0;
}

static int
visit(const struct mr_store_visitor *v, int kind, const union rec *r,
      void *arg)
{
	switch (kind) {
	case MR_REC_ENDPOINT:
		return v->endpoint(arg, &r->ep);
	case MR_REC_DEVICE:
		return v->device(arg, &r->dev);
	case MR_REC_GROUP:
		return v->group(arg, &r->grp);
	case MR_REC_MEMBER:
		return v->member(arg, &r->mem);
	default:
		return v->sub(arg, &r->sub);
	}
}

static int
has_cb(const struct mr_store_visitor *v, int kind)
{
	switch (kind) {
	case MR_REC_ENDPOINT:
		return v->endpoint != NULL;
	case MR_REC_DEVICE:
		return v->device != NULL;
	case MR_REC_GROUP:
		return v->group != NULL;
	case MR_REC_MEMBER:
		return v->member != NULL;
	default:
		return v->sub != NULL;
	}
}

static enum stmt_id
scan_id(int kind, int how)
{
	return (enum stmt_id)(S_SCAN + 3 * (kind - 1) + how);
}

/* Bind the key of r to a SCAN_AFTER statement of kind. */
static void
bind_after(sqlite3_stmt *s, int kind, const union rec *r)
{
	switch (kind) {
	case MR_REC_ENDPOINT:
		sqlite3_bind_text(s, 1, r->ep.name, -1, SQLITE_TRANSIENT);
		break;
	case MR_REC_DEVICE:
		sqlite3_bind_int64(s, 1, enc64(r->dev.user));
		sqlite3_bind_int64(s, 2, r->dev.device);
		break;
	case MR_REC_GROUP:
		sqlite3_bind_int64(s, 1, enc64(r->grp.id));
		break;
	case MR_REC_MEMBER:
		sqlite3_bind_int64(s, 1, enc64(r->mem.group));
		sqlite3_bind_int64(s, 2, enc64(r->mem.user));
		break;
	case MR_REC_SUB:
		sqlite3_bind_text(s, 1, r->sub.pattern, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, enc64(r->sub.user));
		sqlite3_bind_int64(s, 3, r->sub.device);
		break;
	}
}

/*
 * The records of one kind in key order. For members: the rows of member
 * merged with the log's latest changes (st->sorted), a change replacing
 * the row of its key, a delete hiding it.
 */
struct scan {
	int kind;
	sqlite3_stmt *s;
	const struct pend *p, *p_end;	/* next change; end (NULL: none) */
	struct mr_api_member row;	/* next row of member, */
	int have_row;			/* when 1 */
	int table_done;			/* member has no more rows */
};

static int
scan_next_member(struct mr_store *st, struct scan *sc, union rec *r)
{
	const struct pend *p;
	int rc, c;

	for (;;) {
		if (!sc->have_row && !sc->table_done) {
			rc = sqlite3_step(sc->s);
			if (rc == SQLITE_ROW) {
				rc = decode(st, sc->s, MR_REC_MEMBER, r);
				if (rc < 0)
					return rc;
				sc->row = r->mem;
				sc->have_row = 1;
			} else if (rc == SQLITE_DONE) {
				sc->table_done = 1;
			} else {
				return sqerr(st, rc, "reading members");
			}
		}
		if (sc->p == sc->p_end) {
			if (!sc->have_row)
				return 0;
			c = -1;
		} else if (!sc->have_row) {
			c = 1;
		} else {
			c = key_cmp(sc->row.group, sc->row.user, sc->p->grp,
				    sc->p->user);
		}
		memset(r, 0, sizeof(*r));
		if (c < 0) {
			r->mem = sc->row;
			sc->have_row = 0;
			return 1;
		}
		if (c == 0)
			sc->have_row = 0;	/* the change replaces it */
		p = sc->p++;
		if (p->role == PEND_DEL)
			continue;
		r->mem.group = p->grp;
		r->mem.user = p->user;
		r->mem.role = (uint8_t)p->role;
		return 1;
	}
}

/* The next record into r: 1, 0 at the end, or -errno. */
static int
scan_next(struct mr_store *st, struct scan *sc, union rec *r)
{
	int rc;

	if (sc->kind == MR_REC_MEMBER)
		return scan_next_member(st, sc, r);
	rc = sqlite3_step(sc->s);
	if (rc == SQLITE_ROW) {
		rc = decode(st, sc->s, sc->kind, r);
		return rc < 0 ? rc : 1;
	}
	if (rc == SQLITE_DONE)
		return 0;
	return sqerr(st, rc, "reading the state");
}

static void
scan_close(struct scan *sc)
{
	if (sc->s != NULL)
		sqlite3_reset(sc->s);
	sc->s = NULL;
}

/*
 * Start a scan of kind: from the first record, after the key of `after`
 * (if not NULL), or after skipping `skip` records. A skip is done by SQL
 * (OFFSET) unless log changes are merged, then by reading the records.
 */
static int
scan_open(struct mr_store *st, struct scan *sc, int kind,
	  const union rec *after, uint64_t skip)
{
	int merge = kind == MR_REC_MEMBER && st->pend_n > 0, how, rc = 0;
	const struct pend *lo, *hi, *mid;
	union rec r;

	memset(sc, 0, sizeof(*sc));
	sc->kind = kind;
	how = after != NULL ? SCAN_AFTER :
	      skip > 0 && !merge ? SCAN_SKIP : SCAN_ALL;
	if (merge && (rc = pend_sorted(st)) < 0)
		return rc;
	sc->s = stmt(st, scan_id(kind, how));
	if (sc->s == NULL)
		return -EIO;
	if (how == SCAN_AFTER)
		bind_after(sc->s, kind, after);
	else if (how == SCAN_SKIP)
		sqlite3_bind_int64(sc->s, 1, (int64_t)skip);
	if (!merge)
		return 0;
	lo = st->sorted;
	hi = st->sorted + st->sorted_n;
	sc->p_end = hi;
	if (after != NULL) {
		/* The first change after the key. */
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (key_cmp(mid->grp, mid->user, after->mem.group,
				    after->mem.user) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	sc->p = lo;
	for (; how == SCAN_ALL && skip > 0; skip--)
		if ((rc = scan_next(st, sc, &r)) <= 0)
			break;
	if (rc < 0)
		scan_close(sc);
	return rc < 0 ? rc : 0;
}

static int
load_kind(struct mr_store *st, int kind, const struct mr_store_visitor *v,
	  void *arg)
{
	struct scan sc;
	union rec r;
	int rc;

	rc = scan_open(st, &sc, kind, NULL, 0);
	if (rc < 0)
		return rc;
	while ((rc = scan_next(st, &sc, &r)) > 0) {
		rc = visit(v, kind, &r, arg);
		if (rc < 0)
			break;
	}
	scan_close(&sc);
	return rc;
}

static int
load_seq(struct mr_store *st, const struct mr_store_visitor *v, void *arg)
{
	sqlite3_stmt *s = stmt(st, S_SEQ_ALL);
	uint64_t a, b, hwm;
	int64_t kind;
	int rc;

	if (s == NULL)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (col_int(s, 0, UINT32_MAX, &kind) < 0 ||
		    col_u64(s, 1, &a) < 0 || col_u64(s, 2, &b) < 0 ||
		    col_u64(s, 3, &hwm) < 0)
			rc = seterr(st, -EUCLEAN, "%s: a seq row has a column "
				    "of the wrong type: the file is corrupt "
				    "or was edited; " ADVICE, st->path);
		else
			rc = v->seq(arg, (uint32_t)kind, a, b, hwm);
		if (rc < 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : sqerr(st, rc, "load");
}

/* A read snapshot, unless the caller's transaction is already open. */
static int
read_begin(struct mr_store *st, int *own)
{
	*own = sqlite3_get_autocommit(st->db);
	if (!*own)
		return 0;
	return exec_id(st, S_BEGIN_READ, "begin read");
}

static void
read_end(struct mr_store *st, int own)
{
	if (own && !sqlite3_get_autocommit(st->db))
		exec_id(st, S_ROLLBACK, "end read");
}

int
mr_store_load(struct mr_store *st, const struct mr_store_visitor *v,
	      void *arg)
{
	int kind, own, rc;

	rc = read_begin(st, &own);
	for (kind = 1; rc == 0 && kind < MR_REC_KIND_MAX; kind++)
		if (has_cb(v, kind))
			rc = load_kind(st, kind, v, arg);
	if (rc == 0 && v->seq != NULL)
		rc = load_seq(st, v, arg);
	read_end(st, own);
	return rc;
}

/* Export. */

static uint64_t
cursor_of(int kind, uint64_t ord)
{
	return ((uint64_t)(kind - 1) << CURSOR_SHIFT) | ord;
}

/* Position a scan of kind at ordinal ord, by key when a slot knows it. */
static int
export_scan(struct mr_store *st, struct scan *sc, int kind, uint64_t ord)
{
	uint64_t cur = cursor_of(kind, ord);
	int i;

	if (ord == 0)
		return scan_open(st, sc, kind, NULL, 0);
	for (i = 0; i < EXPORT_SLOTS; i++)
		if (st->slot[i].cursor == cur)
			return scan_open(st, sc, kind, &st->slot[i].last, 0);
	return scan_open(st, sc, kind, NULL, ord);
}

/*
 * A slot of the same cursor is replaced, not kept beside the new one: the
 * same (kind, ordinal) recurs in every export, and a slot left by an
 * earlier export of a different state would resume after a key of that
 * state (records skipped or repeated though nothing changed meanwhile).
 */
static void
export_remember(struct mr_store *st, uint64_t cursor, const union rec *last)
{
	struct export_slot *sl = NULL;
	int i;

	for (i = 0; i < EXPORT_SLOTS && sl == NULL; i++)
		if (st->slot[i].cursor == cursor)
			sl = &st->slot[i];
	if (sl == NULL)
		sl = &st->slot[st->next_slot++ % EXPORT_SLOTS];
	sl->cursor = cursor;
	sl->last = *last;
}

int
mr_store_export(struct mr_store *st, uint64_t cursor, char *buf, size_t room,
		size_t *used, uint64_t *next_cursor, int *done)
{
	union rec r[2];
	int kind, own, rc, n, cur = 0;
	struct scan sc;
	uint64_t ord;

	*used = 0;
	*done = 0;
	*next_cursor = cursor;
	kind = (int)(cursor >> CURSOR_SHIFT) + 1;
	ord = cursor & CURSOR_ORD;
	if (kind > MR_REC_KIND_MAX || (kind == MR_REC_KIND_MAX && ord != 0))
		return seterr(st, -EINVAL, "export: bad cursor %#" PRIx64,
			      cursor);
	rc = read_begin(st, &own);
	for (; rc == 0 && kind < MR_REC_KIND_MAX; kind++, ord = 0) {
		rc = export_scan(st, &sc, kind, ord);
		if (rc < 0)
			break;
		while ((rc = scan_next(st, &sc, &r[cur])) > 0) {
			n = mr_record_to_json(kind, &r[cur], buf + *used,
					      room - *used);
			if (n == -ENOSPC && *used > 0) {
				/* Page full: resume after the previous row. */
				if (ord > 0)
					export_remember(st, cursor_of(kind, ord),
							&r[cur ^ 1]);
				*next_cursor = cursor_of(kind, ord);
				scan_close(&sc);
				read_end(st, own);
				return 0;
			}
			if (n < 0) {
				rc = seterr(st, n, "export: %s line does not "
					    "fit in %zu bytes",
					    mr_record_kind_name(kind), room);
				break;
			}
			*used += (size_t)n;
			ord++;
			cur ^= 1;
		}
		scan_close(&sc);
	}
	read_end(st, own);
	if (rc == 0) {
		*done = 1;
		*next_cursor = cursor_of(MR_REC_KIND_MAX, 0);
	}
	return rc;
}

/* Compaction: the member log into the member table (top of this file). */

/* A row of member_log (seq, grp, user, role) into p. */
static int
log_row(struct mr_store *st, sqlite3_stmt *s, struct pend *p)
{
	int64_t role = 0;

	memset(p, 0, sizeof(*p));
	if (sqlite3_column_type(s, 0) != SQLITE_INTEGER ||
	    col_u64(s, 1, &p->grp) < 0 || col_u64(s, 2, &p->user) < 0 ||
	    (sqlite3_column_type(s, 3) != SQLITE_NULL &&
	     col_int(s, 3, MR_ROLE_READONLY, &role) < 0))
		return seterr(st, -EUCLEAN, "%s: a member_log row has a "
			      "column of the wrong type: the file is corrupt "
			      "or was edited; " ADVICE, st->path);
	p->seq = sqlite3_column_int64(s, 0);
	p->role = sqlite3_column_type(s, 3) == SQLITE_NULL ? PEND_DEL :
		  (int16_t)role;
	return 0;
}

/* Apply the change p to the member table. */
static int
merge_one(struct mr_store *st, const struct pend *p)
{
	sqlite3_stmt *s = stmt(st, p->role == PEND_DEL ? S_MEM_DEL : S_MEM_PUT);
	int rc;

	if (s == NULL)
		return -EIO;
	sqlite3_bind_int64(s, 1, enc64(p->grp));
	sqlite3_bind_int64(s, 2, enc64(p->user));
	if (p->role != PEND_DEL)
		sqlite3_bind_int(s, 3, p->role);
	rc = run(st, s, "merging the member log");
	if (rc == -ENOENT)	/* foreign key: no such group */
		return seterr(st, -EUCLEAN, "%s: member_log has a change of "
			      "group %" PRIu64 ", which does not exist: the "
			      "file is corrupt or was edited; " ADVICE,
			      st->path, p->grp);
	return rc;
}

/*
 * Merge the oldest max_rows rows of member_log into member and delete
 * them, in one transaction (none may be open). Then forget in pend the
 * keys whose latest change was among them.
 */
static int
compact_chunk(struct mr_store *st, unsigned int max_rows)
{
	size_t n = 0, cap, i;
	struct pend *row, *r;
	sqlite3_stmt *s;
	int rc, step, trimmed = 0;
	int64_t last;

	cap = st->log_rows < max_rows ? (size_t)st->log_rows + 1 : max_rows;
	row = malloc(cap * sizeof(*row));
	if (row == NULL)
		return seterr(st, -ENOMEM, "merging the member log: out of "
			      "memory");
	rc = exec_id(st, S_BEGIN, "merging the member log");
	if (rc < 0) {
		free(row);
		return rc;
	}
	s = stmt(st, S_LOG_CHUNK);
	if (s == NULL) {
		rc = -EIO;
		goto out;
	}
	sqlite3_bind_int64(s, 1, max_rows);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			r = realloc(row, 2 * cap * sizeof(*row));
			if (r == NULL) {
				rc = seterr(st, -ENOMEM, "merging the member "
					    "log: out of memory");
				break;
			}
			row = r;
			cap *= 2;
		}
		rc = log_row(st, s, &row[n]);
		if (rc < 0)
			break;
		n++;
	}
	sqlite3_reset(s);
	if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
		rc = sqerr(st, step, "merging the member log");
	if (rc < 0 || n == 0)
		goto out;
	last = row[n - 1].seq;
	/* By key, each key's changes oldest first: its last one wins. */
	qsort(row, n, sizeof(*row), pend_cmp);
	for (i = 0; rc == 0 && i < n; i++)
		if (i + 1 == n || key_cmp(row[i].grp, row[i].user,
					  row[i + 1].grp, row[i + 1].user) != 0)
			rc = merge_one(st, &row[i]);
	s = rc == 0 ? stmt(st, S_LOG_TRIM) : NULL;
	if (rc == 0 && s == NULL)
		rc = -EIO;
	if (rc == 0) {
		sqlite3_bind_int64(s, 1, last);
		rc = run(st, s, "merging the member log");
		trimmed = sqlite3_changes(st->db);
	}
	if (rc == 0)
		rc = exec_id(st, S_COMMIT, "merging the member log: commit");
out:
	if (rc < 0) {
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		free(row);
		return rc;
	}
	if (n == 0)	/* nothing read: end the empty transaction */
		rc = exec_id(st, S_COMMIT, "merging the member log: commit");
	for (i = 0; i < n; i++)
		pend_forget(st, row[i].grp, row[i].user, last);
	st->log_rows -= (uint64_t)trimmed < st->log_rows ?
			(uint64_t)trimmed : st->log_rows;
	pend_shrink(st);
	free(row);
	return rc;
}

/* At open: count the log, merge all of it, give its pages back. */
static int
compact_open(struct mr_store *st)
{
	sqlite3_stmt *s = stmt(st, S_LOG_COUNT);
	uint64_t before;
	int rc;

	if (s == NULL)
		return -EIO;
	rc = sqlite3_step(s);
	st->log_rows = rc == SQLITE_ROW ?
		       (uint64_t)sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return open_failed(st, rc, "reading the member log");
	while (st->log_rows > 0) {
		before = st->log_rows;
		rc = compact_chunk(st, COMPACT_OPEN);
		if (rc < 0)
			return rc;
		if (st->log_rows == before)
			break;
	}
	rc = sqlite3_exec(st->db, "PRAGMA incremental_vacuum", NULL, NULL,
			  NULL);
	return rc == SQLITE_OK ? 0 : sqerr(st, rc, "freeing the log's pages");
}

int
mr_store_compact(struct mr_store *st, unsigned int max_rows,
		 unsigned int *left)
{
	int rc = 0;

	if (max_rows > 0)
		rc = writable(st);
	if (rc == 0 && max_rows > 0 && !sqlite3_get_autocommit(st->db))
		rc = seterr(st, -EBUSY, "compact: a transaction is open");
	if (rc == 0 && max_rows > 0 && st->log_rows > 0)
		rc = compact_chunk(st, max_rows);
	if (left != NULL)
		*left = st->log_rows > UINT_MAX ? UINT_MAX :
			(unsigned int)st->log_rows;
	return rc;
}
