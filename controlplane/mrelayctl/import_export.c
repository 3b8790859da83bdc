/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * mrelayctl import FILE and export: the JSON lines format of records.h.
 *
 * Import sends runs of records of one kind, in file order, up to
 * IMPORT_BATCH per request; each request is one transaction. A regular
 * file is read twice: first every line is parsed, so a syntax error
 * anywhere is reported before anything is sent; a pipe can only be
 * streamed, so there a bad line stops the import after the batches before
 * it were applied. Every record is add-or-replace, so an import that
 * stopped can be run again once the file is fixed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mrelayctl.h"
#include "records.h"

#define IMPORT_BATCH 10000

static const size_t rec_size[MR_REC_KIND_MAX] = {
	[MR_REC_ENDPOINT] = sizeof(struct mr_api_endpoint),
	[MR_REC_DEVICE] = sizeof(struct mr_api_device),
	[MR_REC_GROUP] = sizeof(struct mr_api_group),
	[MR_REC_MEMBER] = sizeof(struct mr_api_member),
	[MR_REC_SUB] = sizeof(struct mr_api_sub),
};

static const uint16_t rec_type[MR_REC_KIND_MAX] = {
	[MR_REC_ENDPOINT] = MR_API_ENDPOINT_SET,
	[MR_REC_DEVICE] = MR_API_DEVICE_SET,
	[MR_REC_GROUP] = MR_API_GROUP_SET,
	[MR_REC_MEMBER] = MR_API_MEMBER_SET,
	[MR_REC_SUB] = MR_API_SUB_ADD,
};

struct batch {
	int kind;
	uint32_t n;
	unsigned long first_line, last_line;
	uint8_t *buf;		/* IMPORT_BATCH records of the largest size */
	unsigned long done;	/* records acknowledged so far */
};

static int
flush(struct ctx *ctx, struct batch *b, const char *name)
{
	int rc;

	if (b->n == 0)
		return EXIT_OK;
	rc = mr_client_call(ctx->client, rec_type[b->kind], b->buf,
			    (uint32_t)(b->n * rec_size[b->kind]), NULL, NULL);
	if (rc < 0) {
		snprintf(ctx->what, sizeof(ctx->what),
			 "import %s: lines %lu-%lu (%u %s records; %lu imported before them)",
			 name, b->first_line, b->last_line, b->n,
			 mr_record_kind_name(b->kind), b->done);
		return ctx_result(ctx, rc);
	}
	b->done += b->n;
	b->n = 0;
	return EXIT_OK;
}

/*
 * One line of at most size - 2 bytes into buf (NUL-terminated, newline
 * kept). Returns its length, -1 at the end, -2 for a longer line (read no
 * further: a file of one endless line must not fill the memory), -3 for a
 * NUL byte in the line.
 */
static ssize_t
read_line(FILE *f, char *buf, size_t size)
{
	size_t len = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF) {
		if (len == size - 2)
			return -2;
		if (c == '\0')
			return -3;
		buf[len++] = (char)c;
		if (c == '\n')
			break;
	}
	buf[len] = '\0';
	return len == 0 && c == EOF ? -1 : (ssize_t)len;
}

/* Read every line; when send, also batch and send them. */
static int
import_pass(struct ctx *ctx, FILE *f, const char *name, int send,
	    struct batch *b)
{
	unsigned long line_no = 0;
	struct mr_record rec;
	char line[MR_RECORD_LINE_MAX + 2], err[256];
	ssize_t len;
	int rc = EXIT_OK;

	while ((len = read_line(f, line, sizeof(line))) != -1) {
		line_no++;
		if (len < 0) {
			if (len == -2)
				fprintf(stderr, "mrelayctl: %s:%lu: line longer "
					"than %d bytes\n", name, line_no,
					MR_RECORD_LINE_MAX);
			else
				fprintf(stderr, "mrelayctl: %s:%lu: NUL byte in "
					"line\n", name, line_no);
			rc = EXIT_USAGE;
			break;
		}
		err[0] = '\0';
		rc = mr_record_parse(line, &rec, err, sizeof(err));
		if (rc == -ENODATA) {
			rc = EXIT_OK;
			continue;
		}
		if (rc < 0) {
			fprintf(stderr, "mrelayctl: %s:%lu: %s\n", name, line_no,
				rc == -EINVAL ? err : strerror(-rc));
			rc = EXIT_USAGE;
			break;
		}
		rc = EXIT_OK;
		if (!send)
			continue;
		if (b->n > 0 && (rec.kind != b->kind || b->n == IMPORT_BATCH)) {
			rc = flush(ctx, b, name);
			if (rc != EXIT_OK)
				break;
		}
		if (b->n == 0) {
			b->kind = rec.kind;
			b->first_line = line_no;
		}
		memcpy(b->buf + b->n * rec_size[rec.kind], &rec.u,
		       rec_size[rec.kind]);
		b->n++;
		b->last_line = line_no;
	}
	if (rc == EXIT_OK && ferror(f)) {
		fprintf(stderr, "mrelayctl: %s: read error: %s\n", name,
			strerror(errno));
		rc = EXIT_USAGE;
	}
	if (rc == EXIT_OK && send)
		rc = flush(ctx, b, name);
	return rc;
}

static int
import(struct ctx *ctx, int argc, char **argv)
{
	struct batch b = {0};
	const char *name;
	struct stat st;
	FILE *f;
	int rc;

	if (argc != 1)
		return usage_error(ctx, argc == 0 ? "missing FILE" :
				   "too many arguments");
	if (strcmp(argv[0], "-") == 0) {
		f = stdin;
		name = "<stdin>";
	} else {
		f = fopen(argv[0], "r");
		name = argv[0];
		if (f == NULL) {
			fprintf(stderr, "mrelayctl: %s: %s\n", name,
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	/* a regular file: check it all before sending anything */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
		rc = import_pass(ctx, f, name, 0, &b);
		if (rc != EXIT_OK)
			goto out;
		if (fseeko(f, 0, SEEK_SET) < 0) {
			fprintf(stderr, "mrelayctl: %s: %s\n", name,
				strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
	}
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		goto out;
	b.buf = malloc(IMPORT_BATCH * sizeof(struct mr_api_sub));
	if (b.buf == NULL) {
		fprintf(stderr, "mrelayctl: out of memory\n");
		rc = EXIT_USAGE;
		goto out;
	}
	rc = import_pass(ctx, f, name, 1, &b);
	if (rc == EXIT_OK)
		printf("imported %lu record%s\n", b.done,
		       b.done == 1 ? "" : "s");
	else if (rc == EXIT_USAGE && b.done > 0)
		fprintf(stderr, "mrelayctl: %lu records were imported before that line\n",
			b.done);
out:
	free(b.buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int
export(struct ctx *ctx, int argc, char **argv)
{
	struct mr_api_export hdr;
	uint64_t cursor = 0;
	char *text;
	int rc;

	if (argc != 0)
		return usage_error(ctx, "too many arguments");
	rc = ctx_connect(ctx);
	if (rc != EXIT_OK)
		return rc;
	for (;;) {
		rc = mr_client_export_page(ctx->client, cursor, 0, &hdr, &text);
		if (rc < 0)
			return ctx_result(ctx, rc);
		if (fwrite(text, 1, hdr.text_len, stdout) != hdr.text_len) {
			free(text);
			perror("mrelayctl: stdout");
			return EXIT_REFUSED;
		}
		free(text);
		if (hdr.done)
			break;
		if (hdr.next_cursor == cursor && hdr.text_len == 0) {
			fprintf(stderr, "mrelayctl: export: mrelayd made no progress at cursor %llu\n",
				(unsigned long long)cursor);
			return EXIT_REFUSED;
		}
		cursor = hdr.next_cursor;
	}
	return EXIT_OK;
}

const struct cmd import_cmd = {
	.name = "import",
	.args = "FILE",
	.help = "Load records (JSON lines, as export writes them) from FILE, or from stdin with '-'.",
	.details =
	"Records are sent in file order, in runs of one kind of up to 10000\n"
	"records; each run is applied all or nothing. Every record adds or\n"
	"replaces, so an import can be run again. A regular file is checked\n"
	"completely before anything is sent. Prints 'imported N records'; on\n"
	"error, the line (FILE:LINE: reason) or the lines of the refused run.\n"
	"\nexample: mrelayctl export > state.jsonl; mrelayctl import state.jsonl\n",
	.run = import,
};

const struct cmd export_cmd = {
	.name = "export",
	.help = "Write the whole configuration to stdout as JSON lines (the import format).",
	.run = export,
};
