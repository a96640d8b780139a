/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for translator/conf/config_file.c: defaults, every key, long options,
 * exact error messages (file, line, key), finalize, print -> parse round trip. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static struct tun64_config cfg;
static char err[CONFIG_ERRLEN];

/* Parse text as file "t.conf" on top of the defaults. */
static int parse(const char *text)
{
	config_defaults(&cfg);
	err[0] = '\0';
	return config_parse_text(&cfg, "t.conf", text, err, sizeof(err));
}

/* The text must fail with exactly this message. */
static void assert_error(const char *text, const char *msg)
{
	ck_assert_msg(parse(text) == -1, "accepted: %s", text);
	ck_assert_str_eq(err, msg);
}

START_TEST(defaults)
{
	static const uint8_t wkp[16] = {0x00, 0x64, 0xff, 0x9b};

	config_defaults(&cfg);
	ck_assert_str_eq(cfg.tun_device, "nat64");
	ck_assert_int_eq(cfg.mode, XLAT_STATEFUL);
	ck_assert_mem_eq(cfg.prefix.addr, wkp, 16);
	ck_assert_uint_eq(cfg.prefix.len, 96);
	ck_assert_uint_eq(cfg.n_pool4, 1);
	ck_assert_uint_eq(cfg.pool4[0].addr, V4(192, 168, 255, 0));
	ck_assert_uint_eq(cfg.pool4[0].len, 24);
	ck_assert_uint_eq(cfg.pool4[0].port_lo, 1024);
	ck_assert_uint_eq(cfg.pool4[0].port_hi, 65535);
	ck_assert(cfg.pool4_default);
	ck_assert(!cfg.ipv4_addr_set && !cfg.ipv6_addr_set);
	ck_assert_uint_eq(cfg.n_map + cfg.n_bib + cfg.n_allow6, 0);
	ck_assert_uint_eq(cfg.mtu, 1500);
	ck_assert_uint_eq(cfg.lowest_ipv6_mtu, 1280);
	ck_assert_uint_eq(cfg.workers, 0);
	ck_assert_uint_eq(cfg.max_sessions, 0);
	ck_assert_uint_eq(cfg.max_sessions_per_client, 0);
	ck_assert_uint_eq(cfg.max_sessions_per_address, 25);
	ck_assert_uint_eq(cfg.timeout_udp, 300);
	ck_assert_uint_eq(cfg.timeout_tcp_est, 7440);
	ck_assert_uint_eq(cfg.timeout_tcp_trans, 240);
	ck_assert_uint_eq(cfg.timeout_icmp, 60);
	ck_assert(cfg.routes);
	ck_assert(!cfg.persist);
	ck_assert(cfg.offload);
	ck_assert(cfg.udp_coalesce);
	ck_assert_uint_eq(cfg.state_save_interval, 60);
	ck_assert(!cfg.allow_private_wkp);
	ck_assert_str_eq(cfg.state_file, "");
	ck_assert_str_eq(cfg.control_socket, "/run/tun64/tun64.sock");
	ck_assert_str_eq(cfg.user, "");
	ck_assert_str_eq(cfg.group, "");
	ck_assert_int_eq(cfg.log_level, LOG_LVL_INFO);
}
END_TEST

/* Built-in defaults finalize to ipv4-addr 192.168.255.1 and 64:ff9b::c0a8:ff01. */
START_TEST(defaults_finalize)
{
	static const uint8_t own6[16] = {0x00, 0x64, 0xff, 0x9b, 0,   0,   0,   0,
	                                 0,    0,    0,    0,    192, 168, 255, 1};

	config_defaults(&cfg);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.ipv4_addr, V4(192, 168, 255, 1));
	ck_assert_mem_eq(cfg.ipv6_addr, own6, 16);
}
END_TEST

static const char every_key[] = "# a full configuration\n"
                                "\n"
                                "tun-device  t64test\n"
                                "mode stateful\n"
                                "prefix 2001:db8:64::/96\n"
                                "pool4 198.51.100.0/28\n"
                                "pool4 198.51.100.64/26 ports 2000-2999\n"
                                "ipv4-addr 192.0.2.1\n"
                                "ipv6-addr 2001:db8:6::ffff\n"
                                "bib tcp 198.51.100.1#80 2001:db8:6::2#8080\n"
                                "bib udp 198.51.100.2#53 2001:db8:6::3#53   # inline comment\n"
                                "bib icmp 198.51.100.3#0 2001:db8:6::4#0\n"
                                "allow6 2001:db8:6::/64\n"
                                "allow6 2001:db8:7::/64 2001:db8:8::/48\n"
                                "mtu 9000\n"
                                "lowest-ipv6-mtu 1400\n"
                                "workers 4\n"
                                "max-sessions 100000\n"
                                "max-sessions-per-client 2500\n"
                                "max-sessions-per-address 40\n"
                                "timeout-udp 600\n"
                                "timeout-tcp-est 8000\n"
                                "timeout-tcp-trans 300\n"
                                "timeout-icmp 30\n"
                                "routes no\n"
                                "masquerade ppp0\n"
                                "persist yes\n"
                                "offload no\n"
                                "udp-coalesce no\n"
                                "wkp-allow-private yes\n"
                                "state-file /var/lib/tun64/state\n"
                                "state-save-interval 5\n"
                                "control-socket /tmp/t64.sock\n"
                                "user nobody\n"
                                "group nogroup\n"
                                "log-level debug\n"
                                "icmp-error-rate 0\n"
                                "icmp-error-burst 7\n"
                                "icmp-unreachable no\n"
                                "rfc6791-pool4 192.0.2.128/25\n"
                                "rfc6791-pool6 2001:db8:ffff::/48\n"
                                "udp-zero-checksum drop\n"
                                "tos zero\n"
                                "flow-label hash\n"
                                "filtering address-dependent\n"
                                "metrics 127.0.0.1:9164\n"
                                "pref64-announce lan6\n"
                                "fast-path no\n"
                                "session-log /var/log/tun64/sessions.log\n"
                                "session-log-destination yes\n"
                                "pool4-block-size 64\n"
                                "log syslog\n";

START_TEST(parse_every_key)
{
	static const uint8_t prefix[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x64};
	static const uint8_t own6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06, 0,    0,
	                                 0,    0,    0,    0,    0,    0,    0xff, 0xff};
	static const uint8_t client2[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06, 0, 0,
	                                    0,    0,    0,    0,    0,    0,    0, 2};
	static const uint8_t p7[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x07};

	ck_assert_msg(parse(every_key) == 0, "%s", err);
	ck_assert_str_eq(cfg.tun_device, "t64test");
	ck_assert_str_eq(cfg.metrics, "127.0.0.1:9164");
	ck_assert_int_eq(cfg.mode, XLAT_STATEFUL);
	ck_assert_mem_eq(cfg.prefix.addr, prefix, 16);
	ck_assert_uint_eq(cfg.prefix.len, 96);
	ck_assert_uint_eq(cfg.n_pool4, 2);
	ck_assert(!cfg.pool4_default);
	ck_assert_uint_eq(cfg.pool4[0].addr, V4(198, 51, 100, 0));
	ck_assert_uint_eq(cfg.pool4[0].len, 28);
	ck_assert_uint_eq(cfg.pool4[0].port_lo, 1024);
	ck_assert_uint_eq(cfg.pool4[0].port_hi, 65535);
	ck_assert_uint_eq(cfg.pool4[1].addr, V4(198, 51, 100, 64));
	ck_assert_uint_eq(cfg.pool4[1].len, 26);
	ck_assert_uint_eq(cfg.pool4[1].port_lo, 2000);
	ck_assert_uint_eq(cfg.pool4[1].port_hi, 2999);
	ck_assert(cfg.ipv4_addr_set && cfg.ipv6_addr_set);
	ck_assert_uint_eq(cfg.ipv4_addr, V4(192, 0, 2, 1));
	ck_assert_mem_eq(cfg.ipv6_addr, own6, 16);
	ck_assert_uint_eq(cfg.n_bib, 3);
	ck_assert_uint_eq(cfg.bib[0].proto, IPPROTO_TCP);
	ck_assert_uint_eq(cfg.bib[0].addr4, V4(198, 51, 100, 1));
	ck_assert_uint_eq(cfg.bib[0].port4, 80);
	ck_assert_mem_eq(cfg.bib[0].addr6, client2, 16);
	ck_assert_uint_eq(cfg.bib[0].port6, 8080);
	ck_assert_uint_eq(cfg.bib[1].proto, IPPROTO_UDP);
	ck_assert_uint_eq(cfg.bib[1].port4, 53);
	ck_assert_uint_eq(cfg.bib[1].port6, 53);
	ck_assert_uint_eq(cfg.bib[2].proto, IPPROTO_ICMP);
	ck_assert_uint_eq(cfg.bib[2].port4, 0);
	ck_assert_uint_eq(cfg.n_allow6, 3);
	ck_assert_uint_eq(cfg.allow6[0].len, 64);
	ck_assert_mem_eq(cfg.allow6[1].addr, p7, 16);
	ck_assert_uint_eq(cfg.allow6[2].len, 48);
	ck_assert_uint_eq(cfg.mtu, 9000);
	ck_assert_uint_eq(cfg.lowest_ipv6_mtu, 1400);
	ck_assert_uint_eq(cfg.workers, 4);
	ck_assert_uint_eq(cfg.max_sessions, 100000);
	ck_assert_uint_eq(cfg.max_sessions_per_client, 2500);
	ck_assert_uint_eq(cfg.max_sessions_per_address, 40);
	ck_assert_uint_eq(cfg.timeout_udp, 600);
	ck_assert_uint_eq(cfg.timeout_tcp_est, 8000);
	ck_assert_uint_eq(cfg.timeout_tcp_trans, 300);
	ck_assert_uint_eq(cfg.timeout_icmp, 30);
	ck_assert(!cfg.routes);
	ck_assert_str_eq(cfg.masquerade, "ppp0");
	ck_assert(cfg.persist);
	ck_assert(!cfg.offload);
	ck_assert(!cfg.udp_coalesce);
	ck_assert(cfg.allow_private_wkp);
	ck_assert_str_eq(cfg.state_file, "/var/lib/tun64/state");
	ck_assert_uint_eq(cfg.state_save_interval, 5);
	ck_assert_str_eq(cfg.control_socket, "/tmp/t64.sock");
	ck_assert_str_eq(cfg.user, "nobody");
	ck_assert_str_eq(cfg.group, "nogroup");
	ck_assert_int_eq(cfg.log_level, LOG_LVL_DEBUG);
	ck_assert_int_eq(cfg.log_target, LOG_TO_SYSLOG);
	ck_assert_uint_eq(cfg.icmp_error_rate, 0);
	ck_assert_uint_eq(cfg.icmp_error_burst, 7);
	ck_assert(!cfg.icmp_unreachable);
	ck_assert(cfg.rfc6791_pool4_set && cfg.rfc6791_pool6_set);
	ck_assert_uint_eq(cfg.rfc6791_pool4.addr, V4(192, 0, 2, 128));
	ck_assert_uint_eq(cfg.rfc6791_pool4.len, 25);
	ck_assert_uint_eq(cfg.rfc6791_pool6.addr[5], 0xff);
	ck_assert_uint_eq(cfg.rfc6791_pool6.len, 48);
	ck_assert(cfg.udp_zero_csum_drop && cfg.tos_zero && cfg.flow_label_hash);
	ck_assert(cfg.filtering_adf);
	ck_assert_str_eq(cfg.pref64_announce, "lan6");
	ck_assert_msg(config_finalize(&cfg, err, sizeof(err)) == 0, "%s", err);
	/* explicitly set addresses are kept */
	ck_assert_uint_eq(cfg.ipv4_addr, V4(192, 0, 2, 1));
	ck_assert_mem_eq(cfg.ipv6_addr, own6, 16);
}
END_TEST

START_TEST(parse_stateless_map)
{
	static const uint8_t m1[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06, 0,    0,
	                               0,    0,    0,    0,    0,    0,    0x01, 0x00};
	static const uint8_t m2[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06, 0, 0,
	                               0,    0,    0,    0,    0,    0,    0, 0x21};

	ck_assert_msg(parse("mode stateless\nipv4-addr 203.0.113.1\n"
	                    "map 192.0.2.0/24 2001:db8:6::100/120\n"
	                    "map 192.0.2.33 2001:db8:6::21\n") == 0,
	              "%s", err);
	ck_assert_int_eq(cfg.mode, XLAT_STATELESS);
	ck_assert_uint_eq(cfg.n_map, 2);
	ck_assert_uint_eq(cfg.map[0].p4.addr, V4(192, 0, 2, 0));
	ck_assert_uint_eq(cfg.map[0].p4.len, 24);
	ck_assert_mem_eq(cfg.map[0].p6.addr, m1, 16);
	ck_assert_uint_eq(cfg.map[0].p6.len, 120);
	ck_assert_uint_eq(cfg.map[1].p4.len, 32);
	ck_assert_mem_eq(cfg.map[1].p6.addr, m2, 16);
	ck_assert_uint_eq(cfg.map[1].p6.len, 128);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
}
END_TEST

/* RFC 7757 §3.2: an IPv6 suffix longer than the IPv4 one is fine (8 bits into
 * a /64, one IPv4 host for a whole /64), and so is the exact fit. */
START_TEST(parse_stateless_map_unequal)
{
	static const uint8_t m1[16] = {0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xaa};
	static const uint8_t m2[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x06, 0x00, 0x07};

	ck_assert_msg(parse("mode stateless\nipv4-addr 203.0.113.1\n"
	                    "map 192.0.2.0/24 2001:db8:aaaa::/64\n"
	                    "map 198.51.100.6 2001:db8:6:7::/64\n"
	                    "map 203.0.113.0/24 2001:db8:6::/120\n") == 0,
	              "%s", err);
	ck_assert_uint_eq(cfg.n_map, 3);
	ck_assert_uint_eq(cfg.map[0].p4.len, 24);
	ck_assert_mem_eq(cfg.map[0].p6.addr, m1, 16);
	ck_assert_uint_eq(cfg.map[0].p6.len, 64);
	ck_assert_uint_eq(cfg.map[1].p4.addr, V4(198, 51, 100, 6));
	ck_assert_uint_eq(cfg.map[1].p4.len, 32);
	ck_assert_mem_eq(cfg.map[1].p6.addr, m2, 16);
	ck_assert_uint_eq(cfg.map[1].p6.len, 64);
	ck_assert_uint_eq(cfg.map[2].p6.len, 120);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
}
END_TEST

START_TEST(prefix_lengths)
{
	static const char *const ok[] = {
	    "prefix 2001:db8::/32\n",     "prefix 2001:db8:100::/40\n",
	    "prefix 2001:db8:122::/48\n", "prefix 2001:db8:122:300::/56\n",
	    "prefix 2001:db8:64::/64\n",  "prefix 2001:db8:64::/96\n",
	};
	static const unsigned len[] = {32, 40, 48, 56, 64, 96};
	size_t i;

	for (i = 0; i < 6; i++) {
		ck_assert_msg(parse(ok[i]) == 0, "%s", err);
		ck_assert_uint_eq(cfg.prefix.len, len[i]);
	}
}
END_TEST

/* Whitespace, comments, CRLF, a last line without newline. */
START_TEST(file_syntax)
{
	ck_assert_msg(parse("   # indented comment\n"
	                    "\t\n"
	                    "  mtu   1400   \r\n"
	                    "#mtu 1300\n"
	                    "state-file /var/lib/my state # with a space\n"
	                    "workers 2") == 0,
	              "%s", err);
	ck_assert_uint_eq(cfg.mtu, 1400);
	ck_assert_str_eq(cfg.state_file, "/var/lib/my state");
	ck_assert_uint_eq(cfg.workers, 2);
	ck_assert_int_eq(parse(""), 0);
	ck_assert_int_eq(parse("\n\n# only comments\n"), 0);
	ck_assert_uint_eq(cfg.mtu, 1500);
}
END_TEST

/* The first pool4 replaces the default, later ones append; allow6 any clears. */
START_TEST(repeatable_keys)
{
	ck_assert_int_eq(parse("pool4 198.51.100.0/24\n"), 0);
	ck_assert_uint_eq(cfg.n_pool4, 1);
	ck_assert_uint_eq(cfg.pool4[0].addr, V4(198, 51, 100, 0));
	ck_assert_int_eq(parse("pool4 198.51.100.0/25\npool4 198.51.100.128/25\n"), 0);
	ck_assert_uint_eq(cfg.n_pool4, 2);
	ck_assert_uint_eq(cfg.pool4[1].addr, V4(198, 51, 100, 128));
	ck_assert_int_eq(parse("allow6 2001:db8:6::/64\nallow6 any\n"), 0);
	ck_assert_uint_eq(cfg.n_allow6, 0);
	ck_assert_int_eq(parse("allow6 any\nallow6 2001:db8:6::/64\n"), 0);
	ck_assert_uint_eq(cfg.n_allow6, 1);
	/* tun64d's override: pool4_default set again -> the next pool4 replaces */
	cfg.pool4_default = true;
	ck_assert_int_eq(config_set(&cfg, "pool4", "203.0.113.0/24", "--pool4", err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(cfg.n_pool4, 1);
	ck_assert_uint_eq(cfg.pool4[0].addr, V4(203, 0, 113, 0));
}
END_TEST

START_TEST(long_options)
{
	config_defaults(&cfg);
	ck_assert_int_eq(config_set(&cfg, "mtu", "1400", "--mtu", err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.mtu, 1400);
	ck_assert_int_eq(config_set(&cfg, "pool4", " 198.51.100.0/24 ports 5000-6000 ", "--pool4",
	                            err, sizeof(err)),
	                 0);
	ck_assert_uint_eq(cfg.pool4[0].port_lo, 5000);
	ck_assert_uint_eq(cfg.pool4[0].port_hi, 6000);
	ck_assert_int_eq(config_set(&cfg, "mtu", "80", "--mtu", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--mtu: mtu: 80 is out of range (1280..65535)");
	ck_assert_int_eq(config_set(&cfg, "prefix", "2001:db8::/80", "--prefix", err, sizeof(err)),
	                 -1);
	ck_assert_str_eq(
	    err, "--prefix: prefix: length 80 is not allowed (RFC 6052: 32, 40, 48, 56, 64, 96)");
	ck_assert_int_eq(config_set(&cfg, "bogus", "1", "--bogus", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--bogus: bogus: unknown key");
	ck_assert_int_eq(config_set(&cfg, "routes", "", "--routes", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--routes: routes: needs a value");
	ck_assert_uint_eq(cfg.mtu, 1400); /* failed sets change nothing */
}
END_TEST

/* metrics ADDR:PORT: IPv4, or IPv6 in brackets; anything else refused. */
START_TEST(metrics_address)
{
	static const char *const bad[] = {
	    "9164",     "127.0.0.1", "127.0.0.1:0",    "127.0.0.1:65536",
	    "::1:9164", "[::1]",     "localhost:9164", "[127.0.0.1]:80"};

	ck_assert_msg(parse("metrics [::1]:9164\n") == 0, "%s", err);
	ck_assert_str_eq(cfg.metrics, "[::1]:9164");
	ck_assert_msg(parse("metrics 192.0.2.1:80\n") == 0, "%s", err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "metrics %s\n", bad[i]);
		ck_assert_msg(parse(line) < 0, "accepted %s", bad[i]);
	}
}
END_TEST

START_TEST(is_key)
{
	static const char *const keys[] = {
	    "tun-device",
	    "mode",
	    "prefix",
	    "pool4",
	    "ipv4-addr",
	    "ipv6-addr",
	    "map",
	    "bib",
	    "allow6",
	    "mtu",
	    "lowest-ipv6-mtu",
	    "workers",
	    "max-sessions",
	    "timeout-udp",
	    "timeout-tcp-est",
	    "timeout-tcp-trans",
	    "timeout-icmp",
	    "routes",
	    "persist",
	    "state-file",
	    "control-socket",
	    "user",
	    "group",
	    "log-level",
	    "wkp-allow-private",
	    "max-sessions-per-client",
	    "icmp-error-rate",
	    "icmp-error-burst",
	    "rfc6791-pool4",
	    "rfc6791-pool6",
	    "udp-zero-checksum",
	    "tos",
	    "flow-label",
	    "masquerade",
	    "offload",
	    "filtering",
	    "udp-coalesce",
	    "state-save-interval",
	    "icmp-unreachable",
	    "max-sessions-per-address",
	    "metrics",
	    "pref64-announce",
	    "session-log",
	    "session-log-destination",
	    "pool4-block-size",
	    "fast-path",
	    "log",
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(config_is_key(keys[i]), "%s", keys[i]);
	ck_assert(!config_is_key("check"));
	ck_assert(!config_is_key("config"));
	ck_assert(!config_is_key("MTU"));
	ck_assert(!config_is_key(""));
	ck_assert(!config_is_key("timeout"));
}
END_TEST

struct error_case {
	const char *text;
	const char *msg;
};

static const struct error_case errors[] = {
    {"prefix 2001:db8::/80\n",
     "t.conf:1: prefix: length 80 is not allowed (RFC 6052: 32, 40, 48, 56, 64, 96)"},
    {"mtu 1400\n\n# x\nprefix 2001:db8::1/96\n",
     "t.conf:4: prefix: '2001:db8::1/96' is not an IPv6 prefix (ADDR/LEN with zero host bits)"},
    {"frobnicate yes\n", "t.conf:1: frobnicate: unknown key"},
    {"mtu\n", "t.conf:1: mtu: needs a value"},
    {"mtu # comment only\n", "t.conf:1: mtu: needs a value"},
    {"mtu 1279\n", "t.conf:1: mtu: 1279 is out of range (1280..65535)"},
    {"mtu 65536\n", "t.conf:1: mtu: 65536 is out of range (1280..65535)"},
    {"mtu 0x500\n", "t.conf:1: mtu: '0x500' is not a number"},
    {"mtu -1500\n", "t.conf:1: mtu: '-1500' is not a number"},
    {"mtu 1500 1600\n", "t.conf:1: mtu: '1500 1600' is not a number"},
    {"lowest-ipv6-mtu 1000\n", "t.conf:1: lowest-ipv6-mtu: 1000 is out of range (1280..65535)"},
    {"workers 257\n", "t.conf:1: workers: 257 is out of range (0..256)"},
    {"max-sessions 99999999999999999999999\n",
     "t.conf:1: max-sessions: '99999999999999999999999' is not a number"},
    {"max-sessions 4294967296\n",
     "t.conf:1: max-sessions: 4294967296 is out of range (0..4294967295)"},
    {"timeout-udp 0\n", "t.conf:1: timeout-udp: 0 is out of range (1..2592000)"},
    {"state-save-interval 86401\n",
     "t.conf:1: state-save-interval: 86401 is out of range (0..86400)"},
    {"timeout-tcp-est 2592001\n",
     "t.conf:1: timeout-tcp-est: 2592001 is out of range (1..2592000)"},
    {"timeout-tcp-trans x\n", "t.conf:1: timeout-tcp-trans: 'x' is not a number"},
    {"timeout-icmp 0\n", "t.conf:1: timeout-icmp: 0 is out of range (1..2592000)"},
    {"routes maybe\n", "t.conf:1: routes: 'maybe': expected yes or no"},
    {"persist YES\n", "t.conf:1: persist: 'YES': expected yes or no"},
    {"offload on\n", "t.conf:1: offload: 'on': expected yes or no"},
    {"wkp-allow-private 1\n", "t.conf:1: wkp-allow-private: '1': expected yes or no"},
    {"mode siit\n", "t.conf:1: mode: 'siit': expected stateful or stateless"},
    {"log-level verbose\n", "t.conf:1: log-level: 'verbose': expected error, warn, info or debug"},
    {"log journald\n", "t.conf:1: log: 'journald': expected stderr or syslog"},
    {"tun-device averyveryverylongname\n",
     "t.conf:1: tun-device: 'averyveryverylongname' is too long (at most 15 characters)"},
    {"tun-device a/b\n", "t.conf:1: tun-device: 'a/b' is not a valid interface name"},
    {"tun-device ..\n", "t.conf:1: tun-device: '..' is not a valid interface name"},
    {"masquerade averyveryverylongname\n",
     "t.conf:1: masquerade: 'averyveryverylongname' is too long (at most 15 characters)"},
    {"masquerade ppp:0\n", "t.conf:1: masquerade: 'ppp:0' is not a valid interface name"},
    {"masquerade eth0 eth1\n", "t.conf:1: masquerade: 'eth0 eth1' is not a valid interface name"},
    {"pool4 198.51.100.1/24\n",
     "t.conf:1: pool4: '198.51.100.1/24' is not an IPv4 prefix (ADDR/LEN with zero host bits)"},
    {"pool4 10.0.0.0/8\n",
     "t.conf:1: pool4: 10.0.0.0/8 is too large (at most /16, 65536 addresses, per line)"},
    {"pool4 198.51.100.0/24 port 1-2\n",
     "t.conf:1: pool4: '198.51.100.0/24 port 1-2': expected ADDR/LEN [ports A-B]"},
    {"pool4 198.51.100.0/24 ports\n",
     "t.conf:1: pool4: '198.51.100.0/24 ports': expected ADDR/LEN [ports A-B]"},
    {"pool4 198.51.100.0/24 ports 2000\n", "t.conf:1: pool4: ports: '2000' is not a range A-B"},
    {"pool4 198.51.100.0/24 ports 0-100\n",
     "t.conf:1: pool4: ports: 0-100 is not a range within 1-65535 with A <= B"},
    {"pool4 198.51.100.0/24 ports 3000-2000\n",
     "t.conf:1: pool4: ports: 3000-2000 is not a range within 1-65535 with A <= B"},
    {"pool4 198.51.100.0/24 ports 1-65536\n",
     "t.conf:1: pool4: ports: 1-65536 is not a range within 1-65535 with A <= B"},
    {"pool4 198.51.100.0/24\npool4 198.51.100.128/25\n",
     "t.conf:2: pool4: 198.51.100.128/25 overlaps 198.51.100.0/24 given before"},
    {"pool4 198.51.100.7\npool4 198.51.100.0/24\n",
     "t.conf:2: pool4: 198.51.100.0/24 overlaps 198.51.100.7/32 given before"},
    {"ipv4-addr 192.0.2\n", "t.conf:1: ipv4-addr: '192.0.2' is not an IPv4 address"},
    {"ipv6-addr 2001:db8::/64\n", "t.conf:1: ipv6-addr: '2001:db8::/64' is not an IPv6 address"},
    {"map 192.0.2.0/24 2001:db8:6::/121\n",
     "t.conf:1: map: 192.0.2.0/24 has 8 suffix bits but 2001:db8:6::/121 has only 7: the IPv4 "
     "suffix must not be longer than the IPv6 one (RFC 7757)"},
    {"map 0.0.0.0/0 2001:db8::/97\n",
     "t.conf:1: map: 0.0.0.0/0 has 32 suffix bits but 2001:db8::/97 has only 31: the IPv4 "
     "suffix must not be longer than the IPv6 one (RFC 7757)"},
    {"map 192.0.2.1\n", "t.conf:1: map: '192.0.2.1': expected IPV4[/LEN] IPV6[/LEN]"},
    {"map 2001:db8:6::1 192.0.2.1\n",
     "t.conf:1: map: '2001:db8:6::1' is not an IPv4 prefix (ADDR/LEN with zero host bits)"},
    {"bib sctp 198.51.100.1#80 2001:db8:6::2#80\n",
     "t.conf:1: bib: 'sctp': expected tcp, udp or icmp"},
    {"bib tcp 198.51.100.1:80 2001:db8:6::2#80\n",
     "t.conf:1: bib: '198.51.100.1:80' is not IPV4#PORT"},
    {"bib tcp 198.51.100.1#80 2001:db8:6::2#70000\n",
     "t.conf:1: bib: '2001:db8:6::2#70000' is not IPV6#PORT"},
    {"bib udp 198.51.100.1#0 2001:db8:6::2#53\n", "t.conf:1: bib: port 0 is not allowed for udp"},
    {"bib icmp 198.51.100.1#5 2001:db8:6::2#6\n",
     "t.conf:1: bib: icmp identifiers must be equal on both sides"},
    {"bib tcp 198.51.100.1#80\n",
     "t.conf:1: bib: 'tcp 198.51.100.1#80': expected tcp|udp|icmp IPV4#PORT IPV6#PORT"},
    {"allow6 2001:db8:6::1/64\n",
     "t.conf:1: allow6: '2001:db8:6::1/64' is not an IPv6 prefix (ADDR/LEN with zero host "
     "bits)"},
    {"allow6 any 2001:db8::/32\n",
     "t.conf:1: allow6: 'any' is not an IPv6 prefix (ADDR/LEN with zero host bits)"},
    {"user bad/name\n", "t.conf:1: user: 'bad/name' is not a valid name"},
    {"icmp-error-rate 1000001\n",
     "t.conf:1: icmp-error-rate: 1000001 is out of range (0..1000000)"},
    {"icmp-error-burst 0\n", "t.conf:1: icmp-error-burst: 0 is out of range (1..1000000)"},
    {"icmp-unreachable maybe\n", "t.conf:1: icmp-unreachable: 'maybe': expected yes or no"},
    {"rfc6791-pool4 192.0.2.1/24\n",
     "t.conf:1: rfc6791-pool4: '192.0.2.1/24' is not an IPv4 prefix (ADDR/LEN with zero host "
     "bits)"},
    {"rfc6791-pool6 192.0.2.0/24\n",
     "t.conf:1: rfc6791-pool6: '192.0.2.0/24' is not an IPv6 prefix (ADDR/LEN with zero host "
     "bits)"},
    {"udp-zero-checksum yes\n", "t.conf:1: udp-zero-checksum: 'yes': expected compute or drop"},
    {"tos 0\n", "t.conf:1: tos: '0': expected copy or zero"},
    {"flow-label random\n", "t.conf:1: flow-label: 'random': expected zero or hash"},
    {"session-log relative.log\n",
     "t.conf:1: session-log: 'relative.log': 'syslog' or an absolute file path"},
    {"pool4-block-size 5000\n", "t.conf:1: pool4-block-size: 5000 is out of range (0..4096)"},
    {"filtering strict\n",
     "t.conf:1: filtering: 'strict': expected endpoint-independent or address-dependent"},
    {"group -g\n", "t.conf:1: group: '-g' is not a valid name"},
    {"user aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     "t.conf:1: user: too long (at most 63 characters)"},
    {"control-socket /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     "t.conf:1: control-socket: too long for a unix socket (at most 107 characters)"},
};

START_TEST(error_messages)
{
	assert_error(errors[_i].text, errors[_i].msg);
}
END_TEST

START_TEST(line_too_long)
{
	char *text = malloc(5000);

	memset(text, 'a', 4999);
	text[4999] = '\0';
	memcpy(text, "mtu 1400\n", 9);
	assert_error(text, "t.conf:2: line too long (at most 4095 characters)");
	free(text);
}
END_TEST

START_TEST(too_many_entries)
{
	char line[64];
	int i;

	config_defaults(&cfg);
	for (i = 0; i < CONFIG_MAX_POOL4; i++) {
		snprintf(line, sizeof(line), "198.51.%d.0/24", i);
		ck_assert_int_eq(config_set(&cfg, "pool4", line, "x:1", err, sizeof(err)), 0);
	}
	ck_assert_int_eq(config_set(&cfg, "pool4", "203.0.113.0/24", "x:65", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "x:65: pool4: too many entries (at most 64)");
	ck_assert_uint_eq(cfg.n_pool4, CONFIG_MAX_POOL4);
}
END_TEST

START_TEST(finalize_ipv4_addr)
{
	/* /24: prefix + 1 */
	ck_assert_int_eq(parse("pool4 198.51.100.0/24\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.ipv4_addr, V4(198, 51, 100, 1));
	/* /32: the address itself */
	ck_assert_int_eq(parse("pool4 198.51.100.9\npool4 198.51.100.0/30\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.ipv4_addr, V4(198, 51, 100, 9));
	/* /31: the prefix address (RFC 3021) */
	ck_assert_int_eq(parse("pool4 198.51.100.6/31\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.ipv4_addr, V4(198, 51, 100, 6));
}
END_TEST

/* ipv6-addr = ipv4-addr embedded in the prefix (RFC 6052 §2.2), here a /64
 * so the u-octet position shows: 2001:db8:64:0:c6:3364:100:0 for 198.51.100.1. */
START_TEST(finalize_ipv6_addr)
{
	static const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x64, 0x00, 0x00,
	                                 0x00, 198,  51,   100,  1,    0,    0,    0};

	ck_assert_int_eq(parse("prefix 2001:db8:64::/64\npool4 198.51.100.0/24\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	ck_assert_mem_eq(cfg.ipv6_addr, want, 16);
	ck_assert(!cfg.ipv6_addr_set);
}
END_TEST

/* Stateless: no private default ipv4-addr (issue 14): given, or from
 * rfc6791-pool4, or from a pool4 given; else a one-line error. */
START_TEST(stateless_ipv4_addr)
{
	ck_assert_int_eq(parse("mode stateless\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf: ipv4-addr: stateless mode needs it (the source of ICMPv4 "
	                      "errors: a global address), or rfc6791-pool4 or pool4 to take it "
	                      "from");
	ck_assert_int_eq(parse("mode stateless\nrfc6791-pool4 203.0.113.0/30\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.ipv4_addr, 0xcb007101); /* 203.0.113.1 */
	ck_assert_int_eq(parse("mode stateless\npool4 198.51.100.0/28\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.ipv4_addr, 0xc6336401); /* 198.51.100.1 */
}
END_TEST

/* issue 14 item 5: every error from a file starts "FILE:LINE: ", or
 * "FILE: " for a key that is missing; an option's error "--KEY: ". */
static void finalize_error(const char *text, const char *msg)
{
	ck_assert_int_eq(config_parse_text(&cfg, "/etc/tun64/x.conf", text, err, sizeof(err)), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, msg);
}

static void parse_error(const char *text, const char *msg)
{
	config_defaults(&cfg);
	ck_assert_int_eq(config_parse_text(&cfg, "/etc/tun64/x.conf", text, err, sizeof(err)), -1);
	ck_assert_str_eq(err, msg);
}

START_TEST(every_file_error_names_where)
{
	/* bad value, unknown key, bad map, bib, pool4 lines */
	parse_error("mtu 1500\nmtu 12\n",
	            "/etc/tun64/x.conf:2: mtu: 12 is out of range (1280..65535)");
	parse_error("\nfrob 1\n", "/etc/tun64/x.conf:2: frob: unknown key");
	parse_error("map 192.0.2.1\n",
	            "/etc/tun64/x.conf:1: map: '192.0.2.1': expected IPV4[/LEN] IPV6[/LEN]");
	parse_error("bib tcp 198.51.100.1 2001:db8::1#80\n",
	            "/etc/tun64/x.conf:1: bib: '198.51.100.1' is not IPV4#PORT");
	parse_error("masquerade a/b\n", "/etc/tun64/x.conf:1: masquerade: 'a/b' is not a valid "
	                                "interface name");
	/* duplicates */
	parse_error("pool4 198.51.100.0/28\npool4 198.51.100.0/24\n",
	            "/etc/tun64/x.conf:2: pool4: 198.51.100.0/24 overlaps 198.51.100.0/28 given "
	            "before");
	parse_error("mode stateless\nmap 192.0.2.1 2001:db8::1\n# x\nmap 192.0.2.1 2001:db8::2\n",
	            "/etc/tun64/x.conf:4: map: 192.0.2.1 2001:db8::2: its IPv4 prefix is in a map "
	            "given before");
	parse_error("map 192.0.2.1 2001:db8::1\nmap 192.0.2.2 2001:db8::1\n",
	            "/etc/tun64/x.conf:2: map: 192.0.2.2 2001:db8::1: its IPv6 prefix is in a map "
	            "given before");
	/* combinations: the line of the key at fault */
	config_defaults(&cfg);
	finalize_error("mode stateful\n\nmap 192.0.2.1 2001:db8::1\n",
	               "/etc/tun64/x.conf:3: map: explicit address mappings need mode stateless");
	config_defaults(&cfg);
	finalize_error("mode stateless\nipv4-addr 192.0.2.1\nbib udp 192.168.255.1#53 "
	               "2001:db8::1#53\n",
	               "/etc/tun64/x.conf:3: bib: static bindings need mode stateful");
	config_defaults(&cfg);
	finalize_error("bib udp 198.51.100.1#53 2001:db8::1#53\npool4 198.51.100.0/28\n"
	               "bib tcp 203.0.113.1#80 2001:db8::1#80\n",
	               "/etc/tun64/x.conf:3: bib: 203.0.113.1 is not inside any pool4 prefix");
	config_defaults(&cfg);
	finalize_error(
	    "mode stateless\nmasquerade eth0\nipv4-addr 192.0.2.1\n",
	    "/etc/tun64/x.conf:2: masquerade: needs mode stateful (it masquerades pool4)");
	config_defaults(&cfg);
	finalize_error("prefix none\n", "/etc/tun64/x.conf:1: prefix: none needs mode stateless "
	                                "(stateful NAT64 names IPv4 hosts by the prefix)");
	/* a key that is missing: the file */
	config_defaults(&cfg);
	finalize_error(
	    "mode stateless\n",
	    "/etc/tun64/x.conf: ipv4-addr: stateless mode needs it (the source of ICMPv4 "
	    "errors: a global address), or rfc6791-pool4 or pool4 to take it from");
	/* options after the file: an option's error names the option */
	config_defaults(&cfg);
	ck_assert_int_eq(config_parse_text(&cfg, "/etc/tun64/x.conf", "pool4 198.51.100.0/28\n",
	                                   err, sizeof(err)),
	                 0);
	ck_assert_int_eq(
	    config_set(&cfg, "bib", "tcp 203.0.113.1#80 2001:db8::1#80", "--bib", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--bib: bib: 203.0.113.1 is not inside any pool4 prefix");
}
END_TEST

START_TEST(finalize_errors)
{
	ck_assert_int_eq(parse("bib tcp 203.0.113.1#80 2001:db8:6::2#80\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:1: bib: 203.0.113.1 is not inside any pool4 prefix");

	ck_assert_int_eq(parse("mode stateless\nbib tcp 192.168.255.1#80 2001:db8:6::2#80\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:2: bib: static bindings need mode stateful");

	ck_assert_int_eq(parse("map 192.0.2.1 2001:db8:6::1\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:1: map: explicit address mappings need mode stateless");

	ck_assert_int_eq(parse("mode stateless\nmasquerade eth0\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:2: masquerade: needs mode stateful (it masquerades pool4)");

	/* overlaps built up behind config_set's back are still caught */
	config_defaults(&cfg);
	cfg.pool4[1] = (struct pool4_range){V4(192, 168, 255, 128), 25, 1, 65535};
	cfg.n_pool4 = 2;
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "pool4: 192.168.255.128/25 overlaps 192.168.255.0/24");

	config_defaults(&cfg);
	cfg.n_pool4 = 0;
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "pool4: stateful mode needs at least one pool4 prefix");

	config_defaults(&cfg);
	cfg.prefix.len = 80;
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	                 "prefix: length 80 is not allowed (RFC 6052: 32, 40, 48, 56, 64, 96)");
}
END_TEST

static char *print_to_string(const struct tun64_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	config_print(c, f);
	fclose(f);
	return buf;
}

/* Field by field (struct copies need not preserve padding, so no memcmp).
 * Everything but the "was it given" flags must match. */
static void assert_same_config(const struct tun64_config *a, const struct tun64_config *b)
{
	size_t i;

	ck_assert_str_eq(a->tun_device, b->tun_device);
	ck_assert_int_eq(a->mode, b->mode);
	ck_assert_mem_eq(a->prefix.addr, b->prefix.addr, 16);
	ck_assert_uint_eq(a->prefix.len, b->prefix.len);
	ck_assert_uint_eq(a->n_pool4, b->n_pool4);
	for (i = 0; i < a->n_pool4; i++) {
		ck_assert_uint_eq(a->pool4[i].addr, b->pool4[i].addr);
		ck_assert_uint_eq(a->pool4[i].len, b->pool4[i].len);
		ck_assert_uint_eq(a->pool4[i].port_lo, b->pool4[i].port_lo);
		ck_assert_uint_eq(a->pool4[i].port_hi, b->pool4[i].port_hi);
	}
	ck_assert_uint_eq(a->ipv4_addr, b->ipv4_addr);
	ck_assert_mem_eq(a->ipv6_addr, b->ipv6_addr, 16);
	ck_assert_uint_eq(a->n_map, b->n_map);
	for (i = 0; i < a->n_map; i++) {
		ck_assert_uint_eq(a->map[i].p4.addr, b->map[i].p4.addr);
		ck_assert_uint_eq(a->map[i].p4.len, b->map[i].p4.len);
		ck_assert_mem_eq(a->map[i].p6.addr, b->map[i].p6.addr, 16);
		ck_assert_uint_eq(a->map[i].p6.len, b->map[i].p6.len);
	}
	ck_assert_uint_eq(a->n_bib, b->n_bib);
	for (i = 0; i < a->n_bib; i++) {
		ck_assert_uint_eq(a->bib[i].proto, b->bib[i].proto);
		ck_assert_uint_eq(a->bib[i].addr4, b->bib[i].addr4);
		ck_assert_uint_eq(a->bib[i].port4, b->bib[i].port4);
		ck_assert_mem_eq(a->bib[i].addr6, b->bib[i].addr6, 16);
		ck_assert_uint_eq(a->bib[i].port6, b->bib[i].port6);
	}
	ck_assert_uint_eq(a->n_allow6, b->n_allow6);
	for (i = 0; i < a->n_allow6; i++) {
		ck_assert_mem_eq(a->allow6[i].addr, b->allow6[i].addr, 16);
		ck_assert_uint_eq(a->allow6[i].len, b->allow6[i].len);
	}
	ck_assert_uint_eq(a->mtu, b->mtu);
	ck_assert_uint_eq(a->lowest_ipv6_mtu, b->lowest_ipv6_mtu);
	ck_assert_uint_eq(a->workers, b->workers);
	ck_assert_uint_eq(a->max_sessions_per_client, b->max_sessions_per_client);
	ck_assert_uint_eq(a->max_sessions_per_address, b->max_sessions_per_address);
	ck_assert_uint_eq(a->max_sessions, b->max_sessions);
	ck_assert_uint_eq(a->timeout_udp, b->timeout_udp);
	ck_assert_uint_eq(a->timeout_tcp_est, b->timeout_tcp_est);
	ck_assert_uint_eq(a->timeout_tcp_trans, b->timeout_tcp_trans);
	ck_assert_uint_eq(a->timeout_icmp, b->timeout_icmp);
	ck_assert_int_eq(a->routes, b->routes);
	ck_assert_str_eq(a->masquerade, b->masquerade);
	ck_assert_int_eq(a->persist, b->persist);
	ck_assert_int_eq(a->offload, b->offload);
	ck_assert_int_eq(a->udp_coalesce, b->udp_coalesce);
	ck_assert_uint_eq(a->state_save_interval, b->state_save_interval);
	ck_assert_int_eq(a->allow_private_wkp, b->allow_private_wkp);
	ck_assert_uint_eq(a->icmp_error_rate, b->icmp_error_rate);
	ck_assert_uint_eq(a->icmp_error_burst, b->icmp_error_burst);
	ck_assert_int_eq(a->icmp_unreachable, b->icmp_unreachable);
	ck_assert_int_eq(a->rfc6791_pool4_set, b->rfc6791_pool4_set);
	ck_assert_uint_eq(a->rfc6791_pool4.addr, b->rfc6791_pool4.addr);
	ck_assert_uint_eq(a->rfc6791_pool4.len, b->rfc6791_pool4.len);
	ck_assert_int_eq(a->rfc6791_pool6_set, b->rfc6791_pool6_set);
	ck_assert_mem_eq(a->rfc6791_pool6.addr, b->rfc6791_pool6.addr, 16);
	ck_assert_uint_eq(a->rfc6791_pool6.len, b->rfc6791_pool6.len);
	ck_assert_int_eq(a->udp_zero_csum_drop, b->udp_zero_csum_drop);
	ck_assert_int_eq(a->tos_zero, b->tos_zero);
	ck_assert_int_eq(a->flow_label_hash, b->flow_label_hash);
	ck_assert_int_eq(a->filtering_adf, b->filtering_adf);
	ck_assert_str_eq(a->pref64_announce, b->pref64_announce);
	ck_assert_uint_eq(a->fast_path, b->fast_path);
	ck_assert_str_eq(a->session_log, b->session_log);
	ck_assert_int_eq(a->session_log_dst, b->session_log_dst);
	ck_assert_uint_eq(a->pool4_block_size, b->pool4_block_size);
	ck_assert_str_eq(a->state_file, b->state_file);
	ck_assert_str_eq(a->control_socket, b->control_socket);
	ck_assert_str_eq(a->user, b->user);
	ck_assert_str_eq(a->group, b->group);
	ck_assert_int_eq(a->log_level, b->log_level);
}

static void round_trip(const char *text)
{
	static struct tun64_config first;
	char *printed, *again;

	ck_assert_msg(parse(text) == 0, "%s", err);
	ck_assert_msg(config_finalize(&cfg, err, sizeof(err)) == 0, "%s", err);
	first = cfg;
	printed = print_to_string(&first);
	ck_assert_msg(parse(printed) == 0, "%s\n%s", err, printed);
	ck_assert_msg(config_finalize(&cfg, err, sizeof(err)) == 0, "%s", err);
	assert_same_config(&first, &cfg);
	again = print_to_string(&cfg);
	ck_assert_str_eq(again, printed);
	free(printed);
	free(again);
}

START_TEST(round_trip_every_key)
{
	round_trip(every_key);
	round_trip("");
	round_trip("mode stateless\nipv4-addr 203.0.113.1\nprefix 2001:db8:6400::/40\n"
	           "map 192.0.2.0/28 2001:db8:6::/124\n"
	           "map 198.51.100.0/26 2001:db8:1:8::/61\n"
	           "timeout-udp 10\ntimeout-tcp-est 20\nlog-level error\n");
	round_trip("mode stateless\nprefix none\nipv4-addr 192.0.2.1\nipv6-addr 2001:db8:64::1\n"
	           "map 192.0.2.6 2001:db8:6::2\nmap 203.0.113.2 2001:db8:cafe::2\n");
}
END_TEST

/* RFC 7757 EAM only: `prefix none` is ::/0 inside, printed back as `none`;
 * stateless only, and ipv6-addr cannot be derived from it. */
START_TEST(prefix_none)
{
	char *printed;

	ck_assert_int_eq(
	    parse("mode stateless\nprefix none\nipv4-addr 192.0.2.1\nipv6-addr 2001:db8:64::1\n"),
	    0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	ck_assert(config_prefix_none(&cfg));
	printed = print_to_string(&cfg);
	ck_assert_ptr_nonnull(strstr(printed, "\nprefix none\n"));
	free(printed);

	ck_assert_int_eq(parse("\nprefix none\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:2: prefix: none needs mode stateless (stateful NAT64 names "
	                      "IPv4 hosts by the prefix)");

	ck_assert_int_eq(parse("prefix none\nmode stateless\n"), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:1: prefix: none gives no default ipv6-addr; set ipv6-addr "
	                      "(the translator's own IPv6 address)");

	config_defaults(&cfg);
	ck_assert_int_eq(config_set(&cfg, "mode", "stateless", "--mode", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "prefix", "none", "--prefix", err, sizeof(err)), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--prefix: prefix: none gives no default ipv6-addr; set ipv6-addr "
	                      "(the translator's own IPv6 address)");
}
END_TEST

/* Has text a line that starts with "KEY "? */
static bool has_key_line(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, key, n) == 0 && l[n] == ' ')
			return true;
	return false;
}

/* round_trip_every_key covers every key of the table: every_key sets each
 * one, and config_print prints each one back, so a new key that is not
 * added to every_key (or not printed) fails here. */
START_TEST(every_key_covers_table)
{
	const char *name;
	char *printed;

	ck_assert_msg(parse(every_key) == 0, "%s", err);
	ck_assert_msg(config_finalize(&cfg, err, sizeof(err)) == 0, "%s", err);
	printed = print_to_string(&cfg);
	for (size_t i = 0; (name = config_key_name(i)) != NULL; i++) {
		if (strcmp(name, "map") == 0) /* stateless only: round_trip's third text */
			continue;
		ck_assert_msg(has_key_line(every_key, name), "every_key does not set %s", name);
		ck_assert_msg(has_key_line(printed, name), "config_print does not print %s", name);
	}
	free(printed);
}
END_TEST

START_TEST(print_defaults_exact)
{
	static const char want[] = "tun-device nat64\n"
	                           "mode stateful\n"
	                           "prefix 64:ff9b::/96\n"
	                           "pool4 192.168.255.0/24 ports 1024-65535\n"
	                           "ipv4-addr 192.168.255.1\n"
	                           "ipv6-addr 64:ff9b::c0a8:ff01\n"
	                           "allow6 any\n"
	                           "mtu 1500\n"
	                           "lowest-ipv6-mtu 1280\n"
	                           "workers 0\n"
	                           "max-sessions 0\n"
	                           "max-sessions-per-client 0\n"
	                           "max-sessions-per-address 25\n"
	                           "timeout-udp 300\n"
	                           "timeout-tcp-est 7440\n"
	                           "timeout-tcp-trans 240\n"
	                           "timeout-icmp 60\n"
	                           "routes yes\n"
	                           "persist no\n"
	                           "offload yes\n"
	                           "udp-coalesce yes\n"
	                           "wkp-allow-private no\n"
	                           "control-socket /run/tun64/tun64.sock\n"
	                           "log-level info\n"
	                           "icmp-error-rate 100\n"
	                           "icmp-error-burst 50\n"
	                           "icmp-unreachable yes\n"
	                           "udp-zero-checksum compute\n"
	                           "tos copy\n"
	                           "flow-label zero\n"
	                           "filtering endpoint-independent\n"
	                           "fast-path auto\n"
	                           "session-log-destination no\n"
	                           "pool4-block-size 0\n"
	                           "log stderr\n";
	char *s;

	config_defaults(&cfg);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	s = print_to_string(&cfg);
	ck_assert_str_eq(s, want);
	free(s);
}
END_TEST

START_TEST(print_marks_short_timeouts)
{
	char *s;

	ck_assert_int_eq(parse("timeout-udp 119\ntimeout-tcp-est 7439\n"), 0);
	s = print_to_string(&cfg);
	ck_assert_ptr_nonnull(
	    strstr(s, "timeout-udp 119\n# note: timeout-udp is below the RFC 6146 §4 minimum "
	              "of 120 s\n"));
	ck_assert_ptr_nonnull(strstr(s, "timeout-tcp-est 7439\n# note: timeout-tcp-est is below "
	                                "the RFC 6146 §4 minimum of 7440 s\n"));
	free(s);
	ck_assert_int_eq(parse("timeout-udp 120\ntimeout-tcp-est 7440\n"), 0);
	s = print_to_string(&cfg);
	ck_assert_ptr_null(strstr(s, "# note"));
	free(s);
}
END_TEST

/* Reload diffing: which changes a running daemon takes, which need a restart. */
static const char *restart_key(const char *old_text, const char *new_text)
{
	static struct tun64_config old;
	const char *base = "prefix 2001:db8:64::/96\npool4 198.51.100.0/28\n";
	char text[512];

	snprintf(text, sizeof(text), "%s%s", base, old_text);
	ck_assert_int_eq(parse(text), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	old = cfg;
	snprintf(text, sizeof(text), "%s%s", base, new_text);
	ck_assert_int_eq(parse(text), 0);
	ck_assert_int_eq(config_finalize(&cfg, err, sizeof(err)), 0);
	return config_needs_restart(&old, &cfg);
}

START_TEST(reload_diff)
{
	/* live changes */
	ck_assert_ptr_null(restart_key("", ""));
	ck_assert_ptr_null(restart_key("timeout-udp 300\n", "timeout-udp 120\n"));
	ck_assert_ptr_null(restart_key("", "max-sessions 5000\nlog-level debug\n"));
	ck_assert_ptr_null(restart_key("", "bib tcp 198.51.100.1#80 2001:db8:6::80#80\n"));
	ck_assert_ptr_null(restart_key("", "allow6 2001:db8:6::/64\nlowest-ipv6-mtu 1400\n"));
	/* pool4 reloads since issue 14 (routes follow; removed ranges end) */
	ck_assert_ptr_null(restart_key("", "pool4 198.51.100.16/28\n"));
	/* restart needed, named by key */
	ck_assert_str_eq(restart_key("", "tun-device t64\n"), "tun-device");
	ck_assert_str_eq(restart_key("", "prefix 2001:db8:46::/96\n"), "prefix");
	ck_assert_str_eq(restart_key("", "mtu 1400\n"), "mtu");
	/* since issue 14 they follow a reloaded pool4 (live only) */
	ck_assert_ptr_null(restart_key("", "ipv4-addr 198.51.100.5\n"));
	ck_assert_str_eq(restart_key("", "control-socket /tmp/x.sock\n"), "control-socket");
	ck_assert_str_eq(restart_key("workers 1\n", "workers 2\n"), "workers");
	ck_assert_str_eq(restart_key("", "masquerade ppp0\n"), "masquerade");
	ck_assert_str_eq(restart_key("masquerade ppp0\n", "masquerade eth0\n"), "masquerade");
	ck_assert_ptr_null(restart_key("masquerade ppp0\n", "masquerade ppp0\n"));
}
END_TEST

START_TEST(load_file)
{
	char path[] = "/tmp/test_config_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("mtu 1400\nprefix 2001:db8:64::/56\nmtu 12\n", f);
	fclose(f);
	config_defaults(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), -1);
	ck_assert_uint_eq(cfg.mtu, 1400);
	ck_assert_uint_eq(cfg.prefix.len, 56);
	{
		char want[128];

		snprintf(want, sizeof(want), "%s:3: mtu: 12 is out of range (1280..65535)", path);
		ck_assert_str_eq(err, want);
	}
	unlink(path);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), -1);
	{
		char want[128];

		snprintf(want, sizeof(want), "%s: No such file or directory", path);
		ck_assert_str_eq(err, want);
	}
}
END_TEST

/* A file for config_load_file with mode and group set: returns its fd. */
static int writers_file(char *path, mode_t mode, gid_t gid)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "mtu 1400\n", 9), 9);
	ck_assert_int_eq(fchown(fd, (uid_t)-1, gid), 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	return fd;
}

/* A file others may write makes them root through a root daemon: refused
 * with one line naming the file; a group other than root's likewise. */
START_TEST(load_file_writers)
{
	char path[] = "/tmp/test_config_XXXXXX";
	char want[160];
	/* A group that is not root's: ours, or nogroup's id when we are root. */
	gid_t other = getegid() != 0 ? getegid() : 65534;
	int fd = writers_file(path, 0646, getegid());

	config_defaults(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: writable by everyone; refusing it (chmod o-w %s)", path,
	         path);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(cfg.mtu, 1500); /* nothing was read */

	ck_assert_int_eq(fchown(fd, (uid_t)-1, other), 0);
	ck_assert_int_eq(fchmod(fd, 0664), 0);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
	         "%s: writable by group %u, not root's; refusing it (chmod g-w %s)", path,
	         (unsigned)other, path);
	ck_assert_str_eq(err, want);

	ck_assert_int_eq(fchmod(fd, 0644), 0);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.mtu, 1400);
	if (geteuid() == 0) {
		/* Group-writable by root's own group is fine. */
		config_defaults(&cfg);
		ck_assert_int_eq(fchown(fd, (uid_t)-1, 0), 0);
		ck_assert_int_eq(fchmod(fd, 0664), 0);
		ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), 0);
		ck_assert_uint_eq(cfg.mtu, 1400);
	}
	close(fd);
	unlink(path);
	/* Not a regular file: nothing lasting to tamper with (tun64d -c /dev/null). */
	config_defaults(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, "/dev/null", err, sizeof(err)), 0);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, defaults_finalize);
	tcase_add_test(tc, parse_every_key);
	tcase_add_test(tc, metrics_address);
	tcase_add_test(tc, parse_stateless_map);
	tcase_add_test(tc, parse_stateless_map_unequal);
	tcase_add_test(tc, prefix_lengths);
	tcase_add_test(tc, file_syntax);
	tcase_add_test(tc, repeatable_keys);
	tcase_add_test(tc, long_options);
	tcase_add_test(tc, is_key);
	tcase_add_loop_test(tc, error_messages, 0, sizeof(errors) / sizeof(errors[0]));
	tcase_add_test(tc, line_too_long);
	tcase_add_test(tc, too_many_entries);
	tcase_add_test(tc, finalize_ipv4_addr);
	tcase_add_test(tc, finalize_ipv6_addr);
	tcase_add_test(tc, finalize_errors);
	tcase_add_test(tc, every_file_error_names_where);
	tcase_add_test(tc, stateless_ipv4_addr);
	tcase_add_test(tc, round_trip_every_key);
	tcase_add_test(tc, prefix_none);
	tcase_add_test(tc, every_key_covers_table);
	tcase_add_test(tc, print_defaults_exact);
	tcase_add_test(tc, print_marks_short_timeouts);
	tcase_add_test(tc, load_file);
	tcase_add_test(tc, load_file_writers);
	tcase_add_test(tc, reload_diff);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
