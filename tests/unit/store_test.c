/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Unit tests of the state store (controlplane/store.c): every record kind
 * round-trips through put/load/del, state survives close and reopen, a
 * rollback leaves nothing, damaged files are refused with a message that
 * names them, the state directory is locked, and export pages add up to
 * the whole state in the JSON lines format that records.c reads back.
 * The member log (schema 2): random puts, dels, group deletes and
 * rollbacks interleaved with compaction at random chunk sizes give the
 * same load and export as a model; group delete with pending log rows;
 * reopen with a non-empty log, after a clean close or kill -9; migration
 * of a version 1 database; no free pages at rest, and a refused file left
 * as it was; kill -9 at random moments of opens, spread batches and
 * compactions loses nothing acknowledged and leaves no partial batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "records.h"
#include "store.h"

#define BIG	UINT64_MAX
#define HIGH	(UINT64_C(1) << 63)

struct env {
	char dir[256];
	char db[300];
};

/* Everything a load hands out, in order. */
struct seen {
	struct mr_record *rec;
	size_t n, cap;
	uint64_t seq[64][4];
	size_t nseq;
	size_t members;
};

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	const char *tmp = getenv("TMPDIR");

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "%s/store_test.XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(e->dir));
	/* The store creates the directory itself: start without it. */
	rmdir(e->dir);
	snprintf(e->db, sizeof(e->db), "%s/state.db", e->dir);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	nftw(e->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(e);
	return 0;
}

static struct mr_store *
open_ok(struct env *e)
{
	char err[512] = "";
	struct mr_store *st = mr_store_open(e->dir, err, sizeof(err));

	if (st == NULL)
		fail_msg("open %s: %s", e->dir, err);
	return st;
}

static struct mr_api_endpoint
ep4(const char *name, uint32_t id, uint8_t last, int mac)
{
	struct mr_api_endpoint ep = {.ip_version = 4, .udp_port = 4789,
		.vlan = 100, .port_id = 1, .id = id};

	snprintf(ep.name, sizeof(ep.name), "%s", name);
	ep.addr[0] = 10;
	ep.addr[3] = last;
	if (mac) {
		ep.has_mac = 1;
		memcpy(ep.mac, "\x02\x00\x00\x00\x00\x01", 6);
		ep.mac[5] = last;
	}
	return ep;
}

static struct mr_api_endpoint
ep6(const char *name, uint32_t id)
{
	struct mr_api_endpoint ep = {.ip_version = 6, .udp_port = 9000,
		.id = id};

	snprintf(ep.name, sizeof(ep.name), "%s", name);
	ep.addr[0] = 0xfd;
	ep.addr[15] = 7;
	return ep;
}

static struct mr_api_device
dev(uint64_t user, uint32_t device, const char *ep)
{
	struct mr_api_device d = {.user = user, .device = device};

	snprintf(d.endpoint, sizeof(d.endpoint), "%s", ep);
	return d;
}

static struct mr_api_group
grp(uint64_t id, uint8_t policy, uint32_t max)
{
	struct mr_api_group g = {.id = id, .policy = policy,
		.max_members = max};

	return g;
}

static struct mr_api_member
mem(uint64_t group, uint64_t user, uint8_t role)
{
	struct mr_api_member m = {.group = group, .user = user, .role = role};

	return m;
}

static struct mr_api_sub
sub(const char *pattern, uint64_t user, uint32_t device)
{
	struct mr_api_sub s = {.user = user, .device = device};

	snprintf(s.pattern, sizeof(s.pattern), "%s", pattern);
	return s;
}

static void
push(struct seen *s, int kind, const void *rec, size_t size)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->rec = realloc(s->rec, s->cap * sizeof(*s->rec));
		assert_non_null(s->rec);
	}
	memset(&s->rec[s->n], 0, sizeof(s->rec[s->n]));
	s->rec[s->n].kind = kind;
	memcpy(&s->rec[s->n].u, rec, size);
	s->n++;
}

static int
on_ep(void *arg, const struct mr_api_endpoint *ep)
{
	push(arg, MR_REC_ENDPOINT, ep, sizeof(*ep));
	return 0;
}

static int
on_dev(void *arg, const struct mr_api_device *d)
{
	push(arg, MR_REC_DEVICE, d, sizeof(*d));
	return 0;
}

static int
on_grp(void *arg, const struct mr_api_group *g)
{
	push(arg, MR_REC_GROUP, g, sizeof(*g));
	return 0;
}

static int
on_mem(void *arg, const struct mr_api_member *m)
{
	push(arg, MR_REC_MEMBER, m, sizeof(*m));
	return 0;
}

static int
on_sub(void *arg, const struct mr_api_sub *s)
{
	push(arg, MR_REC_SUB, s, sizeof(*s));
	return 0;
}

static int
on_seq(void *arg, uint32_t kind, uint64_t a, uint64_t b, uint64_t hwm)
{
	struct seen *s = arg;

	assert_true(s->nseq < 64);
	s->seq[s->nseq][0] = kind;
	s->seq[s->nseq][1] = a;
	s->seq[s->nseq][2] = b;
	s->seq[s->nseq][3] = hwm;
	s->nseq++;
	return 0;
}

static const struct mr_store_visitor all = {
	.endpoint = on_ep, .device = on_dev, .group = on_grp,
	.member = on_mem, .sub = on_sub, .seq = on_seq,
};

static void
load(struct mr_store *st, struct seen *s)
{
	free(s->rec);
	memset(s, 0, sizeof(*s));
	assert_int_equal(mr_store_load(st, &all, s), 0);
}

static void
expect(const struct seen *s, size_t i, int kind, const void *rec, size_t size)
{
	assert_true(i < s->n);
	assert_int_equal(s->rec[i].kind, kind);
	assert_memory_equal(&s->rec[i].u, rec, size);
}

/* The fixed state most tests use; each kind has ids on both sides of 2^63. */
struct fixture {
	struct mr_api_endpoint ep[2];
	struct mr_api_device dev[3];
	struct mr_api_group grp[2];
	struct mr_api_member mem[4];
	struct mr_api_sub sub[3];
};

static void
fixture_init(struct fixture *f)
{
	/* Each array in load order. */
	f->ep[0] = ep4("gw-a", 1, 1, 1);
	f->ep[1] = ep6("gw.b_6", 2);
	f->dev[0] = dev(7, 1, "gw-a");
	f->dev[1] = dev(7, UINT32_MAX, "gw.b_6");
	f->dev[2] = dev(BIG, 0, "gw-a");
	f->grp[0] = grp(5, MR_POLICY_EVERYONE, 0);
	f->grp[1] = grp(BIG, MR_POLICY_ADMINS, 1000);
	f->mem[0] = mem(5, 7, MR_ROLE_ADMIN);
	f->mem[1] = mem(5, HIGH, MR_ROLE_READONLY);
	f->mem[2] = mem(BIG, 0, MR_ROLE_MEMBER);
	f->mem[3] = mem(BIG, BIG, MR_ROLE_ADMIN);
	f->sub[0] = sub("caf\xc3\xa9.>", BIG, 0);
	f->sub[1] = sub("news.\"quoted\"\\", 7, 1);
	f->sub[2] = sub("news.*", 7, 1);
}

/* Put the fixture in an order different from the load order. */
static void
fixture_put(struct mr_store *st, const struct fixture *f)
{
	int i;

	for (i = 1; i >= 0; i--)
		assert_int_equal(mr_store_endpoint_put(st, &f->ep[i]), 0);
	for (i = 2; i >= 0; i--)
		assert_int_equal(mr_store_device_put(st, &f->dev[i]), 0);
	for (i = 1; i >= 0; i--)
		assert_int_equal(mr_store_group_put(st, &f->grp[i]), 0);
	for (i = 3; i >= 0; i--)
		assert_int_equal(mr_store_member_put(st, &f->mem[i]), 0);
	for (i = 2; i >= 0; i--)
		assert_int_equal(mr_store_sub_add(st, &f->sub[i]), 0);
	assert_int_equal(mr_store_seq_put(st, 2, 7, BIG, 42), 0);
	assert_int_equal(mr_store_seq_put(st, 1, 5, 0, BIG), 0);
}

static void
fixture_expect(const struct seen *s, const struct fixture *f)
{
	size_t k = 0;
	int i;

	assert_int_equal(s->n, 2 + 3 + 2 + 4 + 3);
	for (i = 0; i < 2; i++)
		expect(s, k++, MR_REC_ENDPOINT, &f->ep[i], sizeof(f->ep[i]));
	for (i = 0; i < 3; i++)
		expect(s, k++, MR_REC_DEVICE, &f->dev[i], sizeof(f->dev[i]));
	for (i = 0; i < 2; i++)
		expect(s, k++, MR_REC_GROUP, &f->grp[i], sizeof(f->grp[i]));
	for (i = 0; i < 4; i++)
		expect(s, k++, MR_REC_MEMBER, &f->mem[i], sizeof(f->mem[i]));
	for (i = 0; i < 3; i++)
		expect(s, k++, MR_REC_SUB, &f->sub[i], sizeof(f->sub[i]));
	assert_int_equal(s->nseq, 2);
	assert_true(s->seq[0][0] == 1 && s->seq[0][1] == 5 &&
		    s->seq[0][2] == 0 && s->seq[0][3] == BIG);
	assert_true(s->seq[1][0] == 2 && s->seq[1][1] == 7 &&
		    s->seq[1][2] == BIG && s->seq[1][3] == 42);
}

static void
test_roundtrip(void **state)
{
	struct mr_store *st = open_ok(*state);
	struct seen s = {0};
	struct fixture f;
	struct mr_api_sub s0;

	fixture_init(&f);
	assert_int_equal(mr_store_begin(st), 0);
	fixture_put(st, &f);
	assert_int_equal(mr_store_commit(st), 0);
	load(st, &s);
	fixture_expect(&s, &f);

	/* Deletes, each once, in an order the foreign keys allow. */
	assert_int_equal(mr_store_member_del(st, 5, HIGH), 0);
	assert_int_equal(mr_store_member_del(st, 5, HIGH), -ENOENT);
	s0 = f.sub[1];
	assert_int_equal(mr_store_sub_del(st, &s0), 0);
	assert_int_equal(mr_store_sub_del(st, &s0), -ENOENT);
	assert_int_equal(mr_store_device_del(st, 7, UINT32_MAX), 0);
	assert_int_equal(mr_store_device_del(st, 7, UINT32_MAX), -ENOENT);
	assert_int_equal(mr_store_endpoint_del(st, "gw.b_6"), 0);
	assert_int_equal(mr_store_endpoint_del(st, "gw.b_6"), -ENOENT);
	assert_int_equal(mr_store_group_del(st, 5), 0);
	assert_int_equal(mr_store_group_del(st, 5), -ENOENT);
	load(&*st, &s);
	assert_int_equal(s.n, 1 + 2 + 1 + 2 + 2);
	expect(&s, 0, MR_REC_ENDPOINT, &f.ep[0], sizeof(f.ep[0]));
	expect(&s, 1, MR_REC_DEVICE, &f.dev[0], sizeof(f.dev[0]));
	expect(&s, 2, MR_REC_DEVICE, &f.dev[2], sizeof(f.dev[2]));
	expect(&s, 3, MR_REC_GROUP, &f.grp[1], sizeof(f.grp[1]));
	expect(&s, 4, MR_REC_MEMBER, &f.mem[2], sizeof(f.mem[2]));
	expect(&s, 5, MR_REC_MEMBER, &f.mem[3], sizeof(f.mem[3]));
	expect(&s, 6, MR_REC_SUB, &f.sub[0], sizeof(f.sub[0]));
	expect(&s, 7, MR_REC_SUB, &f.sub[2], sizeof(f.sub[2]));
	/* Sequence marks outlive their group. */
	assert_int_equal(s.nseq, 2);
	free(s.rec);
	mr_store_close(st);
}

static void
test_replace_semantics(void **state)
{
	struct mr_store *st = open_ok(*state);
	struct mr_api_endpoint a = ep4("a", 1, 1, 0), b = ep4("b", 2, 2, 0);
	struct mr_api_device d = dev(1, 1, "a");
	struct mr_api_group g = grp(9, MR_POLICY_EVERYONE, 0);
	struct mr_api_member m = mem(9, 1, MR_ROLE_MEMBER);
	struct mr_api_sub su = sub("t", 1, 1);
	struct seen s = {0};

	assert_int_equal(mr_store_endpoint_put(st, &a), 0);
	assert_int_equal(mr_store_endpoint_put(st, &b), 0);
	assert_int_equal(mr_store_device_put(st, &d), 0);
	snprintf(d.endpoint, sizeof(d.endpoint), "b");	/* move */
	assert_int_equal(mr_store_device_put(st, &d), 0);
	assert_int_equal(mr_store_group_put(st, &g), 0);
	assert_int_equal(mr_store_member_put(st, &m), 0);
	g.policy = MR_POLICY_ADMINS;	/* change keeps members */
	g.max_members = 3;
	assert_int_equal(mr_store_group_put(st, &g), 0);
	m.role = MR_ROLE_ADMIN;
	assert_int_equal(mr_store_member_put(st, &m), 0);
	assert_int_equal(mr_store_sub_add(st, &su), 0);
	assert_int_equal(mr_store_sub_add(st, &su), 0);	/* no-op */
	assert_int_equal(mr_store_seq_put(st, 1, 9, 0, 100), 0);
	assert_int_equal(mr_store_seq_put(st, 1, 9, 0, 50), 0);	/* stays */
	/* Endpoint changes keep the name, may change the id. */
	a.udp_port = 1;
	a.id = 3;
	assert_int_equal(mr_store_endpoint_put(st, &a), 0);
	load(st, &s);
	assert_int_equal(s.n, 2 + 1 + 1 + 1 + 1);
	expect(&s, 0, MR_REC_ENDPOINT, &a, sizeof(a));
	expect(&s, 2, MR_REC_DEVICE, &d, sizeof(d));
	expect(&s, 3, MR_REC_GROUP, &g, sizeof(g));
	expect(&s, 4, MR_REC_MEMBER, &m, sizeof(m));
	assert_int_equal(s.nseq, 1);
	assert_true(s.seq[0][3] == 100);
	assert_int_equal(mr_store_seq_put(st, 1, 9, 0, 101), 0);
	load(st, &s);
	assert_true(s.seq[0][3] == 101);
	free(s.rec);
	mr_store_close(st);
}

static void
test_constraints(void **state)
{
	struct mr_store *st = open_ok(*state);
	struct mr_api_endpoint a = ep4("a", 1, 1, 0), b = ep4("b", 1, 2, 0);
	struct mr_api_device d = dev(1, 1, "nope");
	struct mr_api_member m = mem(9, 1, MR_ROLE_MEMBER);
	struct mr_api_group g = grp(9, 0, 0);
	struct mr_api_sub su = sub("x", 1, 1);
	struct seen s = {0};

	assert_int_equal(mr_store_endpoint_put(st, &a), 0);
	/* Ids are the daemon's business: the same id is stored as given. */
	assert_int_equal(mr_store_endpoint_put(st, &b), 0);
	assert_int_equal(mr_store_endpoint_del(st, "b"), 0);
	assert_int_equal(mr_store_device_put(st, &d), -ENOENT);
	assert_non_null(strstr(mr_store_errmsg(st), "endpoint"));
	snprintf(d.endpoint, sizeof(d.endpoint), "a");
	assert_int_equal(mr_store_device_put(st, &d), 0);
	assert_int_equal(mr_store_endpoint_del(st, "a"), -EBUSY);
	assert_int_equal(mr_store_member_put(st, &m), -ENOENT);
	assert_int_equal(mr_store_group_put(st, &g), 0);
	assert_int_equal(mr_store_member_put(st, &m), 0);
	m.user = 2;
	assert_int_equal(mr_store_member_put(st, &m), 0);
	assert_int_equal(mr_store_group_del(st, 9), 0);	/* cascades */

	/* Invalid records never reach the database. */
	b = a;
	b.name[0] = '/';
	assert_int_equal(mr_store_endpoint_put(st, &b), -EINVAL);
	b = a;
	b.vlan = 4095;
	assert_int_equal(mr_store_endpoint_put(st, &b), -EINVAL);
	b = a;
	b.ip_version = 5;
	assert_int_equal(mr_store_endpoint_put(st, &b), -EINVAL);
	g.policy = 2;
	assert_int_equal(mr_store_group_put(st, &g), -EINVAL);
	m.role = 3;
	assert_int_equal(mr_store_member_put(st, &m), -EINVAL);
	su.pattern[0] = '\0';
	assert_int_equal(mr_store_sub_add(st, &su), -EINVAL);
	assert_int_equal(mr_store_endpoint_del(st, "bad name"), -EINVAL);

	load(st, &s);
	assert_int_equal(s.n, 2);	/* endpoint a, device (1, 1) */
	assert_int_equal(s.rec[1].kind, MR_REC_DEVICE);
	free(s.rec);
	mr_store_close(st);
}

static void
test_persistence(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	struct seen s = {0};
	struct fixture f;
	struct stat sb;

	fixture_init(&f);
	assert_int_equal(mr_store_begin(st), 0);
	fixture_put(st, &f);
	assert_int_equal(mr_store_commit(st), 0);
	/* Outside a transaction: its own durable transaction. */
	assert_int_equal(mr_store_member_del(st, 5, HIGH), 0);
	assert_int_equal(mr_store_member_put(st, &f.mem[1]), 0);
	mr_store_close(st);

	assert_int_equal(stat(e->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_int_equal(stat(e->db, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);

	st = open_ok(e);
	load(st, &s);
	fixture_expect(&s, &f);
	mr_store_close(st);
	free(s.rec);
}

static void
test_rollback(void **state)
{
	struct mr_store *st = open_ok(*state);
	struct seen s = {0};
	struct fixture f;

	fixture_init(&f);
	assert_int_equal(mr_store_commit(st), -EINVAL);
	assert_int_equal(mr_store_rollback(st), 0);
	assert_int_equal(mr_store_begin(st), 0);
	assert_int_equal(mr_store_begin(st), -EALREADY);
	fixture_put(st, &f);
	/* A load inside the transaction sees it... */
	load(st, &s);
	assert_int_equal(s.n, 14);
	assert_int_equal(mr_store_rollback(st), 0);
	/* ...and after the rollback nothing is left. */
	load(st, &s);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.nseq, 0);

	/* Closing with a transaction open keeps nothing either. */
	assert_int_equal(mr_store_begin(st), 0);
	fixture_put(st, &f);
	mr_store_close(st);
	st = open_ok(*state);
	load(st, &s);
	assert_int_equal(s.n, 0);
	free(s.rec);
	mr_store_close(st);
}

/* Open must fail with errno err_no and a message naming the file. */
static void
open_fails(struct env *e, int err_no, const char *word)
{
	char err[512] = "";
	struct mr_store *st;

	errno = 0;
	st = mr_store_open(e->dir, err, sizeof(err));
	if (st != NULL)
		fail_msg("open of %s succeeded", e->dir);
	assert_int_equal(errno, err_no);
	if (strstr(err, word) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err, word);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
test_corrupt_garbage(void **state)
{
	struct env *e = *state;
	char junk[8192];
	size_t i;

	assert_int_equal(mkdir(e->dir, 0750), 0);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	write_file(e->db, junk, sizeof(junk));
	open_fails(e, EUCLEAN, e->db);
	open_fails(e, EUCLEAN, "backup");
	/* The file is left alone for the operator. */
	struct stat sb;
	assert_int_equal(stat(e->db, &sb), 0);
	assert_int_equal(sb.st_size, sizeof(junk));
}

static void
test_corrupt_empty(void **state)
{
	struct env *e = *state;

	assert_int_equal(mkdir(e->dir, 0750), 0);
	write_file(e->db, "", 0);
	open_fails(e, EUCLEAN, e->db);
	open_fails(e, EUCLEAN, "empty (0 bytes)");
}

static void
fill(struct mr_store *st, uint64_t groups, uint64_t per)
{
	struct mr_api_group g;
	struct mr_api_member m;
	uint64_t i, j;

	assert_int_equal(mr_store_begin(st), 0);
	for (i = 0; i < groups; i++) {
		g = grp(i + 1, 0, 0);
		assert_int_equal(mr_store_group_put(st, &g), 0);
		for (j = 0; j < per; j++) {
			m = mem(i + 1, j * 7919 + 1, (uint8_t)(j % 3));
			assert_int_equal(mr_store_member_put(st, &m), 0);
		}
	}
	assert_int_equal(mr_store_commit(st), 0);
}

static void
test_corrupt_truncated(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	struct stat sb;

	fill(st, 20, 500);
	mr_store_close(st);
	assert_int_equal(stat(e->db, &sb), 0);
	assert_true(sb.st_size > 64 * 1024);
	assert_int_equal(truncate(e->db, sb.st_size / 2), 0);
	open_fails(e, EUCLEAN, e->db);
	/* Cut inside the first page too. */
	assert_int_equal(truncate(e->db, 1000), 0);
	open_fails(e, EUCLEAN, e->db);
}

static void
test_corrupt_pages(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	char zero[4096] = {0};
	int fd;

	fill(st, 20, 500);
	mr_store_close(st);
	/* A zero-filled page in the middle, as a torn write would leave. */
	fd = open(e->db, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, zero, sizeof(zero), 8 * 4096), 4096);
	close(fd);
	open_fails(e, EUCLEAN, "corrupt");
}

static void
sql(const char *path, const char *text)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", text, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static void
test_not_ours(void **state)
{
	struct env *e = *state;

	assert_int_equal(mkdir(e->dir, 0750), 0);
	sql(e->db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
	open_fails(e, EUCLEAN, "not an mrelay state database");
}

static void
test_newer_schema(void **state)
{
	struct env *e = *state;

	mr_store_close(open_ok(e));
	sql(e->db, "PRAGMA user_version = 99");
	open_fails(e, ENOTSUP, "newer mrelayd");
}

static void
test_wal_without_db(void **state)
{
	struct env *e = *state;
	char wal[320];

	assert_int_equal(mkdir(e->dir, 0750), 0);
	snprintf(wal, sizeof(wal), "%s-wal", e->db);
	write_file(wal, "x", 1);
	open_fails(e, EUCLEAN, "state.db-wal");
}

static void
test_bad_row(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	struct mr_api_endpoint a = ep4("a", 1, 1, 0);
	struct seen s = {0};

	assert_int_equal(mr_store_endpoint_put(st, &a), 0);
	mr_store_close(st);
	/* Passes the table's CHECKs, fails the record rules (IPv4 padding). */
	sql(e->db, "UPDATE endpoint SET addr = "
	    "x'0a000001000000000000000000000001'");
	st = open_ok(e);
	assert_int_equal(mr_store_load(st, &all, &s), -EUCLEAN);
	assert_non_null(strstr(mr_store_errmsg(st), e->db));
	free(s.rec);
	mr_store_close(st);
}

static void
test_lock(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e), *st2;
	char err[512] = "";

	errno = 0;
	st2 = mr_store_open(e->dir, err, sizeof(err));
	assert_null(st2);
	assert_int_equal(errno, EBUSY);
	assert_non_null(strstr(err, "in use by another mrelayd"));
	assert_non_null(strstr(err, e->dir));
	mr_store_close(st);
	st = open_ok(e);
	mr_store_close(st);
}

/* Export everything with pages of `room` bytes; returns the malloc'd text. */
static char *
export_all(struct mr_store *st, size_t room, size_t *len, unsigned *pages,
	   int reopen_at, struct env *e, struct mr_store **stp)
{
	char *buf = malloc(room), *all = NULL;
	uint64_t cur = 0, next;
	size_t used, total = 0;
	int done = 0;

	*pages = 0;
	while (!done) {
		assert_int_equal(mr_store_export(st, cur, buf, room, &used,
						 &next, &done), 0);
		if (!done)
			assert_true(used > 0);
		/* An export that repeats itself would never end. */
		assert_true(*pages < 100000);
		all = realloc(all, total + used + 1);
		memcpy(all + total, buf, used);
		total += used;
		cur = next;
		if (++*pages == (unsigned)reopen_at) {
			/* The store forgets its cursors: skip by ordinal. */
			mr_store_close(st);
			st = *stp = open_ok(e);
		}
	}
	all[total] = '\0';
	*len = total;
	free(buf);
	return all;
}

static void
test_export(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	char *one, *paged, *line, *save, err[256];
	struct seen s = {0};
	struct mr_record r;
	struct fixture f;
	size_t n1, n2, k;
	unsigned pages;
	uint64_t next;
	char tiny[16];
	size_t used;
	int done;

	fixture_init(&f);
	fixture_put(st, &f);
	fill(st, 3, 300);	/* groups 1..3: 900 more members */
	load(st, &s);

	one = export_all(st, 1 << 20, &n1, &pages, 0, e, &st);
	assert_int_equal(pages, 1);
	paged = export_all(st, 200, &n2, &pages, 0, e, &st);
	assert_true(pages > 100);
	assert_int_equal(n1, n2);
	assert_memory_equal(one, paged, n1);
	free(paged);
	paged = export_all(st, 4096, &n2, &pages, 3, e, &st);
	assert_int_equal(n1, n2);
	assert_memory_equal(one, paged, n1);
	free(paged);

	/* Lines parse back to the loaded records, in load order. */
	k = 0;
	for (line = strtok_r(one, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), k++) {
		if (mr_record_parse(line, &r, err, sizeof(err)) != 0)
			fail_msg("%s: %s", line, err);
		assert_true(k < s.n);
		if (r.kind == MR_REC_ENDPOINT)
			s.rec[k].u.ep.id = 0;	/* not exported */
		assert_int_equal(r.kind, s.rec[k].kind);
		assert_memory_equal(&r.u, &s.rec[k].u, sizeof(r.u));
	}
	assert_int_equal(k, s.n);
	free(one);

	assert_int_equal(mr_store_export(st, 0, tiny, sizeof(tiny), &used,
					 &next, &done), -ENOSPC);
	assert_int_equal(mr_store_export(st, UINT64_MAX, tiny, sizeof(tiny),
					 &used, &next, &done), -EINVAL);
	free(s.rec);
	mr_store_close(st);
}

static int
count_member(void *arg, const struct mr_api_member *m)
{
	(*(size_t *)arg)++;
	return 0;
}

static int
stop_at_10(void *arg, const struct mr_api_member *m)
{
	return ++*(size_t *)arg == 10 ? -ECANCELED : 0;
}

static void
test_many_members(void **state)
{
	struct mr_store_visitor v = {.member = count_member};
	struct mr_store *st = open_ok(*state);
	size_t n = 0;

	fill(st, 1, 100000);
	assert_int_equal(mr_store_load(st, &v, &n), 0);
	assert_int_equal(n, 100000);
	mr_store_close(st);
	st = open_ok(*state);
	n = 0;
	assert_int_equal(mr_store_load(st, &v, &n), 0);
	assert_int_equal(n, 100000);
	/* A visitor stops the load with its error. */
	v.member = stop_at_10;
	n = 0;
	assert_int_equal(mr_store_load(st, &v, &n), -ECANCELED);
	assert_int_equal(n, 10);
	mr_store_close(st);
}

/* ------------------------------------------------------------ member log */

#define MG	16	/* groups of the model */
#define MU	48	/* users of the model */

/* What the state should hold: groups, and members by role (-1 absent). */
struct model {
	uint8_t group[MG];
	int8_t role[MG][MU];
};

static uint64_t
model_gid(int g)
{
	/* Both sides of 2^63, not in index order. */
	return (g & 1 ? HIGH : 0) | (uint64_t)((g * 7 + 3) % MG + 1);
}

static uint64_t
model_uid(int u)
{
	return (u % 3 == 0 ? HIGH : 0) | ((uint64_t)u * 7919 + 13);
}

static void
model_init(struct model *m)
{
	memset(m->group, 0, sizeof(m->group));
	memset(m->role, -1, sizeof(m->role));
}

static uint64_t rnd_state;

static uint64_t
rnd(void)
{
	uint64_t x = rnd_state += UINT64_C(0x9e3779b97f4a7c15);

	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static int
mem_cmp(const void *a, const void *b)
{
	const struct mr_api_member *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->user < y->user ? -1 : x->user > y->user;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The model's groups and members, in load order; returns the counts. */
static void
model_list(const struct model *m, uint64_t *gids, size_t *ng,
	   struct mr_api_member *mems, size_t *nm)
{
	int g, u;

	*ng = *nm = 0;
	for (g = 0; g < MG; g++) {
		if (!m->group[g])
			continue;
		gids[(*ng)++] = model_gid(g);
		for (u = 0; u < MU; u++)
			if (m->role[g][u] >= 0)
				mems[(*nm)++] = mem(model_gid(g), model_uid(u),
						    (uint8_t)m->role[g][u]);
	}
	qsort(gids, *ng, sizeof(*gids), u64_cmp);
	qsort(mems, *nm, sizeof(*mems), mem_cmp);
}

/* Groups and members of n records (load or parsed export) == model. */
static void
model_match(const struct model *m, const struct mr_record *rec, size_t n,
	    const char *how)
{
	static struct mr_api_member want[MG * MU];
	uint64_t gids[MG];
	size_t ng, nm, gi = 0, mi = 0, i;

	model_list(m, gids, &ng, want, &nm);
	for (i = 0; i < n; i++) {
		if (rec[i].kind == MR_REC_GROUP) {
			if (gi >= ng || rec[i].u.grp.id != gids[gi])
				fail_msg("%s: group #%zu is %" PRIu64, how, gi,
					 rec[i].u.grp.id);
			gi++;
		} else if (rec[i].kind == MR_REC_MEMBER) {
			if (mi >= nm || memcmp(&rec[i].u.mem, &want[mi],
					       sizeof(want[mi])) != 0)
				fail_msg("%s: member #%zu of %zu is (%" PRIu64
					 ", %" PRIu64 ", %u), want (%" PRIu64
					 ", %" PRIu64 ", %u)", how, mi, nm,
					 rec[i].u.mem.group, rec[i].u.mem.user,
					 rec[i].u.mem.role,
					 mi < nm ? want[mi].group : 0,
					 mi < nm ? want[mi].user : 0,
					 mi < nm ? want[mi].role : 0);
			mi++;
		}
	}
	if (gi != ng || mi != nm)
		fail_msg("%s: %zu groups, %zu members; want %zu, %zu", how,
			 gi, mi, ng, nm);
}

/*
 * A page from a member cursor the store does not remember (no page of the
 * last export ended there): it skips by ordinal, over the merged rows.
 */
static void
model_export_skip(struct mr_store *st, const struct model *m)
{
	static struct mr_api_member want[MG * MU];
	char *buf = malloc(1 << 20), *line, *save, err[256];
	uint64_t gids[MG], next;
	size_t ng, nm, k, used;
	struct mr_record r;
	int done;

	assert_non_null(buf);
	model_list(m, gids, &ng, want, &nm);
	if (nm > 40) {
		/* The last pages (and slots) of the export are near the end. */
		k = nm / 3;
		assert_int_equal(mr_store_export(st, ((uint64_t)(MR_REC_MEMBER -
			1) << 56) | k, buf, (1 << 20) - 1, &used, &next,
			&done), 0);
		assert_int_equal(done, 1);
		buf[used] = '\0';
		for (line = strtok_r(buf, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save), k++) {
			if (mr_record_parse(line, &r, err, sizeof(err)) != 0)
				fail_msg("%s: %s", line, err);
			assert_int_equal(r.kind, MR_REC_MEMBER);
			assert_true(k < nm);
			assert_memory_equal(&r.u.mem, &want[k],
					    sizeof(want[k]));
		}
		assert_int_equal(k, nm);
	}
	free(buf);
}

static void
model_check(struct mr_store *st, const struct model *m, int with_export)
{
	struct seen s = {0};
	char *text, *line, *save, err[256];
	struct mr_record *rec = NULL;
	size_t len, n = 0;
	unsigned pages;

	load(st, &s);
	model_match(m, s.rec, s.n, "load");
	free(s.rec);
	if (!with_export)
		return;
	/* Small pages: many resume by key, across log changes. */
	text = export_all(st, 300, &len, &pages, 0, NULL, &st);
	rec = calloc(MG * MU + MG + 64, sizeof(*rec));
	assert_non_null(rec);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		assert_true(n < MG * MU + MG + 64);
		if (mr_record_parse(line, &rec[n], err, sizeof(err)) != 0)
			fail_msg("%s: %s", line, err);
		n++;
	}
	model_match(m, rec, n, "export");
	free(rec);
	free(text);
	model_export_skip(st, m);
}

/* Rows in member_log, read by a second connection (committed state). */
static long
log_rows(struct env *e)
{
	sqlite3_stmt *s;
	sqlite3 *db;
	long n = -1;

	assert_int_equal(sqlite3_open_v2(e->db, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
					    "member_log", -1, &s, NULL),
			 SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static unsigned int
left_of(struct mr_store *st)
{
	unsigned int left = 12345;

	assert_int_equal(mr_store_compact(st, 0, &left), 0);
	return left;
}

/* One random change to the store and, if it is accepted, to the model. */
static void
model_step(struct mr_store *st, struct model *m)
{
	int g = (int)(rnd() % MG), u = (int)(rnd() % MU);
	uint64_t r = rnd() % 100;
	struct mr_api_member mb;
	struct mr_api_group gr;

	if (r < 55) {
		mb = mem(model_gid(g), model_uid(u), (uint8_t)(rnd() % 3));
		assert_int_equal(mr_store_member_put(st, &mb),
				 m->group[g] ? 0 : -ENOENT);
		if (m->group[g])
			m->role[g][u] = (int8_t)mb.role;
	} else if (r < 90) {
		assert_int_equal(mr_store_member_del(st, model_gid(g),
						     model_uid(u)),
				 m->role[g][u] >= 0 ? 0 : -ENOENT);
		m->role[g][u] = -1;
	} else if (r < 95) {
		assert_int_equal(mr_store_group_del(st, model_gid(g)),
				 m->group[g] ? 0 : -ENOENT);
		m->group[g] = 0;
		memset(m->role[g], -1, sizeof(m->role[g]));
	} else {
		gr = grp(model_gid(g), (uint8_t)(rnd() % 2), 0);
		assert_int_equal(mr_store_group_put(st, &gr), 0);
		m->group[g] = 1;
	}
}

static void
test_log_model(void **state)
{
	static const unsigned int chunk[] = {1, 2, 3, 17, 100, 1000, 100000};
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	struct model m, saved;
	unsigned int left, i, step, txn = 0;
	int g;

	rnd_state = 42;
	model_init(&m);
	for (g = 0; g < MG - 2; g++) {
		struct mr_api_group gr = grp(model_gid(g), 0, 0);

		assert_int_equal(mr_store_group_put(st, &gr), 0);
		m.group[g] = 1;
	}
	for (step = 0; step < 30000; step++) {
		if (txn == 0 && rnd() % 40 == 0) {
			/* A transaction of 1..200 changes. */
			assert_int_equal(mr_store_begin(st), 0);
			saved = m;
			txn = 1 + (unsigned int)(rnd() % 200);
		}
		model_step(st, &m);
		if (txn > 0 && --txn == 0) {
			if (rnd() % 4 == 0) {
				/* The load inside sees it, then it is gone. */
				model_check(st, &m, 0);
				assert_int_equal(mr_store_rollback(st), 0);
				m = saved;
			} else {
				assert_int_equal(mr_store_commit(st), 0);
			}
		}
		if (txn > 0) {
			assert_int_equal(mr_store_compact(st, 10, &left),
					 -EBUSY);
		} else if (rnd() % 25 == 0) {
			i = (unsigned int)(rnd() % (sizeof(chunk) /
						    sizeof(chunk[0])));
			assert_int_equal(mr_store_compact(st, chunk[i],
							  &left), 0);
			assert_int_equal(left, log_rows(e));
		}
		if (step % 997 == 0)
			model_check(st, &m, step % (3 * 997) == 0);
		if (txn == 0 && step % 7919 == 7918) {
			mr_store_close(st);
			st = open_ok(e);
			assert_int_equal(left_of(st), 0);
			model_check(st, &m, 0);
		}
	}
	if (txn > 0)
		assert_int_equal(mr_store_commit(st), 0);
	model_check(st, &m, 1);
	/* Merge everything in small steps: the state never changes. */
	while (left_of(st) > 0) {
		assert_int_equal(mr_store_compact(st, 333, &left), 0);
		model_check(st, &m, 0);
	}
	assert_int_equal(log_rows(e), 0);
	model_check(st, &m, 1);
	mr_store_close(st);
	st = open_ok(e);
	model_check(st, &m, 1);
	mr_store_close(st);
}

static void
test_group_del_pending(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	struct mr_api_group g5 = grp(5, 0, 0), g6 = grp(HIGH | 6, 1, 0);
	struct seen s = {0}, before = {0};
	unsigned int left, left6;
	struct mr_api_member mb;
	size_t i, n5;
	uint64_t u;
	int pass;

	assert_int_equal(mr_store_group_put(st, &g5), 0);
	assert_int_equal(mr_store_group_put(st, &g6), 0);
	assert_int_equal(mr_store_begin(st), 0);
	for (u = 1; u <= 100; u++) {
		mb = mem(5, u, MR_ROLE_MEMBER);
		assert_int_equal(mr_store_member_put(st, &mb), 0);
	}
	assert_int_equal(mr_store_commit(st), 0);
	assert_int_equal(mr_store_compact(st, 1000, &left), 0);
	assert_int_equal(left, 0);
	/* Pending for group 5: role changes, deletes, adds; 6 has some. */
	assert_int_equal(mr_store_begin(st), 0);
	for (u = 1; u <= 50; u++) {
		mb = mem(5, u, MR_ROLE_ADMIN);
		assert_int_equal(mr_store_member_put(st, &mb), 0);
	}
	for (u = 51; u <= 60; u++)
		assert_int_equal(mr_store_member_del(st, 5, u), 0);
	for (u = 101; u <= 120; u++) {
		mb = mem(5, u, MR_ROLE_READONLY);
		assert_int_equal(mr_store_member_put(st, &mb), 0);
	}
	for (u = 1; u <= 7; u++) {
		mb = mem(HIGH | 6, u, MR_ROLE_MEMBER);
		assert_int_equal(mr_store_member_put(st, &mb), 0);
	}
	assert_int_equal(mr_store_member_del(st, HIGH | 6, 3), 0);
	assert_int_equal(mr_store_commit(st), 0);
	left = left_of(st);
	assert_int_equal(left, 50 + 10 + 20 + 7 + 1);
	assert_int_equal(log_rows(e), left);
	load(st, &before);
	n5 = 0;
	for (i = 0; i < before.n; i++)
		n5 += before.rec[i].kind == MR_REC_MEMBER &&
		      before.rec[i].u.mem.group == 5;
	assert_int_equal(n5, 110);

	/* Deleted inside a transaction, then rolled back: all back. */
	assert_int_equal(mr_store_begin(st), 0);
	assert_int_equal(mr_store_group_del(st, 5), 0);
	assert_int_equal(left_of(st), 8);
	load(st, &s);
	for (i = 0; i < s.n; i++)
		assert_false(s.rec[i].kind == MR_REC_MEMBER &&
			     s.rec[i].u.mem.group == 5);
	assert_int_equal(mr_store_member_del(st, 5, 1), -ENOENT);
	mb = mem(5, 1, MR_ROLE_MEMBER);
	assert_int_equal(mr_store_member_put(st, &mb), -ENOENT);
	assert_int_equal(mr_store_rollback(st), 0);
	assert_int_equal(left_of(st), left);
	load(st, &s);
	assert_int_equal(s.n, before.n);
	assert_memory_equal(s.rec, before.rec, s.n * sizeof(*s.rec));

	/* For real: the log keeps only group 6's rows. */
	assert_int_equal(mr_store_group_del(st, 5), 0);
	left6 = left_of(st);
	assert_int_equal(left6, 8);
	assert_int_equal(log_rows(e), 8);
	assert_int_equal(mr_store_member_del(st, 5, 1), -ENOENT);
	assert_int_equal(mr_store_group_del(st, 5), -ENOENT);
	/* Merging what is left does not bring group 5 back... */
	assert_int_equal(mr_store_compact(st, 100, &left), 0);
	assert_int_equal(left, 0);
	/* ...nor does re-creating it. */
	assert_int_equal(mr_store_group_put(st, &g5), 0);
	mb = mem(5, 1000, MR_ROLE_ADMIN);
	assert_int_equal(mr_store_member_put(st, &mb), 0);
	for (pass = 0; pass < 2; pass++) {
		load(st, &s);
		n5 = 0;
		for (i = 0; i < s.n; i++) {
			if (s.rec[i].kind != MR_REC_MEMBER)
				continue;
			if (s.rec[i].u.mem.group == 5) {
				assert_memory_equal(&s.rec[i].u.mem, &mb,
						    sizeof(mb));
				n5++;
			} else {
				assert_true(s.rec[i].u.mem.group == (HIGH | 6));
				assert_true(s.rec[i].u.mem.user != 3);
			}
		}
		assert_int_equal(n5, 1);
		assert_int_equal(s.n, 2 + 1 + 6);
		mr_store_close(st);
		st = open_ok(e);
	}
	free(s.rec);
	free(before.rec);
	mr_store_close(st);
}

static void
test_reopen_pending(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	struct seen s = {0};
	struct fixture f;
	struct model m;
	pid_t pid;
	int status, g, u, i;

	/* Clean close with the fixture's members only in the log. */
	fixture_init(&f);
	assert_int_equal(mr_store_begin(st), 0);
	fixture_put(st, &f);
	assert_int_equal(mr_store_commit(st), 0);
	assert_int_equal(mr_store_member_del(st, 5, HIGH), 0);
	assert_int_equal(mr_store_member_put(st, &f.mem[1]), 0);
	assert_int_equal(left_of(st), 6);
	mr_store_close(st);
	assert_int_equal(log_rows(e), 6);
	st = open_ok(e);
	assert_int_equal(left_of(st), 0);
	load(st, &s);
	fixture_expect(&s, &f);
	mr_store_close(st);
	assert_int_equal(log_rows(e), 0);

	/* kill -9 with the log full: committed changes only in the WAL. */
	teardown(state);
	setup(state);
	e = *state;
	rnd_state = 7;
	model_init(&m);
	st = open_ok(e);
	for (g = 0; g < MG; g++) {
		struct mr_api_group gr = grp(model_gid(g), 0, 0);

		assert_int_equal(mr_store_group_put(st, &gr), 0);
		m.group[g] = 1;
	}
	mr_store_close(st);
	/* The child's changes, replayed on the model by the parent. */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		st = mr_store_open(e->dir, NULL, 0);
		if (st == NULL)
			_exit(2);
		for (i = 0; i < 20; i++) {
			if (mr_store_begin(st) < 0)
				_exit(2);
			for (g = 0; g < 200; g++) {
				struct mr_api_member mb;

				mb.group = model_gid((int)(rnd() % MG));
				mb.user = model_uid((int)(rnd() % MU));
				mb = mem(mb.group, mb.user,
					 (uint8_t)(rnd() % 3));
				if (mr_store_member_put(st, &mb) < 0)
					_exit(2);
			}
			if (mr_store_commit(st) < 0)
				_exit(2);
			if (i == 9 && mr_store_compact(st, 1000, NULL) < 0)
				_exit(2);
		}
		raise(SIGKILL);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (i = 0; i < 20 * 200; i++) {
		g = (int)(rnd() % MG);
		u = (int)(rnd() % MU);
		m.role[g][u] = (int8_t)(rnd() % 3);
	}
	/* 2000 rows, 1000 merged, 2000 more. */
	assert_int_equal(log_rows(e), 3000);
	st = open_ok(e);
	assert_int_equal(left_of(st), 0);
	model_check(st, &m, 1);
	free(s.rec);
	mr_store_close(st);
}

static void
test_migrate_v1(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	struct mr_api_member mb;
	char txt[64];
	struct seen s = {0};
	struct fixture f;
	sqlite3 *db;
	sqlite3_stmt *q;

	fixture_init(&f);
	fixture_put(st, &f);
	assert_int_equal(mr_store_compact(st, 1000, NULL), 0);
	assert_int_equal(left_of(st), 0);
	mr_store_close(st);
	/* Version 1 was version 2 without member_log. */
	sql(e->db, "DROP TABLE member_log; PRAGMA user_version = 1");

	st = open_ok(e);
	load(st, &s);
	fixture_expect(&s, &f);
	/* The log works: a change, a reopen, the change is there. */
	assert_int_equal(mr_store_member_del(st, BIG, 0), 0);
	mb = f.mem[0];
	mb.role = MR_ROLE_READONLY;
	assert_int_equal(mr_store_member_put(st, &mb), 0);
	mr_store_close(st);

	assert_int_equal(sqlite3_open(e->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	snprintf(txt, sizeof(txt), "%s", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	assert_string_equal(txt, "2");
	assert_int_equal(log_rows(e), 2);

	st = open_ok(e);
	load(st, &s);
	assert_int_equal(s.n, 14 - 1);
	expect(&s, 7, MR_REC_MEMBER, &mb, sizeof(mb));
	expect(&s, 9, MR_REC_MEMBER, &f.mem[3], sizeof(f.mem[3]));
	free(s.rec);
	mr_store_close(st);
}

/* PRAGMA q of the file, by a second connection, as a number. */
static long
pragma_of(struct env *e, const char *q)
{
	sqlite3_stmt *s;
	sqlite3 *db;
	long n = -1;

	assert_int_equal(sqlite3_open_v2(e->db, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static char *
read_all(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd;

	assert_int_equal(stat(path, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

/*
 * Compaction frees the log's pages; a file at rest (after close, or after
 * a crash and the next open) holds none, so quick_check sees every page.
 * A file that open refuses is left byte for byte as it was.
 */
static void
test_free_pages(void **state)
{
	struct env *e = *state;
	struct mr_store *st = open_ok(e);
	char *before, *after, wal[320];
	size_t n1, n2;
	struct model m;
	int status, i;
	pid_t pid;

	assert_int_equal(pragma_of(e, "PRAGMA auto_vacuum"), 2);
	rnd_state = 11;
	model_init(&m);
	for (i = 0; i < 20000; i++)
		model_step(st, &m);
	assert_int_equal(mr_store_compact(st, 5000, NULL), 0);
	mr_store_close(st);
	assert_int_equal(pragma_of(e, "PRAGMA freelist_count"), 0);

	/* A crash right after a compaction leaves free pages... */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		st = mr_store_open(e->dir, NULL, 0);
		if (st == NULL || mr_store_begin(st) < 0)
			_exit(2);
		for (i = 0; i < MG * MU; i++) {
			struct mr_api_member mb = mem(model_gid(i / MU),
				model_uid(i % MU), (uint8_t)(i % 3));

			if (m.group[i / MU] && mr_store_member_put(st, &mb) < 0)
				_exit(2);
		}
		if (mr_store_commit(st) < 0 ||
		    mr_store_compact(st, 100000, NULL) < 0)
			_exit(2);
		raise(SIGKILL);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (i = 0; i < MG * MU; i++)
		if (m.group[i / MU])
			m.role[i / MU][i % MU] = (int8_t)(i % 3);
	assert_true(pragma_of(e, "PRAGMA freelist_count") > 0);

	/* ...which a refused open does not touch (nor the WAL)... */
	sql(e->db, "PRAGMA user_version = 99");
	before = read_all(e->db, &n1);
	snprintf(wal, sizeof(wal), "%s-wal", e->db);
	assert_int_equal(access(wal, F_OK), -1);
	open_fails(e, ENOTSUP, "newer mrelayd");
	after = read_all(e->db, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	assert_true(pragma_of(e, "PRAGMA freelist_count") > 0);
	free(before);
	free(after);

	/* ...and the next open gives back. */
	sql(e->db, "PRAGMA user_version = 2");
	st = open_ok(e);
	assert_int_equal(pragma_of(e, "PRAGMA freelist_count"), 0);
	model_check(st, &m, 1);
	mr_store_close(st);
	assert_int_equal(pragma_of(e, "PRAGMA freelist_count"), 0);
}

/*
 * kill -9 while a child opens the store (merging the log the previous
 * child left), or commits batches of changes spread over every group,
 * deletes and re-creates groups, and compacts between batches. Each batch
 * also writes its number as seq mark (0, 0, 0). After each kill, a copy
 * of the files (what a crash leaves: state.db and its WAL) opens, its mark
 * is the last acknowledged batch or the next, and its groups and members
 * are the model's after that batch. The original is left as it was for
 * the next child, log and all.
 */
#define CRASH_BATCH	300

static void
crash_batch(struct mr_store *st, struct model *m, uint64_t b)
{
	uint64_t saved = rnd_state;
	struct mr_api_member mb;
	struct mr_api_group gr;
	int i, g, u, rc;

	rnd_state = b * UINT64_C(0x2545f4914f6cdd1d);
	if (st != NULL && mr_store_begin(st) < 0)
		_exit(4);
	for (i = 0; i < CRASH_BATCH; i++) {
		g = (int)(rnd() % MG);
		u = (int)(rnd() % MU);
		if (!m->group[g]) {
			gr = grp(model_gid(g), 0, 0);
			rc = st != NULL ? mr_store_group_put(st, &gr) : 0;
			m->group[g] = 1;
		} else if (i == 0 && b % 5 == 0) {
			rc = st != NULL ? mr_store_group_del(st,
							     model_gid(g)) : 0;
			m->group[g] = 0;
			memset(m->role[g], -1, sizeof(m->role[g]));
		} else if (m->role[g][u] >= 0 && rnd() % 3 == 0) {
			rc = st != NULL ? mr_store_member_del(st, model_gid(g),
							      model_uid(u)) : 0;
			m->role[g][u] = -1;
		} else {
			mb = mem(model_gid(g), model_uid(u),
				 (uint8_t)(rnd() % 3));
			rc = st != NULL ? mr_store_member_put(st, &mb) : 0;
			m->role[g][u] = (int8_t)mb.role;
		}
		if (rc < 0)
			_exit(4);
	}
	if (st != NULL && (mr_store_seq_put(st, 0, 0, 0, b) < 0 ||
			   mr_store_commit(st) < 0))
		_exit(4);
	rnd_state = saved;
}

static int
crash_mark(void *arg, uint32_t kind, uint64_t a, uint64_t b, uint64_t hwm)
{
	if (kind == 0 && a == 0 && b == 0)
		*(uint64_t *)arg = hwm;
	return 0;
}

static void
copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open(from, O_RDONLY);
	if (in < 0) {
		assert_int_equal(errno, ENOENT);
		return;
	}
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

static void
test_crash_spread(void **state)
{
	static const unsigned int chunk[] = {50, 700, 5000};
	const struct mr_store_visitor marks = {.seq = crash_mark};
	struct env *e = *state, copy;
	uint64_t last = 0, b, mark, acked;
	int it, fds[2], status, opened, in_open = 0, merged = 0;
	char from[400], to[400];
	struct mr_store *st;
	long pending = 0;
	struct model m;
	pid_t pid;

	model_init(&m);
	srand(1234);
	snprintf(copy.dir, sizeof(copy.dir), "%.240s.copy", e->dir);
	snprintf(copy.db, sizeof(copy.db), "%s/state.db", copy.dir);
	for (it = 0; it < 24; it++) {
		assert_int_equal(pipe(fds), 0);
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			st = mr_store_open(e->dir, NULL, 0);
			if (st == NULL)
				_exit(2);
			b = 0;	/* "opened" */
			if (write(fds[1], &b, sizeof(b)) != sizeof(b))
				_exit(2);
			rnd_state = (uint64_t)getpid();
			for (b = last + 1;; b++) {
				crash_batch(st, &m, b);
				if (write(fds[1], &b, sizeof(b)) != sizeof(b))
					_exit(2);
				if (rnd() % 4 == 0 &&
				    mr_store_compact(st, chunk[rnd() % 3],
						     NULL) < 0)
					_exit(5);
			}
		}
		close(fds[1]);
		/* 1 in 3: while it opens (quick_check, merging the log). */
		usleep((useconds_t)(it % 3 == 1 ? rand() % 3000 :
				    5000 + rand() % 60000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("child exited with %d", WEXITSTATUS(status));
		acked = last;
		opened = 0;
		while (read(fds[0], &b, sizeof(b)) == sizeof(b)) {
			if (b == 0)
				opened = 1;
			else
				acked = b;
		}
		close(fds[0]);
		in_open += !opened && pending > 0;

		/* Check a copy; the next child gets the original. */
		mkdir(copy.dir, 0750);
		copy_file(e->db, copy.db);
		snprintf(from, sizeof(from), "%s-wal", e->db);
		snprintf(to, sizeof(to), "%s-wal", copy.db);
		copy_file(from, to);
		/* Killed in open, after it merged (some of) the log. */
		merged += !opened && log_rows(e) < pending;
		pending = log_rows(e);
		st = open_ok(&copy);
		mark = 0;
		assert_int_equal(mr_store_load(st, &marks, &mark), 0);
		if (mark < acked || mark > acked + 1)
			fail_msg("kill %d: batch %" PRIu64 " in the store, %"
				 PRIu64 " acknowledged", it, mark, acked);
		for (b = last + 1; b <= mark; b++)
			crash_batch(NULL, &m, b);
		model_check(st, &m, 0);
		mr_store_close(st);
		nftw(copy.dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
		last = mark;
	}
	print_message("store_test: %d kills (%d while opening over a "
		      "non-empty log, %d of them after merging it), %" PRIu64
		      " batches of %d changes\n", it, in_open, merged, last,
		      CRASH_BATCH);
	assert_true(last > 0);
	assert_true(in_open > 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_roundtrip),
		T(test_replace_semantics),
		T(test_constraints),
		T(test_persistence),
		T(test_rollback),
		T(test_corrupt_garbage),
		T(test_corrupt_empty),
		T(test_corrupt_truncated),
		T(test_corrupt_pages),
		T(test_not_ours),
		T(test_newer_schema),
		T(test_wal_without_db),
		T(test_bad_row),
		T(test_lock),
		T(test_export),
		T(test_many_members),
		T(test_log_model),
		T(test_group_del_pending),
		T(test_reopen_pending),
		T(test_migrate_v1),
		T(test_free_pages),
		T(test_crash_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
