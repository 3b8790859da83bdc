/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayd configuration file: a YAML mapping, parsed with libyaml into a
 * plain struct of fixed-size fields. docs/configuration.md describes every
 * key; scripts/mrelayd.example.yaml is the commented example.
 *
 * This module depends on libc and libyaml only (no DPDK), so it can be unit
 * tested alone and used by --check-config before EAL starts. Limits that
 * mirror DPDK constants are restated here; the daemon checks them against
 * DPDK with static_assert (e.g. MR_CFG_MAX_LCORE <= RTE_MAX_LCORE).
 *
 * Nothing here allocates memory that the caller must free: lists are fixed
 * arrays with a count, strings are fixed char arrays, NUL-terminated. A
 * string that does not fit is an error, never truncated.
 */
#ifndef MRELAY_CONFIG_H
#define MRELAY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define MR_CFG_MAX_PORTS	16
#define MR_CFG_MAX_ADDRS	16	/* per address family */
#define MR_CFG_MAX_UDP_PORTS	8
#define MR_CFG_MAX_LCORE	128	/* lcore ids 0..127 (RTE_MAX_LCORE) */
#define MR_CFG_PORT_NAME_MAX	64	/* RTE_ETH_NAME_MAX_LEN, incl. NUL */
#define MR_CFG_PATH_MAX		256	/* state_dir, incl. NUL */
#define MR_CFG_SOCK_MAX		108	/* sizeof(sun_path), incl. NUL */
#define MR_CFG_GROUP_MAX	33	/* group name: 32 chars + NUL */
#define MR_CFG_FILE_MAX		(1u << 20)	/* larger files: -EFBIG */

enum mr_port_role {
	MR_PORT_RELAY = 0,	/* receives and transmits */
	MR_PORT_EGRESS = 1,	/* transmits only: no RX queue is polled */
};

/*
 * Same values as DPDK's RTE_LOG_* (pass to rte_log_set_global_level() as
 * is); the syslog(3) priority is the value minus one.
 */
enum mr_log_level {
	MR_LOG_EMERG = 1,
	MR_LOG_ALERT,
	MR_LOG_CRIT,
	MR_LOG_ERR,
	MR_LOG_WARNING,
	MR_LOG_NOTICE,
	MR_LOG_INFO,
	MR_LOG_DEBUG,
};

struct mr_config_port {
	char name[MR_CFG_PORT_NAME_MAX];	/* ethdev name, e.g. net_memif0 */
	enum mr_port_role role;
	uint16_t rxd;		/* RX descriptors per queue, 64..16384 */
	uint16_t txd;		/* TX descriptors per queue, 64..16384 */
	uint16_t mtu;		/* 68..9600 */
	uint8_t has_mac;	/* 1: mac overrides the port's own address */
	uint8_t mac[6];
	uint32_t line;		/* line of this entry in the file, for messages */
};

struct mr_config_relay {
	uint8_t ipv4[MR_CFG_MAX_ADDRS][16];	/* in the first 4 bytes */
	uint8_t ipv6[MR_CFG_MAX_ADDRS][16];
	unsigned int nb_ipv4;
	unsigned int nb_ipv6;	/* nb_ipv4 + nb_ipv6 >= 1 */
	uint16_t udp_ports[MR_CFG_MAX_UDP_PORTS];	/* host order, distinct */
	unsigned int nb_udp_ports;	/* 1..8 */
	uint8_t verify_udp_checksum;	/* 0 or 1 */
};

struct mr_config_workers {
	uint16_t lcores[MR_CFG_MAX_LCORE];	/* distinct, file order */
	unsigned int nb_lcores;		/* 1..128; = RX/TX queues per port */
	uint32_t burst;			/* 1..512 */
	uint32_t tx_drain_us;		/* 1..1000 */
	uint32_t fanout_chunk;		/* 16..65536 */
};

struct mr_config_mempool {
	uint32_t mbufs;		/* per worker, 1023..16777215 */
	uint32_t cache;		/* 0..512 */
	uint32_t hdr_mbufs;	/* per worker, 1023..16777215 */
	uint32_t mbuf_size;	/* data room incl. headroom, 2176..10240 */
};

struct mr_config_control {
	char socket[MR_CFG_SOCK_MAX];	/* absolute path */
	uint32_t mode;			/* 0..0777 */
	char group[MR_CFG_GROUP_MAX];	/* "" : not set (keep our gid) */
};

struct mr_config_limits {
	uint32_t max_endpoints;
	uint32_t max_users;
	uint32_t max_devices_per_user;
	uint32_t max_groups;
	uint32_t max_group_members;
	uint32_t max_memberships;
	uint32_t max_payload;
	uint32_t dedup_window;		/* messages remembered per worker */
	uint32_t max_conversations;	/* direct chats per worker */
	uint32_t max_subscriptions;
};

struct mr_config_log {
	enum mr_log_level level;
};

/* The whole file. Field ranges and defaults: docs/configuration.md. */
struct mr_config {
	struct mr_config_port ports[MR_CFG_MAX_PORTS];
	unsigned int nb_ports;	/* 1..16 after a successful load */
	struct mr_config_relay relay;
	struct mr_config_workers workers;
	struct mr_config_mempool mempool;
	char state_dir[MR_CFG_PATH_MAX];	/* absolute path */
	struct mr_config_control control;
	struct mr_config_limits limits;
	struct mr_config_log log;
};

/*
 * Fill c with every default. Required settings (ports, relay addresses,
 * workers.lcores) are left empty: a defaulted config is not a valid one.
 */
void mr_config_defaults(struct mr_config *c);

/*
 * Read and check the configuration file at path. On success, fill c with the
 * defaults overridden by the file and return 0. On failure, return -errno,
 * leave c unchanged and, if err is not NULL, write into err (NUL-terminated,
 * truncated to errlen) a message of the form
 *	"FILE:LINE: reason"
 * where LINE (1-based) is the line of the offending key or value and reason
 * names the key (e.g. "workers.burst: 600 is out of range 1..512"). YAML
 * syntax errors give libyaml's line and problem text. Errors about the file
 * itself (cannot open, too large) have no line: "FILE: reason".
 *
 * errno values: those of open/read; -EFBIG when the file exceeds
 * MR_CFG_FILE_MAX; -ERANGE for a number or a list length out of range;
 * -ENAMETOOLONG for a string longer than its field; -EINVAL for anything else
 * (syntax, unknown or duplicate key, wrong type, bad address, missing key).
 */
int mr_config_load(const char *path, struct mr_config *c, char *err,
		   size_t errlen);

/*
 * Same as mr_config_load() on a buffer already in memory (len bytes, need not
 * be NUL-terminated); name stands for FILE in messages. Lets the daemon parse
 * an embedded default (scripts/demo.yaml) and the fuzzer feed raw input.
 */
int mr_config_load_buf(const char *name, const char *buf, size_t len,
		       struct mr_config *c, char *err, size_t errlen);

/* "relay" / "egress"; NULL if out of range. */
const char *mr_config_role_name(enum mr_port_role role);

/* "emerg" ... "debug"; NULL if out of range. */
const char *mr_config_log_level_name(enum mr_log_level level);

#endif /* MRELAY_CONFIG_H */
