/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl endpoint add|del|show
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrelayctl.h"
#include "records.h"

static int
endpoint_add(struct ctx *ctx, int argc, char **argv)
{
	static const char *const kw[] = {"ip", "port", "mac", "vlan",
					 "port-id", NULL};
	struct mr_api_endpoint ep;
	unsigned int seen = 0;
	char err[256];
	uint32_t v;
	int i, k, rc;

	memset(&ep, 0, sizeof(ep));
	if (argc < 1)
		return usage_error(ctx, "missing NAME");
	if (parse_name(argv[0], ep.name) < 0)
		return usage_error(ctx, "invalid endpoint name '%s': 1..31 characters of [A-Za-z0-9_.-]",
				   argv[0]);
	for (i = 1; i < argc; i += 2) {
		k = keyword(argv[i], kw);
		if (k < 0)
			return usage_error(ctx, "unknown keyword '%s'", argv[i]);
		if (seen & 1u << k)
			return usage_error(ctx, "'%s' given twice", argv[i]);
		seen |= 1u << k;
		if (i + 1 >= argc)
			return usage_error(ctx, "'%s' needs a value", argv[i]);
		switch (k) {
		case 0:
			if (parse_ip(argv[i + 1], ep.addr, &ep.ip_version) < 0)
				return usage_error(ctx, "invalid IP address '%s'",
						   argv[i + 1]);
			break;
		case 1:
			if (parse_u32(argv[i + 1], UINT16_MAX, &v) < 0 || v == 0)
				return usage_error(ctx, "invalid port '%s': 1..65535",
						   argv[i + 1]);
			ep.udp_port = (uint16_t)v;
			break;
		case 2:
			if (parse_mac(argv[i + 1], ep.mac) < 0)
				return usage_error(ctx, "invalid MAC '%s': a unicast xx:xx:xx:xx:xx:xx",
						   argv[i + 1]);
			ep.has_mac = 1;
			break;
		case 3:
			if (parse_u32(argv[i + 1], 4094, &v) < 0 || v == 0)
				return usage_error(ctx, "invalid VLAN '%s': 1..4094 (leave out for untagged)",
						   argv[i + 1]);
			ep.vlan = (uint16_t)v;
			break;
		case 4:
			if (parse_u32(argv[i + 1], UINT16_MAX, &v) < 0)
				return usage_error(ctx, "invalid port-id '%s': 0..65535",
						   argv[i + 1]);
			ep.port_id = (uint16_t)v;
			break;
		}
	}
	if (!(seen & 1u))
		return usage_error(ctx, "missing 'ip ADDR'");
	if (!(seen & 2u))
		return usage_error(ctx, "missing 'port PORT'");
	if (mr_record_check(MR_REC_ENDPOINT, &ep, err, sizeof(err)) < 0)
		return usage_error(ctx, "%s", err);
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_endpoint_set(ctx->client, &ep, 1));
}

static int
endpoint_del(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_endpoint ep;
	int rc;

	memset(&ep, 0, sizeof(ep));
	if (argc != 1)
		return usage_error(ctx, argc == 0 ? "missing NAME" :
				   "too many arguments");
	if (parse_name(argv[0], ep.name) < 0)
		return usage_error(ctx, "invalid endpoint name '%s'", argv[0]);
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_endpoint_del(ctx->client, &ep, 1));
}

static void
show_json(const struct mr_api_endpoint *eps, uint32_t n)
{
	char id[16];
	const char *extra[] = {"id", id, NULL};
	uint32_t i;

	putchar('[');
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%u", eps[i].id);
		if (i > 0)
			putchar(',');
		json_record(MR_REC_ENDPOINT, &eps[i], extra);
	}
	puts("]");
}

static void
show_table(const struct mr_api_endpoint *eps, uint32_t n)
{
	char ip[INET6_ADDRSTRLEN], vlan[8], mac[20];
	int wn = 4, wa = 7, l;
	uint32_t i;

	for (i = 0; i < n; i++) {
		l = (int)strnlen(eps[i].name, MR_NAME_MAX);
		wn = l > wn ? l : wn;
		inet_ntop(eps[i].ip_version == 6 ? AF_INET6 : AF_INET,
			  eps[i].addr, ip, sizeof(ip));
		l = (int)strlen(ip);
		wa = l > wa ? l : wa;
	}
	printf("%-*s  %6s  %-*s  %5s  %4s  %7s  %s\n", wn, "NAME", "ID", wa,
	       "ADDRESS", "PORT", "VLAN", "PORT-ID", "MAC");
	for (i = 0; i < n; i++) {
		const struct mr_api_endpoint *e = &eps[i];

		inet_ntop(e->ip_version == 6 ? AF_INET6 : AF_INET, e->addr, ip,
			  sizeof(ip));
		snprintf(vlan, sizeof(vlan), "%u", e->vlan);
		if (e->has_mac)
			snprintf(mac, sizeof(mac),
				 "%02x:%02x:%02x:%02x:%02x:%02x", e->mac[0],
				 e->mac[1], e->mac[2], e->mac[3], e->mac[4],
				 e->mac[5]);
		printf("%-*.*s  %6u  %-*s  %5u  %4s  %7u  %s\n", wn,
		       MR_NAME_MAX - 1, e->name, e->id, wa, ip, e->udp_port,
		       e->vlan != 0 ? vlan : "-", e->port_id,
		       e->has_mac ? mac : "(resolved)");
	}
}

static int
endpoint_show(struct ctx *ctx, int argc, char **argv)
{
	char name[MR_NAME_MAX];
	struct mr_api_endpoint *eps;
	uint32_t n, i, keep = 0;
	int rc;

	if (argc > 1)
		return usage_error(ctx, "too many arguments");
	if (argc == 1 && parse_name(argv[0], name) < 0)
		return usage_error(ctx, "invalid endpoint name '%s'", argv[0]);
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	rc = mr_client_endpoint_list(ctx->client, &eps, &n);
	if (rc < 0)
		return ctx_result(ctx, rc);
	for (i = 0; i < n; i++)
		if (argc == 0 || strncmp(eps[i].name, name, MR_NAME_MAX) == 0)
			eps[keep++] = eps[i];
	if (argc == 1 && keep == 0) {
		free(eps);
		fprintf(stderr, "mrelayctl: endpoint %s: not found\n", name);
		return EXIT_REFUSED;
	}
	if (ctx->json)
		show_json(eps, keep);
	else
		show_table(eps, keep);
	free(eps);
	return EXIT_OK;
}

const struct cmd endpoint_cmds[] = {
	{.name = "add",
	 .args = "NAME ip ADDR port PORT [mac MAC] [vlan ID] [port-id N]",
	 .help = "Add an endpoint (a gateway or server datagrams are sent to), or replace the one of that name.",
	 .details =
	 "  NAME     1..31 characters of [A-Za-z0-9_.-]\n"
	 "  ip       IPv4 or IPv6 address of the endpoint\n"
	 "  port     its UDP port, 1..65535\n"
	 "  mac      static unicast MAC; without it the address is resolved by ARP/ND\n"
	 "  vlan     VLAN id 1..4094; without it, untagged\n"
	 "  port-id  DPDK port to send on (default 0)\n"
	 "\nexample: mrelayctl endpoint add gw1 ip 192.0.2.10 port 7000 vlan 100\n",
	 .run = endpoint_add},
	{.name = "del", .args = "NAME",
	 .help = "Delete an endpoint; refused while devices still use it.",
	 .run = endpoint_del},
	{.name = "show", .args = "[NAME]",
	 .help = "Show all endpoints, or one.", .run = endpoint_show},
	{0},
};
