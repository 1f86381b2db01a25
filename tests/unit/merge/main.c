#include <stdlib.h>

#include "suites.h"

int main(void) {
  SRunner *sr = srunner_create(hashmap_suite());
  srunner_add_suite(sr, decode_suite());
  srunner_add_suite(sr, container_suite());
  srunner_add_suite(sr, live_suite());
  srunner_add_suite(sr, tallies_suite());
  srunner_add_suite(sr, replay_suite());
  srunner_add_suite(sr, report_suite());
  srunner_add_suite(sr, counters_suite());
  srunner_add_suite(sr, sampled_suite());
  srunner_add_suite(sr, estimator_suite());
  srunner_add_suite(sr, analysis_suite());
  srunner_add_suite(sr, session_suite());
  srunner_add_suite(sr, phases_suite());
  srunner_add_suite(sr, reports_suite());
  srunner_add_suite(sr, symbolize_suite());
  srunner_add_suite(sr, resources_suite());
  srunner_add_suite(sr, names_suite());
  srunner_add_suite(sr, cli_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
