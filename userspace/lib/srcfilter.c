// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include "srcfilter.h"

#define FILTER_BYTES	(ADM_SRC_FILTER_WORDS * sizeof(__u64))
#define SUMMARY_BYTES	(ADM_SRC_SUMMARY_WORDS * sizeof(__u64))

/* Atomic or of bit `bit` into the mmapable __u64 array fd of `bytes`. */
static int set_bit_mapped(int fd, size_t bytes, __u32 bit)
{
	__u64 *words;

	/* The map is mmapable: an atomic or, as sockops does, loses no other bit. */
	words = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (words == MAP_FAILED)
		return -errno;
	__atomic_fetch_or(&words[bit / 64], 1ULL << (bit % 64), __ATOMIC_RELAXED);
	munmap(words, bytes);
	return 0;
}

int adm_src_filter_mark(int fd, int sum_fd, const struct adm_fp_key *key)
{
	__u32 bit = adm_src_filter_bit(key);
	int err = set_bit_mapped(sum_fd, SUMMARY_BYTES, bit >> ADM_SRC_SUMMARY_SHIFT);

	return err ? err : set_bit_mapped(fd, FILTER_BYTES, bit);
}

int adm_src_summary_rebuild(int fd, int sum_fd)
{
	const __u32 groups = 64 >> ADM_SRC_SUMMARY_SHIFT;	/* summary bits per filter word */
	const __u64 group_mask = (1ULL << (1 << ADM_SRC_SUMMARY_SHIFT)) - 1;
	__u64 *words, *sum;
	__u32 w, g, sbit;
	int err = 0;

	words = mmap(NULL, FILTER_BYTES, PROT_READ, MAP_SHARED, fd, 0);
	if (words == MAP_FAILED)
		return -errno;
	sum = mmap(NULL, SUMMARY_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, sum_fd, 0);
	if (sum == MAP_FAILED) {
		err = -errno;
		munmap(words, FILTER_BYTES);
		return err;
	}
	for (w = 0; w < ADM_SRC_FILTER_WORDS; w++) {
		__u64 v = __atomic_load_n(&words[w], __ATOMIC_RELAXED);

		for (g = 0; v && g < groups; g++) {
			if (!(v >> (g << ADM_SRC_SUMMARY_SHIFT) & group_mask))
				continue;
			sbit = w * groups + g;
			if (!(sum[sbit / 64] >> (sbit % 64) & 1))
				__atomic_fetch_or(&sum[sbit / 64], 1ULL << (sbit % 64),
						  __ATOMIC_RELAXED);
		}
	}
	munmap(sum, SUMMARY_BYTES);
	munmap(words, FILTER_BYTES);
	return 0;
}
