/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * JSON lines records (records.h). Encoding is done by hand with snprintf:
 * it is the hot path of EXPORT (millions of lines), the key order is fixed,
 * and jansson's integers could not carry 64-bit ids above 2^63-1 anyway.
 *
 * Decoding uses jansson, whose json_int_t is a signed 64-bit integer: a
 * literal above 2^63-1 fails with json_error_numeric_overflow, and
 * JSON_DECODE_INT_AS_REAL would round it through a double. So parsing has
 * two paths:
 *  - fast path (every id below 2^63): one json_loads(), values read with
 *    json_integer_value();
 *  - slow path, taken only on a numeric overflow: a small scanner walks the
 *    line outside strings, checks every integer literal against the JSON
 *    grammar, keeps its text and replaces it with its ordinal (0, 1, ...),
 *    then jansson parses the rewritten line. Each integer field is then an
 *    ordinal whose original text we convert ourselves, exactly, into a
 *    uint64_t with overflow and sign checks.
 * Both paths keep JSON types intact (an integer stays an integer, a string
 * holding digits stays a string and is rejected), and both give the same
 * result for every line that the fast path accepts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "records.h"

#define MAX_INT_TOKENS	32	/* integer literals per line, slow path */

static const char *const kind_names[MR_REC_KIND_MAX] = {
	[MR_REC_ENDPOINT] = "endpoint",
	[MR_REC_DEVICE] = "device",
	[MR_REC_GROUP] = "group",
	[MR_REC_MEMBER] = "member",
	[MR_REC_SUB] = "sub",
};

static const char *const policy_names[] = {
	[MR_POLICY_EVERYONE] = "everyone",
	[MR_POLICY_ADMINS] = "admins",
};

static const char *const role_names[] = {
	[MR_ROLE_MEMBER] = "member",
	[MR_ROLE_ADMIN] = "admin",
	[MR_ROLE_READONLY] = "read-only",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
mr_record_kind_name(int kind)
{
	if (kind <= 0 || kind >= MR_REC_KIND_MAX)
		return NULL;
	return kind_names[kind];
}

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int
mr_name_valid(const char *name, size_t size)
{
	size_t i;

	for (i = 0; i < size && name[i] != '\0'; i++)
		if (!name_char(name[i]))
			return 0;
	return i > 0 && i < size && i < MR_NAME_MAX;
}

/*
 * 1 if the len bytes at s are well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) without C0 controls or DEL.
 */
static int
text_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
pattern_valid(const char *p)
{
	size_t len = strnlen(p, MR_PATTERN_MAX);

	return len > 0 && len < MR_PATTERN_MAX &&
	       text_valid((const unsigned char *)p, len);
}

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

#define NAME_RULE "1..31 characters of [A-Za-z0-9_.-]"

static int
check_endpoint(const struct mr_api_endpoint *ep, char *err, size_t errlen)
{
	if (!mr_name_valid(ep->name, sizeof(ep->name)))
		return fail(err, errlen, "endpoint: \"name\" must be " NAME_RULE);
	if (ep->ip_version == 4) {
		if (!all_zero(ep->addr + 4, sizeof(ep->addr) - 4))
			return fail(err, errlen, "endpoint %s: IPv4 address "
				    "not zero-padded", ep->name);
		if (all_zero(ep->addr, 4))
			return fail(err, errlen, "endpoint %s: \"ip\" must not "
				    "be the unspecified address", ep->name);
	} else if (ep->ip_version == 6) {
		if (all_zero(ep->addr, sizeof(ep->addr)))
			return fail(err, errlen, "endpoint %s: \"ip\" must not "
				    "be the unspecified address", ep->name);
	} else {
		return fail(err, errlen, "endpoint %s: IP version %u is not "
			    "4 or 6", ep->name, ep->ip_version);
	}
	if (ep->has_mac > 1)
		return fail(err, errlen, "endpoint %s: has_mac must be 0 or 1",
			    ep->name);
	if (ep->has_mac &&
	    (all_zero(ep->mac, sizeof(ep->mac)) || (ep->mac[0] & 1)))
		return fail(err, errlen, "endpoint %s: \"mac\" must be a "
			    "unicast, non-zero address", ep->name);
	if (!ep->has_mac && !all_zero(ep->mac, sizeof(ep->mac)))
		return fail(err, errlen, "endpoint %s: mac set but has_mac "
			    "is 0", ep->name);
	if (ep->udp_port == 0)
		return fail(err, errlen, "endpoint %s: \"port\" must be "
			    "1..65535", ep->name);
	if (ep->vlan > 4094)
		return fail(err, errlen, "endpoint %s: \"vlan\" must be "
			    "0..4094", ep->name);
	if (ep->reserved != 0)
		return fail(err, errlen, "endpoint %s: reserved field is not "
			    "zero", ep->name);
	return 0;
}

static int
check_device(const struct mr_api_device *d, char *err, size_t errlen)
{
	if (!mr_name_valid(d->endpoint, sizeof(d->endpoint)))
		return fail(err, errlen, "device: \"endpoint\" must be "
			    NAME_RULE);
	if (d->reserved != 0)
		return fail(err, errlen, "device: reserved field is not zero");
	return 0;
}

static int
check_group(const struct mr_api_group *g, char *err, size_t errlen)
{
	if (g->policy >= NELEM(policy_names))
		return fail(err, errlen, "group %" PRIu64 ": policy %u is "
			    "unknown", g->id, g->policy);
	if (!all_zero(g->reserved, sizeof(g->reserved)) || g->reserved2 != 0)
		return fail(err, errlen, "group %" PRIu64 ": reserved field "
			    "is not zero", g->id);
	return 0;
}

static int
check_member(const struct mr_api_member *m, char *err, size_t errlen)
{
	if (m->role >= NELEM(role_names))
		return fail(err, errlen, "member: role %u is unknown", m->role);
	if (!all_zero(m->reserved, sizeof(m->reserved)))
		return fail(err, errlen, "member: reserved field is not zero");
	return 0;
}

static int
check_sub(const struct mr_api_sub *s, char *err, size_t errlen)
{
	if (!pattern_valid(s->pattern))
		return fail(err, errlen, "sub: \"pattern\" must be 1..255 "
			    "bytes of UTF-8 text without control characters");
	if (s->reserved != 0)
		return fail(err, errlen, "sub: reserved field is not zero");
	return 0;
}

int
mr_record_check(int kind, const void *rec, char *err, size_t errlen)
{
	switch (kind) {
	case MR_REC_ENDPOINT:
		return check_endpoint(rec, err, errlen);
	case MR_REC_DEVICE:
		return check_device(rec, err, errlen);
	case MR_REC_GROUP:
		return check_group(rec, err, errlen);
	case MR_REC_MEMBER:
		return check_member(rec, err, errlen);
	case MR_REC_SUB:
		return check_sub(rec, err, errlen);
	}
	return fail(err, errlen, "unknown record kind %d", kind);
}

/* JSON string body of a checked pattern: only '"' and '\\' need escaping. */
static void
escape(char *dst, const char *src)
{
	for (; *src != '\0'; src++) {
		if (*src == '"' || *src == '\\')
			*dst++ = '\\';
		*dst++ = *src;
	}
	*dst = '\0';
}

int
mr_record_to_json(int kind, const void *rec, char *buf, size_t room)
{
	char ip[INET6_ADDRSTRLEN], mac[32], pat[2 * MR_PATTERN_MAX];
	const struct mr_api_endpoint *ep;
	const struct mr_api_device *d;
	const struct mr_api_group *g;
	const struct mr_api_member *m;
	const struct mr_api_sub *s;
	int n;

	if (room > 0)
		buf[0] = '\0';
	if (mr_record_check(kind, rec, NULL, 0) < 0)
		return -EINVAL;
	switch (kind) {
	case MR_REC_ENDPOINT:
		ep = rec;
		inet_ntop(ep->ip_version == 4 ? AF_INET : AF_INET6, ep->addr,
			  ip, sizeof(ip));
		mac[0] = '\0';
		if (ep->has_mac)
			snprintf(mac, sizeof(mac),
				 ",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\"",
				 ep->mac[0], ep->mac[1], ep->mac[2], ep->mac[3],
				 ep->mac[4], ep->mac[5]);
		n = snprintf(buf, room, "{\"kind\":\"endpoint\",\"name\":\"%s\","
			     "\"ip\":\"%s\",\"port\":%u,\"vlan\":%u,"
			     "\"port_id\":%u%s}\n", ep->name, ip, ep->udp_port,
			     ep->vlan, ep->port_id, mac);
		break;
	case MR_REC_DEVICE:
		d = rec;
		n = snprintf(buf, room, "{\"kind\":\"device\",\"user\":%" PRIu64
			     ",\"device\":%" PRIu32 ",\"endpoint\":\"%s\"}\n",
			     d->user, d->device, d->endpoint);
		break;
	case MR_REC_GROUP:
		g = rec;
		n = snprintf(buf, room, "{\"kind\":\"group\",\"id\":%" PRIu64
			     ",\"policy\":\"%s\",\"max_members\":%" PRIu32
			     "}\n", g->id, policy_names[g->policy],
			     g->max_members);
		break;
	case MR_REC_MEMBER:
		m = rec;
		n = snprintf(buf, room, "{\"kind\":\"member\",\"group\":%" PRIu64
			     ",\"user\":%" PRIu64 ",\"role\":\"%s\"}\n",
			     m->group, m->user, role_names[m->role]);
		break;
	case MR_REC_SUB:
		s = rec;
		escape(pat, s->pattern);
		n = snprintf(buf, room, "{\"kind\":\"sub\",\"pattern\":\"%s\","
			     "\"user\":%" PRIu64 ",\"device\":%" PRIu32 "}\n",
			     pat, s->user, s->device);
		break;
	default:
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= room) {
		if (room > 0)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

/* Parsing. */

struct pctx {
	char *err;
	size_t errlen;
	const char *kind;	/* for messages; NULL until known */
	const char *raw[MAX_INT_TOKENS];	/* slow path: integer texts */
	size_t rawlen[MAX_INT_TOKENS];
	unsigned int nraw;
	int slow;		/* integers are ordinals into raw[] */
};

static int __attribute__((format(printf, 2, 3)))
perr(struct pctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->err == NULL || c->errlen == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->kind != NULL)
		snprintf(c->err, c->errlen, "%s: %s", c->kind, msg);
	else
		snprintf(c->err, c->errlen, "%s", msg);
	return -EINVAL;
}

/* Printable, bounded copy of text taken from the input, for messages. */
static const char *
shown(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	if (src[i] != '\0' && i >= 3)
		memcpy(dst + i - 3, "...", 3);
	dst[i] = '\0';
	return dst;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

static json_t *
field(struct pctx *c, json_t *obj, const char *key, json_type type, int *rc)
{
	json_t *v = json_object_get(obj, key);

	*rc = 0;
	if (v == NULL) {
		*rc = perr(c, "missing field \"%s\"", key);
		return NULL;
	}
	if (json_typeof(v) != type) {
		*rc = perr(c, "\"%s\" must be %s, not %s", key,
			   type == JSON_STRING ? "a string" : "an integer",
			   type_name(v));
		return NULL;
	}
	return v;
}

/* Integer field key, 0..max, exact over the whole uint64_t range. */
static int
get_uint(struct pctx *c, json_t *obj, const char *key, uint64_t max,
	 uint64_t *out)
{
	json_int_t i;
	uint64_t u = 0;
	const char *s;
	size_t len, k;
	int rc, neg;
	json_t *v;

	v = field(c, obj, key, JSON_INTEGER, &rc);
	if (v == NULL)
		return rc;
	i = json_integer_value(v);
	if (!c->slow) {
		if (i < 0)
			return perr(c, "\"%s\": %" JSON_INTEGER_FORMAT " is "
				    "negative", key, i);
		u = (uint64_t)i;
		if (u > max)
			return perr(c, "\"%s\": %" PRIu64 " is out of range "
				    "(0..%" PRIu64 ")", key, u, max);
		*out = u;
		return 0;
	}
	if (i < 0 || (uint64_t)i >= c->nraw)
		return perr(c, "\"%s\": internal error", key);
	s = c->raw[i];
	len = c->rawlen[i];
	neg = s[0] == '-';
	for (k = neg; k < len; k++) {
		unsigned int d = (unsigned int)(s[k] - '0');

		if (u > (UINT64_MAX - d) / 10)
			return perr(c, "\"%s\": %.*s is out of range "
				    "(0..%" PRIu64 ")", key, (int)len, s, max);
		u = u * 10 + d;
	}
	if (neg && u != 0)
		return perr(c, "\"%s\": %.*s is negative", key, (int)len, s);
	if (u > max)
		return perr(c, "\"%s\": %.*s is out of range (0..%" PRIu64 ")",
			    key, (int)len, s, max);
	*out = u;
	return 0;
}

static int
get_name(struct pctx *c, json_t *obj, const char *key, char *dst)
{
	const char *s;
	size_t len;
	json_t *v;
	int rc;

	v = field(c, obj, key, JSON_STRING, &rc);
	if (v == NULL)
		return rc;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= MR_NAME_MAX || !mr_name_valid(s, len + 1)) {
		char buf[40];

		return perr(c, "\"%s\": \"%s\" is not a valid name (" NAME_RULE
			    ")", key, shown(buf, sizeof(buf), s));
	}
	memcpy(dst, s, len + 1);
	return 0;
}

static int
get_enum(struct pctx *c, json_t *obj, const char *key,
	 const char *const *names, unsigned int n, uint8_t *out)
{
	char buf[40], list[64];
	unsigned int i;
	size_t used = 0;
	const char *s;
	json_t *v;
	int rc;

	v = field(c, obj, key, JSON_STRING, &rc);
	if (v == NULL)
		return rc;
	s = json_string_value(v);
	for (i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; i < n && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
					 "%s\"%s\"", i == 0 ? "" : ", ",
					 names[i]);
	return perr(c, "\"%s\": \"%s\" is not one of %s", key,
		    shown(buf, sizeof(buf), s), list);
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		hi = hexval(s[3 * i]);
		lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
only_fields(struct pctx *c, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	char buf[40];
	int i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return perr(c, "unknown field \"%s\"",
				    shown(buf, sizeof(buf), key));
	}
	return 0;
}

static int
parse_endpoint(struct pctx *c, json_t *o, struct mr_api_endpoint *ep)
{
	static const char *const fields[] = {"kind", "name", "ip", "port",
		"vlan", "port_id", "mac", NULL};
	const char *s;
	uint64_t u;
	char buf[48];
	json_t *v;
	int rc;

	if ((rc = only_fields(c, o, fields)) < 0 ||
	    (rc = get_name(c, o, "name", ep->name)) < 0)
		return rc;
	v = field(c, o, "ip", JSON_STRING, &rc);
	if (v == NULL)
		return rc;
	s = json_string_value(v);
	if (inet_pton(AF_INET, s, ep->addr) == 1) {
		ep->ip_version = 4;
	} else if (strchr(s, ':') != NULL &&
		   inet_pton(AF_INET6, s, ep->addr) == 1) {
		ep->ip_version = 6;
	} else {
		return perr(c, "\"ip\": \"%s\" is not an IPv4 or IPv6 address",
			    shown(buf, sizeof(buf), s));
	}
	if ((rc = get_uint(c, o, "port", UINT16_MAX, &u)) < 0)
		return rc;
	ep->udp_port = (uint16_t)u;
	if ((rc = get_uint(c, o, "vlan", 4094, &u)) < 0)
		return rc;
	ep->vlan = (uint16_t)u;
	if ((rc = get_uint(c, o, "port_id", UINT16_MAX, &u)) < 0)
		return rc;
	ep->port_id = (uint16_t)u;
	if (json_object_get(o, "mac") != NULL) {
		v = field(c, o, "mac", JSON_STRING, &rc);
		if (v == NULL)
			return rc;
		s = json_string_value(v);
		if (parse_mac(s, ep->mac) < 0)
			return perr(c, "\"mac\": \"%s\" is not a MAC address "
				    "(xx:xx:xx:xx:xx:xx)",
				    shown(buf, sizeof(buf), s));
		ep->has_mac = 1;
	}
	return 0;
}

static int
parse_device(struct pctx *c, json_t *o, struct mr_api_device *d)
{
	static const char *const fields[] = {"kind", "user", "device",
		"endpoint", NULL};
	uint64_t u;
	int rc;

	if ((rc = only_fields(c, o, fields)) < 0 ||
	    (rc = get_uint(c, o, "user", UINT64_MAX, &d->user)) < 0 ||
	    (rc = get_uint(c, o, "device", UINT32_MAX, &u)) < 0)
		return rc;
	d->device = (uint32_t)u;
	return get_name(c, o, "endpoint", d->endpoint);
}

static int
parse_group(struct pctx *c, json_t *o, struct mr_api_group *g)
{
	static const char *const fields[] = {"kind", "id", "policy",
		"max_members", NULL};
	uint64_t u;
	int rc;

	if ((rc = only_fields(c, o, fields)) < 0 ||
	    (rc = get_uint(c, o, "id", UINT64_MAX, &g->id)) < 0 ||
	    (rc = get_enum(c, o, "policy", policy_names, NELEM(policy_names),
			   &g->policy)) < 0 ||
	    (rc = get_uint(c, o, "max_members", UINT32_MAX, &u)) < 0)
		return rc;
	g->max_members = (uint32_t)u;
	return 0;
}

static int
parse_member(struct pctx *c, json_t *o, struct mr_api_member *m)
{
	static const char *const fields[] = {"kind", "group", "user", "role",
		NULL};
	int rc;

	if ((rc = only_fields(c, o, fields)) < 0 ||
	    (rc = get_uint(c, o, "group", UINT64_MAX, &m->group)) < 0 ||
	    (rc = get_uint(c, o, "user", UINT64_MAX, &m->user)) < 0)
		return rc;
	return get_enum(c, o, "role", role_names, NELEM(role_names), &m->role);
}

static int
parse_sub(struct pctx *c, json_t *o, struct mr_api_sub *s)
{
	static const char *const fields[] = {"kind", "pattern", "user",
		"device", NULL};
	uint64_t u;
	size_t len;
	json_t *v;
	int rc;

	if ((rc = only_fields(c, o, fields)) < 0)
		return rc;
	v = field(c, o, "pattern", JSON_STRING, &rc);
	if (v == NULL)
		return rc;
	len = json_string_length(v);
	if (len == 0 || len >= MR_PATTERN_MAX ||
	    !text_valid((const unsigned char *)json_string_value(v), len))
		return perr(c, "\"pattern\" must be 1..255 bytes of UTF-8 text "
			    "without control characters");
	memcpy(s->pattern, json_string_value(v), len + 1);
	if ((rc = get_uint(c, o, "user", UINT64_MAX, &s->user)) < 0 ||
	    (rc = get_uint(c, o, "device", UINT32_MAX, &u)) < 0)
		return rc;
	s->device = (uint32_t)u;
	return 0;
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * Slow path: copy line to out, replacing every integer literal outside
 * strings with its ordinal and remembering its text in c->raw[]. out must
 * hold strlen(line) + 2 * MAX_INT_TOKENS + 1 bytes (an ordinal has at most
 * 2 digits and replaces at least 1 character).
 */
static int
rewrite_ints(struct pctx *c, const char *line, char *out)
{
	const char *p = line, *q, *digits;

	c->nraw = 0;
	while (*p != '\0') {
		if (*p == '"') {
			*out++ = *p++;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && p[1] != '\0')
					*out++ = *p++;
				*out++ = *p++;
			}
			if (*p == '"')
				*out++ = *p++;
			continue;
		}
		if (*p != '-' && !is_digit(*p)) {
			*out++ = *p++;
			continue;
		}
		digits = q = p + (*p == '-');
		while (is_digit(*q))
			q++;
		if (q == digits || *q == '.' || *q == 'e' || *q == 'E') {
			/* Not an integer: let jansson judge it. */
			while (*q == '-' || *q == '+' || *q == '.' ||
			       *q == 'e' || *q == 'E' || is_digit(*q))
				q++;
			memcpy(out, p, (size_t)(q - p));
			out += q - p;
			p = q;
			continue;
		}
		if (digits[0] == '0' && q - digits > 1)
			return perr(c, "invalid JSON at byte %zu: number with "
				    "a leading zero", (size_t)(p - line));
		if (c->nraw == MAX_INT_TOKENS)
			return perr(c, "too many numbers on one line");
		c->raw[c->nraw] = p;
		c->rawlen[c->nraw] = (size_t)(q - p);
		out += sprintf(out, "%u", c->nraw);
		c->nraw++;
		p = q;
	}
	*out = '\0';
	return 0;
}

int
mr_record_parse(const char *line, struct mr_record *out, char *err,
		size_t errlen)
{
	struct pctx c = {.err = err, .errlen = errlen};
	const char *p, *kind;
	json_error_t jerr;
	char *alt = NULL;
	json_t *root, *v;
	char buf[40];
	int rc, k;

	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (p = line; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	if (*p == '\0')
		return -ENODATA;

	root = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL && json_error_code(&jerr) == json_error_numeric_overflow) {
		alt = malloc(strlen(line) + 2 * MAX_INT_TOKENS + 1);
		if (alt == NULL)
			return -ENOMEM;
		rc = rewrite_ints(&c, line, alt);
		if (rc < 0)
			goto out;
		c.slow = 1;
		root = json_loads(alt, JSON_REJECT_DUPLICATES, &jerr);
		if (root == NULL) {
			rc = perr(&c, "invalid JSON: %s", jerr.text);
			goto out;
		}
	} else if (root == NULL) {
		rc = perr(&c, "invalid JSON at column %d: %s", jerr.column,
			  jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = perr(&c, "a record must be a JSON object, not %s",
			  type_name(root));
		goto out;
	}
	v = field(&c, root, "kind", JSON_STRING, &rc);
	if (v == NULL)
		goto out;
	kind = json_string_value(v);
	for (k = 1; k < MR_REC_KIND_MAX; k++)
		if (strcmp(kind, kind_names[k]) == 0)
			break;
	if (k == MR_REC_KIND_MAX) {
		rc = perr(&c, "unknown kind \"%s\" (endpoint, device, group, "
			  "member or sub)", shown(buf, sizeof(buf), kind));
		goto out;
	}
	c.kind = kind_names[k];
	out->kind = k;
	switch (k) {
	case MR_REC_ENDPOINT:
		rc = parse_endpoint(&c, root, &out->u.ep);
		break;
	case MR_REC_DEVICE:
		rc = parse_device(&c, root, &out->u.dev);
		break;
	case MR_REC_GROUP:
		rc = parse_group(&c, root, &out->u.grp);
		break;
	case MR_REC_MEMBER:
		rc = parse_member(&c, root, &out->u.mem);
		break;
	default:
		rc = parse_sub(&c, root, &out->u.sub);
		break;
	}
	/* The rules that are not about syntax (port 0, multicast MAC...). */
	if (rc == 0)
		rc = mr_record_check(k, &out->u, err, errlen);
out:
	json_decref(root);
	free(alt);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
