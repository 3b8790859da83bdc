/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl device add|del and user show: a user is the set of its devices,
 * so both objects live here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrelayctl.h"
#include "records.h"

/* USER DEVICE: a 64-bit user id and a 32-bit device id. */
static int
parse_user_device(struct ctx *ctx, char **argv, struct mr_api_device *d)
{
	if (parse_u64(argv[0], &d->user) < 0)
		return usage_error(ctx, "invalid USER '%s': a decimal id 0..18446744073709551615",
				   argv[0]);
	if (parse_u32(argv[1], UINT32_MAX, &d->device) < 0)
		return usage_error(ctx, "invalid DEVICE '%s': a decimal id 0..4294967295",
				   argv[1]);
	return EXIT_OK;
}

static int
device_add(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_device d;
	char err[256];
	int rc;

	memset(&d, 0, sizeof(d));
	if (argc != 4 || strcmp(argv[2], "endpoint") != 0)
		return usage_error(ctx, argc < 4 ? "missing arguments" :
				   argc > 4 ? "too many arguments" :
				   "expected 'endpoint NAME'");
	rc = parse_user_device(ctx, argv, &d);
	if (rc != EXIT_OK)
		return rc;
	if (parse_name(argv[3], d.endpoint) < 0)
		return usage_error(ctx, "invalid endpoint name '%s'", argv[3]);
	if (mr_record_check(MR_REC_DEVICE, &d, err, sizeof(err)) < 0)
		return usage_error(ctx, "%s", err);
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_device_set(ctx->client, &d, 1));
}

static int
device_del(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_device d;
	int rc;

	memset(&d, 0, sizeof(d));
	if (argc != 2)
		return usage_error(ctx, argc < 2 ? "missing arguments" :
				   "too many arguments");
	rc = parse_user_device(ctx, argv, &d);
	if (rc != EXIT_OK)
		return rc;
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	return ctx_result(ctx, mr_client_device_del(ctx->client, &d, 1));
}

static int
user_show(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_device *devs;
	uint64_t user;
	uint32_t n, i;
	int rc;

	if (argc != 1)
		return usage_error(ctx, argc == 0 ? "missing USER" :
				   "too many arguments");
	if (parse_u64(argv[0], &user) < 0)
		return usage_error(ctx, "invalid USER '%s': a decimal id",
				   argv[0]);
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	rc = mr_client_user_show(ctx->client, user, &devs, &n);
	if (rc < 0)
		return ctx_result(ctx, rc);
	if (ctx->json) {
		putchar('[');
		for (i = 0; i < n; i++) {
			if (i > 0)
				putchar(',');
			json_record(MR_REC_DEVICE, &devs[i], NULL);
		}
		puts("]");
	} else {
		printf("%-20s  %10s  %s\n", "USER", "DEVICE", "ENDPOINT");
		for (i = 0; i < n; i++)
			printf("%-20" PRIu64 "  %10" PRIu32 "  %.*s\n",
			       devs[i].user, devs[i].device, MR_NAME_MAX - 1,
			       devs[i].endpoint);
	}
	free(devs);
	return EXIT_OK;
}

const struct cmd device_cmds[] = {
	{.name = "add", .args = "USER DEVICE endpoint NAME",
	 .help = "Attach device DEVICE of user USER to endpoint NAME; a device already attached moves to NAME.",
	 .details =
	 "  USER    user id, decimal 0..2^64-1\n"
	 "  DEVICE  device id, decimal 0..2^32-1\n"
	 "  NAME    an endpoint (see 'mrelayctl endpoint show')\n"
	 "\nexample: mrelayctl device add 1001 1 endpoint gw1\n",
	 .run = device_add},
	{.name = "del", .args = "USER DEVICE",
	 .help = "Remove a device of a user.", .run = device_del},
	{0},
};

const struct cmd user_cmds[] = {
	{.name = "show", .args = "USER",
	 .help = "Show the devices of a user and their endpoints.",
	 .run = user_show},
	{0},
};
