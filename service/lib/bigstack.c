#include "bigstack.h"

#include <pthread.h>

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
