/* One virtual address space assembled from byte ranges.
 *
 * Ranges are added in tiers: the core's PT_LOAD bytes (tier 0) win over the
 * executable's file-backed segments (tier 1), which fill in what the core did
 * not dump (text, rodata, pclntab).  A range may also be recorded as "mapped
 * but not available" (p_filesz < p_memsz, or a core truncated by RLIMIT_CORE)
 * so that a read there fails with a message that says why.
 *
 * The address space does not own the bytes it points to: they belong to the
 * mmap()ed core or executable, which must outlive it.  It is also how the
 * goroutine walker is given memory in tests and fuzzers: build one over a
 * buffer.
 */
#ifndef GOCORE_COMMON_ADDRSPACE_H
#define GOCORE_COMMON_ADDRSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct gc_addrspace;

enum gc_read_status {
	GC_READ_OK = 0,
	GC_READ_UNMAPPED = -1,   /* no range covers the address */
	GC_READ_NOT_IN_CORE = -2, /* mapped in the process, bytes not in the core */
};

/* Creates an empty address space.  Returns NULL or &gc_error_nomem. */
struct gc_error *gc_addrspace_create(struct gc_addrspace **ret);
/* Frees as; NULL is a no-op. */
void gc_addrspace_destroy(struct gc_addrspace *as);

/* Adds [vaddr, vaddr+memsz) in the given tier (0 = highest priority).
 * The first avail bytes are backed by data (avail <= memsz; data may be NULL
 * when avail == 0); the rest is mapped but not available.  name says where
 * the bytes come from (e.g. "core", "exe"), for messages; it is not copied and
 * must outlive as.  Returns NULL, &gc_error_nomem or GC_ERR_FORMAT if the
 * range wraps around the address space. */
struct gc_error *gc_addrspace_add(struct gc_addrspace *as, unsigned tier,
				  uint64_t vaddr, uint64_t memsz,
				  const uint8_t *data, uint64_t avail,
				  const char *name);

/* One range for gc_addrspace_add_ranges: as gc_addrspace_add's arguments. */
struct gc_range {
	uint64_t vaddr, memsz;
	const uint8_t *data;  /* may be NULL when avail == 0 */
	uint64_t avail;
};

/* Adds r[0..n) in the given tier, with the result of n gc_addrspace_add()
 * calls in that order, in one pass: the ranges and the windows already
 * there are sorted once (O((n + windows) log(n + windows))), where adding
 * them one by one costs a memmove of the windows above each range, which is
 * quadratic for ranges that come in descending order.  For the core's and
 * the executable's segments, whose counts the files decide.  Returns NULL,
 * &gc_error_nomem or GC_ERR_FORMAT (a range wraps; nothing is added then). */
struct gc_error *gc_addrspace_add_ranges(struct gc_addrspace *as, unsigned tier,
					 const struct gc_range *r, size_t n, const char *name);

/* Copies len bytes at addr into buf, spanning ranges if needed.  Returns
 * GC_READ_OK or the status of the first byte that could not be read. */
enum gc_read_status gc_addrspace_read(const struct gc_addrspace *as,
				      uint64_t addr, void *buf, size_t len);

/* Returns a pointer to len contiguous bytes at addr when one range holds them
 * all, NULL otherwise.  The pointer lives as long as the backing bytes. */
const uint8_t *gc_addrspace_ptr(const struct gc_addrspace *as, uint64_t addr,
				size_t len);

/* Like gc_addrspace_ptr but returns as many bytes as one range holds from
 * addr on (up to max) in *len_ret; NULL when addr is not readable. */
const uint8_t *gc_addrspace_span(const struct gc_addrspace *as, uint64_t addr,
				 size_t max, size_t *len_ret);

/* Little-endian word readers; return false on any failure. */
bool gc_addrspace_u64(const struct gc_addrspace *as, uint64_t addr, uint64_t *ret);
bool gc_addrspace_u32(const struct gc_addrspace *as, uint64_t addr, uint32_t *ret);
bool gc_addrspace_u8(const struct gc_addrspace *as, uint64_t addr, uint8_t *ret);

/* The i-th window of the resolved map, in address order: [*start, *end)
 * backed by *data (NULL: mapped, bytes not available), from ranges of
 * *tier.  False when i is past the last window. */
bool gc_addrspace_window(const struct gc_addrspace *as, size_t i, uint64_t *start,
			 uint64_t *end, const uint8_t **data, unsigned *tier);

/* Number of bytes of [vaddr, vaddr+memsz) ranges in tier 0 that are mapped but
 * not available (e.g. lost to truncation). */
uint64_t gc_addrspace_missing_bytes(const struct gc_addrspace *as, unsigned tier);

#endif
