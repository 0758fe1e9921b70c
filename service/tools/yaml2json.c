/* Build tool: converts the OpenAPI YAML document to JSON, so that the service serves the same
 * document in both forms. Plain scalars are typed as YAML 1.1 core would (integers, booleans,
 * null); quoted scalars stay strings. Anchors and aliases are refused: the document does not
 * need them. Usage: yaml2json IN.yaml OUT.json */
#include <jansson.h>
#include <regex.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

static json_t *scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_string(v);
	if (!strcmp(v, "null") || !strcmp(v, "~") || !*v)
		return json_null();
	if (!strcmp(v, "true"))
		return json_true();
	if (!strcmp(v, "false"))
		return json_false();
	regex_t re;
	regcomp(&re, "^-?(0|[1-9][0-9]{0,17})$", REG_EXTENDED | REG_NOSUB);
	int is_int = regexec(&re, v, 0, NULL, 0) == 0;
	regfree(&re);
	if (is_int)
		return json_integer(strtoll(v, NULL, 10));
	return json_string(v);
}

/* Parses one node whose first event is *ev (already taken from the parser). */
static json_t *node(yaml_parser_t *p, yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return scalar(ev);
	case YAML_SEQUENCE_START_EVENT: {
		json_t *arr = json_array();
		for (;;) {
			yaml_event_t e;
			if (!yaml_parser_parse(p, &e))
				return NULL;
			if (e.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&e);
				return arr;
			}
			json_t *v = node(p, &e);
			yaml_event_delete(&e);
			if (!v)
				return NULL;
			json_array_append_new(arr, v);
		}
	}
	case YAML_MAPPING_START_EVENT: {
		json_t *obj = json_object();
		for (;;) {
			yaml_event_t k;
			if (!yaml_parser_parse(p, &k))
				return NULL;
			if (k.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&k);
				return obj;
			}
			if (k.type != YAML_SCALAR_EVENT) {
				fprintf(stderr, "yaml2json: non-scalar key at line %zu\n",
				        k.start_mark.line + 1);
				return NULL;
			}
			char *key = strdup((const char *)k.data.scalar.value);
			size_t line = k.start_mark.line + 1;
			yaml_event_delete(&k);
			yaml_event_t e;
			if (!yaml_parser_parse(p, &e)) {
				free(key);
				return NULL;
			}
			json_t *v = node(p, &e);
			yaml_event_delete(&e);
			if (!v || json_object_get(obj, key)) {
				if (v)
					fprintf(stderr,
					        "yaml2json: duplicate key '%s' at line %zu\n", key,
					        line);
				free(key);
				return NULL;
			}
			json_object_set_new(obj, key, v);
			free(key);
		}
	}
	case YAML_ALIAS_EVENT:
		fprintf(stderr, "yaml2json: aliases are not supported (line %zu)\n",
		        ev->start_mark.line + 1);
		return NULL;
	default:
		fprintf(stderr, "yaml2json: unexpected event at line %zu\n",
		        ev->start_mark.line + 1);
		return NULL;
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: yaml2json IN.yaml OUT.json\n");
		return 2;
	}
	FILE *in = fopen(argv[1], "rb");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, in);
	json_t *doc = NULL;
	yaml_event_t e;
	/* stream start, document start, root node */
	for (int i = 0; i < 3; i++) {
		if (!yaml_parser_parse(&p, &e)) {
			fprintf(stderr, "yaml2json: %s at line %zu\n", p.problem,
			        p.problem_mark.line + 1);
			return 1;
		}
		if (i == 2)
			doc = node(&p, &e);
		yaml_event_delete(&e);
	}
	if (p.error != YAML_NO_ERROR)
		fprintf(stderr, "yaml2json: %s at line %zu\n", p.problem, p.problem_mark.line + 1);
	yaml_parser_delete(&p);
	fclose(in);
	if (!doc)
		return 1;
	int rc = json_dump_file(doc, argv[2], JSON_COMPACT | JSON_ENSURE_ASCII) ? 1 : 0;
	json_decref(doc);
	return rc;
}
