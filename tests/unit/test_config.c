// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Config parsing (userspace/lib/config.c): a table of invalid files, one
 * TAP test each, with the exact error sentence each must produce (file,
 * line, section, key, value, problem and allowed range), then valid files
 * whose parsed fields are checked one by one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <ini.h>
#include <cmocka.h>
#include "config.h"
#include "util.h"

#define NAME		"adm.conf"
#define NS_PER_SEC	1000000000ULL
#define NS_PER_MIN	(60 * NS_PER_SEC)

/* A service whose line 3 (and 4) is the line under test. */
#define SVC(line3)		"[service web]\nports = 80\n" line3 "\n"
#define SVC2(line3, line4)	"[service web]\nports = 80\n" line3 "\n" line4 "\n"
/* A service with line 2 as its ports line. */
#define PORTS(value)		"[service web]\nports = " value "\n"
/* An [adm] section whose line 2 is under test, then a valid service. */
#define ADM(line2)		"[adm]\n" line2 "\n[service web]\nports = 80\n"

#define A_IFACES	"allowed: 1..16 names of 1..15 characters [A-Za-z0-9_.:@-], " \
			"separated by commas or spaces, each once"
#define A_PORTS		"allowed: comma-separated PORT, PORT/tcp, PORT/udp, LO-HI " \
			"or LO-HI/udp with ports 1..65535"
#define A_RATE		"allowed: N/s or N/m (also N/sec, N/min) with N " \
			"1..1000000000, or off"
#define A_ACTION	"allowed: drop, defer, reject, reply"
#define A_ACTION_UNV	"allowed: drop, defer, reject"	/* no reply to a stranger */
#define A_SVC_KEYS	"allowed: ports, conn_limit, fp_conn_limit, new_conn_rate, " \
			"new_conn_burst, pkt_rate, pkt_burst, on_rate, on_conn_full, " \
			"priority, fingerprint, ipv4_prefix, ipv6_prefix, verify, " \
			"unverified_ipv4_prefix, unverified_ipv6_prefix, " \
			"unverified_rate, unverified_burst, new_source_rate, " \
			"new_source_burst, on_unverified, on_breaker, tls, idle_timeout, max_lifetime, " \
			"conn_limit_min, conn_limit_max, breaker_latency, " \
			"breaker_accept_queue, breaker_pressure, breaker_probe, " \
			"probe_interval, probe_timeout, breaker_window, " \
			"breaker_cooldown, half_open_permille, depends_on, " \
			"cluster_conn_rate, on_store_failure, rate_sources, pkt_sources, " \
			"cluster_conn_limit"
#define A_DURATION	"allowed: N followed by ms, s, m, h or d (N alone: " \
			"seconds), or off"
#define A_SECTIONS	"allowed: [adm], [metrics], [redis], [mariadb], [reply] or [service NAME]"
/* A [redis] section whose line 2 (and 3) are under test, then a service. */
#define REDIS(line2)		"[redis]\n" line2 "\n[service web]\nports = 80\n"
#define REDIS2(line2, line3)	"[redis]\n" line2 "\n" line3 "\n[service web]\nports = 80\n"
#define RSOCK			"socket = /run/redis/redis.sock"
#define A_RS_WHERE	"allowed: socket = PATH, host = HOST (and port), or sentinels " \
			"= HOST:PORT,... with master_name: exactly one"
#define A_RS_NAME	"allowed: 1..63 characters [A-Za-z0-9_.-]"
#define A_RS_SENTINELS	"allowed: 1..8 HOST:PORT or [ADDR6]:PORT separated by commas, " \
			"port 1..65535"
#define A_RS_KEYS	"allowed: socket, host, port, sentinels, master_name, cluster, " \
			"node, password_file, user, sync_interval_ms, timeout_ms, " \
			"node_ttl_ms, on_store_failure"
#define A_SVC_NAME	"allowed: 1..31 characters [A-Za-z0-9_-]"
#define A_GROUP		"allowed: a group name of 1..32 characters " \
			"[A-Za-z0-9_.-], not starting with '-'"
/* 100 characters: with "/run/adm/" and ".sock" past sun_path. */
#define LONG100		"0123456789012345678901234567890123456789" \
			"0123456789012345678901234567890123456789" \
			"01234567890123456789"

/* A service after the section under test. */
#define SVC_TAIL		"[service web]\nports = 80\n"
/* A [mariadb] section with line 2 under test (line 3 and later: the rest). */
#define DB(lines)		"[mariadb]\n" lines "\n" SVC_TAIL

struct bad_case {
	const char *what;	/* test name */
	const char *text;	/* the file */
	const char *err;	/* the sentence expected in the error */
};

static const struct bad_case bad_cases[] = {
	/* [adm] */
	{ "interfaces: bad character", ADM("interfaces = eth0, eth/1"),
	  NAME ":2: [adm] interfaces = 'eth0, eth/1': 'eth/1' is not an "
	  "interface name; " A_IFACES },
	{ "interfaces: 16 characters", ADM("interfaces = abcdefghijklmnop"),
	  NAME ":2: [adm] interfaces = 'abcdefghijklmnop': 'abcdefghijklmnop' "
	  "is longer than 15 characters; " A_IFACES },
	{ "interfaces: duplicate", ADM("interfaces = eth0 eth1,eth0"),
	  NAME ":2: [adm] interfaces = 'eth0 eth1,eth0': 'eth0' is listed "
	  "twice; " A_IFACES },
	{ "interfaces: 17 names",
	  ADM("interfaces = a b c d e f g h i j k l m n o p q"),
	  "more than 16 interfaces; " A_IFACES },
	{ "interfaces: empty item", ADM("interfaces = eth0,,eth1"),
	  NAME ":2: [adm] interfaces = 'eth0,,eth1': empty item in the list; "
	  A_IFACES },
	{ "interfaces: trailing comma", ADM("interfaces = eth0,"),
	  NAME ":2: [adm] interfaces = 'eth0,': empty item in the list; " A_IFACES },
	{ "interfaces: dot", ADM("interfaces = ."),
	  NAME ":2: [adm] interfaces = '.': '.' is not an interface name; " A_IFACES },
	{ "interfaces: empty", ADM("interfaces ="),
	  NAME ":2: [adm] interfaces = '': empty value; " A_IFACES },
	{ "mode: unknown", ADM("mode = fast"),
	  NAME ":2: [adm] mode = 'fast': unknown value; allowed: enforce, shadow" },
	{ "mode: case matters", ADM("mode = Shadow"),
	  NAME ":2: [adm] mode = 'Shadow': unknown value; allowed: enforce, shadow" },
	{ "mode: blank", ADM("mode =    "),
	  NAME ":2: [adm] mode = '': empty value; allowed: enforce, shadow" },
	{ "xdp_mode: unknown", ADM("xdp_mode = offload"),
	  NAME ":2: [adm] xdp_mode = 'offload': unknown value; allowed: auto, "
	  "native, generic" },
	{ "pin_root: relative", ADM("pin_root = sys/fs/bpf"),
	  NAME ":2: [adm] pin_root = 'sys/fs/bpf': not an absolute path; "
	  "allowed: an absolute path shorter than 4096 characters" },
	{ "[adm]: unknown key", ADM("node = a"),
	  NAME ":2: [adm] node = 'a': unknown key; allowed: interfaces, mode, "
	  "pin_root, xdp_mode, cgroup, reconcile_ms, src_filter_rebuild_s, "
	  "control_socket, pin_group, pressure_socket, pressure_group" },
	{ "src_filter_rebuild_s: below min", ADM("src_filter_rebuild_s = 0"),
	  NAME ":2: [adm] src_filter_rebuild_s = '0': out of range; allowed: 1..3600" },
	{ "src_filter_rebuild_s: above max", ADM("src_filter_rebuild_s = 3601"),
	  NAME ":2: [adm] src_filter_rebuild_s = '3601': out of range; allowed: 1..3600" },
	{ "pressure_socket without pressure_group", ADM("pressure_socket = /run/adm/p.sock"),
	  NAME ":2: [adm] pressure_socket: given without pressure_group; allowed: "
	  "pressure_socket = PATH together with pressure_group = GROUP (the group "
	  "whose members may report pressure)" },
	{ "pressure_group without pressure_socket", ADM("pressure_group = apps"),
	  NAME ":2: [adm] pressure_group: given without pressure_socket; allowed: "
	  "pressure_group = GROUP together with pressure_socket = PATH" },
	{ "pressure_socket: relative", "[adm]\npressure_group = apps\npressure_socket = p.sock\n",
	  NAME ":3: [adm] pressure_socket = 'p.sock': not an absolute path; "
	  "allowed: an absolute path shorter than 108 characters" },
	{ "control_socket: relative", ADM("control_socket = adm.sock"),
	  NAME ":2: [adm] control_socket = 'adm.sock': not an absolute path; "
	  "allowed: an absolute path shorter than 108 characters" },
	{ "control_socket: longer than sun_path",
	  ADM("control_socket = /run/adm/" LONG100 ".sock"),
	  "': path too long; allowed: an absolute path shorter than 108 characters" },
	{ "control_socket: empty", ADM("control_socket ="),
	  NAME ":2: [adm] control_socket = '': empty value; allowed: an absolute "
	  "path shorter than 108 characters" },
	{ "pin_group: bad character", ADM("pin_group = adm ops"),
	  NAME ":2: [adm] pin_group = 'adm ops': not a group name; " A_GROUP },
	{ "pin_group: leading dash", ADM("pin_group = -adm"),
	  NAME ":2: [adm] pin_group = '-adm': not a group name; " A_GROUP },
	{ "pin_group: 33 characters",
	  ADM("pin_group = abcdefghijklmnopqrstuvwxyz0123456"),
	  "not a group name; " A_GROUP },
	{ "pin_group: empty", ADM("pin_group ="),
	  NAME ":2: [adm] pin_group = '': empty value; " A_GROUP },
	{ "cgroup: relative", ADM("cgroup = unified"),
	  NAME ":2: [adm] cgroup = 'unified': not an absolute path; "
	  "allowed: an absolute path shorter than 4096 characters" },
	{ "reconcile_ms: below min", ADM("reconcile_ms = 9"),
	  NAME ":2: [adm] reconcile_ms = '9': out of range; allowed: 10..60000" },
	{ "reconcile_ms: above max", ADM("reconcile_ms = 60001"),
	  NAME ":2: [adm] reconcile_ms = '60001': out of range; allowed: 10..60000" },
	{ "reconcile_ms: overflow", ADM("reconcile_ms = 99999999999999999999"),
	  "reconcile_ms = '99999999999999999999': out of range; allowed: 10..60000" },
	{ "reconcile_ms: with unit", ADM("reconcile_ms = 1s"),
	  NAME ":2: [adm] reconcile_ms = '1s': not a decimal number; allowed: "
	  "10..60000" },
	{ "[adm]: repeated key", "[adm]\nmode = enforce\nmode = shadow\n",
	  NAME ":3: [adm] mode = 'shadow': repeated key (first at line 2); "
	  "allowed: each key once per section" },
	{ "[adm]: repeated section", "[adm]\n[adm]\n[service web]\nports = 80\n",
	  NAME ":2: [adm]: repeated section (first at line 1); allowed: each "
	  "section once" },

	/* ports */
	{ "ports: 0", PORTS("0"),
	  NAME ":2: [service web] ports = '0': '0' is out of range; " A_PORTS },
	{ "ports: 65536", PORTS("80, 65536"),
	  NAME ":2: [service web] ports = '80, 65536': '65536' is out of range; "
	  A_PORTS },
	{ "ports: overflow", PORTS("99999999999999999999"),
	  "'99999999999999999999' is out of range; " A_PORTS },
	{ "ports: range end out of range", PORTS("65000-65536/udp"),
	  "'65000-65536/udp' is out of range; " A_PORTS },
	{ "ports: negative", PORTS("-1"),
	  NAME ":2: [service web] ports = '-1': '-1' is not a port or port "
	  "range; " A_PORTS },
	{ "ports: name", PORTS("http"),
	  "'http' is not a port or port range; " A_PORTS },
	{ "ports: open range", PORTS("8000-"),
	  "'8000-' is not a port or port range; " A_PORTS },
	{ "ports: space separated", PORTS("80 443"),
	  "'80 443' is not a port or port range; " A_PORTS },
	{ "ports: item too long", PORTS("80, 000000000000000000000000000000000443"),
	  "'000000000000000000000000000000000443' is not a port or port range; "
	  A_PORTS },
	{ "ports: reversed range", PORTS("90-80"),
	  NAME ":2: [service web] ports = '90-80': '90-80' runs backwards; "
	  A_PORTS },
	{ "ports: unknown protocol", PORTS("80/sctp"),
	  "'80/sctp' has an unknown protocol; " A_PORTS },
	{ "ports: protocol case matters", PORTS("80/TCP"),
	  "'80/TCP' has an unknown protocol; " A_PORTS },
	{ "ports: empty item", PORTS("80,,81"),
	  NAME ":2: [service web] ports = '80,,81': empty item in the list; "
	  A_PORTS },
	{ "ports: empty", PORTS(""),
	  NAME ":2: [service web] ports = '': empty value; " A_PORTS },
	{ "ports: twice, tcp implied", PORTS("80, 80/tcp"),
	  NAME ":2: [service web] ports = '80, 80/tcp': 80/tcp is listed twice; "
	  "allowed: each port once per service" },
	{ "ports: inside a range", PORTS("1000-1010, 1005/tcp"),
	  "1005/tcp is listed twice; allowed: each port once per service" },
	{ "ports: 65 ports", PORTS("1000-1064"),
	  NAME ":2: [service web] ports = '1000-1064': more than 64 ports; "
	  "allowed: at most 64 ports per service, a range counting each of "
	  "its ports" },
	{ "ports: whole range", PORTS("1-65535"), "more than 64 ports; " },
	{ "ports: in another service",
	  "[service web]\nports = 80, 443\n[service api]\nports = 8080, 443\n",
	  NAME ":4: [service api] ports = '8080, 443': 443/tcp already belongs "
	  "to [service web] (line 1); allowed: each port in one service only" },
	{ "ports: udp range in another service",
	  "[service dns]\nports = 53/udp\n\n[service dns2]\nports = 50-60/udp\n",
	  NAME ":5: [service dns2] ports = '50-60/udp': 53/udp already belongs "
	  "to [service dns] (line 1); allowed: each port in one service only" },

	/* breaker module: adaptive limit, signals, dependencies */
	{ "conn_limit: Auto", SVC("conn_limit = Auto"),
	  NAME ":3: [service web] conn_limit = 'Auto': not a decimal number; "
	  "allowed: 0..10000000 or auto" },
	{ "conn_limit_min without auto", SVC2("conn_limit = 10", "conn_limit_min = 5"),
	  NAME ":4: [service web] conn_limit_min = '5': set without conn_limit = "
	  "auto; allowed: together with conn_limit = auto" },
	{ "cluster_conn_limit without auto", SVC2("conn_limit = 10", "cluster_conn_limit = 50"),
	  NAME ":4: [service web] cluster_conn_limit = '50': set without conn_limit = "
	  "auto; allowed: together with conn_limit = auto (a fixed conn_limit is "
	  "already cluster-wide under [redis])" },
	{ "cluster_conn_limit without [redis]", SVC2("conn_limit = auto", "cluster_conn_limit = 50"),
	  NAME ":1: [service web] cluster_conn_limit: set without a [redis] section; "
	  "allowed: cluster keys together with [redis]" },
	{ "conn_limit_max without auto", SVC("conn_limit_max = 50"),
	  NAME ":3: [service web] conn_limit_max = '50': set without conn_limit = "
	  "auto; allowed: together with conn_limit = auto" },
	{ "conn_limit_min: zero", SVC2("conn_limit = auto", "conn_limit_min = 0"),
	  NAME ":4: [service web] conn_limit_min = '0': out of range; "
	  "allowed: 1..10000000" },
	{ "conn_limit_min above max",
	  "[service web]\nports = 80\nconn_limit = auto\nconn_limit_max = 10\n"
	  "conn_limit_min = 20\n",
	  NAME ":5: [service web] conn_limit_min = '20': conn_limit_min above "
	  "conn_limit_max; allowed: conn_limit_min <= conn_limit_max (here 20 > 10)" },
	{ "breaker_latency: zero", SVC("breaker_latency = 0"),
	  NAME ":3: [service web] breaker_latency = '0': out of range; allowed: a "
	  "duration 1ms..60s (N followed by ms, s, m or h)" },
	{ "breaker_latency: 2m", SVC("breaker_latency = 2m"),
	  NAME ":3: [service web] breaker_latency = '2m': out of range; allowed: a "
	  "duration 1ms..60s (N followed by ms, s, m or h)" },
	{ "breaker_latency: garbage", SVC("breaker_latency = slow"),
	  NAME ":3: [service web] breaker_latency = 'slow': not a duration; "
	  "allowed: a duration 1ms..60s" },
	{ "breaker_accept_queue: zero", SVC("breaker_accept_queue = 0"),
	  NAME ":3: [service web] breaker_accept_queue = '0': out of range; "
	  "allowed: 1..1000000" },
	{ "breaker_pressure: 4", SVC("breaker_pressure = 4"),
	  NAME ":3: [service web] breaker_pressure = '4': out of range; "
	  "allowed: 1..3" },
	{ "half_open_permille: 1000",
	  SVC2("breaker_pressure = 2", "half_open_permille = 1000"),
	  NAME ":4: [service web] half_open_permille = '1000': out of range; "
	  "allowed: 1..999" },
	{ "breaker_window: 100ms", SVC2("breaker_pressure = 2", "breaker_window = 100ms"),
	  NAME ":4: [service web] breaker_window = '100ms': out of range; "
	  "allowed: a duration 250ms..1h" },
	{ "breaker_cooldown: 2h", SVC2("breaker_pressure = 2", "breaker_cooldown = 2h"),
	  NAME ":4: [service web] breaker_cooldown = '2h': out of range; "
	  "allowed: a duration 1s..1h" },
	{ "breaker_window without a signal", SVC("breaker_window = 3s"),
	  NAME ":3: [service web] breaker_window = '3s': set without a breaker "
	  "signal; allowed: together with breaker_latency, breaker_accept_queue, "
	  "breaker_pressure or breaker_probe" },
	{ "breaker_probe: kind", SVC("breaker_probe = udp:10.0.0.1:53"),
	  NAME ":3: [service web] breaker_probe = 'udp:10.0.0.1:53': unknown "
	  "probe kind; allowed: tcp:ADDR:PORT or http://ADDR:PORT/PATH" },
	{ "breaker_probe: host name", SVC("breaker_probe = http://localhost:80/"),
	  NAME ":3: [service web] breaker_probe = 'http://localhost:80/': not an "
	  "ADDR:PORT; allowed: tcp:ADDR:PORT" },
	{ "breaker_probe: port 0", SVC("breaker_probe = tcp:10.0.0.1:0"),
	  "breaker_probe = 'tcp:10.0.0.1:0': not an ADDR:PORT" },
	{ "breaker_probe: path with a space",
	  SVC("breaker_probe = http://10.0.0.1:80/a b"),
	  "breaker_probe = 'http://10.0.0.1:80/a b': not a probe path" },
	{ "probe_timeout without a probe", SVC("probe_timeout = 1s"),
	  NAME ":3: [service web] probe_timeout = '1s': set without breaker_probe" },
	{ "probe_timeout not below interval",
	  "[service web]\nports = 80\nbreaker_probe = tcp:10.0.0.1:80\n"
	  "probe_interval = 1s\nprobe_timeout = 1s\n",
	  NAME ":5: [service web] probe_timeout = '1s': probe_timeout not below "
	  "probe_interval; allowed: probe_timeout < probe_interval" },
	{ "probe_timeout: 5ms", SVC2("breaker_probe = tcp:10.0.0.1:80", "probe_timeout = 5ms"),
	  NAME ":4: [service web] probe_timeout = '5ms': out of range; allowed: a "
	  "duration 10ms..60s" },
	{ "depends_on: itself", SVC("depends_on = web"),
	  NAME ":3: [service web] depends_on = 'web': a service cannot depend on "
	  "itself; allowed: the name of another [service NAME]" },
	{ "depends_on: bad name", SVC("depends_on = a.b"),
	  NAME ":3: [service web] depends_on = 'a.b': not a service name" },
	{ "depends_on: unknown",
	  "[service web]\nports = 80\ndepends_on = db\n[service api]\nports = 81\n",
	  NAME ":3: [service web] depends_on = 'db': unknown service; allowed: api" },
	{ "depends_on: cycle",
	  "[service web]\nports = 80\ndepends_on = api\n"
	  "[service api]\nports = 81\ndepends_on = db\n"
	  "[service db]\nports = 82\ndepends_on = api\n",
	  NAME ":6: [service api] depends_on = 'db': depends_on cycle: api -> db "
	  "-> api; allowed: dependencies without a cycle" },

	/* numbers */
	{ "conn_limit: negative", SVC("conn_limit = -1"),
	  NAME ":3: [service web] conn_limit = '-1': not a decimal number; "
	  "allowed: 0..10000000" },
	{ "conn_limit: above max", SVC("conn_limit = 10000001"),
	  NAME ":3: [service web] conn_limit = '10000001': out of range; "
	  "allowed: 0..10000000 or auto" },
	{ "conn_limit: overflow", SVC("conn_limit = 99999999999999999999"),
	  NAME ":3: [service web] conn_limit = '99999999999999999999': out of "
	  "range; allowed: 0..10000000" },
	{ "rate_sources: below min", SVC("rate_sources = 1023"),
	  NAME ":3: [service web] rate_sources = '1023': out of range; "
	  "allowed: 1024..4194304" },
	{ "pkt_sources: above max", SVC("pkt_sources = 4194305"),
	  NAME ":3: [service web] pkt_sources = '4194305': out of range; "
	  "allowed: 1024..4194304" },
	{ "conn_limit: garbage", SVC("conn_limit = lots"),
	  NAME ":3: [service web] conn_limit = 'lots': not a decimal number; "
	  "allowed: 0..10000000" },
	{ "conn_limit: exponent", SVC("conn_limit = 1e6"),
	  "conn_limit = '1e6': not a decimal number; allowed: 0..10000000" },
	{ "conn_limit: plus sign", SVC("conn_limit = +5"),
	  "conn_limit = '+5': not a decimal number; allowed: 0..10000000" },
	{ "fp_conn_limit: above max", SVC("fp_conn_limit = 1000001"),
	  NAME ":3: [service web] fp_conn_limit = '1000001': out of range; "
	  "allowed: 0..1000000" },
	{ "fp_conn_limit: negative", SVC("fp_conn_limit = -5"),
	  NAME ":3: [service web] fp_conn_limit = '-5': not a decimal number; "
	  "allowed: 0..1000000" },

	/* rates and bursts */
	{ "new_conn_rate: no unit", SVC("new_conn_rate = 20"),
	  NAME ":3: [service web] new_conn_rate = '20': not a rate; " A_RATE },
	{ "new_conn_rate: 0/s", SVC("new_conn_rate = 0/s"),
	  NAME ":3: [service web] new_conn_rate = '0/s': out of range; " A_RATE },
	{ "new_conn_rate: above max", SVC("new_conn_rate = 1000000001/s"),
	  "new_conn_rate = '1000000001/s': out of range; " A_RATE },
	{ "new_conn_rate: overflow", SVC("new_conn_rate = 99999999999999999999/s"),
	  "new_conn_rate = '99999999999999999999/s': out of range; " A_RATE },
	{ "new_conn_rate: per hour", SVC("new_conn_rate = 20/h"),
	  "new_conn_rate = '20/h': not a rate; " A_RATE },
	{ "new_conn_rate: negative", SVC("new_conn_rate = -20/s"),
	  "new_conn_rate = '-20/s': not a rate; " A_RATE },
	{ "pkt_rate: garbage", SVC("pkt_rate = fast"),
	  NAME ":3: [service web] pkt_rate = 'fast': not a rate; " A_RATE },
	{ "new_conn_burst: 0", SVC2("new_conn_rate = 10/s", "new_conn_burst = 0"),
	  NAME ":4: [service web] new_conn_burst = '0': out of range; allowed: "
	  "1..1000000" },
	{ "new_conn_burst: above max",
	  SVC2("new_conn_rate = 10/s", "new_conn_burst = 1000001"),
	  NAME ":4: [service web] new_conn_burst = '1000001': out of range; "
	  "allowed: 1..1000000" },
	{ "new_conn_burst: without rate", SVC("new_conn_burst = 10"),
	  NAME ":3: [service web] new_conn_burst = '10': set without "
	  "new_conn_rate; allowed: new_conn_burst together with new_conn_rate "
	  "= N/s or N/m" },
	{ "pkt_burst: rate off", SVC2("pkt_rate = off", "pkt_burst = 5"),
	  NAME ":4: [service web] pkt_burst = '5': set without pkt_rate; "
	  "allowed: pkt_burst together with pkt_rate = N/s or N/m" },
	{ "pkt_burst: 0", SVC2("pkt_rate = 10/s", "pkt_burst = 0"),
	  NAME ":4: [service web] pkt_burst = '0': out of range; allowed: "
	  "1..1000000" },

	/* enums */
	{ "on_rate: none", SVC("on_rate = none"),
	  NAME ":3: [service web] on_rate = 'none': unknown value; " A_ACTION },
	{ "on_rate: case matters", SVC("on_rate = DROP"),
	  NAME ":3: [service web] on_rate = 'DROP': unknown value; " A_ACTION },
	{ "on_conn_full: case matters", SVC("on_conn_full = REPLY"),
	  NAME ":3: [service web] on_conn_full = 'REPLY': unknown value; "
	  A_ACTION },
	{ "on_unverified: reply", SVC("on_unverified = reply"),
	  NAME ":3: [service web] on_unverified = 'reply': unknown value; "
	  A_ACTION_UNV },
	{ "on_breaker: bounce", SVC("on_breaker = bounce"),
	  NAME ":3: [service web] on_breaker = 'bounce': unknown value; " A_ACTION },
	{ "tls: maybe", SVC("tls = maybe"),
	  NAME ":3: [service web] tls = 'maybe': unknown value; allowed: auto, no, yes" },
	{ "reply: retry_after too long", "[reply]\nretry_after = 86401\n" SVC_TAIL,
	  NAME ":2: [reply] retry_after = '86401': out of range; allowed: 0..86400" },
	{ "reply: jitter too long", "[reply]\nretry_after_jitter = 3601\n" SVC_TAIL,
	  NAME ":2: [reply] retry_after_jitter = '3601': out of range; allowed: 0..3600" },
	{ "reply: reply_max 0", "[reply]\nreply_max = 0\n" SVC_TAIL,
	  NAME ":2: [reply] reply_max = '0': out of range; allowed: 1..65536" },
	{ "reply: reply_timeout too short", "[reply]\nreply_timeout = 50ms\n" SVC_TAIL,
	  NAME ":2: [reply] reply_timeout = '50ms': out of range; allowed: a duration "
	  "100ms..60s (N followed by ms, s, m or h)" },
	{ "priority: unknown", SVC("priority = high"),
	  NAME ":3: [service web] priority = 'high': unknown value; allowed: "
	  "sheddable, normal, critical" },
	{ "fingerprint: unknown", SVC("fingerprint = mac"),
	  NAME ":3: [service web] fingerprint = 'mac': unknown value; allowed: "
	  "ip, prefix, syn" },

	/* prefixes */
	{ "ipv4_prefix: 33", SVC("ipv4_prefix = 33"),
	  NAME ":3: [service web] ipv4_prefix = '33': out of range; allowed: 1..32" },
	{ "ipv4_prefix: 0", SVC("ipv4_prefix = 0"),
	  NAME ":3: [service web] ipv4_prefix = '0': out of range; allowed: 1..32" },
	{ "ipv4_prefix: with slash", SVC("ipv4_prefix = /24"),
	  NAME ":3: [service web] ipv4_prefix = '/24': not a decimal number; "
	  "allowed: 1..32" },
	{ "ipv6_prefix: 129", SVC("ipv6_prefix = 129"),
	  NAME ":3: [service web] ipv6_prefix = '129': out of range; allowed: "
	  "1..128" },
	{ "ipv6_prefix: 0", SVC("ipv6_prefix = 0"),
	  NAME ":3: [service web] ipv6_prefix = '0': out of range; allowed: 1..128" },

	/* socket layer */
	{ "verify: true", SVC("verify = true"),
	  NAME ":3: [service web] verify = 'true': unknown value; allowed: no, yes" },
	{ "unverified_ipv4_prefix: 33", SVC("unverified_ipv4_prefix = 33"),
	  NAME ":3: [service web] unverified_ipv4_prefix = '33': out of range; "
	  "allowed: 1..32" },
	{ "unverified_ipv6_prefix: 0", SVC("unverified_ipv6_prefix = 0"),
	  NAME ":3: [service web] unverified_ipv6_prefix = '0': out of range; "
	  "allowed: 1..128" },
	{ "unverified_rate: garbage", SVC("unverified_rate = many"),
	  NAME ":3: [service web] unverified_rate = 'many': not a rate; " A_RATE },
	{ "unverified_burst: without rate", SVC("unverified_burst = 3"),
	  NAME ":3: [service web] unverified_burst = '3': set without "
	  "unverified_rate; allowed: unverified_burst together with "
	  "unverified_rate = N/s or N/m" },
	{ "new_source_rate: 0/m", SVC("new_source_rate = 0/m"),
	  NAME ":3: [service web] new_source_rate = '0/m': out of range; " A_RATE },
	{ "new_source_burst: 0", SVC2("new_source_rate = 5/s", "new_source_burst = 0"),
	  NAME ":4: [service web] new_source_burst = '0': out of range; "
	  "allowed: 1..1000000" },
	{ "new_source_burst: without rate", SVC("new_source_burst = 3"),
	  NAME ":3: [service web] new_source_burst = '3': set without "
	  "new_source_rate; allowed: new_source_burst together with "
	  "new_source_rate = N/s or N/m" },
	/* issue 9 item 1: "protect" never means "unlimited". */
	{ "verify: yes without new_source_rate", SVC("verify = yes"),
	  NAME ":3: [service web] verify = 'yes': without new_source_rate every "
	  "never-verified source would be admitted unlimited; allowed: verify = yes "
	  "together with new_source_rate = N/s or N/m (and optionally unverified_rate)" },
	{ "verify: yes with only unverified_rate", SVC2("verify = yes", "unverified_rate = 50/s"),
	  NAME ":3: [service web] verify = 'yes': without new_source_rate every "
	  "never-verified source would be admitted unlimited; allowed: verify = yes "
	  "together with new_source_rate = N/s or N/m (and optionally unverified_rate)" },
	{ "on_unverified: bounce", SVC("on_unverified = bounce"),
	  NAME ":3: [service web] on_unverified = 'bounce': unknown value; " A_ACTION_UNV },
	{ "idle_timeout: bad unit", SVC("idle_timeout = 5x"),
	  NAME ":3: [service web] idle_timeout = '5x': not a duration; " A_DURATION },
	{ "idle_timeout: negative", SVC("idle_timeout = -1s"),
	  NAME ":3: [service web] idle_timeout = '-1s': not a duration; " A_DURATION },
	{ "idle_timeout: overflow", SVC("idle_timeout = 213504d"),
	  NAME ":3: [service web] idle_timeout = '213504d': out of range; "
	  A_DURATION },
	{ "max_lifetime: fraction", SVC("max_lifetime = 1.5h"),
	  NAME ":3: [service web] max_lifetime = '1.5h': not a duration; "
	  A_DURATION },
	{ "max_lifetime: empty", SVC("max_lifetime ="),
	  NAME ":3: [service web] max_lifetime = '': empty value; " A_DURATION },

	/* keys and sections */
	{ "service: unknown key", SVC("colour = red"),
	  NAME ":3: [service web] colour = 'red': unknown key; " A_SVC_KEYS },
	{ "service: misspelled key", SVC("conn_limits = 5"),
	  NAME ":3: [service web] conn_limits = '5': unknown key; " A_SVC_KEYS },
	{ "service: key case matters", SVC("Priority = critical"),
	  "[service web] Priority = 'critical': unknown key; " A_SVC_KEYS },
	{ "service: repeated ports", SVC("ports = 81"),
	  NAME ":3: [service web] ports = '81': repeated key (first at line 2); "
	  "allowed: each key once per section" },
	{ "service: repeated key", SVC2("priority = critical", "priority = sheddable"),
	  NAME ":4: [service web] priority = 'sheddable': repeated key (first "
	  "at line 3); allowed: each key once per section" },
	{ "service: repeated section",
	  "[service web]\nports = 80\n[service web]\nports = 81\n",
	  NAME ":3: [service web]: repeated section (first at line 1); allowed: "
	  "each section once" },
	{ "service: missing ports", "[service web]\nconn_limit = 5\n",
	  NAME ":1: [service web]: required key 'ports' is missing; allowed: "
	  "ports = comma-separated PORT, PORT/tcp, PORT/udp, LO-HI or LO-HI/udp "
	  "with ports 1..65535" },
	{ "service: missing ports, not the last",
	  "[service web]\nports = 80\n\n[service api]\npriority = critical\n\n"
	  "[service db]\nports = 5432\n",
	  NAME ":4: [service api]: required key 'ports' is missing; allowed: " },
	{ "service: empty section", "[service web]\n[service api]\nports = 80\n",
	  NAME ":1: [service web]: required key 'ports' is missing; " },
	{ "file: no service", "[adm]\nmode = shadow\n",
	  NAME ": no [service NAME] section; allowed: 1..63 [service NAME] sections" },
	{ "file: empty", "",
	  NAME ": no [service NAME] section; allowed: 1..63 [service NAME] sections" },
	{ "file: comments only", "; nothing\n# here\n\n",
	  NAME ": no [service NAME] section; allowed: 1..63 [service NAME] sections" },
	{ "section: unknown", "[postgres]\nurl = unix:/run/pg.sock\n",
	  NAME ":1: [postgres]: unknown section; " A_SECTIONS },
	{ "section: case matters", "[Service web]\nports = 80\n",
	  NAME ":1: [Service web]: unknown section; " A_SECTIONS },
	{ "section: bad service name", "[service web!]\nports = 80\n",
	  NAME ":1: [service web!]: 'web!' is not a service name; " A_SVC_NAME },
	{ "section: 32-character service name",
	  "[service abcdefghijklmnopqrstuvwxyz012345]\nports = 80\n",
	  NAME ":1: [service abcdefghijklmnopqrstuvwxyz012345]: "
	  "'abcdefghijklmnopqrstuvwxyz012345' is not a service name; " A_SVC_NAME },
	{ "section: service without a name", "[service]\nports = 80\n",
	  NAME ":1: [service]: '' is not a service name; " A_SVC_NAME },
	{ "section: service name with a space", "[service a b]\nports = 80\n",
	  NAME ":1: [service a b]: 'a b' is not a service name; " A_SVC_NAME },
	{ "section: no closing bracket", "[service web\nports = 80\n",
	  NAME ":1: '[service web': section header without ']'; " A_SECTIONS },
	{ "section: text after header", "[adm] extra\n[service web]\nports = 80\n",
	  NAME ":1: [adm]: text after ']'; allowed: a comment starting with ; or #" },
	{ "metrics: listen not an address", "[metrics]\nlisten = localhost:9110\n[service web]\nports = 80\n",
	  NAME ":2: [metrics] listen = 'localhost:9110': not a listen address; "
	  "allowed: ADDR:PORT or [ADDR6]:PORT with a numeric address and port 1..65535, or off" },
	{ "metrics: listen port 0", "[metrics]\nlisten = 127.0.0.1:0\n[service web]\nports = 80\n",
	  NAME ":2: [metrics] listen = '127.0.0.1:0': not a listen address" },
	{ "metrics: listen IPv6 without brackets", "[metrics]\nlisten = ::1:9110\n[service web]\nports = 80\n",
	  NAME ":2: [metrics] listen = '::1:9110': not a listen address" },
	{ "metrics: unknown key", "[metrics]\nport = 9110\n[service web]\nports = 80\n",
	  NAME ":2: [metrics] port = '9110': unknown key; allowed: listen" },
	{ "metrics: repeated section", "[metrics]\n[metrics]\n[service web]\nports = 80\n",
	  NAME ":2: [metrics]: repeated section (first at line 1); allowed: each section once" },
	/* [mariadb] */
	{ "mariadb: socket and host", DB("socket = /run/db.sock\nhost = db1"),
	  NAME ":3: [mariadb] host = 'db1': set together with socket (line 2); "
	  "allowed: socket (a unix socket) or host and port, not both" },
	{ "mariadb: port without host", DB("socket = /run/db.sock\nport = 3307"),
	  NAME ":3: [mariadb] port = '3307': set without host; allowed: port together with host" },
	{ "mariadb: port 0", DB("host = db1\nport = 0"),
	  NAME ":3: [mariadb] port = '0': out of range; allowed: 1..65535" },
	{ "mariadb: relative socket", DB("socket = db.sock"),
	  NAME ":2: [mariadb] socket = 'db.sock': not an absolute path; " },
	{ "mariadb: user missing", "[mariadb]\nsocket = /run/db.sock\ndatabase = adm\n" SVC_TAIL,
	  NAME ":1: [mariadb]: required key 'user' is missing; allowed: user = NAME "
	  "and database = NAME with socket or host" },
	{ "mariadb: database missing", "[mariadb]\nhost = db1\nuser = adm\n" SVC_TAIL,
	  NAME ":1: [mariadb]: required key 'database' is missing; " },
	{ "mariadb: user without a server", "[mariadb]\nuser = adm\n" SVC_TAIL,
	  NAME ":2: [mariadb] user: set without socket or host; allowed: socket = PATH "
	  "or host = NAME to send the logs to MariaDB; without them only spool_dir, "
	  "spool_max_mb, batch_ms and aggregate_* apply" },
	{ "mariadb: user with a quote", DB("user = adm'x"),
	  NAME ":2: [mariadb] user = 'adm'x': not a name; allowed: 1..64 characters [A-Za-z0-9_$-]" },
	{ "mariadb: 65-character database",
	  DB("database = " "0123456789012345678901234567890123456789012345678901234567890123x"),
	  NAME ":2: [mariadb] database = '0123456789012345678901234567890123456789012345678901234567890123...': "
	  "not a name; allowed: 1..64 characters" },
	{ "mariadb: host with a slash", "[mariadb]\nhost = db/1\n" SVC_TAIL,
	  NAME ":2: [mariadb] host = 'db/1': not a host name or address; " },
	{ "mariadb: batch_rows 0", DB("batch_rows = 0"),
	  NAME ":2: [mariadb] batch_rows = '0': out of range; allowed: 1..100000" },
	{ "mariadb: batch_rows too many", DB("batch_rows = 100001"),
	  NAME ":2: [mariadb] batch_rows = '100001': out of range; allowed: 1..100000" },
	{ "mariadb: aggregate_ms over a minute", DB("aggregate_ms = 60001"),
	  NAME ":2: [mariadb] aggregate_ms = '60001': out of range; allowed: 0..60000" },
	{ "mariadb: aggregate_prefix4 too short", DB("aggregate_prefix4 = 7"),
	  NAME ":2: [mariadb] aggregate_prefix4 = '7': out of range; allowed: 8..32" },
	{ "mariadb: aggregate_prefix6 too long", DB("aggregate_prefix6 = 129"),
	  NAME ":2: [mariadb] aggregate_prefix6 = '129': out of range; allowed: 16..128" },
	{ "mariadb: batch_ms not a number", DB("batch_ms = 200ms"),
	  NAME ":2: [mariadb] batch_ms = '200ms': not a decimal number; allowed: 1..60000" },
	{ "mariadb: spool_max_mb too small", DB("spool_max_mb = 15"),
	  NAME ":2: [mariadb] spool_max_mb = '15': out of range; allowed: 16..1048576" },
	{ "mariadb: connect_timeout_ms below a second", DB("connect_timeout_ms = 999"),
	  NAME ":2: [mariadb] connect_timeout_ms = '999': out of range; allowed: 1000..600000" },
	{ "mariadb: io_timeout_ms too long", DB("io_timeout_ms = 600001"),
	  NAME ":2: [mariadb] io_timeout_ms = '600001': out of range; allowed: 1000..600000" },
	{ "mariadb: relative spool_dir", DB("spool_dir = spool"),
	  NAME ":2: [mariadb] spool_dir = 'spool': not an absolute path; " },
	{ "mariadb: unknown key", DB("password = secret"),
	  NAME ":2: [mariadb] password = 'secret': unknown key; allowed: socket, host, "
	  "port, user, password_file, database, batch_rows, batch_ms, spool_dir, "
	  "spool_max_mb, connect_timeout_ms, io_timeout_ms" },
	{ "mariadb: repeated key", DB("batch_ms = 10\nbatch_ms = 20"),
	  NAME ":3: [mariadb] batch_ms = '20': repeated key (first at line 2); " },
	{ "mariadb: repeated section", "[mariadb]\n[mariadb]\n" SVC_TAIL,
	  NAME ":2: [mariadb]: repeated section (first at line 1); allowed: each section once" },
	{ "key before any section", "mode = shadow\n[service web]\nports = 80\n",
	  NAME ":1: mode = 'shadow': key outside any section; allowed: keys "
	  "inside [adm], [metrics], [redis], [mariadb], [reply] or [service NAME]" },
	{ "syntax: no '='", "[service web]\nports 80\n",
	  NAME ":2: 'ports 80': not a section header, key = value or comment; "
	  "allowed: [section], key = value, or a comment starting with ; or #" },
	{ "syntax: reported before a later error", "[service web]\nbogus\nports = 0\n",
	  NAME ":2: 'bogus': not a section header" },
	{ "first error wins", "[adm]\nmode = fast\nxdp_mode = bad\n",
	  NAME ":2: [adm] mode = 'fast': unknown value" },
	{ "first error wins over a syntax error", PORTS("0") "bogus\n",
	  NAME ":2: [service web] ports = '0': '0' is out of range" },
	/* [redis] */
	{ "redis: unknown key", REDIS("url = redis://x"),
	  NAME ":2: [redis] url = 'redis://x': unknown key; " A_RS_KEYS },
	{ "redis: empty section", "[redis]\n[service web]\nports = 80\n",
	  NAME ":1: [redis]: no socket, host or sentinels; " A_RS_WHERE },
	{ "redis: socket and host", REDIS2(RSOCK, "host = 10.0.0.1"),
	  NAME ":3: [redis] host: set together with another way to reach Redis; " A_RS_WHERE },
	{ "redis: host and sentinels", REDIS2("host = r1", "sentinels = s1:26379"),
	  NAME ":3: [redis] sentinels: set together with another way to reach Redis; " A_RS_WHERE },
	{ "redis: socket relative", REDIS("socket = run/redis.sock"),
	  NAME ":2: [redis] socket = 'run/redis.sock': not an absolute path; "
	  "allowed: an absolute path shorter than 108 characters" },
	{ "redis: socket too long", REDIS("socket = /" LONG100 "/redis.sock"),
	  "path too long; allowed: an absolute path shorter than 108 characters" },
	{ "redis: host with a slash", REDIS("host = redis/1"),
	  NAME ":2: [redis] host = 'redis/1': not a host name or address; allowed: a host "
	  "name or numeric address of 1..255 characters [A-Za-z0-9_.:-]" },
	{ "redis: port 0", REDIS2("host = r1", "port = 0"),
	  NAME ":3: [redis] port = '0': out of range; allowed: 1..65535" },
	{ "redis: port without host", REDIS2(RSOCK, "port = 6380"),
	  NAME ":3: [redis] port: set without host; allowed: port together with host" },
	{ "redis: sentinels without master_name", REDIS("sentinels = s1:26379"),
	  NAME ":2: [redis] sentinels: set without master_name; allowed: sentinels "
	  "together with master_name = NAME" },
	{ "redis: master_name without sentinels", REDIS2(RSOCK, "master_name = mymaster"),
	  NAME ":3: [redis] master_name: set without sentinels; allowed: master_name "
	  "together with sentinels = HOST:PORT,..." },
	{ "redis: sentinel without port", REDIS("sentinels = s1:26379, s2"),
	  NAME ":2: [redis] sentinels = 's1:26379, s2': 's2' is not HOST:PORT; " A_RS_SENTINELS },
	{ "redis: sentinel port out of range", REDIS("sentinels = s1:65536"),
	  "'s1:65536' is not HOST:PORT; " A_RS_SENTINELS },
	{ "redis: sentinel empty item", REDIS("sentinels = s1:1,,s2:2"),
	  "empty item in the list; " A_RS_SENTINELS },
	{ "redis: 9 sentinels", REDIS("sentinels = a:1,b:1,c:1,d:1,e:1,f:1,g:1,h:1,i:1"),
	  "more than 8 sentinels; " A_RS_SENTINELS },
	{ "redis: cluster name with a brace", REDIS2(RSOCK, "cluster = web}x"),
	  NAME ":3: [redis] cluster = 'web}x': not a name; " A_RS_NAME },
	{ "redis: node name too long", REDIS2(RSOCK, "node = "
	  "n123456789012345678901234567890123456789012345678901234567890123"),
	  ": too long; " A_RS_NAME },
	{ "redis: user without password_file", REDIS2(RSOCK, "user = adm"),
	  NAME ":3: [redis] user: set without password_file; allowed: user together "
	  "with password_file = PATH" },
	{ "redis: password_file relative", REDIS2(RSOCK, "password_file = pw"),
	  NAME ":3: [redis] password_file = 'pw': not an absolute path" },
	{ "redis: sync_interval_ms 9", REDIS2(RSOCK, "sync_interval_ms = 9"),
	  NAME ":3: [redis] sync_interval_ms = '9': out of range; allowed: 10..10000" },
	{ "redis: sync_interval_ms not a number", REDIS2(RSOCK, "sync_interval_ms = 100ms"),
	  NAME ":3: [redis] sync_interval_ms = '100ms': not a decimal number; allowed: 10..10000" },
	{ "redis: timeout_ms 0", REDIS2(RSOCK, "timeout_ms = 0"),
	  NAME ":3: [redis] timeout_ms = '0': out of range; allowed: 1..10000" },
	{ "redis: timeout_ms of 10 intervals", REDIS2(RSOCK, "timeout_ms = 1000"),
	  NAME ":3: [redis] timeout_ms: not below 10 sync intervals (1000 ms); allowed: 1..999 ms" },
	{ "redis: node_ttl_ms below 1 s", REDIS2(RSOCK, "node_ttl_ms = 999"),
	  NAME ":3: [redis] node_ttl_ms = '999': out of range; allowed: 1000..600000" },
	{ "redis: node_ttl_ms below 3 intervals",
	  "[redis]\n" RSOCK "\nsync_interval_ms = 1000\nnode_ttl_ms = 2000\n"
	  "[service web]\nports = 80\n",
	  NAME ":4: [redis] node_ttl_ms: shorter than 3 sync intervals (3000 ms); "
	  "allowed: 3000..600000 ms (at least 3 x sync_interval_ms)" },
	{ "redis: on_store_failure unknown", REDIS2(RSOCK, "on_store_failure = fail"),
	  NAME ":3: [redis] on_store_failure = 'fail': unknown value; "
	  "allowed: local-share, open, closed" },
	{ "redis: repeated section", "[redis]\n" RSOCK "\n[redis]\n" RSOCK "\n",
	  NAME ":3: [redis]: repeated section (first at line 1); allowed: each section once" },
	{ "service: cluster_conn_rate without [redis]", SVC("cluster_conn_rate = 10/s"),
	  NAME ":1: [service web] cluster_conn_rate: set without a [redis] section; "
	  "allowed: cluster keys together with [redis]" },
	{ "service: on_store_failure without [redis]", SVC("on_store_failure = open"),
	  NAME ":1: [service web] on_store_failure: set without a [redis] section" },
	{ "service: cluster_conn_rate not a rate", REDIS(RSOCK) "cluster_conn_rate = 10\n",
	  NAME ":5: [service web] cluster_conn_rate = '10': not a rate; " A_RATE },
	{ "service: on_store_failure unknown", REDIS(RSOCK) "on_store_failure = shared\n",
	  NAME ":5: [service web] on_store_failure = 'shared': unknown value; "
	  "allowed: local-share, open, closed" },
};

static struct adm_config *new_config(void)
{
	struct adm_config *cfg = calloc(1, sizeof(*cfg));

	assert_non_null(cfg);
	return cfg;
}

/* Parse text that must fail; the error must contain `want`, on one line. */
static void expect_error(const char *text, const char *want)
{
	struct adm_config *cfg = new_config();
	char err[ADM_ERR_MAX] = "";
	int rc;

	rc = adm_config_parse_string(text, NAME, cfg, err, sizeof(err));
	free(cfg);
	if (rc != -1)
		fail_msg("accepted; want error: %s", want);
	if (!strstr(err, want))
		fail_msg("error:    %s\nexpected: %s", err, want);
	assert_null(strchr(err, '\n'));
	assert_int_equal(strncmp(err, NAME, strlen(NAME)), 0);
}

static void test_bad(void **state)
{
	const struct bad_case *c = *state;

	expect_error(c->text, c->err);
}

/* Parse text that must succeed. The caller frees the result. */
static struct adm_config *parse_ok(const char *text)
{
	struct adm_config *cfg = new_config();
	char err[ADM_ERR_MAX] = "";

	if (adm_config_parse_string(text, NAME, cfg, err, sizeof(err)))
		fail_msg("rejected: %s", err);
	assert_string_equal(err, "");
	return cfg;
}

static void assert_port(const struct adm_svc_config *s, int i, __u8 proto,
			__u16 port)
{
	assert_true(i < s->n_ports);
	assert_int_equal(s->port_proto[i], proto);
	assert_int_equal(s->ports[i], port);
}

static void test_defaults(void **state)
{
	struct adm_config *cfg = new_config();

	(void)state;
	memset(cfg, 0xa5, sizeof(*cfg));
	adm_config_defaults(cfg);
	assert_int_equal(cfg->n_ifaces, 0);
	assert_int_equal(cfg->shadow, 0);
	assert_int_equal(cfg->xdp_mode, ADM_XDP_AUTO);
	assert_string_equal(cfg->pin_root, ADM_DEFAULT_PIN_ROOT);
	assert_string_equal(cfg->cgroup, "");
	assert_int_equal(cfg->reconcile_ms, 1000);
	assert_int_equal(cfg->src_filter_rebuild_s, 60);
	assert_string_equal(cfg->metrics_listen, ADM_DEFAULT_METRICS);
	assert_int_equal(cfg->n_svcs, 0);
	assert_string_equal(cfg->path, "");
	free(cfg);
}

/* [reply] and the reply keys of a service: values, defaults, TLS. */
static void test_reply_keys(void **state)
{
	struct adm_config *cfg;

	(void)state;
	cfg = parse_ok("[service web]\nports = 80\n");
	assert_int_equal(cfg->reply.retry_after, 5);
	assert_int_equal(cfg->reply.retry_after_jitter, 5);
	assert_int_equal(cfg->reply.reply_max, 256);
	assert_int_equal(cfg->reply.reply_timeout_ns, 2000000000ULL);
	assert_int_equal(cfg->svcs[0].on_breaker, ADM_A_REJECT);
	assert_int_equal(adm_config_uses_reply(cfg), 0);
	free(cfg);
	cfg = parse_ok("[reply]\nretry_after = 30\nretry_after_jitter = 0\n"
		       "reply_max = 2\nreply_timeout = 500ms\n"
		       "[service web]\nports = 80\non_rate = reply\non_breaker = reply\n"
		       "[service tls]\nports = 443\non_conn_full = reply\n"
		       "[service plain]\nports = 8443\ntls = yes\n");
	assert_int_equal(cfg->reply.retry_after, 30);
	assert_int_equal(cfg->reply.retry_after_jitter, 0);
	assert_int_equal(cfg->reply.reply_max, 2);
	assert_int_equal(cfg->reply.reply_timeout_ns, 500000000ULL);
	assert_int_equal(cfg->svcs[0].on_rate, ADM_A_REPLY);
	assert_int_equal(cfg->svcs[0].on_breaker, ADM_A_REPLY);
	assert_int_equal(adm_svc_tls(&cfg->svcs[0]), 0);
	assert_int_equal(adm_svc_tls(&cfg->svcs[1]), 1);	/* auto: port 443 */
	assert_int_equal(adm_svc_tls(&cfg->svcs[2]), 1);
	assert_int_equal(adm_config_uses_reply(cfg), 1);
	free(cfg);
	/* Only a TLS service asks for reply: nothing to steer. */
	cfg = parse_ok("[service tls]\nports = 443\non_rate = reply\n");
	assert_int_equal(adm_config_uses_reply(cfg), 0);
	free(cfg);
	cfg = parse_ok("[service tls]\nports = 443\ntls = no\non_rate = reply\n");
	assert_int_equal(adm_config_uses_reply(cfg), 1);
	free(cfg);
}

/* [metrics] listen: IPv4, IPv6 and off. */
static void test_metrics_listen(void **state)
{
	struct adm_config *cfg;

	(void)state;
	cfg = parse_ok("[metrics]\nlisten = 10.77.0.1:9999\n[service web]\nports = 80\n");
	assert_string_equal(cfg->metrics_listen, "10.77.0.1:9999");
	free(cfg);
	cfg = parse_ok("[service web]\nports = 80\n[metrics]\nlisten = [::1]:9110\n");
	assert_string_equal(cfg->metrics_listen, "[::1]:9110");
	free(cfg);
	cfg = parse_ok("[metrics]\nlisten = off\n[service web]\nports = 80\n");
	assert_string_equal(cfg->metrics_listen, "");
	free(cfg);
}

/* [mariadb]: defaults (spool only, one spool_dir per pin root), every key. */
static void test_mariadb(void **state)
{
	const struct adm_mariadb_config *db;
	struct adm_config *cfg;

	(void)state;
	cfg = parse_ok(SVC_TAIL);
	db = &cfg->mariadb;
	assert_int_equal(db->enabled, 0);
	assert_int_equal(db->line, 0);
	assert_string_equal(db->spool_dir, "/var/lib/adm/spool/adm");
	assert_int_equal(db->batch_rows, 1000);
	assert_int_equal(db->batch_ms, 200);
	assert_int_equal(db->spool_max_mb, 1024);
	assert_int_equal(db->connect_timeout_ms, 5000);
	assert_int_equal(db->io_timeout_ms, 10000);
	assert_int_equal(db->aggregate_ms, 1000);
	assert_int_equal(db->aggregate_prefix4, 32);
	assert_int_equal(db->aggregate_prefix6, 128);
	assert_int_equal(db->port, 3306);
	free(cfg);

	/* Aggregation off, and sources merged per /24 and /48, with no server. */
	cfg = parse_ok("[mariadb]\naggregate_ms = 0\naggregate_prefix4 = 24\n"
		       "aggregate_prefix6 = 48\n" SVC_TAIL);
	assert_int_equal(cfg->mariadb.enabled, 0);
	assert_int_equal(cfg->mariadb.aggregate_ms, 0);
	assert_int_equal(cfg->mariadb.aggregate_prefix4, 24);
	assert_int_equal(cfg->mariadb.aggregate_prefix6, 48);
	free(cfg);

	cfg = parse_ok("[adm]\npin_root = /sys/fs/bpf/edge-1/\n"
		       "[mariadb]\nbatch_ms = 50\n" SVC_TAIL);
	assert_int_equal(cfg->mariadb.enabled, 0);
	assert_int_equal(cfg->mariadb.batch_ms, 50);
	assert_string_equal(cfg->mariadb.spool_dir, "/var/lib/adm/spool/edge-1");
	free(cfg);

	cfg = parse_ok(SVC_TAIL "[mariadb]\n"
		       "socket = /run/mysqld/mysqld.sock\n"
		       "user = adm\n"
		       "password_file = /etc/adm/db.pass\n"
		       "database = adm_logs\n"
		       "batch_rows = 5000\n"
		       "batch_ms = 1000\n"
		       "spool_dir = /srv/spool\n"
		       "spool_max_mb = 16\n"
		       "connect_timeout_ms = 1000\n"
		       "io_timeout_ms = 600000\n");
	db = &cfg->mariadb;
	assert_int_equal(db->enabled, 1);
	assert_int_equal(db->line, 3);
	assert_string_equal(db->socket, "/run/mysqld/mysqld.sock");
	assert_string_equal(db->host, "");
	assert_string_equal(db->user, "adm");
	assert_string_equal(db->password_file, "/etc/adm/db.pass");
	assert_int_equal(db->password_file_line, 6);
	assert_string_equal(db->database, "adm_logs");
	assert_int_equal(db->batch_rows, 5000);
	assert_int_equal(db->batch_ms, 1000);
	assert_string_equal(db->spool_dir, "/srv/spool");
	assert_int_equal(db->spool_max_mb, 16);
	assert_int_equal(db->connect_timeout_ms, 1000);
	assert_int_equal(db->io_timeout_ms, 600000);
	free(cfg);

	cfg = parse_ok("[mariadb]\nhost = db-1.example.org\nport = 3307\n"
		       "user = adm$log\ndatabase = adm\n" SVC_TAIL);
	assert_int_equal(cfg->mariadb.enabled, 1);
	assert_string_equal(cfg->mariadb.host, "db-1.example.org");
	assert_int_equal(cfg->mariadb.port, 3307);
	assert_string_equal(cfg->mariadb.user, "adm$log");
	assert_int_equal(cfg->mariadb.password_file_line, 0);
	free(cfg);
}

/* [adm] control_socket and pin_group: stored as written; default "". */
static void test_control_keys(void **state)
{
	struct adm_config *cfg;

	(void)state;
	cfg = parse_ok("[service web]\nports = 80\n");
	assert_string_equal(cfg->control_socket, "");
	assert_string_equal(cfg->pin_group, "");
	assert_int_equal(cfg->force, 0);
	free(cfg);
	cfg = parse_ok(ADM("control_socket = /run/adm/edge.sock\npin_group = adm-ops_1.x"));
	assert_string_equal(cfg->control_socket, "/run/adm/edge.sock");
	assert_string_equal(cfg->pin_group, "adm-ops_1.x");
	free(cfg);
	/* 107 characters fit sun_path with its NUL. */
	cfg = parse_ok(ADM("control_socket = /" LONG100 "123456"));
	assert_int_equal(strlen(cfg->control_socket), ADM_CTL_PATH_MAX - 1);
	free(cfg);
	cfg = parse_ok(ADM("pin_group = abcdefghijklmnopqrstuvwxyz012345"));
	assert_int_equal(strlen(cfg->pin_group), ADM_GROUP_NAME_MAX - 1);
	free(cfg);
}

/* The smallest valid file: every other field takes its default. */
static void test_minimal(void **state)
{
	struct adm_config *cfg = parse_ok("[service web]\nports = 80\n");
	const struct adm_svc_config *s = &cfg->svcs[0];

	(void)state;
	assert_string_equal(cfg->path, NAME);
	assert_int_equal(cfg->n_ifaces, 0);
	assert_int_equal(cfg->shadow, 0);
	assert_int_equal(cfg->xdp_mode, ADM_XDP_AUTO);
	assert_string_equal(cfg->pin_root, ADM_DEFAULT_PIN_ROOT);
	assert_int_equal(cfg->n_svcs, 1);
	assert_string_equal(s->name, "web");
	assert_int_equal(s->id, 1);
	assert_int_equal(s->line, 1);
	assert_int_equal(s->n_ports, 1);
	assert_port(s, 0, IPPROTO_TCP, 80);
	assert_int_equal(s->conn_limit, 0);
	assert_int_equal(s->fp_conn_limit, 0);
	assert_int_equal(s->new_conn_rate.count, 0);
	assert_int_equal(s->new_conn_burst, 0);
	assert_int_equal(s->pkt_rate.count, 0);
	assert_int_equal(s->pkt_burst, 0);
	assert_int_equal(s->on_rate, ADM_A_DROP);
	assert_int_equal(s->on_conn_full, ADM_A_DEFER);
	assert_int_equal(s->priority, ADM_PRIO_NORMAL);
	assert_int_equal(s->fp_mode, ADM_FP_IP);
	assert_int_equal(s->ipv4_prefix, 32);
	assert_int_equal(s->ipv6_prefix, 64);
	assert_int_equal(s->verify, 0);
	assert_int_equal(s->unv_ipv4_prefix, 24);
	assert_int_equal(s->unv_ipv6_prefix, 48);
	assert_int_equal(s->unverified_rate.count, 0);
	assert_int_equal(s->unverified_burst, 0);
	assert_int_equal(s->new_source_rate.count, 0);
	assert_int_equal(s->new_source_burst, 0);
	assert_int_equal(s->on_unverified, ADM_A_DROP);
	assert_int_equal(s->idle_timeout_ns, 0);
	assert_int_equal(s->max_lifetime_ns, 0);
	assert_string_equal(cfg->cgroup, "");
	assert_int_equal(cfg->reconcile_ms, 1000);
	free(cfg);
}

static const char full_config[] =
	"; adm test config\n"
	"[adm]\n"
	"interfaces = eth0, veth-a.1 lo\n"
	"mode = shadow\n"
	"pin_root = /sys/fs/bpf/adm-test\n"
	"xdp_mode = generic\n"
	"cgroup = /sys/fs/cgroup/unified\n"
	"reconcile_ms = 250\n"
	"src_filter_rebuild_s = 5\n"
	"\n"
	"[service web]\n"					/* line 10 */
	"ports = 80, 443/tcp, 8000-8002\n"
	"conn_limit = 10000000\n"
	"fp_conn_limit = 1000000\n"
	"new_conn_rate = 20/s\n"
	"new_conn_burst = 40\n"
	"pkt_rate = 1000000000/min\n"
	"pkt_burst = 1000000\n"
	"on_rate = reject\n"
	"on_conn_full = drop\n"
	"priority = critical\n"
	"fingerprint = syn\n"
	"ipv4_prefix = 1\n"
	"ipv6_prefix = 128\n"
	"verify = yes\n"
	"unverified_ipv4_prefix = 20\n"
	"unverified_ipv6_prefix = 40\n"
	"unverified_rate = 50/m\n"
	"unverified_burst = 5\n"
	"new_source_rate = 200/s\n"
	"new_source_burst = 400\n"
	"on_unverified = defer\n"
	"idle_timeout = 90s\n"
	"max_lifetime = 2h\n"
	"\n"
	"[service dns]\n"					/* line 35 */
	"ports = 53/udp, 53, 5300-5301/udp\n"
	"new_conn_rate = 30/m\n"
	"pkt_rate = off\n"
	"on_rate = defer\n"
	"on_conn_full = reject\n"
	"priority = sheddable\n"
	"fingerprint = prefix\n"
	"verify = no\n"
	"idle_timeout = off\n"
	"max_lifetime = 0\n";

/* Every key set, each field checked. */
static void test_full(void **state)
{
	struct adm_config *cfg = parse_ok(full_config);
	const struct adm_svc_config *web = &cfg->svcs[0], *dns = &cfg->svcs[1];

	(void)state;
	assert_int_equal(cfg->n_ifaces, 3);
	assert_string_equal(cfg->ifaces[0], "eth0");
	assert_string_equal(cfg->ifaces[1], "veth-a.1");
	assert_string_equal(cfg->ifaces[2], "lo");
	assert_int_equal(cfg->shadow, 1);
	assert_string_equal(cfg->pin_root, "/sys/fs/bpf/adm-test");
	assert_int_equal(cfg->xdp_mode, ADM_XDP_GENERIC);
	assert_string_equal(cfg->cgroup, "/sys/fs/cgroup/unified");
	assert_int_equal(cfg->reconcile_ms, 250);
	assert_int_equal(cfg->src_filter_rebuild_s, 5);
	assert_int_equal(cfg->n_svcs, 2);

	assert_string_equal(web->name, "web");
	assert_int_equal(web->id, 1);
	assert_int_equal(web->line, 11);
	assert_int_equal(web->n_ports, 5);
	assert_port(web, 0, IPPROTO_TCP, 80);
	assert_port(web, 1, IPPROTO_TCP, 443);
	assert_port(web, 2, IPPROTO_TCP, 8000);
	assert_port(web, 3, IPPROTO_TCP, 8001);
	assert_port(web, 4, IPPROTO_TCP, 8002);
	assert_int_equal(web->conn_limit, 10000000);
	assert_int_equal(web->fp_conn_limit, 1000000);
	assert_int_equal(web->new_conn_rate.count, 20);
	assert_int_equal(web->new_conn_rate.period_ns, NS_PER_SEC);
	assert_int_equal(web->new_conn_burst, 40);
	assert_int_equal(web->pkt_rate.count, 1000000000);
	assert_int_equal(web->pkt_rate.period_ns, NS_PER_MIN);
	assert_int_equal(web->pkt_burst, 1000000);
	assert_int_equal(web->on_rate, ADM_A_REJECT);
	assert_int_equal(web->on_conn_full, ADM_A_DROP);
	assert_int_equal(web->priority, ADM_PRIO_CRITICAL);
	assert_int_equal(web->fp_mode, ADM_FP_SYN);
	assert_int_equal(web->ipv4_prefix, 1);
	assert_int_equal(web->ipv6_prefix, 128);
	assert_int_equal(web->verify, 1);
	assert_int_equal(web->unv_ipv4_prefix, 20);
	assert_int_equal(web->unv_ipv6_prefix, 40);
	assert_int_equal(web->unverified_rate.count, 50);
	assert_int_equal(web->unverified_rate.period_ns, NS_PER_MIN);
	assert_int_equal(web->unverified_burst, 5);
	assert_int_equal(web->new_source_rate.count, 200);
	assert_int_equal(web->new_source_rate.period_ns, NS_PER_SEC);
	assert_int_equal(web->new_source_burst, 400);
	assert_int_equal(web->on_unverified, ADM_A_DEFER);
	assert_int_equal(web->idle_timeout_ns, 90 * NS_PER_SEC);
	assert_int_equal(web->max_lifetime_ns, 2 * 60 * NS_PER_MIN);

	assert_string_equal(dns->name, "dns");
	assert_int_equal(dns->id, 2);
	assert_int_equal(dns->line, 36);
	assert_int_equal(dns->n_ports, 4);
	assert_port(dns, 0, IPPROTO_UDP, 53);
	assert_port(dns, 1, IPPROTO_TCP, 53);
	assert_port(dns, 2, IPPROTO_UDP, 5300);
	assert_port(dns, 3, IPPROTO_UDP, 5301);
	assert_int_equal(dns->conn_limit, 0);
	assert_int_equal(dns->fp_conn_limit, 0);
	assert_int_equal(dns->new_conn_rate.count, 30);
	assert_int_equal(dns->new_conn_rate.period_ns, NS_PER_MIN);
	assert_int_equal(dns->new_conn_burst, 0);
	assert_int_equal(dns->pkt_rate.count, 0);
	assert_int_equal(dns->pkt_burst, 0);
	assert_int_equal(dns->on_rate, ADM_A_DEFER);
	assert_int_equal(dns->on_conn_full, ADM_A_REJECT);
	assert_int_equal(dns->priority, ADM_PRIO_SHEDDABLE);
	assert_int_equal(dns->fp_mode, ADM_FP_PREFIX);
	assert_int_equal(dns->ipv4_prefix, 24);		/* prefix defaults */
	assert_int_equal(dns->ipv6_prefix, 48);
	assert_int_equal(dns->verify, 0);
	assert_int_equal(dns->unv_ipv4_prefix, 24);	/* not tied to fingerprint */
	assert_int_equal(dns->unv_ipv6_prefix, 48);
	assert_int_equal(dns->idle_timeout_ns, 0);
	assert_int_equal(dns->max_lifetime_ns, 0);

	assert_ptr_equal(adm_config_service(cfg, "web"), web);
	assert_ptr_equal(adm_config_service(cfg, "dns"), dns);
	assert_null(adm_config_service(cfg, "api"));
	assert_null(adm_config_service(cfg, "WEB"));
	free(cfg);
}

/* Prefix defaults depend on the fingerprint, wherever in the section it is. */
static void test_prefix_defaults(void **state)
{
	static const struct {
		const char *keys;
		__u8 v4, v6;
	} cases[] = {
		{ "fingerprint = prefix", 24, 48 },
		{ "ipv4_prefix = 28\nfingerprint = prefix", 28, 48 },
		{ "fingerprint = prefix\nipv6_prefix = 56", 24, 56 },
		{ "ipv6_prefix = 56\nipv4_prefix = 20\nfingerprint = prefix", 20, 56 },
		{ "fingerprint = ip", 32, 64 },
		{ "fingerprint = syn", 32, 64 },
		{ "ipv4_prefix = 16\nfingerprint = ip", 16, 64 },
	};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < ADM_ARRAY_SIZE(cases); i++) {
		struct adm_config *cfg;

		snprintf(text, sizeof(text), "[service web]\n%s\nports = 80\n",
			 cases[i].keys);
		cfg = parse_ok(text);
		if (cfg->svcs[0].ipv4_prefix != cases[i].v4 ||
		    cfg->svcs[0].ipv6_prefix != cases[i].v6)
			fail_msg("'%s': prefixes %u/%u, want %u/%u", cases[i].keys,
				 cfg->svcs[0].ipv4_prefix, cfg->svcs[0].ipv6_prefix,
				 cases[i].v4, cases[i].v6);
		free(cfg);
	}
}

/* A burst is checked against its rate at the end of the section. */
static void test_burst_before_rate(void **state)
{
	struct adm_config *cfg = parse_ok("[service web]\nnew_conn_burst = 7\n"
					  "pkt_burst = 9\nports = 80\n"
					  "pkt_rate = 100/sec\n"
					  "new_conn_rate = 5/min\n");

	(void)state;
	assert_int_equal(cfg->svcs[0].new_conn_burst, 7);
	assert_int_equal(cfg->svcs[0].new_conn_rate.count, 5);
	assert_int_equal(cfg->svcs[0].new_conn_rate.period_ns, NS_PER_MIN);
	assert_int_equal(cfg->svcs[0].pkt_burst, 9);
	assert_int_equal(cfg->svcs[0].pkt_rate.count, 100);
	assert_int_equal(cfg->svcs[0].pkt_rate.period_ns, NS_PER_SEC);
	free(cfg);
}

/* "0" is "off"; so is "off". */
static void test_rate_off(void **state)
{
	struct adm_config *cfg = parse_ok(SVC2("new_conn_rate = 0", "pkt_rate = off"));

	(void)state;
	assert_int_equal(cfg->svcs[0].new_conn_rate.count, 0);
	assert_int_equal(cfg->svcs[0].pkt_rate.count, 0);
	free(cfg);
}

/* Comments, blank lines, indentation, CRLF, a BOM, inline comments, spacing. */
static void test_layout_tolerance(void **state)
{
	struct adm_config *cfg = parse_ok(
		"\xef\xbb\xbf; leading BOM and comment\r\n"
		"# hash comment\r\n"
		"\r\n"
		"  [adm]   ; section comment\r\n"
		"\tmode   =   shadow   ; inline comment\r\n"
		"    interfaces=eth0\r\n"
		"[ service  web ]\r\n"
		"    ports =  80 ,443/udp ,  1000-1001  \r\n"
		"\tconn_limit: 12\r\n");			/* inih's name: value */
	const struct adm_svc_config *s = &cfg->svcs[0];

	(void)state;
	assert_int_equal(cfg->shadow, 1);
	assert_int_equal(cfg->n_ifaces, 1);
	assert_string_equal(cfg->ifaces[0], "eth0");
	assert_int_equal(cfg->n_svcs, 1);
	assert_string_equal(s->name, "web");
	assert_int_equal(s->line, 7);
	assert_int_equal(s->n_ports, 4);
	assert_port(s, 0, IPPROTO_TCP, 80);
	assert_port(s, 1, IPPROTO_UDP, 443);
	assert_port(s, 2, IPPROTO_TCP, 1000);
	assert_port(s, 3, IPPROTO_TCP, 1001);
	assert_int_equal(s->conn_limit, 12);
	free(cfg);
}

/* Indented keys are keys, not continuations of the previous value. */
static void test_indented_keys(void **state)
{
	struct adm_config *cfg = parse_ok("[service web]\n    ports = 80\n"
					  "    priority = critical\n"
					  "    conn_limit = 3\n");

	(void)state;
	assert_int_equal(cfg->svcs[0].n_ports, 1);
	assert_int_equal(cfg->svcs[0].priority, ADM_PRIO_CRITICAL);
	assert_int_equal(cfg->svcs[0].conn_limit, 3);
	free(cfg);
}

/* Limits reached exactly are accepted. */
static void test_port_limits(void **state)
{
	struct adm_config *cfg = parse_ok(
		"[service web]\nports = 1000-1063\n"
		"[service web-udp]\nports = 1000-1063/udp\n"
		"[service edge]\nports = 1, 65535/udp, 65535\n");
	const struct adm_svc_config *s = &cfg->svcs[0];
	int i;

	(void)state;
	assert_int_equal(s->n_ports, ADM_MAX_SVC_PORTS);
	for (i = 0; i < ADM_MAX_SVC_PORTS; i++)
		assert_port(s, i, IPPROTO_TCP, 1000 + i);
	s = &cfg->svcs[1];
	assert_int_equal(s->n_ports, ADM_MAX_SVC_PORTS);
	for (i = 0; i < ADM_MAX_SVC_PORTS; i++)
		assert_port(s, i, IPPROTO_UDP, 1000 + i);
	s = &cfg->svcs[2];
	assert_int_equal(s->n_ports, 3);
	assert_port(s, 0, IPPROTO_TCP, 1);
	assert_port(s, 1, IPPROTO_UDP, 65535);
	assert_port(s, 2, IPPROTO_TCP, 65535);
	free(cfg);
}

static void test_interface_limits(void **state)
{
	struct adm_config *cfg = parse_ok(
		ADM("interfaces = abcdefghijklmno a1 a2 a3 a4 a5 a6 a7 a8 a9 "
		    "b0 b1 b2 b3 b4 x_.:@-Z9"));

	(void)state;
	assert_int_equal(cfg->n_ifaces, ADM_MAX_IFACES);
	assert_string_equal(cfg->ifaces[0], "abcdefghijklmno");
	assert_string_equal(cfg->ifaces[9], "a9");
	assert_string_equal(cfg->ifaces[15], "x_.:@-Z9");
	free(cfg);
}

/* Service text for the services test: "[service sN]" with port 1000 + N. */
static char *services_text(int n)
{
	size_t len = (size_t)n * 48 + 1, used = 0;
	char *text = malloc(len);
	int i;

	assert_non_null(text);
	text[0] = '\0';
	for (i = 0; i < n; i++)
		used += snprintf(text + used, len - used,
				 "[service s%d]\nports = %d\n", i + 1, 1000 + i);
	return text;
}

/* 63 services are allowed, ids 1..63 in file order; the 64th is not. */
static void test_service_count(void **state)
{
	char *text = services_text(ADM_MAX_SERVICES - 1);
	struct adm_config *cfg = parse_ok(text);
	char name[ADM_SVC_NAME_MAX];
	int i;

	(void)state;
	assert_int_equal(cfg->n_svcs, ADM_MAX_SERVICES - 1);
	for (i = 0; i < cfg->n_svcs; i++) {
		snprintf(name, sizeof(name), "s%d", i + 1);
		assert_string_equal(cfg->svcs[i].name, name);
		assert_int_equal(cfg->svcs[i].id, i + 1);
		assert_int_equal(cfg->svcs[i].line, 2 * i + 1);
		assert_port(&cfg->svcs[i], 0, IPPROTO_TCP, 1000 + i);
	}
	free(cfg);
	free(text);

	text = services_text(ADM_MAX_SERVICES);
	expect_error(text, NAME ":127: [service s64]: more than 63 services; "
		     "allowed: at most 63 [service NAME] sections");
	free(text);
}

/* Lines up to inih's buffer are fine; a longer one is an error, not two lines. */
static void test_long_line(void **state)
{
	const int max = INI_MAX_LINE - 2;	/* room for '\n' and NUL */
	char text[2 * INI_MAX_LINE], want[128];
	struct adm_config *cfg;

	(void)state;
	snprintf(text, sizeof(text), "[service web]\nports = 80\n;%0*d\n",
		 max - 1, 0);
	cfg = parse_ok(text);
	free(cfg);

	snprintf(text, sizeof(text), "[service web]\nports = 80\n;%0*d\n", max, 0);
	snprintf(want, sizeof(want), NAME ":3: line too long (%d characters); "
		 "allowed: at most %d characters per line", max + 1, max);
	expect_error(text, want);
}

/* A path for a temporary file holding `text` (len bytes). */
static void write_temp(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/adm-test-config.XXXXXX", err[ADM_ERR_MAX], want[256];
	struct adm_config *cfg = new_config();
	static const char bad[] = "[service web]\nports = 80\nipv4_prefix = 33\n";

	(void)state;
	write_temp(path, full_config, strlen(full_config));
	assert_int_equal(adm_config_load(path, cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg->path, path);
	assert_int_equal(cfg->n_svcs, 2);
	assert_int_equal(cfg->svcs[1].ports[0], 53);
	unlink(path);

	strcpy(path, "/tmp/adm-test-config.XXXXXX");
	write_temp(path, bad, strlen(bad));
	assert_int_equal(adm_config_load(path, cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: [service web] ipv4_prefix = '33': "
		 "out of range; allowed: 1..32", path);
	assert_string_equal(err, want);
	unlink(path);

	assert_int_equal(adm_config_load(path, cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory",
		 path);
	assert_string_equal(err, want);

	assert_int_equal(adm_config_load("/tmp", cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "/tmp: cannot read: Is a directory");

	strcpy(path, "/tmp/adm-test-config.XXXXXX");
	write_temp(path, "[service web]\nports = 80\0\n", 26);
	assert_int_equal(adm_config_load(path, cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in the file; allowed: text",
		 path);
	assert_string_equal(err, want);
	unlink(path);
	free(cfg);
}

/* A short error buffer is cut, terminated; no buffer at all is fine too. */
static void test_error_buffer(void **state)
{
	struct adm_config *cfg = new_config();
	char err[16];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(adm_config_parse_string(SVC("ipv4_prefix = 33"), NAME,
						 cfg, err, sizeof(err)), -1);
	assert_string_equal(err, NAME ":3: [se");
	assert_int_equal(adm_config_parse_string(SVC("ipv4_prefix = 33"), NAME,
						 cfg, NULL, 0), -1);
	assert_int_equal(adm_config_parse_string(SVC("ipv4_prefix = 32"), NAME,
						 cfg, NULL, 0), 0);
	free(cfg);
}

/* The breaker module's keys: values, defaults, resolved dependencies. */
static void test_breaker_keys(void **state)
{
	struct adm_config *cfg;
	const struct adm_svc_config *web, *db;

	(void)state;
	cfg = parse_ok("[service db]\nports = 3306\nbreaker_probe = tcp:10.77.0.1:3306\n"
		       "[service web]\nports = 80\nconn_limit = auto\n"
		       "conn_limit_min = 4\nconn_limit_max = 64\n"
		       "breaker_latency = 200ms\nbreaker_accept_queue = 50\n"
		       "breaker_pressure = 2\n"
		       "breaker_probe = http://[fd77::1]:8080/health\n"
		       "probe_interval = 2s\nprobe_timeout = 300ms\n"
		       "breaker_window = 3s\nbreaker_cooldown = 20s\n"
		       "half_open_permille = 250\ndepends_on = db\n");
	db = adm_config_service(cfg, "db");
	web = adm_config_service(cfg, "web");
	assert_non_null(db);
	assert_non_null(web);
	assert_int_equal(web->brk.conn_limit_auto, 1);
	assert_int_equal(web->conn_limit, 0);
	assert_int_equal(web->brk.conn_limit_min, 4);
	assert_int_equal(web->brk.conn_limit_max, 64);
	assert_int_equal(web->brk.latency_ns, 200000000ULL);
	assert_int_equal(web->brk.accept_queue, 50);
	assert_int_equal(web->brk.pressure, 2);
	assert_int_equal(web->brk.probe_kind, ADM_PROBE_HTTP);
	assert_string_equal(web->brk.probe_addr, "[fd77::1]:8080");
	assert_string_equal(web->brk.probe_path, "/health");
	assert_int_equal(web->brk.probe_interval_ns, 2 * NS_PER_SEC);
	assert_int_equal(web->brk.probe_timeout_ns, 300000000ULL);
	assert_int_equal(web->brk.window_ns, 3 * NS_PER_SEC);
	assert_int_equal(web->brk.cooldown_ns, 20 * NS_PER_SEC);
	assert_int_equal(web->brk.half_open_permille, 250);
	assert_int_equal(web->brk.depends_idx, (__u32)(db - cfg->svcs) + 1);
	/* Defaults. */
	assert_int_equal(db->brk.probe_kind, ADM_PROBE_TCP);
	assert_string_equal(db->brk.probe_addr, "10.77.0.1:3306");
	assert_int_equal(db->brk.conn_limit_auto, 0);
	assert_int_equal(db->brk.probe_interval_ns, NS_PER_SEC);
	assert_int_equal(db->brk.probe_timeout_ns, NS_PER_SEC / 2);
	assert_int_equal(db->brk.window_ns, 5 * NS_PER_SEC);
	assert_int_equal(db->brk.cooldown_ns, 10 * NS_PER_SEC);
	assert_int_equal(db->brk.half_open_permille, 100);
	assert_int_equal(db->brk.depends_idx, 0);
	free(cfg);
	/* conn_limit = auto alone: bounds 2..1000; a short probe interval
	 * brings the default timeout down to half of it. */
	cfg = parse_ok(SVC2("conn_limit = auto", "breaker_probe = http://10.0.0.1:80\n"
			    "probe_interval = 200ms"));
	assert_int_equal(cfg->svcs[0].brk.conn_limit_min, 2);
	assert_int_equal(cfg->svcs[0].brk.conn_limit_max, 1000);
	assert_string_equal(cfg->svcs[0].brk.probe_path, "/");
	assert_int_equal(cfg->svcs[0].brk.probe_timeout_ns, 100000000ULL);
	free(cfg);
	/* A dependency chain without a cycle, declared before its target. */
	cfg = parse_ok("[service a]\nports = 1\ndepends_on = b\n"
		       "[service b]\nports = 2\ndepends_on = c\n"
		       "[service c]\nports = 3\n");
	assert_int_equal(cfg->svcs[0].brk.depends_idx, 2);
	assert_int_equal(cfg->svcs[1].brk.depends_idx, 3);
	free(cfg);
}

/* [redis]: defaults, every key, and the per-service keys. */
static void test_redis(void **state)
{
	struct adm_config *cfg;
	char host[256] = "";

	(void)state;
	cfg = parse_ok(SVC("conn_limit = 10"));
	assert_int_equal(cfg->redis.enabled, 0);
	assert_int_equal(cfg->svcs[0].on_store_failure, ADM_SF_UNSET);
	free(cfg);

	cfg = parse_ok(REDIS(RSOCK));
	assert_int_equal(cfg->redis.enabled, 1);
	assert_string_equal(cfg->redis.socket, "/run/redis/redis.sock");
	assert_string_equal(cfg->redis.cluster, "adm");
	gethostname(host, sizeof(host) - 1);
	if (strlen(host) < ADM_RS_NAME_MAX && !strchr(host, '/'))
		assert_string_equal(cfg->redis.node, host);
	assert_int_equal(cfg->redis.sync_interval_ms, 100);
	assert_int_equal(cfg->redis.timeout_ms, 50);
	assert_int_equal(cfg->redis.node_ttl_ms, 1000);
	assert_int_equal(cfg->redis.on_store_failure, ADM_SF_LOCAL_SHARE);
	free(cfg);

	cfg = parse_ok("[redis]\nsentinels = s1:26379, [fd77::1]:26380\n"
		       "master_name = mymaster\ncluster = shop\nnode = n-1.a\n"
		       "password_file = /etc/adm/redis.pw\nuser = adm\n"
		       "sync_interval_ms = 250\ntimeout_ms = 40\n"
		       "on_store_failure = closed\n"
		       "[service web]\nports = 80\nconn_limit = 500\n"
		       "cluster_conn_rate = 50/s\non_store_failure = open\n"
		       "[service api]\nports = 81\ncluster_conn_rate = 600/m\n");
	assert_int_equal(cfg->redis.n_sentinels, 2);
	assert_string_equal(cfg->redis.sentinels[0], "s1");
	assert_int_equal(cfg->redis.sentinel_ports[0], 26379);
	assert_string_equal(cfg->redis.sentinels[1], "fd77::1");
	assert_int_equal(cfg->redis.sentinel_ports[1], 26380);
	assert_string_equal(cfg->redis.master_name, "mymaster");
	assert_string_equal(cfg->redis.cluster, "shop");
	assert_string_equal(cfg->redis.node, "n-1.a");
	assert_string_equal(cfg->redis.password_file, "/etc/adm/redis.pw");
	assert_string_equal(cfg->redis.user, "adm");
	assert_int_equal(cfg->redis.sync_interval_ms, 250);
	assert_int_equal(cfg->redis.timeout_ms, 40);
	assert_int_equal(cfg->redis.node_ttl_ms, 2500);
	assert_int_equal(cfg->redis.on_store_failure, ADM_SF_CLOSED);
	assert_int_equal(cfg->svcs[0].cluster_conn_rate.count, 50);
	assert_int_equal(cfg->svcs[0].cluster_conn_rate.period_ns, NS_PER_SEC);
	assert_int_equal(cfg->svcs[0].on_store_failure, ADM_SF_OPEN);
	assert_int_equal(cfg->svcs[1].cluster_conn_rate.count, 600);
	assert_int_equal(cfg->svcs[1].cluster_conn_rate.period_ns, NS_PER_MIN);
	assert_int_equal(cfg->svcs[1].on_store_failure, ADM_SF_UNSET);
	free(cfg);

	cfg = parse_ok(REDIS2("host = redis.internal", "port = 6380"));
	assert_string_equal(cfg->redis.host, "redis.internal");
	assert_int_equal(cfg->redis.port, 6380);
	free(cfg);
	cfg = parse_ok(REDIS("host = 10.77.0.1"));
	assert_int_equal(cfg->redis.port, 6379);
	free(cfg);
	/* [redis] after the services: the per-service keys still need it only somewhere */
	cfg = parse_ok("[service web]\nports = 80\ncluster_conn_rate = 5/s\n[redis]\n" RSOCK "\n");
	assert_int_equal(cfg->svcs[0].cluster_conn_rate.count, 5);
	free(cfg);
	assert_string_equal(adm_store_failure_name(ADM_SF_LOCAL_SHARE), "local-share");
	assert_string_equal(adm_store_failure_name(99), "?");
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_breaker_keys),
	cmocka_unit_test(test_redis),
	cmocka_unit_test(test_metrics_listen),
	cmocka_unit_test(test_reply_keys),
	cmocka_unit_test(test_control_keys),
	cmocka_unit_test(test_mariadb),
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_minimal),
	cmocka_unit_test(test_full),
	cmocka_unit_test(test_prefix_defaults),
	cmocka_unit_test(test_burst_before_rate),
	cmocka_unit_test(test_rate_off),
	cmocka_unit_test(test_layout_tolerance),
	cmocka_unit_test(test_indented_keys),
	cmocka_unit_test(test_port_limits),
	cmocka_unit_test(test_interface_limits),
	cmocka_unit_test(test_service_count),
	cmocka_unit_test(test_long_line),
	cmocka_unit_test(test_load_file),
	cmocka_unit_test(test_error_buffer),
};

int main(void)
{
	struct CMUnitTest tests[ADM_ARRAY_SIZE(bad_cases) +
				ADM_ARRAY_SIZE(fixed_tests)];
	size_t i, n = 0;

	/* One TAP line per invalid file, named after it. */
	for (i = 0; i < ADM_ARRAY_SIZE(bad_cases); i++) {
		struct CMUnitTest t = {
			.name = bad_cases[i].what,
			.test_func = test_bad,
			.initial_state = (void *)&bad_cases[i],
		};

		tests[n++] = t;
	}
	for (i = 0; i < ADM_ARRAY_SIZE(fixed_tests); i++)
		tests[n++] = fixed_tests[i];
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
