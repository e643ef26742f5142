/* checkpoint.h: a trained model on disk, with the configuration that made it.
 *
 * Format, version 1, little-endian:
 *   "SMLPCKPT"            8 bytes, magic
 *   u32 version           1
 *   u32 n_sizes           2..MLP_MAX_LAYERS+1
 *   u32 sizes[n_sizes]    each >= 1
 *   u64 n_params          must equal the sum over layers of in*out + out
 *   u32 config_len        <= 65536
 *   char config[config_len]   "section.key=value\n" lines (the resolved config)
 *   f32 params[n_params]  W0 b0 W1 b1 ..., as in mlp.h
 *   u32 crc32             zlib crc32 of every byte before it
 * Written atomically (util.h afile); every field is checked on load. */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include "config.h"
#include "mlp.h"

#define CKPT_VERSION 1u

int ckpt_save(const char *path, const mlp_model *m, const cfg *c, char *err, size_t err_len);

/* Loads a checkpoint: its configuration goes over *c (which should start from
 * cfg_defaults), its parameters into a fresh buffer (*params, free()) of
 * *n_params floats whose layer sizes are c->sizes.  0, or -1 + err. */
int ckpt_load(const char *path, cfg *c, float **params, size_t *n_params, char *err,
              size_t err_len);

#endif
