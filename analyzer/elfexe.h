/* The executable of a core: an ELF file opened with libelf and mmap()ed.
 * Gives its loadable segments, sections by name (when section headers are
 * present), the symbol table (when not stripped), the build ID, and the
 * image's DWARF file descriptor for libdwarf. */
#ifndef GOCORE_ANALYZER_ELFEXE_H
#define GOCORE_ANALYZER_ELFEXE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "../common/addrspace.h"
#include "../goruntime/image.h"

struct ga_exe_segment {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags; /* PF_R/PF_W/PF_X */
};

struct ga_exe_section {
	const char *name;
	uint64_t addr, size, offset;
	uint32_t type; /* SHT_* */
};

struct ga_exe {
	const char *path;
	int fd;               /* kept open for libdwarf */
	const uint8_t *data;  /* the mmap()ed file */
	size_t size;
	uint16_t e_type;      /* ET_EXEC or ET_DYN (PIE) */
	const struct gr_arch *arch; /* from e_machine */
	uint64_t entry;
	struct ga_exe_segment *segments; size_t nsegments; /* PT_LOAD only */
	struct ga_exe_section *sections; size_t nsections;
	uint8_t build_id[64]; size_t build_id_len; /* NT_GNU_BUILD_ID, if any */
	char *go_build_id;    /* .note.go.buildid, if any (malloc'd) */
	bool has_symtab;
	bool has_dwarf;       /* a .debug_info section (plain or compressed .zdebug) */
	/* The file as goruntime sees it (image.h): segments and sections
	 * with their bytes, the symbol lookup, the DWARF descriptor. */
	struct gr_image_file image;
	void *priv;
};

/* Opens the ELF executable at path (GC_ERR_IO / GC_ERR_FORMAT with path in the
 * message: not ELF, not x86-64, not an executable or PIE). */
struct gc_error *ga_exe_open(const char *path, struct ga_exe **ret);
struct gc_error *ga_exe_open_memory(const uint8_t *data, size_t size,
				    const char *name, struct ga_exe **ret);
void ga_exe_close(struct ga_exe *exe);

/* The section with that name, or NULL. */
const struct ga_exe_section *ga_exe_section(const struct ga_exe *exe, const char *name);

/* Bytes of a section in the file (NULL for SHT_NOBITS or out of file). */
const uint8_t *ga_exe_section_data(const struct ga_exe *exe,
				   const struct ga_exe_section *sec);

/* Looks up a symbol by exact name in .symtab (then .dynsym).  Returns true and
 * the link-time value/size when found. */
bool ga_exe_symbol(const struct ga_exe *exe, const char *name,
		   uint64_t *value_ret, uint64_t *size_ret);

/* The symbol (of .symtab, then .dynsym) whose [value, value + size) holds
 * the link-time address addr, and its value; NULL when none does (or the
 * file is stripped).  A linear search: for a few lookups. */
const char *ga_exe_symbol_at(const struct ga_exe *exe, uint64_t addr, uint64_t *value_ret);

/* Adds the file-backed part [vaddr, vaddr+filesz) of each PT_LOAD segment,
 * shifted by bias (the PIE load address; 0 for ET_EXEC), to as in the given
 * tier.  The bss part is left out: its bytes only exist in the core. */
struct gc_error *ga_exe_add_segments(const struct ga_exe *exe,
				     struct gc_addrspace *as, unsigned tier,
				     uint64_t bias);

/* Reads bytes at a link-time virtual address from the file image (no bias). */
const uint8_t *ga_exe_vaddr_ptr(const struct ga_exe *exe, uint64_t vaddr, size_t len);

#endif
