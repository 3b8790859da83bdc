/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl topic sub add|del and topic show
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrelayctl.h"
#include "records.h"

#define LIST_PAGE 1024	/* subscriptions asked for per SUB_LIST request */

static int
parse_sub(struct ctx *ctx, int argc, char **argv, struct mr_api_sub *s)
{
	memset(s, 0, sizeof(*s));
	if (argc != 3)
		return usage_error(ctx, argc < 3 ? "missing arguments" :
				   "too many arguments");
	if (parse_pattern(argv[0], s->pattern) < 0)
		return usage_error(ctx, "invalid PATTERN: 1..255 bytes of UTF-8 text without control characters");
	if (parse_u64(argv[1], &s->user) < 0)
		return usage_error(ctx, "invalid USER '%s': a decimal id",
				   argv[1]);
	if (parse_u32(argv[2], UINT32_MAX, &s->device) < 0)
		return usage_error(ctx, "invalid DEVICE '%s': a decimal id 0..4294967295",
				   argv[2]);
	return EXIT_OK;
}

static int
sub_add(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_sub s;
	int rc;

	rc = parse_sub(ctx, argc, argv, &s);
	if (rc == EXIT_OK)
		rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_sub_add(ctx->client, &s, 1));
}

static int
sub_del(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_sub s;
	int rc;

	rc = parse_sub(ctx, argc, argv, &s);
	if (rc == EXIT_OK)
		rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_sub_del(ctx->client, &s, 1));
}

/*
 * SUB_LIST pages by offset (after = subscriptions already received). A
 * short page is the last; a page that starts like the one before means
 * the daemon ignored the offset and already sent everything.
 */
static int
topic_show(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_sub *s, first;
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
		printf("%-20s  %10s  %s\n", "USER", "DEVICE", "PATTERN");
	for (;;) {
		rc = mr_client_sub_list(ctx->client, total, LIST_PAGE, &s, &n);
		if (rc < 0)
			break;
		if (n > 0 && total > 0 && memcmp(&s[0], &first,
						 sizeof(first)) == 0) {
			free(s);
			break;
		}
		if (n > 0)
			first = s[0];
		for (i = 0; i < n; i++, total++) {
			if (ctx->json) {
				if (total > 0)
					putchar(',');
				json_record(MR_REC_SUB, &s[i], NULL);
			} else {
				printf("%-20" PRIu64 "  %10" PRIu32 "  %.*s\n",
				       s[i].user, s[i].device,
				       MR_PATTERN_MAX - 1, s[i].pattern);
			}
		}
		free(s);
		if (n != LIST_PAGE)
			break;
	}
	if (ctx->json)
		puts("]");
	return rc < 0 ? ctx_result(ctx, rc) : EXIT_OK;
}

const struct cmd topic_sub_cmds[] = {
	{.name = "add", .args = "PATTERN USER DEVICE",
	 .help = "Subscribe device DEVICE of user USER to the topics matching PATTERN.",
	 .details = "\nexample: mrelayctl topic sub add 'news.sports' 1001 1\n",
	 .run = sub_add},
	{.name = "del", .args = "PATTERN USER DEVICE",
	 .help = "Remove a subscription.", .run = sub_del},
	{0},
};

const struct cmd topic_cmds[] = {
	{.name = "sub", .help = "topic subscriptions", .sub = topic_sub_cmds},
	{.name = "show", .help = "List the subscriptions.",
	 .run = topic_show},
	{0},
};
