/* The API reference page (GET /v1/docs): a small HTML page and Redoc's standalone script, both
 * from docs/web/ and embedded in the binary at build time (the script is installed from npm by
 * the Makefile). The page renders /v1/openapi.json; nothing is fetched from another origin, and
 * the Content-Security-Policy says so to the browser. Public, like the OpenAPI document. */
#include "docs.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "embedded.h"

/* Scripts from this origin only, no inline or eval'd script. Redoc's styling library adds
 * <style> elements at run time (hence 'unsafe-inline' for styles, which cannot run code) and
 * its search index runs in a Worker made from a blob: URL. */
#define DOCS_CSP                                                                                   \
	"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "                \
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "      \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
#define DOCS_HEADERS                                                                               \
	"Content-Security-Policy: " DOCS_CSP "\r\n"                                                \
	"X-Content-Type-Options: nosniff\r\n"                                                      \
	"Referrer-Policy: no-referrer\r\n"

struct docs_file {
	const char *name; /* as embedded (its file name) */
	const char *type;
	const char *cache_control;
	const struct embedded_file *f;
	char etag[24]; /* FNV-1a of the contents, in hex */
};

/* The page is revalidated on every load (it is small); the script is kept for a day and then
 * revalidated with If-None-Match. A new binary with a new script has a new ETag. */
static struct docs_file files[] = {
    {"index.html", "text/html; charset=utf-8", "no-cache", NULL, ""},
    {"redoc.standalone.js", "text/javascript; charset=utf-8", "public, max-age=86400", NULL, ""},
};
static pthread_once_t files_once = PTHREAD_ONCE_INIT;

static void files_init(void)
{
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		for (const struct embedded_file *e = embedded_docs; e->name; e++)
			if (strcmp(e->name, files[i].name) == 0)
				files[i].f = e;
		if (!files[i].f)
			continue;
		unsigned long long h = 14695981039346656037ull;
		for (const char *p = files[i].f->start; p < files[i].f->end; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		snprintf(files[i].etag, sizeof files[i].etag, "%016llx", h);
	}
}

static int serve(struct req *r, size_t i)
{
	pthread_once(&files_once, files_init);
	const struct docs_file *d = &files[i];
	if (!d->f) {
		err_set(&r->err, 404, "not_found", "no such resource");
		return -1;
	}
	resp_set_etag(r, d->etag);
	r->cache_control = d->cache_control;
	r->headers = DOCS_HEADERS;
	/* (If-None-Match → 304 is the HTTP layer's, as for every GET with an ETag) */
	return resp_body(r, 200, d->type, d->f->start, (size_t)(d->f->end - d->f->start));
}

int docs_page(struct req *r)
{
	return serve(r, 0);
}

int docs_script(struct req *r)
{
	return serve(r, 1);
}
