/*
 * secret_tool.h - the hash-secret command: reads a client secret on
 * standard input and prints the value of [client.ID] secret_hash for it
 * (core/secret_hash.h), so the secret itself need not be in the
 * configuration.
 *
 * The secret must pass the checks a secret in the file passes (URL-safe
 * characters, LIM_CLIENT_SECRET_MIN to LIM_CLIENT_SECRET_MAX long), so an
 * application that sends it works the same with either form. One trailing
 * newline ("\n" or "\r\n") is not part of it, as in a secret_file. On a
 * terminal the input is not echoed. The secret is never printed and every
 * copy is wiped.
 */
#ifndef PO_CONFIG_SECRET_TOOL_H
#define PO_CONFIG_SECRET_TOOL_H

#include <stdio.h>

/* Reads the secret from fd, writes the PHC string and a newline to out,
 * or why not to err (a prompt too, when fd is a terminal). Returns the
 * exit status: 0 printed, 1 refused or failed. */
int secret_tool_hash(int fd, FILE *out, FILE *err);

#endif
