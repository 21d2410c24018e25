/* The process image goruntime reads (goruntime/image.h), made from an ELF
 * core and the file with the Go code. */
#ifndef GOCORE_ANALYZER_IMAGE_H
#define GOCORE_ANALYZER_IMAGE_H

#include <stdint.h>

#include "../goruntime/image.h"
#include "elfcore.h"
#include "elfexe.h"

/* Fills img from core (threads, signal, pid, architecture), go (the file
 * with the Go code, loaded at bias) and as (the address space over both).
 * img points into them: they must outlive it. */
void ga_image_init(struct gr_image *img, const struct ga_core *core, const struct ga_exe *go,
		   const struct gc_addrspace *as, uint64_t bias);

/* The load bias of a PIE or shared library: where its first PT_LOAD
 * landed (map, its NT_FILE mapping at offset 0) minus its link address,
 * both page-aligned; 0 for ET_EXEC or when map is NULL. */
uint64_t ga_load_bias(const struct ga_exe *exe, const struct ga_mapping *map);

/* A gr_warn_fn (goruntime/process.h) that prints "gocore: warning: MESSAGE"
 * and a newline on the FILE * ctx. */
void ga_warn_to_file(void *ctx, const char *message);
/* The same without "warning: " (the printer's lines carry their own). */
void ga_say_to_file(void *ctx, const char *message);

#endif
