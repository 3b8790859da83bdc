/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mrelay authors
 *
 * Unit tests of the JSON lines records (controlplane/records.c): every kind
 * round-trips and encodes to its documented line, 64-bit ids are exact up to
 * 2^64-1, and every class of bad input is refused with a message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "records.h"

/* Parse line, expect success, return the record. */
static struct mr_record
parse_ok(const char *line)
{
	struct mr_record r;
	char err[256] = "";

	if (mr_record_parse(line, &r, err, sizeof(err)) != 0)
		fail_msg("%s: %s", line, err);
	return r;
}

/* Parse line, expect -EINVAL with `word` in the message. */
static void
parse_bad(const char *line, const char *word)
{
	struct mr_record r;
	char err[256] = "";
	int rc;

	rc = mr_record_parse(line, &r, err, sizeof(err));
	if (rc != -EINVAL)
		fail_msg("%s: expected -EINVAL, got %d", line, rc);
	if (strstr(err, word) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", line, err, word);
	assert_int_equal(r.kind, 0);
}

/* line parses, and the record encodes back to exactly line. */
static struct mr_record
canonical(const char *line)
{
	struct mr_record r = parse_ok(line), r2;
	char buf[MR_RECORD_LINE_MAX];
	int n;

	n = mr_record_to_json(r.kind, &r.u, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(line) + 1);
	assert_int_equal(buf[n - 1], '\n');
	buf[n - 1] = '\0';
	assert_string_equal(buf, line);
	r2 = parse_ok(buf);
	assert_memory_equal(&r, &r2, sizeof(r));
	return r;
}

static void
test_endpoint(void **state)
{
	struct mr_record r;

	r = canonical("{\"kind\":\"endpoint\",\"name\":\"gw-1.a_B\",\"ip\":"
		      "\"10.0.0.1\",\"port\":4789,\"vlan\":4094,\"port_id\":"
		      "65535,\"mac\":\"02:00:5e:ab:cd:ef\"}");
	assert_int_equal(r.kind, MR_REC_ENDPOINT);
	assert_string_equal(r.u.ep.name, "gw-1.a_B");
	assert_int_equal(r.u.ep.ip_version, 4);
	assert_memory_equal(r.u.ep.addr, "\x0a\0\0\x01\0\0\0\0\0\0\0\0\0\0\0",
			    16);
	assert_int_equal(r.u.ep.udp_port, 4789);
	assert_int_equal(r.u.ep.vlan, 4094);
	assert_int_equal(r.u.ep.port_id, 65535);
	assert_int_equal(r.u.ep.has_mac, 1);
	assert_memory_equal(r.u.ep.mac, "\x02\x00\x5e\xab\xcd\xef", 6);

	r = canonical("{\"kind\":\"endpoint\",\"name\":\"v6\",\"ip\":"
		      "\"2001:db8::1\",\"port\":1,\"vlan\":0,\"port_id\":0}");
	assert_int_equal(r.u.ep.ip_version, 6);
	assert_int_equal(r.u.ep.has_mac, 0);
	assert_int_equal(r.u.ep.addr[15], 1);

	/* Any key order, spaces, upper-case MAC, CRLF: same record. */
	r = parse_ok(" { \"mac\" : \"02:00:5E:AB:CD:EF\", \"port_id\":7,"
		     "\"vlan\":0, \"port\":9,\"ip\":\"192.0.2.1\","
		     "\"name\":\"x\", \"kind\":\"endpoint\" }\r\n");
	assert_int_equal(r.u.ep.mac[2], 0x5e);
	assert_int_equal(r.u.ep.port_id, 7);
}

static void
test_device_group_member_sub(void **state)
{
	struct mr_record r;

	r = canonical("{\"kind\":\"device\",\"user\":18446744073709551615,"
		      "\"device\":4294967295,\"endpoint\":\"gw1\"}");
	assert_true(r.u.dev.user == UINT64_MAX);
	assert_true(r.u.dev.device == UINT32_MAX);
	assert_string_equal(r.u.dev.endpoint, "gw1");

	r = canonical("{\"kind\":\"group\",\"id\":9223372036854775808,"
		      "\"policy\":\"admins\",\"max_members\":4294967295}");
	assert_true(r.u.grp.id == UINT64_C(9223372036854775808));
	assert_int_equal(r.u.grp.policy, MR_POLICY_ADMINS);
	assert_true(r.u.grp.max_members == UINT32_MAX);
	r = canonical("{\"kind\":\"group\",\"id\":0,\"policy\":\"everyone\","
		      "\"max_members\":0}");
	assert_int_equal(r.u.grp.policy, MR_POLICY_EVERYONE);

	r = canonical("{\"kind\":\"member\",\"group\":9223372036854775807,"
		      "\"user\":1,\"role\":\"read-only\"}");
	assert_true(r.u.mem.group == INT64_MAX);
	assert_int_equal(r.u.mem.role, MR_ROLE_READONLY);
	r = canonical("{\"kind\":\"member\",\"group\":1,\"user\":2,"
		      "\"role\":\"admin\"}");
	assert_int_equal(r.u.mem.role, MR_ROLE_ADMIN);
	r = canonical("{\"kind\":\"member\",\"group\":1,\"user\":2,"
		      "\"role\":\"member\"}");
	assert_int_equal(r.u.mem.role, MR_ROLE_MEMBER);

	/* Escapes and UTF-8 survive; digits inside strings stay text. */
	r = canonical("{\"kind\":\"sub\",\"pattern\":\"a\\\"b\\\\c caf\xc3\xa9 "
		      "-5 18446744073709551616\",\"user\":18446744073709551615,"
		      "\"device\":3}");
	assert_string_equal(r.u.sub.pattern,
			    "a\"b\\c caf\xc3\xa9 -5 18446744073709551616");
	assert_true(r.u.sub.user == UINT64_MAX);
	/* \u escapes are decoded; the encoder writes UTF-8. */
	r = parse_ok("{\"kind\":\"sub\",\"pattern\":\"\\u00e9\\/\",\"user\":1,"
		     "\"device\":0}");
	assert_string_equal(r.u.sub.pattern, "\xc3\xa9/");
}

static void
test_big_numbers(void **state)
{
	struct mr_record r;

	/* Above 2^63-1 in several fields at once, slow path. */
	r = parse_ok("{\"kind\":\"member\",\"group\":18446744073709551614,"
		     "\"user\":9223372036854775809,\"role\":\"member\"}");
	assert_true(r.u.mem.group == UINT64_MAX - 1);
	assert_true(r.u.mem.user == (UINT64_C(1) << 63) + 1);
	/* -0 is zero on both paths. */
	r = parse_ok("{\"kind\":\"member\",\"group\":-0,\"user\":"
		     "18446744073709551615,\"role\":\"member\"}");
	assert_true(r.u.mem.group == 0);
	parse_bad("{\"kind\":\"member\",\"group\":18446744073709551616,"
		  "\"user\":1,\"role\":\"member\"}", "out of range");
	parse_bad("{\"kind\":\"member\",\"group\":1,\"user\":"
		  "99999999999999999999999999,\"role\":\"member\"}",
		  "out of range");
	parse_bad("{\"kind\":\"member\",\"group\":-1,\"user\":1,"
		  "\"role\":\"member\"}", "negative");
	parse_bad("{\"kind\":\"member\",\"group\":-9223372036854775809,"
		  "\"user\":1,\"role\":\"member\"}", "negative");
	parse_bad("{\"kind\":\"member\",\"group\":-1,\"user\":"
		  "18446744073709551615,\"role\":\"member\"}", "negative");
	/* Ranges narrower than 64 bits. */
	parse_bad("{\"kind\":\"device\",\"user\":1,\"device\":4294967296,"
		  "\"endpoint\":\"a\"}", "out of range");
	parse_bad("{\"kind\":\"device\",\"user\":1,\"device\":"
		  "18446744073709551615,\"endpoint\":\"a\"}", "out of range");
	parse_bad("{\"kind\":\"group\",\"id\":1,\"policy\":\"everyone\","
		  "\"max_members\":4294967296}", "max_members");
	/* Not integers. */
	parse_bad("{\"kind\":\"group\",\"id\":1.0,\"policy\":\"everyone\","
		  "\"max_members\":0}", "integer");
	parse_bad("{\"kind\":\"group\",\"id\":1e3,\"policy\":\"everyone\","
		  "\"max_members\":0}", "integer");
	parse_bad("{\"kind\":\"group\",\"id\":\"5\",\"policy\":\"everyone\","
		  "\"max_members\":0}", "integer");
	parse_bad("{\"kind\":\"group\",\"id\":18446744073709551615.0,"
		  "\"policy\":\"everyone\",\"max_members\":0}", "integer");
	parse_bad("{\"kind\":\"group\",\"id\":true,\"policy\":\"everyone\","
		  "\"max_members\":0}", "boolean");
	parse_bad("{\"kind\":\"group\",\"id\":null,\"policy\":\"everyone\","
		  "\"max_members\":0}", "null");
	/* Bad number syntax, on both paths. */
	parse_bad("{\"kind\":\"group\",\"id\":01,\"policy\":\"everyone\","
		  "\"max_members\":0}", "invalid JSON");
	parse_bad("{\"kind\":\"group\",\"id\":01,\"policy\":\"everyone\","
		  "\"max_members\":18446744073709551615}", "invalid JSON");
	parse_bad("{\"kind\":\"group\",\"id\":+1,\"policy\":\"everyone\","
		  "\"max_members\":0}", "invalid JSON");
}

static void
test_structure_errors(void **state)
{
	struct mr_record r;
	char err[256];

	assert_int_equal(mr_record_parse("", &r, err, sizeof(err)), -ENODATA);
	assert_int_equal(mr_record_parse(" \t\r\n", &r, err, sizeof(err)),
			 -ENODATA);
	parse_bad("{\"kind\":\"group\"", "invalid JSON");
	parse_bad("not json", "invalid JSON");
	parse_bad("{\"kind\":\"member\",\"group\":1,\"user\":2,\"role\":"
		  "\"member\"} {}", "invalid JSON");
	parse_bad("[1,2]", "JSON object");
	parse_bad("\"endpoint\"", "invalid JSON");
	parse_bad("{}", "missing field \"kind\"");
	parse_bad("{\"kind\":3}", "\"kind\" must be a string");
	parse_bad("{\"kind\":\"acl\"}", "unknown kind \"acl\"");
	parse_bad("{\"kind\":\"member\",\"group\":1,\"user\":2,\"role\":"
		  "\"member\",\"extra\":1}", "unknown field \"extra\"");
	parse_bad("{\"kind\":\"member\",\"group\":1,\"user\":2,\"role\":"
		  "\"member\",\"group\":3}", "duplicate");
	parse_bad("{\"kind\":\"member\",\"group\":1,\"role\":\"member\"}",
		  "missing field \"user\"");
	parse_bad("{\"kind\":\"member\",\"group\":1,\"user\":2,\"role\":"
		  "\"owner\"}", "\"role\": \"owner\" is not one of");
	parse_bad("{\"kind\":\"group\",\"id\":1,\"policy\":\"nobody\","
		  "\"max_members\":0}", "\"everyone\", \"admins\"");
	parse_bad("{\"kind\":\"group\",\"id\":1,\"policy\":0,"
		  "\"max_members\":0}", "must be a string");
	/* Messages name the kind; control bytes are not echoed. */
	parse_bad("{\"kind\":\"sub\",\"pattern\":\"x\",\"user\":1,\"device\":1,"
		  "\"a\\nb\":0}", "sub: unknown field \"a?b\"");
	/* The err buffer may be NULL. */
	assert_int_equal(mr_record_parse("{}", &r, NULL, 0), -EINVAL);
}

static void
test_value_errors(void **state)
{
	char pat[300], line[400];

	parse_bad("{\"kind\":\"device\",\"user\":1,\"device\":1,\"endpoint\":"
		  "\"a b\"}", "not a valid name");
	parse_bad("{\"kind\":\"device\",\"user\":1,\"device\":1,\"endpoint\":"
		  "\"\"}", "not a valid name");
	parse_bad("{\"kind\":\"device\",\"user\":1,\"device\":1,\"endpoint\":"
		  "\"a/b\"}", "not a valid name");
	parse_bad("{\"kind\":\"device\",\"user\":1,\"device\":1,\"endpoint\":"
		  "\"abcdefghijklmnopqrstuvwxyz012345\"}", "not a valid name");
	parse_ok("{\"kind\":\"device\",\"user\":1,\"device\":1,\"endpoint\":"
		 "\"abcdefghijklmnopqrstuvwxyz01234\"}");
	parse_bad("{\"kind\":\"device\",\"user\":1,\"device\":1,\"endpoint\":"
		  "\"caf\\u00e9\"}", "not a valid name");
	parse_bad("{\"kind\":\"device\",\"user\":1,\"device\":1,\"endpoint\":"
		  "\"a\\u0000b\"}", "invalid JSON");

#define EP(ip, port, vlan, mac) "{\"kind\":\"endpoint\",\"name\":\"e\"," \
	"\"ip\":\"" ip "\",\"port\":" port ",\"vlan\":" vlan ",\"port_id\":0" \
	mac "}"
	parse_bad(EP("10.0.0.256", "1", "0", ""), "not an IPv4 or IPv6");
	parse_bad(EP("10.0.0.01", "1", "0", ""), "not an IPv4 or IPv6");
	parse_bad(EP("10.0.0", "1", "0", ""), "not an IPv4 or IPv6");
	parse_bad(EP("fe80::1%eth0", "1", "0", ""), "not an IPv4 or IPv6");
	parse_bad(EP("host.example", "1", "0", ""), "not an IPv4 or IPv6");
	parse_bad(EP("0.0.0.0", "1", "0", ""), "unspecified");
	parse_bad(EP("::", "1", "0", ""), "unspecified");
	parse_bad(EP("10.0.0.1", "0", "0", ""), "\"port\"");
	parse_bad(EP("10.0.0.1", "65536", "0", ""), "out of range");
	parse_bad(EP("10.0.0.1", "1", "4095", ""), "out of range");
	parse_bad(EP("10.0.0.1", "1", "0", ",\"mac\":\"02:00:00:00:00\""),
		  "not a MAC address");
	parse_bad(EP("10.0.0.1", "1", "0", ",\"mac\":\"02-00-00-00-00-01\""),
		  "not a MAC address");
	parse_bad(EP("10.0.0.1", "1", "0", ",\"mac\":\"0g:00:00:00:00:01\""),
		  "not a MAC address");
	parse_bad(EP("10.0.0.1", "1", "0", ",\"mac\":\"01:00:5e:00:00:01\""),
		  "unicast");
	parse_bad(EP("10.0.0.1", "1", "0", ",\"mac\":\"00:00:00:00:00:00\""),
		  "unicast");
	parse_bad(EP("10.0.0.1", "1", "0", ",\"mac\":null"), "must be a string");
#undef EP

	parse_bad("{\"kind\":\"sub\",\"pattern\":\"\",\"user\":1,\"device\":1}",
		  "\"pattern\" must be");
	parse_bad("{\"kind\":\"sub\",\"pattern\":\"a\\tb\",\"user\":1,"
		  "\"device\":1}", "\"pattern\" must be");
	parse_bad("{\"kind\":\"sub\",\"pattern\":\"\\u007f\",\"user\":1,"
		  "\"device\":1}", "\"pattern\" must be");
	memset(pat, 'p', 256);
	pat[256] = '\0';
	snprintf(line, sizeof(line), "{\"kind\":\"sub\",\"pattern\":\"%s\","
		 "\"user\":1,\"device\":1}", pat);
	parse_bad(line, "\"pattern\" must be");
	pat[255] = '\0';
	snprintf(line, sizeof(line), "{\"kind\":\"sub\",\"pattern\":\"%s\","
		 "\"user\":1,\"device\":1}", pat);
	parse_ok(line);
}

static void
test_encode_errors(void **state)
{
	struct mr_api_endpoint ep = {.name = "e", .ip_version = 4,
		.udp_port = 1, .addr = {10, 0, 0, 1}};
	struct mr_api_sub s = {.user = 1};
	char buf[MR_RECORD_LINE_MAX];
	struct mr_record r;
	int n;

	n = mr_record_to_json(MR_REC_ENDPOINT, &ep, buf, sizeof(buf));
	assert_true(n > 0);
	/* Exactly enough room for line and NUL, then one byte short. */
	assert_int_equal(mr_record_to_json(MR_REC_ENDPOINT, &ep, buf, n + 1),
			 n);
	assert_int_equal(mr_record_to_json(MR_REC_ENDPOINT, &ep, buf, n),
			 -ENOSPC);
	assert_string_equal(buf, "");
	ep.addr[5] = 1;	/* IPv4 not zero-padded */
	assert_int_equal(mr_record_to_json(MR_REC_ENDPOINT, &ep, buf,
					   sizeof(buf)), -EINVAL);
	ep.addr[5] = 0;
	ep.reserved = 1;
	assert_int_equal(mr_record_to_json(MR_REC_ENDPOINT, &ep, buf,
					   sizeof(buf)), -EINVAL);
	assert_int_equal(mr_record_to_json(99, &ep, buf, sizeof(buf)),
			 -EINVAL);
	/* Invalid UTF-8 and unterminated patterns are refused. */
	snprintf(s.pattern, sizeof(s.pattern), "caf\xc3");
	assert_int_equal(mr_record_to_json(MR_REC_SUB, &s, buf, sizeof(buf)),
			 -EINVAL);
	snprintf(s.pattern, sizeof(s.pattern), "\xc0\xaf");	/* overlong */
	assert_int_equal(mr_record_to_json(MR_REC_SUB, &s, buf, sizeof(buf)),
			 -EINVAL);
	snprintf(s.pattern, sizeof(s.pattern), "\xed\xa0\x80");	/* surrogate */
	assert_int_equal(mr_record_to_json(MR_REC_SUB, &s, buf, sizeof(buf)),
			 -EINVAL);
	memset(s.pattern, 'x', sizeof(s.pattern));
	assert_int_equal(mr_record_to_json(MR_REC_SUB, &s, buf, sizeof(buf)),
			 -EINVAL);
	/* The longest line fits MR_RECORD_LINE_MAX. */
	memset(s.pattern, '"', sizeof(s.pattern) - 1);
	s.pattern[sizeof(s.pattern) - 1] = '\0';
	s.user = UINT64_MAX;
	s.device = UINT32_MAX;
	n = mr_record_to_json(MR_REC_SUB, &s, buf, sizeof(buf));
	assert_true(n > 0 && n < MR_RECORD_LINE_MAX);
	r = parse_ok(buf);
	assert_memory_equal(&r.u.sub, &s, sizeof(s));
	assert_string_equal(mr_record_kind_name(MR_REC_SUB), "sub");
	assert_null(mr_record_kind_name(0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_device_group_member_sub),
		cmocka_unit_test(test_big_numbers),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_encode_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
