// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What the pinned maps tell about a running data plane (prefix adm_ms_), read-only; see mapstatus.h. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mapstatus.h"
#include "clock.h"
#include "pins.h"
#include "srcfilter.h"
#include "util.h"

#define PORT_TEXT_MAX		32
#define PORTS_TEXT_MAX		1024
#define GRBUF_MAX		16384
#define PIN_DIR_SHARED		0750
#define PIN_DIR_PRIVATE		0700
#define PIN_MAP_SHARED		0640
#define PIN_MAP_PRIVATE		0600

static const char *const breaker_names[ADM_BRK__MAX] = {
	[ADM_BRK_CLOSED] = "closed",
	[ADM_BRK_OPEN] = "open",
	[ADM_BRK_HALF_OPEN] = "half-open",
};

const char *adm_breaker_name(unsigned int b)
{
	return b < ADM_BRK__MAX ? breaker_names[b] : "?";
}

int adm_ms_names_read(const char *pin_root, struct adm_ms_names *n)
{
	int fd = adm_map_open(pin_root, ADM_MAP_META, 1);
	__u32 id;

	memset(n, 0, sizeof(*n));
	if (fd < 0)
		return fd;
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct adm_meta m;

		if (!bpf_map_lookup_elem(fd, &id, &m)) {
			m.name[ADM_META_NAME_LEN - 1] = '\0';
			memcpy(n->name[id], m.name, sizeof(m.name));
		}
	}
	close(fd);
	return 0;
}

__u32 adm_ms_service_id(const struct adm_ms_names *n, const char *name)
{
	__u32 id;

	for (id = 1; id < ADM_MAX_SERVICES; id++)
		if (n->name[id][0] && !strcmp(n->name[id], name))
			return id;
	return 0;
}

void adm_ms_service_list(const struct adm_ms_names *n, char *buf, size_t len)
{
	size_t used = 0;
	__u32 id;

	buf[0] = '\0';
	for (id = 1; id < ADM_MAX_SERVICES && used < len; id++)
		if (n->name[id][0])
			used += snprintf(buf + used, len - used, "%s%s",
					 used ? ", " : "", n->name[id]);
	if (!used)
		snprintf(buf, len, "(none)");
}

/* The port table, whole: ADM_PORTS_ENTRIES service ids. NULL on error. */
static __u32 *read_ports(const char *root)
{
	__u32 *vals = calloc(ADM_PORTS_ENTRIES, sizeof(*vals));
	__u32 *keys = calloc(ADM_PORTS_ENTRIES, sizeof(*keys));
	__u32 *table = calloc(ADM_PORTS_ENTRIES, sizeof(*table));
	__u32 count = ADM_PORTS_ENTRIES, out_batch, i;
	int fd = adm_map_open(root, ADM_MAP_PORTS, 1);

	if (fd < 0 || !vals || !keys || !table)
		goto fail;
	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, NULL) &&
	    errno != ENOENT)
		goto fail;
	for (i = 0; i < count; i++)
		if (keys[i] < ADM_PORTS_ENTRIES)
			table[keys[i]] = vals[i];
	free(vals);
	free(keys);
	close(fd);
	return table;
fail:
	if (fd >= 0)
		close(fd);
	free(vals);
	free(keys);
	free(table);
	return NULL;
}

/*
 * The n words of the pinned ARRAY map `name` into w, by batch reads (a
 * read-only fd cannot be mmapped shared). 0 or -1.
 */
static int read_words(const char *pin_root, const char *name, __u64 *w, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = adm_map_open(pin_root, name, 1), rc = -1;
	__u32 *keys = calloc(n, sizeof(*keys)), out, count, got = 0, in_batch;
	void *in = NULL;

	if (fd < 0 || !keys)
		goto out;
	while (got < n) {
		count = n - got;
		if (bpf_map_lookup_batch(fd, in, &out, keys + got, w + got, &count, &opts)) {
			got += count;
			if (errno != ENOENT)
				goto out;
			break;
		}
		got += count;
		in_batch = out;
		in = &in_batch;
	}
	rc = got == n ? 0 : -1;
out:
	if (fd >= 0)
		close(fd);
	free(keys);
	return rc;
}

/*
 * {"bits", "bits_set", "fill"} of adm_src_filter, with "summary_bits",
 * "summary_bits_set", "summary_fill" of adm_src_summary when it can be
 * read, or JSON null if the filter cannot be.
 */
static json_t *src_filter_json(const char *pin_root)
{
	__u64 *w = calloc(ADM_SRC_FILTER_WORDS, sizeof(*w)), set;
	json_t *o = json_null();

	if (!w || read_words(pin_root, ADM_MAP_SRC_FILTER, w, ADM_SRC_FILTER_WORDS))
		goto out;
	set = adm_src_bits_count(w, ADM_SRC_FILTER_WORDS);
	o = json_pack("{s:I, s:I, s:f}", "bits", (json_int_t)ADM_SRC_FILTER_BITS,
		      "bits_set", (json_int_t)set, "fill", (double)set / (double)ADM_SRC_FILTER_BITS);
	if (!read_words(pin_root, ADM_MAP_SRC_SUMMARY, w, ADM_SRC_SUMMARY_WORDS)) {
		set = adm_src_bits_count(w, ADM_SRC_SUMMARY_WORDS);
		json_object_set_new(o, "summary_bits", json_integer((json_int_t)ADM_SRC_SUMMARY_BITS));
		json_object_set_new(o, "summary_bits_set", json_integer((json_int_t)set));
		json_object_set_new(o, "summary_fill", json_real((double)set / (double)ADM_SRC_SUMMARY_BITS));
	}
out:
	free(w);
	return o;
}

/* ["80/tcp", "8000-8010/tcp", "53/udp"] of service id. */
static json_t *service_ports(const __u32 *table, __u32 id)
{
	static const struct { __u32 proto; const char *name; } protos[] = {
		{ IPPROTO_TCP, "tcp" }, { IPPROTO_UDP, "udp" },
	};
	json_t *arr = json_array();
	char text[PORT_TEXT_MAX];
	__u32 i, pr, p, lo;

	for (i = 0; table && i < ADM_ARRAY_SIZE(protos); i++) {
		pr = protos[i].proto;
		for (p = 0; p <= 0xffff; p++) {
			if (table[adm_port_key(pr, p)] != id)
				continue;
			lo = p;
			while (p < 0xffff && table[adm_port_key(pr, p + 1)] == id)
				p++;
			if (lo == p)
				snprintf(text, sizeof(text), "%u/%s", lo, protos[i].name);
			else
				snprintf(text, sizeof(text), "%u-%u/%s", lo, p, protos[i].name);
			json_array_append_new(arr, json_string(text));
		}
	}
	return arr;
}

static json_t *interfaces(const char *root)
{
	json_t *arr = json_array();
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d)
		return arr;
	while ((de = readdir(d))) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		const char *name = de->d_name + strlen(ADM_LINK_PREFIX);
		const char *mode = "missing";
		unsigned int ifindex;
		json_t *o;

		if (strncmp(de->d_name, ADM_LINK_PREFIX, strlen(ADM_LINK_PREFIX)))
			continue;
		ifindex = if_nametoindex(name);
		if (ifindex && !bpf_xdp_query(ifindex, 0, &q)) {
			switch (q.attach_mode) {
			case XDP_ATTACHED_DRV: mode = "native"; break;
			case XDP_ATTACHED_SKB: mode = "generic"; break;
			case XDP_ATTACHED_HW: mode = "offload"; break;
			case XDP_ATTACHED_NONE: mode = "none"; break;
			default: mode = "multi"; break;
			}
		} else if (ifindex) {
			mode = "?";
		}
		o = json_pack("{s:s, s:s, s:I}", "name", name, "mode", mode,
			      "prog_id", (json_int_t)q.prog_id);
		json_array_append_new(arr, o);
	}
	closedir(d);
	return arr;
}

static json_t *reconcile_json(const struct adm_meta *m, __u64 now)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I}",
			      "corrections", (json_int_t)m->corrections,
			      "src_corrections", (json_int_t)m->src_corrections,
			      "untracked", (json_int_t)m->untracked,
			      "reaped_idle", (json_int_t)m->reaped_idle,
			      "reaped_lifetime", (json_int_t)m->reaped_lifetime);

	json_object_set_new(o, "last_ms_ago", m->reconcile_ns && now >= m->reconcile_ns ?
			    json_integer((json_int_t)((now - m->reconcile_ns) / NS_PER_MS)) :
			    json_null());
	return o;
}

json_t *adm_ms_status(const char *pin_root, int *errp)
{
	int meta = -1, svcs = -1, state = -1, conc = -1, degrade = -1;
	json_t *root = NULL, *arr;
	char path[PATH_MAX];
	__u32 *ports = NULL, id;
	__u64 now = adm_mono_ns();
	struct stat st;

	*errp = 0;
	meta = adm_map_open(pin_root, ADM_MAP_META, 1);
	svcs = adm_map_open(pin_root, ADM_MAP_SERVICES, 1);
	state = adm_map_open(pin_root, ADM_MAP_STATE, 1);
	conc = adm_map_open(pin_root, ADM_MAP_CONC, 1);
	if (meta < 0 || svcs < 0 || state < 0 || conc < 0) {
		*errp = meta < 0 ? meta : svcs < 0 ? svcs : state < 0 ? state : conc;
		goto out;
	}
	ports = read_ports(pin_root);
	arr = json_array();
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		struct adm_meta m = {};
		struct adm_service s = {};
		struct adm_state rs = {};
		struct adm_conc c = {};
		json_t *o;

		if (bpf_map_lookup_elem(meta, &id, &m) || !m.name[0])
			continue;
		m.name[ADM_META_NAME_LEN - 1] = '\0';
		bpf_map_lookup_elem(svcs, &id, &s);
		bpf_map_lookup_elem(state, &id, &rs);
		bpf_map_lookup_elem(conc, &id, &c);
		if (degrade < 0)
			degrade = rs.degrade;
		o = json_pack("{s:I, s:s, s:o, s:s, s:s, s:I, s:I, s:s, s:I, s:I, s:o}",
			      "id", (json_int_t)id, "name", m.name,
			      "ports", service_ports(ports, id),
			      "mode", rs.shadow ? "shadow" : "enforce",
			      "breaker", adm_breaker_name(rs.breaker),
			      "half_open_permille", (json_int_t)rs.half_open_permille,
			      "degrade", (json_int_t)rs.degrade,
			      "priority", adm_priority_name(s.priority),
			      "live", (json_int_t)c.live,
			      "conn_limit", (json_int_t)c.limit,
			      "reconcile", reconcile_json(&m, now));
		json_array_append_new(arr, o);
	}
	root = json_object();
	json_object_set_new(root, "pin_root", json_string(pin_root));
	json_object_set_new(root, "degrade", json_integer(degrade < 0 ? 0 : degrade));
	adm_pin_path(path, sizeof(path), pin_root, ADM_SOCKOPS_LINK);
	json_object_set_new(root, "socket_layer",
			    json_pack("{s:b}", "attached", !stat(path, &st)));
	json_object_set_new(root, "interfaces", interfaces(pin_root));
	json_object_set_new(root, "src_filter", src_filter_json(pin_root));
	json_object_set_new(root, "services", arr);
out:
	free(ports);
	if (meta >= 0)
		close(meta);
	if (svcs >= 0)
		close(svcs);
	if (state >= 0)
		close(state);
	if (conc >= 0)
		close(conc);
	return root;
}

/* chmod (and chgrp when gid != -1) one pin; a vanished pin is no error. */
static int pin_perm(const char *path, mode_t mode, gid_t gid, char *err,
		    size_t errlen)
{
	if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) && errno != ENOENT) ||
	    (chmod(path, mode) && errno != ENOENT)) {
		snprintf(err, errlen, "cannot set the permissions of %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int adm_group_lookup(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char *buf = malloc(GRBUF_MAX);
	int rc = buf ? getgrnam_r(name, &gr, buf, GRBUF_MAX, &res) : ENOMEM;

	if (res)
		*gid = gr.gr_gid;
	free(buf);
	if (res)
		return 0;
	snprintf(err, errlen,
		 "pin_group '%s': %s; create it (groupadd %s) or remove pin_group",
		 name, rc ? strerror(rc) : "no such group", name);
	return -1;
}

int adm_pins_share(const char *pin_root, const char *group, char *err,
		   size_t errlen)
{
	int shared = group && group[0];
	gid_t gid = (gid_t)-1;
	char path[PATH_MAX];
	struct dirent *de;
	int ret = -1;
	DIR *d;

	if (shared && adm_group_lookup(group, &gid, err, errlen))
		return -1;
	if (pin_perm(pin_root, shared ? PIN_DIR_SHARED : PIN_DIR_PRIVATE, gid,
		     err, errlen))
		return -1;
	d = opendir(pin_root);
	if (!d) {
		snprintf(err, errlen, "cannot open pin root %s: %s", pin_root,
			 strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    !strncmp(de->d_name, ADM_LINK_PIN_PREFIX, strlen(ADM_LINK_PIN_PREFIX)))
			continue;
		if (adm_pin_path(path, sizeof(path), pin_root, de->d_name))
			continue;
		if (pin_perm(path, shared ? PIN_MAP_SHARED : PIN_MAP_PRIVATE, gid,
			     err, errlen))
			goto out;
	}
	ret = 0;
out:
	closedir(d);
	return ret;
}
