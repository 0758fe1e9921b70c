/* Building XML documents with libxml2 (see xml.h). */
#include "xml.h"

#include <libxml/xmlerror.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

int xml_fail(struct xml_doc *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	errbuf_vset(&x->err, fmt, ap);
	va_end(ap);
	return -1;
}

static void *oom(struct xml_doc *x)
{
	xml_fail(x, "out of memory");
	return NULL;
}

int xml_begin(struct xml_doc *x, const char *root_name, const char *ns_uri, char *err,
              size_t errlen)
{
	memset(x, 0, sizeof *x);
	x->err = errbuf_of(err, errlen);
	x->doc = xmlNewDoc(BAD_CAST "1.0");
	x->root = x->doc ? xmlNewDocNode(x->doc, NULL, BAD_CAST root_name, NULL) : NULL;
	if (!x->root) {
		oom(x);
		return -1;
	}
	xmlDocSetRootElement(x->doc, x->root);
	if (ns_uri) {
		xmlNsPtr ns = xmlNewNs(x->root, BAD_CAST ns_uri, NULL);
		if (!ns) {
			oom(x);
			return -1;
		}
		xmlSetNs(x->root, ns);
	}
	return 0;
}

xmlNsPtr xml_ns(struct xml_doc *x, const char *uri, const char *prefix)
{
	xmlNsPtr ns = x->root ? xmlNewNs(x->root, BAD_CAST uri, BAD_CAST prefix) : NULL;
	return ns ? ns : oom(x);
}

xmlNodePtr xml_elem(struct xml_doc *x, xmlNodePtr parent, xmlNsPtr ns, const char *name)
{
	if (!parent)
		return NULL;
	xmlNodePtr n = xmlNewChild(parent, ns, BAD_CAST name, NULL);
	return n ? n : oom(x);
}

/* A copy of s that XML 1.0 can carry (see xml.h), or NULL: *bad_utf8 set when s is not valid
 * UTF-8, else out of memory. */
static char *xml_clean(const char *s, int *bad_utf8)
{
	size_t n = strlen(s);
	char *out = malloc(n + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s;
	if (!out)
		return NULL;
	for (size_t left = n; left > 0;) {
		ucs4_t cp;
		int len = u8_mbtoucr(&cp, p, left); /* strict: no overlong forms, no surrogates */
		if (len <= 0)
			goto bad;
		left -= (size_t)len;
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE ||
		    cp == 0xFFFF) {
			*o++ = ' ';
		} else {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	*bad_utf8 = 1;
	return NULL;
}

xmlNodePtr xml_text(struct xml_doc *x, xmlNodePtr parent, xmlNsPtr ns, const char *name,
                    const char *text)
{
	int bad_utf8 = 0;
	char *clean;
	xmlNodePtr n = NULL;
	if (!parent)
		return NULL;
	clean = xml_clean(text, &bad_utf8);
	if (bad_utf8)
		xml_fail(x, "invalid UTF-8 in %s", name);
	else if (!clean || !(n = xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST clean)))
		oom(x);
	free(clean);
	return n;
}

xmlNodePtr xml_text_attr(struct xml_doc *x, xmlNodePtr parent, xmlNsPtr ns, const char *name,
                         const char *text, const char *attr, const char *value)
{
	xmlNodePtr n = xml_text(x, parent, ns, name, text);
	if (n && !xmlNewProp(n, BAD_CAST attr, BAD_CAST value))
		oom(x);
	return n;
}

/* libxml2's structured error handler while serialising: the first message goes to err. */
static void capture(void *ctx, xmlErrorPtr e)
{
	struct xml_doc *x = ctx;
	size_t n = e && e->message ? strcspn(e->message, "\n") : 0;
	xml_fail(x, "libxml2: %.*s", (int)n, e && e->message ? e->message : "error");
}

char *xml_finish(struct xml_doc *x, size_t *len)
{
	xmlChar *buf = NULL;
	int size = 0;
	char *out = NULL;
	if (!x->err.set) {
		xmlStructuredErrorFunc was = xmlStructuredError;
		void *was_ctx = xmlStructuredErrorContext;
		xmlSetStructuredErrorFunc(x, capture);
		xmlDocDumpFormatMemoryEnc(x->doc, &buf, &size, "UTF-8", 1);
		xmlSetStructuredErrorFunc(was_ctx, was);
		if (!buf || size <= 0 || !(out = malloc((size_t)size + 1))) {
			oom(x);
		} else {
			memcpy(out, buf, (size_t)size);
			out[size] = '\0';
		}
	}
	xmlFree(buf);
	xml_discard(x);
	if (x->err.set) {
		free(out);
		return NULL;
	}
	if (len)
		*len = (size_t)size;
	return out;
}

void xml_discard(struct xml_doc *x)
{
	xmlFreeDoc(x->doc);
	x->doc = NULL;
	x->root = NULL;
}
