/* The goroutine leak finder's heap walk (leaks.h). */
#include "leaks.h"

#include "heap.h"
#include "unwind.h"
#include "process_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MODULES 64
#define MAX_BITMAP_BYTES (64u << 20)   /* a GC bitmap covers 4 GiB of globals */
#define STACK_ITEMS (1u << 18)         /* mark stack; overflow rescans */

/* verdict[] bytes: the gr_leak_verdict, and flags. */
enum {
	V_MASK = 0x0f,
	V_ROOT = 0x10,      /* its stack is a root (scanned) */
	V_NOCASES = 0x20,   /* blocked in select {} */
	V_CERTAIN = 0x40,   /* nothing can wake it whatever memory holds (nil chan, select {}) */
};

struct pair;

struct gr_leaks {
	const struct gr_process *p;
	struct gr_heap *heap;
	struct gr_waits *waits;
	size_t n;
	uint8_t *verdict;   /* by position in allgs (p->gs) */
	struct gr_leak_stats st;
	/* GR_LEAKS_HOLDERS: the candidates' objects (by object) and what
	 * first kept each. */
	struct pair *pairs;
	size_t npairs;
	struct gr_holder *holders;
	/* GR_LEAKS_HOLDERS: for each marked object, the word that first
	 * pointed at it (see FROM_*), and the goroutines' stacks by stack_lo. */
	uint64_t *from;
	struct stackidx *stacks;
	size_t nstacks;
};

/* from[] values: a word's address (a global, a stack or a heap object's
 * word; 8-aligned), or a tagged root. */
enum { FROM_THREAD = 1, FROM_FINALIZER = 2 };

struct stackidx {
	uint64_t lo, hi, goid;
};

/* ---- marking ---- */

struct pair {
	uint32_t obj;   /* heap object index */
	uint32_t g;     /* position in allgs */
};

struct item {
	uint64_t base, size;
};

/* An object whose type gocore knows (the runtime's p, g and m): scanned
 * with its type's pointer bitmap, as the runtime's GC scans it, not word by
 * word (a p holds uintptr copies of heap addresses: its write barrier
 * buffer, its GC work queue). */
/* typed[]: the struct's address (a malloc header may precede it) | its
 * index into marker.types. */

struct ptrmask {
	uint64_t words;     /* ptrdata / 8 */
	uint8_t *bits;      /* one bit a word */
};

/* A type descriptor's pointer bitmap, read in place (heap objects with a
 * malloc header or mspan.largeType). */
struct tinfo {
	uint64_t type;          /* 0: empty slot */
	uint64_t size, words;   /* the type's size; ptrdata / 8 */
	const uint8_t *bits;    /* NULL: unreadable, scan word by word */
};
#define TCACHE 4096u        /* direct-mapped */

struct marker {
	const struct gr_heap *h;
	int minor;
	struct tinfo *tcache;
	bool precise_heap;      /* read the heap's pointer records */
	uint64_t heap_precise, heap_words;   /* objects scanned by pointer records, word by word */
	uint64_t frames_precise, frames_words;
	uint64_t *typed;        /* sorted */
	size_t ntyped;
	struct ptrmask types[3];
	const struct gc_addrspace *as;
	uint64_t *mark, *scanned;
	struct item *stack;
	size_t sp;
	bool overflow;
	/* The candidates' sudogs, sorted, each | HIDE_C or HIDE_ELEM: the
	 * field of it not followed (the runtime's setSyncObjectsUntraceable). */
	uint64_t *hidden;
	size_t nhidden;
	uint64_t elem_off, elem_size, c_off, c_size;
	uint64_t marked, missing;
	bool nomem;             /* an allocation failed: the result is not to be used */
	bool cut;               /* a root was left out at a bound: nothing is leaked */
	/* Holders (GR_LEAKS_HOLDERS): objects watched (one bit each), and
	 * what is being scanned, for the first word found pointing at one. */
	uint64_t *watched;           /* the objects candidates wait on */
	uint64_t *woken;             /* those marked since the last wake-up */
	size_t nwoken;
	struct gr_holder *holders;   /* by watched object index, via holder_at */
	uint64_t *from;              /* by object index: see gr_leaks.from */
	const struct pair *wpairs;
	size_t nwpairs;
	struct gr_holder ctx;        /* kind and goid of the scan under way */
	uint64_t ctx_base;           /* the heap object being scanned */
};

static inline bool bit(const uint64_t *b, uint64_t i)
{
	return b[i >> 6] >> (i & 63) & 1;
}

static inline void set_bit(uint64_t *b, uint64_t i)
{
	b[i >> 6] |= (uint64_t)1 << (i & 63);
}

enum { HIDE_C = 1, HIDE_ELEM = 2 };

/* In v[0..n), sorted addresses each tagged in its low 3 bits: the first
 * entry whose address is at least addr (n if none). */
static size_t tagged_lower_bound(const uint64_t *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((v[mid] & ~(uint64_t)7) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* In pairs[0..n), sorted by object: the first of obj's (n if none). */
static size_t first_pair(const struct pair *pairs, size_t n, uint64_t obj)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pairs[mid].obj < obj)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The hidden sudog at base, 0 if none. */
static uint64_t hidden_at(const struct marker *m, uint64_t base)
{
	size_t lo = tagged_lower_bound(m->hidden, m->nhidden, base);
	return lo < m->nhidden && (m->hidden[lo] & ~(uint64_t)7) == base ? m->hidden[lo] : 0;
}

static void note_holder(struct marker *m, uint64_t idx, uint64_t where)
{
	size_t lo = first_pair(m->wpairs, m->nwpairs, idx);
	if (lo < m->nwpairs && m->wpairs[lo].obj == idx) {
		m->holders[lo] = m->ctx;
		m->holders[lo].where = m->ctx.kind == GR_HELD_BY_OBJECT ? m->ctx_base : where;
	}
}

static void mark_word(struct marker *m, uint64_t v, uint64_t where)
{
	uint64_t idx, base, size;
	bool noscan;
	if (!gr_heap_object(m->h, v, &idx, &base, &size, &noscan) || bit(m->mark, idx))
		return;
	if (bit(m->watched, idx)) {
		if (m->holders)
			note_holder(m, idx, where);
		/* A candidate waits on it: woken after this drain.  At most
		 * one entry per watched object (each is marked once). */
		m->woken[m->nwoken++] = idx;
	}
	set_bit(m->mark, idx);
	m->marked++;
	if (m->from)
		m->from[idx] = m->ctx.kind == GR_HELD_BY_THREAD ? m->ctx.goid << 3 | FROM_THREAD
			       : m->ctx.kind == GR_HELD_BY_FINALIZER ? (where & ~(uint64_t)7) | FROM_FINALIZER
			       : where;
	if (noscan) {
		set_bit(m->scanned, idx);
		return;
	}
	if (m->sp == STACK_ITEMS) {
		m->overflow = true;  /* found again by the rescan */
		return;
	}
	m->stack[m->sp++] = (struct item){base, size};
}

static void mark_ptr(struct marker *m, uint64_t v)
{
	mark_word(m, v, 0);
}

/* Marks what the words of [addr, addr + len) point at; with bitmap, only
 * the words whose bit is set (bit i for the word at addr + 8i). */
static void scan(struct marker *m, uint64_t addr, uint64_t len, const uint8_t *bitmap,
		 uint64_t nbits)
{
	uint64_t a = (addr + 7) & ~(uint64_t)7, end = addr + len;
	if (end < addr)
		return;
	while (a + 8 <= end) {
		size_t n;
		const uint8_t *d = gc_addrspace_span(m->as, a, end - a, &n);
		if (!d) {
			uint64_t skip = 4096 - (a & 4095);
			if (skip > end - a)
				skip = end - a;
			m->missing += skip;
			a += (skip + 7) & ~(uint64_t)7;
			continue;
		}
		uint64_t words = n / 8;
		if (words == 0)
			break;
		for (uint64_t k = 0; k < words; k++) {
			uint64_t v;
			memcpy(&v, d + 8 * k, 8);
			if (v < 4096)
				continue;
			uint64_t x = a + 8 * k;
			if (bitmap) {
				uint64_t i = (x - addr) / 8;
				if (i >= nbits || !(bitmap[i / 8] >> (i % 8) & 1))
					continue;
			}
			mark_word(m, v, x);
		}
		a += words * 8;
	}
}

/* scan with the bitmap of up to 64 words in bits (bit i: the word at addr + 8i). */
static void scan_bits(struct marker *m, uint64_t addr, uint64_t len, uint64_t bits)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(bits >> (8 * i));
	scan(m, addr, len < 512 ? len : 512, b, 64);
}

/* The type descriptor at typ's ptrdata and the address of its pointer
 * bitmap (gcdata, or for a bitmap built on demand where the runtime
 * stored it).  False for a type whose bitmap is a GC program (before
 * 1.24), one not built yet, or an unreadable descriptor. */
static bool type_gcmask(const struct gc_addrspace *as, int minor, uint64_t typ,
			uint64_t *ptrdata, uint64_t *gcdata)
{
	uint8_t tflag, kind;
	if (!typ || !gc_addrspace_u64(as, typ + 8, ptrdata) ||
	    !gc_addrspace_u8(as, typ + 20, &tflag) || !gc_addrspace_u8(as, typ + 23, &kind) ||
	    !gc_addrspace_u64(as, typ + 32, gcdata) || !*gcdata || *ptrdata % 8)
		return false;
	if (minor < 24 && (kind & 0x40))
		return false;
	/* On demand: gcdata is the slot where the runtime keeps the bitmap
	 * once a GC has built it (runtime/type.go getGCMaskOnDemand). */
	if (minor >= 24 && (tflag & 0x10) && !gc_addrspace_u64(as, *gcdata, gcdata))
		return false;
	return *gcdata != 0;
}

/* The pointer bitmap of the type at typ (see read_ptrmask), cached. */
static const struct tinfo *type_info(struct marker *m, uint64_t typ)
{
	struct tinfo *t = &m->tcache[(typ >> 3) % TCACHE];
	if (t->type == typ)
		return t;
	*t = (struct tinfo){typ, 0, 0, NULL};
	uint64_t size, ptrdata, gcdata;
	if (!gc_addrspace_u64(m->as, typ, &size) || size < 8 ||
	    !type_gcmask(m->as, m->minor, typ, &ptrdata, &gcdata) || ptrdata == 0 ||
	    ptrdata > size)
		return t;
	size_t n;
	uint64_t need = (ptrdata / 8 + 7) / 8;
	const uint8_t *bits = gc_addrspace_span(m->as, gcdata, need, &n);
	if (bits && n >= need) {
		t->size = size;
		t->words = ptrdata / 8;
		t->bits = bits;
	}
	return t;
}

/* The heap object [base, base + size) by the runtime's pointer records
 * (heap.h): false when they cannot be read. */
static bool scan_object_precise(struct marker *m, uint64_t base, uint64_t size)
{
	struct gr_objptrs op;
	gr_heap_object_ptrs(m->h, m->as, base, &op);
	switch (op.kind) {
	case GR_PTRS_NONE:
		return true;
	case GR_PTRS_BITS:
		scan_bits(m, base, size, op.bits);
		return true;
	case GR_PTRS_TYPE: {
		const struct tinfo *t = type_info(m, op.type);
		if (!t->bits || op.start >= base + size)
			return false;
		/* The type's bitmap tiles the object (mbitmap.go typePointers). */
		for (uint64_t e = op.start; e < base + size && e >= op.start; e += t->size) {
			uint64_t len = base + size - e < t->words * 8 ? base + size - e : t->words * 8;
			scan(m, e, len, t->bits, t->words);
		}
		return true;
	}
	case GR_PTRS_ARENA:
		for (uint64_t k = 0; 512 * k < size; k++) {
			uint64_t bits;
			if (!gr_heap_arena_bits(m->h, m->as, &op, k, &bits)) {
				scan(m, base + 512 * k, size - 512 * k, NULL, 0);
				return true;  /* the rest word by word */
			}
			scan_bits(m, base + 512 * k, size - 512 * k, bits);
		}
		return true;
	default:
		return false;
	}
}

/* Scans the heap object [base, base + size): a hidden sudog without its
 * hidden field, a typed object with its type's bitmap, else by the
 * runtime's pointer records where they can be read, else every word. */
static void scan_object(struct marker *m, uint64_t base, uint64_t size)
{
	uint64_t h = m->nhidden ? hidden_at(m, base) : 0;
	if (h) {
		uint64_t off = (h & HIDE_C) ? m->c_off : m->elem_off;
		uint64_t len = (h & HIDE_C) ? m->c_size : m->elem_size;
		struct gr_objptrs op = {0};
		uint64_t bits = 0;
		if (m->precise_heap && size <= 512)
			gr_heap_object_ptrs(m->h, m->as, base, &op);
		if (op.kind == GR_PTRS_BITS)
			bits = op.bits;
		else if (op.kind == GR_PTRS_ARENA && !gr_heap_arena_bits(m->h, m->as, &op, 0, &bits))
			op.kind = GR_PTRS_UNKNOWN;
		if ((op.kind == GR_PTRS_BITS || op.kind == GR_PTRS_ARENA) && off % 8 == 0 &&
		    len > 0 && len <= 64 && off + len <= 512) {
			uint64_t words = (len + 7) / 8;
			scan_bits(m, base, size, bits & ~((((uint64_t)1 << words) - 1) << (off / 8)));
			m->heap_precise++;
			return;
		}
		if (off < size) {
			scan(m, base, off, NULL, 0);
			if (off + len < size)
				scan(m, base + off + len, size - off - len, NULL, 0);
			m->heap_words++;
			return;
		}
	}
	size_t lo = tagged_lower_bound(m->typed, m->ntyped, base);
	uint64_t t = lo < m->ntyped ? m->typed[lo] : 0, addr = t & ~(uint64_t)7;
	if (t && addr < base + size) {
		const struct ptrmask *pm = &m->types[t & 7];
		uint64_t len = pm->words * 8;
		if (addr + len > base + size)
			len = base + size - addr;
		scan(m, base, addr - base, NULL, 0);  /* a malloc header */
		scan(m, addr, len, pm->bits, pm->words);
		m->heap_precise++;
		return;
	}
	if (m->precise_heap && scan_object_precise(m, base, size)) {
		m->heap_precise++;
		return;
	}
	m->heap_words++;
	scan(m, base, size, NULL, 0);
}

/* Scans the marked objects on the mark stack until it is empty. */
static void pop_all(struct marker *m, const struct gr_heap *h)
{
	while (m->sp > 0) {
		struct item it = m->stack[--m->sp];
		uint64_t idx, base, size;
		bool noscan;
		if (!gr_heap_object(h, it.base, &idx, &base, &size, &noscan) || bit(m->scanned, idx))
			continue;
		set_bit(m->scanned, idx);
		m->ctx_base = it.base;
		scan_object(m, it.base, it.size);
	}
}

static void drain(struct marker *m, const struct gr_heap *h)
{
	m->ctx = (struct gr_holder){GR_HELD_BY_OBJECT, 0, 0};
	for (pop_all(m, h); m->overflow; pop_all(m, h)) {
		/* The stack overflowed: scan what is marked and not scanned. */
		m->overflow = false;
		for (size_t s = 0; s < gr_heap_nspans(h); s++) {
			const struct gr_span *sp = gr_heap_span(h, s);
			uint64_t nobj = (sp->limit - sp->base) / sp->elemsize;
			for (uint64_t k = 0; k < nobj; k++) {
				uint64_t idx = sp->first + k;
				if (!bit(m->mark, idx) || bit(m->scanned, idx))
					continue;
				set_bit(m->scanned, idx);
				m->ctx_base = sp->base + k * sp->elemsize;
				scan_object(m, sp->base + k * sp->elemsize, sp->elemsize);
				pop_all(m, h);
			}
		}
	}
}

/* ---- roots ---- */

static uint64_t u64(const struct gc_addrspace *as, uint64_t addr)
{
	uint64_t v;
	return gc_addrspace_u64(as, addr, &v) ? v : 0;
}

/* data and bss of every module, with the GC's pointer bitmaps
 * (moduledata.gcdatamask, gcbssmask: one bit per word). */
static bool scan_globals(const struct gr_process *p, struct marker *m)
{
	const struct gr_layouts *l = p->layouts;
	static const char *const f[][3] = {
		{"data", "edata", "gcdatamask"},
		{"bss", "ebss", "gcbssmask"},
	};
	bool precise = true;
	uint64_t next_off;
	bool have_next = gr_layouts_offset(l, "runtime.moduledata", "next", &next_off);
	uint64_t md = p->moduledata;
	m->ctx = (struct gr_holder){GR_HELD_BY_GLOBAL, 0, 0};
	for (unsigned k = 0; md && k < MAX_MODULES; k++) {
		for (int r = 0; r < 2; r++) {
			uint64_t o_lo, o_hi, o_n, o_bytes;
			if (!gr_layouts_offset(l, "runtime.moduledata", f[r][0], &o_lo) ||
			    !gr_layouts_offset(l, "runtime.moduledata", f[r][1], &o_hi))
				continue;
			uint64_t lo = u64(m->as, md + o_lo), hi = u64(m->as, md + o_hi);
			if (hi < lo || hi - lo > ((uint64_t)MAX_BITMAP_BYTES << 6)) {
				m->cut = true;  /* globals not scanned */
				continue;
			}
			if (hi == lo)
				continue;
			char path[32];
			snprintf(path, sizeof(path), "%s.n", f[r][2]);
			bool have = gr_layouts_offset(l, "runtime.moduledata", path, &o_n);
			snprintf(path, sizeof(path), "%s.bytedata", f[r][2]);
			have = have && gr_layouts_offset(l, "runtime.moduledata", path, &o_bytes);
			uint32_t nbits = 0;
			uint64_t bytes = have ? u64(m->as, md + o_bytes) : 0;
			uint8_t *bitmap = NULL;
			if (have && gc_addrspace_u32(m->as, md + o_n, &nbits) && bytes &&
			    nbits <= (hi - lo) / 8 + 64) {
				bitmap = malloc(nbits / 8 + 1);
				if (!bitmap)
					m->nomem = true;
				if (bitmap && gc_addrspace_read(m->as, bytes, bitmap, (nbits + 7) / 8) !=
						      GC_READ_OK) {
					free(bitmap);
					bitmap = NULL;
				}
			}
			if (bitmap) {
				scan(m, lo, hi - lo, bitmap, nbits);
				free(bitmap);
			} else {
				precise = false;
				scan(m, lo, hi - lo, NULL, 0);
			}
		}
		md = have_next ? u64(m->as, md + next_off) : 0;
	}
	if (md)
		m->cut = true;  /* more than MAX_MODULES modules */
	return precise;
}

/* The lowest of g's known stack pointers that lies in its stack. */
static uint64_t stack_low(const struct gr_process *p, const struct gr_goroutine *g)
{
	uint64_t lo = g->stack_hi;
	uint64_t cand[3] = {g->sched_sp, g->syscallsp, 0};
	const struct gr_thread *t = gr_process_thread_of(p, g);
	if (t && t->core)
		cand[2] = gr_image_thread_sp(p->img, t->core);
	for (int i = 0; i < 3; i++)
		if (cand[i] >= g->stack_lo && cand[i] < g->stack_hi && cand[i] < lo)
			lo = cand[i];
	/* Running with no thread, or sp unknown: the whole stack. */
	return lo == g->stack_hi ? g->stack_lo : lo;
}

/* ---- stacks, with the compiler's stack maps ---- */

#define ARGS_SIZE_UNKNOWN INT32_MIN  /* abi.ArgsSizeUnknown: assembly */

/* The bitmap of entry idx of the stackmap at addr ({n, nbit int32; the
 * bitmaps, (nbit + 7) / 8 bytes each}), read in place: *bits (NULL when
 * nbit is 0) and nbit in *nbit.  False when unreadable or idx is out of
 * range. */
static bool stackmap(const struct gc_addrspace *as, uint64_t addr, int32_t idx,
		     const uint8_t **bits, uint32_t *nbit)
{
	*bits = NULL;
	const uint8_t *h = gc_addrspace_ptr(as, addr, 8);
	if (!h)
		return false;
	int32_t n, nb;
	memcpy(&n, h, 4);
	memcpy(&nb, h + 4, 4);
	if (n <= 0 || nb < 0 || nb > (1 << 24))
		return false;
	*nbit = (uint32_t)nb;
	if (nb == 0)
		return true;
	if (idx < 0 || idx >= n)
		return false;
	uint64_t len = ((uint64_t)nb + 7) / 8;
	*bits = gc_addrspace_ptr(as, addr + 8 + (uint64_t)idx * len, len);
	return *bits != NULL;
}

struct stack_walk {
	const struct gr_process *p;
	struct marker *m;
	const struct gr_goroutine *g;
	uint64_t done;         /* [g->stack_lo..done) is handled */
	bool callee_unknown;   /* the last frame's arguments were not described */
	bool stop;             /* a frame the maps cannot describe: the rest conservatively */
};

/* Scans one frame as the runtime's GC does (stkframe.go getStackMap): the
 * locals' bitmap below varp and the arguments' bitmap at argp, chosen by
 * the PCDATA_StackMapIndex at the call.  False when the frame cannot be
 * described so (assembly, no maps, stack objects, an interrupted frame):
 * the caller then scans it word by word. */
static bool scan_frame_precise(struct stack_walk *w, const struct gr_frame *fr)
{
	const struct gr_process *p = w->p;
	const struct gr_arch *a = p->img->arch;
	const struct gopclntab *t = p->pcln;
	const struct gopclntab_func *f = &fr->fn;
	uint64_t addr;
	if (fr->trap || f->args == ARGS_SIZE_UNKNOWN || f->args < 0 ||
	    strncmp(f->name, "reflect.", 8) == 0 ||
	    gopclntab_funcdata(t, f, GOPCLNTAB_FUNCDATA_STACKOBJECTS, &addr))
		return false;
	uint64_t targetpc = fr->pc;
	int32_t idx = -1;
	if (targetpc != f->entry && !gopclntab_pcdata(t, f, GOPCLNTAB_PCDATA_STACKMAPINDEX,
						       targetpc - 1, &idx))
		idx = -1;
	if (idx == -1)
		idx = 0;
	bool lr = gr_arch_uses_lr(a);
	uint64_t varp = fr->fp - (lr ? 0 : 8);
	/* A saved frame pointer below the return address (amd64, arm64). */
	if (varp > fr->sp && (a->elf_machine == 62 || a->elf_machine == 183))
		varp -= 8;
	uint64_t size = varp - fr->sp;
	uint64_t minsize = a->elf_machine == 183 ? a->stack_align : a->min_frame_size;
	const uint8_t *lbits = NULL, *abits = NULL;
	uint32_t lnbit = 0, anbit = 0;
	if (size > minsize &&
	    (!gopclntab_funcdata(t, f, GOPCLNTAB_FUNCDATA_LOCALSPOINTERMAPS, &addr) ||
	     !stackmap(w->m->as, addr, idx, &lbits, &lnbit) || (uint64_t)lnbit * 8 > size))
		return false;
	uint64_t argp = fr->fp + a->min_frame_size;
	if (f->args > 0 &&
	    (!gopclntab_funcdata(t, f, GOPCLNTAB_FUNCDATA_ARGSPOINTERMAPS, &addr) ||
	     !stackmap(w->m->as, addr, idx, &abits, &anbit) ||
	     (uint64_t)anbit * 8 > (uint64_t)f->args))
		return false;
	if (lbits)
		scan(w->m, varp - (uint64_t)lnbit * 8, (uint64_t)lnbit * 8, lbits, lnbit);
	if (abits)
		scan(w->m, argp, (uint64_t)anbit * 8, abits, anbit);
	return true;
}

static bool stack_frame(void *ctx, const struct gr_frame *fr)
{
	struct stack_walk *w = ctx;
	const struct gr_goroutine *g = w->g;
	/* Only the goroutine's own stack, frames in order. */
	if (fr->sp < w->done || fr->sp >= g->stack_hi || fr->fp < fr->sp || fr->fp > g->stack_hi) {
		w->stop = true;
		return false;
	}
	/* The gap between the last frame and this one (none normally). */
	if (fr->sp > w->done)
		scan(w->m, w->done, fr->sp - w->done, NULL, 0);
	/* A frame whose callee's arguments were not described is scanned
	 * whole: they lie at its bottom. */
	if (w->callee_unknown || !scan_frame_precise(w, fr)) {
		scan(w->m, fr->sp, fr->fp - fr->sp, NULL, 0);
		w->callee_unknown = true;
		w->m->frames_words++;
	} else {
		w->callee_unknown = false;
		w->m->frames_precise++;
	}
	w->done = fr->fp;
	return true;
}

/* A root goroutine's stack.  A parked or runnable one is walked frame by
 * frame and each frame scanned with its stack maps where it has them; a
 * running one (its innermost frame may be anywhere), one in a system call
 * and whatever a walk cannot reach are scanned word by word from the
 * lowest stack pointer known. */
static void scan_stack(const struct gr_process *p, struct marker *m, const struct gr_goroutine *g)
{
	if (g->stack_hi <= g->stack_lo || g->stack_hi - g->stack_lo > (1ull << 31))
		return;
	m->ctx = (struct gr_holder){GR_HELD_BY_STACK, g->goid, 0};
	uint64_t lo = stack_low(p, g);
	uint32_t st = g->status & ~(uint32_t)GR_GSCAN;
	if ((st != GR_GWAITING && st != GR_GRUNNABLE && st != GR_GLEAKED) ||
	    gr_process_thread_of(p, g) || g->sched_sp != lo) {
		scan(m, lo, g->stack_hi - lo, NULL, 0);
		return;
	}
	struct stack_walk w = {.p = p, .m = m, .g = g, .done = lo};
	unsigned flags = gr_unwind(p, g, GR_MAX_PHYSICAL_FRAMES, stack_frame, &w, NULL);
	(void)flags;
	/* What no frame described: conservatively (the outermost frame's
	 * arguments, or all that follows a frame the walk could not take). */
	if (w.done < g->stack_hi)
		scan(m, w.done, g->stack_hi - w.done, NULL, 0);
}

/* Each thread's registers, and the stack sp lies in from sp up: its
 * goroutine's, or the system stack (g0, gsignal) of an M that runs one (a
 * goroutine in a systemstack call, a signal handler).  An idle M's system
 * stack holds the scheduler's frames, nothing of a goroutine's: like the
 * runtime's GC, the walk leaves it out. */
static void scan_threads(const struct gr_process *p, struct marker *m)
{
	const struct gr_image *img = p->img;
	m->ctx = (struct gr_holder){GR_HELD_BY_THREAD, 0, 0};
	/* Registers count where they can hold a live pointer: on a thread
	 * running Go code (its goroutine _Grunning, stopped anywhere), or a
	 * thread gocore does not know as an M.  An idle M (no goroutine) or
	 * one whose goroutine is in a system call or C code is at a call,
	 * and Go's internal ABI keeps no value across a call in a register:
	 * what its registers hold is stale, as the runtime's GC (which never
	 * scans registers) treats it. */
	for (size_t i = 0; i < img->nthreads; i++) {
		const struct gr_thread *t = NULL;
		for (size_t k = 0; k < gr_process_nthreads(p) && !t; k++)
			if (gr_process_thread(p, k)->core == &img->threads[i])
				t = gr_process_thread(p, k);
		if (t && t->m) {
			uint32_t st = 0;
			if (!t->curg || p->go.atomicstatus == NO_OFF ||
			    !gc_addrspace_u32(m->as, t->curg + p->go.atomicstatus, &st) ||
			    (st & ~(uint32_t)GR_GSCAN) != GR_GRUNNING)
				continue;
		}
		for (unsigned r = 0; r < img->arch->nregs && r < GR_REGS_MAX; r++) {
			m->ctx.goid = (uint64_t)img->threads[i].lwp;
			mark_ptr(m, img->threads[i].regs.r[r]);
		}
	}
	for (size_t i = 0; i < gr_process_nthreads(p); i++) {
		const struct gr_thread *t = gr_process_thread(p, i);
		if (!t->core || !t->curg)
			continue;
		uint64_t sp = gr_image_thread_sp(img, t->core);
		uint64_t gs[3] = {t->curg, t->g0, t->gsignal};
		for (int k = 0; k < 3; k++) {
			if (!gs[k])
				continue;
			uint64_t lo = u64(m->as, gs[k] + p->go.stack_lo),
				 hi = u64(m->as, gs[k] + p->go.stack_hi);
			if (sp >= lo && sp < hi && hi - sp <= (1ull << 31)) {
				scan(m, sp, hi - sp, NULL, 0);
				break;
			}
		}
	}
}

/* The span specials the runtime's GC marks from (markrootSpans): what a
 * finalizer's or a cleanup's record points to (the function and its
 * closure), and what a finalized object points to (not the object
 * itself).  Every record's words after its header are scanned, whatever
 * its kind (a weak handle too: more kept, never less); the finalizer's
 * kind is 1 up to Go 1.23 and 2 from 1.25 (_KindSpecialTinyBlock came
 * first), both taken in 1.24. */
#define MAX_SPECIALS (1u << 24)
static void scan_specials(const struct gr_process *p, const struct gr_layouts *l,
			  struct marker *m)
{
	uint64_t off_offset = 8, off_kind = p->minor >= 24 ? 16 : 10, hdr = p->minor >= 24 ? 24 : 16;
	{
		const struct gr_struct *st = gr_layouts_struct(l, "runtime.special");
		uint64_t o;
		if (st && st->size >= 16 && st->size <= 64) {
			hdr = st->size;
			if (gr_layouts_offset(l, "runtime.special", "offset", &o))
				off_offset = o;
			if (gr_layouts_offset(l, "runtime.special", "kind", &o))
				off_kind = o;
		}
	}
	size_t budget = MAX_SPECIALS;
	m->ctx = (struct gr_holder){GR_HELD_BY_FINALIZER, 0, 0};
	for (size_t i = 0; i < gr_heap_nspans(m->h); i++) {
		const struct gr_span *sp = gr_heap_span(m->h, i);
		uint64_t x = sp->specials;
		for (; x && budget; budget--) {
			uint16_t offset = 0;
			uint8_t kind = 0;
			uint64_t next;
			if (!gc_addrspace_u64(m->as, x, &next))
				break;
			uint64_t w = u64(m->as, x + off_offset);
			offset = (uint16_t)w;
			gc_addrspace_u8(m->as, x + off_kind, &kind);
			scan(m, x + hdr, 32, NULL, 0);
			bool finalizer = p->minor <= 23 ? kind == 1 : p->minor == 24 ? kind == 1 || kind == 2
											: kind == 2;
			uint64_t obj = sp->base + offset, idx, base, size;
			bool noscan;
			if (finalizer && gr_heap_object(m->h, obj, &idx, &base, &size, &noscan) && !noscan)
				scan_object(m, base, size);
			x = next;
		}
		if (x)
			m->cut = true;  /* specials left unscanned */
	}
}

/* ---- typed objects ---- */

/* The pointer bitmap of the type descriptor at typ: ptrdata at +8, tflag
 * at +20, kind at +23, gcdata at +32 (rtype and abi.Type alike, 1.18-1.27).
 * A large type's bitmap is built on demand (TFlagGCMaskOnDemand, 1.24+):
 * gcdata then points to where the runtime stored it once built.  False
 * for a type whose bitmap is a GC program (kindGCProg, before 1.24) or not
 * built yet. */
static bool read_ptrmask(const struct gc_addrspace *as, int minor, uint64_t typ, uint64_t size,
			 struct ptrmask *pm, bool *nomem)
{
	uint64_t ptrdata, gcdata;
	if (!type_gcmask(as, minor, typ, &ptrdata, &gcdata) || ptrdata > size)
		return false;
	pm->words = ptrdata / 8;
	pm->bits = malloc(pm->words / 8 + 1);
	if (!pm->bits) {
		*nomem = true;
		return false;
	}
	if (gc_addrspace_read(as, gcdata, pm->bits, (pm->words + 7) / 8) != GC_READ_OK) {
		free(pm->bits);
		pm->bits = NULL;
		return false;
	}
	return true;
}

static int by_word(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool add_typed(struct marker *m, size_t *cap, uint64_t addr, uint32_t type)
{
	if (!addr || addr % 8 || !m->types[type].bits)
		return true;
	if (m->ntyped == *cap) {
		size_t nc = *cap ? 2 * *cap : 1024;
		uint64_t *v = realloc(m->typed, nc * sizeof(*v));
		if (!v)
			return false;
		m->typed = v;
		*cap = nc;
	}
	m->typed[m->ntyped++] = addr | type;
	return true;
}

/* The runtime's Ps (allp), Gs (allgs) and Ms (allm) and their types'
 * bitmaps.  Without a bitmap, objects are scanned word by word. */
static struct gc_error *learn_typed(const struct gr_process *p, struct marker *m)
{
	static const char *const names[3] = {"runtime.p", "runtime.g", "runtime.m"};
	struct gr_layouts *l = NULL;
	struct gc_error *err = gr_learn_more_layouts(p, names, 3, true, &l);
	if (err) {
		if (err == &gc_error_nomem)
			return err;
		gc_error_destroy(err);
		return NULL;
	}
	for (int i = 0; i < 3; i++) {
		const struct gr_struct *st = gr_layouts_struct(l, names[i]);
		if (st)
			read_ptrmask(m->as, p->minor, st->type_addr, st->size, &m->types[i], &m->nomem);
	}
	gr_layouts_destroy(l);
	size_t cap = 0;
	uint64_t ptr, len;
	if (p->glob.allp && gc_addrspace_u64(m->as, p->glob.allp, &ptr) &&
	    gc_addrspace_u64(m->as, p->glob.allp + 8, &len) && len <= (1u << 16))
		for (uint64_t i = 0; i < len; i++)
			if (!add_typed(m, &cap, u64(m->as, ptr + 8 * i), 0))
				return &gc_error_nomem;
	for (size_t i = 0; i < gr_process_ngoroutines(p); i++)
		if (!add_typed(m, &cap, gr_process_goroutine(p, i)->addr, 1))
			return &gc_error_nomem;
	for (size_t i = 0; i < gr_process_nthreads(p); i++)
		if (!add_typed(m, &cap, gr_process_thread(p, i)->m, 2))
			return &gc_error_nomem;
	if (m->ntyped)
		qsort(m->typed, m->ntyped, sizeof(*m->typed), by_word);
	return NULL;
}

/* The arenas' bitmaps (Go 1.18-1.21) are trusted when they agree with
 * what the types say of the runtime's Gs: the pointer bits of each g's
 * words up to its type's ptrdata (up to MAX_ARENA_CHECKS of them).  When
 * one disagrees, or none can be checked, they are not used. */
#define MAX_ARENA_CHECKS 64
static void check_arenas(const struct gr_process *p, struct gr_heap *h, struct marker *m)
{
	size_t found, total;
	gr_heap_arena_count(h, &found, &total);
	if (!found)
		return;
	const struct ptrmask *pm = &m->types[1];
	unsigned checked = 0;
	bool ok = pm->bits != NULL;
	for (size_t i = 0; ok && i < gr_process_ngoroutines(p) && checked < MAX_ARENA_CHECKS; i++) {
		uint64_t g = gr_process_goroutine(p, i)->addr, idx, base, size;
		bool noscan;
		struct gr_objptrs op;
		if (!gr_heap_object(h, g, &idx, &base, &size, &noscan) || base != g)
			continue;
		gr_heap_object_ptrs(h, m->as, base, &op);
		if (op.kind != GR_PTRS_ARENA)
			continue;
		for (uint64_t k = 0; ok && 64 * k < pm->words; k++) {
			uint64_t bits, want = 0;
			if (!gr_heap_arena_bits(h, m->as, &op, k, &bits)) {
				ok = false;
				break;
			}
			for (uint64_t j = 0; j < 64 && 64 * k + j < pm->words; j++)
				want |= (uint64_t)(pm->bits[(64 * k + j) / 8] >> ((64 * k + j) % 8) & 1) << j;
			uint64_t n = pm->words - 64 * k, mask = n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
			ok = (bits & mask) == want;
		}
		checked++;
	}
	if (!ok || !checked)
		gr_heap_forget_arenas(h);
}

/* ---- the walk ---- */

static int by_obj(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return x->obj < y->obj ? -1 : x->obj > y->obj;
}

static void marker_free(struct marker *m)
{
	free(m->tcache);
	free(m->mark);
	free(m->scanned);
	free(m->stack);
	free(m->hidden);
	free(m->typed);
	free(m->watched);
	free(m->woken);
	for (int i = 0; i < 3; i++)
		free(m->types[i].bits);
}

static bool grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t nc = *cap ? *cap : 1024;
	while (nc < need)
		nc *= 2;
	void *x = realloc(*v, nc * elem);
	if (!x)
		return false;
	*v = x;
	*cap = nc;
	return true;
}

static bool chan_kind(enum gr_wait_kind k)
{
	return k == GR_WAIT_CHAN_RECV || k == GR_WAIT_CHAN_SEND || k == GR_WAIT_SELECT;
}

/* The candidates: what each waits on (pairs of heap object and
 * goroutine), the sudogs whose hold is hidden, and the verdicts of the
 * others. */
static struct gc_error *read_candidates(struct gr_leaks *l, struct marker *m,
					struct pair **pairs_ret, size_t *npairs_ret)
{
	const struct gr_process *p = l->p;
	struct pair *pairs = NULL;
	size_t npairs = 0, cap = 0, hcap = 0;
	struct gr_wait w;
	for (size_t k = 0; k < l->n; k++) {
		const struct gr_goroutine *g = &p->gs[k];
		gr_waits_read(l->waits, l->heap, g, &w);
		uint8_t *v = &l->verdict[k];
		if (w.kind == GR_WAIT_SELECT_NO_CASES)
			*v |= V_NOCASES;
		if (w.kind == GR_WAIT_SELECT_NO_CASES || w.kind == GR_WAIT_NIL_CHAN)
			*v |= V_CERTAIN;
		if (!w.candidate) {
			*v |= GR_LEAK_RUNNABLE | V_ROOT;
			continue;
		}
		l->st.candidates++;
		if (!w.found || w.truncated) {
			*v |= GR_LEAK_UNDECIDED | V_ROOT;
			continue;
		}
		*v |= GR_LEAK_LEAKED;
		for (size_t i = 0; i < w.nobjs; i++) {
			const struct gr_wait_obj *o = &w.objs[i];
			if (o->sudog) {
				if (!grow((void **)&m->hidden, &hcap, m->nhidden + 1, sizeof(*m->hidden)))
					goto nomem;
				m->hidden[m->nhidden++] = o->sudog | (chan_kind(w.kind) ? HIDE_C : HIDE_ELEM);
			}
			uint64_t idx, base, size;
			bool noscan;
			if (!gr_heap_object(l->heap, o->addr, &idx, &base, &size, &noscan) ||
			    idx > UINT32_MAX) {
				*v |= V_ROOT;  /* not in the heap: reachable by definition */
				continue;
			}
			if (!grow((void **)&pairs, &cap, npairs + 1, sizeof(*pairs)))
				goto nomem;
			pairs[npairs++] = (struct pair){(uint32_t)idx, (uint32_t)k};
		}
		if (*v & V_ROOT)
			*v = (uint8_t)((*v & ~V_MASK) | GR_LEAK_LIVE);
	}
	if (m->nhidden)
		qsort(m->hidden, m->nhidden, sizeof(*m->hidden), by_word);
	if (npairs)
		qsort(pairs, npairs, sizeof(*pairs), by_obj);
	*pairs_ret = pairs;
	*npairs_ret = npairs;
	return NULL;
nomem:
	free(pairs);
	return &gc_error_nomem;
}

struct gc_error *gr_leaks_find(const struct gr_process *p, unsigned flags, struct gr_leaks **ret)
{
	*ret = NULL;
	struct gr_leaks *l = calloc(1, sizeof(*l));
	if (!l)
		return &gc_error_nomem;
	l->p = p;
	struct gc_error *err;
	struct marker m = {0};
	struct pair *pairs = NULL;
	size_t npairs = 0;
	struct gr_layouts *more = NULL;
	/* Every layout the walk needs, in one read of DWARF or the type
	 * descriptors. */
	static const char *const names[] = {"runtime.mspan", "runtime.special", "runtime.mheap",
					    "runtime.heapArena",
					    GR_WAITS_LAYOUTS};
	if ((err = gr_learn_more_layouts(p, names, sizeof(names) / sizeof(names[0]), false,
					 &more)) ||
	    (err = gr_heap_open(p, more, &l->heap)) || (err = gr_waits_open(p, more, &l->waits)))
		goto fail;
	l->n = p->ngs;
	l->verdict = calloc(l->n ? l->n : 1, 1);
	uint64_t nobj = gr_heap_nobjects(l->heap);
	m.h = l->heap;
	m.as = p->img->memory;
	m.minor = p->minor;
	gr_waits_sudog_hidden(l->waits, &m.elem_off, &m.elem_size, &m.c_off, &m.c_size);
	m.mark = calloc(nobj / 64 + 1, 8);
	m.scanned = calloc(nobj / 64 + 1, 8);
	m.stack = malloc(STACK_ITEMS * sizeof(*m.stack));
	m.tcache = p->minor >= 22 ? calloc(TCACHE, sizeof(*m.tcache)) : NULL;
	if (!l->verdict || !m.mark || !m.scanned || !m.stack || (p->minor >= 22 && !m.tcache)) {
		err = &gc_error_nomem;
		goto fail;
	}
	if ((err = learn_typed(p, &m)) || (err = read_candidates(l, &m, &pairs, &npairs)))
		goto fail;
	check_arenas(p, l->heap, &m);
	m.precise_heap = true;
	m.watched = calloc(nobj / 64 + 1, 8);
	m.woken = malloc((npairs ? npairs : 1) * sizeof(*m.woken));
	if (!m.watched || !m.woken) {
		err = &gc_error_nomem;
		goto fail;
	}
	for (size_t k = 0; k < npairs; k++)
		set_bit(m.watched, pairs[k].obj);
	m.wpairs = pairs;
	m.nwpairs = npairs;
	if (flags & GR_LEAKS_HOLDERS) {
		l->holders = calloc(npairs ? npairs : 1, sizeof(*l->holders));
		if (!l->holders) {
			err = &gc_error_nomem;
			goto fail;
		}
		m.holders = l->holders;
		l->from = calloc(nobj ? nobj : 1, sizeof(*l->from));
		l->stacks = malloc((l->n ? l->n : 1) * sizeof(*l->stacks));
		if (!l->from || !l->stacks) {
			err = &gc_error_nomem;
			goto fail;
		}
		m.from = l->from;
		for (size_t k = 0; k < l->n; k++)
			if (p->gs[k].stack_hi > p->gs[k].stack_lo)
				l->stacks[l->nstacks++] = (struct stackidx){p->gs[k].stack_lo,
									    p->gs[k].stack_hi, p->gs[k].goid};
		if (l->nstacks)
			qsort(l->stacks, l->nstacks, sizeof(*l->stacks), by_word);
	}
	/* Roots. */
	l->st.globals_precise = scan_globals(p, &m);
	scan_threads(p, &m);
	scan_specials(p, more, &m);
	for (size_t k = 0; k < l->n; k++)
		if (l->verdict[k] & V_ROOT)
			scan_stack(p, &m, &p->gs[k]);
	/* Mark; wake the candidates whose object got marked; again. */
	/* Each watched object is marked once, so each pair is looked at
	 * once: linear however long the chains of wake-ups. */
	uint64_t *woken = malloc((npairs ? npairs : 1) * sizeof(*woken));
	if (!woken) {
		err = &gc_error_nomem;
		goto fail;
	}
	for (;;) {
		l->st.rounds++;
		drain(&m, l->heap);
		if (!m.nwoken)
			break;
		/* This batch; scan_stack below marks the next one. */
		uint64_t *batch = m.woken;
		size_t nwoken = m.nwoken;
		m.woken = woken;
		m.nwoken = 0;
		woken = batch;
		for (size_t w = 0; w < nwoken; w++) {
			for (size_t k = first_pair(pairs, npairs, woken[w]); k < npairs && pairs[k].obj == woken[w]; k++) {
				uint8_t *v = &l->verdict[pairs[k].g];
				if (*v & V_ROOT)
					continue;
				*v = (uint8_t)((*v & ~V_MASK) | GR_LEAK_LIVE | V_ROOT);
				scan_stack(p, &m, &p->gs[pairs[k].g]);
			}
		}
	}
	free(woken);
	/* Verdicts.  With memory missing from the core (a truncated one),
	 * spans and objects that hold references may be unseen: only the
	 * waits nothing can end stay leaked. */
	l->st.no_spans = gr_heap_nspans(l->heap) == 0;
	bool incomplete = m.missing || m.cut || p->img->truncated_bytes > 0 || l->st.no_spans;
	for (size_t k = 0; k < l->n; k++) {
		uint8_t *v = &l->verdict[k];
		if ((*v & V_MASK) != GR_LEAK_LEAKED)
			continue;
		/* findGoroutineLeaks: main blocked in select {} is not reported. */
		if (p->gs[k].goid == 1 && (*v & V_NOCASES))
			*v = (uint8_t)((*v & ~V_MASK) | GR_LEAK_LIVE);
		else if (incomplete && !(*v & V_CERTAIN))
			*v = (uint8_t)((*v & ~V_MASK) | GR_LEAK_UNDECIDED);
	}
	/* Without spans every object looked "not in the heap", so reachable:
	 * that proves nothing either. */
	for (size_t k = 0; l->st.no_spans && k < l->n; k++)
		if ((l->verdict[k] & V_MASK) == GR_LEAK_LIVE && !(l->verdict[k] & V_CERTAIN) &&
		    !(p->gs[k].goid == 1 && (l->verdict[k] & V_NOCASES)))
			l->verdict[k] = (uint8_t)((l->verdict[k] & ~V_MASK) | GR_LEAK_UNDECIDED);
	for (size_t k = 0; k < l->n; k++) {
		l->st.leaked += (l->verdict[k] & V_MASK) == GR_LEAK_LEAKED;
		l->st.undecided += (l->verdict[k] & V_MASK) == GR_LEAK_UNDECIDED;
	}
	if (m.nomem || gr_waits_nomem(l->waits)) {
		err = &gc_error_nomem;
		goto fail;
	}
	l->st.spans = gr_heap_nspans(l->heap);
	l->st.objects = nobj;
	l->st.marked = m.marked;
	l->st.missing_bytes = m.missing + p->img->truncated_bytes;
	l->st.typed = m.ntyped;
	l->st.heap_precise = m.heap_precise;
	l->st.heap_words = m.heap_words;
	l->st.frames_precise = m.frames_precise;
	l->st.frames_words = m.frames_words;
	marker_free(&m);
	gr_layouts_destroy(more);
	if (flags & GR_LEAKS_HOLDERS) {
		l->pairs = pairs;
		l->npairs = npairs;
	} else {
		free(pairs);
	}
	*ret = l;
	return NULL;
fail:
	free(pairs);
	marker_free(&m);
	gr_layouts_destroy(more);
	gr_leaks_destroy(l);
	return err;
}

void gr_leaks_destroy(struct gr_leaks *l)
{
	if (!l)
		return;
	gr_heap_destroy(l->heap);
	gr_waits_destroy(l->waits);
	free(l->verdict);
	free(l->pairs);
	free(l->holders);
	free(l->from);
	free(l->stacks);
	free(l);
}

bool gr_leaks_holder(const struct gr_leaks *l, uint64_t addr, struct gr_holder *ret)
{
	uint64_t idx, base, size;
	bool noscan;
	if (!l->holders || !gr_heap_object(l->heap, addr, &idx, &base, &size, &noscan))
		return false;
	size_t lo = first_pair(l->pairs, l->npairs, idx);
	if (lo >= l->npairs || l->pairs[lo].obj != idx || !l->holders[lo].kind)
		return false;
	*ret = l->holders[lo];
	return true;
}

/* The root word at addr (not in the heap): a goroutine's stack, else a
 * global. */
static void root_at(const struct gr_leaks *l, uint64_t addr, struct gr_holder *ret)
{
	size_t lo = 0, hi = l->nstacks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->stacks[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && addr < l->stacks[lo - 1].hi)
		*ret = (struct gr_holder){GR_HELD_BY_STACK, l->stacks[lo - 1].goid, addr};
	else
		*ret = (struct gr_holder){GR_HELD_BY_GLOBAL, 0, addr};
}

#define MAX_CHAIN (1u << 24)

size_t gr_leaks_holder_chain(const struct gr_leaks *l, uint64_t addr, struct gr_holder *root,
			     uint64_t *through, size_t max)
{
	*root = (struct gr_holder){GR_HELD_NONE, 0, 0};
	struct gr_holder h;
	if (!gr_leaks_holder(l, addr, &h))
		return 0;
	if (h.kind != GR_HELD_BY_OBJECT || !l->from) {
		*root = h;
		return 0;
	}
	/* From the holder back to the root: object by object. */
	size_t n = 0;
	uint64_t obj = h.where;
	for (unsigned steps = 0; steps < MAX_CHAIN; steps++) {
		uint64_t idx, base, size;
		bool noscan;
		if (!gr_heap_object(l->heap, obj, &idx, &base, &size, &noscan))
			break;
		if (n < max)
			through[n] = base;
		n++;
		uint64_t f = l->from[idx];
		if (!f)
			break;  /* not known */
		if ((f & 7) == FROM_THREAD) {
			*root = (struct gr_holder){GR_HELD_BY_THREAD, f >> 3, 0};
			break;
		}
		if ((f & 7) == FROM_FINALIZER) {
			*root = (struct gr_holder){GR_HELD_BY_FINALIZER, 0, f & ~(uint64_t)7};
			break;
		}
		if (!gr_heap_object(l->heap, f, &idx, &base, &size, &noscan)) {
			root_at(l, f, root);
			break;
		}
		obj = base;
	}
	/* Root side first. */
	size_t k = n < max ? n : max;
	for (size_t i = 0; i < k / 2; i++) {
		uint64_t t = through[i];
		through[i] = through[k - 1 - i];
		through[k - 1 - i] = t;
	}
	return n;
}

enum gr_leak_verdict gr_leaks_verdict(const struct gr_leaks *l, const struct gr_goroutine *g)
{
	size_t k = (size_t)(g - l->p->gs);
	return k < l->n ? (enum gr_leak_verdict)(l->verdict[k] & V_MASK) : GR_LEAK_RUNNABLE;
}

void gr_leaks_wait(struct gr_leaks *l, const struct gr_goroutine *g, struct gr_wait *r)
{
	gr_waits_read(l->waits, l->heap, g, r);
}

const struct gr_leak_stats *gr_leaks_stats(const struct gr_leaks *l)
{
	return &l->st;
}

const struct gr_waits *gr_leaks_waits(const struct gr_leaks *l)
{
	return l->waits;
}
