/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl stats
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrelayctl.h"

static int
stats(struct ctx *ctx, int argc, char **argv)
{
	char name[sizeof(((struct mr_api_stat *)0)->name) + 1];
	struct mr_api_stat *st;
	uint32_t n, i;
	int rc, w = 4;

	if (argc != 0)
		return usage_error(ctx, "too many arguments");
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	rc = mr_client_stats(ctx->client, &st, &n);
	if (rc < 0)
		return ctx_result(ctx, rc);
	for (i = 0; i < n; i++) {
		int l = (int)strnlen(st[i].name, sizeof(st[i].name));

		w = l > w ? l : w;
	}
	if (ctx->json)
		putchar('{');
	for (i = 0; i < n; i++) {
		memcpy(name, st[i].name, sizeof(st[i].name));
		name[sizeof(st[i].name)] = '\0';
		if (ctx->json) {
			if (i > 0)
				putchar(',');
			json_string_out(name);
			printf(":%" PRIu64, st[i].value);
		} else {
			printf("%-*s  %" PRIu64 "\n", w, name, st[i].value);
		}
	}
	if (ctx->json)
		puts("}");
	free(st);
	return EXIT_OK;
}

const struct cmd stats_cmd = {
	.name = "stats",
	.help = "Show the daemon's counters (name and value).",
	.details = "With --json: one object, {\"name\": value, ...}.\n",
	.run = stats,
};
