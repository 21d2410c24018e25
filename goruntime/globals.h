/* The runtime's global variables in a binary without a symbol table
 * (-ldflags=-s): runtime.allgs, allglen, allm, sched, waitReasonStrings and
 * buildVersion, found from the code that uses them.
 *
 * Every well-known runtime function is still named in the pclntab.  Its
 * machine code is decoded by the architecture's code_refs (arch.h: on
 * amd64 the targets of RIP-relative operands) and the data addresses it
 * forms are the addresses of the globals it touches: runtime.allgadd touches allglock, allgs, allgs+8, allgs+16,
 * allgptr, allglen and writeBarrier (go1.19).  Each candidate address is then
 * validated against the memory; one that does not look like the variable is
 * never returned.
 */
#ifndef GOCORE_GORUNTIME_GLOBALS_H
#define GOCORE_GORUNTIME_GLOBALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/addrspace.h"
#include "../common/error.h"
#include "arch.h"
#include "../gopclntab/gopclntab.h"
#include "layout.h"
#include "moduledata.h"

/* Run-time addresses of the globals; 0 = not found. */
struct gr_globals {
	uint64_t allgs;        /* runtime.allgs, the []*g slice header */
	uint64_t allglen;      /* runtime.allglen (uintptr) */
	uint64_t allm;         /* runtime.allm (*m) */
	uint64_t allp;         /* runtime.allp ([]*p), 0 when not found */
	uint64_t sched;        /* runtime.sched (schedt) */
	uint64_t waitreasons;  /* runtime.waitReasonStrings ([N]string) */
	size_t nwaitreasons;   /* N, 0 when waitreasons is 0 */
	uint64_t buildversion; /* runtime.buildVersion (string header) */
	/* runtime.maxstacksize (uintptr), from the one global that
	 * runtime/debug.setMaxStack touches; 0 when that function is not in
	 * the binary (nothing can change the limit then) or it was not found. */
	uint64_t maxstacksize;
	bool have_setmaxstack; /* runtime/debug.setMaxStack is in the pclntab */
};

/* Finds the runtime's globals from code: the data addresses arch's
 * decoder sees formed in well-known runtime functions (found by name in the pclntab t), each
 * candidate validated against the memory as.
 *
 * layouts gives the runtime.g fields stack.lo, stack.hi, atomicstatus, goid
 * and m, and the runtime.m fields g0 and alllink (from DWARF or the type
 * descriptors); without them allgs, allglen and allm are not looked for
 * (the other globals are).  runtime.schedt's goidgen and lock are taken from
 * layouts when present (DWARF), else at 0 and 24 (schedt's first fields are
 * goidgen, lastpoll, pollUntil, lock in go1.17 to 1.27).  minor is the Go
 * 1.x minor version, 0 when unknown: when the wait-reason table of that
 * release is known (go-runtime-facts.md §4.2), the table found must have its
 * length.  data are the writable data ranges of the executable (.data,
 * .noptrdata, .bss, .noptrbss, .go.module; at run-time addresses): every
 * global must lie inside one, and buildVersion is looked for there by a scan
 * when no code leads to it.
 *
 * Validation (a candidate failing any rule is dropped):
 * - allgs: {ptr, len, cap} with 0 < len <= cap <= 2^28, ptr 8-aligned and
 *   readable for len*8 bytes; the first 64 entries and the last point to
 *   readable g's with a valid status, stack.lo < stack.hi (or both 0 for a
 *   dead g), distinct goids >= 1; allgs[0] is goid 1 (runtime.main's
 *   goroutine, the first newproc1 of rt0_go), or else (a c-archive or
 *   c-shared runtime, whose runtime.main returns and whose g 1 is reused)
 *   a word forEachGRace reads holds ptr (allgptr == &allgs[0]).
 * - allglen: a word referenced by allgadd/forEachGRace, outside the allgs
 *   header, whose value is len(allgs) (or len-1: allgadd stores it last).
 * - allm: *allm is an m; walking m.alllink (at most 100000 steps) ends in nil
 *   and every m's g0 is a g with goid 0, g0.m == m and stack.lo < stack.hi
 *   (or no stack: a cgo extra M's g0 has none until a C thread takes it).
 * - allp: {ptr, len, cap} with 1 <= len <= cap <= 2^16, every allp[i] a
 *   p whose id (its first word's low half) is i and status (the high
 *   half) at most 4 (_Pdead).
 * - sched: &sched.goidgen referenced by newproc1 while &sched.lock is
 *   referenced by mcommoninit or stopm; goidgen >= 1 and, when allgs was
 *   found, at least every goid in allgs and less than 2^20 above the largest.
 * - waitReasonStrings: entries 0, 1, 2 read "", "GC assist marking",
 *   "IO wait" (every release); the length is the bound waitReason.String
 *   compares with, else the run of printable strings (1..64 bytes) that
 *   follows, at most 256; all entries 1..N-1 printable and non-empty.
 * - buildVersion: a string header of 4..64 printable bytes starting "go1."
 *   or "devel".
 * - maxstacksize: the only data word setMaxStack references (it reads and
 *   writes runtime.maxstacksize, nothing else), 8-aligned, non-zero.
 *
 * Returns NULL with *ret filled (0 for what was not found, a partial result
 * is normal); GC_ERR_NOT_FOUND, naming the binary's missing functions, when
 * nothing at all was found; &gc_error_nomem.  Reads are bounded: at most
 * 64 KiB of code per function and 64 MiB of data for the scan. */
struct gc_error *gr_find_globals(const struct gr_arch *arch, const struct gopclntab *t,
				 const struct gc_addrspace *as,
				 const struct gr_layouts *layouts, int minor,
				 const struct gr_range *data, size_t ndata,
				 struct gr_globals *ret);

#endif
