/* `chairctl program ...`: check programs, plot them. argv[0] is "program" (the chairctl
 * subcommand), argv[1] the action. Returns the process exit code: 0 ok, 1 the program has
 * errors (or the action failed), 2 usage. */
#ifndef INTERP_PROGRAM_CLI_H
#define INTERP_PROGRAM_CLI_H

int program_cli_main(int argc, char **argv);

#endif
