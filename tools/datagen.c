/* hepcnn-datagen: writes train/val/test HDF5 files in the seed's format
 * (data {n,3,H,W} float32, label {n} int32, normweight {n}, weight {n},
 * psr {n}) with physics-like events, for anyone without the NERSC dataset;
 * psr is, as in the original data, the event's result under a standard
 * cut-based selection (see cuts_pass), and mass {n} the signal mass (0 for
 * background).
 *
 * An event is a set of jets drawn as energy clusters in (eta, phi): eta in
 * [-2.5, 2.5] along y, phi in [-pi, pi) along x and periodic. Channels: total
 * calorimeter energy, EM fraction, track multiplicity. Background (label 0)
 * is QCD-multijet-like: 2-5 hard jets (sometimes a soft extra one), pT from a
 * steeply falling spectrum, large weights. Signal (label 1) is a heavy
 * particle decaying to many jets: 4-8 jets sharing a mass M, higher
 * total energy on average, small weights. Pile-up noise covers every image. The classes
 * overlap: a good classifier's AUC is well above 0.5 and below 1.
 * With --classes=K > 2, labels 1..K-1 are signals of increasing mass.
 *
 * Everything is a pure function of (seed, file kind, file index, event index):
 * the same command writes byte-identical data. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* M_PI */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../runtime/h5open.h"
#include "../runtime/h5syserr.h"
#include "../runtime/rng.h"

typedef struct {
    const char *outdir;
    int size;              /* 64 or 224 */
    long samples[3];       /* per file: train, val, test */
    int files[3];
    int classes;
    double signal_fraction;
    uint64_t seed;
    int compress;          /* gzip level, 0: none */
} options;

static const char *kinds[3] = { "train", "val", "test" };

/* The file being written (its temporary name, "" between files) and the
 * first stop signal: the tool's one mutable static state, as the signal
 * handler and die(), called from any depth, must reach them. A file left
 * unfinished is removed: a full disk keeps no half-written gigabytes, and
 * no run trips over them. */
static struct { char tmp[4200]; volatile sig_atomic_t signal; } unfinished;

static void remove_unfinished(void)
{
    if (unfinished.tmp[0] && remove(unfinished.tmp) != 0 && errno != ENOENT)
        fprintf(stderr, "hepcnn-datagen: cannot remove %s: %s\n", unfinished.tmp, strerror(errno));
    unfinished.tmp[0] = '\0';
}

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "hepcnn-datagen: error: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    remove_unfinished();
    exit(1);
}

static void on_stop(int sig)
{
    if (!unfinished.signal) unfinished.signal = sig;
}

/* SIGTERM, SIGINT, SIGHUP: the event in flight is finished, then the file
 * being written is removed and the tool exits with 128 + the signal. */
static void install_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
    for (int i = 0; i < 3; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0) die("sigaction: %s%s", strerror(errno), "");
}

static void stop_if_signalled(void)
{
    if (!unfinished.signal) return;
    fprintf(stderr, "hepcnn-datagen: stopped by signal %d%s%s\n", (int)unfinished.signal,
            unfinished.tmp[0] ? ": removed the unfinished " : "", unfinished.tmp);
    remove_unfinished();
    exit(128 + unfinished.signal);
}

/* A tiny stream of uniforms for one event: Philox keyed by the seed, the
 * event's global id and a draw counter. */
typedef struct { uint64_t seed; uint32_t stream; uint64_t n; } draws;
static double u01(draws *d) { return hep_rng_uniform(d->seed, d->stream, d->n++); }
static double normal(draws *d) { return sqrt(-2 * log(u01(d))) * cos(6.283185307179586 * u01(d)); }
static int poisson(draws *d, double mean)
{
    double l = exp(-mean), p = 1;
    int k = 0;
    do { k++; p *= u01(d); } while (p > l && k < 1000);
    return k - 1;
}

typedef struct { double eta, phi, pt, em, sigma; int tracks; } jet;

/* The standard cut-based selection, in the spirit of the paper's (the ATLAS
 * RPV SUSY multi-jet search it compares against): at least CUT_JETS jets
 * with pT > CUT_JET_PT GeV in the calorimeter (|eta| < 2.5), the leading
 * one above CUT_LEAD_PT, and their summed jet mass above CUT_SUM_MASS, a
 * jet's mass being pT times its width in the image (m ~ pT dR): every
 * quantity is one the image shows, so the CNN could learn the same. */
enum { CUT_JETS = 4 };
static const double CUT_JET_PT = 50.0, CUT_LEAD_PT = 100.0, CUT_SUM_MASS = 120.0, JET_MASS_PER_WIDTH = 2.0;

static int cuts_pass(const jet *jets, int nj)
{
    int n = 0;
    double lead = 0, sum_mass = 0;
    for (int j = 0; j < nj; j++) {
        if (jets[j].pt <= CUT_JET_PT || jets[j].eta < -2.5 || jets[j].eta > 2.5) continue;
        n++;
        lead = jets[j].pt > lead ? jets[j].pt : lead;
        sum_mass += JET_MASS_PER_WIDTH * jets[j].sigma * jets[j].pt;
    }
    return n >= CUT_JETS && lead > CUT_LEAD_PT && sum_mass > CUT_SUM_MASS;
}

/* An event's jets, drawn into jets[] (room for 12); returns how many.
 * *label: 0 for the standard-model background, else the signal's class;
 * *mass: the signal's mass (0 for background); *weight: the event weight. */
static int draw_jets(const options *o, draws *d, jet *jets, int *label, double *mass, float *weight)
{
    int nj;
    *label = 0;
    *mass = 0;
    if (u01(d) < o->signal_fraction) {
        *label = o->classes > 2 ? 1 + (int)(u01(d) * (o->classes - 1)) : 1;
        if (*label >= o->classes) *label = o->classes - 1;
        *mass = 350.0 + 250.0 * *label + 120.0 * normal(d);
        if (*mass < 150.0) *mass = 150.0;
        nj = 4 + (int)(u01(d) * 5);
        double phi0 = 2 * M_PI * u01(d);
        for (int j = 0; j < nj; j++) {
            jets[j].pt = *mass / nj * (0.5 + u01(d));
            jets[j].eta = 1.4 * normal(d);
            jets[j].phi = phi0 + 2 * M_PI * j / nj + 0.4 * normal(d);
        }
        *weight = (float)(0.02 + 0.03 * u01(d));
        return nj;
    }
    nj = 2 + (int)(u01(d) * 4);
    double phi0 = 2 * M_PI * u01(d);
    for (int j = 0; j < nj; j++) {
        /* steeply falling: pT = 80 (1-u)^(-1/4) GeV, roughly dN/dpT ~ pT^-5 */
        jets[j].pt = 60.0 * pow(1.0 - u01(d), -0.4);
        jets[j].eta = 1.6 * normal(d);
        /* the two leading jets are back to back */
        jets[j].phi = j == 1 ? jets[0].phi + M_PI + 0.3 * normal(d) : phi0 + 2 * M_PI * u01(d);
    }
    if (u01(d) < 0.3 && nj < 12) {   /* initial-state radiation */
        jets[nj].pt = 40.0 * pow(1.0 - u01(d), -0.3);
        jets[nj].eta = 2.0 * normal(d);
        jets[nj].phi = 2 * M_PI * u01(d);
        nj++;
    }
    *weight = (float)(5.0 + 20.0 * u01(d));
    return nj;
}

/* The image's three planes [H][W]: energy, electromagnetic energy (the
 * fraction once the event is complete), tracks. */
typedef struct { int H, W; float *energy, *em, *tracks; } planes;

/* One jet's calorimeter cluster (a Gaussian in eta-phi, normalised to its
 * energy) and its tracks; draws its EM fraction and width into *jt. */
static void deposit_jet(const planes *img, draws *d, jet *jt)
{
    const int H = img->H, W = img->W;
    const double deta = 5.0 / H, dphi = 2 * M_PI / W;
    jt->em = 0.15 + 0.7 * u01(d);
    double e = jt->pt * cosh(jt->eta);
    double sigma = 0.08 + 0.05 * u01(d);              /* cluster width in eta-phi */
    jt->sigma = sigma;
    int ci = (int)((jt->eta + 2.5) / deta), cj = (int)(fmod(jt->phi + 8 * M_PI, 2 * M_PI) / dphi);
    int reach_i = (int)(3 * sigma / deta) + 1, reach_j = (int)(3 * sigma / dphi) + 1;
    double norm = 0;
    for (int di = -reach_i; di <= reach_i; di++)
        for (int dj = -reach_j; dj <= reach_j; dj++) {
            double r2 = (di * deta) * (di * deta) + (dj * dphi) * (dj * dphi);
            norm += exp(-r2 / (2 * sigma * sigma));
        }
    for (int di = -reach_i; di <= reach_i; di++) {
        int i = ci + di;
        if (i < 0 || i >= H) continue;
        for (int dj = -reach_j; dj <= reach_j; dj++) {
            int col = ((cj + dj) % W + W) % W;             /* phi is periodic */
            double r2 = (di * deta) * (di * deta) + (dj * dphi) * (dj * dphi);
            double dep = e * exp(-r2 / (2 * sigma * sigma)) / norm;
            img->energy[i * W + col] += (float)dep;
            img->em[i * W + col] += (float)(dep * jt->em);
        }
    }
    int nt = poisson(d, 4.0 + jt->pt / 25.0);
    for (int t = 0; t < nt; t++) {
        int i = ci + (int)lround(normal(d) * sigma / deta), col = cj + (int)lround(normal(d) * sigma / dphi);
        if (i < 0 || i >= H) continue;
        img->tracks[i * W + ((col % W) + W) % W] += 1.0f;
    }
}

/* Pile-up: soft deposits and stray tracks everywhere. */
static void deposit_pileup(const planes *img, draws *d)
{
    const int pixels = img->H * img->W;
    int npu = poisson(d, pixels / 40.0);
    for (int k = 0; k < npu; k++) {
        int p = (int)(u01(d) * pixels);
        if (p >= pixels) p = pixels - 1;
        double dep = -2.0 * log(u01(d));
        img->energy[p] += (float)dep;
        img->em[p] += (float)(dep * u01(d));
        if (u01(d) < 0.1) img->tracks[p] += 1.0f;
    }
}

/* Fill one event: image [3][H][W] (zeroed by the caller); psr: the cuts'
 * decision, mass: the signal mass. Returns the label. */
static int make_event(const options *o, draws *d, float *image, float *weight, float *psr, float *mass_out)
{
    const int H = o->size, W = o->size;
    const planes img = { H, W, image, image + H * W, image + 2 * H * W };
    jet jets[12];
    int label;
    double mass;
    int nj = draw_jets(o, d, jets, &label, &mass, weight);
    *mass_out = (float)(label ? mass : 0.0);
    for (int j = 0; j < nj; j++)
        if (jets[j].eta >= -2.5 && jets[j].eta <= 2.5) deposit_jet(&img, d, &jets[j]);   /* inside the calorimeter */
        else jets[j].sigma = 0;                                                          /* outside: no width */
    deposit_pileup(&img, d);
    for (int p = 0; p < H * W; p++) img.em[p] = img.energy[p] > 0 ? img.em[p] / img.energy[p] : 0.0f;
    *psr = (float)cuts_pass(jets, nj);
    return label;
}

/* An HDF5 call's result (a status or an identifier; both negative on
 * failure), checked: returned, or the tool ends naming the call and file. */
static hid_t check(hid_t result, const char *what, const char *path)
{
    if (result < 0) die("HDF5 call failed: %s (%s)", what, path);
    return result;
}

/* A write's or the closing's result, checked: a failure names the
 * system's error behind it (a full disk, a quota, the file system's EIO),
 * read off HDF5's error stack before any other HDF5 call clears it. */
static void check_write(herr_t result, const char *path)
{
    if (result >= 0) return;
    const int err = hep_h5_system_errno();
    if (err) die("writing %s failed: %s", path, strerror(err));
    die("writing %s failed (a full disk, a quota or a file size limit?)%s", path, "");
}

/* The n events of file `index` of this kind into its `data` dataset, one
 * image (one chunk) at a time; their labels, weights, cuts' decisions and
 * masses into the vectors. */
static void write_events(const options *o, int kind, int index, hid_t file, const char *path, long n, int *labels,
                         float *weight, float *psr, float *mass)
{
    const int H = o->size, W = o->size;
    hsize_t dims[4] = { (hsize_t)n, 3, (hsize_t)H, (hsize_t)W }, one[4] = { 1, 3, (hsize_t)H, (hsize_t)W };
    hid_t space = check(H5Screate_simple(4, dims, NULL), "H5Screate_simple", path);
    hid_t dcpl = check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", path);
    /* no modification times, so the same command writes the same bytes */
    check(H5Pset_obj_track_times(dcpl, 0), "H5Pset_obj_track_times", path);
    check(H5Pset_chunk(dcpl, 4, one), "H5Pset_chunk", path);
    if (o->compress) check(H5Pset_deflate(dcpl, (unsigned)o->compress), "H5Pset_deflate", path);
    hid_t data = H5Dcreate2(file, "data", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (data < 0) die("cannot create dataset data in %s%s", path, "");
    hid_t mem = check(H5Screate_simple(4, one, NULL), "H5Screate_simple", path);
    float *img = malloc(sizeof(float) * 3 * H * W);
    if (!img) die("out of memory%s%s", "", "");
    for (long i = 0; i < n; i++) {
        stop_if_signalled();
        draws d = { o->seed, (uint32_t)(1000 * kind + index), (uint64_t)i << 20 };
        memset(img, 0, sizeof(float) * 3 * H * W);
        labels[i] = make_event(o, &d, img, &weight[i], &psr[i], &mass[i]);
        hsize_t start[4] = { (hsize_t)i, 0, 0, 0 };
        check(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, one, NULL), "H5Sselect_hyperslab", path);
        check_write(H5Dwrite(data, H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, img), path);
    }
    free(img);
    H5Sclose(mem); H5Dclose(data); H5Pclose(dcpl); H5Sclose(space);
}

/* label, normweight, weight, psr and mass, [n] each. normweight: weight
 * over its class's mean weight in this file, so each class weighs the same
 * in total. */
static void write_vectors(hid_t file, const char *path, long n, const int *labels, const float *weight,
                          const float *psr, const float *mass)
{
    float *normweight = malloc(sizeof(float) * n);
    if (!normweight) die("out of memory%s%s", "", "");
    double sum[16] = { 0 };
    long count[16] = { 0 };
    for (long i = 0; i < n; i++) { sum[labels[i]] += weight[i]; count[labels[i]]++; }
    for (long i = 0; i < n; i++) normweight[i] = (float)(weight[i] * count[labels[i]] / sum[labels[i]]);
    hsize_t d1[1] = { (hsize_t)n };
    hid_t s1 = check(H5Screate_simple(1, d1, NULL), "H5Screate_simple", path);
    hid_t dcpl1 = check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", path);
    check(H5Pset_obj_track_times(dcpl1, 0), "H5Pset_obj_track_times", path);
    struct { const char *name; hid_t type; const void *buf; hid_t mtype; } vecs[] = {
        { "label", H5T_STD_I32LE, labels, H5T_NATIVE_INT },
        { "normweight", H5T_IEEE_F32LE, normweight, H5T_NATIVE_FLOAT },
        { "weight", H5T_IEEE_F32LE, weight, H5T_NATIVE_FLOAT },
        { "psr", H5T_IEEE_F32LE, psr, H5T_NATIVE_FLOAT },
        { "mass", H5T_IEEE_F32LE, mass, H5T_NATIVE_FLOAT },
    };
    for (int v = 0; v < 5; v++) {
        hid_t ds = H5Dcreate2(file, vecs[v].name, vecs[v].type, s1, H5P_DEFAULT, dcpl1, H5P_DEFAULT);
        if (ds < 0) die("cannot create dataset %s in %s", vecs[v].name, path);
        check_write(H5Dwrite(ds, vecs[v].mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, vecs[v].buf), path);
        H5Dclose(ds);
    }
    H5Pclose(dcpl1); H5Sclose(s1);
    free(normweight);
}

/* File `index` of this kind (train, val, test), written to a temporary
 * name and renamed. */
static void write_file(const options *o, int kind, int index)
{
    long n = o->samples[kind];
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s_%03d.h5", o->outdir, kinds[kind], index);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int *labels = malloc(sizeof(int) * n);
    float *weight = malloc(sizeof(float) * n), *psr = malloc(sizeof(float) * n), *mass = malloc(sizeof(float) * n);
    if (!labels || !weight || !psr || !mass) die("out of memory%s%s", "", "");
    snprintf(unfinished.tmp, sizeof unfinished.tmp, "%s", tmp);
    int err;   /* kept as the create fails: its clean-up clears HDF5's error stack */
    hep_h5_watch_errno(&err);
    hid_t file = hep_h5_create(tmp);
    hep_h5_unwatch_errno();
    if (file < 0) die(err ? "cannot create %s: %s" : "cannot create %s%s", tmp, err ? strerror(err) : "");
    write_events(o, kind, index, file, path, n, labels, weight, psr, mass);
    write_vectors(file, path, n, labels, weight, psr, mass);
    check_write(H5Fclose(file), path);
    if (rename(tmp, path) != 0) die("cannot rename %s: %s", tmp, strerror(errno));
    unfinished.tmp[0] = '\0';
    long sig = 0;
    for (long i = 0; i < n; i++) sig += labels[i] != 0;
    printf("wrote %s: %ld events (%ld signal)\n", path, n, sig);
    free(labels); free(weight); free(psr); free(mass);
}

static long parse_long(const char *arg, const char *value, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || errno || v < min || v > max) die("%s: expected an integer in range", arg, "");
    return v;
}

int main(int argc, char **argv)
{
    options o = { .outdir = NULL, .size = 64, .samples = { 1024, 256, 256 }, .files = { 1, 1, 1 },
                  .classes = 2, .signal_fraction = 0.5, .seed = 1, .compress = 0 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        const char *v = eq ? eq + 1 : "";
        size_t k = eq ? (size_t)(eq - a) : strlen(a);
#define IS(name) (k == strlen(name) && strncmp(a, name, k) == 0)
        if (IS("--help") || IS("-h")) {
            printf("usage: hepcnn-datagen --outdir=DIR [--size=64|224] [--train=N] [--val=N] [--test=N]\n"
                   "         [--train_files=N] [--val_files=N] [--test_files=N] [--classes=K]\n"
                   "         [--signal_fraction=F] [--seed=S] [--compress=0-9]\n"
                   "Writes DIR/train_000.h5 ..., val_*.h5, test_*.h5 in the seed's format; N is events per file.\n");
            return 0;
        } else if (IS("--outdir")) {
            if (!*v) die("%s: expected a folder, as --outdir=DIR%s", a, "");
            o.outdir = v;
        } else if (IS("--size")) { o.size = (int)parse_long(a, v, 1, 224); if (o.size != 64 && o.size != 224) die("--size must be 64 or 224%s%s", "", ""); }
        else if (IS("--train")) o.samples[0] = parse_long(a, v, 0, 1L << 30);
        else if (IS("--val")) o.samples[1] = parse_long(a, v, 0, 1L << 30);
        else if (IS("--test")) o.samples[2] = parse_long(a, v, 0, 1L << 30);
        else if (IS("--train_files")) o.files[0] = (int)parse_long(a, v, 0, 999);
        else if (IS("--val_files")) o.files[1] = (int)parse_long(a, v, 0, 999);
        else if (IS("--test_files")) o.files[2] = (int)parse_long(a, v, 0, 999);
        else if (IS("--classes")) o.classes = (int)parse_long(a, v, 2, 16);
        else if (IS("--seed")) o.seed = (uint64_t)parse_long(a, v, 0, 1L << 62);
        else if (IS("--compress")) o.compress = (int)parse_long(a, v, 0, 9);
        else if (IS("--signal_fraction")) {
            char *end;
            o.signal_fraction = strtod(v, &end);
            if (*end || o.signal_fraction < 0 || o.signal_fraction > 1) die("%s: expected a number in [0, 1]", a, "");
        } else die("unknown option '%s' (see --help)%s", a, "");
#undef IS
    }
    if (!o.outdir) die("--outdir=DIR is required (see --help)%s%s", "", "");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", o.outdir);
    for (char *p = dir + 1; *p; p++)        /* mkdir -p */
        if (*p == '/') {
            *p = '\0';
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) die("cannot create %s: %s", dir, strerror(errno));
            *p = '/';
        }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) die("cannot create %s: %s", dir, strerror(errno));
    /* No HDF5 clean-up at exit (as runtime/main.c): after a failed write
     * (a full disk) it closed the broken file again and crashed (SIGSEGV,
     * status 139, after the error message). Every file is closed here. */
    if (H5dont_atexit() < 0) die("H5dont_atexit failed%s%s", "", "");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    install_stop_signals();
    for (int kind = 0; kind < 3; kind++)
        for (int f = 0; f < o.files[kind]; f++)
            if (o.samples[kind] > 0) write_file(&o, kind, f);
    return 0;
}
