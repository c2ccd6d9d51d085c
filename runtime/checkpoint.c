/* Checkpoints (see checkpoint.h). */
#define _DEFAULT_SOURCE   /* gethostname */
#include "checkpoint.h"
#include "h5open.h"
#include "network_json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "h5files.h"
#include "h5single.h"
#include "h5retry.h"
#include "h5syserr.h"
#include "util.h"

/* The two digests a checkpoint carries (digest.h): `run` of what every
 * load uses (parameters, untrained state, input divisors, step, epoch,
 * seed, settings, and the layer table, which hepcnn-export builds its model
 * from), `adam` of what only a resume uses (Adam's moments and step), so
 * that test mode checks the first without reading the second. */
typedef struct {
    hep_digest run, adam;
} checkpoint_digests;

/* The run record's part of both digests, after the tensors', in the same
 * order on both sides (`layers`: NULL for formats before 4). */
static void digest_record(checkpoint_digests *dg, const hep_checkpoint_state *state, long long adam_step,
                          const char *layers)
{
    const int64_t adam_step64 = adam_step;
    hep_digest_run_record(&dg->run, state->channel_max, (size_t)state->channels, state->step, state->epoch,
                          state->seed, state->settings, layers);
    hep_digest_add(&dg->adam, &adam_step64, sizeof adam_step64);
}

void hep_checkpoint_path(const char *outputpath, long step, char *path, size_t len)
{
    snprintf(path, len, "%s/models/model-%ld.h5", outputpath, step);
}

static int write_attr(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = space < 0 ? -1 : H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t s = a < 0 ? -1 : H5Awrite(a, type, value);
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    return s < 0 ? -1 : 0;
}

static int write_string_attr(hid_t obj, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0) return -1;
    int rc = H5Tset_size(type, strlen(value) + 1) < 0 ? -1 : write_attr(obj, name, type, value);
    H5Tclose(type);
    return rc;
}

/* A float dataset [dims] whose chunks carry a Fletcher-32 checksum, so that
 * a checkpoint damaged on disk is refused when read instead of resuming
 * from altered weights. Chunks of whole rows, at most CHUNK_BYTES (HDF5
 * allows under 4 GiB). Returns the dataset or -1. */
#define CHUNK_BYTES (256u << 20)
static hid_t create_checked_dataset(hid_t file, hid_t lcpl, const char *name, int rank, const hsize_t *dims)
{
    hsize_t chunk[4];
    size_t row_bytes = sizeof(float);
    for (int d = 0; d < rank; d++) chunk[d] = dims[d];
    for (int d = 1; d < rank; d++) row_bytes *= dims[d];
    if (dims[0] * row_bytes > CHUNK_BYTES) chunk[0] = CHUNK_BYTES / row_bytes > 0 ? CHUNK_BYTES / row_bytes : 1;
    hid_t space = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), ds = -1;
    if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0 && H5Pset_fletcher32(dcpl) >= 0)
        ds = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, lcpl, dcpl, H5P_DEFAULT);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (space >= 0) H5Sclose(space);
    return ds;
}

/* data [dims] as a checked dataset: 0, or -1 with errno the system's error
 * behind it (0: none said). The close counts: it writes the chunks HDF5
 * still holds. */
static int write_floats(hid_t file, hid_t lcpl, const char *name, int rank, const hsize_t *dims, const float *data)
{
    hid_t ds = create_checked_dataset(file, lcpl, name, rank, dims);
    herr_t s = ds < 0 ? -1 : H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    int err = s < 0 ? hep_h5_system_errno() : 0;
    if (ds >= 0 && H5Dclose(ds) < 0 && s >= 0) {
        s = -1;
        err = hep_h5_system_errno();
    }
    errno = err;
    return s < 0 ? -1 : 0;
}

static int write_tensor(hid_t file, hid_t lcpl, const char *name, const hep_tensor_info *t, const float *plain)
{
    hsize_t dims[4];
    for (int d = 0; d < t->ndim; d++) dims[d] = (hsize_t)t->shape[d];
    return write_floats(file, lcpl, name, t->ndim, dims, plain + t->offset);
}

/* fsync of a file or folder: 0, or -1 with errno set. */
static int fsync_path(const char *path, int directory)
{
    int fd = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return -1;
    const int rc = fsync(fd), err = errno;
    close(fd);
    errno = err;
    return rc;
}

/* Temporary files of a writer that was killed are never loaded: remove
 * them (this run holds the outputpath's lock, so no other writer runs). */
static void remove_stale_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (!strncmp(e->d_name, ".model-", 7) && len > 11 && !strcmp(e->d_name + len - 4, ".tmp")) {
            char stale[4500];
            snprintf(stale, sizeof stale, "%s/%s", dir, e->d_name);
            unlink(stale);
        }
    }
    if (d) closedir(d);
}

/* The parameters and, where given, Adam's moments (adam/m/..., adam/v/...),
 * each tensor in PyTorch's order; then the untrained state. Each goes into
 * its digest as written. 0 or -1. */
static int write_tensors(hid_t file, hid_t lcpl, const hep_model *m, const hep_model_info *info, const float *params,
                         const float *adam_m, const float *adam_v, const float *model_state, checkpoint_digests *dg)
{
    float *plain = hep_xmalloc(sizeof(float) * info->num_params, "the checkpoint buffer");
    int bad = 0;
    const float *arrays[3] = { params, adam_m, adam_v };
    const char *prefix[3] = { "", "adam/m/", "adam/v/" };
    for (int a = 0; a < 3 && !bad; a++) {
        if (!arrays[a]) continue;
        hep_model_params_to_plain(m, arrays[a], plain);
        hep_digest_add(a == 0 ? &dg->run : &dg->adam, plain, sizeof(float) * info->num_params);
        for (int t = 0; t < info->num_tensors && !bad; t++) {
            char name[256];
            snprintf(name, sizeof name, "%s%s", prefix[a], info->tensors[t].name);
            bad |= write_tensor(file, lcpl, name, &info->tensors[t], plain);
        }
    }
    for (int t = 0; t < info->num_state_tensors && !bad; t++)
        bad |= write_tensor(file, lcpl, info->state_tensors[t].name, &info->state_tensors[t], model_state);
    if (info->num_state) hep_digest_add(&dg->run, model_state, sizeof(float) * info->num_state);
    free(plain);
    return bad ? -1 : 0;
}

/* normalization/channel_max and the attributes a restart and a reader
 * need, the digests last (adam_digest only with Adam's moments). */
static int write_run_record(hid_t file, hid_t lcpl, const hep_model_info *info, long adam_step, int with_adam,
                            const hep_checkpoint_state *state, const char *config_json, checkpoint_digests *dg)
{
    hsize_t c = (hsize_t)state->channels;
    int bad = write_floats(file, lcpl, "normalization/channel_max", 1, &c, state->channel_max) != 0;
    int format = HEP_CHECKPOINT_FORMAT;
    long long step = state->step, adam_steps = adam_step;
    unsigned long long seed = state->seed;
    bad |= write_attr(file, "format_version", H5T_NATIVE_INT, &format);
    bad |= write_attr(file, "step", H5T_NATIVE_LLONG, &step);
    bad |= write_attr(file, "epoch", H5T_NATIVE_INT, &state->epoch);
    bad |= write_attr(file, "seed", H5T_NATIVE_ULLONG, &seed);
    bad |= write_attr(file, "adam_step", H5T_NATIVE_LLONG, &adam_steps);
    bad |= write_string_attr(file, "network", info->network);
    bad |= write_string_attr(file, "arch", info->arch);
    bad |= write_string_attr(file, "generator_version", info->generator_version);
    bad |= write_string_attr(file, "config", config_json);
    bad |= write_string_attr(file, "settings", state->settings);
    char *layers = hep_network_json(info);
    bad |= !layers || write_string_attr(file, "network_layers", layers);
    if (layers) digest_record(dg, state, adam_step, layers);
    free(layers);
    bad |= write_attr(file, "digest", H5T_NATIVE_UINT64, &dg->run.h);
    if (with_adam) bad |= write_attr(file, "adam_digest", H5T_NATIVE_UINT64, &dg->adam.h);
    return bad ? -1 : 0;
}

/* The checkpoint into file tmp, synced: 0, or -1 with *err the system's
 * error where HDF5 or the OS said one (else 0). */
static int write_file(const char *tmp, const hep_model *m, const hep_model_info *info, const float *params,
                      const float *adam_m, const float *adam_v, long adam_step, const hep_checkpoint_state *state,
                      const char *config_json, int *err)
{
    hep_h5_lock();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    errno = 0;
    hid_t file = hep_h5_create(tmp);   /* a disk full to the last block fails here, writing the superblock */
    if (file < 0) {
        *err = errno;
        hep_h5_unlock();
        return -1;
    }
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    int bad = lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0;
    checkpoint_digests dg = { hep_digest_start(), hep_digest_start() };
    bad = bad || write_tensors(file, lcpl, m, info, params, adam_m, adam_v, state->model_state, &dg) != 0;
    bad = bad || write_run_record(file, lcpl, info, adam_step, adam_m != NULL, state, config_json, &dg) != 0;
    *err = bad ? errno : 0;   /* write_floats' (h5syserr.h) */
    if (lcpl >= 0) H5Pclose(lcpl);
    if (H5Fclose(file) < 0 && !bad) {
        bad = 1;
        *err = hep_h5_system_errno();
    }
    hep_h5_unlock();
    if (!bad && fsync_path(tmp, 0) != 0) {
        bad = 1;
        *err = errno;
    }
    return bad ? -1 : 0;
}

double hep_checkpoint_bytes(const hep_model_info *info, int with_adam)
{
    return (double)info->num_params * (with_adam ? 3 : 1) * sizeof(float);
}

void hep_checkpoint_save(const char *outputpath, const hep_model *m, const hep_model_info *info, const float *params,
                         const float *adam_m, const float *adam_v, long adam_step,
                         const hep_checkpoint_state *state, const char *config_json, const hep_lock *lock)
{
    char dir[4200], path[4300], tmp[4400], doing[4400], why[200];
    snprintf(dir, sizeof dir, "%s/models", outputpath);
    /* models/ only: an outputpath moved or removed since the lock's check is not made again */
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        const int err = errno;
        if (lock) hep_lock_check(lock, "the checkpoint", state->step);
        hep_fatal("cannot create %s: %s", dir, strerror(err));
    }
    hep_checkpoint_path(outputpath, state->step, path, sizeof path);
    /* The writer's host and pid in the name: two writers can never share a
     * temporary file. */
    char host[128] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(tmp, sizeof tmp, "%s/.model-%ld.h5.%s.%ld.tmp", dir, state->step, host, (long)getpid());
    remove_stale_temporaries(dir);

    const double need_bytes = hep_checkpoint_bytes(info, adam_m != NULL);
    static const char *const kept_room = "the earlier checkpoints are unchanged (run again when there is room: it "
                                         "resumes from the newest)",
                             *const kept_fs = "the earlier checkpoints are unchanged (run again when its file system "
                                              "works: it resumes from the newest)";
    int err = 0, tries = 0;
    unsigned waited = 0;
    snprintf(doing, sizeof doing, "writing checkpoint %s", path);
    /* a full disk or quota stays full: only another failure is tried again */
    while (write_file(tmp, m, info, params, adam_m, adam_v, adam_step, state, config_json, &err) != 0) {
        unlink(tmp);
        if (lock) hep_lock_check(lock, "the checkpoint", state->step);
        snprintf(why, sizeof why, "%s", err ? strerror(err) : "the file system?");
        if (hep_write_cannot_fit(path, need_bytes, err))
            hep_write_failed("checkpoint", path, tmp, err, need_bytes, kept_room);
        if (!hep_wait_to_retry(doing, why, &tries, &waited))
            hep_write_failed("checkpoint", path, tmp, err, need_bytes, err ? kept_fs : kept_room);
    }
    if (rename(tmp, path) != 0 || fsync_path(dir, 1) != 0) {
        err = errno;
        if (lock) hep_lock_check(lock, "the checkpoint", state->step);
        unlink(tmp);
        hep_fatal("cannot rename %s to %s, or sync its folder: %s", tmp, path, strerror(err));
    }
}

static int is_checkpoint_name(const char *name, long *step)
{
    char tail[8];
    return sscanf(name, "model-%ld.%7s", step, tail) == 2 && strcmp(tail, "h5") == 0;
}

long hep_checkpoint_latest(const char *outputpath)
{
    return hep_checkpoint_before(outputpath, LONG_MAX);
}

long hep_checkpoint_before(const char *outputpath, long limit)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/models", outputpath);
    DIR *d = opendir(dir);
    if (!d) return -1;
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long step;
        /* only complete checkpoints: temporary files start with a dot */
        if (is_checkpoint_name(e->d_name, &step) && step > best && step < limit) best = step;
    }
    closedir(d);
    return best;
}

static int read_attr(hid_t file, const char *name, hid_t type, void *value)
{
    if (H5Aexists(file, name) <= 0) return -1;
    hid_t a = H5Aopen(file, name, H5P_DEFAULT), stored = a < 0 ? -1 : H5Aget_type(a);
    const int numeric = H5Tget_class(type) != H5T_STRING;
    herr_t s = !hep_h5_attr_single(a) || (numeric && !hep_h5_plain_number(stored)) ? -1 : H5Aread(a, type, value);
    if (stored >= 0) H5Tclose(stored);
    if (a >= 0) H5Aclose(a);
    return s < 0 ? -1 : 0;
}

/* A variable- or fixed-length string attribute, malloc'd; NULL if absent. */
static char *read_string_attr(hid_t file, const char *name)
{
    if (H5Aexists(file, name) <= 0) return NULL;
    hid_t a = H5Aopen(file, name, H5P_DEFAULT), type = a < 0 ? -1 : H5Aget_type(a);
    char *text = NULL;
    if (type >= 0 && H5Tget_class(type) == H5T_STRING && !H5Tis_variable_str(type) && hep_h5_attr_single(a)) {
        size_t size = H5Tget_size(type);
        text = hep_xmalloc(size + 1, "a checkpoint attribute");
        hid_t mem = H5Tcopy(H5T_C_S1);
        H5Tset_size(mem, size + 1);
        if (H5Aread(a, mem, text) < 0) { free(text); text = NULL; }
        H5Tclose(mem);
    }
    if (type >= 0) H5Tclose(type);
    if (a >= 0) H5Aclose(a);
    return text;
}

/* Whether dataset ds holds plain floats (h5single.h). */
static int float_type(hid_t ds)
{
    const hid_t type = H5Dget_type(ds);
    const int ok = type >= 0 && H5Tget_class(type) == H5T_FLOAT && hep_h5_plain_number(type);
    if (type >= 0) H5Tclose(type);
    return ok;
}

/* One tensor into plain. 0, -1 with err, or HEP_CHECKPOINT_FOREIGN where
 * the dataset has the tensor's rank but other extents: a checkpoint of
 * another version of the network (edited since, keeping its name), not a
 * damaged one. */
static int read_tensor(hid_t file, const char *path, const char *name, const hep_tensor_info *t, float *plain,
                       char *err, size_t errlen)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
        /* intermediate groups: H5Lexists fails on a missing parent too */
        snprintf(err, errlen, "%s: missing dataset '%s'", path, name);
        return -1;
    }
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t space = ds < 0 ? -1 : H5Dget_space(ds);
    hsize_t dims[H5S_MAX_RANK] = { 0 }, want[H5S_MAX_RANK] = { 0 };   /* a damaged file may declare any rank */
    int rank = space < 0 ? -1 : H5Sget_simple_extent_dims(space, dims, NULL);
    int same = rank == t->ndim;
    for (int d = 0; d < t->ndim; d++) {
        want[d] = (hsize_t)t->shape[d];
        same = same && dims[d] == want[d];
    }
    int rc = 0;
    if (rank < 0) {
        snprintf(err, errlen, "%s: cannot read the shape of dataset '%s' (damaged?)", path, name);
        rc = -1;
    } else if (!same) {
        char has[400], needs[400];
        hep_h5_shape_text(has, sizeof has, rank, dims);
        hep_h5_shape_text(needs, sizeof needs, t->ndim, want);
        /* an edit of the network changes extents, never a tensor's rank */
        const int edited = rank == t->ndim;
        snprintf(err, errlen, "%s: dataset '%s' has shape %s, but the compiled network's %s is %s%s", path, name, has,
                 t->name, needs, edited ? ": a checkpoint of another version of the network (edited since?): use the "
                 "binary that wrote it, or give this run another --outputpath" : " (damaged?)");
        rc = edited ? HEP_CHECKPOINT_FOREIGN : -1;
    } else if (!float_type(ds)) {
        snprintf(err, errlen, "%s: dataset '%s' does not hold 2-, 4- or 8-byte floats (its type is damaged?)", path, name);
        rc = -1;
    } else if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, plain + t->offset) < 0) {
        snprintf(err, errlen, "%s: cannot read dataset '%s' (damaged: its checksum or structure does not hold)", path, name);
        rc = -1;
    }
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
    return rc;
}

static int load(const char *path, hep_model *m, const hep_model_info *info, hep_adam *adam,
                hep_checkpoint_state *state, char *err, size_t errlen);

typedef struct {
    const char *path;
    hep_model *m;
    const hep_model_info *info;
    hep_adam *adam;
    hep_checkpoint_state *state;
} load_job;

static int load_once(void *job, int *os_err, char *err, size_t errlen)
{
    const load_job *j = job;
    hep_h5_lock();
    hep_h5_watch_errno(os_err);
    int rc = load(j->path, j->m, j->info, j->adam, j->state, err, errlen);
    hep_h5_unwatch_errno();
    hep_h5_unlock();
    if (rc == 0 && hep_errno_transient(*os_err)) {
        /* a read the file system failed was taken for an optional attribute's absence */
        free(j->state->settings);
        j->state->settings = NULL;
        snprintf(err, errlen, "%s: a read failed in the file system (%s)", j->path, strerror(*os_err));
        rc = -1;
    }
    return rc;
}

int hep_checkpoint_load(const char *path, hep_model *m, const hep_model_info *info, hep_adam *adam,
                        hep_checkpoint_state *state, char *err, size_t errlen)
{
    load_job job = { path, m, info, adam, state };
    int os_err;
    int rc = hep_h5_read_retrying(path, "checkpoint", load_once, &job, &os_err, err, errlen);
    return rc != 0 && os_err ? HEP_CHECKPOINT_FILE_SYSTEM : rc;
}

/* The attributes that say whose checkpoint this is and where the run
 * stood: format, network, step, epoch, seed, Adam's step. 0, -1 with err,
 * or HEP_CHECKPOINT_FOREIGN with err (another network's or a newer
 * format's). */
static int read_header(hid_t file, const char *path, const hep_model_info *info, int *format, long long *adam_step,
                       hep_checkpoint_state *state, char *err, size_t errlen)
{
    char network[128] = "";
    long long step = 0;
    unsigned long long seed = 0;
    hid_t str = H5Tcopy(H5T_C_S1);
    int rc = -1;
    if (str < 0 || H5Tset_size(str, sizeof network) < 0) {
        snprintf(err, errlen, "%s: the HDF5 library cannot make a string type", path);
    } else if (read_attr(file, "format_version", H5T_NATIVE_INT, format) != 0 || *format < 1) {
        snprintf(err, errlen, "%s: format_version %d, this build reads 1 to %d (damaged?)", path, *format,
                 HEP_CHECKPOINT_FORMAT);
    } else if (*format > HEP_CHECKPOINT_FORMAT) {
        snprintf(err, errlen, "%s: format_version %d, from a newer hepcnn (this build reads 1 to %d): use that "
                 "version for it, or give this run another --outputpath", path, *format, HEP_CHECKPOINT_FORMAT);
        rc = HEP_CHECKPOINT_FOREIGN;
    } else if (read_attr(file, "network", str, network) != 0) {
        snprintf(err, errlen, "%s: attribute 'network' missing or not a single string", path);
    } else if (!network[0]) {   /* every network has a name: damage, not another network's checkpoint */
        snprintf(err, errlen, "%s: attribute 'network' is empty (damaged?)", path);
    } else if (strcmp(network, info->network) != 0) {
        snprintf(err, errlen, "%s: a checkpoint of network '%s', but this binary is %s: use a %s binary for it "
                 "(make NET=%s), or give this run another --outputpath", path, network, info->network, network, network);
        rc = HEP_CHECKPOINT_FOREIGN;
    } else if (read_attr(file, "step", H5T_NATIVE_LLONG, &step) != 0 ||
               read_attr(file, "epoch", H5T_NATIVE_INT, &state->epoch) != 0 ||
               read_attr(file, "seed", H5T_NATIVE_ULLONG, &seed) != 0 ||
               read_attr(file, "adam_step", H5T_NATIVE_LLONG, adam_step) != 0) {
        snprintf(err, errlen, "%s: attribute step, epoch, seed or adam_step missing or not a single number", path);
    } else {
        rc = 0;
    }
    if (str >= 0) H5Tclose(str);
    state->step = (long)step;
    state->seed = seed;
    return rc;
}

/* The parameters into the model, the untrained state, and where adam is
 * given its moments, each into its digest as read. 0, or -1 with err. */
static int read_tensors(hid_t file, const char *path, hep_model *m, const hep_model_info *info, hep_adam *adam,
                        checkpoint_digests *dg, char *err, size_t errlen)
{
    float *plain = hep_xmalloc(sizeof(float) * info->num_params, "the checkpoint buffer");
    int rc = 0;
    for (int t = 0; t < info->num_tensors && rc == 0; t++)
        rc = read_tensor(file, path, info->tensors[t].name, &info->tensors[t], plain, err, errlen);
    if (rc == 0) hep_model_params_from_plain(m, plain, hep_model_params(m));
    hep_digest_add(&dg->run, plain, sizeof(float) * info->num_params);
    for (int t = 0; t < info->num_state_tensors && rc == 0; t++)
        rc = read_tensor(file, path, info->state_tensors[t].name, &info->state_tensors[t], hep_model_state(m),
                         err, errlen);
    if (info->num_state) hep_digest_add(&dg->run, hep_model_state(m), sizeof(float) * info->num_state);
    const char *prefix[2] = { "adam/m/", "adam/v/" };
    for (int a = 0; a < 2 && rc == 0 && adam; a++) {
        for (int t = 0; t < info->num_tensors && rc == 0; t++) {
            char name[256];
            snprintf(name, sizeof name, "%s%s", prefix[a], info->tensors[t].name);
            rc = read_tensor(file, path, name, &info->tensors[t], plain, err, errlen);
        }
        if (rc == 0) hep_model_params_from_plain(m, plain, a == 0 ? adam->m : adam->v);
        hep_digest_add(&dg->adam, plain, sizeof(float) * info->num_params);
    }
    free(plain);
    return rc;
}

/* normalization/channel_max, [in_channels], into state. 0, or -1 with err. */
static int read_channel_max(hid_t file, const char *path, const hep_model_info *info, hep_checkpoint_state *state,
                            char *err, size_t errlen)
{
    hsize_t c = 0;
    hid_t ds = H5Lexists(file, "normalization", H5P_DEFAULT) > 0 ? H5Dopen2(file, "normalization/channel_max", H5P_DEFAULT) : -1;
    hid_t space = ds < 0 ? -1 : H5Dget_space(ds);
    int rc = 0;
    /* the rank first: c holds one extent, and a damaged file may declare up to 32 */
    if (space < 0 || H5Sget_simple_extent_ndims(space) != 1 || H5Sget_simple_extent_dims(space, &c, NULL) != 1 ||
        c != (hsize_t)info->in_channels || !float_type(ds) ||
        H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, state->channel_max) < 0) {
        snprintf(err, errlen, "%s: dataset 'normalization/channel_max' missing, not [%d] or damaged", path, info->in_channels);
        rc = -1;
    }
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
    state->channels = info->in_channels;
    return rc;
}

/* Format 3 on: the digests of what was read against those written (from
 * format 4 the run digest takes the layer table too). 0, or -1 with err. */
static int check_digests(hid_t file, const char *path, int format, checkpoint_digests *dg,
                         const hep_checkpoint_state *state, long long adam_step, int with_adam, char *err,
                         size_t errlen)
{
    uint64_t run = 0, adam = 0;
    char *layers = format >= 4 ? read_string_attr(file, "network_layers") : NULL;
    if (format >= 4 && !layers) {
        snprintf(err, errlen, "%s: missing attribute 'network_layers' (format %d writes it)", path, format);
        return -1;
    }
    digest_record(dg, state, adam_step, layers);
    free(layers);
    if (read_attr(file, "digest", H5T_NATIVE_UINT64, &run) != 0 ||
        (with_adam && read_attr(file, "adam_digest", H5T_NATIVE_UINT64, &adam) != 0)) {
        snprintf(err, errlen, "%s: missing attribute 'digest'%s (format %d writes %s)", path,
                 with_adam ? " or 'adam_digest'" : "", format, with_adam ? "both" : "it");
        return -1;
    }
    const char *what = run != dg->run.h                   ? hep_digest_run_contents(format)
                       : with_adam && adam != dg->adam.h ? "Adam's moments or step" : NULL;
    if (!what) return 0;
    snprintf(err, errlen, "%s: %s read back differ from what was written (the checkpoint's digest does not match: "
             "altered on disk?)", path, what);
    return -1;
}

static int load(const char *path, hep_model *m, const hep_model_info *info, hep_adam *adam,
                hep_checkpoint_state *state, char *err, size_t errlen)
{
    if (H5Fis_hdf5(path) <= 0) {
        snprintf(err, errlen, "%s: not a readable HDF5 checkpoint", path);
        return -1;
    }
    int locked;
    hid_t file = hep_h5_open_read(path, &locked);
    if (file < 0) {
        snprintf(err, errlen, "%s: %s", path, locked ? HEP_H5_LOCKED_TEXT : "cannot open (damaged?)");
        return locked ? HEP_CHECKPOINT_LOCKED : -1;
    }
    int format = 0;
    long long adam_step = 0;
    state->settings = NULL;
    checkpoint_digests dg = { hep_digest_start(), hep_digest_start() };
    int rc = read_header(file, path, info, &format, &adam_step, state, err, errlen);
    if (rc == 0) rc = read_tensors(file, path, m, info, adam, &dg, err, errlen);
    if (rc == 0 && adam) adam->step = (long)adam_step;
    if (rc == 0) rc = read_channel_max(file, path, info, state, err, errlen);
    if (rc == 0 && format >= 2 && !(state->settings = read_string_attr(file, "settings"))) {
        snprintf(err, errlen, "%s: missing attribute 'settings'", path);
        rc = -1;
    }
    if (rc == 0 && format >= 3)
        rc = check_digests(file, path, format, &dg, state, adam_step, adam != NULL, err, errlen);
    H5Fclose(file);
    if (rc != 0) {   /* a load tried again starts over */
        free(state->settings);
        state->settings = NULL;
    }
    return rc;
}

static int cmp_long_desc(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x < y) - (x > y);
}

void hep_checkpoint_prune(const char *outputpath, long steps_per_epoch, int keep)
{
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/models", outputpath);
    DIR *d = opendir(dir);
    if (!d) return;
    long *mid = NULL, step;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!is_checkpoint_name(e->d_name, &step) || step % steps_per_epoch == 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            long *grown = realloc(mid, sizeof(long) * cap);
            if (!grown) break;
            mid = grown;
        }
        mid[n++] = step;
    }
    closedir(d);
    if (n > 1) qsort(mid, n, sizeof(long), cmp_long_desc);   /* (mid is NULL when n is 0) */
    for (size_t i = (size_t)(keep > 0 ? keep : 0); i < n; i++) {
        hep_checkpoint_path(outputpath, mid[i], path, sizeof path);
        if (unlink(path) != 0 && errno != ENOENT)
            fprintf(stderr, "hepcnn: warning: cannot remove the old checkpoint %s: %s\n", path, strerror(errno));
    }
    free(mid);
}
