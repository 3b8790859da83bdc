/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl group add|del|show|list (group member ... is in member.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrelayctl.h"
#include "records.h"

#define LIST_PAGE 1024	/* groups asked for per GROUP_LIST request */

static int
parse_group_id(struct ctx *ctx, const char *s, uint64_t *id)
{
	if (parse_u64(s, id) < 0)
		return usage_error(ctx, "invalid group ID '%s': a decimal id 0..18446744073709551615",
				   s);
	return EXIT_OK;
}

static int
group_add(struct ctx *ctx, int argc, char **argv)
{
	static const char *const kw[] = {"policy", "max-members", NULL};
	static const char *const policies[] = {"everyone", "admins-post",
					       NULL};
	struct mr_api_group g;
	unsigned int seen = 0;
	char err[256];
	int i, k, rc;

	memset(&g, 0, sizeof(g));
	if (argc < 1)
		return usage_error(ctx, "missing ID");
	rc = parse_group_id(ctx, argv[0], &g.id);
	if (rc != EXIT_OK)
		return rc;
	for (i = 1; i < argc; i += 2) {
		k = keyword(argv[i], kw);
		if (k < 0)
			return usage_error(ctx, "unknown keyword '%s'", argv[i]);
		if (seen & 1u << k)
			return usage_error(ctx, "'%s' given twice", argv[i]);
		seen |= 1u << k;
		if (i + 1 >= argc)
			return usage_error(ctx, "'%s' needs a value", argv[i]);
		if (k == 0) {
			k = keyword(argv[i + 1], policies);
			if (k < 0)
				return usage_error(ctx, "invalid policy '%s': everyone or admins-post",
						   argv[i + 1]);
			g.policy = k == 0 ? MR_POLICY_EVERYONE :
				MR_POLICY_ADMINS;
		} else if (parse_u32(argv[i + 1], UINT32_MAX,
				     &g.max_members) < 0) {
			return usage_error(ctx, "invalid max-members '%s': 0..4294967295 (0: the daemon's limit)",
					   argv[i + 1]);
		}
	}
	if (mr_record_check(MR_REC_GROUP, &g, err, sizeof(err)) < 0)
		return usage_error(ctx, "%s", err);
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_group_set(ctx->client, &g, 1));
}

static int
group_del(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_group g;
	int rc;

	memset(&g, 0, sizeof(g));
	if (argc != 1)
		return usage_error(ctx, argc == 0 ? "missing ID" :
				   "too many arguments");
	rc = parse_group_id(ctx, argv[0], &g.id);
	if (rc != EXIT_OK)
		return rc;
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_group_del(ctx->client, &g, 1));
}

static void
fmt_max(char *buf, size_t size, uint32_t max)
{
	if (max == 0)
		snprintf(buf, size, "default");
	else
		snprintf(buf, size, "%" PRIu32, max);
}

/* Members come in pages (one response holds at most MR_API_MAX_BODY). */
static int
group_show(struct ctx *ctx, int argc, char **argv)
{
	char nm[16], seq[24], max[16];
	const char *extra[] = {"nmembers", nm, "next_seq", seq, NULL};
	struct mr_api_member *m;
	struct mr_api_group g;
	uint32_t off = 0, n, i;
	uint64_t id;
	int rc;

	if (argc != 1)
		return usage_error(ctx, argc == 0 ? "missing ID" :
				   "too many arguments");
	rc = parse_group_id(ctx, argv[0], &id);
	if (rc != EXIT_OK)
		return rc;
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	for (;;) {
		rc = mr_client_group_show(ctx->client, id, off, 0, &g, &m, &n);
		if (rc < 0)
			break;
		if (off == 0 && ctx->json) {
			snprintf(nm, sizeof(nm), "%" PRIu32, g.nmembers);
			snprintf(seq, sizeof(seq), "%" PRIu64, g.next_seq);
			if (json_record_open(MR_REC_GROUP, &g, extra) < 0) {
				free(m);
				return EXIT_REFUSED;
			}
			fputs(",\"members\":[", stdout);
		} else if (off == 0) {
			fmt_max(max, sizeof(max), g.max_members);
			printf("group %" PRIu64 "\n  policy       %s\n"
			       "  max-members  %s\n  members      %" PRIu32
			       "\n  next-seq     %" PRIu64 "\n", g.id,
			       policy_name(g.policy), max, g.nmembers,
			       g.next_seq);
			if (g.nmembers > 0)
				printf("\n%-20s  %s\n", "USER", "ROLE");
		}
		for (i = 0; i < n; i++) {
			if (ctx->json) {
				if (off + i > 0)
					putchar(',');
				json_record(MR_REC_MEMBER, &m[i], NULL);
			} else {
				printf("%-20" PRIu64 "  %s\n", m[i].user,
				       role_name(m[i].role));
			}
		}
		free(m);
		off += n;
		if (n == 0 || off >= g.nmembers)
			break;
	}
	if (rc < 0) {
		if (off > 0 && ctx->json)
			putchar('\n');	/* end the partial output */
		return ctx_result(ctx, rc);
	}
	if (ctx->json)
		puts("]}");
	return EXIT_OK;
}

static int
group_list(struct ctx *ctx, int argc, char **argv)
{
	char nm[16], seq[24], max[16];
	const char *extra[] = {"nmembers", nm, "next_seq", seq, NULL};
	struct mr_api_group *g;
	uint64_t after = 0;
	uint32_t n, i, total = 0;
	int rc;

	if (argc != 0)
		return usage_error(ctx, "too many arguments");
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	if (ctx->json)
		putchar('[');
	else
		printf("%-20s  %-11s  %11s  %10s  %s\n", "ID", "POLICY",
		       "MAX-MEMBERS", "MEMBERS", "NEXT-SEQ");
	do {
		rc = mr_client_group_list(ctx->client, after, LIST_PAGE, &g,
					  &n);
		if (rc < 0)
			break;
		for (i = 0; i < n; i++, total++) {
			if (ctx->json) {
				snprintf(nm, sizeof(nm), "%" PRIu32,
					 g[i].nmembers);
				snprintf(seq, sizeof(seq), "%" PRIu64,
					 g[i].next_seq);
				if (total > 0)
					putchar(',');
				json_record(MR_REC_GROUP, &g[i], extra);
			} else {
				fmt_max(max, sizeof(max), g[i].max_members);
				printf("%-20" PRIu64 "  %-11s  %11s  %10" PRIu32
				       "  %" PRIu64 "\n", g[i].id,
				       policy_name(g[i].policy), max,
				       g[i].nmembers, g[i].next_seq);
			}
		}
		if (n > 0)
			after = g[n - 1].id;
		free(g);
		/* a short page is the last one (also stops on a daemon that
		 * ignores the limit and sends everything at once) */
	} while (n == LIST_PAGE);
	if (ctx->json)
		puts("]");
	return rc < 0 ? ctx_result(ctx, rc) : EXIT_OK;
}

const struct cmd group_cmds[] = {
	{.name = "add", .args = "ID [policy everyone|admins-post] [max-members N]",
	 .help = "Create a group, or replace the settings of an existing one (settings left out take their defaults).",
	 .details =
	 "  ID           group id, decimal 0..2^64-1\n"
	 "  policy       who may post: everyone (default) or admins-post\n"
	 "  max-members  member limit; 0 or left out: the daemon's limit\n"
	 "\nexample: mrelayctl group add 500 policy admins-post max-members 200\n",
	 .run = group_add},
	{.name = "del", .args = "ID", .help = "Delete a group and its memberships.",
	 .run = group_del},
	{.name = "show", .args = "ID",
	 .help = "Show a group's settings and members.", .run = group_show},
	{.name = "list", .help = "List the groups, by id.", .run = group_list},
	{.name = "member", .help = "members of a group", .sub = member_cmds},
	{0},
};
