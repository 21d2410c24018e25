/* Linux x86-64 ELF cores.
 *
 * The ELF header, program headers and notes are read from the raw bytes with
 * the bounds-checked readers of common/bytes.h rather than through libelf:
 * libelf's elf_memory() refuses an image whose section header table lies
 * past the end (a truncated core whose e_phnum is PN_XNUM keeps the real
 * count in a section header the kernel writes last), and a truncated core is
 * exactly what must still load here.  Layouts are those of the kernel's
 * fs/binfmt_elf.c and include/uapi/linux/elfcore.h for x86-64.
 */
#include "elfcore.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/bytes.h"
#include "decompress.h"

struct core_priv {
	void *map;      /* mmap()ed file, or NULL (memory variant, empty file) */
	size_t map_len;
	char *path;     /* owned copy behind core->path */
	char *warning;  /* owned copy behind core->decompress_warning */
	char *note_warning; /* owned copy behind core->note_warning */
	size_t threads_cap;
};

/* struct elf_prstatus (x86-64): pr_info at 0, pr_cursig (short) at 12,
 * pr_pid at 32, pr_reg (user_regs_struct, 27 longs) at 112, pr_fpvalid at
 * 328, sizeof 336. */
enum {
	PRSTATUS_CURSIG = 12,
	PRSTATUS_PID = 32,
	PRSTATUS_REG = 112, /* pr_reg: the architecture's registers (arch.h) */
};

/* struct elf_prpsinfo (x86-64): pr_pid at 24, pr_fname[16] at 40,
 * pr_psargs[80] at 56, sizeof 136. */
enum {
	PRPSINFO_PID = 24,
	PRPSINFO_FNAME = 40,
	PRPSINFO_PSARGS = 56,
	PRPSINFO_SIZE = 136,
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;
	return gc_add_u64(a, b, &r) ? r : UINT64_MAX;
}

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

static struct gc_error *parse_prstatus(struct ga_core *core, const uint8_t *d,
				       size_t n)
{
	struct gr_image_thread t = {0};
	uint16_t cursig = 0;
	uint32_t pid = 0;
	gc_get_u16(d, n, PRSTATUS_CURSIG, &cursig);
	gc_get_u32(d, n, PRSTATUS_PID, &pid);
	t.cursig = (int16_t)cursig;
	t.lwp = (int32_t)pid;
	for (size_t k = 0; k < core->arch->nregs && k < GR_REGS_MAX; k++)
		gc_get_u64(d, n, PRSTATUS_REG + 8 * k, &t.regs.r[k]);
	struct core_priv *priv = core->priv;
	if (core->nthreads == priv->threads_cap) {
		size_t cap = priv->threads_cap ? 2 * priv->threads_cap : 8;
		struct gr_image_thread *th = reallocarray(core->threads, cap, sizeof(*th));
		if (!th)
			return &gc_error_nomem;
		core->threads = th;
		priv->threads_cap = cap;
	}
	core->threads[core->nthreads++] = t;
	return NULL;
}

static void copy_cstr(char *dst, size_t dstsz, const uint8_t *src, size_t n)
{
	size_t k = 0;
	for (; k < n && k + 1 < dstsz && src[k]; k++)
		dst[k] = (char)src[k];
	dst[k] = '\0';
}

static void parse_prpsinfo(struct ga_core *core, const uint8_t *d, size_t n)
{
	if (core->have_prpsinfo || n < PRPSINFO_SIZE)
		return;
	uint32_t pid = 0;
	gc_get_u32(d, n, PRPSINFO_PID, &pid);
	core->pid = (int32_t)pid;
	copy_cstr(core->fname, sizeof(core->fname), d + PRPSINFO_FNAME, 16);
	copy_cstr(core->psargs, sizeof(core->psargs), d + PRPSINFO_PSARGS, 80);
	core->have_prpsinfo = true;
}

/* siginfo_t: si_signo, si_errno, si_code, then the union at 16. */
static void parse_siginfo(struct ga_core *core, const uint8_t *d, size_t n)
{
	struct gr_image_siginfo *si = &core->siginfo;
	uint32_t signo = 0, err = 0, code = 0;
	if (si->present || !gc_get_u32(d, n, 0, &signo) ||
	    !gc_get_u32(d, n, 4, &err) || !gc_get_u32(d, n, 8, &code))
		return;
	si->present = true;
	si->signo = (int32_t)signo;
	si->errno_ = (int32_t)err;
	si->code = (int32_t)code;
	if (si->code <= 0) {
		/* SI_USER, SI_TKILL, SI_QUEUE...: _kill/_rt has pid, uid. */
		uint32_t pid = 0, uid = 0;
		if (gc_get_u32(d, n, 16, &pid) && gc_get_u32(d, n, 20, &uid)) {
			si->pid = (int32_t)pid;
			si->uid = (int32_t)uid;
		}
	} else if (si->signo == SIGSEGV || si->signo == SIGBUS ||
		   si->signo == SIGILL || si->signo == SIGFPE ||
		   si->signo == SIGTRAP) {
		gc_get_u64(d, n, 16, &si->addr);
	}
}

static void parse_auxv(struct ga_core *core, const uint8_t *d, size_t n)
{
	for (uint64_t off = 0; gc_in_bounds(n, off, 16); off += 16) {
		uint64_t type = 0, val = 0;
		gc_get_u64(d, n, off, &type);
		gc_get_u64(d, n, off + 8, &val);
		if (type == AT_NULL)
			break;
		if (type == AT_ENTRY)
			core->at_entry = val;
	}
}

/* NT_FILE: count, page_size, count x {start, end, file_ofs (pages)}, then
 * count NUL-terminated paths.  Paths point into the core's bytes.  The
 * caller has checked that the table fits (note_fits). */
static struct gc_error *parse_file(struct ga_core *core, const uint8_t *d, size_t n)
{
	uint64_t count = 0, page_size = 0;
	if (core->mappings || !gc_get_u64(d, n, 0, &count) ||
	    !gc_get_u64(d, n, 8, &page_size))
		return NULL;
	if (count == 0 || count > (n - 16) / 24)
		return NULL;
	struct ga_mapping *m = calloc((size_t)count, sizeof(*m));
	if (!m)
		return &gc_error_nomem;
	size_t names = 16 + (size_t)count * 24, nm = 0;
	for (size_t k = 0; k < count; k++) {
		if (names >= n)
			break;
		const uint8_t *nul = memchr(d + names, '\0', n - names);
		if (!nul)
			break; /* last name unterminated: keep the complete ones */
		uint64_t start = 0, end = 0, pgoff = 0, off;
		gc_get_u64(d, n, 16 + 24 * k, &start);
		gc_get_u64(d, n, 16 + 24 * k + 8, &end);
		gc_get_u64(d, n, 16 + 24 * k + 16, &pgoff);
		const char *path = (const char *)(d + names);
		names = (size_t)(nul - d) + 1;
		if (__builtin_mul_overflow(pgoff, page_size, &off))
			continue;
		m[nm++] = (struct ga_mapping){start, end, off, path};
	}
	if (nm == 0) {
		free(m);
		return NULL;
	}
	core->mappings = m;
	core->nmappings = nm;
	return NULL;
}

static bool name_is(const uint8_t *name, uint32_t namesz, const char *want)
{
	size_t len = strlen(want);
	if (namesz == len + 1 && name[len] != '\0')
		return false;
	return (namesz == len || namesz == len + 1) && memcmp(name, want, len) == 0;
}

static const char *note_type_name(uint32_t type)
{
	switch (type) {
	case NT_PRSTATUS: return "NT_PRSTATUS";
	case NT_PRFPREG: return "NT_PRFPREG";
	case NT_PRPSINFO: return "NT_PRPSINFO";
	case NT_AUXV: return "NT_AUXV";
	case NT_SIGINFO: return "NT_SIGINFO";
	case NT_FILE: return "NT_FILE";
	case NT_X86_XSTATE: return "NT_X86_XSTATE";
	default: return "unknown";
	}
}

/* Whether a CORE note's descriptor has room for what its type holds (the
 * x86-64 layouts; other types are not read). */
static bool note_fits(const struct gr_arch *arch, uint32_t type, const uint8_t *d, uint64_t n)
{
	switch (type) {
	case NT_PRSTATUS: return n >= PRSTATUS_REG + 8 * (uint64_t)arch->nregs;
	case NT_PRPSINFO: return n >= PRPSINFO_SIZE;
	case NT_SIGINFO: return n >= 12;
	case NT_AUXV: return n % 16 == 0;
	case NT_FILE: {
		uint64_t count = 0;
		return n >= 16 && gc_get_u64(d, n, 0, &count) && count <= (n - 16) / 24;
	}
	default: return true;
	}
}

/* Stops note parsing: says which note at file offset off, and why. */
static struct gc_error *bad_note(struct ga_core *core, uint64_t off, uint32_t type,
				 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static struct gc_error *bad_note(struct ga_core *core, uint64_t off, uint32_t type,
				 const char *fmt, ...)
{
	struct core_priv *priv = core->priv;
	if (priv->note_warning)
		return NULL;
	char why[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (asprintf(&priv->note_warning, "%s: the note at offset 0x%llx (type 0x%x, %s) %s; "
		     "it and the notes after it are not read", core->path,
		     (unsigned long long)off, type, note_type_name(type), why) < 0) {
		priv->note_warning = NULL;
		return &gc_error_nomem;
	}
	core->note_warning = priv->note_warning;
	return NULL;
}

/* Parses the notes in [d, d+n), the bytes of one PT_NOTE present in the
 * file, which begins at file offset base and should have filesz bytes.  A
 * note whose sizes run past the segment, or whose descriptor does not fit
 * its type, ends the parsing (bad_note); what came before it is kept.  Only
 * out-of-memory is an error. */
static struct gc_error *parse_notes(struct ga_core *core, const uint8_t *d,
				    size_t n, uint64_t align, uint64_t base, uint64_t filesz)
{
	uint64_t a = align == 8 ? 8 : 4;
	uint64_t off = 0;
	while (gc_in_bounds(n, off, 12)) {
		uint32_t namesz = 0, descsz = 0, type = 0;
		gc_get_u32(d, n, off, &namesz);
		gc_get_u32(d, n, off + 4, &descsz);
		gc_get_u32(d, n, off + 8, &type);
		uint64_t name_off = off + 12;
		uint64_t desc_off = name_off + (((uint64_t)namesz + a - 1) & ~(a - 1));
		if (!gc_in_bounds(n, name_off, namesz) ||
		    !gc_in_bounds(n, desc_off, descsz)) {
			if (n < filesz && gc_in_bounds(filesz, name_off, namesz) &&
			    gc_in_bounds(filesz, desc_off, descsz))
				return bad_note(core, base + off, type, "is cut by the end of the file");
			return bad_note(core, base + off, type,
					"has a name size of %u and a descriptor size of %u, which "
					"run past the end of its PT_NOTE (%llu bytes)",
					namesz, descsz, (unsigned long long)filesz);
		}
		uint64_t at = off;
		off = desc_off + (((uint64_t)descsz + a - 1) & ~(a - 1));
		if (!name_is(d + name_off, namesz, "CORE"))
			continue; /* "LINUX" (xstate...) and others */
		const uint8_t *desc = d + desc_off;
		if (!note_fits(core->arch, type, desc, descsz))
			return bad_note(core, base + at, type,
					"has a descriptor of %u bytes, which cannot hold one", descsz);
		struct gc_error *err = NULL;
		switch (type) {
		case NT_PRSTATUS:
			err = parse_prstatus(core, desc, descsz);
			break;
		case NT_PRPSINFO:
			parse_prpsinfo(core, desc, descsz);
			break;
		case NT_SIGINFO:
			parse_siginfo(core, desc, descsz);
			break;
		case NT_AUXV:
			parse_auxv(core, desc, descsz);
			break;
		case NT_FILE:
			err = parse_file(core, desc, descsz);
			break;
		default:
			break;
		}
		if (err)
			return err;
	}
	return NULL;
}

static struct gc_error *parse(struct ga_core *core)
{
	const uint8_t *d = core->data;
	size_t size = core->size;
	const char *name = core->path;
	const size_t ehsize = sizeof(Elf64_Ehdr), phsize = sizeof(Elf64_Phdr);

	if (size == 0)
		return gc_error_create(GC_ERR_FORMAT, "%s: empty file, not an ELF core", name);
	if (size < SELFMAG || memcmp(d, ELFMAG, SELFMAG) != 0)
		return gc_error_create(GC_ERR_FORMAT, "%s: not an ELF file", name);
	if (size < EI_NIDENT)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: truncated at %zu bytes, ELF header needs %zu",
				       name, size, ehsize);
	if (d[EI_CLASS] != ELFCLASS64)
		return gc_error_create(GC_ERR_FORMAT, "%s: ELF class %u, not 64-bit (ELFCLASS64)",
				       name, d[EI_CLASS]);
	if (d[EI_DATA] != ELFDATA2LSB)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: ELF data encoding %u, not little-endian (ELFDATA2LSB)",
				       name, d[EI_DATA]);
	if (size < ehsize)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: truncated at %zu bytes, ELF header needs %zu",
				       name, size, ehsize);

	uint16_t type = 0, machine = 0, phentsize = 0, phnum16 = 0;
	uint64_t phoff = 0, shoff = 0;
	gc_get_u16(d, size, offsetof(Elf64_Ehdr, e_type), &type);
	gc_get_u16(d, size, offsetof(Elf64_Ehdr, e_machine), &machine);
	gc_get_u64(d, size, offsetof(Elf64_Ehdr, e_phoff), &phoff);
	gc_get_u64(d, size, offsetof(Elf64_Ehdr, e_shoff), &shoff);
	gc_get_u16(d, size, offsetof(Elf64_Ehdr, e_phentsize), &phentsize);
	gc_get_u16(d, size, offsetof(Elf64_Ehdr, e_phnum), &phnum16);
	if (type != ET_CORE)
		return gc_error_create(GC_ERR_FORMAT, "%s: ELF type %s, not a core (ET_CORE)",
				       name, etype_name(type));
	const struct gr_arch *arch = gr_arch_for_machine(machine);
	if (!arch)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: ELF machine %u, not one gocore reads (x86-64, arm64, riscv64, loong64)",
				       name, machine);
	core->arch = arch;

	uint64_t phnum = phnum16;
	if (phnum16 == PN_XNUM) {
		/* More than 65534 segments: the count is section 0's sh_info. */
		uint32_t info = 0;
		if (!gc_get_u32(d, size, sat_add(shoff, offsetof(Elf64_Shdr, sh_info)), &info))
			return gc_error_create(GC_ERR_FORMAT,
					       "%s: truncated at %zu bytes, section header 0 (which holds the program header count) needs %llu",
					       name, size,
					       (unsigned long long)sat_add(shoff, sizeof(Elf64_Shdr)));
		phnum = info;
	}
	if (phnum && phentsize < phsize)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: program header entry size %u, expected %zu",
				       name, phentsize, phsize);
	uint64_t phbytes, phend;
	if (__builtin_mul_overflow(phnum, (uint64_t)phentsize, &phbytes) ||
	    !gc_add_u64(phoff, phbytes, &phend))
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: program header table (offset 0x%llx, %llu entries) overflows",
				       name, (unsigned long long)phoff,
				       (unsigned long long)phnum);
	if (phnum && phend > size)
		return gc_error_create(GC_ERR_FORMAT,
				       "%s: truncated at %zu bytes, program headers need %llu",
				       name, size, (unsigned long long)phend);
	core->expected_size = phend > ehsize ? phend : ehsize;

	size_t nload = 0;
	for (uint64_t k = 0; k < phnum; k++) {
		uint32_t pt = 0;
		gc_get_u32(d, size, phoff + k * phentsize, &pt);
		nload += pt == PT_LOAD;
	}
	if (nload) {
		core->segments = calloc(nload, sizeof(*core->segments));
		if (!core->segments)
			return &gc_error_nomem;
	}

	/* The kernel and gdb write one PT_NOTE; a core with more is crafted
	 * (each may cover the same bytes): read a few, each offset once. */
	enum { MAX_NOTE_SEGMENTS = 16 };
	uint64_t note_offs[MAX_NOTE_SEGMENTS];
	size_t nnotes = 0;
	for (uint64_t k = 0; k < phnum; k++) {
		uint64_t ph = phoff + k * phentsize;
		uint32_t pt = 0, flags = 0;
		uint64_t off = 0, vaddr = 0, filesz = 0, memsz = 0, align = 0;
		gc_get_u32(d, size, ph + offsetof(Elf64_Phdr, p_type), &pt);
		gc_get_u32(d, size, ph + offsetof(Elf64_Phdr, p_flags), &flags);
		gc_get_u64(d, size, ph + offsetof(Elf64_Phdr, p_offset), &off);
		gc_get_u64(d, size, ph + offsetof(Elf64_Phdr, p_vaddr), &vaddr);
		gc_get_u64(d, size, ph + offsetof(Elf64_Phdr, p_filesz), &filesz);
		gc_get_u64(d, size, ph + offsetof(Elf64_Phdr, p_memsz), &memsz);
		gc_get_u64(d, size, ph + offsetof(Elf64_Phdr, p_align), &align);
		if (pt != PT_LOAD && pt != PT_NOTE)
			continue;
		uint64_t present = off >= size ? 0 : size - off;
		if (present > filesz)
			present = filesz;
		core->truncated_bytes = sat_add(core->truncated_bytes, filesz - present);
		uint64_t end = sat_add(off, filesz);
		if (end > core->expected_size)
			core->expected_size = end;
		if (pt == PT_LOAD) {
			core->segments[core->nsegments++] = (struct ga_core_segment){
				.vaddr = vaddr, .memsz = memsz, .offset = off,
				.filesz = filesz, .avail = present, .flags = flags,
			};
		} else if (present && !core->note_warning) {
			bool seen = false;
			for (size_t i = 0; i < nnotes; i++)
				seen |= note_offs[i] == off;
			if (seen)
				continue;
			struct gc_error *err = NULL;
			if (nnotes == MAX_NOTE_SEGMENTS)
				err = bad_note(core, off, 0, "is in PT_NOTE number %zu; gocore reads "
					       "%d", nnotes + 1, (int)MAX_NOTE_SEGMENTS);
			else {
				note_offs[nnotes++] = off;
				err = parse_notes(core, d + off, (size_t)present, align, off, filesz);
			}
			if (err)
				return err;
		}
	}
	if (core->nthreads == 0 && !core->note_warning) {
		struct core_priv *priv = core->priv;
		if (asprintf(&priv->note_warning, "%s: the core has no thread notes "
			     "(NT_PRSTATUS): no thread's registers, so running goroutines show "
			     "no stack", core->path) < 0) {
			priv->note_warning = NULL;
			return &gc_error_nomem;
		}
		core->note_warning = priv->note_warning;
	}
	/* A core without NT_SIGINFO (qemu-user writes none): the signal is
	 * the one pending on the thread that took it.  The kernel writes that
	 * thread first; qemu 11 writes the threads in any order, so the one
	 * with a pending signal is moved first (the others keep their
	 * order). */
	if (!core->siginfo.present && core->nthreads && core->threads[0].cursig == 0) {
		for (size_t i = 1; i < core->nthreads; i++) {
			if (core->threads[i].cursig <= 0)
				continue;
			struct gr_image_thread t = core->threads[i];
			memmove(core->threads + 1, core->threads, i * sizeof(*core->threads));
			core->threads[0] = t;
			break;
		}
	}
	if (!core->siginfo.present && core->nthreads && core->threads[0].cursig > 0 &&
	    core->threads[0].cursig <= 64) {
		core->siginfo.present = true;
		core->siginfo.only_signo = true;
		core->siginfo.signo = core->threads[0].cursig;
	}
	/* Overlapping program headers (a corrupted core) would count the same
	 * missing bytes twice: never claim more than the file lacks. */
	uint64_t lacking = core->expected_size > size ? core->expected_size - size : 0;
	if (core->truncated_bytes > lacking)
		core->truncated_bytes = lacking;
	return NULL;
}

static struct gc_error *core_new(const char *name, struct ga_core **ret)
{
	struct ga_core *core = calloc(1, sizeof(*core));
	struct core_priv *priv = calloc(1, sizeof(*priv));
	char *path = strdup(name ? name : "core");
	if (!core || !priv || !path) {
		free(core);
		free(priv);
		free(path);
		return &gc_error_nomem;
	}
	priv->path = path;
	core->path = path;
	core->priv = priv;
	*ret = core;
	return NULL;
}

struct gc_error *ga_core_open_memory(const uint8_t *data, size_t size,
				     const char *name, struct ga_core **ret)
{
	struct ga_core *core;
	struct gc_error *err = core_new(name, &core);
	if (err)
		return err;
	core->data = data;
	core->size = data ? size : 0;
	err = parse(core);
	if (err) {
		ga_core_close(core);
		return err;
	}
	*ret = core;
	return NULL;
}

/* ---- compressed cores: what the first decompressed bytes promise ---- */

/* A compressed core is decompressed no further than its ELF and program
 * headers account for: the end of the furthest segment or note (and of the
 * section headers, a little past it), plus this margin.  Until those headers
 * are read, the output may not pass MAX_HEADER_BYTES: the kernel writes
 * them first, 56 bytes per mapping. */
#define STREAM_MARGIN ((uint64_t)1 << 20)
#define MAX_HEADER_BYTES ((uint64_t)256 << 20)

/* The reason the 64 bytes at eh are not an x86-64 ELF core, or NULL. */
static const char *not_a_core(const uint8_t *eh)
{
	uint16_t type = 0, machine = 0;
	gc_get_u16(eh, 64, offsetof(Elf64_Ehdr, e_type), &type);
	gc_get_u16(eh, 64, offsetof(Elf64_Ehdr, e_machine), &machine);
	if (memcmp(eh, ELFMAG, SELFMAG) != 0)
		return "no ELF magic";
	if (eh[EI_CLASS] != ELFCLASS64 || eh[EI_DATA] != ELFDATA2LSB)
		return "not 64-bit little-endian ELF";
	if (type != ET_CORE)
		return "its ELF type is not ET_CORE";
	if (!gr_arch_for_machine(machine))
		return "its ELF machine is not one gocore reads (x86-64, arm64, riscv64, loong64)";
	return NULL;
}

struct gc_error *ga_core_check_stream(void *ctx, const struct ga_decompress_output *o,
				      uint64_t *need_ret, uint64_t *max_ret)
{
	struct ga_core_stream_check *sc = ctx;
	*need_ret = UINT64_MAX;
	if (o->size < 64) {
		if (!o->end)
			*need_ret = 64;
		return NULL; /* too short to be a core: the parser says so */
	}
	if (sc->phentsize == 0) {
		/* First: the ELF header. */
		uint8_t eh[64];
		if (!o->read(o, 0, eh, sizeof(eh)))
			return gc_error_create(GC_ERR_IO, "%s: reading back the decompressed data "
					       "failed", sc->name);
		const char *why = not_a_core(eh);
		if (why)
			return gc_error_create(GC_ERR_FORMAT, "%s: the decompressed data is not a core "
					       "(%s; an ELF core of x86-64, arm64, riscv64 or loong64 was expected); stopped after "
					       "%llu bytes", sc->name, why, (unsigned long long)o->size);
		uint16_t phnum = 0, shentsize = 0, shnum = 0;
		gc_get_u64(eh, 64, offsetof(Elf64_Ehdr, e_phoff), &sc->phoff);
		gc_get_u16(eh, 64, offsetof(Elf64_Ehdr, e_phentsize), &sc->phentsize);
		gc_get_u16(eh, 64, offsetof(Elf64_Ehdr, e_phnum), &phnum);
		uint64_t shoff = 0, shbytes = 0;
		gc_get_u64(eh, 64, offsetof(Elf64_Ehdr, e_shoff), &shoff);
		gc_get_u16(eh, 64, offsetof(Elf64_Ehdr, e_shentsize), &shentsize);
		gc_get_u16(eh, 64, offsetof(Elf64_Ehdr, e_shnum), &shnum);
		sc->xnum = phnum == PN_XNUM;
		if (phnum == 0 || sc->phentsize < sizeof(Elf64_Phdr) ||
		    (!sc->xnum && !gc_add_u64(sc->phoff, (uint64_t)phnum * sc->phentsize, &sc->phend)))
			return gc_error_create(GC_ERR_FORMAT, "%s: the decompressed core has no usable "
					       "program headers (%u of %u bytes each); stopped after "
					       "%llu bytes", sc->name, phnum, sc->phentsize,
					       (unsigned long long)o->size);
		if (shoff && !__builtin_mul_overflow((uint64_t)shentsize, (uint64_t)(shnum ? shnum : 1),
						     &shbytes))
			sc->sh_end = sat_add(shoff, shbytes);
		sc->accounted = sc->xnum ? sc->phoff : sc->phend;
		sc->data_start = UINT64_MAX;
		if (sc->phoff >= MAX_HEADER_BYTES || (!sc->xnum && sc->phend > MAX_HEADER_BYTES))
			return gc_error_create(GC_ERR_LIMIT, "%s: the decompressed core's program "
					       "headers end past %llu MiB (at byte %llu); a crafted "
					       "core", sc->name,
					       (unsigned long long)(MAX_HEADER_BYTES >> 20),
					       (unsigned long long)(sc->xnum ? sc->phoff : sc->phend));
		*max_ret = MAX_HEADER_BYTES;
	}
	/* Then the program headers, as far as they have come. */
	uint8_t buf[64 * sizeof(Elf64_Phdr)];
	for (;;) {
		uint64_t at = sc->phoff + sc->k * sc->phentsize;
		if ((sc->phend && at >= sc->phend) || (sc->xnum && at >= sc->data_start))
			break; /* the table is read */
		if (at + sizeof(Elf64_Phdr) > o->size) {
			if (!o->end) {
				*need_ret = at + sc->phentsize;
				*max_ret = MAX_HEADER_BYTES;
			}
			return NULL;
		}
		if (at + sizeof(Elf64_Phdr) > MAX_HEADER_BYTES)
			return gc_error_create(GC_ERR_LIMIT, "%s: the decompressed core's program "
					       "headers run past %llu MiB; a crafted core", sc->name,
					       (unsigned long long)(MAX_HEADER_BYTES >> 20));
		/* Whole entries while they fit in buf; an entry larger than buf
		 * (e_phentsize is the file's to choose) is read one at a time, its
		 * first sizeof(Elf64_Phdr) bytes only. */
		size_t n, len;
		if (sc->phentsize > sizeof(buf)) {
			n = 1;
			len = sizeof(Elf64_Phdr);
		} else {
			n = (size_t)(o->size - at) / sc->phentsize;
			if (n > sizeof(buf) / sc->phentsize)
				n = sizeof(buf) / sc->phentsize;
			if (n == 0)
				n = 1;
			len = n * sc->phentsize;
		}
		if (!o->read(o, at, buf, len))
			return gc_error_create(GC_ERR_IO, "%s: reading back the decompressed data "
					       "failed", sc->name);
		for (size_t i = 0; i < n; i++, sc->k++) {
			const uint8_t *ph = buf + i * sc->phentsize;
			uint64_t off = 0, filesz = 0;
			gc_get_u64(ph, sizeof(Elf64_Phdr), offsetof(Elf64_Phdr, p_offset), &off);
			gc_get_u64(ph, sizeof(Elf64_Phdr), offsetof(Elf64_Phdr, p_filesz), &filesz);
			uint64_t end = sat_add(off, filesz);
			if (end > sc->accounted)
				sc->accounted = end;
			/* PN_XNUM: the count is in a section header at the end
			 * of the file, but segment data follows the table. */
			if (sc->xnum && filesz && off > sc->phoff && off < sc->data_start)
				sc->data_start = off;
			if ((sc->phend && sc->phoff + (sc->k + 1) * sc->phentsize >= sc->phend) ||
			    (sc->xnum && sc->phoff + (sc->k + 1) * sc->phentsize >= sc->data_start)) {
				sc->k++;
				break;
			}
		}
	}
	/* The section headers (gdb writes them; the kernel writes one for
	 * PN_XNUM) lie at the end: counted when near it. */
	uint64_t limit = sat_add(sc->accounted, STREAM_MARGIN);
	if (sc->sh_end > sc->accounted && sc->sh_end <= limit)
		limit = sat_add(sc->sh_end, STREAM_MARGIN);
	*max_ret = limit;
	return NULL;
}

/* When *fd is compressed, replaces it with a decompressed copy and *st with
 * that copy's stat. */
static struct gc_error *decompress_if_compressed(struct ga_core *core, int *fd,
						 struct stat *st)
{
	uint8_t head[GA_COMPRESSION_MAGIC_LEN];
	ssize_t n = pread(*fd, head, sizeof(head), 0);
	if (n < 0)
		return gc_error_create(GC_ERR_IO, "%s: read: %s", core->path, strerror(errno));
	enum ga_compression c = ga_detect_compression(head, (size_t)n);
	if (c == GA_COMPRESSION_NONE)
		return NULL;
	struct core_priv *priv = core->priv;
	int tmp;
	uint64_t size;
	struct ga_core_stream_check sc = {.name = core->path};
	struct gc_error *err = ga_decompress_check_tmpfile(core->path, *fd, c,
							   GA_DECOMPRESS_MAX_SIZE, ga_core_check_stream,
							   &sc, &tmp, &size, &priv->warning);
	if (err)
		return err;
	core->compression = ga_compression_name(c);
	core->decompress_warning = priv->warning;
	close(*fd);
	*fd = tmp;
	if (fstat(tmp, st) < 0)
		return gc_error_create(GC_ERR_IO, "%s: fstat of the decompressed copy: %s",
				       core->path, strerror(errno));
	if ((uint64_t)st->st_size != size || size > SIZE_MAX)
		return gc_error_create(GC_ERR_IO, "%s: decompressed copy is %lld bytes, "
				       "expected %llu", core->path, (long long)st->st_size,
				       (unsigned long long)size);
	return NULL;
}

struct gc_error *ga_core_open(const char *path, struct ga_core **ret)
{
	struct ga_core *core;
	struct gc_error *err = core_new(path, &core);
	if (err)
		return err;
	struct core_priv *priv = core->priv;

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = gc_error_create(GC_ERR_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err = gc_error_create(GC_ERR_IO, "%s: fstat: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = gc_error_create(GC_ERR_IO, "%s: not a regular file", path);
		close(fd);
		goto fail;
	}
	core->file_dev = (uint64_t)st.st_dev;
	core->file_ino = (uint64_t)st.st_ino;
	err = decompress_if_compressed(core, &fd, &st);
	if (err) {
		close(fd);
		goto fail;
	}
	if (st.st_size > 0) {
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			err = gc_error_create(GC_ERR_IO, "%s: mmap: %s", path, strerror(errno));
			close(fd);
			goto fail;
		}
		priv->map = map;
		priv->map_len = (size_t)st.st_size;
		core->data = map;
		core->size = (size_t)st.st_size;
	}
	close(fd);
	err = parse(core);
	if (err && core->decompress_warning && err != &gc_error_nomem) {
		/* The damage to the compressed data is the likely cause. */
		struct gc_error *why = gc_error_create(err->code, "%s (%s)", err->message,
						       core->decompress_warning);
		gc_error_destroy(err);
		err = why;
	}
	if (err)
		goto fail;
	*ret = core;
	return NULL;

fail:
	ga_core_close(core);
	return err;
}

void ga_core_close(struct ga_core *core)
{
	if (!core)
		return;
	struct core_priv *priv = core->priv;
	if (priv) {
		if (priv->map)
			munmap(priv->map, priv->map_len);
		free(priv->path);
		free(priv->warning);
		free(priv->note_warning);
		free(priv);
	}
	free(core->threads);
	free(core->mappings);
	free(core->segments);
	free(core);
}

struct gc_error *ga_core_add_segments(const struct ga_core *core,
				      struct gc_addrspace *as, unsigned tier)
{
	/* A core may have any number of PT_LOADs (PN_XNUM), in any order:
	 * they go in at once. */
	struct gc_range *r = calloc(core->nsegments ? core->nsegments : 1, sizeof(*r));
	if (!r)
		return &gc_error_nomem;
	for (size_t k = 0; k < core->nsegments; k++) {
		const struct ga_core_segment *s = &core->segments[k];
		r[k] = (struct gc_range){s->vaddr, s->memsz,
					 s->avail ? core->data + s->offset : NULL, s->avail};
	}
	struct gc_error *err = gc_addrspace_add_ranges(as, tier, r, core->nsegments, core->path);
	free(r);
	return err;
}

const struct ga_mapping *ga_core_exe_mapping(const struct ga_core *core)
{
	const char *exe = NULL;
	if (core->at_entry) {
		for (size_t k = 0; k < core->nmappings; k++) {
			const struct ga_mapping *m = &core->mappings[k];
			if (m->start <= core->at_entry && core->at_entry < m->end) {
				exe = m->path;
				break;
			}
		}
	}
	if (!exe && core->nmappings)
		exe = core->mappings[0].path;
	if (!exe)
		return NULL;
	return ga_core_file_mapping(core, exe);
}

const struct ga_mapping *ga_core_file_mapping(const struct ga_core *core, const char *path)
{
	const struct ga_mapping *best = NULL;
	for (size_t k = 0; k < core->nmappings; k++) {
		const struct ga_mapping *m = &core->mappings[k];
		if (m->file_offset == 0 && strcmp(m->path, path) == 0 &&
		    (!best || m->start < best->start))
			best = m;
	}
	return best;
}

/* Mappings by (path, start): one file's entries become neighbours. */
static int cmp_mapping_path(const void *a, const void *b)
{
	const struct ga_mapping *x = *(const struct ga_mapping *const *)a;
	const struct ga_mapping *y = *(const struct ga_mapping *const *)b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_file_start(const void *a, const void *b)
{
	const struct ga_mapped_file *x = a, *y = b;
	return x->lowest->start < y->lowest->start ? -1 : x->lowest->start > y->lowest->start;
}

struct gc_error *ga_core_mapped_files(const struct ga_core *core,
				      struct ga_mapped_file **ret, size_t *n_ret)
{
	*ret = NULL;
	*n_ret = 0;
	size_t n = core->nmappings;
	if (n == 0)
		return NULL;
	/* Sorting keeps this O(n log n) however many entries a core claims. */
	const struct ga_mapping **by_path = malloc(n * sizeof(*by_path));
	struct ga_mapped_file *files = calloc(n, sizeof(*files));
	if (!by_path || !files) {
		free(by_path);
		free(files);
		return &gc_error_nomem;
	}
	for (size_t k = 0; k < n; k++)
		by_path[k] = &core->mappings[k];
	qsort(by_path, n, sizeof(*by_path), cmp_mapping_path);
	size_t nf = 0;
	for (size_t k = 0; k < n; k++) {
		const struct ga_mapping *m = by_path[k];
		if (nf == 0 || strcmp(files[nf - 1].path, m->path) != 0)
			files[nf++] = (struct ga_mapped_file){.path = m->path, .lowest = m};
		struct ga_mapped_file *f = &files[nf - 1];
		f->nmappings++;
		if (m->file_offset == 0 && !f->first)
			f->first = m; /* entries come by start: the first is the lowest */
	}
	free(by_path);
	qsort(files, nf, sizeof(*files), cmp_file_start);
	*ret = files;
	*n_ret = nf;
	return NULL;
}
