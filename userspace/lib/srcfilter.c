// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include "srcfilter.h"

#define FILTER_BYTES	(ADM_SRC_FILTER_WORDS * sizeof(__u64))

int adm_src_filter_mark(int fd, const struct adm_fp_key *key)
{
	__u32 bit = adm_src_filter_bit(key);
	__u64 *words;

	/* The map is mmapable: an atomic or, as sockops does, loses no other bit. */
	words = mmap(NULL, FILTER_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (words == MAP_FAILED)
		return -errno;
	__atomic_fetch_or(&words[bit / 64], 1ULL << (bit % 64), __ATOMIC_RELAXED);
	munmap(words, FILTER_BYTES);
	return 0;
}
