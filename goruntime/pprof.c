#include "pprof.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../common/obuf.h"

/* profile.proto field numbers (github.com/google/pprof proto/profile.proto). */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6,
	PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_STR = 2,
	MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9, MAPPING_HAS_INLINE_FRAMES = 10,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};
enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };

/* ---- protobuf encoding, into an obuf ---- */

static void pb_varint(struct obuf *pb, uint64_t v)
{
	uint8_t buf[10];
	size_t n = 0;
	do {
		buf[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
		v >>= 7;
	} while (v);
	ob_mem(pb, buf, n);
}

static void pb_uint(struct obuf *pb, unsigned field, uint64_t v)
{
	pb_varint(pb, (uint64_t)field << 3 | WIRE_VARINT);
	pb_varint(pb, v);
}

static void pb_bytes(struct obuf *pb, unsigned field, const void *data, size_t len)
{
	pb_varint(pb, (uint64_t)field << 3 | WIRE_BYTES);
	pb_varint(pb, len);
	ob_mem(pb, data, len);
}

/* Appends sub as a length-delimited field and empties it for reuse. */
static void pb_msg(struct obuf *pb, unsigned field, struct obuf *sub)
{
	if (sub->failed)
		pb->failed = true;
	pb_bytes(pb, field, sub->p, sub->len);
	sub->len = 0;
}

/* ---- interning: open-addressed index tables ---- */

struct table {
	uint32_t *slots;    /* entry index + 1; 0 empty */
	size_t nslots, n;
};

static uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *s = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	return hash_bytes(h, s, strlen(s) + 1);
}

/* Finds the slot for hash h: the entry for which eq(ctx, index) holds, or
 * the empty slot where it goes.  Grows first (rehashing with hash_of). */
typedef bool eq_fn(const void *ctx, size_t index);
typedef uint64_t hash_of_fn(const void *owner, size_t index);

static uint32_t *table_slot(struct table *t, uint64_t h, eq_fn *eq, const void *ctx,
			    hash_of_fn *hash_of, const void *owner, bool *nomem)
{
	if ((t->n + 1) * 2 > t->nslots) {
		size_t nslots = t->nslots ? 2 * t->nslots : 256;
		uint32_t *slots = calloc(nslots, sizeof(*slots));
		if (!slots) {
			*nomem = true;
			return NULL;
		}
		for (size_t i = 0; i < t->nslots; i++) {
			if (!t->slots[i])
				continue;
			size_t s = hash_of(owner, t->slots[i] - 1) & (nslots - 1);
			while (slots[s])
				s = (s + 1) & (nslots - 1);
			slots[s] = t->slots[i];
		}
		free(t->slots);
		t->slots = slots;
		t->nslots = nslots;
	}
	size_t s = h & (t->nslots - 1);
	while (t->slots[s] && !eq(ctx, t->slots[s] - 1))
		s = (s + 1) & (t->nslots - 1);
	return &t->slots[s];
}

struct location {
	uint64_t pc;
	const struct gr_lframe *lines;   /* innermost first, physical last */
	size_t nlines;
};

struct function {
	const char *name, *sym, *file;
};

struct profile {
	const char **strings;
	size_t nstrings, strings_cap;
	struct table string_tab;
	struct function *funcs;
	size_t nfuncs, funcs_cap;
	struct table func_tab;
	struct location *locs;
	size_t nlocs, locs_cap;
	struct table loc_tab;
	/* The marker frames of cut samples (see encode), owned here. */
	struct gr_lframe *markers[64];
	char *marker_names[64];
	size_t nmarkers;
	bool nomem;
};

/* A sample keeps at most this many innermost and outermost physical frames;
 * the ones between become one location, "...N frames elided...", as the
 * runtime's traceback says it (runtime/pprof's own goroutine profile keeps
 * 32 frames before Go 1.23, 128 after; a stack at the 1 GB limit has
 * millions, which pprof's tools cannot handle). */
#define SAMPLE_KEEP 512

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t c = *cap ? 2 * *cap : 64;
	void *p = realloc(*v, c * size);
	if (!p)
		return false;
	*v = p;
	*cap = c;
	return true;
}

static uint64_t string_hash_of(const void *owner, size_t i)
{
	const struct profile *pr = owner;
	return hash_str(0xcbf29ce484222325ull, pr->strings[i]);
}

struct string_key {
	const struct profile *pr;
	const char *s;
};

static bool string_eq(const void *ctx, size_t i)
{
	const struct string_key *k = ctx;
	return strcmp(k->pr->strings[i], k->s) == 0;
}

/* Index of s in the string table (s must outlive the profile). */
static uint64_t intern(struct profile *pr, const char *s)
{
	struct string_key k = {pr, s};
	uint32_t *slot = table_slot(&pr->string_tab, hash_str(0xcbf29ce484222325ull, s),
				    string_eq, &k, string_hash_of, pr, &pr->nomem);
	if (!slot)
		return 0;
	if (*slot)
		return *slot - 1;
	if (!grow((void **)&pr->strings, &pr->strings_cap, pr->nstrings, sizeof(char *))) {
		pr->nomem = true;
		return 0;
	}
	pr->strings[pr->nstrings] = s;
	*slot = (uint32_t)++pr->nstrings;
	pr->string_tab.n++;
	return pr->nstrings - 1;
}

static uint64_t func_hash(const struct function *f)
{
	uint64_t h = hash_str(0xcbf29ce484222325ull, f->name);
	return hash_str(hash_str(h, f->sym), f->file);
}

static uint64_t func_hash_of(const void *owner, size_t i)
{
	return func_hash(&((const struct profile *)owner)->funcs[i]);
}

struct func_key {
	const struct profile *pr;
	const struct function *f;
};

static bool func_eq(const void *ctx, size_t i)
{
	const struct func_key *k = ctx;
	const struct function *g = &k->pr->funcs[i];
	return !strcmp(g->name, k->f->name) && !strcmp(g->sym, k->f->sym) &&
	       !strcmp(g->file, k->f->file);
}

/* Function id (1-based) of a frame's function. */
static uint64_t function_id(struct profile *pr, const struct gr_lframe *fr)
{
	struct function f = {fr->func, fr->sym, fr->file};
	struct func_key k = {pr, &f};
	uint32_t *slot = table_slot(&pr->func_tab, func_hash(&f), func_eq, &k, func_hash_of, pr,
				    &pr->nomem);
	if (!slot)
		return 0;
	if (*slot)
		return *slot;
	if (!grow((void **)&pr->funcs, &pr->funcs_cap, pr->nfuncs, sizeof(f))) {
		pr->nomem = true;
		return 0;
	}
	pr->funcs[pr->nfuncs] = f;
	*slot = (uint32_t)++pr->nfuncs;
	pr->func_tab.n++;
	return pr->nfuncs;
}

static uint64_t loc_hash(const struct location *l)
{
	uint64_t h = hash_bytes(0xcbf29ce484222325ull, &l->pc, sizeof(l->pc));
	for (size_t i = 0; i < l->nlines; i++) {
		h = hash_str(hash_str(h, l->lines[i].func), l->lines[i].file);
		h = hash_bytes(h, &l->lines[i].line, sizeof(l->lines[i].line));
	}
	return h;
}

static uint64_t loc_hash_of(const void *owner, size_t i)
{
	return loc_hash(&((const struct profile *)owner)->locs[i]);
}

struct loc_key {
	const struct profile *pr;
	const struct location *l;
};

static bool loc_eq(const void *ctx, size_t i)
{
	const struct loc_key *k = ctx;
	const struct location *a = &k->pr->locs[i], *b = k->l;
	if (a->pc != b->pc || a->nlines != b->nlines)
		return false;
	for (size_t j = 0; j < a->nlines; j++)
		if (a->lines[j].line != b->lines[j].line ||
		    strcmp(a->lines[j].func, b->lines[j].func) ||
		    strcmp(a->lines[j].sym, b->lines[j].sym) ||
		    strcmp(a->lines[j].file, b->lines[j].file))
			return false;
	return true;
}

/* Location id (1-based) of one physical frame and its inlined callees.  The
 * same pc normally expands the same way; an asynchronously interrupted
 * frame looks its line up at pc rather than pc-1, so the lines are part of
 * the key. */
static uint64_t location_id(struct profile *pr, const struct gr_lframe *lines, size_t nlines)
{
	struct location l = {lines[0].pc, lines, nlines};
	struct loc_key k = {pr, &l};
	uint32_t *slot = table_slot(&pr->loc_tab, loc_hash(&l), loc_eq, &k, loc_hash_of, pr,
				    &pr->nomem);
	if (!slot)
		return 0;
	if (*slot)
		return *slot;
	if (!grow((void **)&pr->locs, &pr->locs_cap, pr->nlocs, sizeof(l))) {
		pr->nomem = true;
		return 0;
	}
	pr->locs[pr->nlocs] = l;
	*slot = (uint32_t)++pr->nlocs;
	pr->loc_tab.n++;
	return pr->nlocs;
}

static void profile_deinit(struct profile *pr)
{
	free(pr->strings);
	free(pr->string_tab.slots);
	free(pr->funcs);
	free(pr->func_tab.slots);
	free(pr->locs);
	free(pr->loc_tab.slots);
	for (size_t i = 0; i < pr->nmarkers; i++) {
		free(pr->markers[i]);
		free(pr->marker_names[i]);
	}
}

/* The location standing for n elided frames (0 when out of memory; markers
 * for the same n are shared). */
static uint64_t marker_id(struct profile *pr, size_t n)
{
	char name[64];
	snprintf(name, sizeof(name), "...%zu frames elided...", n);
	for (size_t i = 0; i < pr->nmarkers; i++)
		if (!strcmp(pr->marker_names[i], name))
			return location_id(pr, pr->markers[i], 1);
	if (pr->nmarkers == sizeof(pr->markers) / sizeof(pr->markers[0])) {
		/* Many different cuts: the last slot's name is reused. */
		free(pr->marker_names[--pr->nmarkers]);
		free(pr->markers[pr->nmarkers]);
	}
	struct gr_lframe *fr = calloc(1, sizeof(*fr));
	char *s = strdup(name);
	if (!fr || !s) {
		free(fr);
		free(s);
		pr->nomem = true;
		return 0;
	}
	*fr = (struct gr_lframe){.func = s, .sym = s, .file = "", .line = 0, .pc = 0};
	pr->markers[pr->nmarkers] = fr;
	pr->marker_names[pr->nmarkers++] = s;
	return location_id(pr, fr, 1);
}

/* Whether frame k is inlined into frame k+1's physical frame. */
static bool frame_continues(const struct gr_group *gr, size_t k)
{
	const struct gr_lframe *f = gr->frames;
	return f[k].inlined && f[k + 1].pc == f[k].pc && f[k + 1].sp == f[k].sp;
}

/* Encodes the whole profile into out. */
static void encode(const struct gr_groups *groups, const struct gr_pprof_mapping *exe,
		   struct profile *pr, struct obuf *out)
{
	struct obuf sub = {0}, sub2 = {0}, ids = {0};
	intern(pr, "");
	uint64_t goroutine = intern(pr, "goroutine"), count = intern(pr, "count");
	pb_uint(&sub, VALUETYPE_TYPE, goroutine);
	pb_uint(&sub, VALUETYPE_UNIT, count);
	/* the same ValueType twice */
	pb_bytes(out, PROFILE_SAMPLE_TYPE, sub.p, sub.len);
	pb_bytes(out, PROFILE_PERIOD_TYPE, sub.p, sub.len);
	sub.len = 0;
	pb_uint(out, PROFILE_PERIOD, 1);

	for (size_t i = 0; i < groups->n && !pr->nomem; i++) {
		const struct gr_group *gr = &groups->v[i];
		/* Runs of inlined frames end at their physical frame. */
		size_t nphys = 0;
		for (size_t k = 0; k < gr->nframes; k++)
			if (k + 1 == gr->nframes || !frame_continues(gr, k))
				nphys++;
		size_t phys = 0;
		for (size_t k = 0; k < gr->nframes;) {
			size_t end = k;
			while (end + 1 < gr->nframes && frame_continues(gr, end))
				end++;
			if (nphys > 2 * SAMPLE_KEEP && phys >= SAMPLE_KEEP &&
			    phys < nphys - SAMPLE_KEEP) {
				if (phys == SAMPLE_KEEP)
					pb_varint(&ids, marker_id(pr, nphys - 2 * SAMPLE_KEEP));
			} else {
				pb_varint(&ids, location_id(pr, &gr->frames[k], end - k + 1));
			}
			phys++;
			k = end + 1;
		}
		pb_msg(&sub, SAMPLE_LOCATION_ID, &ids);
		pb_varint(&ids, gr->count);
		pb_msg(&sub, SAMPLE_VALUE, &ids);
		for (size_t k = 0; k < gr->labels.n; k++) {
			pb_uint(&sub2, LABEL_KEY, intern(pr, gr->labels.v[k].key));
			pb_uint(&sub2, LABEL_STR, intern(pr, gr->labels.v[k].value));
			pb_msg(&sub, SAMPLE_LABEL, &sub2);
		}
		/* A partial stack is marked in the profile itself. */
		const char *gap = gr_stack_gap(gr->unwind_flags);
		if (gap) {
			pb_uint(&sub2, LABEL_KEY, intern(pr, GR_PPROF_GAP_LABEL));
			pb_uint(&sub2, LABEL_STR, intern(pr, gap));
			pb_msg(&sub, SAMPLE_LABEL, &sub2);
		}
		pb_msg(out, PROFILE_SAMPLE, &sub);
	}

	pb_uint(&sub, MAPPING_ID, 1);
	pb_uint(&sub, MAPPING_MEMORY_START, groups->text_lo);
	pb_uint(&sub, MAPPING_MEMORY_LIMIT, groups->text_hi);
	pb_uint(&sub, MAPPING_FILE_OFFSET, 0);
	pb_uint(&sub, MAPPING_FILENAME, intern(pr, exe && exe->filename ? exe->filename : ""));
	pb_uint(&sub, MAPPING_BUILD_ID, intern(pr, exe && exe->build_id ? exe->build_id : ""));
	pb_uint(&sub, MAPPING_HAS_FUNCTIONS, 1);
	pb_uint(&sub, MAPPING_HAS_FILENAMES, 1);
	pb_uint(&sub, MAPPING_HAS_LINE_NUMBERS, 1);
	pb_uint(&sub, MAPPING_HAS_INLINE_FRAMES, 1);
	pb_msg(out, PROFILE_MAPPING, &sub);

	for (size_t i = 0; i < pr->nlocs && !pr->nomem; i++) {
		const struct location *l = &pr->locs[i];
		pb_uint(&sub, LOCATION_ID, i + 1);
		pb_uint(&sub, LOCATION_MAPPING_ID, 1);
		pb_uint(&sub, LOCATION_ADDRESS, l->pc);
		for (size_t j = 0; j < l->nlines; j++) {
			pb_uint(&sub2, LINE_FUNCTION_ID, function_id(pr, &l->lines[j]));
			pb_uint(&sub2, LINE_LINE, (uint64_t)(int64_t)l->lines[j].line);
			pb_msg(&sub, LOCATION_LINE, &sub2);
		}
		pb_msg(out, PROFILE_LOCATION, &sub);
	}
	for (size_t i = 0; i < pr->nfuncs && !pr->nomem; i++) {
		const struct function *f = &pr->funcs[i];
		pb_uint(&sub, FUNCTION_ID, i + 1);
		pb_uint(&sub, FUNCTION_NAME, intern(pr, f->name));
		pb_uint(&sub, FUNCTION_SYSTEM_NAME, intern(pr, f->sym));
		pb_uint(&sub, FUNCTION_FILENAME, intern(pr, f->file));
		pb_uint(&sub, FUNCTION_START_LINE, 0);
		pb_msg(out, PROFILE_FUNCTION, &sub);
	}
	for (size_t i = 0; i < pr->nstrings; i++)
		pb_bytes(out, PROFILE_STRING_TABLE, pr->strings[i], strlen(pr->strings[i]));
	if (sub.failed || sub2.failed || ids.failed)
		pr->nomem = true;
	ob_free(&sub);
	ob_free(&sub2);
	ob_free(&ids);
}

/* gzip (RFC 1952) of data to out: zlib's deflate with the gzip wrapper. */
static struct gc_error *write_gzip(const uint8_t *data, size_t len, FILE *out)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return &gc_error_nomem;
	uint8_t buf[16384];
	zs.next_in = (Bytef *)data;
	struct gc_error *err = NULL;
	size_t left = len;
	int flush;
	do {
		uInt chunk = left > (1u << 30) ? 1u << 30 : (uInt)left;
		zs.next_in = (Bytef *)data + (len - left);
		zs.avail_in = chunk;
		left -= chunk;
		flush = left ? Z_NO_FLUSH : Z_FINISH;
		int rc;
		do {
			zs.next_out = buf;
			zs.avail_out = sizeof(buf);
			rc = deflate(&zs, flush);
			if (rc == Z_STREAM_ERROR) {
				err = gc_error_create(GC_ERR_FORMAT, "pprof: zlib's deflate failed");
				break;
			}
			size_t have = sizeof(buf) - zs.avail_out;
			if (have && fwrite(buf, 1, have, out) != have) {
				err = gc_error_create(GC_ERR_IO, "writing the profile: %s",
						      strerror(errno));
				break;
			}
		} while (zs.avail_out == 0);
	} while (!err && flush != Z_FINISH);
	deflateEnd(&zs);
	if (!err && ferror(out))
		err = gc_error_create(GC_ERR_IO, "writing the profile failed");
	return err;
}

struct gc_error *gr_write_pprof(const struct gr_groups *groups,
				const struct gr_pprof_mapping *exe, FILE *out)
{
	struct profile pr = {0};
	struct obuf pb = {0};
	encode(groups, exe, &pr, &pb);
	struct gc_error *err = NULL;
	if (pr.nomem || pb.failed)
		err = &gc_error_nomem;
	else
		err = write_gzip((const uint8_t *)pb.p, pb.len, out);
	ob_free(&pb);
	profile_deinit(&pr);
	return err;
}
