-- SPDX-License-Identifier: BSD-3-Clause
-- Copyright(c) 2026 The mrelay authors
--
-- Rate sweep of mrelayd with Pktgen-DPDK, non-interactive:
--
--   pktgen [EAL] -- -P -m "[1:2].0,[3:4].1" -s 0:workload.pcap -f rate-sweep.lua
--
-- (scripts/pktgen/run-sweep.sh builds that command line and runs it under
-- `script`, since Pktgen needs a terminal). For each rate in the list, in
-- percent of the TX port's line rate, it clears the counters, starts
-- replaying the capture on the TX port, waits a settle time, samples the
-- TX and RX rates once a second (pktgen.portStats(..., "rate")), stops,
-- waits for the last copies to drain, reads the totals
-- (pktgen.portStats(..., "port")) and writes one CSV line. Then it quits.
--
-- Written for the Pktgen 23.x Lua API and only the calls that are known to
-- work there: pktgen.set(ports, "rate"|"count", v), pktgen.start/stop(ports),
-- pktgen.clr(), pktgen.portStats(ports, "port"|"rate"),
-- pktgen.isSending(ports), pktgen.delay(ms), pktgen.quit(). portStats
-- returns a table indexed by port id with ipackets, opackets, ibytes,
-- obytes, ierrors, oerrors, rx_nombuf, imissed ("rate": per second, over
-- the last second; "port": totals since pktgen.clr()). isSending gives "y"/
-- "n" (older releases: 1/0). Every call goes through pcall: an error is
-- written to the results file as a "# ERROR" line and the sweep goes on to
-- the next step; pktgen.quit() is always called. Plain Lua 5.1..5.4 (no
-- integer division, no goto), so luac -p and luajit -bl accept it.
--
-- Configuration: the defaults below, or these environment variables:
--   SWEEP_TX_PORT    port that replays the capture (default 0)
--   SWEEP_RX_PORT    port that receives the copies (default 1; the same
--                    as SWEEP_TX_PORT when one port goes both ways)
--   SWEEP_RATES      rates in % of line rate, comma or space separated
--   SWEEP_SETTLE_MS  traffic before the first sample (default 2000)
--   SWEEP_SAMPLES    one-second rate samples per step (default 5)
--   SWEEP_DRAIN_MS   after stop, before the totals are read (default 2000;
--                    Pktgen refreshes its counters once a second)
--   SWEEP_OUT        results file (default rate-sweep.csv; overwritten)
--   SWEEP_HOOK       shell command run before and after every step as
--                    `HOOK STEP before|after RATE` (run-sweep.sh snapshots
--                    mrelayd's counters with it); empty: none
--
-- Results: lines starting with "#" are comments (settings, errors, the
-- end); the rest is CSV with this header:
--   step, rate_pct, samples,
--   tx_pps, rx_pps            mean of the samples: packets/s sent on the TX
--                             port, received on the RX port
--   ratio                     rx_pps / tx_pps: packets back per message sent
--                             (copies, plus the ACKs when RX is the TX port)
--   tx_Bps, rx_Bps            bytes/s, likewise
--   tx_pkts, rx_pkts, tx_bytes, rx_bytes
--                             totals of the step (from start to drained)
--   txport_rx_pkts            received on the TX port (the ACKs when RX is
--                             another port)
--   rx_missed, rx_errors, rx_nombuf, tx_errors
--                             the generator's own drops: if these move, the
--                             generator lost packets, not the relay
--   t_start, t_end            os.time() at start and after the drain

local function env(name, default)
	local v = nil
	if type(os) == "table" and type(os.getenv) == "function" then
		v = os.getenv(name)
	end
	if v == nil or v == "" then
		return default
	end
	return v
end

local function envnum(name, default)
	local v = tonumber(env(name, ""))
	if v == nil or v < 0 then
		return default
	end
	return math.floor(v)
end

local function now()
	if type(os) == "table" and type(os.time) == "function" then
		return os.time()
	end
	return 0
end

-- The defaults; each can be overridden by the environment variable named.
local CFG = {}
local function load_config()
	CFG.tx_port   = env("SWEEP_TX_PORT", "0")
	CFG.rx_port   = env("SWEEP_RX_PORT", "1")
	CFG.rates     = env("SWEEP_RATES", "1,2,5,10,15,20,25,30,40,50,60,70,80,90,100")
	CFG.settle_ms = envnum("SWEEP_SETTLE_MS", 2000)
	CFG.samples   = envnum("SWEEP_SAMPLES", 5)
	CFG.drain_ms  = envnum("SWEEP_DRAIN_MS", 2000)
	CFG.out       = env("SWEEP_OUT", "rate-sweep.csv")
	CFG.hook      = env("SWEEP_HOOK", "")
end

local HEADER = "step,rate_pct,samples,tx_pps,rx_pps,ratio,tx_Bps,rx_Bps," ..
	"tx_pkts,rx_pkts,tx_bytes,rx_bytes,txport_rx_pkts," ..
	"rx_missed,rx_errors,rx_nombuf,tx_errors,t_start,t_end"

local out = nil
local nerrors = 0

local function emit(line)
	if out ~= nil then
		out:write(line, "\n")
		out:flush()
	end
end

local function note_error(what, err)
	nerrors = nerrors + 1
	local msg = tostring(err):gsub("[\r\n]+", " ")
	emit("# ERROR " .. what .. ": " .. msg)
	print("rate-sweep: ERROR " .. what .. ": " .. msg)
end

-- pcall f(...); on error note it and return nil
local function try(what, f, ...)
	if type(f) ~= "function" then
		note_error(what, "not available in this Pktgen")
		return nil
	end
	local ok, r = pcall(f, ...)
	if not ok then
		note_error(what, r)
		return nil
	end
	if r == nil then
		return true
	end
	return r
end

local function delay(ms)
	if ms > 0 then
		try("pktgen.delay(" .. ms .. ")", pktgen.delay, ms)
	end
end

local function num(v)
	return tonumber(v) or 0
end

local function fmt(v, decimals)
	return string.format("%." .. (decimals or 0) .. "f", num(v))
end

-- port "N" -> the stats table of port N from pktgen.portStats(list, kind)
local function stats_of(tbl, port)
	if type(tbl) ~= "table" then
		return {}
	end
	return tbl[tonumber(port)] or tbl[port] or {}
end

local function sending(port)
	local t = try("pktgen.isSending(" .. port .. ")", pktgen.isSending, port)
	if type(t) ~= "table" then
		return nil
	end
	local v = t[tonumber(port)]
	if v == nil then
		v = t[port]
	end
	return v == "y" or v == "Y" or v == true or (type(v) == "number" and v ~= 0)
end

local function hook(step, phase, rate)
	if CFG.hook == "" then
		return
	end
	if type(os) ~= "table" or type(os.execute) ~= "function" then
		note_error("hook", "os.execute is not available")
		return
	end
	local cmd = CFG.hook .. " " .. step .. " " .. phase .. " " .. rate
	local ok, a, b, c = pcall(os.execute, cmd)
	-- Lua 5.1/LuaJIT: a status number; 5.2+: true|nil, "exit"|"signal", code
	if not ok then
		note_error("hook step " .. step .. " " .. phase, a)
	elseif not (a == true or a == 0) then
		note_error("hook step " .. step .. " " .. phase,
			"'" .. cmd .. "' failed (" .. tostring(b or a) .. " " ..
			tostring(c or "") .. ")")
	end
end

local function parse_rates(s)
	local list = {}
	for tok in string.gmatch(s, "[^,%s]+") do
		local r = tonumber(tok)
		if r == nil or r <= 0 or r > 100 then
			note_error("SWEEP_RATES", "'" .. tok .. "' is not a rate in (0, 100]: skipped")
		else
			list[#list + 1] = r
		end
	end
	return list
end

local function run_step(step, rate, ports)
	local tx, rx = CFG.tx_port, CFG.rx_port
	local where = "step " .. step .. " (" .. rate .. "%)"

	try(where .. ": pktgen.clr()", pktgen.clr)
	try(where .. ": pktgen.set(count)", pktgen.set, tx, "count", 0)	-- 0: forever
	try(where .. ": pktgen.set(rate)", pktgen.set, tx, "rate", rate)
	hook(step, "before", rate)

	local t_start = now()
	try(where .. ": pktgen.start(" .. tx .. ")", pktgen.start, tx)
	delay(CFG.settle_ms)
	if sending(tx) == false then
		note_error(where, "port " .. tx .. " is not sending after start")
	end

	local n, s = 0, {tx_pps = 0, rx_pps = 0, tx_Bps = 0, rx_Bps = 0}
	for _ = 1, CFG.samples do
		delay(1000)
		local r = try(where .. ": pktgen.portStats(rate)", pktgen.portStats, ports, "rate")
		if type(r) == "table" then
			local t, x = stats_of(r, tx), stats_of(r, rx)
			s.tx_pps = s.tx_pps + num(t.opackets)
			s.tx_Bps = s.tx_Bps + num(t.obytes)
			s.rx_pps = s.rx_pps + num(x.ipackets)
			s.rx_Bps = s.rx_Bps + num(x.ibytes)
			n = n + 1
		end
	end

	try(where .. ": pktgen.stop(" .. tx .. ")", pktgen.stop, tx)
	for _ = 1, 30 do	-- up to 3 s for the TX queue to empty
		if sending(tx) ~= true then
			break
		end
		delay(100)
	end
	delay(CFG.drain_ms)
	local t_end = now()

	local p = try(where .. ": pktgen.portStats(port)", pktgen.portStats, ports, "port")
	local T, X = stats_of(p, tx), stats_of(p, rx)
	hook(step, "after", rate)

	local d = n > 0 and n or 1
	local tx_pps, rx_pps = s.tx_pps / d, s.rx_pps / d
	local ratio = tx_pps > 0 and rx_pps / tx_pps or 0
	emit(table.concat({
		step, fmt(rate, 2), n,
		fmt(tx_pps, 1), fmt(rx_pps, 1), fmt(ratio, 4),
		fmt(s.tx_Bps / d, 1), fmt(s.rx_Bps / d, 1),
		fmt(T.opackets), fmt(X.ipackets), fmt(T.obytes), fmt(X.ibytes),
		fmt(T.ipackets),
		fmt(X.imissed), fmt(X.ierrors), fmt(X.rx_nombuf), fmt(T.oerrors),
		t_start, t_end,
	}, ","))
	print(string.format("rate-sweep: %s: tx %.0f pps, rx %.0f pps, ratio %.3f",
		where, tx_pps, rx_pps, ratio))
end

local function main()
	load_config()
	local f, err = io.open(CFG.out, "w")
	if f == nil then
		print("rate-sweep: cannot write " .. CFG.out .. ": " .. tostring(err))
		return
	end
	out = f
	emit(string.format("# rate-sweep.lua tx_port=%s rx_port=%s settle_ms=%s samples=%s drain_ms=%s started=%s",
		CFG.tx_port, CFG.rx_port, CFG.settle_ms, CFG.samples, CFG.drain_ms, now()))
	emit("# rates=" .. CFG.rates)
	emit(HEADER)

	local ports = CFG.tx_port
	if CFG.rx_port ~= CFG.tx_port then
		ports = CFG.tx_port .. "," .. CFG.rx_port
	end
	local rates = parse_rates(CFG.rates)
	for i, rate in ipairs(rates) do
		local ok, e = pcall(run_step, i, rate, ports)
		if not ok then
			note_error("step " .. i .. " (" .. rate .. "%)", e)
			try("pktgen.stop(" .. CFG.tx_port .. ")", pktgen.stop, CFG.tx_port)
		end
	end
	emit(string.format("# done steps=%s errors=%s finished=%s", #rates, nerrors, now()))
end

local ok, e = pcall(main)
if not ok then
	note_error("sweep", e)
	pcall(function() pktgen.stop("all") end)
end
if out ~= nil then
	pcall(function() out:close() end)
end
pcall(function() pktgen.quit() end)
