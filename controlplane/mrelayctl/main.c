/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl: command line client of mrelayd's control socket, shaped like
 * ip(8): mrelayctl [OPTIONS] OBJECT VERB ARGS. The command tree is the
 * table below plus one table per object file; words must be spelled out
 * in full (no prefix matching: a new verb must never change what an
 * existing script means).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrelayctl.h"

static const char top_details[] =
	"options (before OBJECT):\n"
	"  -s, --socket PATH  control socket (default: $MRELAY_SOCKET, else "
	MR_API_DEFAULT_SOCK ")\n"
	"  -j, --json         JSON output for show, list and stats\n"
	"  -h, --help         this help; also after any object or command\n"
	"\n"
	"exit status: 0 done, 1 refused by mrelayd, 2 usage error or bad\n"
	"input, 3 mrelayd cannot be reached\n";

static const struct cmd objects[] = {
	{.name = "endpoint", .help = "gateways and servers datagrams go to",
	 .sub = endpoint_cmds},
	{.name = "device", .help = "a user's devices and their endpoint",
	 .sub = device_cmds},
	{.name = "user", .help = "users (the owners of devices)",
	 .sub = user_cmds},
	{.name = "group", .help = "groups and their members",
	 .sub = group_cmds},
	{.name = "topic", .help = "topic subscriptions", .sub = topic_cmds},
	{.name = "stats", .link = &stats_cmd},
	{.name = "import", .link = &import_cmd},
	{.name = "export", .link = &export_cmd},
	{0},
};

static const struct cmd top = {
	.name = "mrelayctl",
	.help = "Configure and inspect a running mrelayd.",
	.sub = objects,
};

static int
is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

/* Refuse control characters (newline, tab, ESC...) in any argument. */
static int
check_chars(int argc, char **argv)
{
	const unsigned char *p;
	int i;

	for (i = 0; i < argc; i++)
		for (p = (const unsigned char *)argv[i]; *p != '\0'; p++)
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(stderr,
					"mrelayctl: argument %d contains a control character\n",
					i + 1);
				return -1;
			}
	return 0;
}

static void
add_words(char *buf, size_t size, const char *w)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n > 0 ? " " : "", w);
}

/* Walk the tree along argv and run the verb found. */
static int
dispatch(struct ctx *ctx, const struct cmd *node, int argc, char **argv)
{
	const struct cmd *c;
	int i;

	while (node->sub != NULL) {
		if (argc == 0) {
			fprintf(stderr, "mrelayctl: '%s' needs a command\n",
				ctx->words);
			fprintf(stderr, "Try '%s --help'.\n", ctx->words);
			return EXIT_USAGE;
		}
		if (is_help(argv[0]) || strcmp(argv[0], "help") == 0) {
			print_help(node, ctx->words);
			return EXIT_OK;
		}
		for (c = node->sub; c->name != NULL; c++)
			if (strcmp(c->name, argv[0]) == 0)
				break;
		if (c->link != NULL)
			c = c->link;
		if (c->name == NULL) {
			fprintf(stderr, "mrelayctl: unknown command '%s' for '%s'\n",
				argv[0], ctx->words);
			fprintf(stderr, "Try '%s --help'.\n", ctx->words);
			return EXIT_USAGE;
		}
		add_words(ctx->words, sizeof(ctx->words), c->name);
		node = c;
		argc--;
		argv++;
	}
	ctx->cmd = node;
	if (argc > 0 && is_help(argv[0])) {
		print_help(node, ctx->words);
		return EXIT_OK;
	}
	if (argc > 0 && strcmp(argv[0], "--") == 0) {	/* NAME may be "-h" */
		argc--;
		argv++;
	}
	snprintf(ctx->what, sizeof(ctx->what), "%s",
		 ctx->words + strlen("mrelayctl "));
	for (i = 0; i < argc; i++)
		add_words(ctx->what, sizeof(ctx->what), argv[i]);
	return node->run(ctx, argc, argv);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctx ctx = {0};
	int o, rc;

	ctx.sock = getenv("MRELAY_SOCKET");
	if (ctx.sock == NULL || ctx.sock[0] == '\0')
		ctx.sock = MR_API_DEFAULT_SOCK;
	snprintf(ctx.words, sizeof(ctx.words), "mrelayctl");
	if (check_chars(argc, argv) < 0)
		return EXIT_USAGE;
	opterr = 0;
	/* '+': options end at the object, ip(8) style */
	while ((o = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			ctx.sock = optarg;
			break;
		case 'j':
			ctx.json = 1;
			break;
		case 'h':
			print_help(&top, "mrelayctl");
			printf("\n%s", top_details);
			return EXIT_OK;
		default:
			fprintf(stderr, "mrelayctl: unknown option or missing argument: %s\n",
				argv[optind - 1]);
			fprintf(stderr, "Try 'mrelayctl --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (ctx.sock[0] == '\0') {
		fprintf(stderr, "mrelayctl: empty socket path\n");
		return EXIT_USAGE;
	}
	if (optind == argc) {
		print_help(&top, "mrelayctl");
		printf("\n%s", top_details);
		return EXIT_USAGE;
	}
	rc = dispatch(&ctx, &top, argc - optind, argv + optind);
	mr_client_close(ctx.client);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("mrelayctl: stdout");
		if (rc == EXIT_OK)
			rc = EXIT_REFUSED;
	}
	return rc;
}
