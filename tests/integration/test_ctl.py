#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""mrelayctl against a real mrelayd, through the CLI only.

Every object and verb with exact values (--json output parsed and compared
field by field), the refusals mrelayd answers (exit 1, state unchanged,
compared by export), the arguments mrelayctl must refuse itself (exit 2,
nothing sent: run against a listening socket that counts connections), and
export -> import into a fresh daemon -> identical export.
"""

import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mrelayd_harness as h  # noqa: E402
from mrelayd_harness import check, check_eq  # noqa: E402

LIMITS = dict(max_endpoints=4, max_users=100, max_devices_per_user=2,
              max_groups=5, max_group_members=5, max_memberships=12,
              max_subscriptions=4)
U64MAX = 2**64 - 1
done = []


def step(name):
    done.append(name)
    h.log("ok  %s" % name)


def ep(name, ip, port, vlan=0, port_id=0, mac=None, id_=None):
    r = {"kind": "endpoint", "name": name, "ip": ip, "port": port,
         "vlan": vlan, "port_id": port_id}
    if mac is not None:
        r["mac"] = mac
    if id_ is not None:
        r["id"] = id_
    return r


def dev(user, device, endpoint):
    return {"kind": "device", "user": user, "device": device,
            "endpoint": endpoint}


def mem(group, user, role="member"):
    return {"kind": "member", "group": group, "user": user, "role": role}


def sub(pattern, user, device):
    return {"kind": "sub", "pattern": pattern, "user": user,
            "device": device}


def by_user(members):
    return sorted(members, key=lambda m: m["user"])


def by_sub(subs):
    return sorted(subs, key=lambda s: (s["pattern"].encode(), s["user"],
                                       s["device"]))


def unchanged(d, before, what):
    check_eq(d.export(), before, "state after refused '%s'" % what)


class CountingListener:
    """A Unix socket that only counts the connections made to it."""

    def __init__(self, path):
        self.path = path
        self.count = 0
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.bind(path)
        self.s.listen(16)
        self.s.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                c, _ = self.s.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.count += 1
            c.close()

    def close(self):
        self.stop = True
        self.t.join()
        self.s.close()


# ------------------------------------------------------------------ tests

def test_endpoints(d):
    d.ok("endpoint", "add", "gw1", "ip", "10.0.0.5", "port", "7400")
    d.ok("endpoint", "add", "gw2", "ip", "2001:db8::1", "port", "7001",
         "mac", "02:00:00:00:00:01", "vlan", "100", "port-id", "0")
    # keywords in any order
    d.ok("endpoint", "add", "gw3", "port", "1", "vlan", "4094", "ip",
         "192.0.2.77")
    eps = d.json("endpoint", "show")
    check_eq(sorted(eps, key=lambda e: e["name"]), [
        ep("gw1", "10.0.0.5", 7400, id_=0),
        ep("gw2", "2001:db8::1", 7001, vlan=100,
           mac="02:00:00:00:00:01", id_=1),
        ep("gw3", "192.0.2.77", 1, vlan=4094, id_=2)], "endpoint show")
    check_eq(d.json("endpoint", "show", "gw2"),
             [ep("gw2", "2001:db8::1", 7001, vlan=100,
                 mac="02:00:00:00:00:01", id_=1)], "endpoint show gw2")
    txt = d.ok("endpoint", "show", "gw1")
    check(txt.splitlines()[0].split() ==
          ["NAME", "ID", "ADDRESS", "PORT", "VLAN", "PORT-ID", "MAC"],
          "endpoint show header: %r" % txt)
    check_eq(txt.splitlines()[1].split(),
             ["gw1", "0", "10.0.0.5", "7400", "-", "0", "(resolved)"],
             "endpoint show gw1 (table)")
    r = d.ctl("endpoint", "show", "nosuch")
    check_eq(r.rc, 1, "endpoint show nosuch: exit")
    # replace keeps the id
    d.ok("endpoint", "add", "gw1", "ip", "10.0.0.6", "port", "7401")
    check_eq(d.json("endpoint", "show", "gw1"),
             [ep("gw1", "10.0.0.6", 7401, id_=0)], "endpoint replaced")
    # the fifth endpoint is over max_endpoints (4)
    d.ok("endpoint", "add", "gw4", "ip", "10.0.0.9", "port", "9")
    before = d.export()
    d.refused("No space left on device", "endpoint", "add", "gw5", "ip",
              "10.0.0.10", "port", "9")
    unchanged(d, before, "endpoint add over max_endpoints")
    d.ok("endpoint", "del", "gw4")
    d.refused("No such file or directory", "endpoint", "del", "gw4")
    check_eq([e["name"] for e in d.json("endpoint", "show")],
             ["gw1", "gw2", "gw3"], "endpoints after del")
    step("endpoint add/replace/show/del, max_endpoints")


def test_devices(d):
    d.ok("device", "add", "1001", "1", "endpoint", "gw1")
    d.ok("device", "add", "1001", "2", "endpoint", "gw2")
    d.ok("device", "add", U64MAX, "4294967295", "endpoint", "gw3")
    check_eq(d.json("user", "show", "1001"),
             [dev(1001, 1, "gw1"), dev(1001, 2, "gw2")], "user show 1001")
    check_eq(d.json("user", "show", U64MAX),
             [dev(U64MAX, 4294967295, "gw3")], "user show 2^64-1")
    txt = d.ok("user", "show", "1001").splitlines()
    check_eq([l.split() for l in txt],
             [["USER", "DEVICE", "ENDPOINT"], ["1001", "1", "gw1"],
              ["1001", "2", "gw2"]], "user show (table)")
    # an endpoint in use cannot go
    before = d.export()
    d.refused("Device or resource busy", "endpoint", "del", "gw1")
    unchanged(d, before, "endpoint del in use")
    # move device 1 to gw3: gw1 is then free
    d.ok("device", "add", "1001", "1", "endpoint", "gw3")
    check_eq(d.json("user", "show", "1001"),
             [dev(1001, 1, "gw3"), dev(1001, 2, "gw2")], "device moved")
    check_eq(d.stats()["tables.devices"], 3, "devices after a move")
    d.ok("endpoint", "del", "gw1")
    # refusals
    before = d.export()
    d.refused("No such file or directory", "device", "add", "1001", "3",
              "endpoint", "gw1")
    d.refused("No space left on device", "device", "add", "1001", "3",
              "endpoint", "gw2")     # max_devices_per_user 2
    d.refused("No such file or directory", "device", "del", "1001", "7")
    d.refused("No such file or directory", "device", "del", "77", "1")
    d.refused("No such file or directory", "user", "show", "77")
    unchanged(d, before, "device refusals")
    d.ok("device", "del", "1001", "2")
    check_eq(d.json("user", "show", "1001"), [dev(1001, 1, "gw3")],
             "after device del")
    d.ok("device", "add", "1001", "2", "endpoint", "gw2")
    step("device add/move/del, user show, endpoint del refused while in use")


def test_groups(d):
    d.ok("group", "add", "500", "policy", "admins-post", "max-members", "3")
    d.ok("group", "add", "7")
    d.ok("group", "add", U64MAX, "policy", "everyone", "max-members", "5")
    d.ok("group", "add", "0")
    x = d.json("group", "show", "500")
    # next_seq comes from the dataplane: 0 or 1 before any message (the
    # docs show 0, the relay reports the next number it will assign)
    check(x.get("next_seq") in (0, 1), "next_seq of a new group: %r" % x)
    seq = x["next_seq"]
    check_eq(x, {"kind": "group", "id": 500, "policy": "admins",
                 "max_members": 3, "nmembers": 0, "next_seq": seq,
                 "members": []}, "group show 500")
    g = d.json("group", "list")
    h.expect([x["next_seq"] for x in g] == [seq] * 4,
             "group list --json must report the next_seq that group show "
             "reports (%d): got %r" % (seq, [x["next_seq"] for x in g]))
    check_eq([(x["id"], x["policy"], x["nmembers"]) for x in g],
             [(0, "everyone", 0), (7, "everyone", 0),
              (500, "admins", 0), (U64MAX, "everyone", 0)],
             "group list (ascending ids, 0 and 2^64-1 included)")
    check_eq(g[3]["max_members"], 5, "max_members of group 2^64-1")
    # docs/control-api.md: --json records carry the values of the export
    # format, where a group added without max-members has 0 ("the
    # daemon's limit"); the text output prints "default" for it
    h.expect(g[0]["max_members"] == 0,
             "group list --json: max_members of a group added without "
             "max-members must be 0 as in export, got %r" % g[0]["max_members"])
    txt = d.ok("group", "show", "0")
    h.expect("max-members  default" in txt,
             "group show 0: 'max-members  default' expected: %r" % txt)
    # settings replaced, members kept
    d.ok("group", "member", "add", "7", "1001")
    d.ok("group", "add", "7", "policy", "admins-post", "max-members", "4")
    x = d.json("group", "show", "7")
    check_eq((x["policy"], x["max_members"], x["nmembers"]),
             ("admins", 4, 1), "group 7 after its settings changed")
    txt = d.ok("group", "show", "500")
    check("policy       admins-post" in txt and "max-members  3" in txt and
          "members      0" in txt, "group show 500 (text): %r" % txt)
    d.ok("group", "add", "8")     # the fifth group: max_groups is 5
    step("group add/show/list with policy and max-members")


def test_group_limits(d):
    before = d.export()
    d.refused("No space left on device", "group", "add", "9")
    d.refused("Invalid argument", "group", "add", "9", "max-members", "6")
    d.refused("No such file or directory", "group", "del", "9")
    d.refused("No such file or directory", "group", "show", "9")
    # group 7 has one member: a limit below it is refused
    d.ok("group", "member", "add", "7", "1002")
    before = d.export()
    d.refused("No space left on device", "group", "add", "7",
              "max-members", "1")
    unchanged(d, before, "group limit below its members")
    d.ok("group", "del", "8")
    d.refused("No such file or directory", "group", "del", "8")
    step("group limits (max_groups, max-members) and del")


def test_members(d):
    d.ok("group", "member", "add", "500", "1001", "role", "admin")
    d.ok("group", "member", "add", "500", "1002")
    d.ok("group", "member", "add", "500", U64MAX, "role", "read-only")
    x = d.json("group", "show", "500")
    check_eq(x["nmembers"], 3, "nmembers of 500")
    check_eq(by_user(x["members"]),
             [mem(500, 1001, "admin"), mem(500, 1002),
              mem(500, U64MAX, "read-only")], "members of 500")
    # role change: same count
    d.ok("group", "member", "add", "500", "1002", "role", "admin")
    x = d.json("group", "show", "500")
    check_eq(by_user(x["members"]),
             [mem(500, 1001, "admin"), mem(500, 1002, "admin"),
              mem(500, U64MAX, "read-only")], "role changed")
    txt = d.ok("group", "show", "500")
    check(["1002", "admin"] in [l.split() for l in txt.splitlines()],
          "group show text: %r" % txt)
    st = d.stats()
    check_eq(st["tables.memberships"], 5, "memberships")   # 7: 2, 500: 3
    before = d.export()
    # over max-members of group 500 (3)
    d.refused("No space left on device", "group", "member", "add", "500",
              "1003")
    # unknown group
    d.refused("No such file or directory", "group", "member", "add", "999",
              "1001")
    d.refused("No such file or directory", "group", "member", "del", "500",
              "4242")
    unchanged(d, before, "member refusals")
    d.ok("group", "member", "del", "500", U64MAX)
    d.refused("No such file or directory", "group", "member", "del", "500",
              U64MAX)
    check_eq(by_user(d.json("group", "show", "500")["members"]),
             [mem(500, 1001, "admin"), mem(500, 1002, "admin")],
             "after member del")
    step("group member add/role change/del, per-group limit, unknown group")


def test_batches(d):
    """All-or-nothing batches through import: duplicate, limits."""
    before = d.export()
    st0 = d.stats()
    # the same (group, user) twice in one batch: records apply in order,
    # the last one wins (role admin); then undo it
    r = d.import_text('{"kind":"member","group":0,"user":1,"role":"member"}\n'
                      '{"kind":"member","group":0,"user":2,"role":"member"}\n'
                      '{"kind":"member","group":0,"user":1,"role":"admin"}\n')
    check(r.rc == 0, "duplicate member in a batch: %r" % r)
    roles = {m["user"]: m["role"] for m in d.json("group", "show", "0")
             .get("members", [])}
    check_eq((roles.get(1), roles.get(2)), ("admin", "member"),
             "roles after a batch naming user 1 twice")
    d.ok("group", "member", "del", "0", "1")
    d.ok("group", "member", "del", "0", "2")
    unchanged(d, before, "duplicate member in a batch, undone")
    # 6 new members in group 0 (max_group_members 5): none applied
    r = d.import_text("".join(
        '{"kind":"member","group":0,"user":%d,"role":"member"}\n' % u
        for u in range(10, 16)))
    check(r.rc == 1 and "No space left on device" in r.err,
          "over max_group_members: %r" % r)
    unchanged(d, before, "batch over max_group_members")
    # total memberships: 4 now, max 12; 5 + 5 in two groups = 14 > 12
    r = d.import_text("".join(
        '{"kind":"member","group":%d,"user":%d,"role":"member"}\n' % (g, u)
        for g in (0, U64MAX) for u in range(20, 25)))
    check(r.rc == 1 and "No space left on device" in r.err,
          "over max_memberships: %r" % r)
    unchanged(d, before, "batch over max_memberships")
    # one record refused among good ones (unknown group): none applied
    r = d.import_text('{"kind":"member","group":0,"user":30,"role":"member"}\n'
                      '{"kind":"member","group":31337,"user":31,"role":"member"}\n')
    check(r.rc == 1 and "No such file or directory" in r.err,
          "unknown group in a batch: %r" % r)
    unchanged(d, before, "batch with an unknown group")
    # users: max_users 100 counts users with a device or a membership
    st = d.stats()
    check_eq(st["tables.memberships"], st0["tables.memberships"],
             "memberships after refused batches")
    check_eq(st["tables.users"], st0["tables.users"],
             "users after refused batches")
    # a good batch over two groups
    r = d.import_text('{"kind":"member","group":0,"user":40,"role":"member"}\n'
                      '{"kind":"member","group":%d,"user":41,"role":"admin"}\n'
                      % U64MAX)
    check(r.rc == 0 and r.out == "imported 2 records\n", "good batch: %r" % r)
    check_eq(d.json("group", "show", U64MAX)["members"],
             [mem(U64MAX, 41, "admin")], "members of group 2^64-1")
    step("batches: duplicate member, over limits, unknown group -> exit 1, "
         "nothing applied")


def test_topics(d):
    d.ok("topic", "sub", "add", "news.sports", "1001", "1")
    d.ok("topic", "sub", "add", "news.*", "1002", "7")
    d.ok("topic", "sub", "add", "chat.x_1+.>", U64MAX, "4294967295")
    # bytes outside printable ASCII, empty tokens, '>' not last: refused
    # by mrelayd's pattern rules (docs/protocol.md, section 8)
    for bad in ("caf\u00e9.\u00fcber", "a..b", "a.>.b", "a*"):
        d.refused("Invalid argument", "topic", "sub", "add", bad, "1", "1")
    want = by_sub([sub("news.sports", 1001, 1), sub("news.*", 1002, 7),
                   sub("chat.x_1+.>", U64MAX, 4294967295)])
    check_eq(by_sub(d.json("topic", "show")), want, "topic show")
    # subscribing again is a no-op (idempotent, so an import can be re-run)
    d.ok("topic", "sub", "add", "news.sports", "1001", "1")
    check_eq(d.stats()["tables.subscriptions"], 3, "subs after a repeat")
    d.ok("topic", "sub", "add", "a", "1", "1")
    # at the limit (4 of 4), adding an existing subscription is still a
    # no-op, not "over the limit"
    r = d.ctl("topic", "sub", "add", "a", "1", "1")
    h.expect(r.rc == 0, "sub add of an existing subscription at "
             "max_subscriptions must succeed (idempotent): %r" % r)
    before = d.export()
    d.refused("No space left on device", "topic", "sub", "add", "b", "1",
              "1")       # max_subscriptions 4
    d.refused("No such file or directory", "topic", "sub", "del", "zz", "1",
              "1")
    unchanged(d, before, "sub refusals")
    d.ok("topic", "sub", "del", "a", "1", "1")
    d.refused("No such file or directory", "topic", "sub", "del", "a", "1",
              "1")
    check_eq(by_sub(d.json("topic", "show")), want, "topic show after del")
    txt = d.ok("topic", "show").splitlines()
    check_eq(txt[0].split(), ["USER", "DEVICE", "PATTERN"], "topic header")
    check(["1001", "1", "news.sports"] in [l.split() for l in txt],
          "topic show text: %r" % txt)
    step("topic sub add/show/del, idempotent add, max_subscriptions")


def test_stats(d):
    st = d.stats()
    check_eq(st["workers"], 1, "stats workers")
    check(isinstance(st["rx.pkts"], int) and st["rx.pkts"] > 0,
          "rx.pkts > 0 (the worker polls net_null0): %r" % st.get("rx.pkts"))
    drops = {k: v for k, v in st.items() if k.startswith("drop.")}
    # names come from dataplane/drop_reasons.def
    names = []
    with open(os.path.join(h.REPO, "dataplane/drop_reasons.def")) as f:
        for line in f:
            if line.startswith("MR_DROP("):
                names.append(line.split('"')[1])
    check(len(names) > 10, "drop reasons parsed")
    for n in names[:10]:
        check("drop." + n in drops, "stats has drop.%s" % n)
    for k, v in drops.items():
        check(isinstance(v, int) and v >= 0, "%s is a count" % k)
    # net_null sends zeroed frames: ethertype 0 is not IPv4/IPv6/ARP
    check(drops["drop.ethertype_unsupported"] > 0,
          "null frames counted as ethertype_unsupported")
    exp = h.parse_export(d.export())
    kinds = [r["kind"] for r in exp]
    users = {r["user"] for r in exp if r["kind"] in ("device", "member")}
    check_eq(st["tables.endpoints"], kinds.count("endpoint"), "tables.endpoints")
    check_eq(st["tables.devices"], kinds.count("device"), "tables.devices")
    check_eq(st["tables.groups"], kinds.count("group"), "tables.groups")
    check_eq(st["tables.memberships"], kinds.count("member"),
             "tables.memberships")
    check_eq(st["tables.subscriptions"], kinds.count("sub"),
             "tables.subscriptions")
    check_eq(st["tables.users"], len(users), "tables.users")
    check_eq((st["tables.endpoints"], st["tables.devices"],
              st["tables.groups"], st["tables.memberships"],
              st["tables.subscriptions"], st["tables.users"]),
             (2, 3, 4, 6, 3, 5), "tables.* exact")
    check(st["tables.bytes"] > 0, "tables.bytes > 0")
    check(st["ctl.requests"] > 50 and st["ctl.errors"] > 20,
          "ctl counters: %d requests, %d errors" % (st["ctl.requests"],
                                                   st["ctl.errors"]))
    txt = d.ok("stats")
    check(any(l.split() == ["workers", "1"] for l in txt.splitlines()),
          "stats text has 'workers 1'")
    step("stats --json: workers, rx.pkts, %d drop.* names, tables.* exact"
         % len(drops))


def test_export_import(d):
    text = d.export()
    lines = text.splitlines()
    check_eq(lines, EXPECTED_EXPORT.splitlines(), "export, line by line")
    with h.Daemon("ctl2", limits=LIMITS) as d2:
        r = d2.import_text(text)
        check_eq((r.rc, r.out), (0, "imported %d records\n" % len(lines)),
                 "import into a fresh daemon")
        check_eq(d2.export(), text, "export of the imported state")
        s1, s2 = d.stats(), d2.stats()
        for k in ("tables.endpoints", "tables.users", "tables.devices",
                  "tables.groups", "tables.memberships",
                  "tables.subscriptions"):
            check_eq(s2[k], s1[k], k + " after import")
        # importing the same file again changes nothing
        r = d2.import_text(text)
        h.expect(r.rc == 0, "importing the same file again must succeed "
                 "(every record is add-or-replace): %r" % r)
        check_eq(d2.export(), text, "export after a second import")
        d2.stop()
    step("export -> import into a fresh daemon -> identical export (%d lines)"
         % len(lines))


# The state the steps above leave, as export must write it: kinds in order,
# each sorted by its key, ids as unsigned decimals, UTF-8 as is.
EXPECTED_EXPORT = """\
{"kind":"endpoint","name":"gw2","ip":"2001:db8::1","port":7001,"vlan":100,"port_id":0,"mac":"02:00:00:00:00:01"}
{"kind":"endpoint","name":"gw3","ip":"192.0.2.77","port":1,"vlan":4094,"port_id":0}
{"kind":"device","user":1001,"device":1,"endpoint":"gw3"}
{"kind":"device","user":1001,"device":2,"endpoint":"gw2"}
{"kind":"device","user":18446744073709551615,"device":4294967295,"endpoint":"gw3"}
{"kind":"group","id":0,"policy":"everyone","max_members":0}
{"kind":"group","id":7,"policy":"admins","max_members":4}
{"kind":"group","id":500,"policy":"admins","max_members":3}
{"kind":"group","id":18446744073709551615,"policy":"everyone","max_members":5}
{"kind":"member","group":0,"user":40,"role":"member"}
{"kind":"member","group":7,"user":1001,"role":"member"}
{"kind":"member","group":7,"user":1002,"role":"member"}
{"kind":"member","group":500,"user":1001,"role":"admin"}
{"kind":"member","group":500,"user":1002,"role":"admin"}
{"kind":"member","group":18446744073709551615,"user":41,"role":"admin"}
{"kind":"sub","pattern":"chat.x_1+.>","user":18446744073709551615,"device":4294967295}
{"kind":"sub","pattern":"news.*","user":1002,"device":7}
{"kind":"sub","pattern":"news.sports","user":1001,"device":1}
"""

BAD = [
    # malformed ids
    ("device", "add", "-1", "1", "endpoint", "gw2"),
    ("device", "add", "+1", "1", "endpoint", "gw2"),
    ("device", "add", "18446744073709551616", "1", "endpoint", "gw2"),
    ("device", "add", "99999999999999999999999", "1", "endpoint", "gw2"),
    ("device", "add", "1", "4294967296", "endpoint", "gw2"),
    ("device", "add", "1", "-0", "endpoint", "gw2"),
    ("device", "add", "12a", "1", "endpoint", "gw2"),
    ("device", "add", " 1", "1", "endpoint", "gw2"),
    ("device", "add", "1 ", "1", "endpoint", "gw2"),
    ("device", "add", "", "1", "endpoint", "gw2"),
    ("device", "add", "0x10", "1", "endpoint", "gw2"),
    ("device", "add", "1", "1", "endpoint"),
    ("device", "add", "1", "1", "endpoint", "gw2", "extra"),
    ("device", "add", "1", "1", "endpunkt", "gw2"),
    ("device", "del", "1"),
    ("user", "show", "1e3"),
    ("user", "show", "-5"),
    ("group", "add", "1.5"),
    ("group", "add", "5", "policy", "nobody"),
    ("group", "add", "5", "policy", "admins"),
    ("group", "add", "5", "max-members", "-1"),
    ("group", "add", "5", "max-members", "4294967296"),
    ("group", "add", "5", "max-members"),
    ("group", "add", "5", "policy", "everyone", "policy", "everyone"),
    ("group", "del", "18446744073709551616"),
    ("group", "show", "abc"),
    ("group", "member", "add", "500", "-1"),
    ("group", "member", "add", "500", "1", "role", "owner"),
    ("group", "member", "add", "500", "1", "role"),
    ("group", "member", "add", "500", "1", "rank", "admin"),
    ("group", "member", "del", "x", "1"),
    ("topic", "sub", "add", "news", "1", "4294967296"),
    ("topic", "sub", "add", "", "1", "1"),
    ("topic", "sub", "add", "x" * 256, "1", "1"),
    ("topic", "sub", "add", b"bad\xff", "1", "1"),     # not UTF-8
    # names
    ("endpoint", "add", "bad name", "ip", "10.0.0.1", "port", "1"),
    ("endpoint", "add", "gw/1", "ip", "10.0.0.1", "port", "1"),
    ("endpoint", "add", "a" * 32, "ip", "10.0.0.1", "port", "1"),
    ("endpoint", "add", "", "ip", "10.0.0.1", "port", "1"),
    ("endpoint", "add", "gw\u00e9", "ip", "10.0.0.1", "port", "1"),
    ("endpoint", "del", "x;y"),
    ("device", "add", "1", "1", "endpoint", "gw 2"),
    # addresses, ports, MACs, VLANs
    ("endpoint", "add", "gw9", "ip", "10.0.0.300", "port", "1"),
    ("endpoint", "add", "gw9", "ip", "10.0.0", "port", "1"),
    ("endpoint", "add", "gw9", "ip", "010.0.0.1", "port", "1"),
    ("endpoint", "add", "gw9", "ip", "0.0.0.0", "port", "1"),
    ("endpoint", "add", "gw9", "ip", "::", "port", "1"),
    ("endpoint", "add", "gw9", "ip", "fe80::1%eth0", "port", "1"),
    ("endpoint", "add", "gw9", "ip", "gw.example.com", "port", "1"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "0"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "65536"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1"),
    ("endpoint", "add", "gw9", "port", "1"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "1", "vlan", "0"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "1", "vlan", "4095"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "1", "mac",
     "01:00:5e:00:00:01"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "1", "mac",
     "00:00:00:00:00:00"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "1", "mac",
     "02:00:00:00:00"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "1", "mac",
     "02-00-00-00-00-01"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "1", "port-id",
     "65536"),
    ("endpoint", "add", "gw9", "ip", "10.0.0.1", "port", "1", "ip",
     "10.0.0.2"),
    # control characters anywhere
    ("endpoint", "add", "gw9\n", "ip", "10.0.0.1", "port", "1"),
    ("topic", "sub", "add", "news\nsports", "1", "1"),
    ("topic", "sub", "add", "news\tsports", "1", "1"),
    ("group", "add", "5\x1b"),
    # unknown objects and verbs, abbreviations
    ("frobnicate",),
    ("group", "frobnicate"),
    ("group",),
    ("endpoint", "remove", "gw2"),
    ("group", "member", "ad", "500", "1"),
    ("grp", "add", "5"),
    ("stats", "extra"),
    ("export", "extra"),
    ("import",),
    ("--frob", "stats"),
]


def test_bad_args(d):
    st0 = d.stats()
    before = d.export()
    fake = os.path.join(d.dir, "fake.sock")
    lst = CountingListener(fake)
    try:
        for args in BAD:
            for sock in (d.sock, fake):
                argv = list(args)
                r = d.ctl(*argv, sock=sock)
                check(r.rc == 2, "bad arguments must exit 2: %r" % r)
                check(r.err.startswith("mrelayctl: ") or
                      r.err.startswith("usage"),
                      "a message on stderr: %r" % r)
                check(r.out == "", "nothing on stdout: %r" % r)
        check_eq(lst.count, 0, "connections made by mrelayctl given bad "
                 "arguments")
    finally:
        lst.close()
    # the daemon saw no request: only this stats call was counted
    st1 = d.stats()
    check_eq(st1["ctl.requests"], st0["ctl.requests"] + 2,
             "requests counted by mrelayd across %d bad commands "
             "(export and the first stats call only)" % (2 * len(BAD)))
    unchanged(d, before, "bad arguments")
    r = d.ctl("device", "add", "-1", "1", "endpoint", "gw2")
    check_eq(r.err.splitlines(), [
        "mrelayctl: invalid USER '-1': a decimal id 0..18446744073709551615",
        "usage: mrelayctl device add USER DEVICE endpoint NAME",
        "Try 'mrelayctl device add --help' for more information."],
        "usage error message")
    # unreachable daemon: exit 3
    r = d.ctl("stats", sock=os.path.join(d.dir, "nothing-here.sock"))
    check_eq(r.rc, 3, "unreachable daemon exit")
    step("%d malformed commands: exit 2, nothing sent (0 connections, "
         "ctl.requests unchanged); unreachable -> exit 3" % len(BAD))


def test_paging():
    """Lists longer than one page: group list (1024 a page), topic show
    (1024 a page, by offset), group show (174,762 members a page), export
    (about 1 MiB a page); import from a pipe."""
    ng, ns, nm = 2100, 2100, 180000
    lines = ['{"kind":"group","id":%d,"policy":"everyone","max_members":0}'
             % (g * 7) for g in range(ng)]
    lines += ['{"kind":"member","group":7,"user":%d,"role":"%s"}'
              % (u * 3 + 1, ("member", "admin", "read-only")[u % 3])
              for u in range(nm)]
    lines += ['{"kind":"sub","pattern":"t.%d","user":%d,"device":%d}'
              % (i, i, i % 5) for i in range(ns)]
    text = "\n".join(lines) + "\n"
    with h.Daemon("paging", limits=dict(
            max_groups=ng + 10, max_subscriptions=ns + 10,
            max_users=nm + 10, max_group_members=nm,
            max_memberships=nm + 10)) as d:
        r = d.ctl("import", "-", stdin=text.encode())
        check_eq((r.rc, r.out), (0, "imported %d records\n" % len(lines)),
                 "import from stdin")
        g = d.json("group", "list")
        check_eq([x["id"] for x in g], [i * 7 for i in range(ng)],
                 "group list over 3 pages")
        subs = d.json("topic", "show")
        check_eq(len(subs), ns, "topic show over 3 pages: count")
        check_eq(sorted((x["user"], x["pattern"], x["device"]) for x in subs),
                 sorted((i, "t.%d" % i, i % 5) for i in range(ns)),
                 "topic show over 3 pages: every subscription once")
        x = d.json("group", "show", "7")
        check_eq(x["nmembers"], nm, "group show nmembers")
        check_eq(sorted((m["user"], m["role"]) for m in x["members"]),
                 [(u * 3 + 1, ("member", "admin", "read-only")[u % 3])
                  for u in range(nm)], "group show over 2 pages")
        exp = d.export()
        check_eq(len(exp.splitlines()), len(lines), "export lines")
        check(len(exp) > 2 << 20, "export is more than one page (%d bytes)"
              % len(exp))
        d.stop()
    step("paging: group list %d, topic show %d, group show %d members, "
         "export %d lines; import from stdin" % (ng, ns, nm, len(lines)))


def main():
    h.log("mrelayd %s\nmrelayctl %s" % (h.MRELAYD, h.MRELAYCTL))
    with h.Daemon("ctl", limits=LIMITS) as d:
        test_endpoints(d)
        test_devices(d)
        test_groups(d)
        test_group_limits(d)
        test_members(d)
        test_batches(d)
        test_topics(d)
        test_stats(d)
        test_export_import(d)
        test_bad_args(d)
        check(d.alive(), "mrelayd still running")
        check_eq(d.stop(), 0, "mrelayd exit status on SIGTERM")
    test_paging()
    h.log("test_ctl: %d steps done" % len(done))


if __name__ == "__main__":
    h.run(main, "test_ctl")
