/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelay control API, version 1: what travels on mrelayd's Unix control
 * socket. Shared by the daemon, libmrelayctl (client library) and mrelayctl.
 * docs/control-api.md describes it in prose.
 *
 * Framing: every request is a struct mr_api_req followed by len bytes of
 * body; every response is a struct mr_api_resp followed by len bytes of
 * body. Host byte order (the socket is local). Each request is answered with
 * exactly one response carrying its id; status is 0 or a negative errno.
 * The first request on a connection must be MR_API_HELLO carrying
 * MR_API_VERSION; a mismatch is answered -EPROTONOSUPPORT and the connection
 * closed. Batch bodies are arrays of the fixed records below: len must be a
 * multiple of the record size (else -EINVAL), and a batch is applied all or
 * nothing in one transaction. Text is NUL-terminated within its fixed field;
 * names accept [A-Za-z0-9_.-] only. Reserved fields must be zero.
 *
 * A change is acknowledged (status 0) only once it is committed to the state
 * database and every worker sees it.
 */
#ifndef MRELAY_API_H
#define MRELAY_API_H

#include <stdint.h>

#define MR_API_VERSION		1
#define MR_API_MAX_BODY		(4u << 20)	/* larger requests: -EMSGSIZE */
#define MR_API_DEFAULT_SOCK	"/run/mrelay/mrelayd.sock"
#define MR_NAME_MAX		32		/* endpoint names, incl. NUL */
#define MR_PATTERN_MAX		256		/* topic patterns, incl. NUL */

struct mr_api_req {
	uint32_t len;		/* body bytes */
	uint16_t type;		/* enum mr_api_type */
	uint16_t flags;		/* must be 0 */
	uint32_t id;		/* echoed in the response */
} __attribute__((packed));

struct mr_api_resp {
	uint32_t len;		/* body bytes */
	uint32_t for_id;
	int32_t status;		/* 0 or -errno */
} __attribute__((packed));

enum mr_api_type {
	MR_API_HELLO = 1,	/* body: struct mr_api_hello; resp: same */
	MR_API_ENDPOINT_SET,	/* body: mr_api_endpoint[]; add or replace */
	MR_API_ENDPOINT_DEL,	/* body: mr_api_endpoint[] (name used) */
	MR_API_ENDPOINT_LIST,	/* resp: mr_api_endpoint[] */
	MR_API_DEVICE_SET,	/* body: mr_api_device[]; add or move */
	MR_API_DEVICE_DEL,	/* body: mr_api_device[] */
	MR_API_USER_SHOW,	/* body: uint64_t user; resp: mr_api_device[] */
	MR_API_GROUP_SET,	/* body: mr_api_group[]; add or change */
	MR_API_GROUP_DEL,	/* body: mr_api_group[] (id used) */
	MR_API_GROUP_SHOW,	/* body: mr_api_group_query; resp: mr_api_group
				 * then mr_api_member[] from offset */
	MR_API_GROUP_LIST,	/* body: mr_api_list_query; resp: mr_api_group[] */
	MR_API_MEMBER_SET,	/* body: mr_api_member[]; add or change role */
	MR_API_MEMBER_DEL,	/* body: mr_api_member[] */
	MR_API_SUB_ADD,		/* body: mr_api_sub[] */
	MR_API_SUB_DEL,		/* body: mr_api_sub[] */
	MR_API_SUB_LIST,	/* body: mr_api_list_query; resp: mr_api_sub[] */
	MR_API_STATS,		/* resp: mr_api_stat[] (name/value pairs) */
	MR_API_EXPORT,		/* body: mr_api_list_query (after = cursor);
				 * resp: mr_api_export then JSON lines text */
	MR_API_DEVICE_LIST,	/* body: mr_api_list_query (after = user id);
				 * resp: mr_api_device[] */
	MR_API_TYPE_MAX
};

struct mr_api_hello {
	uint32_t version;	/* MR_API_VERSION */
	uint32_t reserved;
};

struct mr_api_endpoint {
	char name[MR_NAME_MAX];
	uint8_t ip_version;	/* 4 or 6 */
	uint8_t has_mac;	/* 1: mac is static; 0: resolved by ARP/ND */
	uint16_t udp_port;
	uint16_t vlan;		/* 0: untagged; else VLAN id 1..4094 */
	uint16_t port_id;	/* DPDK port to send on */
	uint8_t addr[16];	/* IPv4 in the first 4 bytes */
	uint8_t mac[6];
	uint16_t reserved;
	uint32_t id;		/* assigned by the daemon; ignored on input */
};

struct mr_api_device {
	uint64_t user;
	uint32_t device;
	uint32_t reserved;
	char endpoint[MR_NAME_MAX];
};

enum mr_group_policy {
	MR_POLICY_EVERYONE = 0,
	MR_POLICY_ADMINS = 1,	/* only admins post */
};

enum mr_member_role {
	MR_ROLE_MEMBER = 0,
	MR_ROLE_ADMIN = 1,
	MR_ROLE_READONLY = 2,
};

struct mr_api_group {
	uint64_t id;
	uint8_t policy;		/* enum mr_group_policy */
	uint8_t reserved[3];
	uint32_t max_members;	/* 0: the daemon's default limit */
	uint32_t nmembers;	/* output only */
	uint32_t reserved2;
	uint64_t next_seq;	/* output only */
};

struct mr_api_member {
	uint64_t group;
	uint64_t user;
	uint8_t role;		/* enum mr_member_role */
	uint8_t reserved[7];
};

struct mr_api_group_query {
	uint64_t id;
	uint32_t offset;	/* first member to return */
	uint32_t limit;		/* 0: as many as fit in MR_API_MAX_BODY */
};

struct mr_api_list_query {
	uint64_t after;		/* resume key: return items after this one */
	uint32_t limit;
	uint32_t reserved;
};

/*
 * EXPORT answers a page of the state as JSON lines, in the format that
 * mrelayctl import reads (docs/control-api.md). Call again with
 * after = next_cursor until done is 1.
 */
struct mr_api_export {
	uint64_t next_cursor;
	uint32_t done;
	uint32_t text_len;	/* JSON lines bytes that follow */
};

struct mr_api_sub {
	char pattern[MR_PATTERN_MAX];
	uint64_t user;
	uint32_t device;
	uint32_t reserved;
};

struct mr_api_stat {
	char name[64];
	uint64_t value;
};

#endif /* MRELAY_API_H */
