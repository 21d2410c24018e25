/* Bounds-checked little-endian readers over untrusted byte buffers.
 * Every function returns false (and leaves *ret alone) when the read would
 * leave [buf, buf+size); offsets are checked for overflow. */
#ifndef GOCORE_COMMON_BYTES_H
#define GOCORE_COMMON_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline bool gc_in_bounds(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

static inline bool gc_get_u8(const uint8_t *buf, size_t size, uint64_t off, uint8_t *ret)
{
	if (!gc_in_bounds(size, off, 1))
		return false;
	*ret = buf[off];
	return true;
}

static inline bool gc_get_u16(const uint8_t *buf, size_t size, uint64_t off, uint16_t *ret)
{
	if (!gc_in_bounds(size, off, 2))
		return false;
	*ret = (uint16_t)(buf[off] | (uint16_t)buf[off + 1] << 8);
	return true;
}

static inline bool gc_get_u32(const uint8_t *buf, size_t size, uint64_t off, uint32_t *ret)
{
	if (!gc_in_bounds(size, off, 4))
		return false;
	const uint8_t *p = buf + off;
	*ret = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
	return true;
}

static inline bool gc_get_u64(const uint8_t *buf, size_t size, uint64_t off, uint64_t *ret)
{
	uint32_t lo, hi;
	if (!gc_get_u32(buf, size, off, &lo) || !gc_get_u32(buf, size, off + 4, &hi))
		return false;
	*ret = (uint64_t)hi << 32 | lo;
	return true;
}

/* Unsigned LEB128 as the Go runtime writes it (at most 10 bytes for 64 bits).
 * On success stores the value and the bytes consumed. */
static inline bool gc_get_uvarint(const uint8_t *buf, size_t size, uint64_t off,
				  uint64_t *ret, size_t *len_ret)
{
	uint64_t v = 0;
	for (unsigned shift = 0, i = 0; i < 10; i++, shift += 7) {
		uint8_t b;
		if (!gc_get_u8(buf, size, off + i, &b))
			return false;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			*len_ret = i + 1;
			return true;
		}
	}
	return false;
}

/* Checked a+b for uint64 offsets. */
static inline bool gc_add_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	return !__builtin_add_overflow(a, b, ret);
}

#endif
