/* The merge unit test suites, run together by main.c. */
#ifndef MEMSCOPE_TEST_MERGE_SUITES_H
#define MEMSCOPE_TEST_MERGE_SUITES_H

#include <check.h>

Suite *hashmap_suite(void);
Suite *decode_suite(void);
Suite *replay_suite(void);
Suite *report_suite(void);
Suite *cli_suite(void);
Suite *counters_suite(void);
Suite *sampled_suite(void);
Suite *estimator_suite(void);
Suite *analysis_suite(void);
Suite *session_suite(void);
Suite *phases_suite(void);
Suite *reports_suite(void);
Suite *symbolize_suite(void);
Suite *resources_suite(void);
Suite *names_suite(void);
Suite *container_suite(void);
Suite *live_suite(void);
Suite *tallies_suite(void);

#endif
