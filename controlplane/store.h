/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Persistent state of mrelayd: the control API records (api.h) and the
 * sequence-number high-water marks, in one SQLite database, dir/state.db.
 *
 * Durability: a transaction is on disk when mr_store_commit() returns 0,
 * across kill -9 and power loss (WAL, synchronous=FULL). A put or del made
 * outside mr_store_begin()/mr_store_commit() is its own durable transaction.
 * mrelayd acknowledges a change only after its commit returned 0.
 *
 * Refusal: mr_store_open() never starts empty over a file it cannot trust:
 * a zero-length, garbage, truncated or failing-integrity-check file, or one
 * written by a newer schema, makes it fail with a message for the operator.
 *
 * Relations enforced by the database (foreign keys):
 *  - a device names an existing endpoint: device put -> -ENOENT otherwise;
 *    deleting an endpoint that devices still use -> -EBUSY;
 *  - a member belongs to an existing group: member put -> -ENOENT
 *    otherwise; deleting a group deletes its members (those of the member
 *    log too, below, where store.c checks the group itself).
 * Subscriptions and sequence marks are independent rows.
 *
 * Members are log-structured: a member put or del appends to a log, which
 * mr_store_compact() merges into the member table later, in key order
 * (store.c tells why). This changes no guarantee above: a committed change
 * is durable once it is in the log, and load and export see the current
 * state whatever the log still holds.
 *
 * Order: 64-bit ids sort as unsigned numbers everywhere (load and export).
 *
 * Threads: a struct mr_store belongs to one thread at a time (the control
 * thread); nothing here is shared with the dataplane. Plain C and SQLite.
 * Processes: open the store after any fork (daemonizing); a child must not
 * use or close its parent's store (SQLite connections do not survive fork,
 * and the child would share the directory lock).
 *
 * Errors: mr_store_open() returns NULL and sets errno; everything else
 * returns 0 (or a count) or -errno, and mr_store_errmsg() tells more.
 */
#ifndef MRELAY_STORE_H
#define MRELAY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

#define MR_STORE_SCHEMA_VERSION	2	/* PRAGMA user_version; 2: member_log */
#define MR_STORE_DB_NAME	"state.db"
#define MR_STORE_LOCK_NAME	"mrelayd.lock"

struct mr_store;

/*
 * Open the state in directory dir, creating dir (mode 0750) and an empty
 * state.db (0640) if they are absent. The first open creates the database
 * atomically: a crash before it returns leaves no state.db behind.
 * Takes an exclusive flock(2) on dir/mrelayd.lock for the life of the
 * store: a second mrelayd (or a second open in this process) on the same
 * dir fails with errno EBUSY.
 * An existing state.db is integrity-checked (PRAGMA quick_check, O(size)),
 * its schema version checked and migrated forward if older, and its member
 * log merged whole (as mr_store_compact(), until nothing is left: the
 * changes a crash left in the log are in the member table when open
 * returns).
 * Returns the store, or NULL with errno set and a one-line message for the
 * operator in err (naming the file, what is wrong, what to do):
 *   EBUSY     another process holds the lock;
 *   EUCLEAN   state.db is corrupt, empty, truncated, not a database, or
 *             not an mrelay state database;
 *   ENOTSUP   state.db was written by a newer mrelayd;
 *   others    from the system (EACCES, ENOSPC, EROFS, ENAMETOOLONG...).
 */
struct mr_store *
mr_store_open(const char *dir, char *err, size_t errlen);

/* Roll back any open transaction, give the file's free pages back (best
 * effort), close the database, release the lock. */
void
mr_store_close(struct mr_store *st);

/* Last error of st, for logs; "" if none. Valid until the next call. */
const char *
mr_store_errmsg(const struct mr_store *st);

/*
 * Transactions. begin: -EALREADY if one is open. commit: 0 once durable;
 * on failure the transaction is rolled back and an error returned (after
 * an I/O error while committing, the store refuses every later write with
 * -EIO: whether that transaction reached the disk is only known after a
 * restart, so mrelayd should exit). commit without begin: -EINVAL.
 * rollback: 0, also when no transaction is open.
 * A failed put/del inside a transaction undoes only itself; the caller
 * decides between going on and rolling back (mrelayd rolls back the batch).
 */
int
mr_store_begin(struct mr_store *st);
int
mr_store_commit(struct mr_store *st);
int
mr_store_rollback(struct mr_store *st);

/*
 * Puts add or replace (the key is in parentheses); records are checked
 * with mr_record_check() first (-EINVAL). Dels return -ENOENT when the row
 * does not exist. Other errors: -EBUSY, -ENOSPC, -EIO, -ENOMEM.
 */
/* (name). ep->id is stored as given and loaded back, not checked for
 * uniqueness: the daemon's tables own endpoint ids. */
int
mr_store_endpoint_put(struct mr_store *st, const struct mr_api_endpoint *ep);
/* -EBUSY while devices use the endpoint. */
int
mr_store_endpoint_del(struct mr_store *st, const char *name);
/* (user, device): add or move to another endpoint; -ENOENT if the
 * endpoint does not exist. */
int
mr_store_device_put(struct mr_store *st, const struct mr_api_device *dev);
int
mr_store_device_del(struct mr_store *st, uint64_t user, uint32_t device);
/* (id): policy and max_members; nmembers/next_seq are not stored. Changing
 * a group keeps its members. */
int
mr_store_group_put(struct mr_store *st, const struct mr_api_group *grp);
/* Deletes the group and all its members (sequence marks stay). */
int
mr_store_group_del(struct mr_store *st, uint64_t id);
/* (group, user): add or change role; -ENOENT if the group does not exist.
 * Both append one row to the member log (see mr_store_compact()). */
int
mr_store_member_put(struct mr_store *st, const struct mr_api_member *mem);
int
mr_store_member_del(struct mr_store *st, uint64_t group, uint64_t user);

/*
 * Merge the oldest max_rows changes of the member log into the member
 * table, in one durable transaction of its own, and drop them from the
 * log. For mrelayd to call between control requests: the time is bounded
 * by max_rows (O(max_rows log max_rows) plus the member table pages those
 * changes fall on; docs/performance.md has figures), and merging more rows
 * a call costs less per row. Must be called outside a transaction
 * (-EBUSY). *left (if not NULL) gets the number of changes still in the
 * log; max_rows 0 only reports it (also inside a transaction, counting
 * its changes). Until merged, each (group, user) with changes in the log
 * costs 50-130 bytes of memory here (an index of the log, store.c), so
 * call it often enough to keep the log small, e.g. whenever *left was
 * not 0, not only when idle.
 * Returns 0 or -errno (after -EIO the store refuses writes, as after a
 * failed commit).
 */
int
mr_store_compact(struct mr_store *st, unsigned int max_rows,
		 unsigned int *left);
/* (pattern, user, device): adding an existing sub is a no-op, 0. */
int
mr_store_sub_add(struct mr_store *st, const struct mr_api_sub *sub);
int
mr_store_sub_del(struct mr_store *st, const struct mr_api_sub *sub);
/*
 * (kind, a, b): high-water mark of a sequence-number space, e.g. kind 1 =
 * group conversation a, kind 2 = direct chat between users a < b. Never
 * lowers: the stored mark becomes max(stored, hwm), so a late or replayed
 * write cannot make mrelayd reuse sequence numbers. Marks outlive the
 * group or users they belong to.
 */
int
mr_store_seq_put(struct mr_store *st, uint32_t kind, uint64_t a, uint64_t b,
		 uint64_t hwm);

/*
 * Callbacks of mr_store_load(): each gets arg and one record (valid only
 * during the call) and returns 0 to go on or -errno to stop the load. A NULL
 * callback skips that table without reading it.
 */
struct mr_store_visitor {
	int (*endpoint)(void *arg, const struct mr_api_endpoint *ep);
	int (*device)(void *arg, const struct mr_api_device *dev);
	int (*group)(void *arg, const struct mr_api_group *grp);
	int (*member)(void *arg, const struct mr_api_member *mem);
	int (*sub)(void *arg, const struct mr_api_sub *sub);
	int (*seq)(void *arg, uint32_t kind, uint64_t a, uint64_t b,
		   uint64_t hwm);
};

/*
 * Read the whole state, from one snapshot, in this order: endpoints (by
 * name), devices (by user, device), groups (by id), members (by group,
 * user), subs (by pattern, user, device), seqs (by kind, a, b); numbers in
 * unsigned order, names and patterns in byte order. Groups come with
 * nmembers and next_seq zero. Every row is checked with mr_record_check()
 * before it is passed on: a row that fails (hand-edited or corrupt file)
 * stops the load with -EUCLEAN. Inside a transaction, the load sees it.
 * Members come from the member table and the member log merged. Callbacks
 * must not call functions of this store.
 * Returns 0, a callback's negative return, or -errno.
 */
int
mr_store_load(struct mr_store *st, const struct mr_store_visitor *v,
	      void *arg);

/*
 * One page of the state as JSON lines (records.h), in load order without
 * the seqs, for MR_API_EXPORT. Start with cursor 0 and call again with
 * *next_cursor until *done is 1. Writes whole lines only, into buf[0..room)
 * (no NUL), and sets *used to their length.
 *
 * The cursor is (kind << 56 | ordinal within the kind). The store
 * remembers the last key of the few most recent pages, so a caller who
 * goes on with the cursor it was given resumes by key (keyset pagination):
 * each page costs O(page) and a whole export O(state). A cursor the store
 * does not remember (after a restart, or from a client that came back
 * late) still works, by skipping `ordinal` rows once.
 * Each page is read from its own snapshot: an export made while the state
 * changes is not a point-in-time copy (every line is a whole record; a
 * record changed meanwhile may appear old or new, or once at each place).
 *
 * Returns 0; -EINVAL for a cursor that no export ever gave; -ENOSPC if
 * room cannot hold the next line (MR_RECORD_LINE_MAX always can); -errno.
 */
int
mr_store_export(struct mr_store *st, uint64_t cursor, char *buf, size_t room,
		size_t *used, uint64_t *next_cursor, int *done);

#endif /* MRELAY_STORE_H */
