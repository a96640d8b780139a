/* SPDX-License-Identifier: BSD-2-Clause */
/* The radvd and systemd-networkd snippets of tun64ctl pref64 (pref64_conf.h). */
#include <netinet/in.h>

#include "pref64_conf.h"
#include "pref64_ra.h"

void pref64_print_conf(FILE *f, const struct prefix6 *p, const char *ifname)
{
	char a[INET6_ADDRSTRLEN];
	const char *link = ifname[0] ? ifname : "LAN";

	addr6_str(p->addr, a, sizeof(a));
	/* The lifetime tun64d itself announces: 3 x MaxRtrAdvInterval of 600 s
	 * (RFC 8781 §4.1); with a shorter MaxRtrAdvInterval it may be shorter. */
	fprintf(f,
	        "# radvd >= 2.20 (radvd.conf): nat64prefix goes in the interface block of the clients' link\n"
	        "interface %s {\n"
	        "\tAdvSendAdvert on;\n"
	        "\tnat64prefix %s/%u {\n"
	        "\t\tAdvValidLifetime %u;\n"
	        "\t};\n"
	        "};\n"
	        "\n"
	        "# systemd-networkd >= 255: in the .network file of the clients' link (%s)\n"
	        "[Network]\n"
	        "IPv6SendRA=yes\n"
	        "\n"
	        "[IPv6PREF64Prefix]\n"
	        "Prefix=%s/%u\n"
	        "LifetimeSec=%u\n",
	        link, a, p->len, PREF64_LIFETIME_S, link, a, p->len, PREF64_LIFETIME_S);
}
