/*
 * dkimcheck.c -- -bv's DKIM, SPF, DMARC and alignment report (dkimcheck.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dkim.h"
#include "dkimcheck.h"
#include "dns.h"

/* The first record of t that starts with prefix (case-insensitive), or -1. */
static long
txt_find(const struct dns_txt *t, const char *prefix)
{
	size_t	i, n = strlen(prefix);

	for (i = 0; i < t->n; i++)
		if (t->len[i] >= n && strncasecmp(t->data.data + t->off[i],
		    prefix, n) == 0 && (t->len[i] == n ||
		    t->data.data[t->off[i] + n] == ' ' ||
		    t->data.data[t->off[i] + n] == ';'))
			return (long)i;
	return -1;
}

/* Print an SPF or DMARC finding for name. */
static void
verify_policy(FILE *out, const char *label, const char *name,
    const char *prefix)
{
	struct dns_txt	 t;
	struct err	 e;
	long		 i;

	dns_txt_init(&t);
	if (dns_txt(name, &t, &e) == -1)
		fprintf(out, "%-12s %s: lookup failed: %s\n", label, name,
		    e.msg);
	else if ((i = txt_find(&t, prefix)) >= 0)
		fprintf(out, "%-12s %s: %.*s\n", label, name, (int)t.len[i],
		    t.data.data + t.off[i]);
	else
		fprintf(out, "%-12s %s: none published (no %s record)\n", label,
		    name, prefix);
	dns_txt_free(&t);
}

int
dkimcheck_report(const struct dkim *dk, const char *sender,
    const char *dflt_domain, FILE *out, struct err *e)
{
	struct dns_txt	 t;
	struct buf	 rec;
	const char	*dom = strrchr(sender, '@'), *d;
	char		 name[600], why[300];
	size_t		 i;
	int		 rc = -1;

	err_clear(e);
	if (dk == NULL)
		return 0;
	dom = dom != NULL ? dom + 1 : dflt_domain;
	d = dkim_domain(dk);
	dns_txt_init(&t);
	buf_init(&rec, 65536);
	if (dkim_record_name(dk, name, sizeof(name)) == -1 ||
	    dkim_record_text(dk, &rec) == -1)
		return err_set(e, ERR_SOFTWARE, "DKIM: cannot encode the "
		    "public key");
	if (dns_txt(name, &t, e) == -1) {
		fprintf(out, "dkim:        %s: lookup failed: %s\n", name,
		    e->msg);
	} else if (t.status != DNS_FOUND) {
		fprintf(out, "dkim:        %s: no key published (%s)\n", name,
		    t.status == DNS_NXDOMAIN ? "no such name" :
		    "no TXT record");
		err_set(e, ERR_CONFIG, "DKIM: no key published at %s", name);
	} else {
		for (i = 0; i < t.n && rc == -1; i++)
			if (dkim_check_record(dk, t.data.data + t.off[i],
			    t.len[i], why, sizeof(why)) == DKIM_KEY_MATCH)
				rc = 0;
		if (rc == 0)
			fprintf(out, "dkim:        %s: published key "
			    "matches %s\n",
			    name, dkim_key_file(dk));
		else {
			fprintf(out, "dkim:        %s: MISMATCH: %s\n", name,
			    why);
			err_set(e, ERR_CONFIG, "DKIM: %s: %s", name, why);
		}
	}
	fprintf(out, "dkim-record: publish: %s\n", buf_str(&rec));
	snprintf(name, sizeof(name), "%s", dom);
	verify_policy(out, "spf:", name, "v=spf1");
	snprintf(name, sizeof(name), "_dmarc.%s", dom);
	verify_policy(out, "dmarc:", name, "v=DMARC1");
	if (dkim_domain_within(dom, d) || dkim_domain_within(d, dom))
		fprintf(out, "alignment:   From domain %s aligns with "
		    "d=%s%s\n", dom,
		    d, strcasecmp(dom, d) == 0 ? " (strict)" : " (relaxed)");
	else
		fprintf(out, "alignment:   From domain %s does NOT align "
		    "with d=%s "
		    "(DMARC ignores this signature)\n", dom, d);
	buf_free(&rec);
	dns_txt_free(&t);
	return rc;
}

