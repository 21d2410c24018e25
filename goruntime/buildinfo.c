#include "buildinfo.h"

#include <stdlib.h>
#include <string.h>

#include "../common/bytes.h"

static const char magic[14] = "\xff Go buildinf:";

/* Locates the 32-byte-aligned header in the file: the .go.buildinfo section,
 * else a scan of the writable loadable segments. */
static const uint8_t *find_header(const struct gr_image_file *exe, size_t *avail_ret, uint64_t *vaddr_ret)
{
	const struct gr_image_section *sec = gr_image_section(exe, ".go.buildinfo");
	if (sec) {
		const uint8_t *d = sec->data;
		if (d && sec->size >= 32 && memcmp(d, magic, sizeof(magic)) == 0) {
			*avail_ret = sec->size;
			*vaddr_ret = sec->addr;
			return d;
		}
	}
	for (size_t i = 0; i < exe->nsegments; i++) {
		const struct gr_image_segment *s = &exe->segments[i];
		if (!s->data)
			continue;
		const uint8_t *base = s->data;
		uint64_t start = (16 - (s->vaddr & 15)) & 15; /* header is 16-aligned */
		for (uint64_t off = start; off + 32 <= s->filesz; off += 16) {
			if (memcmp(base + off, magic, sizeof(magic)) == 0) {
				*avail_ret = s->filesz - off;
				*vaddr_ret = s->vaddr + off;
				return base + off;
			}
		}
	}
	return NULL;
}

static char *dup_n(const uint8_t *s, size_t n)
{
	char *r = malloc(n + 1);
	if (r) {
		memcpy(r, s, n);
		r[n] = '\0';
	}
	return r;
}

static char *read_mem_string(const struct gc_addrspace *as, uint64_t hdr)
{
	uint64_t ptr, len;
	if (!gc_addrspace_u64(as, hdr, &ptr) || !gc_addrspace_u64(as, hdr + 8, &len) ||
	    len > (1u << 20))
		return NULL;
	char *r = malloc(len + 1);
	if (!r)
		return NULL;
	if (len && gc_addrspace_read(as, ptr, r, len) != GC_READ_OK) {
		free(r);
		return NULL;
	}
	r[len] = '\0';
	return r;
}

/* The value of the first line "key\tvalue" in modinfo. */
static char *modinfo_field(const char *modinfo, const char *key)
{
	size_t kl = strlen(key);
	for (const char *l = modinfo; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) : strlen(l);
		if (ll > kl && strncmp(l, key, kl) == 0 && l[kl] == '\t') {
			const char *v = l + kl + 1;
			const char *e = memchr(v, '\t', ll - kl - 1);
			return dup_n((const uint8_t *)v, e ? (size_t)(e - v) : ll - kl - 1);
		}
		l = nl ? nl + 1 : NULL;
	}
	return strdup("");
}

struct gc_error *gr_buildinfo_read(const struct gr_image_file *exe, const struct gc_addrspace *as,
				   uint64_t bias, struct gr_buildinfo *ret)
{
	memset(ret, 0, sizeof(*ret));
	size_t avail;
	uint64_t vaddr;
	const uint8_t *h = find_header(exe, &avail, &vaddr);
	if (!h)
		return gc_error_create(GC_ERR_NOT_FOUND, "%s: no Go build information", exe->path);
	uint8_t ptrsize = h[14], flags = h[15];
	if (flags & 2) {
		/* Go 1.18+: two varint-prefixed strings from offset 32. */
		uint64_t off = 32, len;
		size_t n;
		if (!gc_get_uvarint(h, avail, off, &len, &n) || !gc_in_bounds(avail, off + n, len))
			goto bad;
		ret->version = dup_n(h + off + n, len);
		off += n + len;
		if (gc_get_uvarint(h, avail, off, &len, &n) && gc_in_bounds(avail, off + n, len))
			ret->modinfo = dup_n(h + off + n, len);
		else
			ret->modinfo = strdup("");
	} else {
		if (ptrsize != 8 || !as)
			goto bad;
		uint64_t vhdr, mhdr;
		if (!gc_addrspace_u64(as, vaddr + bias + 16, &vhdr) ||
		    !gc_addrspace_u64(as, vaddr + bias + 24, &mhdr))
			goto bad;
		ret->version = read_mem_string(as, vhdr);
		ret->modinfo = read_mem_string(as, mhdr);
		if (!ret->modinfo)
			ret->modinfo = strdup("");
	}
	if (!ret->version || !ret->modinfo) {
		gr_buildinfo_deinit(ret);
		return &gc_error_nomem;
	}
	/* modinfo is framed by 16-byte sentinels; the lines are plain text. */
	ret->path = modinfo_field(strstr(ret->modinfo, "path\t") ? strstr(ret->modinfo, "path\t") : "", "path");
	ret->module = modinfo_field(strstr(ret->modinfo, "mod\t") ? strstr(ret->modinfo, "mod\t") : "", "mod");
	if (!ret->path || !ret->module) {
		gr_buildinfo_deinit(ret);
		return &gc_error_nomem;
	}
	return NULL;
bad:
	gr_buildinfo_deinit(ret);
	return gc_error_create(GC_ERR_FORMAT, "%s: unreadable Go build information", exe->path);
}

void gr_buildinfo_deinit(struct gr_buildinfo *bi)
{
	free(bi->version);
	free(bi->modinfo);
	free(bi->path);
	free(bi->module);
	memset(bi, 0, sizeof(*bi));
}

struct gc_error *gr_buildinfo_version(const struct gr_image_file *exe, const struct gc_addrspace *as,
				      uint64_t bias, char **ret)
{
	struct gr_buildinfo bi;
	struct gc_error *err = gr_buildinfo_read(exe, as, bias, &bi);
	if (err)
		return err;
	*ret = bi.version;
	bi.version = NULL;
	gr_buildinfo_deinit(&bi);
	return NULL;
}

static bool printable(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* Length of a Go release string at s (at most n bytes), 0 if none. */
static size_t release_len(const uint8_t *s, size_t n)
{
	if (n < 5 || memcmp(s, "go1.", 4) != 0)
		return 0;
	size_t i = 4, d = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9' && d < 3)
		i++, d++;
	if (d == 0)
		return 0;
	if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
		i++;
		for (d = 0; i < n && s[i] >= '0' && s[i] <= '9' && d < 3; i++, d++)
			;
	}
	for (int k = 0; k < 2; k++) {
		const char *tag = k ? "beta" : "rc";
		size_t tl = strlen(tag);
		if (i + tl < n && memcmp(s + i, tag, tl) == 0 && s[i + tl] >= '0' && s[i + tl] <= '9') {
			i += tl;
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
			break;
		}
	}
	return i;
}

struct gc_error *gr_version_from_rodata(const struct gr_image_file *exe, char **ret)
{
	*ret = NULL;
	char found[32] = "";
	bool ambiguous = false;
	for (size_t i = 0; i < exe->nsegments && !ambiguous; i++) {
		const struct gr_image_segment *s = &exe->segments[i];
		if ((s->flags & GR_SEG_W) || !s->data)
			continue;
		const uint8_t *b = s->data;
		size_t n = s->filesz;
		for (const uint8_t *q = b; (q = memmem(q, n - (size_t)(q - b), "go1.", 4));
		     q++) {
			if (q > b && printable(q[-1]))
				continue;
			size_t l = release_len(q, n - (size_t)(q - b));
			if (!l || l >= sizeof(found) || ((size_t)(q - b) + l < n && printable(q[l])))
				continue;
			if (!found[0]) {
				memcpy(found, q, l);
				found[l] = '\0';
			} else if (strlen(found) != l || memcmp(found, q, l) != 0) {
				ambiguous = true;
				break;
			}
			if ((size_t)(q - b) + 4 >= n)
				break;
		}
	}
	if (!found[0] || ambiguous)
		return gc_error_create(GC_ERR_NOT_FOUND, "%s: %s Go release string in its data",
				       exe->path, ambiguous ? "more than one" : "no");
	*ret = strdup(found);
	return *ret ? NULL : &gc_error_nomem;
}
