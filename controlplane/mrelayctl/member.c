/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl group member add|del
 */
#include <string.h>

#include "mrelayctl.h"
#include "records.h"

static int
parse_pair(struct ctx *ctx, char **argv, struct mr_api_member *m)
{
	if (parse_u64(argv[0], &m->group) < 0)
		return usage_error(ctx, "invalid GROUP '%s': a decimal id",
				   argv[0]);
	if (parse_u64(argv[1], &m->user) < 0)
		return usage_error(ctx, "invalid USER '%s': a decimal id",
				   argv[1]);
	return EXIT_OK;
}

static int
member_add(struct ctx *ctx, int argc, char **argv)
{
	static const char *const roles[] = {"member", "admin", "read-only",
					    NULL};
	static const uint8_t role_val[] = {MR_ROLE_MEMBER, MR_ROLE_ADMIN,
					   MR_ROLE_READONLY};
	struct mr_api_member m;
	char err[256];
	int k, rc;

	memset(&m, 0, sizeof(m));
	if (argc != 2 && argc != 4)
		return usage_error(ctx, argc < 2 ? "missing arguments" :
				   argc == 3 ? "'role' needs a value" :
				   "too many arguments");
	rc = parse_pair(ctx, argv, &m);
	if (rc != EXIT_OK)
		return rc;
	if (argc == 4) {
		if (strcmp(argv[2], "role") != 0)
			return usage_error(ctx, "unknown keyword '%s'",
					   argv[2]);
		k = keyword(argv[3], roles);
		if (k < 0)
			return usage_error(ctx, "invalid role '%s': admin, member or read-only",
					   argv[3]);
		m.role = role_val[k];
	}
	if (mr_record_check(MR_REC_MEMBER, &m, err, sizeof(err)) < 0)
		return usage_error(ctx, "%s", err);
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_member_set(ctx->client, &m, 1));
}

static int
member_del(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_member m;
	int rc;

	memset(&m, 0, sizeof(m));
	if (argc != 2)
		return usage_error(ctx, argc < 2 ? "missing arguments" :
				   "too many arguments");
	rc = parse_pair(ctx, argv, &m);
	if (rc != EXIT_OK)
		return rc;
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_member_del(ctx->client, &m, 1));
}

const struct cmd member_cmds[] = {
	{.name = "add", .args = "GROUP USER [role admin|member|read-only]",
	 .help = "Add USER to GROUP, or change the role of a member (default role: member).",
	 .details =
	 "  admin      may post, also in admins-post groups\n"
	 "  member     may post unless the group is admins-post\n"
	 "  read-only  receives, never posts\n"
	 "\nexample: mrelayctl group member add 500 1001 role admin\n",
	 .run = member_add},
	{.name = "del", .args = "GROUP USER",
	 .help = "Remove USER from GROUP.", .run = member_del},
	{0},
};
