/* Source-independent part of the runtime layouts: lookups by struct name
 * and by dotted field path.  See layout.h. */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

/* A path deeper than this is not a Go runtime field path; it also bounds the
 * walk should a set hold a struct that (wrongly) contains itself by value. */
#define GR_MAX_PATH_DEPTH 64

void gr_layouts_destroy(struct gr_layouts *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nstructs; i++) {
		struct gr_struct *s = &l->structs[i];
		for (size_t j = 0; j < s->nfields; j++) {
			free(s->fields[j].name);
			free(s->fields[j].type_name);
		}
		free(s->fields);
		free(s->name);
	}
	free(l->structs);
	free(l);
}

const struct gr_struct *gr_layouts_struct(const struct gr_layouts *l, const char *name)
{
	if (!l || !name)
		return NULL;
	for (size_t i = 0; i < l->nstructs; i++) {
		if (l->structs[i].name && strcmp(l->structs[i].name, name) == 0)
			return &l->structs[i];
	}
	return NULL;
}

/* The field of s named by the len bytes at name (not NUL-terminated). */
static const struct gr_field *struct_field(const struct gr_struct *s,
					   const char *name, size_t len)
{
	for (size_t i = 0; i < s->nfields; i++) {
		const char *f = s->fields[i].name;
		if (f && strncmp(f, name, len) == 0 && f[len] == '\0')
			return &s->fields[i];
	}
	return NULL;
}

bool gr_layouts_field(const struct gr_layouts *l, const char *sname,
		      const char *path, uint64_t *offset_ret, uint64_t *size_ret)
{
	if (!path)
		return false;
	const struct gr_struct *s = gr_layouts_struct(l, sname);
	if (!s)
		return false;
	uint64_t offset = 0;
	const char *p = path;
	for (int depth = 0; depth < GR_MAX_PATH_DEPTH; depth++) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0)
			return false;
		const struct gr_field *f = struct_field(s, p, len);
		if (!f || __builtin_add_overflow(offset, f->offset, &offset))
			return false;
		if (!dot) {
			if (offset_ret)
				*offset_ret = offset;
			if (size_ret)
				*size_ret = f->size;
			return true;
		}
		/* Descending needs the field's struct type in the set. */
		s = gr_layouts_struct(l, f->type_name);
		if (!s)
			return false;
		p = dot + 1;
	}
	return false;
}

bool gr_layouts_offset(const struct gr_layouts *l, const char *sname,
		       const char *path, uint64_t *offset_ret)
{
	return gr_layouts_field(l, sname, path, offset_ret, NULL);
}

struct gc_error *gr_struct_queue_add(struct gr_struct_queue *q, const struct gr_layouts *l,
				     uint64_t key, const char *name, size_t max,
				     const char *what)
{
	if (gr_layouts_struct(l, name))
		return NULL;
	for (size_t i = q->next; i < q->n; i++)
		if (strcmp(q->v[i].name, name) == 0)
			return NULL;
	if (q->n == q->cap) {
		if (q->cap >= max)
			return gc_error_create(GC_ERR_LIMIT,
					       "%s: more than %zu struct types embedded by value",
					       what, max);
		size_t cap = q->cap ? 2 * q->cap : 32;
		struct gr_queued *v = realloc(q->v, cap * sizeof(*v));
		if (!v)
			return &gc_error_nomem;
		q->v = v;
		q->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return &gc_error_nomem;
	q->v[q->n++] = (struct gr_queued){key, copy};
	return NULL;
}

bool gr_struct_queue_next(struct gr_struct_queue *q, const struct gr_layouts *l,
			  uint64_t *key_ret, char **name_ret)
{
	while (q->next < q->n) {
		struct gr_queued *e = &q->v[q->next++];
		char *name = e->name;
		e->name = NULL;
		/* The same name may have been read by other means meanwhile. */
		if (gr_layouts_struct(l, name)) {
			free(name);
			continue;
		}
		*key_ret = e->key;
		*name_ret = name;
		return true;
	}
	return false;
}

void gr_struct_queue_deinit(struct gr_struct_queue *q)
{
	for (size_t i = q->next; i < q->n; i++)
		free(q->v[i].name);
	free(q->v);
	*q = (struct gr_struct_queue){0};
}
