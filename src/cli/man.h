/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_CLI_MAN_H
#define TCPSIM_CLI_MAN_H

#include <stdio.h>

void man_write(FILE *out, const char *version);
int man_write_examples(const char *dir);

#endif
