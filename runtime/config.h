/* Run configuration: the seed's JSON keys (configs/ holds examples), overridden by
 * --KEY=VALUE on the command line, checked for type and range, and checked
 * against the compiled network. */
#ifndef HEP_CONFIG_H
#define HEP_CONFIG_H

#include <stdbool.h>
#include <model.h>
#include "lr_schedule.h"

#define HEP_PATH_MAX 4096

typedef struct {
    /* the seed's keys */
    int input_shape[3];
    char inputpath[HEP_PATH_MAX];
    char outputpath[HEP_PATH_MAX];
    long trainsamples;
    char arch[32];
    char mode[16];                 /* sync | async */
    int num_hot_spares;
    int display_interval;
    int save_interval;
    hep_lr_schedule lr;            /* learning_rate: a number or a schedule (lr_schedule.h) */
    double learning_rate;          /* the rate at step 0, for messages */
    double dropout_p;              /* keep probability */
    char optimizer[16];
    double weight_decay;
    double fully_sync_fraction;
    int num_layers;
    int num_fc_units;
    double momentum;
    int num_epochs;
    int train_batch_size;
    int validation_batch_size;
    int validation_interval;
    int validation_max_steps;
    int test_batch_size;
    int test_max_steps;
    bool batch_size_per_node;
    bool batch_norm;
    bool scaling_improvements;
    bool time;
    bool create_summary;
    bool restart;
    struct {
        char data_format[16];
        int num_filters;
        int filter_size;
        char padding[16];
        char activation[16];
        char initializer[16];
    } conv_params;
    /* command line (and config) extensions */
    long seed;
    int num_tasks;
    int num_ps;
    char precision[16];
    bool dummy_data;
    bool overlap_allreduce;        /* per-layer non-blocking allreduce during backward */
    long checkpoint_id;            /* resume from / test this step; -1: latest */
    char timeline[HEP_PATH_MAX];   /* Chrome trace of a few steps, "" for none */
    long checkpoint_steps;         /* a checkpoint every N steps (0: none), mid-epoch too */
    double checkpoint_minutes;     /* and when this much time passed since the last (0: never) */
    int checkpoint_keep;           /* mid-epoch checkpoints kept (epoch ends' always are) */
    bool accept_changed_settings;  /* restart with other training settings (see settings.h) */
    int read_window_mb;            /* training rows are read this many MB at a time (row_order.h) */
    char loss_weight[16];          /* "none" (the seed's) or "normweight": per-sample loss weights */
    /* which keys were given (by name index), for network checks and logging */
    unsigned char given[64];
    unsigned char on_command_line[64];   /* of those, set by --KEY=VALUE: messages name the source */
    unsigned char repeated[64];          /* keys the config file gives more than once (the last counts) */
} hep_config;

/* Prints the usage and returns 1 when argv asks for it (--help or -h). */
int hep_config_help(int argc, char **argv);

/* Parse argv: --config=FILE (required; a caller asks hep_config_help
 * first), then --KEY=VALUE overrides. Exits with a message naming the file
 * and key on any error (it needs no MPI: main calls it before MPI_Init). */
void hep_config_load(hep_config *cfg, int argc, char **argv);

/* Notes on what the run takes without being told (defaults applied, keys
 * given twice, keys of the original without effect here): one rank's job. */
void hep_config_notes(const hep_config *cfg, const char *path);

/* Errors, all at once, when network-describing keys contradict the
 * compiled network (runtime/config_network.c), and the note of the one
 * that cannot be checked against it: one rank's job. */
void hep_config_check_network(const hep_config *cfg, const char *config_path, const hep_model_info *info);
void hep_config_network_notes(const hep_config *cfg, const hep_model_info *info);

/* The effective configuration as JSON text (malloc'd), for checkpoints. */
char *hep_config_to_json(const hep_config *cfg);

/* Where key's value came from, for a message: "command line (--KEY)"
 * (written into `text`) or `path`, the config file. */
const char *hep_config_source(const hep_config *c, const char *key, const char *path, char *text, size_t len);
/* Was this key present in the file or on the command line? */
bool hep_config_given(const hep_config *cfg, const char *key);

#endif
