// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Helpers every admctl subcommand shares: arguments, services, audit. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "admctl.h"
#include "pins.h"

#define CMD_WORD_MAX	32
#define NAMES_TEXT_MAX	2048
#define STATE_VALUE_MAX	64
#define AUDIT_LINE_MAX	(2 * sizeof(struct adm_audit))	/* room for escapes */

int ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "admctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* "block" of "block add": the command whose --help to point at. */
static const char *first_word(const char *cmd, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(cmd, " "), cmd);
	return buf;
}

static int is_negative_number(const char *a)
{
	return a[0] == '-' && isdigit((unsigned char)a[1]);
}

/* The option of opts that arg ("--ttl", "--ttl=5m", "-n") names, or NULL. */
static const struct ctl_opt *find_opt(const struct ctl_opt *opts, const char *arg,
				      const char **inline_value)
{
	const struct ctl_opt *o;

	*inline_value = NULL;
	for (o = opts; o && o->name; o++) {
		size_t n = strlen(o->name);

		if (arg[1] == '-' && !strncmp(arg + 2, o->name, n)) {
			if (!arg[2 + n])
				return o;
			if (arg[2 + n] == '=' && o->value) {
				*inline_value = arg + 3 + n;
				return o;
			}
		}
		if (arg[1] != '-' && o->short_name && arg[1] == o->short_name &&
		    !arg[2])
			return o;
	}
	return NULL;
}

int ctl_args(struct ctl *ctl, const char *cmd, int argc, char **argv, int first,
	     const struct ctl_opt *opts, const char **pos, int max_pos,
	     int *n_pos)
{
	char word[CMD_WORD_MAX];
	int i, only_pos = 0;

	*n_pos = 0;
	for (i = first; i < argc; i++) {
		const char *a = argv[i], *v;
		const struct ctl_opt *o;

		if (!only_pos && !strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (only_pos || a[0] != '-' || !a[1] || is_negative_number(a)) {
			if (*n_pos >= max_pos)
				return ctl_usage_error(cmd, "unexpected argument '%s'; see 'admctl %s --help'",
						       a, first_word(cmd, word, sizeof(word)));
			pos[(*n_pos)++] = a;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return CTL_ARGS_HELP;
		if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
			ctl->json = 1;
			continue;
		}
		o = find_opt(opts, a, &v);
		if (!o)
			return ctl_usage_error(cmd, "unknown option '%s'; see 'admctl %s --help'",
					       a, first_word(cmd, word, sizeof(word)));
		if (o->flag) {
			*o->flag = 1;
			continue;
		}
		if (!v) {
			if (i + 1 >= argc)
				return ctl_usage_error(cmd, "option '%s' needs a value", a);
			v = argv[++i];
		}
		if (*o->value)
			return ctl_usage_error(cmd, "option '--%s' is given twice", o->name);
		*o->value = v;
	}
	return 0;
}

int ctl_open_fail(const struct ctl *ctl, const char *map, int err)
{
	if (err == -ENOENT)
		fprintf(stderr,
			"admctl: no adm maps under %s (%s missing); is admd running with this pin_root? Use -c FILE or --pin-root DIR\n",
			ctl->pin_root, map);
	else if (err == -EACCES || err == -EPERM)
		fprintf(stderr,
			"admctl: cannot open %s/%s: %s; this needs root, or membership of admd's pin_group for reading\n",
			ctl->pin_root, map, strerror(-err));
	else
		fprintf(stderr, "admctl: cannot open %s/%s: %s\n", ctl->pin_root,
			map, strerror(-err));
	return EXIT_FAIL;
}

int ctl_service(struct ctl *ctl, const char *cmd, const char *name, __u32 *id,
		struct adm_ms_names *names)
{
	struct adm_ms_names local;
	char list[NAMES_TEXT_MAX];
	int rc;

	if (!names)
		names = &local;
	rc = adm_ms_names_read(ctl->pin_root, names);
	if (rc)
		return ctl_open_fail(ctl, ADM_MAP_META, rc);
	*id = adm_ms_service_id(names, name);
	if (*id)
		return 0;
	adm_ms_service_list(names, list, sizeof(list));
	return ctl_usage_error(cmd, "unknown service '%s'; services: %s", name, list);
}

void ctl_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(v);
}

int ctl_call(struct ctl *ctl, json_t *req, json_t **resp, char *err,
	     size_t errlen)
{
	int rc = adm_ctl_call(ctl->socket, req, resp, ADM_CTL_TIMEOUT_MS, err,
			      errlen);

	json_decref(req);
	return rc;
}

int ctl_audit_ready(struct ctl *ctl, const char *cmd)
{
	json_t *resp = NULL;
	const char *e;
	char err[ADM_ERR_MAX];
	int ret = EXIT_OK;

	if (ctl_call(ctl, json_pack("{s:s}", "cmd", "audit_ready"), &resp, err,
		     sizeof(err)))
		return EXIT_OK;		/* admd is down: the record goes to syslog */
	e = json_string_value(json_object_get(resp, "error"));
	if (!json_is_true(json_object_get(resp, "ok")) &&
	    !(e && strstr(e, "unknown command"))) {
		fprintf(stderr, "admctl %s: refused: %s\n", cmd, e ? e : "?");
		ret = EXIT_FAIL;
	}
	json_decref(resp);
	return ret;
}

void ctl_audit(struct ctl *ctl, const char *what, const char *before,
	       const char *after, const char *result, const char *note)
{
	char err[ADM_ERR_MAX], line[AUDIT_LINE_MAX];
	json_t *resp = NULL, *rec;
	struct adm_audit a;
	int rc;

	adm_audit_init(&a, "admctl");
	snprintf(a.what, sizeof(a.what), "%s", what);
	snprintf(a.before, sizeof(a.before), "%s", before);
	snprintf(a.after, sizeof(a.after), "%s", after);
	snprintf(a.result, sizeof(a.result), "%s", result);
	rec = adm_audit_to_json(&a);
	rc = ctl_call(ctl, json_pack("{s:s, s:O}", "cmd", "audit", "record", rec),
		      &resp, err, sizeof(err));
	if (!rc && !json_is_true(json_object_get(resp, "ok"))) {
		snprintf(err, sizeof(err), "admd refused the audit record: %s",
			 json_string_value(json_object_get(resp, "error")) ?: "?");
		rc = -EPROTO;
	}
	json_decref(resp);
	if (rc) {
		adm_audit_format(&a, line, sizeof(line));
		fprintf(stderr,
			"admctl: warning: %s; the audit record goes to syslog instead\n",
			err);
		openlog("admctl", LOG_PID, LOG_AUTHPRIV);
		syslog(LOG_NOTICE, "audit: %s", line);
		closelog();
	}
	if (ctl->json) {
		ctl_print_json(rec);
		return;
	}
	json_decref(rec);
	printf("%s: %s -> %s%s%s\n", what, before, after, note ? "; " : "",
	       note ? note : "");
}

int ctl_select(struct ctl *ctl, const char *cmd, const char *name,
	       struct ctl_sel *sel)
{
	__u32 id;
	int rc;

	memset(sel->pick, 0, sizeof(sel->pick));
	if (name) {
		rc = ctl_service(ctl, cmd, name, &id, &sel->names);
		if (rc)
			return rc;
		sel->pick[id] = 1;
		return 0;
	}
	rc = adm_ms_names_read(ctl->pin_root, &sel->names);
	if (rc)
		return ctl_open_fail(ctl, ADM_MAP_META, rc);
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		sel->pick[id] = sel->names.name[id][0] != '\0';
	return 0;
}

void ctl_state_text(const struct ctl_sel *sel, const struct adm_state *st,
		    void (*show)(const struct adm_state *st, char *buf, size_t len),
		    char *buf, size_t len)
{
	char first[STATE_VALUE_MAX] = "", one[STATE_VALUE_MAX];
	size_t used = 0;
	int n = 0, same = 1;
	__u32 id;

	buf[0] = '\0';
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		if (!sel->pick[id] || !sel->names.name[id][0])
			continue;
		show(&st[id], one, sizeof(one));
		if (!n++)
			snprintf(first, sizeof(first), "%s", one);
		else if (strcmp(first, one))
			same = 0;
		if (used < len)
			used += snprintf(buf + used, len - used, "%s%s %s",
					 used ? ", " : "", sel->names.name[id], one);
	}
	if (n > 1 && same)
		snprintf(buf, len, "every service %s", first);
	else if (!n)
		snprintf(buf, len, "(no services)");
}

int ctl_state_update(struct ctl *ctl, const char *cmd, const struct ctl_sel *sel,
		     int every_id, void (*set)(struct adm_state *st, const void *arg),
		     const void *arg,
		     void (*show)(const struct adm_state *st, char *buf, size_t len),
		     const char *what, const char *note)
{
	struct adm_state st[ADM_MAX_SERVICES] = {};
	char before[ADM_AUDIT_STATE_MAX], after[ADM_AUDIT_STATE_MAX];
	int fd, rc = ctl_audit_ready(ctl, cmd);
	__u32 id;

	if (rc)
		return rc;
	fd = adm_map_open(ctl->pin_root, ADM_MAP_STATE, 0);
	if (fd < 0)
		return ctl_open_fail(ctl, ADM_MAP_STATE, fd);
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		bpf_map_lookup_elem(fd, &id, &st[id]);
	ctl_state_text(sel, st, show, before, sizeof(before));
	for (id = 1; id < ADM_MAX_SERVICES; id++) {
		if (!sel->pick[id] && !every_id)
			continue;
		/* Read again right before writing: the window for a lost update is one syscall. */
		bpf_map_lookup_elem(fd, &id, &st[id]);
		set(&st[id], arg);
		if (bpf_map_update_elem(fd, &id, &st[id], BPF_EXIST)) {
			fprintf(stderr, "admctl %s: cannot write %s[%u]: %s\n", cmd,
				ADM_MAP_STATE, id, strerror(errno));
			close(fd);
			return EXIT_FAIL;
		}
	}
	close(fd);
	ctl_state_text(sel, st, show, after, sizeof(after));
	ctl_audit(ctl, what, before, after, "ok", note);
	return EXIT_OK;
}

int ctl_state_read(struct ctl *ctl, struct adm_state st[ADM_MAX_SERVICES])
{
	int fd = adm_map_open(ctl->pin_root, ADM_MAP_STATE, 1);
	__u32 id;

	if (fd < 0)
		return ctl_open_fail(ctl, ADM_MAP_STATE, fd);
	memset(st, 0, sizeof(*st) * ADM_MAX_SERVICES);
	for (id = 1; id < ADM_MAX_SERVICES; id++)
		bpf_map_lookup_elem(fd, &id, &st[id]);
	close(fd);
	return EXIT_OK;
}
