/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Unit tests of the mrelayd configuration parser (controlplane/config.c):
 * the shipped example and demo files load with the values they show, the
 * docs carry the example verbatim, defaults fill what a file leaves out, and
 * every class of error gives the exact "FILE:LINE: reason" expected, with
 * the key named and the caller's struct left untouched.
 *
 * Files are written under a mkdtemp() directory removed at the end. The
 * source tree (for scripts/ and docs/) is MR_SOURCE_ROOT, set by meson;
 * the environment variable of the same name overrides it.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char tmpdir[] = "/tmp/mrconfig_test.XXXXXX";
static char cfgpath[sizeof(tmpdir) + 16];

/*
 * The source tree: $MR_SOURCE_ROOT, else -DMR_SOURCE_ROOT, else what
 * __FILE__ says (meson compiles "../tests/unit/config_test.c" from the build
 * directory and runs tests from there).
 */
static const char *
src_root(void)
{
	static const char self[] = "tests/unit/config_test.c";
	static char root[4096];
	const char *r = getenv("MR_SOURCE_ROOT");
	size_t len = strlen(__FILE__);

	if (r != NULL)
		return r;
#ifdef MR_SOURCE_ROOT
	return MR_SOURCE_ROOT;
#endif
	if (len >= sizeof(self) - 1 && len - (sizeof(self) - 1) < sizeof(root) &&
	    strcmp(__FILE__ + len - (sizeof(self) - 1), self) == 0) {
		memcpy(root, __FILE__, len - (sizeof(self) - 1));
		root[len - (sizeof(self) - 1)] = '\0';
		strcat(root, ".");
		return root;
	}
	return ".";
}

static void
src_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", src_root(), rel);
}

/* Load a file of the source tree, which must be valid. */
static void
load_src(const char *rel, struct mr_config *c)
{
	char path[4096], err[512];

	src_path(path, sizeof(path), rel);
	if (mr_config_load(path, c, err, sizeof(err)) != 0)
		fail_msg("%s (set MR_SOURCE_ROOT to the source tree)", err);
}

static int
setup(void **state)
{
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cfgpath, sizeof(cfgpath), "%s/cfg.yaml", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	char path[sizeof(tmpdir) + 300];
	struct dirent *de;
	DIR *d;

	d = opendir(tmpdir);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	return rmdir(tmpdir);
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Write text to cfgpath and load it. */
static int
load_text(const char *text, struct mr_config *c, char *err, size_t errlen)
{
	write_file(cfgpath, text, strlen(text));
	return mr_config_load(cfgpath, c, err, errlen);
}

/*
 * Load text and expect failure rc with message "cfgpath:line: reason", and
 * the struct untouched.
 */
static void
expect_err(const char *text, int rc, unsigned int line, const char *reason)
{
	char err[512], want[1024];
	struct mr_config c, before;

	memset(&c, 0xa5, sizeof(c));
	memcpy(&before, &c, sizeof(c));
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%u: %s", cfgpath, line, reason);
	else
		snprintf(want, sizeof(want), "%s: %s", cfgpath, reason);
	assert_int_equal(load_text(text, &c, err, sizeof(err)), rc);
	assert_string_equal(err, want);
	assert_memory_equal(&c, &before, sizeof(c));
}

/* The smallest valid file, and what it starts with in error cases. */
#define MIN_PORTS	"ports:\n"			/* 1 */ \
			"  - name: net_memif0\n"	/* 2 */
#define MIN_RELAY	"relay:\n"			/* 3 */ \
			"  ipv4: [192.0.2.1]\n"		/* 4 */
#define MIN_WORKERS	"workers:\n"			/* 5 */ \
			"  lcores: [1]\n"		/* 6 */
#define MINIMAL		MIN_PORTS MIN_RELAY MIN_WORKERS

static void
check_default_tail(const struct mr_config *c)
{
	assert_int_equal(c->mempool.mbufs, 65535);
	assert_int_equal(c->mempool.cache, 256);
	assert_int_equal(c->mempool.hdr_mbufs, 65535);
	assert_int_equal(c->mempool.mbuf_size, 2176);
	assert_string_equal(c->state_dir, "/var/lib/mrelay");
	assert_string_equal(c->control.socket, "/run/mrelay/mrelayd.sock");
	assert_int_equal(c->control.mode, 0660);
	assert_string_equal(c->control.group, "");
	assert_int_equal(c->limits.max_endpoints, 4096);
	assert_int_equal(c->limits.max_users, 16777216);
	assert_int_equal(c->limits.max_devices_per_user, 16);
	assert_int_equal(c->limits.max_groups, 2097152);
	assert_int_equal(c->limits.max_group_members, 1000000);
	assert_int_equal(c->limits.max_memberships, 16777216);
	assert_int_equal(c->limits.max_payload, 9000);
	assert_int_equal(c->limits.dedup_window, 1048576);
	assert_int_equal(c->limits.max_conversations, 1048576);
	assert_int_equal(c->limits.max_subscriptions, 1048576);
	assert_int_equal(c->log.level, MR_LOG_INFO);
}

static void
test_defaults(void **state)
{
	struct mr_config c;

	memset(&c, 0xa5, sizeof(c));
	mr_config_defaults(&c);
	assert_int_equal(c.nb_ports, 0);
	assert_int_equal(c.relay.nb_ipv4, 0);
	assert_int_equal(c.relay.nb_ipv6, 0);
	assert_int_equal(c.relay.nb_udp_ports, 1);
	assert_int_equal(c.relay.udp_ports[0], 7400);
	assert_int_equal(c.relay.verify_udp_checksum, 1);
	assert_int_equal(c.workers.nb_lcores, 0);
	assert_int_equal(c.workers.burst, 32);
	assert_int_equal(c.workers.tx_drain_us, 100);
	assert_int_equal(c.workers.fanout_chunk, 1024);
	check_default_tail(&c);
	assert_string_equal(mr_config_role_name(MR_PORT_EGRESS), "egress");
	assert_string_equal(mr_config_log_level_name(MR_LOG_WARNING), "warning");
	assert_null(mr_config_log_level_name(0));
}

static void
test_minimal(void **state)
{
	struct mr_config c;
	char err[512] = "";

	assert_int_equal(load_text(MINIMAL, &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.nb_ports, 1);
	assert_string_equal(c.ports[0].name, "net_memif0");
	assert_int_equal(c.ports[0].role, MR_PORT_RELAY);
	assert_int_equal(c.ports[0].rxd, 1024);
	assert_int_equal(c.ports[0].txd, 1024);
	assert_int_equal(c.ports[0].mtu, 1500);
	assert_int_equal(c.ports[0].has_mac, 0);
	assert_int_equal(c.ports[0].line, 2);
	assert_int_equal(c.relay.nb_ipv4, 1);
	assert_memory_equal(c.relay.ipv4[0],
			    "\xc0\x00\x02\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(c.relay.nb_ipv6, 0);
	assert_int_equal(c.relay.nb_udp_ports, 1);
	assert_int_equal(c.relay.udp_ports[0], 7400);
	assert_int_equal(c.relay.verify_udp_checksum, 1);
	assert_int_equal(c.workers.nb_lcores, 1);
	assert_int_equal(c.workers.lcores[0], 1);
	assert_int_equal(c.workers.burst, 32);
	assert_int_equal(c.workers.tx_drain_us, 100);
	assert_int_equal(c.workers.fanout_chunk, 1024);
	check_default_tail(&c);
}

static void
test_example(void **state)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x10};
	static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};
	struct mr_config c;

	load_src("scripts/mrelayd.example.yaml", &c);
	assert_int_equal(c.nb_ports, 2);
	assert_string_equal(c.ports[0].name, "0000:3b:00.0");
	assert_int_equal(c.ports[0].role, MR_PORT_RELAY);
	assert_int_equal(c.ports[0].rxd, 1024);
	assert_int_equal(c.ports[0].txd, 1024);
	assert_int_equal(c.ports[0].mtu, 1500);
	assert_int_equal(c.ports[0].has_mac, 0);
	assert_string_equal(c.ports[1].name, "0000:3b:00.1");
	assert_int_equal(c.ports[1].role, MR_PORT_EGRESS);
	assert_int_equal(c.ports[1].txd, 2048);
	assert_int_equal(c.ports[1].mtu, 9000);
	assert_int_equal(c.ports[1].has_mac, 1);
	assert_memory_equal(c.ports[1].mac, mac, 6);
	assert_int_equal(c.relay.nb_ipv4, 2);
	assert_memory_equal(c.relay.ipv4[1], "\xc0\x00\x02\x0b", 4);
	assert_int_equal(c.relay.nb_ipv6, 1);
	assert_memory_equal(c.relay.ipv6[0], v6, 16);
	assert_int_equal(c.relay.nb_udp_ports, 1);
	assert_int_equal(c.relay.udp_ports[0], 7400);
	assert_int_equal(c.relay.verify_udp_checksum, 1);
	assert_int_equal(c.workers.nb_lcores, 4);
	assert_int_equal(c.workers.lcores[0], 2);
	assert_int_equal(c.workers.lcores[3], 5);
	assert_int_equal(c.workers.burst, 32);
	assert_int_equal(c.workers.tx_drain_us, 100);
	assert_int_equal(c.workers.fanout_chunk, 1024);
	/* Everything else is written out at its default value. */
	check_default_tail(&c);
}

static void
test_demo(void **state)
{
	struct mr_config c;

	load_src("scripts/demo.yaml", &c);
	assert_int_equal(c.nb_ports, 1);
	assert_string_equal(c.ports[0].name, "net_memif0");
	assert_int_equal(c.ports[0].role, MR_PORT_RELAY);
	assert_int_equal(c.workers.nb_lcores, 1);
	assert_int_equal(c.workers.lcores[0], 1);
	assert_int_equal(c.relay.nb_ipv4, 1);
	assert_int_equal(c.relay.nb_ipv6, 1);
	assert_int_equal(c.relay.udp_ports[0], 7400);
	assert_int_equal(c.mempool.mbufs, 16383);
	assert_int_equal(c.mempool.hdr_mbufs, 16383);
	assert_int_equal(c.limits.max_users, 65536);
	assert_string_equal(c.control.socket, "/run/mrelay/mrelayd.sock");
	assert_int_equal(c.log.level, MR_LOG_INFO);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("%s: %s (set MR_SOURCE_ROOT to the source tree)",
			 path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* docs/configuration.md quotes the example file verbatim. */
static void
test_doc_example(void **state)
{
	char path[4096];
	char *doc, *ex, *start, *end;

	src_path(path, sizeof(path), "docs/configuration.md");
	doc = slurp(path);
	src_path(path, sizeof(path), "scripts/mrelayd.example.yaml");
	ex = slurp(path);
	start = strstr(doc, "## Full example");
	assert_non_null(start);
	start = strstr(start, "```yaml\n");
	assert_non_null(start);
	start += strlen("```yaml\n");
	end = strstr(start, "```\n");
	assert_non_null(end);
	*end = '\0';
	assert_string_equal(start, ex);
	free(doc);
	free(ex);
}

/* Values in every accepted spelling. */
static void
test_spellings(void **state)
{
	static const char text[] =
		"# leading comment\n"
		"ports:\n"
		"  - {name: p0, role: egress, mac: \"AA:bb:CC:00:11:22\"}\n"
		"  - name: 'p1'\n"
		"    rxd: 64\n"
		"    txd: 16384\n"
		"    mtu: 68\n"
		"relay:\n"
		"  ipv4:\n"
		"  ipv6:\n"
		"    - 2001:db8::1\n"
		"    - \"2001:0db8:0:0:0:0:0:2\"\n"
		"  udp_ports: [1, 65535, 7400]\n"
		"  verify_udp_checksum: No\n"
		"workers: {lcores: [0, 127, 5], burst: 512, fanout_chunk: 65536}\n"
		"mempool: {mbufs: 16777215, cache: 0, mbuf_size: 10240}\n"
		"control:\n"
		"  socket: /run/x.sock\n"
		"  mode: 0o640\n"
		"  group: mrelay-ops\n"
		"limits:\n"
		"log: {level: debug}\n";
	struct mr_config c;
	char err[512];

	assert_int_equal(load_text(text, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nb_ports, 2);
	assert_int_equal(c.ports[0].role, MR_PORT_EGRESS);
	assert_int_equal(c.ports[0].has_mac, 1);
	assert_memory_equal(c.ports[0].mac, "\xaa\xbb\xcc\x00\x11\x22", 6);
	assert_int_equal(c.ports[0].line, 3);
	assert_string_equal(c.ports[1].name, "p1");
	assert_int_equal(c.ports[1].rxd, 64);
	assert_int_equal(c.ports[1].txd, 16384);
	assert_int_equal(c.ports[1].mtu, 68);
	assert_int_equal(c.ports[1].line, 4);
	assert_int_equal(c.relay.nb_ipv4, 0);
	assert_int_equal(c.relay.nb_ipv6, 2);
	assert_int_equal(c.relay.ipv6[1][15], 2);
	assert_int_equal(c.relay.nb_udp_ports, 3);
	assert_int_equal(c.relay.udp_ports[1], 65535);
	assert_int_equal(c.relay.verify_udp_checksum, 0);
	assert_int_equal(c.workers.nb_lcores, 3);
	assert_int_equal(c.workers.lcores[1], 127);
	assert_int_equal(c.workers.burst, 512);
	assert_int_equal(c.workers.fanout_chunk, 65536);
	assert_int_equal(c.mempool.mbufs, 16777215);
	assert_int_equal(c.mempool.cache, 0);
	assert_int_equal(c.mempool.hdr_mbufs, 65535);
	assert_int_equal(c.mempool.mbuf_size, 10240);
	assert_string_equal(c.control.socket, "/run/x.sock");
	assert_int_equal(c.control.mode, 0640);
	assert_string_equal(c.control.group, "mrelay-ops");
	assert_int_equal(c.limits.max_users, 16777216);
	assert_int_equal(c.log.level, MR_LOG_DEBUG);

	/* "660" is octal too, as for chmod. */
	assert_int_equal(load_text(MINIMAL "control: {mode: 600}\n", &c, err,
				   sizeof(err)), 0);
	assert_int_equal(c.control.mode, 0600);
}

/* A load starts from the defaults, whatever the struct held before. */
static void
test_reload_starts_clean(void **state)
{
	struct mr_config c;
	char err[512];

	assert_int_equal(load_text(MINIMAL "workers: {lcores: [1, 2]}\n", &c,
				   err, sizeof(err)), -EINVAL);
	memset(&c, 0xa5, sizeof(c));
	c.workers.burst = 7;
	assert_int_equal(load_text(MINIMAL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.workers.burst, 32);
	assert_int_equal(c.relay.nb_ipv6, 0);
	assert_string_equal(c.control.group, "");
}

static void
test_buffer(void **state)
{
	/* Not NUL-terminated: the parser must stop at len. */
	static const char text[] = MINIMAL "log: {level: err}\nXXXX";
	struct mr_config c;
	char err[512];

	assert_int_equal(mr_config_load_buf("embedded", text,
					    sizeof(text) - 1 - 4, &c, err,
					    sizeof(err)), 0);
	assert_int_equal(c.log.level, MR_LOG_ERR);
	assert_int_equal(mr_config_load_buf("embedded", "", 0, &c, err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "embedded:1: empty file, expected a mapping of settings");
	/* NULL err is allowed; a short buffer is cut, still terminated. */
	assert_int_equal(mr_config_load_buf("x", "", 0, &c, NULL, 0), -EINVAL);
	assert_int_equal(mr_config_load_buf("embedded", "", 0, &c, err, 6),
			 -EINVAL);
	assert_string_equal(err, "embed");
}

static void
test_err_unknown_key(void **state)
{
	expect_err(MINIMAL "port: 3\n", -EINVAL, 7,
		   "unknown key 'port' at top level (expected one of: ports, relay, workers, mempool, state_dir, control, limits, log)");
	expect_err(MINIMAL "  burts: 32\n", -EINVAL, 7,
		   "unknown key 'burts' in workers (expected one of: lcores, burst, tx_drain_us, fanout_chunk)");
	expect_err(MIN_PORTS "  - name: p1\n    mtuu: 1500\n"
		   MIN_RELAY MIN_WORKERS, -EINVAL, 4,
		   "unknown key 'mtuu' in ports[1] (expected one of: name, role, rxd, txd, mtu, mac)");
	expect_err(MIN_PORTS "    rx_queues: 2\n" MIN_RELAY MIN_WORKERS,
		   -EINVAL, 3,
		   "ports[0].rx_queues: not configurable: a port has one RX and one TX queue per worker lcore");
	expect_err(MINIMAL "limits: {max_user: 5}\n", -EINVAL, 7,
		   "unknown key 'max_user' in limits (expected one of: max_endpoints, max_users, max_devices_per_user, max_groups, max_group_members, max_memberships, max_payload, dedup_window, max_conversations, max_subscriptions)");
	/* Merge keys are not supported: '<<' is just an unknown key. */
	expect_err(MINIMAL "log: {<<: {level: info}}\n", -EINVAL, 7,
		   "unknown key '<<' in log (expected one of: level)");
	expect_err(MINIMAL "? [a]\n: 1\n", -EINVAL, 7,
		   "top level: a key must be a name, got a list");
}

static void
test_err_wrong_type(void **state)
{
	expect_err(MINIMAL "  burst: fast\n", -EINVAL, 7,
		   "workers.burst: expected an integer, got 'fast'");
	expect_err(MINIMAL "  burst: \"32\"\n", -EINVAL, 7,
		   "workers.burst: expected an integer, got the quoted string '32'");
	expect_err(MINIMAL "  burst:\n", -EINVAL, 7,
		   "workers.burst: expected an integer, got an empty value");
	expect_err(MINIMAL "  burst: [32]\n", -EINVAL, 7,
		   "workers.burst: expected an integer, got a list");
	expect_err(MINIMAL "  burst: 032\n", -EINVAL, 7,
		   "workers.burst: expected a decimal integer (no leading zero), got '032'");
	expect_err(MINIMAL "  burst: 0x20\n", -EINVAL, 7,
		   "workers.burst: expected a decimal integer (no leading zero), got '0x20'");
	expect_err(MINIMAL "  burst: 3.5\n", -EINVAL, 7,
		   "workers.burst: expected an integer, got '3.5'");
	expect_err(MIN_PORTS MIN_RELAY "workers: [1]\n", -EINVAL, 5,
		   "workers: expected a mapping, got a list");
	expect_err("ports: {name: p0}\n" MIN_RELAY MIN_WORKERS, -EINVAL, 1,
		   "ports: expected a list, got a mapping");
	expect_err("ports:\n  - net_memif0\n" MIN_RELAY MIN_WORKERS, -EINVAL,
		   2, "ports[0]: expected a mapping, got 'net_memif0'");
	expect_err(MIN_PORTS "relay: {ipv4: 192.0.2.1}\n" MIN_WORKERS,
		   -EINVAL, 3, "relay.ipv4: expected a list, got '192.0.2.1'");
	expect_err(MIN_PORTS MIN_RELAY "  verify_udp_checksum: 1\n"
		   MIN_WORKERS, -EINVAL, 5,
		   "relay.verify_udp_checksum: expected true or false, got '1'");
	expect_err(MINIMAL "log:\n  level: verbose\n", -EINVAL, 8,
		   "log.level: expected one of emerg|alert|crit|err|warning|notice|info|debug, got 'verbose'");
	expect_err(MIN_PORTS "    role: both\n" MIN_RELAY MIN_WORKERS,
		   -EINVAL, 3,
		   "ports[0].role: expected one of relay|egress, got 'both'");
	expect_err(MINIMAL "control: {mode: 0o8}\n", -EINVAL, 7,
		   "control.mode: expected an octal mode such as 0660, got '0o8'");
	expect_err(MINIMAL "state_dir: [/a]\n", -EINVAL, 7,
		   "state_dir: expected a path, got a list");
	expect_err(MINIMAL "control: {group: \"\"}\n", -EINVAL, 7,
		   "control.group: is empty");
	expect_err("- a\n- b\n", -EINVAL, 1,
		   "top level: expected a mapping, got a list");
}

static void
test_err_range(void **state)
{
	expect_err(MINIMAL "  burst: 600\n", -ERANGE, 7,
		   "workers.burst: 600 is out of range 1..512");
	expect_err(MINIMAL "  burst: 0\n", -ERANGE, 7,
		   "workers.burst: 0 is out of range 1..512");
	expect_err(MINIMAL "  burst: -1\n", -ERANGE, 7,
		   "workers.burst: -1 is out of range 1..512");
	expect_err(MINIMAL "  burst: 99999999999999999999999\n", -ERANGE, 7,
		   "workers.burst: 99999999999999999999999 is out of range 1..512");
	expect_err(MINIMAL "  tx_drain_us: 1001\n", -ERANGE, 7,
		   "workers.tx_drain_us: 1001 is out of range 1..1000");
	expect_err(MINIMAL "  fanout_chunk: 15\n", -ERANGE, 7,
		   "workers.fanout_chunk: 15 is out of range 16..65536");
	expect_err(MIN_PORTS MIN_RELAY "workers:\n  lcores: [1, 128]\n",
		   -ERANGE, 6,
		   "workers.lcores[1]: 128 is out of range 0..127");
	expect_err(MIN_PORTS "    mtu: 9601\n" MIN_RELAY MIN_WORKERS,
		   -ERANGE, 3, "ports[0].mtu: 9601 is out of range 68..9600");
	expect_err(MIN_PORTS "    rxd: 63\n" MIN_RELAY MIN_WORKERS,
		   -ERANGE, 3, "ports[0].rxd: 63 is out of range 64..16384");
	expect_err(MINIMAL "mempool:\n  mbufs: 1022\n", -ERANGE, 8,
		   "mempool.mbufs: 1022 is out of range 1023..16777215");
	expect_err(MINIMAL "mempool:\n  cache: 513\n", -ERANGE, 8,
		   "mempool.cache: 513 is out of range 0..512");
	expect_err(MINIMAL "mempool:\n  mbuf_size: 2048\n", -ERANGE, 8,
		   "mempool.mbuf_size: 2048 is out of range 2176..10240");
	expect_err(MINIMAL "limits:\n  max_users: 1073741825\n", -ERANGE, 8,
		   "limits.max_users: 1073741825 is out of range 1..1073741824");
	expect_err(MINIMAL "limits:\n  max_payload: 65001\n", -ERANGE, 8,
		   "limits.max_payload: 65001 is out of range 0..65000");
	expect_err(MINIMAL "limits:\n  dedup_window: 1023\n", -ERANGE, 8,
		   "limits.dedup_window: 1023 is out of range 1024..16777216");
	expect_err(MINIMAL "control:\n  mode: 01777\n", -ERANGE, 8,
		   "control.mode: 01777 is out of range 0..0777");
	expect_err(MIN_PORTS "relay:\n  ipv4: [192.0.2.1]\n  udp_ports: [0]\n"
		   MIN_WORKERS, -ERANGE, 5,
		   "relay.udp_ports[0]: 0 is out of range 1..65535");
	expect_err(MIN_PORTS "relay:\n  ipv4: [192.0.2.1]\n  udp_ports: []\n"
		   MIN_WORKERS, -ERANGE, 5,
		   "relay.udp_ports: needs 1..8 entries, got 0");
	expect_err(MIN_PORTS "relay:\n  ipv4: [192.0.2.1]\n"
		   "  udp_ports: [1, 2, 3, 4, 5, 6, 7, 8,\n    9]\n"
		   MIN_WORKERS, -ERANGE, 6,
		   "relay.udp_ports: more than 8 entries");
	expect_err("ports: []\n" MIN_RELAY MIN_WORKERS, -ERANGE, 1,
		   "ports: needs 1..16 entries, got 0");
	expect_err(MIN_PORTS MIN_RELAY "workers:\n  lcores:\n", -ERANGE, 6,
		   "workers.lcores: needs 1..128 entries, got 0");
}

static void
test_err_too_many_ports(void **state)
{
	char text[2048];
	size_t n = 0;
	int i;

	n += snprintf(text + n, sizeof(text) - n, "ports:\n");
	for (i = 0; i < 17; i++)	/* port i on line i + 2 */
		n += snprintf(text + n, sizeof(text) - n, "  - name: p%d\n", i);
	snprintf(text + n, sizeof(text) - n, MIN_RELAY MIN_WORKERS);
	expect_err(text, -ERANGE, 18, "ports: more than 16 entries");
}

static void
test_err_ip(void **state)
{
	expect_err(MIN_PORTS "relay:\n  ipv4: [192.0.2.1, 10.0.0.300]\n"
		   MIN_WORKERS, -EINVAL, 4,
		   "relay.ipv4[1]: '10.0.0.300' is not an IPv4 address");
	expect_err(MIN_PORTS "relay:\n  ipv4:\n    - 192.0.2.1/24\n"
		   MIN_WORKERS, -EINVAL, 5,
		   "relay.ipv4[0]: '192.0.2.1/24' is not an IPv4 address");
	expect_err(MIN_PORTS "relay:\n  ipv4:\n    - \"2001:db8::1\"\n"
		   MIN_WORKERS, -EINVAL, 5,
		   "relay.ipv4[0]: '2001:db8::1' is not an IPv4 address");
	expect_err(MIN_PORTS "relay:\n  ipv6:\n    - \"2001:db8::g\"\n"
		   MIN_WORKERS, -EINVAL, 5,
		   "relay.ipv6[0]: '2001:db8::g' is not an IPv6 address");
	expect_err(MIN_PORTS "relay:\n  ipv6: [\"192.0.2.1\"]\n" MIN_WORKERS,
		   -EINVAL, 4,
		   "relay.ipv6[0]: '192.0.2.1' is not an IPv6 address");
	expect_err(MIN_PORTS "relay:\n  ipv4: [224.0.0.1]\n" MIN_WORKERS,
		   -EINVAL, 4,
		   "relay.ipv4[0]: 224.0.0.1 is not a unicast address");
	expect_err(MIN_PORTS "relay:\n  ipv4: [0.0.0.0]\n" MIN_WORKERS,
		   -EINVAL, 4,
		   "relay.ipv4[0]: 0.0.0.0 is not a unicast address");
	expect_err(MIN_PORTS "relay:\n  ipv4: [127.0.0.1]\n" MIN_WORKERS,
		   -EINVAL, 4,
		   "relay.ipv4[0]: 127.0.0.1 is a loopback address");
	expect_err(MIN_PORTS "relay:\n  ipv6: [\"ff02::1\"]\n" MIN_WORKERS,
		   -EINVAL, 4,
		   "relay.ipv6[0]: ff02::1 is not a unicast address");
	expect_err(MIN_PORTS "relay:\n  ipv6: [\"::ffff:192.0.2.1\"]\n"
		   MIN_WORKERS, -EINVAL, 4,
		   "relay.ipv6[0]: ::ffff:192.0.2.1 is IPv4-mapped, list it under relay.ipv4");
	expect_err(MIN_PORTS "relay:\n  ipv6:\n    - 2001:db8::1\n"
		   "    - 2001:db8:0::1\n" MIN_WORKERS, -EINVAL, 6,
		   "relay.ipv6[1]: 2001:db8:0::1 is listed twice (also relay.ipv6[0])");
	expect_err(MIN_PORTS "relay:\n  ipv4: []\n  ipv6:\n" MIN_WORKERS,
		   -EINVAL, 3,
		   "relay: needs at least one address in ipv4 or ipv6");
}

static void
test_err_mac(void **state)
{
	expect_err(MIN_PORTS "    mac: \"02:00:00:00:00\"\n" MIN_RELAY
		   MIN_WORKERS, -EINVAL, 3,
		   "ports[0].mac: '02:00:00:00:00' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
	expect_err(MIN_PORTS "    mac: 02-00-00-00-00-01\n" MIN_RELAY
		   MIN_WORKERS, -EINVAL, 3,
		   "ports[0].mac: '02-00-00-00-00-01' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
	expect_err(MIN_PORTS "    mac: \"0g:00:00:00:00:01\"\n" MIN_RELAY
		   MIN_WORKERS, -EINVAL, 3,
		   "ports[0].mac: '0g:00:00:00:00:01' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
	expect_err(MIN_PORTS "    mac: \"01:00:5e:00:00:01\"\n" MIN_RELAY
		   MIN_WORKERS, -EINVAL, 3,
		   "ports[0].mac: 01:00:5e:00:00:01 is a multicast address, a port needs a unicast one");
	expect_err(MIN_PORTS "    mac: \"00:00:00:00:00:00\"\n" MIN_RELAY
		   MIN_WORKERS, -EINVAL, 3,
		   "ports[0].mac: 00:00:00:00:00:00 is not a usable address");
}

static void
test_err_strings(void **state)
{
	char text[1024], want[512], longp[200];
	struct mr_config c;
	char err[512];

	/* Socket path: 107 bytes fit in sun_path with the NUL, 108 do not. */
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[107] = '\0';
	snprintf(text, sizeof(text), MINIMAL "control:\n  socket: %s\n", longp);
	assert_int_equal(load_text(text, &c, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.control.socket), 107);
	longp[107] = 'a';
	longp[108] = '\0';
	snprintf(text, sizeof(text), MINIMAL "control:\n  socket: %s\n", longp);
	snprintf(want, sizeof(want),
		 "control.socket: '%.48s...' is 108 bytes, over the limit of 107 (sizeof(sun_path) is 108, incl. the NUL)",
		 longp);
	expect_err(text, -ENAMETOOLONG, 8, want);

	/* Port names: 63 bytes fit (RTE_ETH_NAME_MAX_LEN), 64 do not. */
	memset(longp, 'n', 64);
	longp[64] = '\0';
	snprintf(text, sizeof(text),
		 "ports:\n  - name: %s\n" MIN_RELAY MIN_WORKERS, longp);
	snprintf(want, sizeof(want),
		 "ports[0].name: '%.48s...' is 64 bytes, over the limit of 63",
		 longp);
	expect_err(text, -ENAMETOOLONG, 2, want);

	expect_err(MINIMAL "control:\n  group: abcdefghijabcdefghijabcdefghijabc\n",
		   -ENAMETOOLONG, 8,
		   "control.group: 'abcdefghijabcdefghijabcdefghijabc' is 33 bytes, over the limit of 32");
	expect_err(MINIMAL "control:\n  group: -wheel\n", -EINVAL, 8,
		   "control.group: '-wheel' is not a group name ([A-Za-z0-9._-], not starting with '-')");
	expect_err("ports:\n  - name: \"net_memif0,role=server\"\n"
		   MIN_RELAY MIN_WORKERS, -EINVAL, 2,
		   "ports[0].name: 'net_memif0,role=server' has devargs; give them to EAL (--vdev, -a) and name the port only");
	expect_err("ports:\n  - name: \"net\\tmemif\"\n" MIN_RELAY MIN_WORKERS,
		   -EINVAL, 2,
		   "ports[0].name: 'net?memif' contains a control character");
	expect_err("ports:\n  - name: \"net\\0memif\"\n" MIN_RELAY MIN_WORKERS,
		   -EINVAL, 2,
		   "ports[0].name: 'net?memif' contains a control character");
}

static void
test_err_relative_path(void **state)
{
	expect_err(MINIMAL "state_dir: var/lib/mrelay\n", -EINVAL, 7,
		   "state_dir: 'var/lib/mrelay' is not an absolute path");
	expect_err(MINIMAL "control:\n  socket: mrelayd.sock\n", -EINVAL, 8,
		   "control.socket: 'mrelayd.sock' is not an absolute path");
}

static void
test_err_duplicate(void **state)
{
	expect_err(MINIMAL "  burst: 32\n  burst: 64\n", -EINVAL, 8,
		   "workers.burst: duplicate key (first at line 7)");
	expect_err(MINIMAL "workers:\n  lcores: [2]\n", -EINVAL, 7,
		   "workers: duplicate key (first at line 5)");
	expect_err(MINIMAL "relay: {ipv4: [192.0.2.2]}\n", -EINVAL, 7,
		   "relay: duplicate key (first at line 3)");
	expect_err(MINIMAL "\"workers\": {}\n", -EINVAL, 7,
		   "workers: duplicate key (first at line 5)");
	expect_err(MIN_PORTS "  - name: net_memif0\n" MIN_RELAY MIN_WORKERS,
		   -EINVAL, 3,
		   "ports[1].name: 'net_memif0' is already ports[0] (line 2)");
	expect_err(MIN_PORTS MIN_RELAY "workers:\n  lcores: [1, 2, 1]\n",
		   -EINVAL, 6,
		   "workers.lcores[2]: 1 is listed twice (also workers.lcores[0])");
}

static void
test_err_syntax(void **state)
{
	expect_err(MIN_PORTS "relay: ipv4: [192.0.2.1]\n", -EINVAL, 3,
		   "mapping values are not allowed in this context");
	expect_err(MINIMAL "log:\n\tlevel: info\n", -EINVAL, 8,
		   "found character that cannot start any token (while scanning for the next token at line 8)");
	expect_err(MIN_PORTS "relay:\n  ipv6: [::1]\n" MIN_WORKERS, -EINVAL, 4,
		   "did not find expected node content (while parsing a flow node at line 4)");
	expect_err(MINIMAL "log: {level: info\n", -EINVAL, 8,
		   "did not find expected ',' or '}' (while parsing a flow mapping at line 7)");
	expect_err(MINIMAL "log: *nowhere\n", -EINVAL, 7,
		   "found undefined alias");
	expect_err(MINIMAL "log: \xff\n", -EINVAL, 7,
		   "invalid leading UTF-8 octet (byte 0xff)");
	expect_err(MINIMAL "---\nlog: {}\n", -EINVAL, 7,
		   "a second YAML document; only one is allowed");
}

static void
test_err_empty(void **state)
{
	expect_err("", -EINVAL, 1, "empty file, expected a mapping of settings");
	expect_err("# only a comment\n\n", -EINVAL, 1,
		   "empty file, expected a mapping of settings");
	expect_err("---\n...\n", -EINVAL, 2,
		   "empty document, expected a mapping of settings");
	expect_err("just text\n", -EINVAL, 1,
		   "top level: expected a mapping, got 'just text'");
}

static void
test_err_missing(void **state)
{
	expect_err("# c\n" MIN_RELAY MIN_WORKERS, -EINVAL, 2,
		   "missing required key 'ports'");
	expect_err(MIN_PORTS MIN_WORKERS, -EINVAL, 1,
		   "missing required key 'relay'");
	expect_err(MIN_PORTS MIN_RELAY "workers:\n  burst: 32\n", -EINVAL, 5,
		   "workers: missing required key 'lcores'");
	expect_err(MIN_PORTS MIN_RELAY "workers:\n", -EINVAL, 5,
		   "workers: missing required key 'lcores'");
	expect_err("ports:\n  - role: relay\n" MIN_RELAY MIN_WORKERS, -EINVAL,
		   2, "ports[0]: missing required key 'name'");
	expect_err("ports:\n  - name: p0\n    role: egress\n" MIN_RELAY
		   MIN_WORKERS, -EINVAL, 1,
		   "ports: no port has role relay, nothing would be received");
}

static void
test_err_file(void **state)
{
	char path[sizeof(tmpdir) + 32], err[512], want[600];
	struct mr_config c;

	snprintf(path, sizeof(path), "%s/missing.yaml", tmpdir);
	assert_int_equal(mr_config_load(path, &c, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot open: %s", path,
		 strerror(ENOENT));
	assert_string_equal(err, want);
	assert_int_equal(mr_config_load(tmpdir, &c, err, sizeof(err)), -EISDIR);
}

static void
test_err_too_big(void **state)
{
	size_t len = MR_CFG_FILE_MAX + 1;
	char *text = malloc(len);
	struct mr_config c;
	char err[512], want[600];

	assert_non_null(text);
	memset(text, '\n', len);
	write_file(cfgpath, text, len);
	free(text);
	assert_int_equal(mr_config_load(cfgpath, &c, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than %u bytes", cfgpath,
		 MR_CFG_FILE_MAX);
	assert_string_equal(err, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_demo),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_reload_starts_clean),
		cmocka_unit_test(test_buffer),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_wrong_type),
		cmocka_unit_test(test_err_range),
		cmocka_unit_test(test_err_too_many_ports),
		cmocka_unit_test(test_err_ip),
		cmocka_unit_test(test_err_mac),
		cmocka_unit_test(test_err_strings),
		cmocka_unit_test(test_err_relative_path),
		cmocka_unit_test(test_err_duplicate),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_empty),
		cmocka_unit_test(test_err_missing),
		cmocka_unit_test(test_err_file),
		cmocka_unit_test(test_err_too_big),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
