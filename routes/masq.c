/* SPDX-License-Identifier: BSD-2-Clause */
/* Kernel-assisted masquerade: table ip tun64 (see masq.h) through nfnetlink.
 *
 * libnftnl builds the nftables objects and their netlink attributes; libmnl
 * sends them. Every change is one batch (NFNL_MSG_BATCH_BEGIN .. END), which
 * nf_tables applies as one transaction: it all happens or none of it does.
 *
 * Replacing works whether or not a table is there, with the idiom nft(8)
 * uses for "delete if it exists": add the table without NLM_F_EXCL (a no-op
 * when it exists), delete it, then create it afresh. A table left behind by
 * a daemon that crashed is thereby replaced, never added to.
 *
 * The rule matches the output interface by name (oifname), not by index, so
 * it keeps working when a PPPoE link is torn down and comes back with a new
 * index, and it may be installed before IFNAME exists. */
#include "masq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#define MSG_ROOM 1024 /* more than any one message below needs */
#define BATCH_CAP (MSG_ROOM * (MASQ_MAX_PREFIX4 + 8))
#define ACK_TIMEOUT_S 5
#define IPV4_SADDR_OFFSET 12 /* RFC 791 §3.1: Source Address */
#define NAT_PRIO_SRCNAT 100  /* NF_IP_PRI_NAT_SRC, nft's "srcnat" */

/* One nfnetlink batch being built, and what the kernel said about it. */
struct batch {
	char *buf;
	size_t len;
	uint32_t seq;
	uint32_t first_seq;                     /* of the first message that asks for an ack */
	unsigned acks;                          /* messages that ask for an ack */
	const char *what[MASQ_MAX_PREFIX4 + 8]; /* per acked message, for errors */
};

static int batch_init(struct batch *b, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	b->buf = malloc(BATCH_CAP);
	if (!b->buf) {
		snprintf(err, errlen, "masquerade: out of memory");
		return -1;
	}
	b->seq = (uint32_t)time(NULL);
	return 0;
}

static void batch_free(struct batch *b)
{
	free(b->buf);
	b->buf = NULL;
}

static bool batch_has_room(const struct batch *b)
{
	return b->len + MSG_ROOM <= BATCH_CAP;
}

static void batch_close_msg(struct batch *b, const struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Header of the next change message; it asks for an ack so that errors and
 * success alike are reported per message. */
static struct nlmsghdr *batch_msg(struct batch *b, uint16_t type, uint16_t flags, const char *what)
{
	if (b->acks == 0)
		b->first_seq = b->seq;
	b->what[b->acks++] = what;
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, NFPROTO_IPV4, flags | NLM_F_ACK,
	                             b->seq++);
}

static void batch_begin(struct batch *b)
{
	batch_close_msg(b, nftnl_batch_begin(b->buf + b->len, b->seq++));
}

static void batch_end(struct batch *b)
{
	batch_close_msg(b, nftnl_batch_end(b->buf + b->len, b->seq++));
}

/* --- the objects --- */

static int put_table(struct batch *b, uint16_t type, uint16_t flags, const char *what)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t)
		return -1;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, MASQ_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
	nlh = batch_msg(b, type, flags, what);
	nftnl_table_nlmsg_build_payload(nlh, t);
	batch_close_msg(b, nlh);
	nftnl_table_free(t);
	return 0;
}

/* type nat hook postrouting priority srcnat; policy accept; */
static int put_chain(struct batch *b)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c)
		return -1;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, MASQ_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, MASQ_CHAIN);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "nat");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_POST_ROUTING);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NAT_PRIO_SRCNAT);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = batch_msg(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, "chain postrouting");
	nftnl_chain_nlmsg_build_payload(nlh, c);
	batch_close_msg(b, nlh);
	nftnl_chain_free(c);
	return 0;
}

/* Free whichever of the expressions were allocated; NULLs are fine. */
static void free_exprs(struct nftnl_expr **e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (e[i])
			nftnl_expr_free(e[i]);
}

/* ip saddr ADDR/LEN: load the source address, mask it, compare. */
static int add_saddr_match(struct nftnl_rule *r, const struct prefix4 *p)
{
	uint32_t mask = p->len ? htonl(~0u << (32 - p->len)) : 0;
	uint32_t net = htonl(p->addr) & mask, zero = 0;
	struct nftnl_expr *e[3] = {nftnl_expr_alloc("payload"), nftnl_expr_alloc("bitwise"),
	                           nftnl_expr_alloc("cmp")};

	if (!e[0] || !e[1] || !e[2]) {
		free_exprs(e, 3);
		return -1;
	}
	nftnl_expr_set_u32(e[0], NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e[0], NFTNL_EXPR_PAYLOAD_OFFSET, IPV4_SADDR_OFFSET);
	nftnl_expr_set_u32(e[0], NFTNL_EXPR_PAYLOAD_LEN, sizeof(uint32_t));
	nftnl_expr_set_u32(e[0], NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e[1], NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e[1], NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e[1], NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t));
	nftnl_expr_set_data(e[1], NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set_data(e[1], NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	nftnl_expr_set_u32(e[2], NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e[2], NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set_data(e[2], NFTNL_EXPR_CMP_DATA, &net, sizeof(net));
	for (size_t i = 0; i < 3; i++)
		nftnl_rule_add_expr(r, e[i]); /* the rule owns them now */
	return 0;
}

/* oifname "IFNAME": the name padded with NULs to IFNAMSIZ, as nft does. */
static int add_oifname_match(struct nftnl_rule *r, const char *ifname)
{
	char name[IFNAMSIZ] = {0};
	struct nftnl_expr *e[2] = {nftnl_expr_alloc("meta"), nftnl_expr_alloc("cmp")};

	if (!e[0] || !e[1]) {
		free_exprs(e, 2);
		return -1;
	}
	strncpy(name, ifname, sizeof(name) - 1);
	nftnl_expr_set_u32(e[0], NFTNL_EXPR_META_KEY, NFT_META_OIFNAME);
	nftnl_expr_set_u32(e[0], NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e[1], NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e[1], NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set_data(e[1], NFTNL_EXPR_CMP_DATA, name, sizeof(name));
	nftnl_rule_add_expr(r, e[0]);
	nftnl_rule_add_expr(r, e[1]);
	return 0;
}

/* masquerade: the source becomes the output interface's address at packet time */
static int add_masq(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("masq");

	if (!e)
		return -1;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static int put_rule(struct batch *b, const char *ifname, const struct prefix4 *p)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	int rc = -1;

	if (!r)
		return -1;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MASQ_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, MASQ_CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	if (add_saddr_match(r, p) == 0 && add_oifname_match(r, ifname) == 0 && add_masq(r) == 0) {
		nlh = batch_msg(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "rule");
		nftnl_rule_nlmsg_build_payload(nlh, r);
		batch_close_msg(b, nlh);
		rc = 0;
	}
	nftnl_rule_free(r);
	return rc;
}

/* add table (no-op if there) + delete table: gone, whether it was there or not */
static int put_table_gone(struct batch *b)
{
	if (put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, "adding table ip " MASQ_TABLE) < 0)
		return -1;
	return put_table(b, NFT_MSG_DELTABLE, 0, "deleting table ip " MASQ_TABLE);
}

/* --- talking to the kernel --- */

/* The extended ack text after an nlmsgerr (NETLINK_CAP_ACK: the request is
 * not echoed, so the TLVs follow its header). */
static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr; /* the name mnl_attr_for_each_payload uses */
	const void *tlvs = (const char *)e + sizeof(*e);
	size_t tlv_len = nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !(nlh->nlmsg_flags & NLM_F_CAPPED))
		return NULL;
	mnl_attr_for_each_payload(tlvs, tlv_len)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

static void format_nlerr(const struct batch *b, const struct nlmsghdr *nlh, char *err,
                         size_t errlen)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	uint32_t i = e->msg.nlmsg_seq - b->first_seq;
	const char *what = i < b->acks ? b->what[i] : "batch";
	const char *ext = extack_msg(nlh);

	snprintf(err, errlen, "masquerade: nftables %s: %s%s%s", what, strerror(-e->error),
	         ext ? ": " : "", ext ? ext : "");
}

/* Every message asked for an ack; nf_tables sends all of them (errors and
 * successes) once the batch is processed. Stop at the first error. */
static int read_acks(struct mnl_socket *nl, const struct batch *b, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned left = b->acks;

	while (left > 0) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0) {
			snprintf(err, errlen, "masquerade: nftables: no answer from the kernel: %s",
			         strerror(errno));
			return -1;
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
				snprintf(err, errlen, "masquerade: nftables: short answer");
				return -1;
			}
			if (e->error != 0) {
				format_nlerr(b, nlh, err, errlen);
				return -1;
			}
			left--;
		}
	}
	return 0;
}

static struct mnl_socket *open_nfnetlink(char *err, size_t errlen)
{
	struct timeval tv = {.tv_sec = ACK_TIMEOUT_S};
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int one = 1;

	if (!nl) {
		snprintf(err, errlen, "masquerade: netlink (netfilter): %s", strerror(errno));
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "masquerade: netlink bind: %s", strerror(errno));
		mnl_socket_close(nl);
		return NULL;
	}
	/* best effort: older kernels lack them and still work */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return nl;
}

static int send_batch(const struct batch *b, char *err, size_t errlen)
{
	struct mnl_socket *nl = open_nfnetlink(err, errlen);
	int rc;

	if (!nl)
		return -1;
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0) {
		snprintf(err, errlen, "masquerade: nftables: sending: %s", strerror(errno));
		mnl_socket_close(nl);
		return -1;
	}
	rc = read_acks(nl, b, err, errlen);
	mnl_socket_close(nl);
	return rc;
}

/* --- the API --- */

static int check_args(const char *ifname, size_t n, char *err, size_t errlen)
{
	if (!ifname || ifname[0] == '\0' || strlen(ifname) >= IFNAMSIZ) {
		snprintf(err, errlen, "masquerade: '%s' is not an interface name",
		         ifname ? ifname : "");
		return -1;
	}
	if (n == 0 || n > MASQ_MAX_PREFIX4) {
		snprintf(err, errlen, "masquerade: %zu prefixes (need 1..%d)", n, MASQ_MAX_PREFIX4);
		return -1;
	}
	return 0;
}

static int build_install(struct batch *b, const char *ifname, const struct prefix4 *p, size_t n)
{
	batch_begin(b);
	if (put_table_gone(b) < 0 ||
	    put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL,
	              "creating table ip " MASQ_TABLE) < 0 ||
	    put_chain(b) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!batch_has_room(b) || put_rule(b, ifname, &p[i]) < 0)
			return -1;
	batch_end(b);
	return 0;
}

int masq_install(const char *ifname, const struct prefix4 *p, size_t n, char *err, size_t errlen)
{
	struct batch b;
	int rc;

	if (check_args(ifname, n, err, errlen) < 0 || batch_init(&b, err, errlen) < 0)
		return -1;
	if (build_install(&b, ifname, p, n) < 0) {
		snprintf(err, errlen, "masquerade: building the nftables batch: out of memory");
		batch_free(&b);
		return -1;
	}
	rc = send_batch(&b, err, errlen);
	batch_free(&b);
	return rc;
}

int masq_remove(char *err, size_t errlen)
{
	struct batch b;
	int rc = -1;

	if (batch_init(&b, err, errlen) < 0)
		return -1;
	batch_begin(&b);
	if (put_table_gone(&b) == 0) {
		batch_end(&b);
		rc = send_batch(&b, err, errlen);
	} else {
		snprintf(err, errlen, "masquerade: building the nftables batch: out of memory");
	}
	batch_free(&b);
	return rc;
}
