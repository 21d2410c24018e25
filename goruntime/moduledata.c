/* Finding runtime.firstmoduledata and reading it by per-version offsets.
 * See moduledata.h. */
#include "moduledata.h"

#include "../common/bytes.h"

#define CHUNK 4096

static bool read_u64(gopclntab_read_fn *read, void *ctx, uint64_t addr, uint64_t *ret)
{
	uint8_t b[8];
	return read(ctx, addr, b, 8) && gc_get_u64(b, 8, 0, ret);
}

struct gc_error *gr_find_moduledata(gopclntab_read_fn *read, void *ctx,
				    uint64_t pclntab, const struct gr_range *ranges,
				    size_t nranges, uint64_t *ret)
{
	*ret = 0;
	uint8_t hdr[40];
	uint32_t magic;
	if (!read(ctx, pclntab, hdr, sizeof(hdr)) || !gc_get_u32(hdr, sizeof(hdr), 0, &magic))
		return gc_error_create(GC_ERR_FORMAT, "pclntab header at 0x%llx is unreadable",
				       (unsigned long long)pclntab);
	/* pcHeader: go1.16-1.17 {magic, pad, minLC, ptrSize, nfunc, nfiles,
	 * funcnameOffset...}; go1.18+ puts textStart before funcnameOffset. */
	uint64_t funcname_off = 0;
	if (magic == 0xfffffffa)
		gc_get_u64(hdr, sizeof(hdr), 24, &funcname_off);
	else if (magic == 0xfffffff0 || magic == 0xfffffff1)
		gc_get_u64(hdr, sizeof(hdr), 32, &funcname_off);
	else
		return gc_error_create(GC_ERR_FORMAT, "pclntab at 0x%llx has magic 0x%x",
				       (unsigned long long)pclntab, magic);
	uint64_t funcnametab;
	if (!gc_add_u64(pclntab, funcname_off, &funcnametab))
		return gc_error_create(GC_ERR_FORMAT, "pclntab at 0x%llx: funcnameOffset 0x%llx overflows",
				       (unsigned long long)pclntab, (unsigned long long)funcname_off);
	uint8_t buf[CHUNK + 8];
	for (size_t i = 0; i < nranges; i++) {
		uint64_t start = (ranges[i].start + 7) & ~(uint64_t)7;
		if (start < ranges[i].start)
			continue;
		for (uint64_t a = start; a < ranges[i].end && ranges[i].end - a >= 16; a += CHUNK) {
			uint64_t left = ranges[i].end - a;
			size_t len = left < sizeof(buf) ? (size_t)left : sizeof(buf);
			if (!read(ctx, a, buf, len))
				continue;
			for (size_t o = 0; o < CHUNK && o + 16 <= len; o += 8) {
				uint64_t w0 = 0, w1 = 0;
				gc_get_u64(buf, len, o, &w0);
				gc_get_u64(buf, len, o + 8, &w1);
				if (w0 == pclntab && w1 == funcnametab) {
					*ret = a + o;
					return NULL;
				}
			}
		}
	}
	return gc_error_create(GC_ERR_NOT_FOUND,
			       "no moduledata (pclntab 0x%llx followed by funcnametab 0x%llx) in %zu data ranges",
			       (unsigned long long)pclntab, (unsigned long long)funcnametab,
			       nranges);
}

struct gc_error *gr_moduledata_types(gopclntab_read_fn *read, void *ctx,
				     uint64_t md, int minor,
				     struct gr_moduledata_types *ret)
{
	/* §2.1: types, etypes, typelinks per version.  go1.27 (symtab.go at
	 * CAFxX/go e4283592e5) has no typelinks slice: "types, typedesclen,
	 * etypes uintptr" — the descriptors lie in [types+8, types+typedesclen)
	 * and a scan of [types, etypes) finds the named structs. */
	uint64_t types_off, etypes_off, typelinks_off;
	if (minor == 17) {
		types_off = 280, etypes_off = 288, typelinks_off = 320;
	} else if (minor >= 18 && minor <= 19) {
		types_off = 280, etypes_off = 288, typelinks_off = 336;
	} else if (minor >= 20 && minor <= 25) {
		types_off = 296, etypes_off = 304, typelinks_off = 352;
	} else if (minor == 26) {
		types_off = 296, etypes_off = 304, typelinks_off = 360;
	} else if (minor == 27) {
		types_off = 296, etypes_off = 312, typelinks_off = 0;
	} else {
		return gc_error_create(GC_ERR_UNSUPPORTED,
				       "moduledata offsets of go1.%d are not known", minor);
	}
	ret->typelinks = ret->ntypelinks = 0;
	if (!read_u64(read, ctx, md + types_off, &ret->types) ||
	    !read_u64(read, ctx, md + etypes_off, &ret->etypes) ||
	    (typelinks_off && (!read_u64(read, ctx, md + typelinks_off, &ret->typelinks) ||
			       !read_u64(read, ctx, md + typelinks_off + 8, &ret->ntypelinks))))
		return gc_error_create(GC_ERR_FAULT, "moduledata at 0x%llx is unreadable",
				       (unsigned long long)md);
	if (ret->etypes <= ret->types)
		return gc_error_create(GC_ERR_FORMAT,
				       "moduledata at 0x%llx: types 0x%llx, etypes 0x%llx",
				       (unsigned long long)md, (unsigned long long)ret->types,
				       (unsigned long long)ret->etypes);
	return NULL;
}
