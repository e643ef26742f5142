/* gemm_pack.h: the ISA-independent half of the packed GEMM kernels (gemm_avx2.c,
 * gemm_avx512.c): cache blocking, packing loops, scratch and the loop nest around
 * a register-blocked micro-kernel.  Private to those two files (gemm_avx512bf16.c
 * takes its scratch and epilogue parameters, with a loop nest of its own for its
 * bf16 panels); plain C, no intrinsics (each includer compiles it with its own ISA
 * flags, so the copy loops vectorize for that ISA).  The transposing pack is the one ISA-specific loop:
 * the includer passes it in gemm_arch.pack_t, so this driver names no ISA.
 *
 * Loop nest (BLIS's five loops, GotoBLAS blocking):
 *   jc over N by NC      B block of KC x NC (packed into column micro-panels, or
 *                        read in place)
 *     pc over K          K in ceil(K/KC) near-equal blocks (depends on K only)
 *       ic over M by MC  A block of MC x KC (packed into MR-row micro-panels, or
 *                        read in place), kept in L2
 *         jr over NC by NR
 *           ir over MC by MR: micro-kernel on one tile of C
 * Each B micro-panel (KC x NR) is fetched once per A block and then reused from
 * L1/L2 by all its row tiles.  An operand is read in place when packing would
 * not pay back (gemm_arch.pack_a/pack_b); the micro-kernel takes strides for it.
 *
 * Accumulation order, the same in every path: each element of C is, per K block,
 * a sequential chain of FMAs from 0 in increasing k, then combined with C by the
 * micro-kernel's epilogue (alpha*acc, or alpha*acc + beta*C with one FMA, a
 * multiply by an alpha or beta of 1 skipped as it is exact; later K blocks use
 * beta = 1).  Packing or not, tile position and edge masks change
 * only where the data comes from, so any partition of C (gemm_omp) gives
 * bit-identical results. */
#ifndef GEMM_PACK_H
#define GEMM_PACK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "impl.h"

/* What the micro-kernel does with its tile of accumulators before storing it:
 *   v = beta == 0 ? alpha*acc : alpha*acc + beta*C   (C not read when beta == 0)
 *   v += bias[j] when bias;  v = max(v, 0) when relu. */
typedef struct {
    float alpha, beta;
    const float *bias; /* (nr) columns of this tile, or NULL */
    bool relu;
} gemm_epi;

/* The epilogue's cases; the two common ones get branch-free code. */
enum {
    GEMM_EPI_STORE, /* alpha 1, beta 0, no bias or ReLU: v = acc */
    GEMM_EPI_ADD,   /* alpha 1, beta 1, no bias or ReLU: v = acc + C */
    GEMM_EPI_ANY,
};
static inline int gemm_epi_mode(const gemm_epi *e)
{
    if (e->bias || e->relu || e->alpha != 1.0f)
        return GEMM_EPI_ANY;
    return e->beta == 0.0f ? GEMM_EPI_STORE : e->beta == 1.0f ? GEMM_EPI_ADD : GEMM_EPI_ANY;
}

/* Micro-kernel: the mr x nr tile (mr <= MR, nr <= NR; or mr <= mr_w, nr <= nr_w,
 * the wide tile) of C at c (row stride ldc)
 * gets the epilogue of sum over k < kc of a(i,k) * b(k,j), where
 *   a(i,k) = a[i*rsa + k*csa]  with rsa == 1 (packed, or ta in place) or csa == 1
 *                               (A read in place, one pointer per row),
 *   b(k,j) = b[k*rsb + j]      (packed panel: rsb = its width; in place: ldb).
 * Reads only the mr x nr cells of C and b's first nr columns. */
typedef void (*gemm_ukr_fn)(int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
                            const float *b, ptrdiff_t rsb, float *c, ptrdiff_t ldc,
                            int mr, int nr, const gemm_epi *e);

/* Transposed micro-kernel for narrow C (optional): the same sum and epilogue
 * (without bias and ReLU) for an mr x nr tile, mr <= mr_t, nr <= nr_t, with
 * vectors running down the columns of C:
 *   a(i,k) = a[k*csa + i]  (ta in place: rows of A^T are contiguous in i),
 *   b(k,j) = b[k*rsb + j]  (!tb in place: broadcast one element per column). */
typedef void (*gemm_ukr_t_fn)(int kc, const float *a, ptrdiff_t csa, const float *b,
                              ptrdiff_t rsb, float *c, ptrdiff_t ldc, int mr, int nr,
                              const gemm_epi *e);

/* One ISA's kernel: register tile, cache blocking and the two pack decisions. */
typedef struct {
    int mr, nr;     /* register tile */
    int kc, mc, nc; /* cache blocks: kc max, mc multiple of mr, nc of nr */
    gemm_ukr_fn ukr;
    /* Used instead of ukr, when not NULL, for ta && !tb && N <= nr_t: there ukr
     * would fill only N of each vector's lanes (the MLP's weight gradient of the
     * 10-class output layer).  mr_t rows per tile. */
    gemm_ukr_t_fn ukr_t;
    int mr_t, nr_t;
    /* Wide tile (optional, nr_w 0 where none): where all of N fits in one tile
     * nr < N <= nr_w and neither operand is packed, ukr runs mr_w x N tiles
     * instead of an mr x nr tile beside a narrow one (N = 64: 48 + 16 columns,
     * whose 16-column tiles broadcast one A element per FMA). */
    int mr_w, nr_w;
    /* Whether to pack A (B) for this call; otherwise it is read in place (B only
     * when !tb).  Must not depend on anything but the arguments. */
    bool (*pack_a)(bool ta, int M, int N, int K);
    bool (*pack_b)(bool tb, int M, int N, int K);
    /* The transposing pack, dst[c*dstride + r] = src[r*ld + c] for r < rows,
     * c < cols: A's panels when !ta, B's when tb. */
    void (*pack_t)(int rows, int cols, const float *src, ptrdiff_t ld, float *dst,
                   ptrdiff_t dstride);
} gemm_arch;

/* The key whose destructor frees a thread's scratch when the thread exits
 * (OpenMP ends worker threads when the team shrinks). */
static pthread_key_t gemm_scratch_key;
static pthread_once_t gemm_scratch_once = PTHREAD_ONCE_INIT;
static void gemm_scratch_make_key(void) { pthread_key_create(&gemm_scratch_key, free); }

/* Thread-local, 64-byte aligned scratch of at least n floats, grown on demand
 * and kept for the thread's next call, freed when the thread exits.  Exits with
 * a message when out of memory (as xmalloc does): a kernel has no error return
 * and must not leave C unwritten. */
static inline float *gemm_scratch(size_t n)
{
    static _Thread_local float *buf;
    static _Thread_local size_t cap;
    if (n > cap) {
        size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
        free(buf);
        buf = aligned_alloc(64, bytes);
        if (!buf) {
            fprintf(stderr, "gemm: out of memory for %zu bytes of packing scratch\n",
                    bytes);
            exit(EXIT_FAILURE);
        }
        cap = n;
        pthread_once(&gemm_scratch_once, gemm_scratch_make_key);
        pthread_setspecific(gemm_scratch_key, buf);
    }
    return buf;
}

/* A block (mc x kc of op(A), at its top-left element) into MR-row micro-panels:
 * panel p holds rows p*MR.., dst[p*MR*kc + k*MR + i]; a short last panel keeps
 * the MR stride and its missing rows are never read.  (A full panel's rows of
 * ta are MR contiguous floats: one memcpy of constant size, a single vector move;
 * at -O2 gcc does not vectorize the element loop.) */
static inline void gemm_pack_a(const gemm_arch *g, bool ta, int mc, int kc,
                               const float *a, int lda, float *dst)
{
    const int MR = g->mr;
    for (int i0 = 0; i0 < mc; i0 += MR) {
        int mr = mc - i0 < MR ? mc - i0 : MR;
        float *d = dst + (ptrdiff_t)i0 * kc;
        if (!ta) {
            g->pack_t(mr, kc, a + (ptrdiff_t)i0 * lda, lda, d, MR);
        } else if (mr == MR) {
            for (int k = 0; k < kc; k++)
                memcpy(d + (ptrdiff_t)k * MR, a + (ptrdiff_t)k * lda + i0, sizeof(float) * MR);
        } else {
            for (int k = 0; k < kc; k++)
                for (int i = 0; i < mr; i++)
                    d[(ptrdiff_t)k * MR + i] = a[(ptrdiff_t)k * lda + i0 + i];
        }
    }
}

/* B block (kc x nc of op(B)) into NR-column micro-panels (the last one w < NR
 * wide): the panel at column j0 starts at dst + j0*kc and holds dst[k*w + j]. */
static inline void gemm_pack_b(const gemm_arch *g, bool tb, int kc, int nc,
                               const float *b, int ldb, float *dst)
{
    for (int j0 = 0, w; j0 < nc; j0 += w) {
        w = nc - j0 < g->nr ? nc - j0 : g->nr;
        float *d = dst + (ptrdiff_t)j0 * kc;
        if (tb) {
            g->pack_t(w, kc, b + (ptrdiff_t)j0 * ldb, ldb, d, w);
        } else if (w == g->nr) {
            for (int k = 0; k < kc; k++)
                memcpy(d + (ptrdiff_t)k * g->nr, b + (ptrdiff_t)k * ldb + j0,
                       sizeof(float) * (size_t)g->nr);
        } else {
            for (int k = 0; k < kc; k++)
                for (int j = 0; j < w; j++)
                    d[(ptrdiff_t)k * w + j] = b[(ptrdiff_t)k * ldb + j0 + j];
        }
    }
}

/* The L1d and L2 sizes in bytes that the CPU reports (glibc reads them from
 * CPUID), or Zen 4's 32 KiB and 1 MiB where it reports none. */
static inline void gemm_cache_sizes(long *l1d, long *l2)
{
    *l1d = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    *l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (*l1d <= 0)
        *l1d = 32 * 1024;
    if (*l2 <= 0)
        *l2 = 1024 * 1024;
}

/* Size of K block kb of nkb: K split into near-equal parts, so that the blocking
 * (and with it each element's FMA order) depends on K only. */
static inline int gemm_kc(int K, int nkb, int kb)
{
    return K / nkb + (kb < K % nkb);
}

/* The loop nest: C = alpha*op(A)*op(B) + beta*C, then + bias and ReLU when asked
 * (bias NULL, relu false for plain GEMM).  Contract as in kernels.h. */
static inline void gemm_drive(const gemm_arch *g, bool ta, bool tb, int M, int N, int K,
                              float alpha, const float *A, int lda, const float *B,
                              int ldb, float beta, float *C, int ldc, const float *bias,
                              bool relu)
{
    if (gemm_trivial(M, N, K, alpha, beta, C, ldc)) {
        if (bias) /* the fused forward pass with K == 0: C = relu?(0 + bias) */
            bias_act_scalar(M, N, bias, relu, C, ldc);
        return;
    }
    const int MR = g->mr;
    const int nkb = (K + g->kc - 1) / g->kc;
    if (g->ukr_t && ta && !tb && !bias && N <= g->nr_t) {
        for (int kb = 0, pc = 0; kb < nkb; pc += gemm_kc(K, nkb, kb++)) {
            const gemm_epi e = {alpha, kb == 0 ? beta : 1.0f, NULL, false};
            for (int i0 = 0; i0 < M; i0 += g->mr_t)
                g->ukr_t(gemm_kc(K, nkb, kb), A + (ptrdiff_t)pc * lda + i0, lda,
                         B + (ptrdiff_t)pc * ldb, ldb, C + (ptrdiff_t)i0 * ldc, ldc,
                         M - i0 < g->mr_t ? M - i0 : g->mr_t, N, &e);
        }
        return;
    }
    const int kc_max = gemm_kc(K, nkb, 0);
    const bool pa = g->pack_a(ta, M, N, K);
    const bool pb = tb || g->pack_b(tb, M, N, K);
    const bool wide = N > g->nr && N <= g->nr_w && !pa && !pb;
    const int mr_step = wide ? g->mr_w : MR, nr_step = wide ? g->nr_w : g->nr;
    const int mc_max = M < g->mc ? M : g->mc, nc_max = N < g->nc ? N : g->nc;
    const size_t a_len = pa ? (size_t)(mc_max + MR - 1) / MR * MR * kc_max : 0;
    const size_t b_len = pb ? (size_t)nc_max * kc_max : 0;
    float *a_buf = a_len + b_len ? gemm_scratch(a_len + b_len) : NULL;
    float *b_buf = a_buf + a_len;

    for (int jc = 0; jc < N; jc += g->nc) {
        const int nc = N - jc < g->nc ? N - jc : g->nc;
        for (int kb = 0, pc = 0; kb < nkb; pc += gemm_kc(K, nkb, kb++)) {
            const int kc = gemm_kc(K, nkb, kb);
            const bool last = kb == nkb - 1;
            gemm_epi e = {alpha, kb == 0 ? beta : 1.0f, NULL, relu && last};
            const float *b_blk =
                tb ? B + (ptrdiff_t)jc * ldb + pc : B + (ptrdiff_t)pc * ldb + jc;
            if (pb)
                gemm_pack_b(g, tb, kc, nc, b_blk, ldb, b_buf);
            for (int ic = 0; ic < M; ic += g->mc) {
                const int mc = M - ic < g->mc ? M - ic : g->mc;
                const float *a_blk =
                    ta ? A + (ptrdiff_t)pc * lda + ic : A + (ptrdiff_t)ic * lda + pc;
                if (pa)
                    gemm_pack_a(g, ta, mc, kc, a_blk, lda, a_buf);
                /* a(i,k) = a[i*rsa + k*csa]; row tile ir starts at a + ir*a_step */
                const float *a = pa ? a_buf : a_blk;
                const ptrdiff_t rsa = pa || ta ? 1 : lda, csa = pa ? MR : ta ? lda : 1;
                const ptrdiff_t a_step = pa ? kc : rsa;
                for (int jr = 0, nr; jr < nc; jr += nr) {
                    nr = nc - jr < nr_step ? nc - jr : nr_step;
                    const float *b = pb ? b_buf + (ptrdiff_t)jr * kc : b_blk + jr;
                    e.bias = last && bias ? bias + jc + jr : NULL;
                    for (int ir = 0; ir < mc; ir += mr_step)
                        g->ukr(kc, a + ir * a_step, rsa, csa, b, pb ? nr : ldb,
                               C + (ptrdiff_t)(ic + ir) * ldc + jc + jr, ldc,
                               mc - ir < mr_step ? mc - ir : mr_step, nr, &e);
                }
            }
        }
    }
}

#endif
