/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the XDP program (mrelay_xdp.bpf.c) and user space
 * (xdp_loader.c, mrelayd, tests): map keys and values, counter indices and
 * the configuration record. Only <linux/types.h> types, so that both
 * clang -target bpf and gcc see the same layout; every struct is padded by
 * hand (no implicit holes) because map key bytes are compared as they are.
 */
#ifndef MRELAY_XDP_H
#define MRELAY_XDP_H

#include <linux/types.h>

/* Names the loader looks up when it adopts a program attached by someone
 * else (DPDK's af_xdp PMD, see README.md). Kernel object names are cut at
 * 15 characters: keep these shorter. xsks_map is the name DPDK requires. */
#define MRX_PROG_NAME		"mrelay_xdp"
#define MRX_MAP_XSKS		"xsks_map"
#define MRX_MAP_CONFIG		"mrx_config"
#define MRX_MAP_COUNTERS	"mrx_counters"
#define MRX_MAP_ALLOW4		"mrx_allow4"
#define MRX_MAP_ALLOW6		"mrx_allow6"
#define MRX_MAP_RATE		"mrx_rate"

#define MRX_MAX_QUEUES		256	/* xsks_map entries (rx queue ids) */
#define MRX_MAX_ADDR4		4	/* relay IPv4 addresses */
#define MRX_MAX_ADDR6		4	/* relay IPv6 addresses */
#define MRX_MAX_PORTS		4	/* relay UDP ports */
#define MRX_MAX_VLAN		2	/* 802.1Q / 802.1ad tags walked */
#define MRX_ALLOW_ENTRIES	16384	/* prefixes per address family */
#define MRX_RATE_ENTRIES	65536	/* sources tracked by the rate limit */
#define MRX_MAX_BURST		1000000000ULL	/* keeps burst * 1e9 in 64 bits */
#define MRX_NSEC		1000000000ULL	/* one token, in nano-tokens */

/*
 * Per-CPU counters, one slot each. Every packet the program sees is counted
 * exactly once, so the sum of all slots is the number of packets.
 *   passed        not relay traffic (or a fragment, or not configured): to
 *                 the kernel
 *   redirected    relay traffic handed to an AF_XDP socket
 *   dropped_unlisted      guard on, source in no allowlist prefix
 *   dropped_ratelimited   guard on, source over its token bucket
 *   malformed     truncated or inconsistent headers: to the kernel, which
 *                 decides (and counts) on its own
 *   no_xsk        relay traffic on an rx queue with no AF_XDP socket in
 *                 xsks_map: to the kernel (bpf_redirect_map's default)
 */
#define MRX_COUNTERS(X) \
	X(PASSED, "passed") \
	X(REDIRECTED, "redirected") \
	X(DROPPED_UNLISTED, "dropped_unlisted") \
	X(DROPPED_RATELIMITED, "dropped_ratelimited") \
	X(MALFORMED, "malformed") \
	X(NO_XSK, "no_xsk")

enum mrx_counter {
#define MRX_X(id, name) MRX_CNT_##id,
	MRX_COUNTERS(MRX_X)
#undef MRX_X
	MRX_CNT_MAX
};

/*
 * The one entry of the mrx_config array. Addresses and ports are in network
 * byte order, as they sit in the packet. A zeroed record (the state right
 * after load) matches no address, so the program redirects nothing until
 * mrelayd has written it.
 */
struct mrx_config {
	__u32 addr4[MRX_MAX_ADDR4];	/* relay IPv4 addresses */
	__u32 addr6[MRX_MAX_ADDR6][4];	/* relay IPv6 addresses */
	__u16 ports[MRX_MAX_PORTS];	/* relay UDP ports */
	__u8 n_addr4;			/* used entries of addr4 */
	__u8 n_addr6;			/* used entries of addr6 */
	__u8 n_ports;			/* used entries of ports */
	__u8 guard;			/* 1: allowlist + rate limit on */
	__u32 pad;
	__u64 rate_pps;		/* tokens per second per source; 0: no limit */
	__u64 burst;		/* bucket size in packets (1..MRX_MAX_BURST) */
};

/* mrx_allow4 key (BPF_MAP_TYPE_LPM_TRIE: prefix length first). */
struct mrx_lpm4_key {
	__u32 prefixlen;	/* 0..32 */
	__u32 addr;		/* network byte order */
};

/* mrx_allow6 key. */
struct mrx_lpm6_key {
	__u32 prefixlen;	/* 0..128 */
	__u8 addr[16];
};

/* mrx_rate key: the source address; IPv4 as ::ffff:a.b.c.d. */
struct mrx_src_key {
	__u8 addr[16];
};

/* mrx_rate value: a token bucket. tokens counts nano-tokens (MRX_NSEC per
 * packet) so that refill needs no division on the fast path. */
struct mrx_bucket {
	__u64 last_ns;		/* bpf_ktime_get_ns() of the last refill */
	__u64 tokens;		/* 0 .. burst * MRX_NSEC */
};

#endif /* MRELAY_XDP_H */
