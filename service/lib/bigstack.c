#include "bigstack.h"

#include <pthread.h>
#include <stdio.h>

struct call {
	void (*fn)(void *);
	void *arg;
};

static void *trampoline(void *p)
{
	struct call *c = p;
	c->fn(c->arg);
	return NULL;
}

int run_with_stack(void (*fn)(void *arg), void *arg, size_t bytes)
{
	pthread_attr_t attr;
	pthread_t t;
	struct call c = {fn, arg};
	if (pthread_attr_init(&attr) != 0)
		return -1;
	int rc = pthread_attr_setstacksize(&attr, bytes) == 0 &&
	                 pthread_create(&t, &attr, trampoline, &c) == 0
	             ? 0
	             : -1;
	pthread_attr_destroy(&attr);
	if (rc == 0)
		pthread_join(t, NULL);
	return rc;
}

struct render_call {
	render_fn render;
	const json_t *doc;
	size_t *len;
	char *err;
	size_t errlen;
	char *out;
};

static void render_call(void *arg)
{
	struct render_call *c = arg;
	c->out = c->render(c->doc, c->len, c->err, c->errlen);
}

char *render_with_stack(render_fn render, const json_t *doc, size_t *len, char *err, size_t errlen)
{
	struct render_call c = {render, doc, len, err, errlen, NULL};
	if (run_with_stack(render_call, &c, BIGSTACK_BYTES) != 0 && errlen > 0)
		snprintf(err, errlen, "no thread for rendering");
	return c.out;
}
