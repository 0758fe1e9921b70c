/* Reading back what the XML renderers write, in their unit tests (test_ubl.c, test_sepa.c): a
 * rendered text parsed into a document with an XPath context, the string value of an XPath
 * expression, the text of every node one selects, and the rendered file written out for review
 * or for an outside validator (to the directory an environment variable names). */
#ifndef COOPD_XML_READ_H
#define COOPD_XML_READ_H
#include "unit.h"

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A rendered text (xml, malloc'ed, len bytes) and, once parsed, its document and XPath
 * context; the strings xp() returns live until out_free(). */
struct out {
	char *xml;
	size_t len;
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlChar *strs[512];
	int nstrs;
};

static inline void out_free(struct out *o)
{
	for (int i = 0; i < o->nstrs; i++)
		xmlFree(o->strs[i]);
	xmlXPathFreeContext(o->ctx);
	xmlFreeDoc(o->doc);
	free(o->xml);
	memset(o, 0, sizeof *o);
}

/* Parses o->xml (named name in messages) and makes its XPath context, the caller registers the
 * namespaces. 0, or -1 with the failure counted: not well-formed, or out of memory. */
static inline int out_parse(struct out *o, const char *name)
{
	CHECK_INT(strlen(o->xml), o->len);
	o->doc = xmlReadMemory(o->xml, (int)o->len, name, NULL, XML_PARSE_NONET);
	if (!o->doc) {
		fprintf(stderr, "  %s: not well-formed XML\n", name);
		unit_failed_checks++;
		return -1;
	}
	o->ctx = xmlXPathNewContext(o->doc);
	if (!o->ctx) {
		unit_failed_checks++;
		return -1;
	}
	return 0;
}

/* The string value of an XPath expression (printf-style), "" when it selects nothing. */
static inline const char *xp(struct out *o, const char *f, ...)
    __attribute__((format(printf, 2, 3)));
static inline const char *xp(struct out *o, const char *f, ...)
{
	char expr[1024];
	va_list ap;
	va_start(ap, f);
	vsnprintf(expr, sizeof expr, f, ap);
	va_end(ap);
	if (!o->ctx || o->nstrs == (int)(sizeof o->strs / sizeof o->strs[0]))
		return "(no document)";
	xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, o->ctx);
	if (!r) {
		fprintf(stderr, "  bad XPath: %s\n", expr);
		return "(bad xpath)";
	}
	xmlChar *s = xmlXPathCastToString(r);
	xmlXPathFreeObject(r);
	if (!s)
		return "(no memory)";
	o->strs[o->nstrs++] = s;
	return (const char *)s;
}

/* Calls check(text, expr) for the text of every node expr selects; returns how many. */
static inline int each(struct out *o, const char *expr,
                       void (*check)(const char *text, const char *what))
{
	xmlXPathObjectPtr r = o->ctx ? xmlXPathEvalExpression(BAD_CAST expr, o->ctx) : NULL;
	int n = 0;
	if (r && r->nodesetval) {
		for (int i = 0; i < r->nodesetval->nodeNr; i++) {
			xmlChar *s = xmlNodeGetContent(r->nodesetval->nodeTab[i]);
			check(s ? (const char *)s : "", expr);
			xmlFree(s);
			n++;
		}
	}
	xmlXPathFreeObject(r);
	return n;
}

/* Writes the rendered text to $env_dir/name.xml when that variable names a directory. */
static inline void write_out(const char *env_dir, const char *name, const char *xml, size_t len)
{
	const char *dir = getenv(env_dir);
	char path[512];
	if (!dir || !*dir)
		return;
	snprintf(path, sizeof path, "%s/%s.xml", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(xml, 1, len, f) != len) {
		fprintf(stderr, "  cannot write %s\n", path);
		unit_failed_checks++;
	}
	if (f)
		fclose(f);
}

#endif
