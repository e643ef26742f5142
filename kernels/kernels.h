/* kernels.h: the one kernel interface that harness/ includes.
 *
 * Two families, each a table of entries selected by name at run time (registry.c):
 *   gemm        C = alpha*op(A)*op(B) + beta*C, float, row-major, BLAS semantics;
 *   activation  everything element- or row-wise the trainer runs: bias + ReLU,
 *               ReLU backward, bias gradient, softmax + cross-entropy forward and
 *               backward, the optimizer updates, the weight average, the batch
 *               gather's pixels and the augmentation's image warp.
 * Tables run slowest to fastest; `auto` picks the last entry this CPU runs that is
 * neither an external reference nor a bf16 one (KERNEL_BF16). `naive` (gemm) and `scalar` (activation) are the
 * references every other entry is tested against. A new kernel is one .c file,
 * one table row in registry.c and nothing in harness/. */
#ifndef KERNELS_H
#define KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* CPU feature bits, checked once in registry.c with __builtin_cpu_supports (which
 * also checks that the OS saves the wide registers), less those hidden by the
 * environment variable SIMD_MLP_MAX_ISA=avx2 or x86-64 (to run and test the
 * narrower kernels, and `auto`, as on an older CPU). */
enum {
    CPU_AVX2 = 1u << 0,
    CPU_FMA = 1u << 1,
    CPU_AVX512F = 1u << 2,
    CPU_AVX512VL = 1u << 3,
    CPU_AVX512BW = 1u << 4,
    CPU_AVX512DQ = 1u << 5,
    CPU_AVX512BF16 = 1u << 6,
};
unsigned cpu_features(void);
/* NULL when the environment's settings for the kernels (SIMD_MLP_MAX_ISA: avx512,
 * avx2 or x86-64) are valid, else the message, written into buf. */
const char *kernels_env_error(char *buf, size_t len);
/* Names of the bits in `mask` ("avx2 fma avx512f"), or "none". */
void cpu_features_str(unsigned mask, char *buf, size_t len);

/* GEMM, row-major:  C = alpha*op(A)*op(B) + beta*C
 *   op(A) is M x K: A is M x K with lda >= K, or K x M with lda >= M when ta.
 *   op(B) is K x N: B is K x N with ldb >= N, or N x K with ldb >= K when tb.
 *   C is M x N with ldc >= N.  M, N >= 0; K >= 0.  K == 0 or alpha == 0: C = beta*C,
 *   A and B not read (the BLAS quick return; gemm_trivial in impl.h does it).
 *   beta == 0: C is write-only and may hold NaN (the BLIS contract).
 *   Cells of C outside the M x N block (the ldc padding) are never touched. */
typedef void (*gemm_fn)(bool ta, bool tb, int M, int N, int K, float alpha,
                        const float *A, int lda, const float *B, int ldb,
                        float beta, float *C, int ldc);

/* Fused forward layer, the GEMM epilogue: C = A·B + bias (bias broadcast over the
 * rows), then max(C, 0) when relu, applied while C is still in registers.
 * A is M x K (lda >= K), B is K x N (ldb >= N), C is M x N (ldc >= N); C is
 * write-only.  Same result as run(false, false, M, N, K, 1, A, lda, B, ldb, 0, C,
 * ldc) followed by the activation set's bias_act. */
typedef void (*gemm_bias_act_fn)(int M, int N, int K, const float *A, int lda, const float *B,
                                 int ldb, const float *bias, bool relu, float *C, int ldc);

enum {
    KERNEL_THREADED = 1u << 0,  /* uses kernels_set_threads() threads */
    KERNEL_REFERENCE = 1u << 1, /* an external library: listed, never picked by auto */
    /* Runs a thread pool of its own, not OpenMP's: the trainer keeps its
     * elementwise work (kernels_parallel_for) on one thread beside it, as two
     * pools spinning on the same cores starve each other (measured: an epoch
     * with openblas on 2 threads went from 0.42 s to 1.36 s). */
    KERNEL_OWN_POOL = 1u << 2,
    /* Rounds A and B to bfloat16 and sums in FP32: a changed arithmetic, with
     * the looser bound of gemm_error_bound; listed, never picked by auto. */
    KERNEL_BF16 = 1u << 3,
};

/* The bfloat16 that vcvtne2ps2bf16 rounds x to, as its 16 bits: to nearest,
 * ties to even; zero and denormals to a zero of their sign; NaN kept quiet.  For
 * the tests' bf16 reference and the benchmark's oneDNN operands. */
static inline uint16_t kernels_bf16_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7f800000u) == 0)
        u &= 0x80000000u;
    else if ((u & 0x7fffffffu) > 0x7f800000u)
        u |= 0x00400000u;
    else
        u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

/* The bound every GEMM kernel with these flags keeps, relative to
 * T = |alpha| * sum_k |a_ik b_kj| + |beta c_ij|:  |C - exact| <= bound * T.
 * FP32 (Higham 3.1, 3.5): the K products summed in any order and blocking, with
 * or without FMA, then alpha and beta, are within gamma(K+3)*T, under
 * (K + 4) * 2^-24 * T; the bound is twice that.  KERNEL_BF16 adds the operands'
 * rounding: each bf16 value is within 2^-8 of its FP32 one, relatively (8-bit
 * significand, round to nearest), so each product within 2^-7 + 2^-16, and the
 * products are exact in FP32: 2^-7 + 2^-15 more (a factor of 2 over 2^-16 for
 * the bound's own slack, none on the first order term, which is tight). */
static inline double gemm_error_bound(unsigned flags, int K)
{
    const double fp32 = (K + 4) * 0x1p-23;
    return flags & KERNEL_BF16 ? fp32 + 0x1p-7 + 0x1p-15 : fp32;
}

typedef struct {
    const char *name; /* as written in .ini files and on the command line */
    const char *desc; /* one line for `./experiment kernels` */
    unsigned needs;   /* CPU_* bits the kernel needs */
    unsigned flags;   /* KERNEL_* */
    gemm_fn run;
    gemm_bias_act_fn bias_act; /* NULL: the trainer calls run, then the activation set */
} gemm_kernel;

/* Image bytes to inputs: pixel / KERNELS_PIXEL_SCALE (a correctly rounded IEEE
 * division, so the loader and every activation set's `pixels` give the same
 * floats). */
#define KERNELS_PIXEL_SCALE 255.0f

/* Activation family.  Shapes: B rows (the batch), N or C columns, row stride ld. */
typedef struct {
    float lr, beta1, beta2, eps;
    float bias_corr1, bias_corr2; /* 1 - beta1^t, 1 - beta2^t for step t >= 1 */
    float ema;                    /* mu of the weight average, when adam is given one */
    float decay;                  /* lr * weight decay (AdamW's decoupled decay); 0 is off */
} adam_params;

/* One image warp (harness/augment.c's distortions), rows x cols pixels.  Output
 * pixel (i, j) samples the source at (y, x), with u = (float)j - cx and
 * v = (float)i - cy:
 *   y = ((cy + r10*u) + r11*v) - ty,  then y += alpha*fy[i*cols + j] when fy;
 *   x = ((cx + r00*u) + r01*v) - tx,  then x += alpha*fx[i*cols + j] when fx;
 * in this order, each a rounding; then y += pad, x += pad (the padded image's
 * coordinates), clamped into [0.5, rows + pad + 0.5] and [0.5, cols + pad + 0.5]
 * (past the image every neighbour is zero).  With y0 = (int)y, wy = y - y0 and
 * the same for x, p = src + y0*ld + x0:
 *   top = p[0] + wx*(p[1] - p[0]),  bot = p[ld] + wx*(p[ld+1] - p[ld]),
 *   out[i*cols + j] = top + wy*(bot - top).
 * src is the image inside a zero border of pad >= 2 pixels: (rows + 2 pad) x
 * (cols + 2 pad), row stride ld = cols + 2 pad.  fy and fx are rows x cols,
 * both NULL or both not.  Bit-identical in every set. */
typedef struct {
    int rows, cols, pad;
    float cy, cx;             /* the centre the rotation turns about */
    float r00, r01, r10, r11; /* the inverse rotation and scaling */
    float ty, tx;             /* the shift */
    float alpha;              /* the field's scale */
    const float *fy, *fx;     /* the displacement field, or NULL */
} warp_params;

typedef struct {
    const char *name, *desc;
    unsigned needs;
    /* Y[b][n] += bias[n], then Y = (Y > 0 ? Y : +0) when relu (so -0 and NaN
     * give +0).  Y is B x N with stride ldy >= N; the padding is not touched. */
    void (*bias_act)(int B, int N, const float *bias, bool relu, float *Y, int ldy);
    /* dY[i] = 0 where Y[i] <= 0 (Y the ReLU output); n contiguous floats. */
    void (*relu_bwd)(size_t n, const float *Y, float *dY);
    /* db[n] += sum over b of dY[b][n].  dY is B x N with row stride ldy >= N (a
     * block of columns of a wider matrix, as the trainer's threads each take). */
    void (*bias_grad)(int B, int N, const float *dY, int ldy, float *db);
    /* Row-wise softmax of the logits Z (B x C, contiguous) into P (B x C).
     * Returns the summed cross-entropy -log P[b][label[b]] over the rows (computed
     * with log-sum-exp, so it is finite for any finite Z) and writes each row's
     * argmax into pred[b] (first index on ties).  1 <= C <= 256, label[b] < C.
     * Other sets match scalar's P within a few ulp and its pred exactly. */
    double (*softmax_xent)(int B, int C, const float *Z, const uint8_t *label,
                           float *P, uint8_t *pred);
    /* dZ = scale * (P - onehot(label)).  P and dZ are B x C, contiguous; may alias. */
    void (*xent_bwd)(int B, int C, const float *P, const uint8_t *label, float scale,
                     float *dZ);
    /* SGD with momentum mu (mu == 0: plain SGD, vel unused) and L2 weight decay
     * wd (coupled: its gradient wd*p joins g; wd == 0 leaves g's bits):
     *   g' = g + wd*p;  vel = mu*vel - lr*g';  p += vel   (Keras' SGD(momentum=mu)) */
    void (*sgd)(size_t n, float *p, const float *g, float *vel, float lr, float mu, float wd);
    /* Adam (Kingma & Ba, in the form Keras uses, epsilon outside the correction):
     *   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
     *   p = (p - decay*p) - lr * sqrt(bc2)/bc1 * m / (sqrt(v) + eps)
     * (decay = lr * weight decay, decoupled from the gradient as AdamW's, Loshchilov
     * & Hutter 2019; decay == 0 leaves Adam's bits)
     * then, when avg is not NULL, avg = ema(avg, p, a->ema) as below on the new p,
     * in the same pass, while p is in registers: one pass over memory, not two. */
    void (*adam)(size_t n, float *p, const float *g, float *m, float *v, float *avg,
                 const adam_params *a);
    /* Weight averaging (Keras' use_ema): avg = mu*avg + (1-mu)*p, n floats. */
    void (*ema)(size_t n, float *avg, const float *p, float mu);
    /* dst[i] = src[i] / KERNELS_PIXEL_SCALE, n bytes into n floats (the batch
     * gather's image rows; bit-identical in every set). */
    void (*pixels)(size_t n, const uint8_t *src, float *dst);
    /* out (w->rows x w->cols) = src warped by w, as warp_params says. */
    void (*warp)(const warp_params *w, const float *src, float *out);
} act_kernel;

/* Tables, for listing (`./experiment kernels`, the benchmark, the tests). */
const gemm_kernel *gemm_table(size_t *n);
const act_kernel *act_table(size_t *n);

/* Looks `name` up ("auto" picks the fastest this CPU runs).  On failure returns
 * NULL and writes the reason, with a hint, into why. */
const gemm_kernel *gemm_select(const char *name, char *why, size_t why_len);
const act_kernel *act_select(const char *name, char *why, size_t why_len);
/* True when this CPU has every feature in `needs`. */
bool kernel_runs_here(unsigned needs);

/* Threads for the threaded kernels (ours and the reference library's, which
 * takes the count at its next call); n <= 0 means every core.  Returns the
 * number now in force. */
int kernels_set_threads(int n);
int kernels_max_threads(void);

/* gemm_omp's threshold: a call of fewer multiply-adds (M*N*K) than this stays on
 * one thread.  Its value is compiled in (GEMM_OMP_MIN_WORK, gemm_omp.c) from the
 * crossover that `make bench` measures; the benchmark lowers it to time the split
 * below it.  Sets it when macs >= 0; returns the value before the call. */
double kernels_omp_min_work(double macs);

/* Runs fn(lo, hi, ctx) over [0, n) split into contiguous ranges, one per thread
 * of kernels_set_threads() (fewer, so that each has at least min_per_thread
 * elements; a single call fn(0, n, ctx) on one thread).  Ranges start at
 * multiples of 16 elements.  The workers take the caller's denormal mode.  For
 * elementwise work, whose result is then the same for every thread count. */
void kernels_parallel_for(size_t n, size_t min_per_thread,
                          void (*fn)(size_t lo, size_t hi, void *ctx), void *ctx);

/* The trainer's team: fn(t, nt, ctx) runs once on each of nt threads (t = 0 on
 * the caller), in one OpenMP parallel region for a whole training step, where
 * the kernels would otherwise open one per call.  The threads take the caller's
 * denormal mode.  When nt equals the cores the process may run on, each thread
 * is bound to its own core at its first step (thread t to the t-th allowed CPU)
 * and stays there: a thread that moved would leave its share of the weights in
 * another core's cache.  kernels_team_sync() is a barrier among the team (a
 * no-op for nt = 1).  Inside fn, kernels_parallel_for and gemm_omp run on the
 * calling thread only: the team has already split the work.  nt = 1 calls
 * fn(0, 1, ctx) directly, with the kernels' threads set to 1 meanwhile. */
void kernels_team_run(int nt, void (*fn)(int t, int nt, void *ctx), void *ctx);
void kernels_team_sync(void);

/* This CPU's FP32 FMA peak on `threads` OpenMP threads, flop/s, measured
 * (about 20 ms) with the widest FMA it runs (peak.h); 0 without AVX2 and FMA. */
double kernels_fma_peak(int threads);

/* STREAM (McCalpin) over three arrays a, b, c of n floats, each of `threads`
 * OpenMP threads streaming its own contiguous part (the same part in every
 * pass, so the pass STREAM_FIRST_TOUCH places each page where it is used):
 *   STREAM_FIRST_TOUCH  a = 0, b = 1, c = 2 (before any timed pass)
 *   STREAM_COPY         a = b
 *   STREAM_TRIAD        a = b + 3c */
typedef enum { STREAM_FIRST_TOUCH, STREAM_COPY, STREAM_TRIAD } stream_op;
void kernels_stream_pass(stream_op op, float *a, float *b, float *c, size_t n, int threads);
/* Bytes one pass of op moves by STREAM's count: the arrays read and written,
 * no write-allocate reads. */
double kernels_stream_bytes(stream_op op, size_t n);
/* STREAM's bandwidth, bytes per second: the fastest of reps passes of op over
 * freshly allocated arrays (first touch untimed); 0 when they cannot be
 * allocated. */
double kernels_stream(stream_op op, size_t n, int threads, int reps);

/* Flush denormal floats (nonzero |x| < FLT_MIN) to zero, as results (FTZ) and as
 * inputs (DAZ), on the calling thread and in gemm_omp's workers (which copy the
 * caller's mode), or (on = false) return to IEEE gradual underflow.  The trainer
 * turns it on, as TensorFlow does by default: Adam's second moments and the
 * gradients of saturated units underflow into denormals, which x86 cores handle
 * in microcode at many times the cost of a normal FMA (measured: an epoch of the
 * default experiment, 1 thread, 0.41 s with denormals, 0.27 s flushed).  Returns
 * the previous setting. */
bool kernels_flush_denormals(bool on);

#endif
