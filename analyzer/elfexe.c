/* The executable of a core, through libelf over an mmap()ed image.
 *
 * elf_memory() takes a non-const pointer but opens the image with
 * ELF_C_READ: libelf then reads it in place and, for data it must convert
 * (foreign byte order, misaligned), works on malloc'd copies; it never
 * writes to the image.  We only hand it native little-endian x86-64 files
 * (checked before elf_memory) and map the file PROT_READ, so a write would
 * fault rather than go unnoticed; the tests run over such a mapping.
 *
 * Program headers give the segments and the notes (build IDs), so a binary
 * without section headers (strip --strip-section-headers) still opens.
 */
#include "elfexe.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/bytes.h"

/* Go's linker: note "Go", type 4 (ELF_NOTE_GOBUILDID_TAG in
 * cmd/link/internal/ld/elf.go) in section .note.go.buildid. */
#define GO_NOTE_BUILDID 4

struct sym {
	const char *name;  /* into the image's string table */
	uint64_t value, size;
	size_t order;      /* .symtab entries before .dynsym, each in table order */
};

struct exe_priv {
	Elf *elf;
	void *map;         /* mmap()ed file or NULL */
	size_t map_len;
	char *path;
	/* The symbol index, sorted by (name, order), built when the file is
	 * parsed (and, should that ever be skipped, on the first lookup:
	 * ga_exe_symbol takes a const exe and may be called from several
	 * threads, so building is done under sym_lock and published with
	 * sym_built, acquire/release). */
	pthread_mutex_t sym_lock;
	atomic_bool sym_built;
	struct sym *syms;
	size_t nsyms;
};

static const char *etype_name(uint16_t t)
{
	switch (t) {
	case ET_NONE: return "ET_NONE";
	case ET_REL: return "ET_REL";
	case ET_EXEC: return "ET_EXEC";
	case ET_DYN: return "ET_DYN";
	case ET_CORE: return "ET_CORE";
	default: return "unknown";
	}
}

/* A note name matches want when it is want followed by NUL padding. */
static bool note_name_is(const char *name, size_t namesz, const char *want)
{
	size_t len = strlen(want);
	return namesz >= len && memcmp(name, want, len) == 0 &&
	       strnlen(name + len, namesz - len) == 0;
}

static struct gc_error *take_notes(struct ga_exe *exe, Elf_Data *data)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	while (off < data->d_size &&
	       (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)data->d_buf + name_off;
		const uint8_t *desc = (const uint8_t *)data->d_buf + desc_off;
		if (nh.n_type == NT_GNU_BUILD_ID && note_name_is(name, nh.n_namesz, "GNU") &&
		    exe->build_id_len == 0 && nh.n_descsz > 0) {
			size_t n = nh.n_descsz < sizeof(exe->build_id) ? nh.n_descsz
								       : sizeof(exe->build_id);
			memcpy(exe->build_id, desc, n);
			exe->build_id_len = n;
		} else if (nh.n_type == GO_NOTE_BUILDID && note_name_is(name, nh.n_namesz, "Go") &&
			   !exe->go_build_id) {
			size_t n = strnlen((const char *)desc, nh.n_descsz);
			char *s = malloc(n + 1);
			if (!s)
				return &gc_error_nomem;
			memcpy(s, desc, n);
			s[n] = '\0';
			exe->go_build_id = s;
		}
	}
	return NULL;
}

static struct gc_error *libelf_error(const struct ga_exe *exe, const char *what)
{
	return gc_error_create(GC_ERR_FORMAT, "%s: %s: %s", exe->path, what,
			       elf_errmsg(-1));
}

static struct gc_error *read_segments(struct ga_exe *exe, Elf *elf)
{
	size_t phnum;
	if (elf_getphdrnum(elf, &phnum) != 0)
		return libelf_error(exe, "program headers");
	if (phnum) {
		exe->segments = calloc(phnum, sizeof(*exe->segments));
		if (!exe->segments)
			return &gc_error_nomem;
	}
	for (size_t k = 0; k < phnum; k++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)k, &ph))
			return libelf_error(exe, "program headers");
		if (ph.p_type == PT_LOAD) {
			exe->segments[exe->nsegments++] = (struct ga_exe_segment){
				.vaddr = ph.p_vaddr, .memsz = ph.p_memsz,
				.offset = ph.p_offset, .filesz = ph.p_filesz,
				.flags = ph.p_flags,
			};
		} else if (ph.p_type == PT_NOTE && ph.p_filesz > 0 &&
			   gc_in_bounds(exe->size, ph.p_offset, ph.p_filesz)) {
			Elf_Data *data = elf_getdata_rawchunk(
				elf, (int64_t)ph.p_offset, ph.p_filesz,
				ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
			if (!data)
				continue; /* misaligned or odd: notes are optional */
			struct gc_error *err = take_notes(exe, data);
			if (err)
				return err;
		}
	}
	return NULL;
}

static struct gc_error *read_sections(struct ga_exe *exe, Elf *elf)
{
	size_t shnum, shstrndx;
	if (elf_getshdrnum(elf, &shnum) != 0)
		return libelf_error(exe, "section headers");
	if (shnum <= 1)
		return NULL; /* none, or only the null section */
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		shstrndx = SHN_UNDEF;
	exe->sections = calloc(shnum, sizeof(*exe->sections));
	if (!exe->sections)
		return &gc_error_nomem;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || exe->nsections >= shnum)
			continue;
		const char *name = shstrndx != SHN_UNDEF ? elf_strptr(elf, shstrndx, sh.sh_name)
							 : NULL;
		if (!name)
			name = "";
		exe->sections[exe->nsections++] = (struct ga_exe_section){
			.name = name, .addr = sh.sh_addr, .size = sh.sh_size,
			.offset = sh.sh_offset, .type = sh.sh_type,
		};
		if (sh.sh_type == SHT_SYMTAB && sh.sh_size > 0)
			exe->has_symtab = true;
		if (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0)
			exe->has_dwarf = true;
		if (sh.sh_type == SHT_NOTE && !exe->go_build_id &&
		    strcmp(name, ".note.go.buildid") == 0) {
			/* Only reached when no PT_NOTE covers the note. */
			Elf_Data *data = elf_getdata(scn, NULL);
			if (data && data->d_buf) {
				struct gc_error *err = take_notes(exe, data);
				if (err)
					return err;
			}
		}
	}
	return NULL;
}

static bool build_syms(struct exe_priv *priv);

static bool image_symbol(const void *ctx, const char *name, uint64_t *value_ret,
			 uint64_t *size_ret)
{
	return ga_exe_symbol(ctx, name, value_ret, size_ret);
}

static const char *image_symbol_at(const void *ctx, uint64_t addr, uint64_t *value_ret)
{
	return ga_exe_symbol_at(ctx, addr, value_ret);
}

/* exe->image: the segments and sections with their bytes, for goruntime. */
static struct gc_error *build_image(struct ga_exe *exe)
{
	struct gr_image_segment *segs = calloc(exe->nsegments ? exe->nsegments : 1, sizeof(*segs));
	struct gr_image_section *secs = calloc(exe->nsections ? exe->nsections : 1, sizeof(*secs));
	if (!segs || !secs) {
		free(segs);
		free(secs);
		return &gc_error_nomem;
	}
	for (size_t k = 0; k < exe->nsegments; k++) {
		const struct ga_exe_segment *s = &exe->segments[k];
		segs[k] = (struct gr_image_segment){
			.vaddr = s->vaddr, .memsz = s->memsz, .filesz = s->filesz,
			.flags = (s->flags & PF_X ? GR_SEG_X : 0) | (s->flags & PF_W ? GR_SEG_W : 0) |
				 (s->flags & PF_R ? GR_SEG_R : 0),
			.data = gc_in_bounds(exe->size, s->offset, s->filesz) ? exe->data + s->offset
									     : NULL,
		};
	}
	for (size_t k = 0; k < exe->nsections; k++) {
		const struct ga_exe_section *s = &exe->sections[k];
		secs[k] = (struct gr_image_section){
			.name = s->name, .addr = s->addr, .size = s->size,
			.data = ga_exe_section_data(exe, s),
		};
	}
	exe->image = (struct gr_image_file){
		.path = exe->path,
		.segments = segs, .nsegments = exe->nsegments,
		.sections = secs, .nsections = exe->nsections,
		.symbol = image_symbol, .symbol_at = image_symbol_at, .symbol_ctx = exe,
		.dwarf_fd = -1,
	};
	return NULL;
}

static struct gc_error *parse(struct ga_exe *exe)
{
	const uint8_t *d = exe->data;
	size_t size = exe->size;
	const char *name = exe->path;

	if (size == 0)
		return gc_error_create(GC_ERR_FORMAT, "%s: empty file, not an ELF executable", name);
	if (size < SELFMAG || memcmp(d, ELFMAG, SELFMAG) != 0)
		return gc_error_create(GC_ERR_FORMAT, "%s: not an ELF file", name);
	if (size < sizeof(Elf64_Ehdr) && size >= EI_NIDENT && d[EI_CLASS] == ELFCLASS64)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: truncated at %zu bytes, ELF header needs %zu",
				       name, size, sizeof(Elf64_Ehdr));
	if (size < EI_NIDENT || d[EI_CLASS] != ELFCLASS64)
		return gc_error_create(GC_ERR_FORMAT, "%s: ELF class %u, not 64-bit (ELFCLASS64)",
				       name, size < EI_NIDENT ? 0 : d[EI_CLASS]);
	if (d[EI_DATA] != ELFDATA2LSB)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: ELF data encoding %u, not little-endian (ELFDATA2LSB)",
				       name, d[EI_DATA]);
	uint16_t type = 0, machine = 0;
	gc_get_u16(d, size, offsetof(Elf64_Ehdr, e_type), &type);
	gc_get_u16(d, size, offsetof(Elf64_Ehdr, e_machine), &machine);
	if (type != ET_EXEC && type != ET_DYN)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: ELF type %s, not an executable (ET_EXEC) or PIE (ET_DYN)",
				       name, etype_name(type));
	exe->arch = gr_arch_for_machine(machine);
	if (!exe->arch)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: ELF machine %u, not one gocore reads (x86-64, arm64, riscv64, loong64)",
				       name, machine);

	if (elf_version(EV_CURRENT) == EV_NONE)
		return gc_error_create(GC_ERR_UNSUPPORTED, "%s: libelf: %s", name, elf_errmsg(-1));
	struct exe_priv *priv = exe->priv;
	/* See the top of the file on why casting const away is safe. */
	priv->elf = elf_memory((char *)(uintptr_t)d, size);
	if (!priv->elf)
		return libelf_error(exe, "libelf");
	GElf_Ehdr eh;
	if (!gelf_getehdr(priv->elf, &eh))
		return libelf_error(exe, "ELF header");
	exe->e_type = eh.e_type;
	exe->entry = eh.e_entry;

	struct gc_error *err = read_segments(exe, priv->elf);
	if (!err)
		err = read_sections(exe, priv->elf);
	/* The symbol index now, so that running out of memory for it is an
	 * error here rather than a symbol that seems absent later. */
	if (!err && !build_syms(priv))
		err = &gc_error_nomem;
	if (!err)
		atomic_store_explicit(&priv->sym_built, true, memory_order_release);
	if (!err)
		err = build_image(exe);
	return err;
}

static struct gc_error *exe_new(const char *name, struct ga_exe **ret)
{
	struct ga_exe *exe = calloc(1, sizeof(*exe));
	struct exe_priv *priv = calloc(1, sizeof(*priv));
	char *path = strdup(name ? name : "executable");
	if (!exe || !priv || !path || pthread_mutex_init(&priv->sym_lock, NULL) != 0) {
		free(exe);
		free(priv);
		free(path);
		return &gc_error_nomem;
	}
	atomic_init(&priv->sym_built, false);
	priv->path = path;
	exe->path = path;
	exe->priv = priv;
	exe->fd = -1;
	*ret = exe;
	return NULL;
}

struct gc_error *ga_exe_open_memory(const uint8_t *data, size_t size,
				    const char *name, struct ga_exe **ret)
{
	struct ga_exe *exe;
	struct gc_error *err = exe_new(name, &exe);
	if (err)
		return err;
	exe->data = data;
	exe->size = data ? size : 0;
	err = parse(exe);
	if (err) {
		ga_exe_close(exe);
		return err;
	}
	*ret = exe;
	return NULL;
}

struct gc_error *ga_exe_open(const char *path, struct ga_exe **ret)
{
	struct ga_exe *exe;
	struct gc_error *err = exe_new(path, &exe);
	if (err)
		return err;
	struct exe_priv *priv = exe->priv;
	struct stat st;

	exe->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (exe->fd < 0) {
		err = gc_error_create(GC_ERR_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(exe->fd, &st) < 0) {
		err = gc_error_create(GC_ERR_IO, "%s: fstat: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = gc_error_create(GC_ERR_IO, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > 0) {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, exe->fd, 0);
		if (map == MAP_FAILED) {
			err = gc_error_create(GC_ERR_IO, "%s: mmap: %s", path, strerror(errno));
			goto fail;
		}
		priv->map = map;
		priv->map_len = (size_t)st.st_size;
		exe->data = map;
		exe->size = (size_t)st.st_size;
	}
	err = parse(exe);
	if (err)
		goto fail;
	if (exe->has_dwarf)
		exe->image.dwarf_fd = exe->fd;
	*ret = exe;
	return NULL;

fail:
	ga_exe_close(exe);
	return err;
}

void ga_exe_close(struct ga_exe *exe)
{
	if (!exe)
		return;
	struct exe_priv *priv = exe->priv;
	if (priv) {
		if (priv->elf)
			elf_end(priv->elf);
		if (priv->map)
			munmap(priv->map, priv->map_len);
		free(priv->syms);
		pthread_mutex_destroy(&priv->sym_lock);
		free(priv->path);
		free(priv);
	}
	if (exe->fd >= 0)
		close(exe->fd);
	free(exe->segments);
	free(exe->sections);
	free((void *)exe->image.segments);
	free((void *)exe->image.sections);
	free(exe->go_build_id);
	free(exe);
}

const struct ga_exe_section *ga_exe_section(const struct ga_exe *exe, const char *name)
{
	for (size_t k = 0; k < exe->nsections; k++)
		if (strcmp(exe->sections[k].name, name) == 0)
			return &exe->sections[k];
	return NULL;
}

const uint8_t *ga_exe_section_data(const struct ga_exe *exe,
				   const struct ga_exe_section *sec)
{
	if (!sec || sec->type == SHT_NOBITS || !gc_in_bounds(exe->size, sec->offset, sec->size))
		return NULL;
	return exe->data + sec->offset;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Appends the defined, named symbols of every section of type sh_type. */
static bool collect_syms(struct exe_priv *priv, uint32_t sh_type, size_t *cap)
{
	Elf *elf = priv->elf;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != sh_type)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		size_t n = data->d_size / sizeof(Elf64_Sym);
		for (size_t k = 1; k < n; k++) {
			GElf_Sym s;
			if (!gelf_getsym(data, (int)k, &s) || s.st_shndx == SHN_UNDEF ||
			    s.st_name == 0)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || !*name)
				continue;
			if (priv->nsyms == *cap) {
				size_t ncap = *cap ? 2 * *cap : 1024;
				struct sym *ns = reallocarray(priv->syms, ncap, sizeof(*ns));
				if (!ns)
					return false;
				priv->syms = ns;
				*cap = ncap;
			}
			priv->syms[priv->nsyms] = (struct sym){name, s.st_value, s.st_size,
							       priv->nsyms};
			priv->nsyms++;
		}
	}
	return true;
}

static bool build_syms(struct exe_priv *priv)
{
	size_t cap = 0;
	if (!collect_syms(priv, SHT_SYMTAB, &cap) || !collect_syms(priv, SHT_DYNSYM, &cap)) {
		free(priv->syms);
		priv->syms = NULL;
		priv->nsyms = 0;
		return false;
	}
	if (priv->nsyms)
		qsort(priv->syms, priv->nsyms, sizeof(*priv->syms), sym_cmp);
	return true;
}

/* Builds the sorted symbol table on first use (any thread); false when out
 * of memory (a later call retries). */
static bool syms_ready(struct exe_priv *priv)
{
	if (atomic_load_explicit(&priv->sym_built, memory_order_acquire))
		return true;
	pthread_mutex_lock(&priv->sym_lock);
	if (!atomic_load_explicit(&priv->sym_built, memory_order_relaxed) && build_syms(priv))
		atomic_store_explicit(&priv->sym_built, true, memory_order_release);
	bool built = atomic_load_explicit(&priv->sym_built, memory_order_relaxed);
	pthread_mutex_unlock(&priv->sym_lock);
	return built;
}

bool ga_exe_symbol(const struct ga_exe *exe, const char *name,
		   uint64_t *value_ret, uint64_t *size_ret)
{
	struct exe_priv *priv = exe->priv;
	if (!syms_ready(priv))
		return false;
	/* Lower bound of name: the first entry, .symtab before .dynsym. */
	size_t lo = 0, hi = priv->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(priv->syms[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= priv->nsyms || strcmp(priv->syms[lo].name, name) != 0)
		return false;
	if (value_ret)
		*value_ret = priv->syms[lo].value;
	if (size_ret)
		*size_ret = priv->syms[lo].size;
	return true;
}

const char *ga_exe_symbol_at(const struct ga_exe *exe, uint64_t addr, uint64_t *value_ret)
{
	struct exe_priv *priv = exe->priv;
	if (!syms_ready(priv))
		return NULL;
	/* By name, not address: a linear pass (a few per command). */
	for (size_t i = 0; i < priv->nsyms; i++) {
		const struct sym *y = &priv->syms[i];
		if (y->size && addr >= y->value && addr - y->value < y->size && *y->name) {
			if (value_ret)
				*value_ret = y->value;
			return y->name;
		}
	}
	return NULL;
}

struct gc_error *ga_exe_add_segments(const struct ga_exe *exe,
				     struct gc_addrspace *as, unsigned tier,
				     uint64_t bias)
{
	/* Any number of segments, in any order: they go in at once. */
	struct gc_range *r = calloc(exe->nsegments ? exe->nsegments : 1, sizeof(*r));
	if (!r)
		return &gc_error_nomem;
	size_t n = 0;
	for (size_t k = 0; k < exe->nsegments; k++) {
		const struct ga_exe_segment *s = &exe->segments[k];
		if (s->filesz == 0)
			continue;
		uint64_t vaddr;
		if (!gc_add_u64(s->vaddr, bias, &vaddr)) {
			free(r);
			return gc_error_create(GC_ERR_FORMAT,
					       "%s: segment 0x%llx moved by 0x%llx wraps around",
					       exe->path, (unsigned long long)s->vaddr,
					       (unsigned long long)bias);
		}
		uint64_t present = s->offset >= exe->size ? 0 : exe->size - s->offset;
		if (present > s->filesz)
			present = s->filesz;
		r[n++] = (struct gc_range){vaddr, s->filesz,
					   present ? exe->data + s->offset : NULL, present};
	}
	struct gc_error *err = gc_addrspace_add_ranges(as, tier, r, n, exe->path);
	free(r);
	return err;
}

const uint8_t *ga_exe_vaddr_ptr(const struct ga_exe *exe, uint64_t vaddr, size_t len)
{
	for (size_t k = 0; k < exe->nsegments; k++) {
		const struct ga_exe_segment *s = &exe->segments[k];
		if (vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz ||
		    len > s->filesz - (vaddr - s->vaddr))
			continue;
		uint64_t off = s->offset + (vaddr - s->vaddr);
		if (off < s->offset || !gc_in_bounds(exe->size, off, len))
			return NULL;
		return exe->data + off;
	}
	return NULL;
}
