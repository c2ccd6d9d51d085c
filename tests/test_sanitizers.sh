# Memory errors, undefined behaviour and data races (sourced by
# tests/run.sh): the checks of tests/sanitizer_runs.sh's runs, which a full
# make test starts in the background at its beginning.
echo "== sanitizers (AddressSanitizer, UBSan)"
. tests/sanitizer_runs.sh
start_sanitizer_runs
check "sanitizers: train, mid-epoch checkpoints pruned, resume, test mode, ONNX export: no report" \
    background_result sanitizers "$S" san_train_resume_test
check "sanitizers: 3 ranks (allreduce), a parameter server with 2 workers: no report" \
    background_result sanitizers "$S" san_distributed
check "sanitizers: 2 images on 3 threads (each image's rows shared out): no report" \
    background_result sanitizers "$S" san_shared_out
check "sanitizers: 12 damaged data files, 12 checkpoints resumed and 12 exported: no report" \
    background_result sanitizers "$S" san_damaged_files
check "sanitizers: ThreadSanitizer (1 OpenMP thread: the I/O thread against the rest): train, resume, test mode: no report" \
    background_result sanitizers "$S" san_threads
