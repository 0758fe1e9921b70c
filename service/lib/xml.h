/* Building an XML document with libxml2's tree API, for the files coopd writes (the UBL
 * e-invoice; the SEPA pain.001 credit transfer file next): one struct xml_doc per document, a
 * root element with its namespaces, elements with text and attributes, and serialising to an
 * indented UTF-8 text with the XML declaration.
 *
 * Errors: the first one is kept and the rest of the building goes on harmlessly, so a builder
 * can write a whole document without checking every call and look once at the end. An element
 * function given a NULL parent (an earlier element that failed) does nothing and returns NULL.
 * A failed allocation, text that is not UTF-8, or xml_fail (the caller's own) marks the
 * document failed; libxml2's own messages while serialising are captured into the message
 * instead of going to stderr. xml_finish then returns NULL with the first message ("out of
 * memory" for an allocation).
 *
 * Text is written as XML 1.0 can carry it: the C0 controls other than tab, line feed and carriage
 * return, and U+FFFE/U+FFFF, become spaces; libxml2 escapes markup on output.
 *
 * Ownership: the tree belongs to the struct until xml_finish (or xml_discard) frees it; the
 * nodes returned are borrowed from it. One struct per thread; call xmlInitParser() once before
 * threads start when used from several. */
#ifndef COOPD_XML_H
#define COOPD_XML_H
#include <libxml/tree.h>
#include <stddef.h>

#include "errbuf.h"

struct xml_doc {
	xmlDocPtr doc;
	xmlNodePtr root;
	struct errbuf err; /* the caller's buffer; err.set once the document failed */
};

/* Starts a document whose root element is root_name in the default namespace ns_uri (NULL for
 * none); err (errlen bytes) receives the first failure's message, NUL-terminated when errlen >
 * 0. Returns 0, or -1 out of memory (x is marked failed). Either way the caller ends with
 * xml_finish or xml_discard, which free what was made. */
int xml_begin(struct xml_doc *x, const char *root_name, const char *ns_uri, char *err,
              size_t errlen);

/* Declares xmlns:prefix="uri" on the root; the namespace for the element functions, or NULL
 * (out of memory, marked). */
xmlNsPtr xml_ns(struct xml_doc *x, const char *uri, const char *prefix);

/* A child element of parent, in namespace ns (NULL: none), without content: for aggregates. */
xmlNodePtr xml_elem(struct xml_doc *x, xmlNodePtr parent, xmlNsPtr ns, const char *name);

/* A child element with text content. Text that is not valid UTF-8 fails the document with
 * "invalid UTF-8 in <name>". */
xmlNodePtr xml_text(struct xml_doc *x, xmlNodePtr parent, xmlNsPtr ns, const char *name,
                    const char *text);

/* As xml_text, with one attribute attr="value" (value: ASCII codes such as currencyID="EUR",
 * written as given). */
xmlNodePtr xml_text_attr(struct xml_doc *x, xmlNodePtr parent, xmlNsPtr ns, const char *name,
                         const char *text, const char *attr, const char *value);

/* Marks the document failed with a message (printf-style), unless it failed already: the first
 * message stays. Returns -1. */
int xml_fail(struct xml_doc *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Serialises the document and frees its tree. Returns a malloc'ed NUL-terminated text the
 * caller frees with free(), its length in *len (when len is not NULL); or NULL when the document
 * failed at any point, with the message in err. */
char *xml_finish(struct xml_doc *x, size_t *len);

/* Frees the tree without serialising (an error path of the caller's). */
void xml_discard(struct xml_doc *x);

#endif
