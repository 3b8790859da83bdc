// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * mrelay's XDP program for the AF_XDP ports of mrelayd.
 *
 * UDP to one of the relay's addresses and ports goes to the AF_XDP socket of
 * the packet's rx queue (xsks_map); everything else goes to the kernel.
 * With the guard on, relay traffic must also come from an allowlisted
 * prefix and stay within its source's token bucket, or it is dropped here.
 *
 * Parsing is strict about bounds and lenient about verdicts: anything the
 * program cannot read fully (truncated, IHL < 5, lengths that do not fit) is
 * passed to the kernel and counted as malformed; it is never redirected and
 * never dropped. IPv4 fragments go to the kernel too (the relay does not
 * reassemble, docs/protocol.md section 1). IPv6 extension headers are not
 * walked: only a UDP header right after the fixed header is relay traffic.
 *
 * Every packet is counted exactly once in mrx_counters (see mrelay_xdp.h).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "mrelay_xdp.h"

/* AF_XDP sockets of mrelayd's queues, by rx queue id; the name is DPDK's. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, MRX_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* Relay addresses, ports, guard switch and rate: one struct mrx_config. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mrx_config);
} mrx_config SEC(".maps");

/* Packet counters by enum mrx_counter, one copy per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MRX_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} mrx_counters SEC(".maps");

/* Allowlisted IPv4 gateway source prefixes (value unused, 0). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MRX_ALLOW_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mrx_lpm4_key);
	__type(value, __u32);
} mrx_allow4 SEC(".maps");

/* Allowlisted IPv6 gateway source prefixes (value unused, 0). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MRX_ALLOW_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mrx_lpm6_key);
	__type(value, __u32);
} mrx_allow6 SEC(".maps");

/* Token bucket per allowlisted source; LRU so spoofed sources cannot fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MRX_RATE_ENTRIES);
	__type(key, struct mrx_src_key);
	__type(value, struct mrx_bucket);
} mrx_rate SEC(".maps");

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

static __always_inline int
count(__u32 idx, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&mrx_counters, &idx);

	if (c != NULL)
		*c += 1;
	return verdict;
}

static __always_inline int
port_is_relay(const struct mrx_config *cfg, __u16 port)
{
	for (int i = 0; i < MRX_MAX_PORTS; i++) {
		if (i >= cfg->n_ports)
			break;
		if (cfg->ports[i] == port)
			return 1;
	}
	return 0;
}

/*
 * Token bucket of one source. Returns 1 if the packet may go on. Buckets are
 * shared by all CPUs and updated without a lock: two CPUs taking a token
 * from the same source at the same instant may both succeed, so the limit
 * is exact per CPU and approximate (by at most one packet per CPU per race)
 * across them. A source seen for the first time, or evicted by the LRU and
 * seen again, starts with a full bucket.
 */
static __always_inline int
rate_ok(const struct mrx_config *cfg, const struct mrx_src_key *key)
{
	__u64 rate = cfg->rate_pps, burst = cfg->burst;
	__u64 now, fill, tokens, elapsed;
	struct mrx_bucket *b;

	if (rate == 0)
		return 1;
	if (burst == 0)
		burst = 1;
	if (burst > MRX_MAX_BURST)
		burst = MRX_MAX_BURST;
	fill = burst * MRX_NSEC;
	now = bpf_ktime_get_ns();

	b = bpf_map_lookup_elem(&mrx_rate, key);
	if (b == NULL) {
		struct mrx_bucket nb = {
			.last_ns = now,
			.tokens = fill - MRX_NSEC,
		};

		/* NOEXIST: a CPU that raced us keeps its bucket. */
		bpf_map_update_elem(&mrx_rate, key, &nb, BPF_NOEXIST);
		return 1;
	}

	tokens = b->tokens;
	elapsed = now > b->last_ns ? now - b->last_ns : 0;
	/* elapsed * rate cannot overflow: elapsed < fill / rate here. */
	if (elapsed >= fill / rate)
		tokens = fill;
	else
		tokens += elapsed * rate;
	if (tokens > fill)
		tokens = fill;
	b->last_ns = now;
	if (tokens < MRX_NSEC) {
		b->tokens = tokens;
		return 0;
	}
	b->tokens = tokens - MRX_NSEC;
	return 1;
}

/* Relay traffic from key's source: guard, then the AF_XDP socket. */
static __always_inline int
to_relay(struct xdp_md *ctx, const struct mrx_config *cfg,
	 const struct mrx_src_key *key, int listed)
{
	int act;

	if (cfg->guard) {
		if (!listed)
			return count(MRX_CNT_DROPPED_UNLISTED, XDP_DROP);
		if (!rate_ok(cfg, key))
			return count(MRX_CNT_DROPPED_RATELIMITED, XDP_DROP);
	}
	/* No socket on this queue: the flags' low bits (XDP_PASS) are
	 * returned instead of XDP_REDIRECT. */
	act = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT)
		return count(MRX_CNT_REDIRECTED, act);
	return count(MRX_CNT_NO_XSK, act);
}

static __always_inline int
handle_ip4(struct xdp_md *ctx, const struct mrx_config *cfg, void *l3,
	   void *end)
{
	struct iphdr *iph = l3;
	struct mrx_lpm4_key lkey;
	struct mrx_src_key skey = {};
	struct udphdr *uh;
	__u32 hlen, tot, ulen;
	int i, ours = 0, listed = 1;

	if ((void *)(iph + 1) > end)
		return count(MRX_CNT_MALFORMED, XDP_PASS);
	if (iph->version != 4 || iph->ihl < 5)
		return count(MRX_CNT_MALFORMED, XDP_PASS);
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	/* Bytes after tot_len are Ethernet padding and are fine; a tot_len
	 * longer than what arrived is a truncated packet. */
	if (tot < hlen || l3 + tot > end)
		return count(MRX_CNT_MALFORMED, XDP_PASS);
	if (iph->frag_off & bpf_htons(0x3fff))	/* MF or an offset */
		return count(MRX_CNT_PASSED, XDP_PASS);
	if (iph->protocol != IPPROTO_UDP)
		return count(MRX_CNT_PASSED, XDP_PASS);

	uh = l3 + hlen;
	if ((void *)(uh + 1) > end || hlen + sizeof(*uh) > tot)
		return count(MRX_CNT_MALFORMED, XDP_PASS);
	ulen = bpf_ntohs(uh->len);
	if (ulen < sizeof(*uh) || ulen > tot - hlen)
		return count(MRX_CNT_MALFORMED, XDP_PASS);

	for (i = 0; i < MRX_MAX_ADDR4; i++) {
		if (i >= cfg->n_addr4)
			break;
		if (cfg->addr4[i] == iph->daddr) {
			ours = 1;
			break;
		}
	}
	if (!ours || !port_is_relay(cfg, uh->dest))
		return count(MRX_CNT_PASSED, XDP_PASS);

	if (cfg->guard) {
		lkey.prefixlen = 32;
		lkey.addr = iph->saddr;
		listed = bpf_map_lookup_elem(&mrx_allow4, &lkey) != NULL;
		skey.addr[10] = 0xff;
		skey.addr[11] = 0xff;
		__builtin_memcpy(&skey.addr[12], &iph->saddr, 4);
	}
	return to_relay(ctx, cfg, &skey, listed);
}

static __always_inline int
addr6_eq(const __u32 *a, const struct in6_addr *b)
{
	return a[0] == b->in6_u.u6_addr32[0] && a[1] == b->in6_u.u6_addr32[1] &&
		a[2] == b->in6_u.u6_addr32[2] && a[3] == b->in6_u.u6_addr32[3];
}

static __always_inline int
handle_ip6(struct xdp_md *ctx, const struct mrx_config *cfg, void *l3,
	   void *end)
{
	struct ipv6hdr *ip6 = l3;
	struct mrx_lpm6_key lkey;
	struct mrx_src_key skey;
	struct udphdr *uh;
	__u32 plen, ulen;
	int i, ours = 0, listed = 1;

	if ((void *)(ip6 + 1) > end)
		return count(MRX_CNT_MALFORMED, XDP_PASS);
	if (ip6->version != 6)
		return count(MRX_CNT_MALFORMED, XDP_PASS);
	plen = bpf_ntohs(ip6->payload_len);
	if ((void *)(ip6 + 1) + plen > end)
		return count(MRX_CNT_MALFORMED, XDP_PASS);
	/* Extension headers (and jumbograms, which need hop-by-hop) are
	 * the kernel's business. */
	if (ip6->nexthdr != IPPROTO_UDP)
		return count(MRX_CNT_PASSED, XDP_PASS);

	uh = (void *)(ip6 + 1);
	if ((void *)(uh + 1) > end || plen < sizeof(*uh))
		return count(MRX_CNT_MALFORMED, XDP_PASS);
	ulen = bpf_ntohs(uh->len);
	if (ulen < sizeof(*uh) || ulen > plen)
		return count(MRX_CNT_MALFORMED, XDP_PASS);

	for (i = 0; i < MRX_MAX_ADDR6; i++) {
		if (i >= cfg->n_addr6)
			break;
		if (addr6_eq(cfg->addr6[i], &ip6->daddr)) {
			ours = 1;
			break;
		}
	}
	if (!ours || !port_is_relay(cfg, uh->dest))
		return count(MRX_CNT_PASSED, XDP_PASS);

	if (cfg->guard) {
		lkey.prefixlen = 128;
		__builtin_memcpy(lkey.addr, &ip6->saddr, 16);
		listed = bpf_map_lookup_elem(&mrx_allow6, &lkey) != NULL;
		__builtin_memcpy(skey.addr, &ip6->saddr, 16);
	}
	return to_relay(ctx, cfg, &skey, listed);
}

SEC("xdp")
int
mrelay_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	const struct mrx_config *cfg;
	__u32 zero = 0;
	__be16 proto;
	void *l3;

	if ((void *)(eth + 1) > end)
		return count(MRX_CNT_MALFORMED, XDP_PASS);
	proto = eth->h_proto;
	l3 = eth + 1;
	for (int i = 0; i < MRX_MAX_VLAN; i++) {
		struct vlan_tag *tag = l3;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 1) > end)
			return count(MRX_CNT_MALFORMED, XDP_PASS);
		proto = tag->proto;
		l3 = tag + 1;
	}
	/* A third tag is not relay traffic: proto is still a TPID and
	 * falls through to "passed" below. */

	cfg = bpf_map_lookup_elem(&mrx_config, &zero);
	if (cfg == NULL)
		return count(MRX_CNT_PASSED, XDP_PASS);
	if (proto == bpf_htons(ETH_P_IP))
		return handle_ip4(ctx, cfg, l3, end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return handle_ip6(ctx, cfg, l3, end);
	return count(MRX_CNT_PASSED, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
