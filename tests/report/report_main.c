/* build/memgate-report: `memgate report` on its own, until the memgate
 * command routes its "report" subcommand to memgate__cmd_report. */
#include "report.h"

int main(int argc, char **argv) { return memgate__cmd_report(argc, argv); }
