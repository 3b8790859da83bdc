-- SPDX-License-Identifier: BSD-3-Clause
-- Copyright(c) 2026 The mrelay authors
--
-- Wireshark dissector for the mrelay wire protocol, version 1
-- (dataplane/proto.h, docs/protocol.md). It applies the same validation rules
-- as the dataplane parser and reports each violation as expert info named
-- mrelay.expert.<counter name>, the names of dataplane/drop_reasons.def.
--
--   tshark -X lua_script:scripts/wireshark/mrelay.lua -r FILE -V
--   wireshark: copy to ~/.local/lib/wireshark/plugins/
--
-- Display filters: mrelay, mrelay.frame.type == 1, mrelay.msg.seq == 42,
-- mrelay.expert.frame_bad_subject, ... The UDP port is a preference
-- (Protocols > MRELAY > UDP port), 7400 by default.

local mrelay = Proto("mrelay", "mrelay relay protocol")
local band = bit32 and bit32.band or bit.band
local bnot = bit32 and bit32.bnot or bit.bnot

local TYPES = { "MSG", "ACK", "REJECT", "RECEIPT", "NAK", "PING", "PONG" }
local DST_KIND = { [1] = "group", [2] = "user", [3] = "topic" }
local RCPT_KIND = { [1] = "delivered", [2] = "read" }
local REJECT_REASON = {
	[0] = "none", "not_member", "unknown_group", "unknown_user",
	"unknown_device", "not_allowed", "too_large", "rate_limited",
	"no_subscribers", "no_permission", "overloaded", "bad_subject",
}
local TYPE_VALS = {}
for code, name in ipairs(TYPES) do TYPE_VALS[code] = name end

-- Wire layout after the 4-byte frame header: {field, size, value_string}.
local ACK = {
	{ "dst_kind", 1, DST_KIND }, { "reserved", 1 },
	{ "reason", 2, REJECT_REASON }, { "sender_user", 8 },
	{ "sender_device", 4 }, { "reserved2", 4 }, { "client_msg_id", 8 },
	{ "dst_id", 8 }, { "seq", 8 }, { "relay_ts", 8 },
}
local PING = {
	{ "reserved", 4 }, { "token", 8 }, { "sender_ts", 8 }, { "relay_ts", 8 },
}
local LAYOUT = {
	MSG = {
		{ "dst_kind", 1, DST_KIND }, { "subject_len", 1 }, { "reserved", 2 },
		{ "sender_user", 8 }, { "sender_device", 4 }, { "rcpt_device", 4 },
		{ "client_msg_id", 8 }, { "dst_id", 8 }, { "seq", 8 },
		{ "relay_ts", 8 }, { "rcpt_user", 8 },
	},
	ACK = ACK,
	REJECT = ACK,
	RECEIPT = {
		{ "kind", 1, RCPT_KIND }, { "dst_kind", 1, DST_KIND },
		{ "reserved", 2 }, { "from_user", 8 }, { "from_device", 4 },
		{ "to_device", 4 }, { "to_user", 8 }, { "dst_id", 8 }, { "seq", 8 },
		{ "relay_ts", 8 },
	},
	NAK = {
		{ "dst_kind", 1, DST_KIND }, { "reserved", 1 }, { "reserved2", 2 },
		{ "user", 8 }, { "device", 4 }, { "reserved3", 4 }, { "dst_id", 8 },
		{ "from_seq", 8 }, { "to_seq", 8 },
	},
	PING = PING,
	PONG = PING,
}
local MIN_LEN = { MSG = 64, ACK = 56, REJECT = 56, RECEIPT = 56, NAK = 48,
	PING = 32, PONG = 32 }
local FLAG_MASK = { MSG = 0x03, ACK = 0x01, REJECT = 0x01, RECEIPT = 0x01,
	NAK = 0, PING = 0, PONG = 0 }

-- Fields ------------------------------------------------------------------
local F = {
	magic = ProtoField.uint16("mrelay.magic", "Magic", base.HEX),
	version = ProtoField.uint8("mrelay.version", "Version"),
	flags = ProtoField.uint8("mrelay.flags", "Flags", base.HEX),
	from_relay = ProtoField.bool("mrelay.flags.from_relay", "From relay", 8,
		nil, 0x01),
	hdr_len = ProtoField.uint8("mrelay.hdr_len", "Header length"),
	reserved = ProtoField.uint8("mrelay.reserved", "Reserved", base.HEX),
	nframes = ProtoField.uint16("mrelay.nframes", "Frame count"),
	hdr_ext = ProtoField.bytes("mrelay.hdr_ext", "Header extension (skipped)"),
	frame = ProtoField.none("mrelay.frame", "Frame"),
	frame_len = ProtoField.uint16("mrelay.frame.len", "Length"),
	frame_type = ProtoField.uint8("mrelay.frame.type", "Type", base.DEC,
		TYPE_VALS),
	frame_flags = ProtoField.uint8("mrelay.frame.flags", "Flags", base.HEX),
	frame_ext = ProtoField.bytes("mrelay.frame.ext",
		"Bytes past the v1 layout (ignored)"),
	frame_data = ProtoField.bytes("mrelay.frame.data", "Undecoded"),
	subject = ProtoField.string("mrelay.msg.subject_text", "Subject"),
	msg_subject = ProtoField.bytes("mrelay.msg.subject", "Subject bytes"),
	msg_payload = ProtoField.bytes("mrelay.msg.payload", "Payload"),
}
local FLAG_BITS = {
	MSG = { ProtoField.bool("mrelay.msg.flags.relayed", "Relayed copy", 8,
		nil, 0x01), ProtoField.bool("mrelay.msg.flags.retransmit",
		"Retransmit", 8, nil, 0x02) },
	ACK = { ProtoField.bool("mrelay.ack.flags.duplicate", "Duplicate", 8,
		nil, 0x01) },
	REJECT = { ProtoField.bool("mrelay.reject.flags.duplicate", "Duplicate",
		8, nil, 0x01) },
	RECEIPT = { ProtoField.bool("mrelay.receipt.flags.relayed", "Relayed",
		8, nil, 0x01) },
}
local UINT = { ProtoField.uint8, ProtoField.uint16, nil, ProtoField.uint32,
	[8] = ProtoField.uint64 }
-- TF[type][field] = ProtoField mrelay.<type>.<field>
local TF = {}
for _, tname in ipairs(TYPES) do
	local prefix = "mrelay." .. tname:lower() .. "."
	TF[tname] = {}
	for _, d in ipairs(LAYOUT[tname]) do
		local name, size, vals = d[1], d[2], d[3]
		local display = name:gsub("_", " "):gsub("^%l", string.upper)
		local b = name:match("^reserved") and base.HEX or base.DEC
		TF[tname][name] = UINT[size](prefix .. name, display, b, vals)
	end
end

local all = {}
for _, f in pairs(F) do all[#all + 1] = f end
for _, list in pairs(FLAG_BITS) do
	for _, f in ipairs(list) do all[#all + 1] = f end
end
for _, tname in ipairs(TYPES) do
	for _, f in pairs(TF[tname]) do all[#all + 1] = f end
end
mrelay.fields = all

-- Expert info: one per drop reason, named like the dataplane counter.
local REASONS = {
	dgram_truncated = "UDP payload shorter than the datagram header",
	dgram_bad_magic = "magic is not \"MR\"",
	dgram_bad_version = "protocol version not 1",
	dgram_reserved_bits = "reserved datagram bits set",
	dgram_bad_hdr_len = "header length below 8 or past the datagram",
	dgram_no_frames = "frame count is zero",
	frame_truncated = "frame header or frame runs past the datagram",
	frame_bad_len = "frame length below 4",
	frame_count_mismatch = "frames do not match the count or leave trailing bytes",
	frame_unknown_type = "frame type this version does not know (skipped)",
	frame_too_short = "frame shorter than its type's fixed part",
	frame_reserved_bits = "reserved frame bits or fields set",
	frame_bad_dst_kind = "unknown destination kind",
	frame_bad_subject = "subject length inconsistent with the kind or frame",
	frame_bad_receipt_kind = "unknown receipt kind",
	frame_bad_nak_range = "NAK range reversed or starting at 0",
}
local E = {}
local experts = {}
for name, desc in pairs(REASONS) do
	local sev = name == "frame_unknown_type" and expert.severity.WARN
		or expert.severity.ERROR
	local grp = name == "frame_unknown_type" and expert.group.UNDECODED
		or expert.group.MALFORMED
	E[name] = ProtoExpert.new("mrelay.expert." .. name, desc, grp, sev)
	experts[#experts + 1] = E[name]
end
mrelay.experts = experts

local function flag(item, name, what)
	item:add_proto_expert_info(E[name], name .. ": " .. what)
end

-- One frame -----------------------------------------------------------------

-- Decode the fixed part of a known frame type and check it in the parser's
-- order. Returns a short summary, or nil after flagging the reason.
local function frame_body(tname, ftvb, sub, flags, flags_item)
	local flen = ftvb:len()
	if flen < MIN_LEN[tname] then
		flag(sub, "frame_too_short", ("%d bytes, %s needs %d"):format(
			flen, tname, MIN_LEN[tname]))
		sub:add(F.frame_data, ftvb(4))
		return nil
	end
	local items, val, reserved, off = {}, {}, nil, 4
	for _, d in ipairs(LAYOUT[tname]) do
		local name, size = d[1], d[2]
		local r = ftvb(off, size)
		items[name] = sub:add(TF[tname][name], r)
		val[name] = size == 8 and r:uint64() or r:uint()
		if name:match("^reserved") and val[name] ~= 0 then
			reserved = reserved or items[name]
		end
		off = off + size
	end
	if band(flags, bnot(FLAG_MASK[tname])) ~= 0 then
		flag(flags_item, "frame_reserved_bits",
			("flags 0x%02x"):format(flags))
		return nil
	end
	if reserved then
		flag(reserved, "frame_reserved_bits", "reserved field not zero")
		return nil
	end
	if tname == "RECEIPT" and not RCPT_KIND[val.kind] then
		flag(items.kind, "frame_bad_receipt_kind", "kind " .. val.kind)
		return nil
	end
	if val.dst_kind and not DST_KIND[val.dst_kind] then
		flag(items.dst_kind, "frame_bad_dst_kind", "kind " .. val.dst_kind)
		return nil
	end
	local rest = flen - MIN_LEN[tname]
	if tname == "MSG" then
		local slen = val.subject_len
		if (val.dst_kind == 3 and (slen < 1 or slen > rest))
		    or (val.dst_kind ~= 3 and slen ~= 0) then
			flag(items.subject_len, "frame_bad_subject",
				("subject_len %d, %s, %d bytes after the fixed part"):format(
				slen, DST_KIND[val.dst_kind], rest))
			return nil
		end
		if slen > 0 then
			sub:add(F.msg_subject, ftvb(64, slen))
			sub:add(F.subject, ftvb(64, slen))
		end
		if rest > slen then
			sub:add(F.msg_payload, ftvb(64 + slen))
		else	-- a range cannot start at the end: point at the frame
			sub:add(F.msg_payload, ftvb(0, 0)):set_text("Payload: (empty)")
		end
		return ("MSG seq=%s"):format(val.seq)
	end
	if tname == "NAK" and (val.from_seq == UInt64(0)
	    or val.from_seq > val.to_seq) then
		flag(items.from_seq, "frame_bad_nak_range",
			("[%s, %s]"):format(val.from_seq, val.to_seq))
		return nil
	end
	if rest > 0 then sub:add(F.frame_ext, ftvb(MIN_LEN[tname])) end
	if val.seq then return ("%s seq=%s"):format(tname, val.seq) end
	return tname
end

local function dissect_frame(ftvb, root, index)
	local flen, ftype, flags = ftvb(0, 2):uint(), ftvb(2, 1):uint(),
		ftvb(3, 1):uint()
	local tname = TYPES[ftype]
	local sub = root:add(F.frame, ftvb)
	sub:set_text(("Frame %d: %s, %d bytes"):format(index,
		tname or ("type " .. ftype), flen))
	sub:add(F.frame_len, ftvb(0, 2))
	sub:add(F.frame_type, ftvb(2, 1))
	local fi = sub:add(F.frame_flags, ftvb(3, 1))
	for _, bitf in ipairs(FLAG_BITS[tname] or {}) do fi:add(bitf, ftvb(3, 1)) end
	if not tname then
		flag(sub, "frame_unknown_type", "type " .. ftype .. " skipped")
		if flen > 4 then sub:add(F.frame_data, ftvb(4)) end
		return "?" .. ftype
	end
	local summary = frame_body(tname, ftvb, sub, flags, fi)
	if not summary then sub:append_text(" [dropped]") end
	return summary or (tname .. " [dropped]")
end

-- Datagram --------------------------------------------------------------------

local function header_error(tvb)
	if tvb(0, 2):uint() ~= 0x4d52 then return "dgram_bad_magic" end
	if tvb(2, 1):uint() ~= 1 then return "dgram_bad_version" end
	if band(tvb(3, 1):uint(), 0xfe) ~= 0 or tvb(5, 1):uint() ~= 0 then
		return "dgram_reserved_bits"
	end
	local hl = tvb(4, 1):uint()
	if hl < 8 or hl > tvb:len() then return "dgram_bad_hdr_len" end
	if tvb(6, 2):uint() == 0 then return "dgram_no_frames" end
end

function mrelay.dissector(tvb, pinfo, tree)
	local n = tvb:len()
	pinfo.cols.protocol = "MRELAY"
	local root = tree:add(mrelay, tvb())
	local function drop(reason, what)
		flag(root, reason, what)
		root:append_text(" [dropped: " .. reason .. "]")
		pinfo.cols.info = "mrelay dropped: " .. reason
		return n
	end
	if n < 8 then return drop("dgram_truncated", n .. " bytes") end
	root:add(F.magic, tvb(0, 2))
	root:add(F.version, tvb(2, 1))
	root:add(F.flags, tvb(3, 1)):add(F.from_relay, tvb(3, 1))
	root:add(F.hdr_len, tvb(4, 1))
	root:add(F.reserved, tvb(5, 1))
	root:add(F.nframes, tvb(6, 2))
	local err = header_error(tvb)
	if err then return drop(err, "datagram header") end

	local off, nframes, summary = tvb(4, 1):uint(), tvb(6, 2):uint(), {}
	if off > 8 then root:add(F.hdr_ext, tvb(8, off - 8)) end
	for i = 1, nframes do
		if off == n then
			return drop("frame_count_mismatch", ("%d of %d frames"):format(
				i - 1, nframes))
		end
		if n - off < 4 then
			root:add(F.frame_data, tvb(off))
			return drop("frame_truncated", "frame header past the end")
		end
		local flen = tvb(off, 2):uint()
		if flen < 4 then
			return drop("frame_bad_len", ("frame %d: len %d"):format(i, flen))
		end
		if flen > n - off then
			root:add(F.frame_data, tvb(off))
			return drop("frame_truncated", ("frame %d: len %d, %d left"):format(
				i, flen, n - off))
		end
		summary[#summary + 1] = dissect_frame(tvb(off, flen), root, i)
		off = off + flen
	end
	if off ~= n then
		root:add(F.frame_data, tvb(off))
		return drop("frame_count_mismatch", (n - off) .. " bytes after the frames")
	end
	pinfo.cols.info = "mrelay " .. table.concat(summary, ", ")
	return n
end

-- Port preference ---------------------------------------------------------------
local udp_port = DissectorTable.get("udp.port")
local registered = 7400
mrelay.prefs.port = Pref.uint("UDP port", registered, "mrelay relay UDP port")
udp_port:add(registered, mrelay)

function mrelay.prefs_changed()
	if mrelay.prefs.port ~= registered then
		udp_port:remove(registered, mrelay)
		registered = mrelay.prefs.port
		udp_port:add(registered, mrelay)
	end
end
