/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * --write-pcap: the workload's datagrams, one MSG per packet, stamped with
 * their nominal send times (message i at i / rate seconds after
 * 2026-01-01T00:00:00Z); the payload timestamp is the same nominal time in
 * ns, so a recording of the relay's answers can be verified later.
 *
 * --write-population: the JSON lines `mrelayctl import` reads
 * (docs/control-api.md, "Import/export format"): endpoints, devices,
 * groups, members, in an order that satisfies every reference.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <pcap/pcap.h>

#include "gen.h"

int
gen_write_pcap(const struct gen_model *m, const char *path, char *err,
	       size_t errlen)
{
	uint8_t buf[2048];
	struct pcap_pkthdr ph;
	struct gen_msg g;
	pcap_dumper_t *d;
	pcap_t *p;
	uint64_t i, ns;
	uint32_t len;
	int ret = 0;

	if (m->count == UINT64_MAX) {
		snprintf(err, errlen, "--write-pcap needs a bounded workload: "
			 "--count N, or --rate R with --duration S");
		return -EINVAL;
	}
	p = pcap_open_dead(DLT_EN10MB, 65535);
	if (p == NULL) {
		snprintf(err, errlen, "pcap: out of memory");
		return -ENOMEM;
	}
	d = pcap_dump_open(p, path);
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(p));
		pcap_close(p);
		return -EIO;
	}
	for (i = 0; i < m->count; i++) {
		gen_model_msg(m, i, &g);
		ns = gen_nominal_ns(m, i);
		len = gen_build_msg(m, &g, ns, buf, sizeof(buf));
		if (len == 0) {
			snprintf(err, errlen, "message %" PRIu64 " does not "
				 "fit a packet", i);
			ret = -EINVAL;
			break;
		}
		ph.ts.tv_sec = (time_t)(ns / 1000000000u);
		ph.ts.tv_usec = (suseconds_t)(ns % 1000000000u / 1000);
		ph.caplen = ph.len = len;
		pcap_dump((u_char *)d, &ph, buf);
	}
	if (pcap_dump_flush(d) != 0 && ret == 0) {
		snprintf(err, errlen, "%s: write failed", path);
		ret = -EIO;
	}
	pcap_dump_close(d);
	pcap_close(p);
	return ret;
}

static void
fmt_mac(char *s, const struct rte_ether_addr *a)
{
	const uint8_t *b = a->addr_bytes;

	sprintf(s, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3],
		b[4], b[5]);
}

int
gen_write_population(const struct gen_model *m, const char *path, char *err,
		     size_t errlen)
{
	const struct gen_opts *o = m->o;
	char mac[18];
	uint8_t ip[4];
	uint64_t k;
	uint32_t e, u, d, g;
	FILE *f;
	int ret = 0;

	f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	fmt_mac(mac, &o->gen_mac);
	for (e = 0; e < m->nendpoints; e++) {
		gen_ep_ip(e, ip);
		fprintf(f, "{\"kind\":\"endpoint\",\"name\":\"gen%u\",\"ip\":"
			"\"%u.%u.%u.%u\",\"port\":%u,\"vlan\":0,\"port_id\":%u,"
			"\"mac\":\"%s\"}\n", e + 1, ip[0], ip[1], ip[2], ip[3],
			GEN_EP_PORT, o->ep_port_id, mac);
	}
	for (u = 0; u < m->nusers; u++)
		for (d = 0; d < m->ndevs; d++)
			fprintf(f, "{\"kind\":\"device\",\"user\":%llu,"
				"\"device\":%u,\"endpoint\":\"gen%u\"}\n",
				GEN_USER_BASE + u, d + 1,
				gen_dev_ep(m, u, d) + 1);
	for (g = 0; g < m->ngroups; g++)
		fprintf(f, "{\"kind\":\"group\",\"id\":%llu,\"policy\":"
			"\"everyone\",\"max_members\":0}\n",
			GEN_GROUP_BASE + g);
	for (g = 0; g < m->ngroups; g++)
		for (k = m->grp_off[g]; k < m->grp_off[g + 1]; k++)
			fprintf(f, "{\"kind\":\"member\",\"group\":%llu,"
				"\"user\":%llu,\"role\":\"member\"}\n",
				GEN_GROUP_BASE + g,
				GEN_USER_BASE + m->members[k]);
	if (fflush(f) != 0 || ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		ret = -EIO;
	}
	if (f != stdout && fclose(f) != 0 && ret == 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		ret = -EIO;
	}
	return ret;
}
