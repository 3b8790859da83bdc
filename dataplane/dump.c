/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelay-dump: decode a pcap of mrelay traffic with the dataplane's own
 * parser and print every frame, or why a packet or frame was dropped.
 *
 *   mrelay-dump [--no-verify-csum] FILE.pcap
 *
 * Exit status: 0 if every packet parsed, 1 if any was dropped, 2 on usage
 * or I/O errors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <rte_mbuf.h>

#include "parse.h"

static const char *const type_names[MR_FT_MAX] = {
	[MR_FT_MSG] = "MSG", [MR_FT_ACK] = "ACK", [MR_FT_REJECT] = "REJECT",
	[MR_FT_RECEIPT] = "RECEIPT", [MR_FT_NAK] = "NAK",
	[MR_FT_PING] = "PING", [MR_FT_PONG] = "PONG",
};

static const char *const kind_names[MR_DST_MAX] = {
	[MR_DST_GROUP] = "group", [MR_DST_USER] = "user",
	[MR_DST_TOPIC] = "topic",
};

static void
print_addr(const struct mr_pkt_info *pi, const uint8_t *a, uint16_t port)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(pi->ip_version == 4 ? AF_INET : AF_INET6, a, s, sizeof(s));
	printf(pi->ip_version == 4 ? "%s:%u" : "[%s]:%u", s, port);
}

static void
print_frame(const struct rte_mbuf *m, const struct mr_frame_view *v)
{
	char subj[MR_SUBJECT_MAX + 1] = "";
	const char *kind = v->dst_kind < MR_DST_MAX && kind_names[v->dst_kind] ?
		kind_names[v->dst_kind] : "-";

	printf("  %-7s len %u flags 0x%02x", type_names[v->type], v->len,
	       v->flags);
	switch (v->type) {
	case MR_FT_MSG:
		if (v->subject_len != 0) {
			const void *sp = rte_pktmbuf_read(m, v->subject_off,
							  v->subject_len, subj);

			memmove(subj, sp, v->subject_len);
			subj[v->subject_len] = '\0';
		}
		printf(" from %" PRIu64 "/%u id %" PRIu64 " to %s %" PRIu64
		       "%s%s seq %" PRIu64 " rcpt %" PRIu64 "/%u payload %u\n",
		       v->user, v->device, v->msg_id, kind, v->dst_id,
		       subj[0] ? " subject " : "", subj, v->seq, v->rcpt_user,
		       v->rcpt_device, v->payload_len);
		break;
	case MR_FT_ACK:
	case MR_FT_REJECT:
		printf(" to %" PRIu64 "/%u id %" PRIu64 " %s %" PRIu64
		       " seq %" PRIu64 " reason %u\n", v->user, v->device,
		       v->msg_id, kind, v->dst_id, v->seq, v->reason);
		break;
	case MR_FT_RECEIPT:
		printf(" %s from %" PRIu64 "/%u to %" PRIu64 "/%u %s %" PRIu64
		       " seq %" PRIu64 "\n",
		       v->rcpt_kind == MR_RCPT_READ ? "read" : "delivered",
		       v->user, v->device, v->rcpt_user, v->rcpt_device, kind,
		       v->dst_id, v->seq);
		break;
	case MR_FT_NAK:
		printf(" by %" PRIu64 "/%u %s %" PRIu64 " seq %" PRIu64
		       "..%" PRIu64 "\n", v->user, v->device, kind, v->dst_id,
		       v->seq, v->seq_end);
		break;
	default:
		printf(" token %" PRIu64 " sender_ts %" PRIu64 " relay_ts %"
		       PRIu64 "\n", v->msg_id, v->sender_ts, v->ts);
	}
}

int
main(int argc, char **argv)
{
	struct mr_parse_cfg cfg = {.verify_l4_csum = 1};
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	struct mr_pkt_info pi;
	struct mr_frame_iter it;
	struct mr_frame_view v;
	struct rte_mbuf m;
	unsigned int reason, npkt = 0, nbad = 0;
	const char *path;
	pcap_t *p;
	int r, argi = 1;

	if (argc > 1 && strcmp(argv[1], "--no-verify-csum") == 0) {
		cfg.verify_l4_csum = 0;
		argi++;
	}
	if (argc != argi + 1) {
		fprintf(stderr, "usage: mrelay-dump [--no-verify-csum] FILE.pcap\n");
		return 2;
	}
	path = argv[argi];
	p = pcap_open_offline(path, errbuf);
	if (p == NULL) {
		fprintf(stderr, "mrelay-dump: %s\n", errbuf);
		return 2;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "mrelay-dump: %s: not an Ethernet capture\n", path);
		pcap_close(p);
		return 2;
	}
	while ((r = pcap_next_ex(p, &ph, &data)) == 1) {
		npkt++;
		if (ph->caplen != ph->len) {
			printf("#%u truncated capture (%u of %u bytes)\n", npkt,
			       ph->caplen, ph->len);
			nbad++;
			continue;
		}
		/* one flat segment around the capture buffer */
		memset(&m, 0, sizeof(m));
		m.buf_addr = (void *)(uintptr_t)data;
		m.buf_len = ph->caplen;
		m.data_len = ph->caplen;
		m.pkt_len = ph->caplen;
		m.nb_segs = 1;
		printf("#%u ", npkt);
		if (mr_parse_l2l4(&m, &cfg, &pi, &reason) != MR_PKT_UDP) {
			printf("%s\n", reason ? mr_drop_name(reason) :
			       "not UDP (ARP/ICMP)");
			nbad += reason != 0;
			continue;
		}
		print_addr(&pi, pi.src, pi.sport);
		printf(" > ");
		print_addr(&pi, pi.dst, pi.dport);
		if (pi.nb_vlan)
			printf(" vlan %u", pi.vlan_tci[0] & 0xfff);
		if (pi.nb_vlan == 2)
			printf(".%u", pi.vlan_tci[1] & 0xfff);
		reason = mr_dgram_check(&m, pi.pay_off, pi.pay_len, &it);
		if (reason != MR_DROP_NONE) {
			printf(" datagram dropped: %s\n", mr_drop_name(reason));
			nbad++;
			continue;
		}
		printf(" %u frames\n", it.left);
		while ((r = mr_frame_next(&it, &v)) != 0) {
			if (r < 0) {
				printf("  frame dropped: %s\n", mr_drop_name(-r));
				nbad++;
			} else {
				print_frame(&m, &v);
			}
		}
	}
	if (r == PCAP_ERROR)
		fprintf(stderr, "mrelay-dump: %s: %s\n", path, pcap_geterr(p));
	pcap_close(p);
	printf("%u packets, %u dropped or with dropped frames\n", npkt, nbad);
	return r == PCAP_ERROR ? 2 : nbad != 0;
}
