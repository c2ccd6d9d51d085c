/* Resuming (see resume.h). */
#include "resume.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5guard.h"
#include "settings.h"
#include "util.h"

void hep_load_checkpoint(const hep_config *cfg, long id, hep_model *m, const hep_model_info *info, hep_adam *adam,
                         hep_checkpoint_state *state, char *path, size_t pathlen)
{
    char err[1024], previous_text[4400] = "";
    hep_checkpoint_path(cfg->outputpath, id, path, pathlen);
    if (cfg->checkpoint_id >= 0 && access(path, F_OK) != 0) {
        const char *why = strerror(errno);   /* before the folder is read */
        long newest = hep_checkpoint_latest(cfg->outputpath);
        if (newest < 0) hep_fatal("--checkpoint_id=%ld: %s/models has no checkpoint (%s: %s)", id, cfg->outputpath,
                                  path, why);
        hep_fatal("--checkpoint_id=%ld: %s/models has no checkpoint of that step (%s: %s); its newest is step %ld",
                  id, cfg->outputpath, path, why, newest);
    }
    /* what to do with a damaged one, said before reading it: if it crashes
     * the HDF5 library, the guard's message has nothing else to hand */
    long previous = cfg->checkpoint_id < 0 ? hep_checkpoint_before(cfg->outputpath, id) : -1;
    if (previous >= 0)
        snprintf(previous_text, sizeof previous_text, "the previous checkpoint is step %ld: use it with "
                 "--checkpoint_id=%ld, or move the damaged file out of %s/models", previous, previous, cfg->outputpath);
    hep_h5_guard_enter(path, previous >= 0 ? previous_text : "move it out of the run's models folder, or name "
                       "another checkpoint with --checkpoint_id");
    int rc = hep_checkpoint_load(path, m, info, adam, state, err, sizeof err);
    hep_h5_guard_leave();
    if (rc == 0) return;
    if (rc == HEP_CHECKPOINT_FOREIGN || rc == HEP_CHECKPOINT_LOCKED || rc == HEP_CHECKPOINT_FILE_SYSTEM)
        hep_fatal("%s", err);   /* not damaged: an earlier one is no better */
    if (previous >= 0) hep_fatal("%s; %s", err, previous_text);
    hep_fatal("%s", err);
}

static void check_settings(const hep_config *cfg, const char *path, const char *saved, const char *settings, int rank)
{
    if (!saved) {
        if (rank == 0) printf("hepcnn: note: %s records no training settings (an older format): not compared\n", path);
        return;
    }
    char diff[4096];
    int n = hep_settings_diff(saved, settings, diff, sizeof diff);
    if (n == 0) return;
    if (cfg->accept_changed_settings) {
        if (rank == 0) printf("hepcnn: continuing %s with %d changed training setting(s) (--accept_changed_settings):%s\n",
                              path, n, diff);
        return;
    }
    hep_fatal("%s was written by a run with other training settings:%s\n"
              "To continue these weights with the new settings, add --accept_changed_settings; to start fresh, "
              "give this run another --outputpath", path, diff);
}

long hep_resume(const hep_config *cfg, hep_model *m, const hep_model_info *info, hep_adam *adam,
                hep_checkpoint_state *state, const char *settings, int rank)
{
    long id = cfg->checkpoint_id >= 0 ? cfg->checkpoint_id : hep_checkpoint_latest(cfg->outputpath);
    if (id < 0) {
        if (cfg->restart && rank == 0)
            printf("hepcnn: restart requested, but %s/models has no checkpoint: starting from scratch\n", cfg->outputpath);
        return -1;
    }
    char path[4400];
    hep_load_checkpoint(cfg, id, m, info, adam, state, path, sizeof path);
    if (state->step < 0)
        hep_fatal("%s: attribute 'step' is %ld, expected a step count of 0 or more (damaged?)", path, state->step);
    check_settings(cfg, path, state->settings, settings, rank);
    free(state->settings);
    state->settings = NULL;
    if (rank == 0) printf("hepcnn: resuming from %s\n", path);
    return state->step;
}
