#include "system.h"

#include <stdatomic.h>

#include "db/db.h"
#include "embedded.h"
#include "http/metrics.h"

static atomic_bool draining;
static struct stmt ping = STMT("SELECT 1");

void system_set_draining(void)
{
	atomic_store(&draining, true);
}

int system_health(struct req *r)
{
	return resp_json_text(r, 200, "{\"status\":\"ok\"}");
}

int system_ready(struct req *r)
{
	if (atomic_load(&draining)) {
		err_set(&r->err, 503, "service_unavailable", "the service is shutting down");
		r->err.retry_after = 1;
		return -1;
	}
	if (!req_db(r))
		return -1;
	PGresult *res = db_exec(r->db, &ping, 0, NULL, &r->err);
	if (!res)
		return -1;
	PQclear(res);
	return resp_json_text(r, 200, "{\"status\":\"ready\"}");
}

int system_metrics(struct req *r)
{
	sbuf_reset(&r->out);
	metrics_render(&r->out);
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return 0;
}

static int embedded(struct req *r, const struct embedded_file *f, const char *type)
{
	return resp_body(r, 200, type, f->start, (size_t)(f->end - f->start));
}

int system_openapi_json(struct req *r)
{
	return embedded(r, &embedded_openapi_json, "application/json; charset=utf-8");
}

int system_openapi_yaml(struct req *r)
{
	return embedded(r, &embedded_openapi_yaml, "application/yaml; charset=utf-8");
}
