/* A plan's single block of memory: the struct, then its steps, its phase-name table and a
 * pool of strings. One block so a plan is handed over, swapped and freed as one thing. */
#include "plan.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

struct plan *plan_alloc(uint32_t step_count, uint32_t phase_count, size_t pool_bytes)
{
	size_t steps_off = align_up(sizeof(struct plan), alignof(struct plan_step));
	size_t names_off = align_up(steps_off + (size_t)step_count * sizeof(struct plan_step),
				    alignof(const char *));
	if (phase_count < 1)
		phase_count = 1;
	size_t pool_off = names_off + (size_t)phase_count * sizeof(const char *);
	size_t total = pool_off + pool_bytes + 1;
	char *base = calloc(1, total);
	if (!base)
		return NULL;
	struct plan *p = (struct plan *)base;
	p->block_bytes = total;
	p->steps = (struct plan_step *)(base + steps_off);
	p->step_count = step_count;
	p->phase_names = (const char **)(base + names_off);
	p->phase_count = phase_count;
	p->pool = base + pool_off;
	p->pool_bytes = pool_bytes + 1;
	p->pool_used = 1; /* pool[0] = "" */
	p->description = p->pool;
	p->tags = p->pool;
	for (uint32_t i = 0; i < phase_count; i++)
		p->phase_names[i] = p->pool;
	return p;
}

const char *plan_intern(struct plan *p, const char *s, size_t len)
{
	if (len == 0)
		return p->pool;
	if (len + 1 > p->pool_bytes - p->pool_used)
		return NULL;
	char *dst = p->pool + p->pool_used;
	memcpy(dst, s, len);
	dst[len] = '\0';
	p->pool_used += len + 1;
	return dst;
}

/* Move a pointer that pointed into the old block to the same place in the new one. */
static const char *rebase(const char *ptr, const char *old_base, char *new_base)
{
	return new_base + (ptr - old_base);
}

struct plan *plan_clone(const struct plan *p)
{
	char *base = malloc(p->block_bytes);
	if (!base)
		return NULL;
	memcpy(base, p, p->block_bytes);
	const char *old = (const char *)p;
	struct plan *c = (struct plan *)base;
	c->steps = (struct plan_step *)rebase((const char *)p->steps, old, base);
	c->phase_names = (const char **)rebase((const char *)p->phase_names, old, base);
	c->pool = (char *)rebase(p->pool, old, base);
	c->description = rebase(p->description, old, base);
	c->tags = rebase(p->tags, old, base);
	for (uint32_t i = 0; i < c->phase_count; i++)
		c->phase_names[i] = rebase(p->phase_names[i], old, base);
	return c;
}

void plan_free(struct plan *p)
{
	free(p);
}
