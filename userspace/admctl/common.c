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
	if (err == -ENOENT && !adm_bpffs_present(ctl->pin_root))
		fprintf(stderr,
			"admctl: nothing is pinned: no bpf filesystem holds %s, so admd is not running here (it mounts one at %s when it starts); start admd, or name the right pin root with -c FILE or --pin-root DIR\n",
			ctl->pin_root, ADM_BPFFS_DEFAULT);
	else if (err == -ENOENT)
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

int ctl_op_str(const char *cmd, const char *what, char *dst, size_t len,
	       const char *src)
{
	if (strlen(src) >= len)
		return ctl_usage_error(cmd, "%s '%.40s...' is too long (at most %zu characters)",
				       what, src, len - 1);
	snprintf(dst, len, "%s", src);
	return 0;
}

/* admd applied it: print what its audit record says. */
static int op_done_by_admd(struct ctl *ctl, const struct adm_op *op, json_t *resp)
{
	json_t *a = json_object_get(resp, "audit");
	const char *note = adm_op_note(op->kind);

	if (ctl->json) {
		ctl_print_json(json_incref(a));
		return EXIT_OK;
	}
	printf("%s: %s -> %s%s%s\n", json_string_value(json_object_get(a, "what")) ?: "?",
	       json_string_value(json_object_get(a, "before")) ?: "?",
	       json_string_value(json_object_get(a, "after")) ?: "?",
	       note ? "; " : "", note ? note : "");
	return EXIT_OK;
}

int ctl_op(struct ctl *ctl, const char *cmd, const struct adm_op *op)
{
	char err[ADM_ERR_MAX];
	struct adm_op_result res;
	json_t *resp = NULL, *req;
	int rc;

	if (adm_op_check(op, err, sizeof(err)))
		return ctl_usage_error(cmd, "%s", err);
	req = adm_op_to_json(op);
	/* The instance admctl reads: admd refuses a write meant for another. */
	if (req)
		json_object_set_new(req, "pin_root", json_string(ctl->pin_root));
	if (!req) {
		fprintf(stderr, "admctl %s: out of memory\n", cmd);
		return EXIT_FAIL;
	}
	rc = ctl_call(ctl, req, &resp, err, sizeof(err));
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		/* admd is not running: nobody else writes, so write here. */
		rc = adm_op_apply(ctl->pin_root, op, &res, err, sizeof(err));
		if (rc == -EINVAL)
			return ctl_usage_error(cmd, "%s", err);
		if (rc) {
			fprintf(stderr, "admctl %s: %s\n", cmd, err);
			return EXIT_FAIL;
		}
		ctl_audit(ctl, res.what, res.before, res.after, "ok",
			  adm_op_note(op->kind));
		return EXIT_OK;
	}
	if (rc == -ETIMEDOUT || rc == -EPIPE) {
		/* Sent, unanswered: admd may have applied it. */
		fprintf(stderr,
			"admctl %s: %s; admctl did not write the maps itself (admd is their only writer while it runs): 'admctl logs tail' shows whether admd applied it\n",
			cmd, err);
		return EXIT_FAIL;
	}
	if (rc) {
		fprintf(stderr,
			"admctl %s: %s; nothing changed: while admd runs it is the only writer of policy\n",
			cmd, err);
		return EXIT_FAIL;
	}
	if (json_is_true(json_object_get(resp, "ok"))) {
		rc = op_done_by_admd(ctl, op, resp);
	} else {
		fprintf(stderr, "admctl %s: %s\n", cmd,
			json_string_value(json_object_get(resp, "error")) ?: "admd refused");
		rc = json_is_true(json_object_get(resp, "usage")) ? EXIT_USAGE : EXIT_FAIL;
	}
	json_decref(resp);
	return rc;
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
