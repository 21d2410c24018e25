/* Lookups in a process image.  See image.h. */
#include "image.h"

#include <string.h>

const struct gr_image_section *gr_image_section(const struct gr_image_file *f, const char *name)
{
	for (size_t k = 0; k < f->nsections; k++)
		if (f->sections[k].name && strcmp(f->sections[k].name, name) == 0)
			return &f->sections[k];
	return NULL;
}
